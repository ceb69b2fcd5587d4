// `wheelhouse cache info|clean|prune`: the content-addressed wheel store.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "commands.hpp"
#include "reference.hpp"
#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/cache/wheel_store.hpp"

namespace wheelhouse::cli {
namespace {

namespace fs = std::filesystem;

// The page and metadata caches beside the wheel store: only derived data, refetched when missing.
constexpr const char* k_index_caches[] = {"http-v1", "metadata-v1"};

struct FolderSize {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
};

auto folder_size(const fs::path& folder) -> FolderSize {
    FolderSize out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code file_ec;
        if (!it->is_regular_file(file_ec)) continue;
        ++out.files;
        out.bytes += it->file_size(file_ec);
    }
    return out;
}

auto index_cache_size(const fs::path& root) -> FolderSize {
    FolderSize total;
    for (const char* name : k_index_caches) {
        auto size = folder_size(root / name);
        total.files += size.files;
        total.bytes += size.bytes;
    }
    return total;
}

class CacheCommand final : public Command {
public:
    CLI::App* m_info = nullptr;
    CLI::App* m_clean = nullptr;
    CLI::App* m_prune = nullptr;
    unsigned m_days = 30;
    std::string m_cache_dir;

    auto run(const Terminal& terminal) -> int override {
        const fs::path root = m_cache_dir.empty() ? cache::default_cache_dir() : fs::path(m_cache_dir);
        auto store = cache::WheelStore::open(root);
        if (!store) return report_error(terminal, store.error());
        if (m_clean->parsed() || m_prune->parsed()) {
            auto removed = m_clean->parsed() ? store->clean() : store->prune(std::chrono::hours(24) * m_days);
            if (!removed) return report_error(terminal, removed.error());
            FolderSize pages;
            if (m_clean->parsed()) {  // clean empties everything; prune only ages out wheels
                pages = index_cache_size(root);
                for (const char* name : k_index_caches) {
                    std::error_code ec;
                    fs::remove_all(root / name, ec);
                    if (ec) {
                        return report_error(terminal,
                                            make_error(ErrorCode::io, fmt::format("cannot remove {}: {}",
                                                                                  (root / name).string(), ec.message()))
                                                .error);
                    }
                }
            }
            if (terminal.json()) {
                terminal.out_json({{"removed_entries", removed->removed_entries},
                                   {"removed_bytes", removed->removed_bytes},
                                   {"removed_index_files", pages.files},
                                   {"removed_index_bytes", pages.bytes}});
            } else {
                terminal.out(fmt::format("removed {} wheels ({}){}", removed->removed_entries,
                                         bundle::format_size(removed->removed_bytes),
                                         m_clean->parsed() ? fmt::format(" and {} index pages and metadata files ({})",
                                                                         pages.files, bundle::format_size(pages.bytes))
                                                           : std::string()));
            }
            return 0;
        }
        auto info = store->info();
        if (!info) return report_error(terminal, info.error());
        const auto pages = index_cache_size(root);
        if (terminal.json()) {
            terminal.out_json({{"root", info->root.string()},
                               {"entries", info->entries},
                               {"bytes", info->bytes},
                               {"partial_bytes", info->partial_bytes},
                               {"index_files", pages.files},
                               {"index_bytes", pages.bytes}});
        } else {
            terminal.out(
                fmt::format("{}\n{} wheels, {} (+ {} of partial downloads)\n{} index pages and metadata files, {}",
                            info->root.string(), info->entries, bundle::format_size(info->bytes),
                            bundle::format_size(info->partial_bytes), pages.files, bundle::format_size(pages.bytes)));
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
    command->m_clean =
        sub->add_subcommand("clean", "Remove every cached wheel, partial download, index page and metadata file");
    command->m_prune = sub->add_subcommand("prune", "Remove wheels not used for a while");
    command->m_prune->add_option("--older-than", command->m_days, "Days without use (default 30)");
    sub->add_option("--cache-dir", command->m_cache_dir, "Cache folder (default: see below)")->type_name(dir_type);
    sub->footer(
        "Cache folder: --cache-dir, else $WHEELHOUSE_CACHE_DIR, else $XDG_CACHE_HOME/wheelhouse, else\n"
        "~/.cache/wheelhouse.\n"
        "Examples:\n"
        "  wheelhouse cache info --json\n"
        "  wheelhouse cache prune --older-than 7\n"
        "  WHEELHOUSE_CACHE_DIR=/mnt/ci-cache wheelhouse cache clean");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
