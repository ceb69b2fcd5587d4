// PEP 508 dependency specifications: name, extras, version specifier or URL, marker.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep508/marker.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::pep508 {

struct Requirement {
    std::string name;                 // as written
    std::vector<std::string> extras;  // as written, sorted, unique
    pep440::SpecifierSet specifier;   // empty when none, or when url is set
    std::optional<std::string> url;   // `name @ url`
    std::optional<Marker> marker;

    // Parses one requirement string as packaging.requirements.Requirement does.
    // Error columns are 1-based offsets into `text`.
    static auto parse(std::string_view text) -> Expected<Requirement>;

    // Canonical text as packaging prints it: `name[extra1,extra2]>=1.0; python_version >= "3.8"`.
    [[nodiscard]] auto to_string() const -> std::string;
    // PEP 503 normalised name.
    [[nodiscard]] auto canonical_name() const -> std::string;

    // packaging's equality: same normalised name, same extras, equivalent specifiers, url, marker.
    friend auto operator==(const Requirement& a, const Requirement& b) -> bool;
};

}  // namespace wheelhouse::pep508
