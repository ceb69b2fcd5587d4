// wheelhouse: package Python dependencies for Amazon MWAA private-network environments.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "terminal.hpp"

namespace {

constexpr const char* exit_codes_help = R"(Exit codes:
  0  success
  1  usage or input error (malformed requirement, option, file)
  2  resolution impossible (no set of wheels satisfies the requirements)
  3  network or server error after retries
  4  verification failed (hash, RECORD, compatibility)
  5  S3 / AWS error)";

}  // namespace

int main(int argc, char** argv) {
    // The zip writer's DOS timestamps are local time: pin the zone before any thread starts.
    setenv("TZ", "UTC", 1);
    tzset();
    using namespace wheelhouse;
    using namespace wheelhouse::cli;

    CLI::App app{"wheelhouse: package Python dependencies for Amazon MWAA private-network environments", "wheelhouse"};
    app.footer(exit_codes_help);
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", std::string("wheelhouse ") + WHEELHOUSE_VERSION);

    bool json = false;
    bool quiet = false;
    bool no_color = false;
    int verbosity = 0;
    auto add_output_flags = [&](CLI::App* cmd) {
        cmd->add_flag("--json", json, "Print the result as JSON on stdout");
        cmd->add_flag("-q,--quiet", quiet, "Print nothing but the result and errors");
        cmd->add_flag("-v,--verbose", verbosity, "More detail on stderr (repeatable)");
        cmd->add_flag("--no-color", no_color, "No colours (also when NO_COLOR is set)");
    };

    std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
    commands.push_back(add_targets_command(app));
    commands.push_back(add_inspect_command(app));
    commands.push_back(add_lock_command(app));
    commands.push_back(add_deploy_command(app));
    commands.push_back(add_build_command(app));
    commands.push_back(add_verify_command(app));
    commands.push_back(add_cache_command(app));
    commands.push_back(add_mirror_command(app));
    for (auto& [sub, command] : commands) {
        add_output_flags(sub);
        auto own = sub->get_footer();
        sub->footer(own.empty() ? std::string(exit_codes_help) : own + "\n\n" + exit_codes_help);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Usage errors are input errors: exit 1 with one line and a pointer to --help.
        std::fprintf(stderr, "error: %s\nRun 'wheelhouse --help' for usage.\n", e.what());
        return 1;
    }

    Terminal terminal(Terminal::detect(json, quiet, verbosity, no_color));
    for (auto& [sub, command] : commands) {
        if (sub->parsed()) return command->run(terminal);
    }
    std::fputs(app.help().c_str(), stdout);
    return 0;
}
