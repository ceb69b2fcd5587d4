// The advisory audit: bundled and image packages against OSV records, and whether the target allows the fixes.
#include "wheelhouse/app/audit.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

// MWAA's essential pins for a target name: the one place that knows how presets are looked up here.
auto essential_pins_of(const std::string& target) -> std::vector<std::string> {
    auto preset = image::find_preset(target);
    if (!preset || preset->name != target) return {};
    return essential_pins(*preset);
}

auto in(const std::vector<std::string>& list, const std::string& value) -> bool {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

auto target_constraints(const Inventory& inventory) -> std::vector<TargetConstraint> {
    std::vector<TargetConstraint> out;
    int number = 0;
    for (auto line : util::split(inventory.constraints, '\n')) {
        ++number;
        auto text = util::trim(line);
        if (auto hash = text.find(" #"); hash != std::string_view::npos) text = util::trim(text.substr(0, hash));
        if (text.empty() || text.front() == '#' || text.front() == '-') continue;
        auto req = pep508::Requirement::parse(text);
        if (!req) continue;  // constraints.txt was written by build: a line it cannot read is not a pin
        out.push_back({req->canonical_name(), std::string(text), fmt::format("constraints.txt:{}", number)});
    }
    for (const auto& pin : essential_pins_of(inventory.target)) {
        auto req = pep508::Requirement::parse(pin);
        if (!req) continue;
        out.push_back({req->canonical_name(), pin, fmt::format("MWAA essential pins ({})", inventory.target)});
    }
    return out;
}

auto audit(const Inventory& inventory, const advisories::Database& database, const AuditOptions& options)
    -> AuditResult {
    AuditResult result;
    result.advisories = database.advisories().size();
    result.withdrawn = database.withdrawn();
    result.warnings = database.warnings();
    const auto constraints = target_constraints(inventory);

    auto fixes_for = [&](const std::string& name, const std::string& version, const std::vector<std::string>& fixed) {
        std::vector<Fix> out;
        auto current = pep440::Version::parse(version);
        for (const auto& f : fixed) {
            auto v = pep440::Version::parse(f);
            if (!v || (current && !(*current < *v))) continue;  // only upgrades are fixes
            Fix fix{f, true, {}};
            for (const auto& c : constraints) {
                if (c.name != name) continue;
                auto req = pep508::Requirement::parse(c.requirement);
                if (!req || req->specifier.contains(*v, true)) continue;
                fix.allowed = false;
                fix.blocked_by.push_back(fmt::format("{}: {}", c.origin, c.requirement));
            }
            out.push_back(std::move(fix));
        }
        return out;
    };
    auto add = [&](const std::string& name, const std::string& version, bool environment,
                   const std::vector<std::string>& pulled_in_by) {
        for (const auto& f : database.match(name, version)) {
            const auto& a = *f.advisory;
            bool skip = in(options.ignore, a.id) || std::any_of(a.aliases.begin(), a.aliases.end(),
                                                                [&](const auto& x) { return in(options.ignore, x); });
            if (skip) {
                result.ignored.push_back(fmt::format("{} ({} {})", a.id, name, version));
                continue;
            }
            result.findings.push_back({name, version, environment, a.id, a.aliases, a.summary, a.advisory_url,
                                       fixes_for(name, version, f.fixed), pulled_in_by});
        }
    };
    for (const auto& p : inventory.packages) {
        std::vector<std::string> who;
        for (const auto& r : p.required_by) {
            auto w = r.parent.empty() ? (r.origin.empty() ? std::string("requirements") : r.origin) : r.parent;
            if (!in(who, w)) who.push_back(w);
        }
        add(p.name, p.version, false, who);
        ++result.packages;
    }
    if (inventory.image) {
        for (const auto& p : inventory.image->installed) {
            if (!p.version) continue;  // pip, setuptools ...: the image's bill of materials has no version
            add(p.name, *p.version, true, {});
            ++result.environment_packages;
        }
    }
    return result;
}

auto audit(const Inventory& inventory, const AuditOptions& options) -> Expected<AuditResult> {
    auto db = advisories::Database::load(options.advisories);
    if (!db) return unexpected(std::move(db).error());
    return audit(inventory, *db, options);
}

auto audit_json(const AuditResult& result, FailOn fail_on) -> nlohmann::json {
    auto findings = nlohmann::json::array();
    for (const auto& f : result.findings) {
        auto fixes = nlohmann::json::array();
        for (const auto& x : f.fixes)
            fixes.push_back({{"version", x.version}, {"allowed", x.allowed}, {"blocked_by", x.blocked_by}});
        findings.push_back({{"package", f.package},
                            {"version", f.version},
                            {"environment", f.environment},
                            {"id", f.id},
                            {"aliases", f.aliases},
                            {"summary", f.summary},
                            {"url", f.url ? nlohmann::json(*f.url) : nlohmann::json(nullptr)},
                            {"fixes", fixes},
                            {"pulled_in_by", f.pulled_in_by}});
    }
    return {{"ok", !result.failed(fail_on)},   {"findings", findings},
            {"packages", result.packages},     {"environment_packages", result.environment_packages},
            {"advisories", result.advisories}, {"withdrawn", result.withdrawn},
            {"ignored", result.ignored},       {"warnings", result.warnings}};
}

auto audit_lines(const AuditResult& result) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& f : result.findings) {
        std::string fixes;
        if (f.fixes.empty()) {
            fixes = "no fixed version";
        } else {
            std::vector<std::string> parts;
            for (const auto& x : f.fixes) {
                parts.push_back(x.allowed ? x.version
                                          : fmt::format("{} (not allowed on the target: {})", x.version,
                                                        util::join(x.blocked_by, "; ")));
            }
            fixes = "fixed in " + util::join(parts, ", ");
        }
        out.push_back(fmt::format("{}{} {}  {}{}  {}", f.environment ? "[environment] " : "", f.package, f.version,
                                  f.id, f.aliases.empty() ? "" : " (" + util::join(f.aliases, ", ") + ")", fixes));
    }
    return out;
}

auto audit_error(const AuditResult& result) -> Error {
    std::string text = fmt::format("{} known vulnerabilit{} in the bundle and its environment:", result.findings.size(),
                                   result.findings.size() == 1 ? "y" : "ies");
    for (const auto& line : audit_lines(result)) text += "\n  " + line;
    return make_error(ErrorCode::advisories, text).error;
}

}  // namespace wheelhouse::app
