// Wheels fetched while the resolver is still working: the build's overlap of resolution and download.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/http/http.hpp"

namespace wheelhouse::app {

// Downloads, on worker threads with transfer engines of their own (a batch per group of names, up to
// max_batches at once, so that a level's wheels need not wait for the previous level's), the wheels the resolver will
// most likely pick (the provider names them as soon as their metadata arrives), into the same content-addressed store
// the fetch step reads. A guess that turns out wrong costs a download and leaves a valid cache entry, nothing else: the
// fetch step still checks every wheel it uses. Only wheels with an index digest are fetched ahead.
//
// Use: add() during the resolution; stop() when it is done (no new batch starts; the URLs still in flight are
// returned, so that the fetch step leaves them to this fetcher and downloads the rest meanwhile); wait() for the
// results of everything this fetcher did.
class AheadFetcher {
public:
    // `http_options.cancel` (the user's Ctrl-C) is replaced by the fetcher's own flag, raised by abort().
    static auto create(http::Options http_options, const cache::WheelStore& store, fetch::FetchOptions options)
        -> Expected<std::unique_ptr<AheadFetcher>>;
    AheadFetcher(const AheadFetcher&) = delete;
    auto operator=(const AheadFetcher&) -> AheadFetcher& = delete;
    ~AheadFetcher();

    // Queues a wheel (the same URL twice is fetched once). Ignored after stop().
    void add(fetch::WheelRequest request);

    // No new batch starts; returns the URLs of the batch being downloaded now.
    auto stop() -> std::set<std::string>;

    // The outcome of every wheel this fetcher tried, by URL (as given to add()).
    using Results = std::map<std::string, Expected<fetch::FetchedWheel>>;
    // Waits for the batch in flight (after stop()) and returns all results.
    auto wait() -> Results;

    // Stops at once: transfers in flight are cancelled (their partial files removed by the fetch), nothing new
    // starts. For a resolution that failed or was interrupted.
    void abort();

private:
    AheadFetcher(const cache::WheelStore& store, fetch::FetchOptions options);
    void run();
    void run_batch(std::vector<fetch::WheelRequest> batch, std::optional<http::Engine> engine);

    static constexpr std::size_t max_batches = 3;

    std::atomic<bool> m_abort{false};
    http::Options m_http_options;
    std::optional<http::Engine> m_first_engine;  // made by create(), handed to the first batch
    const cache::WheelStore& m_store;
    fetch::FetchOptions m_options;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<fetch::WheelRequest> m_queue;
    std::set<std::string> m_seen;
    std::set<std::string> m_in_flight;
    std::size_t m_running = 0;  // batches being downloaded
    bool m_stopping = false;
    Results m_results;
    std::vector<std::thread> m_batches;
    std::thread m_worker;
};

}  // namespace wheelhouse::app
