// `wheelhouse lock`: resolve the requirements for the target and write the lock file and a pinned requirements file.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "reference.hpp"
#include "source_options.hpp"
#include "target_options.hpp"
#include "wheelhouse/app/lock.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/file.hpp"

namespace wheelhouse::cli {
namespace {

class LockCommand final : public Command {
public:
    std::vector<std::string> m_requirements;
    std::vector<std::string> m_constraints;
    std::string m_output = "wheelhouse.lock.json";
    std::string m_pinned;
    TargetFlags m_target;
    SourceOptions m_sources;

    auto run(const Terminal& terminal) -> int override {
        auto target = m_target.resolve();
        if (!target) return report_error(terminal, target.error());
        app::LockOptions options;
        options.target = *target;
        options.transfer = m_sources.transfer();
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
        inputs.cache_dir = m_sources.cache_root();

        std::optional<ProgressLine> progress;
        if (isatty(STDERR_FILENO) != 0 && !terminal.options().quiet && !terminal.json()) {
            progress.emplace("Resolving");
            options.transfer.reporter = &*progress;
        }
        auto result = app::lock(options);
        progress.reset();
        if (!result) return report_error(terminal, result.error());

        // Nothing is written unless everything can be: render both files first.
        auto pinned = app::pinned_requirements(*result);
        if (!pinned) return report_error(terminal, pinned.error());
        if (auto ok = util::write_file_atomic(m_output, app::lock_file_text(*result)); !ok)
            return report_error(terminal, ok.error());
        if (!m_pinned.empty()) {
            if (auto ok = util::write_file_atomic(m_pinned, *pinned); !ok) return report_error(terminal, ok.error());
        }
        for (const auto& w : result->inputs.warnings) terminal.warn(w);
        if (terminal.json()) {
            terminal.out_json(app::packages_json(*result));
            return 0;
        }
        for (const auto& note : result->notes) terminal.warn(note);
        std::string text;
        std::size_t provided = 0;
        for (const auto& p : result->packages) {
            if (!p.provided_by.empty()) {
                ++provided;
                text += fmt::format("{}=={}  {}\n", p.name, p.version.empty() ? "?" : p.version,
                                    terminal.dim("provided by the image"));
                continue;
            }
            text += fmt::format("{}=={}  {}\n", p.name, p.version, terminal.dim(p.filename));
        }
        if (provided > 0 && result->inputs.installed) {
            text += fmt::format("{} of them provided by {} (not bundled by build --locked)\n", provided,
                                result->inputs.installed->label);
        }
        text += fmt::format("{} packages locked for {} -> {}{}", result->packages.size(), result->target.name(),
                            m_output, m_pinned.empty() ? "" : ", " + m_pinned);
        terminal.out(text);
        if (terminal.options().verbosity > 0)
            terminal.info(fmt::format("{} HTTP requests to package indexes", result->requests));
        return 0;
    }
};

}  // namespace

auto add_lock_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<LockCommand>();
    auto* sub = parent.add_subcommand("lock", "Resolve requirements for the MWAA target and write a lock file");
    auto& c = *command;
    sub->add_option("-r,--requirement", c.m_requirements, "Requirements file (path or URL; repeatable)")
        ->type_name(file_type)
        ->required()
        ->allow_extra_args(false);
    sub->add_option("-c,--constraint", c.m_constraints, "Constraints file (repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("-o,--output", c.m_output, "Lock file to write (default wheelhouse.lock.json)")
        ->type_name(file_type);
    sub->add_option("--pinned", c.m_pinned, "Also write a pip-compatible requirements file with --hash lines")
        ->type_name(file_type);
    c.m_target.add_to(*sub);
    c.m_target.add_image_options(*sub);
    c.m_sources.add_to(*sub);
    sub->footer(
        "Examples:\n"
        "  wheelhouse lock -r requirements.txt --target mwaa-2.10.3 --pinned requirements.lock.txt\n"
        "  wheelhouse lock -r requirements.txt --target mwaa-2.10.3 --airflow-constraints constraints-3.11.txt --json\n"
        "Environment: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX,\n"
        "WHEELHOUSE_CACHE_DIR.");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
