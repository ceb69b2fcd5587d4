// `wheelhouse completion bash|zsh` and the hidden `wheelhouse man`: documents generated from the app itself.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "reference.hpp"

namespace wheelhouse::cli {
namespace {

class CompletionCommand final : public Command {
public:
    explicit CompletionCommand(const CLI::App& root) : m_root(root) {}
    std::string m_shell;

    auto run(const Terminal& /*terminal*/) -> int override {
        auto program = describe(m_root);
        auto script = m_shell == "zsh" ? zsh_completion(program) : bash_completion(program);
        std::fputs(script.c_str(), stdout);
        return 0;
    }

private:
    const CLI::App& m_root;
};

class ManCommand final : public Command {
public:
    explicit ManCommand(const CLI::App& root) : m_root(root) {}

    auto run(const Terminal& /*terminal*/) -> int override {
        std::fputs(man_page(describe(m_root)).c_str(), stdout);
        return 0;
    }

private:
    const CLI::App& m_root;
};

}  // namespace

auto add_completion_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<CompletionCommand>(parent);
    auto* sub = parent.add_subcommand("completion", "Print the shell completion script for bash or zsh");
    sub->add_option("shell", command->m_shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
    sub->footer(
        "Examples:\n"
        "  wheelhouse completion bash > ~/.local/share/bash-completion/completions/wheelhouse\n"
        "  wheelhouse completion zsh > ~/.zfunc/_wheelhouse   # a folder on $fpath, before compinit\n"
        "  source <(wheelhouse completion bash)\n"
        "Packages install both scripts; run this for a binary installed by hand.");
    return {sub, std::move(command)};
}

auto add_man_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto* sub = parent.add_subcommand("man", "Print the wheelhouse(1) man page (roff)");
    sub->group("");  // hidden: the build installs its output
    return {sub, std::make_unique<ManCommand>(parent)};
}

}  // namespace wheelhouse::cli
