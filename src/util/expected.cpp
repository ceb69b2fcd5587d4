#include "wheelhouse/util/expected.hpp"

#include <fmt/format.h>

namespace wheelhouse {

auto exit_code_for(ErrorCode code) -> int {
    switch (code) {
        case ErrorCode::invalid_input:
        case ErrorCode::usage:
        case ErrorCode::not_found:
        case ErrorCode::io: return 1;
        case ErrorCode::resolution: return 2;
        case ErrorCode::network: return 3;
        case ErrorCode::verification: return 4;
        case ErrorCode::aws: return 5;
        case ErrorCode::license_policy: return 10;
        case ErrorCode::advisories: return 11;
        case ErrorCode::internal: return 1;
    }
    return 1;
}

auto to_string(ErrorCode code) -> const char* {
    switch (code) {
        case ErrorCode::invalid_input: return "invalid_input";
        case ErrorCode::usage: return "usage";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::io: return "io";
        case ErrorCode::resolution: return "resolution";
        case ErrorCode::network: return "network";
        case ErrorCode::verification: return "verification";
        case ErrorCode::aws: return "aws";
        case ErrorCode::license_policy: return "license_policy";
        case ErrorCode::advisories: return "advisories";
        case ErrorCode::internal: return "internal";
    }
    return "internal";
}

auto Location::to_string() const -> std::string {
    std::string out = file;
    if (line > 0) {
        out += out.empty() ? fmt::format("line {}", line) : fmt::format(":{}", line);
        if (column > 0) out += fmt::format(":{}", column);
    } else if (column > 0) {
        out += out.empty() ? fmt::format("column {}", column) : fmt::format(":{}", column);
    }
    return out;
}

auto Error::to_string() const -> std::string {
    std::string out;
    if (location.known()) out = location.to_string() + ": ";
    out += message;
    if (!context.empty()) out += fmt::format(": '{}'", context);
    if (!hint.empty()) out += fmt::format(" (hint: {})", hint);
    return out;
}

}  // namespace wheelhouse
