// The offline advisory audit of a bundle or a lock: every bundled package and every package of the MWAA image
// matched against OSV records, with what a fix would take on this target (the Airflow constraints and MWAA's
// essential pins may forbid the fixed version).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/advisories/advisories.hpp"
#include "wheelhouse/app/inventory.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

enum class FailOn { any, none };

struct AuditOptions {
    std::filesystem::path advisories;  // a folder of OSV records or an OSV export zip
    std::vector<std::string> ignore;   // advisory ids or aliases to leave out
    FailOn fail_on = FailOn::any;
};

// One fixed version and whether the target lets it in.
struct Fix {
    std::string version;
    bool allowed = true;
    std::vector<std::string> blocked_by;  // "constraints.txt:12: urllib3==1.26.16", "MWAA essential pin ..."
};

struct AuditFinding {
    std::string package;  // canonical
    std::string version;
    bool environment = false;  // the image's package, not a bundled one
    std::string id;
    std::vector<std::string> aliases;
    std::string summary;
    std::optional<std::string> url;
    std::vector<Fix> fixes;  // the fixed versions above the installed one, lowest first
    std::vector<std::string> pulled_in_by;
};

struct AuditResult {
    std::vector<AuditFinding> findings;  // bundled first, then the environment's; by package, then id
    std::size_t packages = 0;            // bundled packages checked
    std::size_t environment_packages = 0;
    std::size_t advisories = 0;  // records read
    std::size_t withdrawn = 0;
    std::vector<std::string> ignored;  // findings left out by --ignore, "ID (package version)"
    std::vector<std::string> warnings;

    [[nodiscard]] auto failed(FailOn fail_on) const -> bool { return fail_on == FailOn::any && !findings.empty(); }
};

// The constraints a fix must satisfy on the target: constraints.txt's pins and MWAA's essential pins of the preset
// named `target` (none for an explicit target).
struct TargetConstraint {
    std::string name;  // canonical
    std::string requirement;
    std::string origin;  // "constraints.txt:12", "MWAA essential pins (mwaa-2.10.3)"
};
auto target_constraints(const Inventory& inventory) -> std::vector<TargetConstraint>;

auto audit(const Inventory& inventory, const advisories::Database& database, const AuditOptions& options)
    -> AuditResult;
// Loads the records, then audits.
auto audit(const Inventory& inventory, const AuditOptions& options) -> Expected<AuditResult>;

auto audit_json(const AuditResult& result, FailOn fail_on) -> nlohmann::json;
// ErrorCode::advisories, one line per finding (for build --advisories).
auto audit_error(const AuditResult& result) -> Error;
// One line per finding, for terminals: "urllib3 1.26.16  PYSEC-2023-192 (CVE-2023-43804, GHSA-...)  fixed in ...".
auto audit_lines(const AuditResult& result) -> std::vector<std::string>;

}  // namespace wheelhouse::app

namespace wheelhouse::app {

// What `build` checks and writes about the bundle beside it: sbom.cdx.json always; the licence policy and the
// advisory audit when given.
struct BundleChecks {
    licenses::Policy policy;
    std::optional<AuditOptions> audit;
};

struct BundleFacts {
    std::string sbom_sha256;
    std::uint64_t sbom_size = 0;
    LicenseReport licenses;
    std::optional<AuditResult> audit;
    std::optional<FailOn> fail_on;
};

inline constexpr const char* k_sbom_name = "sbom.cdx.json";

// For `build`, once the bundle's files exist in `staging`: reads the wheels' licences (from `wheel_paths`, file
// name -> path), applies the policy (ErrorCode::license_policy) and the audit (ErrorCode::advisories unless
// --fail-on none), and writes staging/sbom.cdx.json. `report` is build_report_json's document.
auto describe_build(const nlohmann::json& report, const std::map<std::string, std::filesystem::path>& wheel_paths,
                    const std::string& constraints, const BundleChecks& checks, const std::filesystem::path& staging)
    -> Expected<BundleFacts>;

// build-report.json's "sbom" entry ({file, sha256, size}) and, when audited, its "audit" summary.
void add_facts_to_report(const BundleFacts& facts, nlohmann::json& report);

}  // namespace wheelhouse::app
