// pip's requirements-file format (requirements.txt) parsed into a model: requirements, constraints, hashes, index
// options.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::reqfile {

// Where an entry came from: the file (path or URL, spelled as pip spells it after joining
// includes) and the 1-based line where the logical line starts (continuations keep the first).
struct Origin {
    std::string file;
    int line = 0;

    [[nodiscard]] auto to_string() const -> std::string;  // "file:line"
};

enum class EntryKind {
    named,       // a PEP 508 requirement: `name[extras] specifier ; marker` or `name @ url`
    wheel_path,  // a local path to a .whl file (relative to the working directory, as pip does)
    wheel_url,   // an http(s)/file URL to a .whl file
};

auto to_string(EntryKind kind) -> std::string_view;

struct Entry {
    EntryKind kind = EntryKind::named;
    // The requirement text exactly as pip hands it on (after comments, continuations, env vars).
    std::string text;
    // For wheel_path / wheel_url: `name==version` taken from the wheel file name, plus the extras
    // and marker written on the line.
    pep508::Requirement requirement;
    // The path or URL of a wheel_path / wheel_url entry, as written; empty for named entries.
    std::string location;
    // --hash values: algorithm ("sha256", "sha384", "sha512") -> hex digests in the order written.
    std::map<std::string, std::vector<std::string>> hashes;
    std::vector<std::string> global_options;                          // --global-option
    std::map<std::string, std::vector<std::string>> config_settings;  // -C/--config-settings KEY=VAL
    Origin origin;
    bool constraint = false;  // read from a -c/--constraint file
};

// The finder-level options, with pip's semantics for order: `-i` replaces the index list built so
// far, `--no-index` empties it and makes later -i / --extra-index-url ignored.
struct IndexOptions {
    std::optional<std::string> index_url;  // unset: PyPI
    std::vector<std::string> extra_index_urls;
    bool no_index = false;
    // -f values; a relative path that exists next to the requirements file is made absolute (pip does).
    std::vector<std::string> find_links;
    std::vector<std::string> trusted_hosts;  // unique, in order
    bool pre = false;
    bool prefer_binary = false;
    bool require_hashes = false;
    // Canonical names, or ":all:". --no-binary / --only-binary exclude each other per name.
    std::set<std::string> no_binary;
    std::set<std::string> only_binary;
    std::vector<std::string> features_enabled;  // --use-feature, unique

    static constexpr std::string_view pypi_simple_url = "https://pypi.org/simple";
    // The index URLs pip would search, in order (empty with --no-index).
    [[nodiscard]] auto effective_index_urls() const -> std::vector<std::string>;
};

// Something pip accepts silently but that is probably a mistake (pip logs most of these).
struct Warning {
    Location location;
    std::string message;
};

struct RequirementsFile {
    std::vector<Entry> requirements;  // from -r files (and the top-level file), in file order
    std::vector<Entry> constraints;   // from -c files, in file order
    IndexOptions options;
    std::vector<std::string> files;  // every file or URL read, in order of first reading
    std::vector<Warning> warnings;
};

// Reads an included URL (http/https). Injected so that the http module plugs in and tests serve
// local data. An error it returns is reported at the including line.
using Fetcher = std::function<Expected<std::string>(std::string_view url)>;
// Looks up an environment variable for ${VAR} expansion; nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct ParseOptions {
    Fetcher fetcher;                // unset: URL includes are an error
    EnvironmentLookup environment;  // unset: the process environment
    bool constraint = false;        // treat the top-level file as a -c file
    int max_include_depth = 64;
};

// Parses a requirements file given by path, or by http(s)/file URL (through the fetcher).
auto parse_file(std::string_view path_or_url, const ParseOptions& options = {}) -> Expected<RequirementsFile>;

// Parses requirements text; origin_name names it in origins and errors, and relative -r/-c
// includes are resolved against its folder (as for a file of that name).
auto parse_text(std::string_view text, std::string_view origin_name, const ParseOptions& options = {})
    -> Expected<RequirementsFile>;

// The model as JSON (stable key order), for --json output, fixtures and the differential probe.
auto to_json(const RequirementsFile& file) -> std::string;
auto to_json(const Error& error) -> std::string;

}  // namespace wheelhouse::reqfile
