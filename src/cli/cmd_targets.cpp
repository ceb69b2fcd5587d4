// `wheelhouse targets`: the MWAA presets and what each one means.
#include <fmt/format.h>

#include "commands.hpp"
#include "wheelhouse/tags/target.hpp"

namespace wheelhouse::cli {
namespace {

class TargetsCommand final : public Command {
public:
    auto run(const Terminal& terminal) -> int override {
        const auto& all = tags::presets();
        if (terminal.json()) {
            auto list = nlohmann::json::array();
            for (const auto& preset : all) {
                auto target = preset.target();
                list.push_back({
                    {"name", preset.name},
                    {"airflow_version", preset.airflow_version},
                    {"python_version", preset.python.to_string()},
                    {"python_full_version", preset.python.full_version()},
                    {"implementation", target.implementation()},
                    {"abis", target.abis()},
                    {"base_os", preset.base_os},
                    {"glibc", fmt::format("{}.{}", preset.glibc_major, preset.glibc_minor)},
                    {"arch", preset.arch},
                    {"platforms", target.platforms()},
                    {"tag_count", target.tags().size()},
                    {"constraints_file", preset.constraints_file},
                    {"constraints_url", preset.constraints_url},
                });
            }
            terminal.out_json(list);
            return 0;
        }
        std::string text = terminal.bold(fmt::format("{:<14} {:<8} {:<7} {:<20} {:<6} {}", "TARGET", "AIRFLOW",
                                                     "PYTHON", "BASE OS", "GLIBC", "NEWEST PLATFORM TAG")) +
                           "\n";
        for (const auto& preset : all) {
            auto target = preset.target();
            text += fmt::format("{:<14} {:<8} {:<7} {:<20} {:<6} {}\n", preset.name, preset.airflow_version,
                                preset.python.to_string(), preset.base_os,
                                fmt::format("{}.{}", preset.glibc_major, preset.glibc_minor),
                                target.platforms().empty() ? std::string("any") : target.platforms().front());
        }
        text += terminal.dim(
            "Aliases: mwaa-<major.minor> and mwaa-<major>.x pick the newest preset of that line; "
            "explicit targets: --python-version, --platform, --abi, --implementation.");
        terminal.out(text);
        return 0;
    }
};

}  // namespace

auto add_targets_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto* sub = parent.add_subcommand("targets", "List the MWAA target presets (Python, platform, constraints)");
    sub->footer(
        "A --target takes a preset name, mwaa-<major.minor> or mwaa-<major>.x (the newest preset of that line),\n"
        "or mwaa-latest.\n"
        "Examples:\n"
        "  wheelhouse targets\n"
        "  wheelhouse targets --json");
    return {sub, std::make_unique<TargetsCommand>()};
}

}  // namespace wheelhouse::cli
