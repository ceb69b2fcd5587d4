// The CLI's subcommands: each registers its options on a CLI11 app and runs against a Terminal.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

#include "terminal.hpp"

namespace wheelhouse::cli {

class Command {
public:
    virtual ~Command() = default;
    // Runs after a successful parse; returns the process exit code.
    virtual auto run(const Terminal& terminal) -> int = 0;
};

// Each returns the command object whose options are bound to `parent`'s new subcommand.
auto add_targets_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_inspect_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_lock_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_deploy_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_build_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_verify_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_cache_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_mirror_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_sbom_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_licenses_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_audit_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
// `completion` and the hidden `man` print documents generated from `parent`, the whole app, when they run.
auto add_completion_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;
auto add_man_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>>;

// Prints `error` (as JSON on stdout with --json, always as one line on stderr) and returns its exit code.
auto report_error(const Terminal& terminal, const Error& error) -> int;

}  // namespace wheelhouse::cli
