#include <fmt/format.h>

#include <array>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::archive {
namespace {

// WHEEL and RECORD are written by the build tool: a user who meets a bad one can only refuse the wheel.
constexpr std::string_view k_malformed_hint =
    "the wheel is malformed or was altered after it was built; report it to the project and do not bundle it";

auto malformed(std::string message, Location where) -> Unexpected<Error> {
    return make_error(ErrorCode::verification, std::move(message), std::move(where), std::string(k_malformed_hint));
}

auto location(std::string_view file, int line, int column = 0) -> Location {
    return Location{std::string(file), line, column};
}

auto base64url_value(char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// RECORD digests are urlsafe base64 without '=' padding (PEP 376 / 427); padding is tolerated.
auto decode_base64url(std::string_view text) -> std::optional<std::string> {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        int v = base64url_value(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFFU);
        }
    }
    // Leftover bits must be zero, otherwise two spellings would decode to the same digest.
    if ((buffer & ((1U << bits) - 1U)) != 0) return std::nullopt;
    return out;
}

struct Algorithm {
    std::string_view name;
    std::size_t digest_size;
};
constexpr std::array<Algorithm, 6> k_algorithms = {
    {{"sha256", 32}, {"sha384", 48}, {"sha512", 64}, {"sha3_256", 32}, {"sha3_384", 48}, {"sha3_512", 64}}};

// One CSV record as Python's csv module reads it by default. `pos` advances past the record's
// line end; `lines` counts the physical lines consumed (quoted fields may span lines).
struct CsvRow {
    std::vector<std::string> fields;
    int lines = 1;
};

auto read_csv_row(std::string_view text, std::size_t& pos) -> Expected<CsvRow> {
    CsvRow row;
    std::string field;
    bool in_quotes = false;
    bool was_quoted = false;
    while (pos < text.size()) {
        char c = text[pos];
        if (in_quotes) {
            if (c == '"') {
                if (pos + 1 < text.size() && text[pos + 1] == '"') {
                    field += '"';
                    pos += 2;
                    continue;
                }
                in_quotes = false;
            } else {
                if (c == '\n') ++row.lines;
                field += c;
            }
            ++pos;
            continue;
        }
        if (c == '"' && field.empty() && !was_quoted) {
            in_quotes = true;
            was_quoted = true;
            ++pos;
        } else if (c == ',') {
            row.fields.push_back(std::move(field));
            field.clear();
            was_quoted = false;
            ++pos;
        } else if (c == '\r' || c == '\n') {
            pos += (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2U : 1U;
            row.fields.push_back(std::move(field));
            return row;
        } else {
            field += c;
            ++pos;
        }
    }
    if (in_quotes) return malformed("RECORD has an unterminated quoted field", {});
    row.fields.push_back(std::move(field));
    return row;
}

}  // namespace

auto is_safe_member_name(std::string_view name) -> bool {
    if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos ||
        name.find('\0') != std::string_view::npos) {
        return false;
    }
    if (name.size() >= 2 && util::is_ascii_alpha(name[0]) && name[1] == ':') return false;
    if (name.back() == '/') name.remove_suffix(1);  // a directory entry
    for (auto part : util::split(name, '/')) {
        if (part.empty() || part == "." || part == "..") return false;
    }
    return true;
}

auto normalise_project_for_filename(std::string_view name) -> std::string {
    std::string out;
    bool in_separator = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            in_separator = true;
            continue;
        }
        if (in_separator && !out.empty()) out += '_';
        in_separator = false;
        out += util::to_lower_ascii(c);
    }
    return out;
}

