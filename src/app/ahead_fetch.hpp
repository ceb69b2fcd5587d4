// Wheels fetched while the resolver is still working: the build's overlap of resolution and download.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
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

// Downloads, on a worker thread with its own transfer engine, the wheels the resolver will most likely pick
// (the provider names them as soon as their metadata arrives), into the same content-addressed store the fetch
// step reads. A guess that turns out wrong costs a download and leaves a valid cache entry, nothing else: the
// fetch step still checks every wheel it uses. Only wheels with an index digest are fetched ahead.
class AheadFetcher {
public:
    // `http_options.cancel` (the user's Ctrl-C) is replaced by the fetcher's own flag, raised by abort().
    static auto create(http::Options http_options, const cache::WheelStore& store, fetch::FetchOptions options)
        -> Expected<std::unique_ptr<AheadFetcher>>;
    AheadFetcher(const AheadFetcher&) = delete;
    auto operator=(const AheadFetcher&) -> AheadFetcher& = delete;
    ~AheadFetcher();

    // Queues a wheel (the same URL twice is fetched once). Ignored after finish().
    void add(fetch::WheelRequest request);

    struct Summary {
        std::set<std::string> downloaded;  // file names stored by this fetcher
        std::uint64_t bytes = 0;
        // Wheels whose bytes failed a check (digest, size, RECORD): the build reports them as the fetch step
        // would have, rather than fetching again and hiding that the server sent wrong bytes.
        std::map<std::string, Error> verification_failures;  // by file name
    };
    // No new batch starts; waits for the running one (its wheels are wanted more often than not) and returns
    // what was stored. Queued wheels not yet started are left to the fetch step.
    auto finish() -> Summary;
    // Stops at once: transfers in flight are cancelled (their partial files removed by the fetch), nothing new
    // starts. For a resolution that failed or was interrupted.
    void abort();

private:
    AheadFetcher(const cache::WheelStore& store, fetch::FetchOptions options);
    void run();

    std::atomic<bool> m_abort{false};

    std::optional<http::Engine> m_engine;
    const cache::WheelStore& m_store;
    fetch::FetchOptions m_options;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<fetch::WheelRequest> m_queue;
    std::set<std::string> m_seen;
    bool m_finishing = false;
    Summary m_summary;
    std::thread m_worker;
};

}  // namespace wheelhouse::app
