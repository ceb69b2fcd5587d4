// What is in a bundle (or a lock): its packages with their declared licences and dependency graph, the MWAA image
// packages below it, and its files. The SBOM, the licence table and the advisory audit are all made from this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/licenses/licenses.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

struct InventoryPackage {
    std::string name;  // canonical
    std::string version;
    std::string filename;
    std::string url;
    std::string sha256;
    std::vector<resolve::RequiredBy> required_by;
    licenses::Declared license;           // Source::unknown when the wheel was not at hand
    std::optional<std::string> replaces;  // the image's version this bundled wheel replaces
};

// A package the MWAA image has installed ("provided by the environment"): name and version only.
struct ImagePackage {
    std::string name;  // canonical
    std::optional<std::string> version;
};

struct ImageInfo {
    std::string preset;
    std::string source;
    std::vector<ImagePackage> installed;
};

struct InventoryFile {
    std::string name;
    std::string sha256;
};

struct Inventory {
    std::string subject;  // "plugins.zip for mwaa-2.10.3", "wheelhouse.lock.json for mwaa-2.10.3"
    std::string target;   // the target's name (a preset, or "custom")
    std::string python_full_version;
    std::vector<std::string> platforms;
    std::optional<ImageInfo> image;
    std::vector<InventoryPackage> packages;  // bundled, sorted by name
    std::vector<InventoryFile> files;
    std::optional<std::int64_t> source_date_epoch;  // the build's; nullopt: the zip's fixed time (1980-01-01)
    std::string constraints;                        // constraints.txt's text, when known
    std::vector<std::string> warnings;
};

// A wheel's bytes (from the cache, or read out of plugins.zip) by file name; nullopt when not at hand.
using WheelSource =
    std::function<Expected<std::optional<std::string>>(const std::string& filename, const std::string& sha256)>;

// From build-report.json's content (as build writes it) and the wheels: every package's licence comes from its
// wheel's METADATA. `files` are the bundle's own files with their digests.
auto inventory_from_report(const nlohmann::json& report, const WheelSource& wheels) -> Expected<Inventory>;

// A built bundle: DIR/build-report.json, the wheels read out of DIR/plugins.zip (each checked against the report's
// sha256), DIR/constraints.txt.
auto inventory_from_dist(const std::filesystem::path& dist) -> Expected<Inventory>;

// A lock file: licences from the wheels found in the cache (by their sha256), else unknown (a warning says how
// many); packages the image provides are the environment's.
auto inventory_from_lock(const std::filesystem::path& lock, const std::optional<std::filesystem::path>& cache_dir)
    -> Expected<Inventory>;

// DIR or LOCK: a folder is a bundle, a file a lock.
auto inventory_from_path(const std::filesystem::path& path, const std::optional<std::filesystem::path>& cache_dir)
    -> Expected<Inventory>;

// The CycloneDX 1.6 document (sbom.cdx.json's bytes).
auto sbom_text(const Inventory& inventory) -> std::string;

// ---- licences ---------------------------------------------------------------------------------

struct LicenseRow {
    std::string name;
    std::string version;
    std::string license;  // the SPDX expression, else the name, else "unknown"
    std::string source;   // expression, classifier, field, unknown
    bool environment = false;
    std::vector<std::string> pulled_in_by;  // "requirements.txt:3" for top-level ones, else the parents
    std::optional<std::string> violation;   // why the policy refuses it
};

struct LicenseReport {
    std::vector<LicenseRow> rows;  // bundled first (by name), then the environment's
    std::size_t violations = 0;
};

// The policy applies to bundled packages only: the image's are not shipped in plugins.zip (and their licences are
// unknown here).
auto license_report(const Inventory& inventory, const licenses::Policy& policy) -> LicenseReport;
auto license_report_json(const LicenseReport& report) -> nlohmann::json;
// A licence-policy error (ErrorCode::license_policy) naming each refused package, its licence and who pulled it in.
auto license_policy_error(const LicenseReport& report) -> Error;

// --license-policy FILE, --allow, --deny together.
auto load_policy(const std::optional<std::filesystem::path>& file, const std::vector<std::string>& allow,
                 const std::vector<std::string>& deny) -> Expected<licenses::Policy>;

}  // namespace wheelhouse::app
