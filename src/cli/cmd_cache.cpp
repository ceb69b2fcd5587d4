// `wheelhouse cache info|clean|prune`: the content-addressed wheel store.
#include <chrono>

#include <fmt/format.h>

#include "commands.hpp"
#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/cache/wheel_store.hpp"

namespace wheelhouse::cli {
namespace {

class CacheCommand final : public Command {
public:
    CLI::App* m_info = nullptr;
    CLI::App* m_clean = nullptr;
    CLI::App* m_prune = nullptr;
    unsigned m_days = 30;

    auto run(const Terminal& terminal) -> int override {
        auto root = cache::default_cache_dir();
        auto store = cache::WheelStore::open(root);
        if (!store) return report_error(terminal, store.error());
        if (m_clean->parsed() || m_prune->parsed()) {
            auto removed = m_clean->parsed() ? store->clean() : store->prune(std::chrono::hours(24) * m_days);
            if (!removed) return report_error(terminal, removed.error());
            if (terminal.json()) {
                terminal.out_json(
                    {{"removed_entries", removed->removed_entries}, {"removed_bytes", removed->removed_bytes}});
            } else {
                terminal.out(fmt::format("removed {} wheels ({})", removed->removed_entries,
                                         bundle::format_size(removed->removed_bytes)));
            }
            return 0;
        }
        auto info = store->info();
        if (!info) return report_error(terminal, info.error());
        if (terminal.json()) {
            terminal.out_json({{"root", info->root.string()},
                               {"entries", info->entries},
                               {"bytes", info->bytes},
                               {"partial_bytes", info->partial_bytes}});
        } else {
            terminal.out(fmt::format("{}\n{} wheels, {} (+ {} of partial downloads)", info->root.string(),
                                     info->entries, bundle::format_size(info->bytes),
                                     bundle::format_size(info->partial_bytes)));
        }
        return 0;
    }
};

}  // namespace

auto add_cache_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<CacheCommand>();
    auto* sub = parent.add_subcommand("cache", "Show or empty the wheel cache");
    sub->fallthrough();
    sub->require_subcommand(1);
    command->m_info = sub->add_subcommand("info", "Where the cache is and how much it holds");
    command->m_clean = sub->add_subcommand("clean", "Remove every cached wheel and partial download");
    command->m_prune = sub->add_subcommand("prune", "Remove wheels not used for a while");
    command->m_prune->add_option("--older-than", command->m_days, "Days without use (default 30)");
    sub->footer(
        "Cache folder: $WHEELHOUSE_CACHE_DIR, else $XDG_CACHE_HOME/wheelhouse, else ~/.cache/wheelhouse.\n"
        "Examples:\n"
        "  wheelhouse cache info --json\n"
        "  wheelhouse cache prune --older-than 7\n"
        "  WHEELHOUSE_CACHE_DIR=/mnt/ci-cache wheelhouse cache clean");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
