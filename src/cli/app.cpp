#include "app.hpp"

#include <string>

namespace wheelhouse::cli {

auto build_app(CLI::App& app, GlobalFlags& flags) -> CommandList {
    app.name("wheelhouse");
    app.description("wheelhouse: package Python dependencies for Amazon MWAA private-network environments");
    app.footer(std::string(exit_codes_help));
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", std::string("wheelhouse ") + WHEELHOUSE_VERSION);

    CommandList commands;
    commands.push_back(add_targets_command(app));
    commands.push_back(add_inspect_command(app));
    commands.push_back(add_lock_command(app));
    commands.push_back(add_deploy_command(app));
    commands.push_back(add_build_command(app));
    commands.push_back(add_verify_command(app));
    commands.push_back(add_cache_command(app));
    commands.push_back(add_mirror_command(app));
    commands.push_back(add_sbom_command(app));
    commands.push_back(add_licenses_command(app));
    commands.push_back(add_audit_command(app));
    for (auto& [sub, command] : commands) {
        auto* output = sub->add_option_group(std::string(output_group));
        output->add_flag("--json", flags.json, "Print the result as JSON on stdout");
        output->add_flag("-q,--quiet", flags.quiet, "Print nothing but the result and errors");
        output->add_flag("-v,--verbose", flags.verbosity, "More detail on stderr (repeatable)");
        output->add_flag("--no-color", flags.no_color, "No colours (also when NO_COLOR is set)");
    }
    // Script output only: no --json or colours to offer.
    commands.push_back(add_completion_command(app));
    commands.push_back(add_man_command(app));
    for (auto& [sub, command] : commands) {
        auto own = sub->get_footer();
        sub->footer(own.empty() ? std::string(exit_codes_help) : own + "\n\n" + std::string(exit_codes_help));
    }
    return commands;
}

}  // namespace wheelhouse::cli
