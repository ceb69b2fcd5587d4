// wheelhouse: package Python dependencies for Amazon MWAA private-network environments.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <CLI/CLI.hpp>

#include "app.hpp"
#include "terminal.hpp"
#include "wheelhouse/util/secret.hpp"

int main(int argc, char** argv) {
    // The zip writer's DOS timestamps are local time: pin the zone before any thread starts.
    setenv("TZ", "UTC", 1);
    tzset();
    using namespace wheelhouse::cli;

    CLI::App app;
    GlobalFlags flags;
    auto commands = build_app(app, flags);

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
        // CLI11 quotes the offending arguments, which may be index URLs with a password.
        std::fprintf(stderr, "error: %s\nRun 'wheelhouse --help' for usage.\n",
                     wheelhouse::util::redact_urls_in(e.what()).c_str());
        return 1;
    }

    Terminal terminal(Terminal::detect(flags.json, flags.quiet, flags.verbosity, flags.no_color));
    for (auto& [sub, command] : commands) {
        if (sub->parsed()) return command->run(terminal);
    }
    std::fputs(app.help().c_str(), stdout);
    return 0;
}
