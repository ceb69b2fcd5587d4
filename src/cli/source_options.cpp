#include "source_options.hpp"

#include "wheelhouse/cache/http_cache.hpp"

#include <cstdio>

#include "reference.hpp"

namespace wheelhouse::cli {

void SourceOptions::add_to(CLI::App& command) {
    auto* index = command.add_option_group("Package index", "Where packages come from, as pip spells it");
    index->add_option("-i,--index-url", index_url, "Base URL of the package index (PEP 503)");
    index->add_option("--extra-index-url", flags.extra_index_urls, "Another index (repeatable)")
        ->allow_extra_args(false);
    index->add_option("-f,--find-links", flags.find_links, "Folder or page with wheels (repeatable)")
        ->type_name(dir_type)
        ->allow_extra_args(false);
    index->add_flag("--no-index", flags.no_index, "Ignore package indexes (use --find-links only)");
    index->add_option("--trusted-host", flags.trusted_hosts, "Allow plain http:// for this host (repeatable)")
        ->allow_extra_args(false);
    index->add_option("--cert", cert, "CA bundle for TLS verification")->type_name(file_type);
    index->add_flag("--pre", flags.pre, "Include prereleases");
    index->add_flag("--prefer-binary", flags.prefer_binary, "Prefer older wheels over newer sdists");
    index
        ->add_option("--only-binary", flags.only_binary,
                     "Names (or :all:, :none:) that must be wheels; default :all: (MWAA cannot build)")
        ->allow_extra_args(false);
    index->add_option("--no-binary", flags.no_binary, "Names whose wheels are refused")->allow_extra_args(false);
    index->add_flag("--require-hashes", require_hashes,
                    "Every wheel must match a --hash of its requirement line (on as soon as one line has --hash)");
    command.add_option("-j,--jobs", jobs, "Parallel transfers (default 16)")->check(CLI::Range(1, 256));
    command
        .add_option("--timeout", timeout,
                    "Seconds without a connection or without progress before a transfer is retried (default: 10 to "
                    "connect, 30 idle)")
        ->check(CLI::Range(1, 3600));
    command
        .add_option("--cache-dir", cache_dir, "Cache folder (default: $WHEELHOUSE_CACHE_DIR, else ~/.cache/wheelhouse)")
        ->type_name(dir_type);
    command.add_flag("--no-cache,--no-cache-dir", no_cache,
                     "Use no shared cache (a private temporary one where wheels must be stored)");
    auto* airflow = command
                        .add_option("--airflow-constraints", airflow_file,
                                    "Airflow constraints (a file or an http(s) URL) instead of the target's own")
                        ->type_name(file_type);
    auto* no_airflow_flag =
        command.add_flag("--no-airflow-constraints", no_airflow, "Do not apply Airflow's constraints");
    airflow->excludes(no_airflow_flag);
}

auto SourceOptions::cache_root() const -> std::optional<std::filesystem::path> {
    if (no_cache) return std::nullopt;
    if (!cache_dir.empty()) return std::filesystem::path(cache_dir);
    return cache::default_cache_dir();
}

auto SourceOptions::stall_timeout() const -> std::optional<std::chrono::seconds> {
    if (timeout == 0) return std::nullopt;
    return std::chrono::seconds(timeout);
}

auto SourceOptions::transfer() const -> app::TransferSettings {
    app::TransferSettings out;
    out.jobs = jobs;
    if (!cert.empty()) out.cert = std::filesystem::path(cert);
    out.timeout = stall_timeout();
    return out;
}

auto SourceOptions::index_flags() const -> app::IndexFlags {
    auto out = flags;
    if (!index_url.empty()) out.index_url = index_url;
    return out;
}

void SourceOptions::apply_to(app::InputOptions& inputs) const {
    inputs.flags = index_flags();
    inputs.require_hashes = require_hashes;
    if (!airflow_file.empty()) {
        inputs.airflow = app::AirflowConstraints::file;
        inputs.airflow_file = airflow_file;
    } else if (no_airflow) {
        inputs.airflow = app::AirflowConstraints::none;
    }
}

void ProgressLine::on_event(const http::Event& event) {
    if (event.kind != http::Event::Kind::finished) return;
    ++m_done;
    std::fprintf(stderr, "\r%s... %zu transfers", m_label.c_str(), m_done);
    std::fflush(stderr);
}

ProgressLine::~ProgressLine() {
    if (m_done > 0) std::fputs("\r\033[K", stderr);
}

}  // namespace wheelhouse::cli
