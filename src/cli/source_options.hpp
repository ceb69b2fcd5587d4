// The options lock, build and mirror share: package indexes as pip spells them, parallelism, Airflow constraints.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/app/resolution.hpp"
#include "wheelhouse/http/http.hpp"

namespace wheelhouse::cli {

struct SourceOptions {
    app::IndexFlags flags;
    std::string index_url;
    std::string cert;
    std::size_t jobs = 16;
    std::string airflow_file;
    bool no_airflow = false;
    bool require_hashes = false;
    unsigned timeout = 0;   // --timeout seconds; 0: the engine's defaults
    std::string cache_dir;  // --cache-dir
    bool no_cache = false;  // --no-cache / --no-cache-dir

    // Adds the "Package index" group, -j/--jobs and the Airflow constraints flags to `command`.
    void add_to(CLI::App& command);
    // The index flags with -i applied on top (pip: a command-line -i replaces PIP_INDEX_URL).
    [[nodiscard]] auto index_flags() const -> app::IndexFlags;
    // Sets the index flags and the Airflow constraints choice of `inputs`.
    void apply_to(app::InputOptions& inputs) const;
    // The shared cache folder: --cache-dir, else $WHEELHOUSE_CACHE_DIR, else the user's cache; none with --no-cache.
    [[nodiscard]] auto cache_root() const -> std::optional<std::filesystem::path>;
    // --timeout as the pipelines take it.
    [[nodiscard]] auto stall_timeout() const -> std::optional<std::chrono::seconds>;
    // -j, --cert and --timeout as the pipelines take them (the reporter and cancel flag are the caller's).
    [[nodiscard]] auto transfer() const -> app::TransferSettings;
};

// A one-line counter of finished transfers on stderr, redrawn in place; create it only on a terminal.
class ProgressLine final : public http::Reporter {
public:
    explicit ProgressLine(std::string label) : m_label(std::move(label)) {}
    void on_event(const http::Event& event) override;
    ~ProgressLine() override;
    ProgressLine(const ProgressLine&) = delete;
    auto operator=(const ProgressLine&) -> ProgressLine& = delete;
    ProgressLine(ProgressLine&&) = delete;
    auto operator=(ProgressLine&&) -> ProgressLine& = delete;

private:
    std::string m_label;
    std::size_t m_done = 0;
};

}  // namespace wheelhouse::cli
