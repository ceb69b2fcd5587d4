// `wheelhouse targets [show NAME]`: the MWAA presets, what each one means, and what its image holds.
#include <fmt/format.h>

#include "commands.hpp"
#include "reference.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/image/image.hpp"
#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cli {
namespace {

auto glibc_of(const image::Preset& preset) -> std::string {
    return fmt::format("{}.{}", preset.glibc_major, preset.glibc_minor);
}

// "192 packages" or "no installed-set data", as the table's IMAGE column says it.
auto image_summary(const image::Preset& preset) -> std::string {
    return preset.has_installed_set ? fmt::format("{} packages", preset.installed.size())
                                    : std::string("no installed-set data");
}

// The Airflow constraints a build applies for the preset: the image's copy (no network) or the download.
auto constraints_source(const image::Preset& preset) -> std::string {
    return preset.airflow_constraints ? "embedded" : "download";
}

// How many constraints the embedded copy holds (nullopt: none embedded).
auto constraints_count(const image::Preset& preset) -> std::optional<std::size_t> {
    if (!preset.airflow_constraints) return std::nullopt;
    reqfile::ParseOptions options;
    options.constraint = true;
    options.environment = [](std::string_view) { return std::optional<std::string>(); };
    auto parsed = reqfile::parse_text(*preset.airflow_constraints, preset.airflow_constraints_origin(), options);
    if (!parsed) return std::nullopt;
    return parsed->constraints.size();
}

auto list_json(const image::Preset& preset) -> nlohmann::json {
    auto target = preset.target();
    nlohmann::json source = nullptr;
    if (!preset.source.empty()) source = preset.source;
    return {
        {"name", preset.name},
        {"airflow_version", preset.airflow_version},
        {"python_version", preset.python.to_string()},
        {"python_full_version", preset.python.full_version()},
        {"implementation", target.implementation()},
        {"abis", target.abis()},
        {"base_os", preset.base_os},
        {"glibc", glibc_of(preset)},
        {"arch", preset.arch},
        {"platforms", target.platforms()},
        {"tag_count", target.tags().size()},
        {"constraints_file", preset.constraints_file},
        {"constraints_url", preset.constraints_url},
        {"constraints_source", constraints_source(preset)},
        {"has_installed_set", preset.has_installed_set},
        {"installed_count", preset.has_installed_set ? nlohmann::json(preset.installed.size()) : nlohmann::json()},
        {"image", image_summary(preset)},
        {"source", source},
    };
}

auto list(const Terminal& terminal) -> int {
    const auto& all = image::presets();
    if (terminal.json()) {
        auto out = nlohmann::json::array();
        for (const auto& preset : all) out.push_back(list_json(preset));
        terminal.out_json(out);
        return 0;
    }
    constexpr const char* row = "{:<12} {:<8} {:<8} {:<18} {:<6} {:<22} {}\n";
    std::string text = terminal.bold(
        fmt::format(row, "TARGET", "AIRFLOW", "PYTHON", "BASE OS", "GLIBC", "NEWEST PLATFORM TAG", "IMAGE"));
    for (const auto& preset : all) {
        text += fmt::format(row, preset.name, preset.airflow_version, preset.python.full_version(), preset.base_os,
                            glibc_of(preset), preset.platform_tag, image_summary(preset));
    }
    text += terminal.dim(
        "Aliases: mwaa-<major.minor> and mwaa-<major>.x pick the newest preset of that line, mwaa-latest the newest; "
        "'wheelhouse targets show NAME' shows one (Python, installed packages, constraints, data source). Explicit "
        "targets: --python-version, --platform, --abi, --implementation.");
    terminal.out(text);
    return 0;
}

auto show_json(const image::Preset& preset, const std::vector<std::string>& essential) -> nlohmann::json {
    auto doc = list_json(preset);
    auto target = preset.target();
    doc["newest_platform"] = preset.platform_tag;
    doc["platform_count"] = target.platforms().size();
    if (preset.paths.user_site.empty()) {
        doc["paths"] = nullptr;
    } else {
        doc["paths"] = {{"user_site", preset.paths.user_site},
                        {"airflow_constraints", preset.paths.airflow_constraints},
                        {"essential_constraints", preset.paths.essential_constraints}};
    }
    if (preset.has_installed_set) {
        auto installed = nlohmann::json::array();
        for (const auto& p : preset.installed) {
            installed.push_back({{"name", p.name},
                                 {"display_name", p.display_name},
                                 {"version", p.version ? nlohmann::json(*p.version) : nlohmann::json()}});
        }
        doc["installed"] = installed;
        doc["bom_count"] = preset.bom_count;
    } else {
        doc["installed"] = nullptr;
        doc["bom_count"] = nullptr;
    }
    auto count = constraints_count(preset);
    doc["airflow_constraints"] = {
        {"source", constraints_source(preset)},
        {"file", preset.airflow_constraints ? nlohmann::json(preset.airflow_constraints_file) : nlohmann::json()},
        {"origin", preset.airflow_constraints ? nlohmann::json(preset.airflow_constraints_origin()) : nlohmann::json()},
        {"url", preset.constraints_url},
        {"count", count ? nlohmann::json(*count) : nlohmann::json()},
    };
    doc["essential_pins"] = essential;
    doc["essential_constraints_file"] =
        preset.essential_constraints ? nlohmann::json(preset.essential_constraints_file) : nlohmann::json();
    doc["base_requirements"] = preset.base_requirements;
    if (preset.source.empty()) {
        doc["data_source"] = nullptr;
    } else {
        const auto& s = preset.data_source;
        doc["data_source"] = {{"kind", s.kind},
                              {"repository", s.repository},
                              {"commit", s.commit},
                              {"path", s.path},
                              {"license", s.license}};
    }
    return doc;
}

auto show(const Terminal& terminal, const std::string& name) -> int {
    auto found = image::find_preset(name);
    if (!found) return report_error(terminal, found.error());
    const auto& preset = *found;
    const auto essential = app::essential_pins(preset);
    if (terminal.json()) {
        terminal.out_json(show_json(preset, essential));
        return 0;
    }
    auto target = preset.target();
    auto line = [&](std::string_view label, const std::string& value) {
        return fmt::format("  {:<20} {}\n", label, value);
    };
    std::string text = terminal.bold(fmt::format("{}: Airflow {} on Amazon MWAA", preset.name, preset.airflow_version));
    text += "\n";
    text += line("Python", fmt::format("CPython {} ({})", preset.python.full_version(), target.abis().front()));
    text += line("Base OS", fmt::format("{} (glibc {}), {}", preset.base_os, glibc_of(preset), preset.arch));
    text += line("Platform tags", fmt::format("{} newest, {} platforms, {} tags", preset.platform_tag,
                                              target.platforms().size(), target.tags().size()));
    if (!preset.paths.user_site.empty()) text += line("User site", preset.paths.user_site);
    if (preset.airflow_constraints) {
        auto count = constraints_count(preset);
        text += line("Airflow constraints",
                     fmt::format("{} pins, embedded: {}{}", count ? fmt::format("{}", *count) : std::string("?"),
                                 preset.airflow_constraints_origin(),
                                 preset.paths.airflow_constraints.empty()
                                     ? std::string()
                                     : fmt::format(" (in the image: {})", preset.paths.airflow_constraints)));
    } else {
        text += line("Airflow constraints", fmt::format("downloaded at build time from {}", preset.constraints_url));
    }
    text += line("Essential pins",
                 fmt::format("{}{}: {}", essential.size(),
                             preset.essential_constraints ? " (" + preset.essential_constraints_origin() + ")"
                                                          : std::string(" (no image file: Airflow only)"),
                             util::join(essential, ", ")));
    if (!preset.base_requirements.empty()) text += line("Base requirements", util::join(preset.base_requirements, " "));
    if (!preset.source.empty()) {
        text += line("Data source", fmt::format("{} ({}), commit {}", preset.source, preset.data_source.license,
                                                preset.data_source.commit));
    } else {
        text += line("Data source", "none (known facts: Python, base OS, glibc)");
    }
    if (preset.has_installed_set) {
        std::vector<std::string> added;
        for (const auto& p : preset.installed) {
            if (!p.version || p.name == "wcwidth") added.push_back(p.display_name);
        }
        text += terminal.bold(fmt::format("Installed packages ({}: {} in the bill of materials, + {})",
                                          preset.installed.size(), preset.bom_count, util::join(added, ", ")));
        text += "\n";
        for (const auto& p : preset.installed) {
            text += fmt::format("  {:<44} {}\n", p.display_name, p.version.value_or("unknown"));
        }
    } else {
        text += "Installed packages: no installed-set data (the whole closure is bundled)\n";
    }
    while (!text.empty() && text.back() == '\n') text.pop_back();
    terminal.out(text);
    return 0;
}

class TargetsCommand final : public Command {
public:
    CLI::App* m_show = nullptr;
    std::string m_name;

