// build's hook for what is in the bundle: licences (policy), advisories (audit) and sbom.cdx.json.
#include <fmt/format.h>

#include "wheelhouse/app/audit.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::app {

auto describe_build(const nlohmann::json& report, const std::map<std::string, std::filesystem::path>& wheel_paths,
                    const std::string& constraints, const BundleChecks& checks, const std::filesystem::path& staging)
    -> Expected<BundleFacts> {
    WheelSource wheels = [&](const std::string& filename,
                             const std::string& /*sha256*/) -> Expected<std::optional<std::string>> {
        auto it = wheel_paths.find(filename);
        if (it == wheel_paths.end()) return std::optional<std::string>{};
        auto bytes = util::read_file(it->second);
        if (!bytes) return unexpected(std::move(bytes).error());
        return std::optional<std::string>(std::move(*bytes));
    };
    auto inventory = inventory_from_report(report, wheels);
    if (!inventory) return unexpected(std::move(inventory).error());
    inventory->constraints = constraints;

    BundleFacts facts;
    facts.licenses = license_report(*inventory, checks.policy);
    if (facts.licenses.violations > 0) return unexpected(license_policy_error(facts.licenses));
    if (checks.audit) {
        auto audited = audit(*inventory, *checks.audit);
        if (!audited) return unexpected(std::move(audited).error());
        if (audited->failed(checks.audit->fail_on)) return unexpected(audit_error(*audited));
        facts.audit = std::move(*audited);
        facts.fail_on = checks.audit->fail_on;
    }
    const auto text = sbom_text(*inventory);
    if (auto ok = util::write_file_atomic(staging / k_sbom_name, text); !ok) return unexpected(ok.error());
    facts.sbom_sha256 = util::sha256_hex(text);
    facts.sbom_size = text.size();
    return facts;
}

void add_facts_to_report(const BundleFacts& facts, nlohmann::json& report) {
    report["sbom"] = {{"file", k_sbom_name},
                      {"sha256", facts.sbom_sha256},
                      {"size", facts.sbom_size},
                      {"format", "CycloneDX 1.6 JSON"}};
    if (facts.audit) {
        report["audit"] = audit_json(*facts.audit, facts.fail_on.value_or(FailOn::any));
    }
}

}  // namespace wheelhouse::app
