// Core metadata (METADATA, PKG-INFO, PEP 658 .metadata): the email-header format, Metadata-Version 1.0-2.x.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::metadata {

// One header as written. Folded continuation lines are joined with '\n' after dropping their
// leading whitespace (the inverse of how writers indent them).
struct Header {
    std::string name;   // as written; compare case-insensitively
    std::string value;  // leading whitespace after ':' removed, line terminators removed
    int line = 0;       // 1-based line of the header's first line
};

// The syntactic layer: headers in order, then the body after the first blank line.
// Like Python's email parser, the headers also end at the first line that is not a header
// ("Name: value") or a continuation; that line starts the body.
struct HeaderBlock {
    std::vector<Header> headers;
    std::optional<std::string> body;  // absent when the input ends with the headers
    int body_line = 0;                // 1-based line where the body starts
    bool body_without_blank_line = false;
};

// Splits text into headers and body. Accepts LF, CRLF and lone CR line ends and a leading UTF-8
// BOM; rejects invalid UTF-8 (error location: file and line) and a continuation line before any
// header. `file` only labels error locations.
auto parse_headers(std::string_view text, std::string_view file = {}) -> Expected<HeaderBlock>;

// True for the versions the core metadata specification has defined (1.0, 1.1, 1.2, 2.1 - 2.6;
// 2.0 was never a published version although old tools wrote it).
auto is_known_metadata_version(std::string_view version) -> bool;

struct Metadata {
    std::string metadata_version;
    std::string name;     // as written
    std::string version;  // as written; parsed_version() interprets it
    std::optional<std::string> summary;
    std::optional<std::string> requires_python;
    std::optional<std::string> description;  // the Description header, else the body
    std::vector<Header> requires_dist_raw;   // Requires-Dist values as written, with their lines
    std::vector<std::string> provides_extra;
    // Licence fields: License-Expression (2.4, an SPDX expression), License (free text, may span lines),
    // every Classifier (the "License ::" ones say the licence), License-File (2.4) paths.
    std::optional<std::string> license_expression;
    std::optional<std::string> license;
    std::vector<std::string> classifiers;
    std::vector<std::string> license_files;
    std::vector<Header> headers;  // every header, in order
    std::string file;             // label given to parse(), used in later error locations

    // Single-valued fields (other than the four below) that appeared more than once; the first
    // value was kept. Repeats of Metadata-Version, Name, Version and Requires-Python are errors
    // instead, because a reader could not know which one an installer would use.
    std::vector<std::string> repeated_fields;

    // Parses a whole metadata file. Metadata-Version, Name and Version are required; a
    // Metadata-Version with a major version other than 1 or 2 is refused (the specification
    // says readers must not guess). Requires-Dist, Version and Requires-Python are kept as
    // text here; the accessors below interpret them, so that one bad entry does not prevent
    // reading the rest.
    static auto parse(std::string_view text, std::string_view file = {}) -> Expected<Metadata>;

    // First value of a header (case-insensitive name), or every value in order.
    [[nodiscard]] auto get(std::string_view header) const -> std::optional<std::string_view>;
    [[nodiscard]] auto get_all(std::string_view header) const -> std::vector<std::string_view>;

    // Requires-Dist entries parsed as PEP 508 requirements; the error names the entry's line.
    [[nodiscard]] auto requires_dist() const -> Expected<std::vector<pep508::Requirement>>;
    // Version parsed as PEP 440.
    [[nodiscard]] auto parsed_version() const -> Expected<pep440::Version>;
    // Requires-Python as a specifier set; an absent field is the empty (always true) set.
    [[nodiscard]] auto requires_python_specifier() const -> Expected<pep440::SpecifierSet>;
};

}  // namespace wheelhouse::metadata
