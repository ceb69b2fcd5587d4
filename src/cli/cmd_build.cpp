// `wheelhouse build`: requirements -> plugins.zip + requirements.txt + constraints.txt + build-report.json for MWAA.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "check_options.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "reference.hpp"
#include "source_options.hpp"
#include "target_options.hpp"
#include "wheelhouse/app/build.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cli {
namespace {

// "1GiB", "1G", "1GB" (binary units, as the size guard's defaults), "500M", "123456", "none".
auto parse_size(std::string_view text) -> Expected<std::optional<std::uint64_t>> {
    auto lower = util::to_lower(util::trim(text));
    if (lower == "none" || lower == "0") return std::optional<std::uint64_t>();
    std::size_t digits = 0;
    while (digits < lower.size() && util::is_ascii_digit(lower[digits])) ++digits;
    auto number = util::parse_uint64(std::string_view(lower).substr(0, digits));
    std::string unit = lower.substr(digits);
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (unit.size() == 2 && unit[1] == 'i') unit.pop_back();
    int shift = -1;
    if (unit.empty()) shift = 0;
    if (unit == "k") shift = 10;
    if (unit == "m") shift = 20;
    if (unit == "g") shift = 30;
    if (unit == "t") shift = 40;
    if (!number || digits == 0 || shift < 0 || (*number >> (64 - std::max(shift, 1))) != 0) {
        return make_error(ErrorCode::usage, fmt::format("--max-size: not a size: '{}'", text), {},
                          "e.g. 1GiB, 800M, 2G, or none");
    }
    return std::optional<std::uint64_t>(*number << shift);
}

class BuildCommand final : public Command {
public:
    std::vector<std::string> m_requirements;
    std::vector<std::string> m_constraints;
    std::string m_output = "dist";
    std::string m_locked;
    std::string m_plugins_dir;
    std::string m_wheel_dir;
    std::string m_plugins_path = "/usr/local/airflow/plugins";
    std::string m_max_size;
    TargetFlags m_target;
    SourceOptions m_sources;
    bool m_offline = false;
    PolicyFlags m_policy;
    AdvisoryFlags m_advisories;

    auto run(const Terminal& terminal) -> int override {
        if (m_requirements.empty() && m_locked.empty()) {
            return report_error(terminal, make_error(ErrorCode::usage, "nothing to build", {},
                                                     "pass -r requirements.txt, or --locked LOCK")
                                              .error);
        }
        auto target = m_target.resolve();
        if (!target) return report_error(terminal, target.error());
        app::BuildOptions options;
        options.target = *target;
        options.output = m_output;
        options.transfer = m_sources.transfer();
        options.offline = m_offline;
        options.wheel_dir = m_wheel_dir;
        options.plugins_path = m_plugins_path;
        if (!m_locked.empty()) options.locked = std::filesystem::path(m_locked);
        if (!m_plugins_dir.empty()) options.plugins_dir = std::filesystem::path(m_plugins_dir);
        if (!m_max_size.empty()) {
            auto size = parse_size(m_max_size);
            if (!size) return report_error(terminal, size.error());
            options.max_size = *size;
        }
        options.cache_dir = m_sources.cache_root();
        auto& inputs = options.inputs;
        inputs.requirement_files = m_requirements;
        inputs.constraint_files = m_constraints;
        m_sources.apply_to(inputs);
        m_target.apply_to(inputs);
        if (!m_target.preset.empty()) {
            auto preset = image::find_preset(m_target.preset);
            if (!preset) return report_error(terminal, preset.error());
            inputs.preset = *preset;
        }
        inputs.cache_dir = options.cache_dir;
        auto policy = m_policy.resolve();
        if (!policy) return report_error(terminal, policy.error());
        options.checks.policy = std::move(*policy);
        options.checks.audit = m_advisories.resolve();

        std::optional<ProgressLine> progress;
        if (isatty(STDERR_FILENO) != 0 && !terminal.options().quiet && !terminal.json()) {
            progress.emplace("Building");
            options.transfer.reporter = &*progress;
        }
        // Ctrl-C: transfers stop, the staged outputs and temporary downloads are removed, exit 130.
        install_interrupt_handlers();
        options.transfer.cancel = &interrupt_flag();
        auto result = app::build(options);
        progress.reset();
        if (!result) {
            const int code = report_error(terminal, result.error());
            return interrupt_flag().load() ? k_interrupted_exit : code;
        }
        for (const auto& w : result->warnings) terminal.warn(w);
        if (terminal.json()) {
            terminal.out_json(app::build_report_json(*result));
            return 0;
        }
        for (const auto& note : result->notes) terminal.warn(note);
        std::string text;
        for (const auto& p : result->packages) {
            text += fmt::format("{}=={}  {}\n", p.locked.name, p.locked.version, terminal.dim(p.locked.filename));
        }
        auto dir = std::filesystem::path(m_output);
        text += fmt::format("{} {} wheels for {} -> {} ({}, sha256 {})\n", terminal.green("built"),
                            result->packages.size(), result->target.name(), (dir / "plugins.zip").string(),
                            bundle::format_size(result->bundle_size), result->bundle_sha256);
        text +=
            fmt::format("  {}  {}  {}  {}\n", (dir / "requirements.txt").string(), (dir / "constraints.txt").string(),
                        (dir / "build-report.json").string(), (dir / app::k_sbom_name).string());
        if (result->image) {
            const auto known = std::count_if(result->provided.begin(), result->provided.end(),
                                             [](const app::LockedPackage& p) { return p.size.has_value(); });
            std::string bytes;
            if (known > 0) {
                bytes = " (" + bundle::format_size(result->provided_bytes()) +
                        (static_cast<std::size_t>(known) < result->provided.size()
                             ? fmt::format(" for the {} whose size the index gives", known)
                             : std::string()) +
                        ")";
            }
            text += fmt::format("  left out {} package{}{} that {} already has (--full-bundle keeps them)\n",
                                result->provided.size(), result->provided.size() == 1 ? "" : "s", bytes,
                                result->image->label);
        }
        if (result->facts && result->facts->audit) {
            for (const auto& line : app::audit_lines(*result->facts->audit)) terminal.warn(line);
            text += fmt::format("  audit: {} finding(s) (--fail-on none)\n", result->facts->audit->findings.size());
        }
        text += fmt::format("  {} downloaded, {} from the cache; {} ms", result->downloaded, result->cached,
                            result->timings.total.count());
        terminal.out(text);
        return 0;
    }
};

}  // namespace

