// Loading the pypa/packaging test parameters (fixtures/corpora/packaging/*.params.json) for pep508.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "wheelhouse/pep508/marker.hpp"

namespace wheelhouse::pep508::testing {

inline auto load_corpus(const std::string& file) -> nlohmann::json {
    std::ifstream in(std::string(WHEELHOUSE_CORPORA_DIR) + "/packaging/" + file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return nlohmann::json::parse(buffer.str());
}

// Cases of `function`, in file order.
inline auto cases_of(const nlohmann::json& corpus, const std::string& function) -> std::vector<nlohmann::json> {
    std::vector<nlohmann::json> out;
    for (const auto& c : corpus) {
        if (c.at("function") == function) out.push_back(c);
    }
    return out;
}

inline auto count_by_function(const nlohmann::json& corpus) -> std::map<std::string, std::size_t> {
    std::map<std::string, std::size_t> out;
    for (const auto& c : corpus) ++out[c.at("function").get<std::string>()];
    return out;
}

// packaging fills what a test's environment leaves out from the running interpreter; ours is a
// CPython 3.11 on Linux, the MWAA target.
inline auto environment_from(const nlohmann::json& overrides) -> Environment {
    auto env = linux_cpython_environment("3.11.9");
    if (overrides.is_object()) {
        for (const auto& [key, value] : overrides.items()) env[key] = value.is_null() ? "" : value.get<std::string>();
    }
    return env;
}

// Splits packaging's `ctx.exconly()` text into message and the caret's 0-based offset.
struct ExpectedSyntaxError {
    std::string message;
    int caret = -1;
};

inline auto parse_exconly(const std::string& text) -> ExpectedSyntaxError {
    ExpectedSyntaxError out;
    auto first_newline = text.find('\n');
    auto head = text.substr(0, first_newline);
    out.message = head.substr(head.find(": ") + 2);
    auto last_newline = text.rfind('\n');
    auto marker_line = text.substr(last_newline + 1);
    out.caret = static_cast<int>(marker_line.find('^')) - 4;
    return out;
}

}  // namespace wheelhouse::pep508::testing
