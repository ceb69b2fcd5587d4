// The wheelhouse command line as one CLI11 app: main parses with it, and the completion scripts and the man
// page are generated from it, so none of them can drift from the options the binary accepts.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace wheelhouse::cli {

// Appended to every command's --help; the man page's EXIT STATUS is read from it.
inline constexpr std::string_view exit_codes_help = R"(Exit codes:
  0  success
  1  usage or input error (malformed requirement, option, file)
  2  resolution impossible (no set of wheels satisfies the requirements)
  3  network or server error after retries
  4  verification failed (hash, RECORD, compatibility)
  5  S3 / AWS error
  10  licence policy failed (a package's licence is denied or not allowed)
  11  known vulnerabilities found (audit, build --advisories)
  130  interrupted (Ctrl-C))";

// The option group every command but `completion` shares; the man page documents it once.
inline constexpr std::string_view output_group = "Output";

struct GlobalFlags {
    bool json = false;
    bool quiet = false;
    bool no_color = false;
    int verbosity = 0;
};

using CommandList = std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>>;

// Defines every command and option on `app` (bound to `flags` and to the returned commands).
auto build_app(CLI::App& app, GlobalFlags& flags) -> CommandList;

}  // namespace wheelhouse::cli
