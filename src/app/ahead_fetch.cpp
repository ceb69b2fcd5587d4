#include "ahead_fetch.hpp"

#include <algorithm>
#include <utility>

namespace wheelhouse::app {

AheadFetcher::AheadFetcher(const cache::WheelStore& store, fetch::FetchOptions options)
    : m_store(store), m_options(std::move(options)) {}

auto AheadFetcher::create(http::Options http_options, const cache::WheelStore& store, fetch::FetchOptions options)
    -> Expected<std::unique_ptr<AheadFetcher>> {
    std::unique_ptr<AheadFetcher> fetcher(new AheadFetcher(store, std::move(options)));
    http_options.cancel = &fetcher->m_abort;
    // --jobs bounds the transfers of all batches together, as it bounds the fetch step's.
    http_options.max_concurrency = std::max<std::size_t>(1, http_options.max_concurrency / max_batches);
    http_options.max_per_host = std::min(http_options.max_per_host, http_options.max_concurrency);
    // Made here, so that bad options fail the build at once; the first batch uses it.
    auto first = http::Engine::create(http_options);
    if (!first) return unexpected(std::move(first).error());
    fetcher->m_first_engine.emplace(std::move(*first));
    fetcher->m_http_options = std::move(http_options);
    fetcher->m_worker = std::thread([f = fetcher.get()] { f->run(); });
    return fetcher;
}

AheadFetcher::~AheadFetcher() {
    abort();
}

void AheadFetcher::add(fetch::WheelRequest request) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || !m_seen.insert(request.url).second) return;
        m_queue.push_back(std::move(request));
    }
    m_wake.notify_one();
}

auto AheadFetcher::stop() -> std::set<std::string> {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_queue.clear();
    m_wake.notify_one();
    return m_in_flight;
}

auto AheadFetcher::wait() -> Results {
    (void)stop();
    if (m_worker.joinable()) m_worker.join();
    for (auto& t : m_batches) {
        if (t.joinable()) t.join();
    }
    m_batches.clear();
    std::lock_guard lock(m_mutex);
    return std::move(m_results);
}

void AheadFetcher::abort() {
    m_abort = true;
    (void)wait();
}

void AheadFetcher::run() {
    for (;;) {
        std::vector<fetch::WheelRequest> batch;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || (!m_queue.empty() && m_running < max_batches); });
            if (m_stopping) return;
            batch.swap(m_queue);
            for (const auto& r : batch) m_in_flight.insert(r.url);
            ++m_running;
        }
        std::optional<http::Engine> engine;
        engine.swap(m_first_engine);  // only this thread touches it
        m_batches.emplace_back(
            [this, b = std::move(batch), e = std::move(engine)]() mutable { run_batch(std::move(b), std::move(e)); });
    }
}

void AheadFetcher::run_batch(std::vector<fetch::WheelRequest> batch, std::optional<http::Engine> engine) {
    std::vector<Expected<fetch::FetchedWheel>> results;
    if (!engine) {
        if (auto made = http::Engine::create(m_http_options)) {
            engine.emplace(std::move(*made));
        } else {
            results.assign(batch.size(), unexpected(made.error()));
        }
    }
    if (engine) results = fetch::fetch_wheels(batch, *engine, m_store, m_options, nullptr).results;
    {
        std::lock_guard lock(m_mutex);
        for (std::size_t i = 0; i < results.size() && i < batch.size(); ++i) {
            m_in_flight.erase(batch[i].url);
            m_results.insert_or_assign(batch[i].url, std::move(results[i]));
        }
        --m_running;
    }
    m_wake.notify_one();
}

}  // namespace wheelhouse::app