auto add_build_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<BuildCommand>();
    auto* sub = parent.add_subcommand("build", "Build plugins.zip and requirements.txt that MWAA installs offline");
    auto& c = *command;
    sub->add_option("-r,--requirement", c.m_requirements, "Requirements file (path or URL; repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("-c,--constraint", c.m_constraints, "Constraints file (repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("-o,--output", c.m_output, "Output folder (default dist)")->type_name(dir_type);
    sub->add_option("--locked", c.m_locked, "Build exactly the packages of this lock file (no resolution)")
        ->type_name(file_type);
    sub->add_option("--plugins-dir", c.m_plugins_dir, "Your plugin files, merged at the root of plugins.zip")
        ->type_name(dir_type);
    sub->add_option("--wheel-dir", c.m_wheel_dir, "Folder for the wheels inside plugins.zip (default: the root)");
    sub->add_option("--plugins-path", c.m_plugins_path,
                    "Where MWAA unzips plugins.zip (default /usr/local/airflow/plugins)");
    sub->add_option("--max-size", c.m_max_size, "Largest plugins.zip allowed (default 1GiB; 'none' for no limit)");
    c.m_target.add_to(*sub);
    c.m_target.add_image_options(*sub);
    c.m_sources.add_to(*sub);
    sub->add_flag("--offline", c.m_offline, "Take wheels from the cache only (no downloads)");
    c.m_policy.add_to(*sub);
    c.m_advisories.add_to(*sub, false);
    sub->footer(
        "Writes DIR/plugins.zip (reproducible: SOURCE_DATE_EPOCH sets its timestamps), DIR/requirements.txt,\n"
        "DIR/constraints.txt, DIR/build-report.json and DIR/sbom.cdx.json (CycloneDX 1.6), all at once or not at all.\n"
        "A licence policy (--allow/--deny/--license-policy) failing exits 10, advisory findings (--advisories) 11;\n"
        "then nothing is written.\n"
        "Examples:\n"
        "  wheelhouse build -r requirements.txt --target mwaa-2.10.3 -o dist/\n"
        "  wheelhouse build --locked wheelhouse.lock.json --target mwaa-2.10.3 --plugins-dir plugins/\n"
        "Environment: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX,\n"
        "WHEELHOUSE_CACHE_DIR, SOURCE_DATE_EPOCH.");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
