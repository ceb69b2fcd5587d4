#include "wheelhouse/metadata/metadata.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::metadata {
namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

struct Line {
    std::string_view text;  // without its terminator
    int number = 0;
    std::size_t next = 0;  // offset just past the terminator
};

// Python's email parser, which defines this format in practice, ends lines at LF, CRLF or CR.
auto next_line(std::string_view text, std::size_t pos, int number) -> Line {
    std::size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    std::size_t next = end;
    if (next < text.size()) {
        next += (text[next] == '\r' && next + 1 < text.size() && text[next + 1] == '\n') ? 2U : 1U;
    }
    return {text.substr(pos, end - pos), number, next};
}

auto is_field_name_char(char c) -> bool {
    return c >= '!' && c <= '~' && c != ':';
}

// "Name: value" with a non-empty name of printable ASCII; returns the colon position.
auto header_colon(std::string_view line) -> std::optional<std::size_t> {
    std::size_t i = 0;
    while (i < line.size() && is_field_name_char(line[i])) ++i;
    if (i == 0 || i >= line.size() || line[i] != ':') return std::nullopt;
    return i;
}

auto is_continuation(std::string_view line) -> bool {
    return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

auto strip_blanks_left(std::string_view s) -> std::string_view {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

auto location(std::string_view file, int line) -> Location {
    return Location{std::string(file), line, 0};
}

// Which line holds the first invalid byte sequence (the text as a whole failed validation).
auto first_invalid_utf8_line(std::string_view text) -> int {
    int number = 1;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto line = next_line(text, pos, number);
        if (!util::is_valid_utf8(line.text)) return number;
        pos = line.next;
        ++number;
    }
    return number;
}

auto normalise_line_ends(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

// ^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$ (PEP 508 names, which core metadata's Name follows).
auto is_valid_project_name(std::string_view name) -> bool {
    if (name.empty() || !util::is_ascii_alnum(name.front()) || !util::is_ascii_alnum(name.back())) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return util::is_ascii_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

// Fields the specification defines as single-valued (core metadata, up to 2.5).
constexpr std::array<std::string_view, 15> k_single_fields = {
    "Metadata-Version", "Name",         "Version",
    "Summary",          "Description",  "Description-Content-Type",
    "Keywords",         "Home-page",    "Download-URL",
    "Author",           "Author-email", "Maintainer",
    "Maintainer-email", "License",      "License-Expression",
};
// Repeats of these change what gets installed, so they are errors rather than warnings.
constexpr std::array<std::string_view, 4> k_strict_fields = {"Metadata-Version", "Name", "Version", "Requires-Python"};

auto in_list(std::string_view name, auto const& list) -> std::optional<std::string_view> {
    for (auto candidate : list) {
        if (util::iequals(candidate, name)) return candidate;
    }
    return std::nullopt;
}

}  // namespace

auto parse_headers(std::string_view text, std::string_view file) -> Expected<HeaderBlock> {
    if (text.substr(0, k_bom.size()) == k_bom) text.remove_prefix(k_bom.size());
    if (!util::is_valid_utf8(text)) {
        auto line = first_invalid_utf8_line(text);
        return make_error(ErrorCode::invalid_input, "metadata is not valid UTF-8", location(file, line),
                          "core metadata files must be encoded in UTF-8");
    }
    HeaderBlock block;
    std::size_t pos = 0;
    int number = 1;
    while (pos < text.size()) {
        auto line = next_line(text, pos, number);
        if (line.text.empty()) {
            // The blank line separating headers from the body.
            if (line.next < text.size()) {
                block.body = normalise_line_ends(text.substr(line.next));
                block.body_line = number + 1;
            }
            return block;
        }
        if (is_continuation(line.text)) {
            if (block.headers.empty()) {
                return make_error(ErrorCode::invalid_input, "continuation line without a header before it",
                                  location(file, number), "remove the leading whitespace");
            }
            auto& value = block.headers.back().value;
            value += '\n';
            value += strip_blanks_left(line.text);
        } else if (auto colon = header_colon(line.text)) {
            block.headers.push_back(Header{std::string(line.text.substr(0, *colon)),
                                           std::string(strip_blanks_left(line.text.substr(*colon + 1))), number});
        } else {
            block.body = normalise_line_ends(text.substr(pos));
            block.body_line = number;
            block.body_without_blank_line = true;
            return block;
        }
        pos = line.next;
        ++number;
    }
    return block;
}

auto is_known_metadata_version(std::string_view version) -> bool {
    constexpr std::array<std::string_view, 9> known = {"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"};
    return std::find(known.begin(), known.end(), version) != known.end();
}

auto Metadata::parse(std::string_view text, std::string_view file) -> Expected<Metadata> {
    auto block = parse_headers(text, file);
    if (!block) return unexpected(std::move(block).error());

    Metadata md;
    md.file = std::string(file);
    std::vector<const Header*> first_of;  // first occurrence of each single-valued field seen
    auto first_seen = [&](std::string_view canonical) -> const Header* {
        for (const auto* h : first_of) {
            if (util::iequals(h->name, canonical)) return h;
        }
        return nullptr;
    };

    for (const auto& header : block->headers) {
        auto strict = in_list(header.name, k_strict_fields);
        auto single = strict ? strict : in_list(header.name, k_single_fields);
        if (single) {
            if (const auto* previous = first_seen(*single)) {
                if (strict) {
                    return make_error(
                        ErrorCode::invalid_input,
                        fmt::format("'{}' appears more than once (first on line {})", *strict, previous->line),
                        location(file, header.line), "a metadata file must give it exactly once");
                }
                if (std::find(md.repeated_fields.begin(), md.repeated_fields.end(), *single) ==
                    md.repeated_fields.end()) {
                    md.repeated_fields.emplace_back(*single);
                }
                continue;
            }
            first_of.push_back(&header);
        }
        auto value = std::string(util::trim(header.value));
        if (util::iequals(header.name, "Metadata-Version")) {
            md.metadata_version = value;
        } else if (util::iequals(header.name, "Name")) {
            md.name = value;
        } else if (util::iequals(header.name, "Version")) {
            md.version = value;
        } else if (util::iequals(header.name, "Summary")) {
            md.summary = value;
        } else if (util::iequals(header.name, "Requires-Python")) {
            md.requires_python = value;
        } else if (util::iequals(header.name, "Description")) {
            md.description = header.value;
        } else if (util::iequals(header.name, "Requires-Dist")) {
            md.requires_dist_raw.push_back(Header{header.name, value, header.line});
        } else if (util::iequals(header.name, "Provides-Extra")) {
            md.provides_extra.push_back(value);
        } else if (util::iequals(header.name, "License-Expression")) {
            md.license_expression = value;
        } else if (util::iequals(header.name, "License")) {
            md.license = std::string(util::trim(header.value));
        } else if (util::iequals(header.name, "Classifier")) {
            md.classifiers.push_back(value);
        } else if (util::iequals(header.name, "License-File")) {
            md.license_files.push_back(value);
        }
    }
    if (block->body) {
        if (md.description) {
            if (std::find(md.repeated_fields.begin(), md.repeated_fields.end(), "Description") ==
                md.repeated_fields.end()) {
                md.repeated_fields.emplace_back("Description");
            }
        } else {
            md.description = *block->body;
        }
    }
    md.headers = std::move(block->headers);

    auto missing = [&](std::string_view field) {
        auto error =
            make_error(ErrorCode::invalid_input, fmt::format("metadata has no '{}' field", field), location(file, 0));
        if (block->body_without_blank_line) {
            error.error.hint =
                fmt::format("line {} is not a 'Name: value' header, so the headers end there", block->body_line);
        }
        return error;
    };
    if (md.metadata_version.empty()) return missing("Metadata-Version");
    if (md.name.empty()) return missing("Name");
    if (md.version.empty()) return missing("Version");

    const auto* mv = first_seen("Metadata-Version");
    auto dot = md.metadata_version.find('.');
    auto major = util::parse_uint64(std::string_view(md.metadata_version).substr(0, dot));
    auto minor = dot == std::string::npos ? std::nullopt
                                          : util::parse_uint64(std::string_view(md.metadata_version).substr(dot + 1));
    if (!major || !minor) {
        return make_error(ErrorCode::invalid_input, fmt::format("invalid Metadata-Version '{}'", md.metadata_version),
                          location(file, mv ? mv->line : 0), "expected MAJOR.MINOR, e.g. 2.1");
    }
    if (*major != 1 && *major != 2) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("unsupported Metadata-Version '{}'", md.metadata_version),
                          location(file, mv ? mv->line : 0), "only metadata versions 1.x and 2.x are understood");
    }
    if (!is_valid_project_name(md.name)) {
        const auto* n = first_seen("Name");
        return make_error(ErrorCode::invalid_input, fmt::format("invalid project name '{}'", md.name),
                          location(file, n ? n->line : 0),
                          "names use letters, digits, '.', '_' and '-', and start and end with a letter or digit");
    }
    return md;
}

auto Metadata::get(std::string_view header) const -> std::optional<std::string_view> {
    for (const auto& h : headers) {
        if (util::iequals(h.name, header)) return std::string_view(h.value);
    }
    return std::nullopt;
}

auto Metadata::get_all(std::string_view header) const -> std::vector<std::string_view> {
    std::vector<std::string_view> out;
    for (const auto& h : headers) {
        if (util::iequals(h.name, header)) out.emplace_back(h.value);
    }
    return out;
}

}  // namespace wheelhouse::metadata
