// `wheelhouse verify dist/`: proves offline, from the bundle alone, that pip on the MWAA target would install it.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "check_options.hpp"
#include "commands.hpp"
#include "reference.hpp"
#include "target_options.hpp"
#include "wheelhouse/app/inventory.hpp"
#include "wheelhouse/app/verify.hpp"
#include "wheelhouse/util/file.hpp"

namespace wheelhouse::cli {
namespace {

class VerifyCommand final : public Command {
public:
    std::string m_dist = "dist";
    TargetFlags m_target;
    std::string m_plugins_path = "/usr/local/airflow/plugins";
    std::string m_wheel_dir;
    PolicyFlags m_policy;

    auto run(const Terminal& terminal) -> int override {
        auto policy = m_policy.resolve();
        if (!policy) return report_error(terminal, policy.error());
        app::VerifyOptions options;
        options.dist = m_dist;
        options.plugins_path = m_plugins_path;
        options.wheel_dir = m_wheel_dir;
        // Without target flags, the target the bundle was built for (build-report.json) is checked.
        auto flags = m_target;
        if (!flags.given()) {
            if (auto text = util::read_file(options.dist / "build-report.json")) {
                auto report = nlohmann::json::parse(*text, nullptr, false);
                if (report.is_object() && report.contains("target") && report["target"].is_object() &&
                    report["target"].contains("name") && report["target"]["name"].is_string()) {
                    flags.preset = report["target"]["name"].get<std::string>();
                }
            }
        }
        auto target = flags.resolve();
        if (!target) return report_error(terminal, target.error());
        options.target = *target;
        if (!flags.preset.empty()) {
            auto preset = image::find_preset(flags.preset);
            if (!preset) return report_error(terminal, preset.error());
            options.preset = *preset;
        }
        if (!m_target.installed_file.empty()) {
            auto installed = app::read_installed_file(m_target.installed_file);
            if (!installed) return report_error(terminal, installed.error());
            options.installed = std::move(*installed);
        } else if (options.preset) {
            options.installed = app::image_installed_set(*options.preset);
        }
        if (options.preset && options.preset->airflow_constraints) {
            options.image_constraints = *options.preset->airflow_constraints;
            options.image_constraints_origin = options.preset->airflow_constraints_origin();
        }
        auto result = app::verify(options);
        if (!result) return report_error(terminal, result.error());
        if (!terminal.json()) {
            for (const auto& w : result->warnings) terminal.warn(w.message);
        }
        if (terminal.json()) {
            terminal.out_json(app::verify_json(*result));
        } else if (result->ok()) {
            terminal.out(fmt::format("{} {}: {} wheels; pip on {} installs {} packages offline{}", terminal.green("ok"),
                                     m_dist, result->wheels.size(), result->target, result->installs.size(),
                                     result->kept.empty()
                                         ? std::string()
                                         : fmt::format(" and keeps {} the image has", result->kept.size())));
        } else {
            std::string text;
            for (const auto& p : result->problems) {
                std::string where =
                    p.file.empty() ? "" : (p.line > 0 ? fmt::format("{}:{}: ", p.file, p.line) : p.file + ": ");
                text += fmt::format("  {} {}{}\n", terminal.red(p.kind), where, p.message);
            }
            text += fmt::format("{} {}: {} problem(s); pip on {} would not install this bundle as intended\n",
                                terminal.red("FAILED"), m_dist, result->problems.size(), result->target);
            text +=
                "hint: build the bundle again with 'wheelhouse build' for this target (a bundle changed by hand "
                "or built for another target fails here), then verify it before deploying";
            terminal.out(text);
        }
        if (!result->ok()) return exit_code_for(ErrorCode::verification);
        return check_licenses(terminal, *policy);
    }

    // The licence policy over the bundle's wheels (their METADATA, read out of plugins.zip).
    auto check_licenses(const Terminal& terminal, const licenses::Policy& policy) const -> int {
        if (policy.empty()) return 0;
        auto inventory = app::inventory_from_dist(m_dist);
        if (!inventory) return report_error(terminal, inventory.error());
        auto report = app::license_report(*inventory, policy);
        if (report.violations > 0) return report_error(terminal, app::license_policy_error(report));
        return 0;
    }
};

}  // namespace

auto add_verify_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<VerifyCommand>();
    auto* sub = parent.add_subcommand("verify", "Check offline that pip on the target would install a built bundle");
    auto& c = *command;
    sub->add_option("dist", c.m_dist, "Folder with plugins.zip and requirements.txt (default dist)")
        ->type_name(dir_type);
    c.m_target.add_to(*sub);
    c.m_target.add_image_options(*sub, false);
    sub->add_option("--plugins-path", c.m_plugins_path,
                    "Where MWAA unzips plugins.zip (default /usr/local/airflow/plugins)");
    sub->add_option("--wheel-dir", c.m_wheel_dir, "Folder of the wheels inside plugins.zip, if build used one");
    c.m_policy.add_to(*sub);
    sub->footer(
        "Checks: --no-index, --find-links to the plugins folder, a '-c '/'--constraint ' line MWAA recognises (not a\n"
        "URL), every requirement and constraint satisfiable from the bundled wheels alone (the resolver over the\n"
        "bundle), every dependency present, every wheel compatible with the target, no sdists, hashes as in\n"
        "build-report.json. Without --target, the report's target is used. With a licence policy, a bundled\n"
        "licence it refuses exits 10.\n"
        "Examples:\n"
        "  wheelhouse verify dist/\n"
        "  wheelhouse verify dist/ --target mwaa-2.10.3 --json");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
