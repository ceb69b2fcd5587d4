// Distribution file names: wheels (PEP 427, binary distribution format) and sdists (.tar.gz / .zip).
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/tags/tag.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::tags {

// A wheel build tag: leading digits (compared as a number of any size) and the rest.
struct BuildTag {
    std::string number;  // decimal digits, no leading zeros ("0" for zero)
    std::string suffix;

    [[nodiscard]] auto to_string() const -> std::string { return number + suffix; }
    friend auto operator<=>(const BuildTag& a, const BuildTag& b) -> std::strong_ordering;
    friend auto operator==(const BuildTag& a, const BuildTag& b) -> bool = default;
};

// PEP 503 normalisation used for names found in file names: lower case, runs of '-', '_', '.'
// replaced by one '-'. Only ASCII letters are lower-cased.
auto normalize_name(std::string_view name) -> std::string;

struct WheelParseOptions {
    bool validate_order = false;  // see TagParseOptions
};

class WheelFilename {
public:
    // "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl". Errors carry the column
    // (1-based) of the offending part. Accepted names: as packaging (word characters, '.', '_',
    // no "__"), and additionally not empty; non-ASCII characters count as word characters.
    // Control characters are refused anywhere.
    static auto parse(std::string_view filename, WheelParseOptions options = {}) -> Expected<WheelFilename>;

    [[nodiscard]] auto name() const -> const std::string& { return m_name; }          // normalised
    [[nodiscard]] auto raw_name() const -> const std::string& { return m_raw_name; }  // as written
    [[nodiscard]] auto version() const -> const pep440::Version& { return m_version; }
    [[nodiscard]] auto version_text() const -> const std::string& { return m_version_text; }  // as written
    [[nodiscard]] auto build() const -> const std::optional<BuildTag>& { return m_build; }
    [[nodiscard]] auto tags() const -> const TagSet& { return m_tags; }

    // A file name that parses back to an equal WheelFilename (normalised version, lower-case tags).
    [[nodiscard]] auto to_string() const -> std::string;

    // Same name, version, build and tag set.
    friend auto operator==(const WheelFilename& a, const WheelFilename& b) -> bool;

private:
    std::string m_raw_name;
    std::string m_name;
    std::string m_version_text;
    pep440::Version m_version;
    std::optional<BuildTag> m_build;
    TagSet m_tags;
};

enum class SdistFormat { tar_gz, zip };

struct SdistFilename {
    std::string name;  // normalised
    pep440::Version version;
    SdistFormat format = SdistFormat::tar_gz;

    // "{name}-{version}.tar.gz" or ".zip"; split on the last '-' (versions have none).
    static auto parse(std::string_view filename) -> Expected<SdistFilename>;
};

// True for names ending in ".whl" (case-sensitive, as pip).
auto is_wheel_filename(std::string_view filename) -> bool;
// True for names ending in ".tar.gz" or ".zip".
auto is_sdist_filename(std::string_view filename) -> bool;

}  // namespace wheelhouse::tags