    auto run(const Terminal& terminal) -> int override {
        if (m_show->parsed()) return show(terminal, m_name);
        return list(terminal);
    }
};

}  // namespace

auto add_targets_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<TargetsCommand>();
    auto* sub = parent.add_subcommand("targets", "List the MWAA target presets (Python, platform, image data)");
    sub->fallthrough();
    sub->require_subcommand(0, 1);
    command->m_show = sub->add_subcommand(
        "show", "One preset: exact Python, platform tags, installed packages, constraints, data source");
    command->m_show->add_option("name", command->m_name, "Preset name or alias, e.g. mwaa-2.10.3 or mwaa-3.x")
        ->required()
        ->type_name(target_type);
    command->m_show->footer(
        "Examples:\n"
        "  wheelhouse targets show mwaa-2.10.3\n"
        "  wheelhouse targets show mwaa-3.x --json");
    sub->footer(
        "A --target takes a preset name, mwaa-<major.minor> or mwaa-<major>.x (the newest preset of that line),\n"
        "or mwaa-latest. Presets with image data (IMAGE: N packages) carry the image's installed packages, its\n"
        "Airflow constraints and MWAA's essential pins, built in: a build needs no network beyond the index.\n"
        "Examples:\n"
        "  wheelhouse targets\n"
        "  wheelhouse targets --json\n"
        "  wheelhouse targets show mwaa-2.10.3\n"
        "  wheelhouse targets show mwaa-latest --json");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
