// The `build` pipeline: inputs -> resolution (or a lock) -> fetch into the cache -> reproducible plugins.zip ->
// MWAA requirements.txt + constraints.txt -> build-report.json, all written at once or not at all.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/audit.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/app/lock.hpp"
#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

struct BuildOptions {
    InputOptions inputs;  // -r/-c, index flags, Airflow constraints (not read with `locked`)
    tags::Target target;
    std::optional<std::filesystem::path> locked;  // --locked: build exactly this lock, no resolution
    std::filesystem::path output = "dist";
    std::optional<std::filesystem::path> plugins_dir;
    std::string wheel_dir;  // folder of the wheels inside plugins.zip; "" = the root
    std::string plugins_path = "/usr/local/airflow/plugins";
    std::uint64_t warn_size = bundle::k_default_warn_size;
    std::optional<std::uint64_t> max_size = bundle::k_default_max_size;
    std::optional<std::filesystem::path> cache_dir;  // nullopt: a private temporary cache (--no-cache)
    bool offline = false;                            // wheels from the cache only
    // jobs, --cert, --timeout, the reporter (index pages and wheels), and the cancel flag: set from a signal
    // handler, transfers stop at once, the build stops at the next step and removes what it staged; the outputs
    // of an earlier build stay as they were.
    TransferSettings transfer;
    // sbom.cdx.json is always written; a licence policy and an advisory audit (--advisories) when given.
    BundleChecks checks;
};

struct BuiltPackage {
    LockedPackage locked;  // the lock's fields: name, version, filename, url, sha256, size, extras, origin ...
    bool from_cache = false;
};

struct BuildTimings {
    std::chrono::milliseconds resolve{0};
    std::chrono::milliseconds fetch{0};
    std::chrono::milliseconds bundle{0};
    std::chrono::milliseconds total{0};
};

struct BuildResult {
    tags::Target target;
    std::vector<BuiltPackage> packages;  // sorted by name
    // The installed set the bundle was made against (none: the whole closure, --full-bundle or an explicit
    // target), and the packages of the resolution it keeps, which the bundle leaves out.
    std::optional<InstalledSet> image;
    std::vector<LockedPackage> provided;
    // The bytes of the index files of `provided` (those whose size the index gave): what the bundle saves.
    [[nodiscard]] auto provided_bytes() const -> std::uint64_t {
        std::uint64_t total = 0;
        for (const auto& p : provided) total += p.size.value_or(0);
        return total;
    }
    std::filesystem::path output;
    std::string bundle_sha256;
    std::uint64_t bundle_size = 0;
    std::size_t bundle_entries = 0;
    std::size_t downloaded = 0;
    std::size_t cached = 0;
    std::uint64_t downloaded_bytes = 0;
    std::size_t fetched_ahead = 0;         // of `downloaded`: while the resolution was still running
    std::size_t fetched_ahead_unused = 0;  // guessed ahead, then not chosen (left in the cache)
    std::string requirements;              // the text written to requirements.txt
    std::string constraints;               // ... and constraints.txt
    std::vector<std::string> warnings;
    std::vector<std::string> notes;
    BuildTimings timings;
    std::optional<std::int64_t> source_date_epoch;
    std::optional<BundleFacts> facts;  // the SBOM's digest, the licences, the audit
};

// Runs the whole pipeline. Outputs (plugins.zip, requirements.txt, constraints.txt, build-report.json) are
// first written under a private folder inside `output`, then renamed into place: a failure leaves the previous
// outputs as they were. Errors carry the usual codes (input 1, resolution 2, network 3, verification 4).
auto build(const BuildOptions& options) -> Expected<BuildResult>;

// build-report.json: {"generator", "target", "packages": [lock fields...], "bundle": {sha256, size, entries},
// "fetch": {...}, "timings_ms": {...}}.
auto build_report_json(const BuildResult& result) -> nlohmann::json;

// A lock file (as `lock` writes it) read back: its target name and packages.
struct LockFile {
    std::string target;
    std::vector<LockedPackage> packages;  // provided_by "image" for what the image keeps
    std::optional<InstalledSet> image;
};
auto read_lock_file(const std::filesystem::path& path) -> Expected<LockFile>;

}  // namespace wheelhouse::app
