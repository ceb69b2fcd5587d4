// A plain description of the CLI11 app (commands, options, what their values are) and the documents generated
// from it: the bash and zsh completion scripts and the roff man page.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace wheelhouse::cli {

// Option type names (Option::type_name) that say what a value is: FILE and DIR complete as paths, TARGET as the
// MWAA presets. CLI11's ExistingFile / ExistingDirectory checks name their values FILE and DIR too.
inline constexpr const char* file_type = "FILE";
inline constexpr const char* dir_type = "DIR";
inline constexpr const char* target_type = "TARGET";

enum class ValueKind { none, text, file, dir, target, choice };

struct OptionDoc {
    std::vector<std::string> flags;  // "-r", "--requirement"; empty for a positional
    std::string positional;          // the positional's name, e.g. "dist"
    std::string type_name;           // "FILE", "TEXT", "UINT" ... as --help shows it
    std::string description;
    std::string group;  // the option group's name; empty for the command's own options
    ValueKind value = ValueKind::none;
    std::vector<std::string> choices;  // for ValueKind::choice
    bool repeatable = false;
    bool required = false;
};

struct CommandDoc {
    std::vector<std::string> path;  // {"cache", "prune"}; empty for the program itself
    std::string description;
    std::string footer;                   // --help's footer without the exit codes and examples
    std::vector<std::string> examples;    // one command line each (continuation lines joined with "\n")
    std::vector<OptionDoc> options;       // including positionals and -h/--help
    std::vector<CommandDoc> subcommands;  // visible ones only

    [[nodiscard]] auto name() const -> std::string;  // "cache prune"
};

// Walks `app` (options inside option groups are the command's own); hidden commands are left out.
auto describe(const CLI::App& app) -> CommandDoc;

// Values offered for --target: every preset and the release-line aliases.
auto target_values() -> std::vector<std::string>;

auto bash_completion(const CommandDoc& program) -> std::string;
auto zsh_completion(const CommandDoc& program) -> std::string;
auto man_page(const CommandDoc& program) -> std::string;

}  // namespace wheelhouse::cli
