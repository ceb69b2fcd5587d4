// `wheelhouse sbom`, `wheelhouse licenses` and `wheelhouse audit`: what is in a built bundle (dist/) or a lock.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "check_options.hpp"
#include "commands.hpp"
#include "reference.hpp"
#include "wheelhouse/app/audit.hpp"
#include "wheelhouse/app/inventory.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/file.hpp"

namespace wheelhouse::cli {
namespace {

namespace fs = std::filesystem;

auto cache_of(const std::string& flag) -> std::optional<fs::path> {
    return flag.empty() ? cache::default_cache_dir() : fs::path(flag);
}

void add_path(CLI::App& sub, std::string& path, std::string& cache_dir) {
    sub.add_option("path", path, "The folder `wheelhouse build` wrote (default dist), or a lock file")
        ->type_name(file_type);
    sub.add_option("--cache-dir", cache_dir, "Wheel cache a lock's wheels are read from (licences)")
        ->type_name(dir_type);
}

class SbomCommand final : public Command {
public:
    std::string m_path = "dist";
    std::string m_output;
    std::string m_cache_dir;

    auto run(const Terminal& terminal) -> int override {
        auto inventory = app::inventory_from_path(m_path, cache_of(m_cache_dir));
        if (!inventory) return report_error(terminal, inventory.error());
        for (const auto& w : inventory->warnings) terminal.warn(w);
        const auto text = app::sbom_text(*inventory);
        if (!m_output.empty()) {
            if (auto ok = util::write_file_atomic(m_output, text); !ok) return report_error(terminal, ok.error());
            terminal.info(fmt::format("wrote {} (CycloneDX 1.6, {} components)", m_output,
                                      inventory->packages.size() + inventory->files.size()));
            return 0;
        }
        if (terminal.json()) {
            terminal.out_json(nlohmann::json::parse(text));
        } else {
            terminal.out(text);
        }
        return 0;
    }
};

auto pad(const std::string& text, std::size_t width) -> std::string {
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

class LicensesCommand final : public Command {
public:
    std::string m_path = "dist";
    std::string m_cache_dir;
    PolicyFlags m_policy;

    auto run(const Terminal& terminal) -> int override {
        auto policy = m_policy.resolve();
        if (!policy) return report_error(terminal, policy.error());
        auto inventory = app::inventory_from_path(m_path, cache_of(m_cache_dir));
        if (!inventory) return report_error(terminal, inventory.error());
        for (const auto& w : inventory->warnings) terminal.warn(w);
        auto report = app::license_report(*inventory, *policy);
        if (terminal.json()) {
            terminal.out_json(app::license_report_json(report));
        } else {
            std::vector<std::array<std::string, 5>> rows{{"package", "version", "licence", "source", "pulled in by"}};
            for (const auto& r : report.rows) {
                rows.push_back({r.environment ? r.name + " (environment)" : r.name, r.version, r.license, r.source,
                                r.environment ? std::string("the MWAA image")
                                              : fmt::format("{}", fmt::join(r.pulled_in_by, ", "))});
            }
            std::array<std::size_t, 5> width{};
            for (const auto& row : rows)
                for (std::size_t i = 0; i < 5; ++i)
                    width[i] = std::max(width[i], std::min<std::size_t>(row[i].size(), 60));
            std::string text;
            for (std::size_t k = 0; k < rows.size(); ++k) {
                const auto& row = rows[k];
                std::string line;
                for (std::size_t i = 0; i < 4; ++i) line += pad(row[i], width[i]) + "  ";
                line += row[4];
                text += (k == 0 ? terminal.bold(line) : line) + "\n";
            }
            text += fmt::format("{} packages; SPDX licence list {}", report.rows.size(), licenses::spdx_list_version());
            terminal.out(text);
        }
        if (report.violations > 0) return report_error(terminal, app::license_policy_error(report));
        return 0;
    }
};

class AuditCommand final : public Command {
public:
    std::string m_path = "dist";
    std::string m_cache_dir;
    AdvisoryFlags m_advisories;

    auto run(const Terminal& terminal) -> int override {
        auto options = m_advisories.resolve();
        auto inventory = app::inventory_from_path(m_path, cache_of(m_cache_dir));
        if (!inventory) return report_error(terminal, inventory.error());
        auto result = app::audit(*inventory, *options);
        if (!result) return report_error(terminal, result.error());
        for (const auto& w : result->warnings) terminal.warn(w);
        const bool failed = result->failed(options->fail_on);
        if (terminal.json()) {
            terminal.out_json(app::audit_json(*result, options->fail_on));
        } else {
            std::string text;
            for (const auto& f : result->findings) {
                text += fmt::format("{} {} {}  {}\n", f.environment ? terminal.dim("[environment]") : "",
                                    terminal.bold(f.package + " " + f.version), terminal.red(f.id),
                                    f.aliases.empty() ? "" : fmt::format("{}", fmt::join(f.aliases, ", ")));
                if (!f.summary.empty()) text += fmt::format("    {}\n", f.summary);
                if (f.fixes.empty()) text += "    no fixed version\n";
                for (const auto& x : f.fixes) {
                    text += x.allowed ? fmt::format("    fixed in {}: allowed on {}\n", x.version, inventory->target)
                                      : fmt::format("    fixed in {}: NOT allowed on {}: {}\n", x.version,
                                                    inventory->target, fmt::join(x.blocked_by, "; "));
                }
                if (!f.pulled_in_by.empty())
                    text += fmt::format("    pulled in by {}\n", fmt::join(f.pulled_in_by, ", "));
            }
            for (const auto& i : result->ignored) text += fmt::format("ignored {}\n", i);
            text += fmt::format(
                "{} {} finding(s) in {} bundled and {} environment packages ({} advisories, {} "
                "withdrawn skipped)",
                result->findings.empty() ? terminal.green("ok") : terminal.red("FOUND"), result->findings.size(),
                result->packages, result->environment_packages, result->advisories, result->withdrawn);
            terminal.out(text);
        }
        if (failed) return exit_code_for(ErrorCode::advisories);
        return 0;
    }
};

}  // namespace

auto add_sbom_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<SbomCommand>();
    auto* sub = parent.add_subcommand("sbom", "Write the CycloneDX 1.6 SBOM of a built bundle or a lock");
    add_path(*sub, command->m_path, command->m_cache_dir);
    sub->add_option("-o,--output", command->m_output, "Write it to this file (default: stdout)")->type_name(file_type);
    sub->footer(
        "The same document `build` writes as DIR/sbom.cdx.json: one component per bundled wheel (purl, sha256,\n"
        "declared licence), the MWAA image's packages as provided by the environment, the dependency graph and the\n"
        "bundle's files. Reproducible: SOURCE_DATE_EPOCH (or the build's) sets the timestamp, the serial number comes\n"
        "from the content. A lock's licences come from its wheels in the cache.\n"
        "Examples:\n"
        "  wheelhouse sbom dist/ -o sbom.cdx.json\n"
        "  wheelhouse sbom wheelhouse.lock.json");
    return {sub, std::move(command)};
}

auto add_licenses_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<LicensesCommand>();
    auto* sub = parent.add_subcommand("licenses", "List the bundled packages' licences; check them against a policy");
    add_path(*sub, command->m_path, command->m_cache_dir);
    command->m_policy.add_to(*sub);
    sub->footer(
        "Licence: the SPDX expression of License-Expression, else of a trove classifier that names one licence,\n"
        "else of the License field where it names one exactly, else the field's text; never guessed. Source says\n"
        "which (expression, classifier, field, unknown). A policy failure exits 10 and names the packages.\n"
        "Examples:\n"
        "  wheelhouse licenses dist/\n"
        "  wheelhouse licenses dist/ --deny GPL-3.0-only,AGPL-3.0-only\n"
        "  wheelhouse licenses dist/ --license-policy pyproject.toml --json");
    return {sub, std::move(command)};
}

auto add_audit_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<AuditCommand>();
    auto* sub = parent.add_subcommand("audit", "Check a bundle or a lock against known vulnerabilities, offline");
    add_path(*sub, command->m_path, command->m_cache_dir);
    command->m_advisories.add_to(*sub, true);
    sub->footer(
        "Affected: the version is listed by the advisory, or lies in one of its ECOSYSTEM ranges (PEP 440 order).\n"
        "Withdrawn advisories are skipped. The MWAA image's packages are audited too, labelled [environment]. For\n"
        "each fixed version: whether the target's constraints (constraints.txt, MWAA's essential pins) allow it.\n"
        "Findings exit 11 (--fail-on none: 0).\n"
        "Examples:\n"
        "  wheelhouse audit dist/ --advisories advisory-database/vulns\n"
        "  wheelhouse audit wheelhouse.lock.json --advisories all.zip --ignore PYSEC-2023-74 --json");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
