// What a command reads before it resolves: requirement and constraint files, index options (flags, files, pip's
// environment variables), the target's Airflow constraints and MWAA's essential pins.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/image/image.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Index options as given on the command line (unset: not given, so the environment or files decide).
struct IndexFlags {
    std::optional<std::string> index_url;
    std::vector<std::string> extra_index_urls;
    std::vector<std::string> find_links;
    bool no_index = false;
    std::vector<std::string> trusted_hosts;
    bool pre = false;
    bool prefer_binary = false;
    std::vector<std::string> only_binary;  // pip's values: names, ":all:", ":none:"
    std::vector<std::string> no_binary;
};

// pip's environment variables, applied under the flags: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS,
// PIP_TRUSTED_HOST (whitespace-separated lists), PIP_NO_INDEX (a boolean as pip reads it).
auto flags_from_environment(IndexFlags flags, const EnvironmentLookup& environment) -> Expected<IndexFlags>;

// download: the preset's own Airflow constraints (the image's embedded copy when it has one, else downloaded from
// its constraints URL); file: `airflow_file`, a path or an http(s) URL (--airflow-constraints); none: no Airflow
// constraints (--no-airflow-constraints).
enum class AirflowConstraints { download, file, none };

// Packages the target environment already has: pip on it keeps an installed version that satisfies, so the
// bundle leaves it out (an MWAA image's set, or `--installed FILE` in pip freeze format).
struct InstalledSet {
    std::string preset;  // "mwaa-2.10.3" for a preset's image; "" for --installed FILE
    std::string label;   // "the mwaa-2.10.3 image", or the file's name
    std::string source;  // where the list comes from, for reports
    std::vector<resolve::InstalledDistribution> packages;
};

struct InputOptions {
    std::vector<std::string> requirement_files;  // -r, paths or URLs
    std::vector<std::string> constraint_files;   // -c, paths or URLs
    IndexFlags flags;
    // The preset brings its image's Airflow constraints (or their URL) and essential pins; nullopt (an explicit
    // --python-version target) has neither.
    std::optional<image::Preset> preset;
    AirflowConstraints airflow = AirflowConstraints::download;
    std::filesystem::path airflow_file;              // AirflowConstraints::file: a path or an http(s) URL
    bool require_hashes = false;                     // --require-hashes (also turned on by any --hash line)
    // --installed FILE: the environment's packages (pip freeze output: name==version lines; a bare name is a
    // package of unknown version). It replaces the preset image's set.
    std::optional<std::filesystem::path> installed_file;
    bool full_bundle = false;  // --full-bundle: no installed set, the whole closure is bundled
    std::optional<std::filesystem::path> cache_dir;  // page cache for the downloaded constraints
    EnvironmentLookup environment;                   // unset: the process environment
};

// One file the result depends on, hashed so that a lock records exactly what it was made from.
struct InputFile {
    std::string kind;  // "requirements", "constraints", "airflow-constraints"
    std::string location;
    std::string sha256;
};

struct Inputs {
    std::vector<resolve::RootRequirement> requirements;
    std::vector<resolve::Constraint> constraints;  // user's, then Airflow's, then MWAA's essential pins
    index::Sources sources;
    std::vector<std::string> trusted_hosts;
    resolve::Options options;  // pre, only-binary/no-binary, prefer-binary
    // pip's hash-checking mode: on with --require-hashes or as soon as one line has --hash. Then every wheel
    // must match one of its project's --hash digests (index digests do not count), and files whose digest
    // the index gives and no --hash allows are not candidates.
    bool require_hashes = false;
    std::map<std::string, std::vector<std::string>> hashes;  // canonical project -> allowed sha256 (lower hex)
    std::vector<InputFile> files;
    std::vector<std::string> warnings;
    std::optional<InstalledSet> installed;  // what the target already has; none: everything is installed
};

// Reads an installed set in pip freeze format (`name==version`; a bare name or `name @ URL`: version unknown;
// comments and -e lines are ignored).
auto read_installed_file(const std::filesystem::path& path) -> Expected<InstalledSet>;
// A preset's image as an installed set; nullopt for presets without installed-set data.
auto image_installed_set(const image::Preset& preset) -> std::optional<InstalledSet>;

// MWAA's essential pins for a preset: the packages MWAA always constrains and users cannot override, from the
// image's etc/mwaa_essential_constraints.txt (origins "mwaa-2.10.3 image etc/mwaa_essential_constraints.txt:12");
// presets without that file pin apache-airflow only.
auto essential_constraints(const image::Preset& preset) -> Expected<std::vector<resolve::Constraint>>;
// The same pins as requirement strings ("Flask==2.2.5").
auto essential_pins(const image::Preset& preset) -> std::vector<std::string>;

// The URL an http(s) include or constraints file is read from, through the engine (a reqfile Fetcher).
auto make_fetcher(http::Engine& engine) -> reqfile::Fetcher;

// Reads everything. Errors: invalid_input with file:line for bad files, network for downloads.
auto read_inputs(const InputOptions& options, http::Engine& engine) -> Expected<Inputs>;

// Hash-checking mode's rule for one chosen file: its sha256 must be one of its project's --hash digests
// (`allowed`, as Inputs::hashes). A verification error (exit 4) names the file otherwise.
auto check_hash_allowed(const std::map<std::string, std::vector<std::string>>& allowed, std::string_view project,
                        std::string_view version, std::string_view filename, std::string_view sha256) -> Expected<void>;

}  // namespace wheelhouse::app
