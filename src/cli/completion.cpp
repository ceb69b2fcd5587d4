// The completion scripts, written from the CommandDoc tree so that they offer exactly the options the binary
// parses.
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reference.hpp"

namespace wheelhouse::cli {
namespace {

auto join(const std::vector<std::string>& parts, const std::string& separator) -> std::string {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
    return out;
}

auto positional_of(const CommandDoc& command) -> const OptionDoc* {
    for (const auto& option : command.options) {
        if (!option.positional.empty()) return &option;
    }
    return nullptr;
}

auto joined_path(const CommandDoc& command, const std::string& separator) -> std::string {
    return join(command.path, separator);
}

void for_each_command(const CommandDoc& command, const auto& visit) {
    visit(command);
    for (const auto& sub : command.subcommands) for_each_command(sub, visit);
}

// ---- bash ------------------------------------------------------------------------------------

// The shell command that completes an option's value: "" when the value is something only the user knows (a
// URL, a number); nullopt when the option takes no value.
auto bash_value_action(const OptionDoc& option, const std::string& targets) -> std::optional<std::string> {
    switch (option.value) {
        case ValueKind::none: return std::nullopt;
        case ValueKind::file: return "__wheelhouse_files";
        case ValueKind::dir: return "__wheelhouse_dirs";
        case ValueKind::target: return fmt::format("__wheelhouse_words \"{}\"", targets);
        case ValueKind::choice: return fmt::format("__wheelhouse_words \"{}\"", join(option.choices, " "));
        case ValueKind::text: return "";
    }
    return std::nullopt;
}

auto bash_command_arm(const CommandDoc& command, const std::string& targets) -> std::string {
    std::string out = fmt::format("        \"{}\")\n", joined_path(command, "/"));
    std::string value_arms;
    std::vector<std::string> words;
    for (const auto& option : command.options) {
        if (!option.positional.empty()) continue;
        words.insert(words.end(), option.flags.begin(), option.flags.end());
        auto action = bash_value_action(option, targets);
        if (action)
            value_arms += fmt::format("                {}) {}{}return ;;\n", join(option.flags, "|"), *action,
                                      action->empty() ? "" : "; ");
    }
    if (!value_arms.empty()) out += "            case \"$prev\" in\n" + value_arms + "            esac\n";
    if (const auto* positional = positional_of(command); positional != nullptr) {
        auto action = bash_value_action(*positional, targets);
        if (action && !action->empty())
            out += fmt::format("            if [[ \"$cur\" != -* ]]; then {}; return; fi\n", *action);
    }
    for (const auto& sub : command.subcommands) words.push_back(sub.path.back());
    out += fmt::format("            __wheelhouse_words \"{}\" ;;\n", join(words, " "));
    return out;
}

// ---- zsh -------------------------------------------------------------------------------------

// Text inside a single-quoted _arguments spec's [description] or a _describe entry.
auto zsh_escape(const std::string& text) -> std::string {
    std::string out;
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else if (c == '[' || c == ']' || c == ':' || c == '\\') {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

// Text inside a single-quoted zsh word.
auto zsh_quote(const std::string& text) -> std::string {
    std::string out;
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out;
}

auto zsh_action(const OptionDoc& option, const std::string& targets) -> std::string {
    std::string message = option.positional.empty() ? option.type_name : option.positional;
    for (auto& c : message) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    switch (option.value) {
        case ValueKind::none: return "";
        case ValueKind::file: return message + ":_files";
        case ValueKind::dir: return message + ":_files -/";
        case ValueKind::target: return message + ":(" + targets + ")";
        case ValueKind::choice: return message + ":(" + join(option.choices, " ") + ")";
        case ValueKind::text: return message + ": ";
    }
    return "";
}

auto zsh_spec(const OptionDoc& option, const std::string& targets) -> std::string {
    auto action = zsh_action(option, targets);
    if (!option.positional.empty()) {
        std::string count = option.repeatable ? "*:" : (option.required ? ":" : "::");
        return fmt::format("'{}{}'", count, action.empty() ? std::string("arg: ") : action);
    }
    std::string description = "[" + zsh_escape(option.description) + "]";
    std::string value = action.empty() ? "" : ":" + action;
    std::vector<std::string> names;
    for (const auto& flag : option.flags) {
        std::string suffix;
        if (!action.empty()) suffix = flag.starts_with("--") ? "=" : "+";
        names.push_back(flag + suffix);
    }
    if (names.size() == 1) {
        return fmt::format("'{}{}{}{}'", option.repeatable ? "*" : "", names.front(), description, value);
    }
    std::string exclusion = option.repeatable ? "'*'" : "'(" + join(option.flags, " ") + ")'";
    return fmt::format("{}{{{}}}'{}{}'", exclusion, join(names, ","), description, value);
}

auto zsh_function(const CommandDoc& command, const std::string& targets) -> std::string {
    std::string name = command.path.empty() ? "_wheelhouse" : "_wheelhouse_" + joined_path(command, "_");
    std::vector<std::string> specs;
    for (const auto& option : command.options) specs.push_back(zsh_spec(option, targets));
    std::string out = fmt::format("{}() {{\n", name);
    if (command.subcommands.empty()) {
        out += "    _arguments \\\n";
        for (const auto& spec : specs) out += "        " + spec + " \\\n";
        out.erase(out.size() - 3);  // the last " \\\n"
        out += "\n}\n\n";
        return out;
    }
    out +=
        "    local curcontext=\"$curcontext\" state state_descr line ret=1\n"
        "    typeset -A opt_args\n"
        "    _arguments -C \\\n";
    for (const auto& spec : specs) out += "        " + spec + " \\\n";
    out +=
        "        '1: :->command' \\\n"
        "        '*:: :->args' && ret=0\n"
        "    case $state in\n"
        "        command)\n"
        "            local -a commands\n"
        "            commands=(\n";
    for (const auto& sub : command.subcommands) {
        // _describe splits "name:description" at the first colon; the description is shown as it is.
        out += fmt::format("                '{}:{}'\n", zsh_escape(sub.path.back()), zsh_quote(sub.description));
    }
    out += fmt::format(
        "            )\n"
        "            _describe -t commands '{} command' commands && ret=0 ;;\n"
        "        args)\n"
        "            curcontext=\"${{curcontext%:*:*}}:{}-$words[1]:\"\n"
        "            case $words[1] in\n",
        command.path.empty() ? std::string("wheelhouse") : "wheelhouse " + command.name(),
        command.path.empty() ? std::string("wheelhouse") : "wheelhouse-" + joined_path(command, "-"));
    for (const auto& sub : command.subcommands) {
        out += fmt::format("                {}) _wheelhouse_{} && ret=0 ;;\n", sub.path.back(), joined_path(sub, "_"));
    }
    out +=
        "            esac ;;\n"
        "    esac\n"
        "    return ret\n"
        "}\n\n";
    return out;
}

}  // namespace

auto bash_completion(const CommandDoc& program) -> std::string {
    auto targets = join(target_values(), " ");
    std::vector<std::string> command_patterns;
    for_each_command(program, [&](const CommandDoc& command) {
        if (command.path.empty()) return;
        auto parent = std::vector<std::string>(command.path.begin(), command.path.end() - 1);
        command_patterns.push_back(join(parent, "/") + "/" + command.path.back());
    });
    std::string arms;
    for_each_command(program, [&](const CommandDoc& command) { arms += bash_command_arm(command, targets); });
    return fmt::format(
        R"(# bash completion for wheelhouse, generated by `wheelhouse completion bash` from the binary's own options.
# Install: wheelhouse completion bash > ~/.local/share/bash-completion/completions/wheelhouse
# (or source it from ~/.bashrc: source <(wheelhouse completion bash)).

__wheelhouse_words() {{ mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur"); }}
__wheelhouse_files() {{ compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); }}
__wheelhouse_dirs() {{ compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); }}

_wheelhouse() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" cmd="" word i
    COMPREPLY=()
    (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    # --option=value arrives as three words: --option, =, value.
    if [[ "$cur" == "=" ]]; then
        cur=""
    elif [[ "$prev" == "=" ]] && (( COMP_CWORD > 1 )); then
        prev="${{COMP_WORDS[COMP_CWORD-2]}}"
    fi
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${{COMP_WORDS[i]}}"
        case "$cmd/$word" in
            {}) cmd="${{cmd:+$cmd/}}$word" ;;
        esac
    done
    case "$cmd" in
{}    esac
}}

complete -F _wheelhouse wheelhouse
)",
        join(command_patterns, "|"), arms);
}

auto zsh_completion(const CommandDoc& program) -> std::string {
    auto targets = join(target_values(), " ");
    std::string functions;
    for_each_command(program, [&](const CommandDoc& command) { functions += zsh_function(command, targets); });
    return "#compdef wheelhouse\n"
           "# zsh completion for wheelhouse, generated by `wheelhouse completion zsh` from the binary's own options.\n"
           "# Install: wheelhouse completion zsh > \"${fpath[1]}/_wheelhouse\" (a folder on $fpath), or in ~/.zshrc\n"
           "# after compinit: source <(wheelhouse completion zsh)\n\n" +
           functions +
           "if [[ \"$funcstack[1]\" == _wheelhouse ]]; then\n"
           "    _wheelhouse \"$@\"\n"
           "else\n"
           "    compdef _wheelhouse wheelhouse\n"
           "fi\n";
}

}  // namespace wheelhouse::cli