auto parse_wheel_info(std::string_view text, std::string_view file) -> Expected<WheelInfo> {
    WheelInfo info;
    bool purelib_seen = false;
    int line_number = 0;
    for (auto raw : util::split(text, '\n')) {
        ++line_number;
        auto line = util::trim_right(raw);
        if (line.empty()) continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return malformed("expected 'Key: value' in WHEEL", location(file, line_number));
        }
        auto key = line.substr(0, colon);
        auto value = std::string(util::trim(line.substr(colon + 1)));
        if (util::iequals(key, "Wheel-Version")) {
            info.wheel_version = value;
        } else if (util::iequals(key, "Generator")) {
            info.generator = value;
        } else if (util::iequals(key, "Root-Is-Purelib")) {
            if (util::iequals(value, "true")) {
                info.root_is_purelib = true;
            } else if (util::iequals(value, "false")) {
                info.root_is_purelib = false;
            } else {
                return malformed(fmt::format("Root-Is-Purelib must be true or false, not '{}'", value),
                                 location(file, line_number));
            }
            purelib_seen = true;
        } else if (util::iequals(key, "Tag")) {
            info.tags.push_back(value);
        } else if (util::iequals(key, "Build")) {
            info.build = value;
        }
    }
    if (info.wheel_version.empty()) {
        return malformed("WHEEL has no Wheel-Version", location(file, 0));
    }
    if (!purelib_seen) {
        return malformed("WHEEL has no Root-Is-Purelib", location(file, 0));
    }
    auto major = util::parse_uint64(info.wheel_version.substr(0, info.wheel_version.find('.')));
    if (!major || *major != 1) {
        return make_error(ErrorCode::verification, fmt::format("unsupported Wheel-Version '{}'", info.wheel_version),
                          location(file, 0),
                          "only wheel format 1.x is understood; use a wheel built for 1.x or a newer wheelhouse");
    }
    return info;
}

auto parse_record(std::string_view text, std::string_view file) -> Expected<std::vector<RecordEntry>> {
    std::vector<RecordEntry> out;
    std::size_t pos = 0;
    int line = 1;
    while (pos < text.size()) {
        int row_line = line;
        auto row = read_csv_row(text, pos);
        if (!row) {
            auto e = std::move(row).error();
            e.location = location(file, row_line);
            return unexpected(std::move(e));
        }
        line += row->lines;
        auto& f = row->fields;
        if (f.size() == 1 && f[0].empty()) continue;  // blank line
        if (f.size() != 3) {
            return malformed(fmt::format("RECORD row has {} fields, expected 3 (path,hash,size)", f.size()),
                             location(file, row_line));
        }
        RecordEntry entry;
        entry.path = f[0];
        entry.line = row_line;
        if (!is_safe_member_name(entry.path)) {
            return make_error(ErrorCode::verification,
                              fmt::format("RECORD lists an unsafe path '{}' (absolute or with '..')", entry.path),
                              location(file, row_line),
                              "the wheel is malformed or malicious; report it to the project and do not bundle it");
        }
        if (!f[1].empty()) {
            auto eq = f[1].find('=');
            if (eq == std::string::npos) {
                return malformed(fmt::format("RECORD hash '{}' of '{}' is not 'algorithm=digest'", f[1], entry.path),
                                 location(file, row_line));
            }
            entry.hash_algorithm = util::to_lower(std::string_view(f[1]).substr(0, eq));
            const Algorithm* algorithm = nullptr;
            for (const auto& a : k_algorithms) {
                if (a.name == entry.hash_algorithm) algorithm = &a;
            }
            if (algorithm == nullptr) {
                return make_error(
                    ErrorCode::verification,
                    fmt::format("RECORD hash algorithm '{}' of '{}' is not allowed", entry.hash_algorithm, entry.path),
                    location(file, row_line),
                    "wheels must use sha256 or stronger; ask the project for a wheel built by a current "
                    "tool");
            }
            auto digest = decode_base64url(std::string_view(f[1]).substr(eq + 1));
            if (!digest || digest->size() != algorithm->digest_size) {
                return malformed(fmt::format("RECORD digest '{}' of '{}' is not urlsafe base64 of a {} hash",
                                             f[1].substr(eq + 1), entry.path, entry.hash_algorithm),
                                 location(file, row_line));
            }
            entry.hash_hex = util::to_hex(reinterpret_cast<const unsigned char*>(digest->data()), digest->size());
        }
        if (!f[2].empty()) {
            entry.size = util::parse_uint64(f[2]);
            if (!entry.size) {
                return malformed(fmt::format("RECORD size '{}' of '{}' is not a number", f[2], entry.path),
                                 location(file, row_line));
            }
        }
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace wheelhouse::archive
