#include "ahead_fetch.hpp"

#include <utility>

namespace wheelhouse::app {

AheadFetcher::AheadFetcher(const cache::WheelStore& store, fetch::FetchOptions options)
    : m_store(store), m_options(std::move(options)) {}

auto AheadFetcher::create(http::Options http_options, const cache::WheelStore& store, fetch::FetchOptions options)
    -> Expected<std::unique_ptr<AheadFetcher>> {
    std::unique_ptr<AheadFetcher> fetcher(new AheadFetcher(store, std::move(options)));
    http_options.cancel = &fetcher->m_abort;
    auto engine = http::Engine::create(std::move(http_options));
    if (!engine) return unexpected(std::move(engine).error());
    fetcher->m_engine.emplace(std::move(*engine));
    fetcher->m_worker = std::thread([f = fetcher.get()] { f->run(); });
    return fetcher;
}

void AheadFetcher::abort() {
    m_abort = true;
    (void)finish();
}

AheadFetcher::~AheadFetcher() {
    (void)finish();
}

void AheadFetcher::add(fetch::WheelRequest request) {
    {
        std::lock_guard lock(m_mutex);
        if (m_finishing || !m_seen.insert(request.url).second) return;
        m_queue.push_back(std::move(request));
    }
    m_wake.notify_one();
}

auto AheadFetcher::finish() -> Summary {
    {
        std::lock_guard lock(m_mutex);
        m_finishing = true;
    }
    m_wake.notify_one();
    if (m_worker.joinable()) m_worker.join();
    return m_summary;
}

void AheadFetcher::run() {
    for (;;) {
        std::vector<fetch::WheelRequest> batch;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_finishing || !m_queue.empty(); });
            if (m_finishing) return;
            batch.swap(m_queue);
        }
        auto report = fetch::fetch_wheels(batch, *m_engine, m_store, m_options, nullptr);
        for (std::size_t i = 0; i < report.results.size() && i < batch.size(); ++i) {
            const auto& r = report.results[i];
            if (r && !r->from_cache) {
                m_summary.downloaded.insert(r->filename);
                m_summary.bytes += r->size;
            } else if (!r && r.error().code == ErrorCode::verification) {
                m_summary.verification_failures.emplace(batch[i].filename, r.error());
            }
        }
    }
}

}  // namespace wheelhouse::app
