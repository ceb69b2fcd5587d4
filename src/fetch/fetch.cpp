// Fetch pipeline: cache lookup -> per-entry lock -> parallel download with streaming hash -> verification on a
// worker pool (overlapping the remaining downloads) -> commit. Everything that could leave a broken entry is
// checked before the one rename that creates it.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::fetch {
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

auto FetchReport::ok() const -> bool {
    return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
}

auto FetchReport::first_error() const -> std::optional<Error> {
    auto rank = [](ErrorCode c) {
        switch (c) {
            case ErrorCode::verification: return 0;
            case ErrorCode::network: return 1;
            case ErrorCode::not_found: return 2;
            default: return 3;
        }
    };
    const Error* best = nullptr;
    for (const auto& r : results) {
        if (r) continue;
        if (best == nullptr || rank(r.error().code) < rank(best->code)) best = &r.error();
    }
    if (best == nullptr) return std::nullopt;
    return *best;
}

auto FetchReport::missing_summary() const -> std::string {
    std::vector<std::string> missing;
    for (const auto& r : results) {
        if (!r && r.error().code == ErrorCode::not_found && r.error().message.find("not in the cache") == 0) {
            missing.push_back(r.error().context);
        }
    }
    if (missing.empty()) return {};
    return fmt::format("{} wheel{} not in the cache: {}", missing.size(), missing.size() == 1 ? "" : "s",
                       util::join(missing, ", "));
}

auto FetchReport::failure(bool offline) const -> Error {
    if (offline) {
        if (auto missing = missing_summary(); !missing.empty()) {
            return make_error(ErrorCode::not_found, std::move(missing), {},
                              "run once without --offline to fill the cache")
                .error;
        }
    }
    if (auto error = first_error()) return std::move(*error);
    return make_error(ErrorCode::internal, "fetch failed without an error").error;
}

namespace {

constexpr std::string_view k_cache_write_hint =
    "check that the cache folder is writable and the disk is not full; WHEELHOUSE_CACHE_DIR chooses another folder";
constexpr std::string_view k_source_hint =
    "the lock file or the index gave this; correct the lock file, lock again, or check the index";

auto strong_etag(const std::optional<std::string>& etag) -> bool {
    return etag && etag->size() >= 2 && etag->front() == '"' && etag->back() == '"';
}

auto header_value(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name)
    -> std::optional<std::string> {
    for (const auto& [k, v] : headers) {
        if (k == name) return v;
    }
    return std::nullopt;
}

// "bytes 100-199/200" -> 100
auto content_range_start(std::string_view value) -> std::optional<std::uint64_t> {
    value = util::trim(value);
    if (!util::starts_with_icase(value, "bytes ")) return std::nullopt;
    value.remove_prefix(6);
    const auto dash = value.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    return util::parse_uint64(util::trim(value.substr(0, dash)));
}

auto hash_prefix(const fs::path& file, std::uint64_t length) -> Expected<util::Sha256> {
    util::Sha256 h;
    std::FILE* in = std::fopen(file.c_str(), "rb");
    if (in == nullptr) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot read the partial download {}: {}", file.string(), std::strerror(errno)),
                          Location{file.string(), 0, 0}, "'wheelhouse cache clean' removes partial downloads");
    }
    std::vector<char> buffer(256 * 1024);
    std::uint64_t left = length;
    while (left > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
        const auto got = std::fread(buffer.data(), 1, want, in);
        if (got == 0) break;
        h.update(buffer.data(), got);
        left -= got;
    }
    std::fclose(in);
    if (left != 0) {
        return make_error(ErrorCode::io, fmt::format("the partial download {} is shorter than expected", file.string()),
                          Location{file.string(), 0, 0}, "'wheelhouse cache clean' removes partial downloads");
    }
    return h;
}

struct Job {
    std::size_t index = 0;
    const WheelRequest* request = nullptr;
    std::vector<std::string> allowed;  // lowercase hex
    std::string url_key;               // the URL without credentials
    std::string lock_key;              // allowed[0], else sha256 of url_key
    cache::FileLock lock;

    bool use_partial = false;  // digest known: download under partial/ so an interruption can be resumed
    fs::path partial;          // partial folder
    cache::TempDownload temp;  // otherwise
    fs::path file;
    std::FILE* out = nullptr;
    util::Sha256 hasher;
    std::uint64_t offset = 0;    // bytes already on disk when this attempt began (Range start)
    std::uint64_t received = 0;  // bytes of this attempt
    bool resuming = false;
    bool resumed = false;
    bool too_big = false;
    bool restart_fresh = false;
    bool finalized = false;
    std::optional<std::string> etag;
    bool accepts_ranges = false;
    std::string sha256;
    std::uint64_t size = 0;

    Job() = default;
    Job(const Job&) = delete;
    auto operator=(const Job&) -> Job& = delete;
    Job(Job&&) = delete;
    auto operator=(Job&&) -> Job& = delete;
    ~Job() { close(); }

    void close() {
        if (out != nullptr) {
            std::fclose(out);
            out = nullptr;
        }
    }
    [[nodiscard]] auto url() const -> std::string { return util::redact_url(request->url); }
    [[nodiscard]] auto filename() const -> const std::string& { return request->filename; }
};

// Verification workers: plain threads over a queue; the pipeline hands a job over and does not touch it again
// until wait_idle() returns.
class VerifyPool {
public:
    VerifyPool(std::size_t threads, std::function<void(Job&)> work) : m_work(std::move(work)) {
        if (threads == 0) threads = std::thread::hardware_concurrency();
        threads = std::max<std::size_t>(1, threads);
        for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { loop(); });
    }
    ~VerifyPool() {
        {
            std::lock_guard<std::mutex> g(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (auto& t : m_threads) t.join();
    }
    VerifyPool(const VerifyPool&) = delete;
    auto operator=(const VerifyPool&) -> VerifyPool& = delete;
    VerifyPool(VerifyPool&&) = delete;
    auto operator=(VerifyPool&&) -> VerifyPool& = delete;

    void push(Job& job) {
        {
            std::lock_guard<std::mutex> g(m_mutex);
            m_queue.push_back(&job);
            ++m_pending;
        }
        m_wake.notify_one();
    }
    void wait_idle() {
        std::unique_lock<std::mutex> g(m_mutex);
        m_idle.wait(g, [this] { return m_pending == 0; });
    }

private:
    void loop() {
        for (;;) {
            Job* job = nullptr;
            {
                std::unique_lock<std::mutex> g(m_mutex);
                m_wake.wait(g, [this] { return m_stop || !m_queue.empty(); });
                if (m_queue.empty()) return;
                job = m_queue.front();
                m_queue.pop_front();
            }
            m_work(*job);
            {
                std::lock_guard<std::mutex> g(m_mutex);
                --m_pending;
            }
            m_idle.notify_all();
        }
    }

    std::function<void(Job&)> m_work;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Job*> m_queue;
    std::size_t m_pending = 0;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

class Pipeline {
public:
    Pipeline(const std::vector<WheelRequest>& wheels, http::Engine& engine, const cache::WheelStore& store,
             const FetchOptions& options, http::Reporter* reporter)
        : m_wheels(wheels), m_engine(engine), m_store(store), m_options(options), m_reporter(reporter) {
        m_results.resize(wheels.size());
    }

    auto run() -> FetchReport {
        const auto start = SteadyClock::now();
        std::vector<Job*> to_lock;
        for (std::size_t i = 0; i < m_wheels.size(); ++i) {
            auto job = std::make_unique<Job>();
            job->index = i;
            job->request = &m_wheels[i];
            if (prepare(*job)) to_lock.push_back(job.get());
            m_jobs.push_back(std::move(job));
        }

        std::vector<Job*> deferred;
        std::vector<Job*> to_download;
        for (Job* job : to_lock) {
            auto lock = cache::FileLock::try_acquire(m_store.lock_path(job->lock_key));
            if (!lock) {
                set_error(*job, std::move(lock).error());
                continue;
            }
            if (!*lock) {
                deferred.push_back(job);
                continue;
            }
            job->lock = std::move(**lock);
            // Another process may have committed it between our first look and the lock.
            if (found_in_cache(*job)) continue;
            to_download.push_back(job);
        }

        {
            VerifyPool pool(m_options.verify_threads, [this](Job& job) { verify_and_commit(job); });
            m_pool = &pool;
            download_all(to_download);
            auto downloads_done = SteadyClock::now();
            pool.wait_idle();
            m_stats.verify_tail += SteadyClock::now() - downloads_done;

            // Entries another process was fetching: wait for its lock, then use what it committed, or fetch.
            std::vector<Job*> second;
            for (Job* job : deferred) {
                auto lock = wait_for_lock(*job);
                if (!lock) {
                    set_error(*job, std::move(lock).error());
                    continue;
                }
                job->lock = std::move(*lock);
                if (found_in_cache(*job)) {
                    ++m_stats.waited_for_other_process;
                    continue;
                }
                second.push_back(job);
            }
            if (!second.empty()) {
                download_all(second);
                downloads_done = SteadyClock::now();
                pool.wait_idle();
                m_stats.verify_tail += SteadyClock::now() - downloads_done;
            }
            m_pool = nullptr;
        }

        FetchReport report;
        report.results.reserve(m_results.size());
        for (std::size_t i = 0; i < m_results.size(); ++i) {
            if (m_results[i]) {
                report.results.push_back(std::move(*m_results[i]));
            } else {
                report.results.emplace_back(
                    make_error(ErrorCode::internal, fmt::format("{}: no result", m_wheels[i].filename)));
            }
            if (!report.results.back()) ++m_stats.failed;
        }
        m_stats.verify_busy = std::chrono::nanoseconds(m_verify_busy_ns.load());
        m_stats.wall = SteadyClock::now() - start;
        report.stats = m_stats;
        return report;
    }

private:
    // ---- before downloading ----

    auto prepare(Job& job) -> bool {
        const auto& req = *job.request;
        auto parsed = tags::WheelFilename::parse(req.filename);
        if (!parsed || req.filename.find('/') != std::string::npos) {
            auto e = make_error(ErrorCode::invalid_input,
                                fmt::format("not a wheel file name: '{}' (expected "
                                            "name-version(-build)-python-abi-platform.whl)",
                                            req.filename),
                                {}, std::string(k_source_hint));
            e.error.context = req.filename;
            set_error(job, std::move(e.error));
            return false;
        }
        for (const auto& h : req.sha256) {
            if (!cache::is_sha256_hex(h)) {
                auto e = make_error(ErrorCode::invalid_input,
                                    fmt::format("{}: '{}' is not a sha256 digest (64 hex digits)", req.filename, h), {},
                                    "correct the hash in the lock file or in the requirement's --hash option");
                e.error.context = req.filename;
                set_error(job, std::move(e.error));
                return false;
            }
            job.allowed.push_back(util::to_lower(h));
        }
        job.url_key = cache::strip_credentials(req.url);
        job.lock_key = job.allowed.empty() ? util::sha256_hex(job.url_key) : job.allowed.front();
        if (m_options.require_hashes && job.allowed.empty()) {
            auto e = make_error(ErrorCode::verification,
                                fmt::format("{}: no sha256 is known and hashes are required", req.filename), {},
                                "add --hash=sha256:<digest> to its requirement line, or use an index that "
                                "publishes hashes");
            e.error.context = req.filename;
            set_error(job, std::move(e.error));
            return false;
        }
        if (found_in_cache(job)) return false;
        if (m_options.offline) {
            auto e = make_error(ErrorCode::not_found, "not in the cache and --offline was given", {},
                                "run once without --offline to fill the cache");
            e.error.context = req.filename;
            set_error(job, std::move(e.error));
            return false;
        }
        if (req.url.empty()) {
            auto e = make_error(ErrorCode::invalid_input, fmt::format("{}: no URL to download it from", req.filename),
                                {}, std::string(k_source_hint));
            e.error.context = req.filename;
            set_error(job, std::move(e.error));
            return false;
        }
        return true;
    }

    auto found_in_cache(Job& job) -> bool {
        std::optional<cache::StoredWheel> hit;
        bool expected = true;
        for (const auto& h : job.allowed) {
            if ((hit = m_store.find(job.filename(), h))) {
                if (m_options.verify_cache_hits) {
                    auto good = m_store.verify(*hit);
                    if (!good || !*good) {
                        ++m_stats.cache_damaged;
                        hit.reset();
                        continue;
                    }
                }
                break;
            }
        }
        if (!hit && job.allowed.empty()) {
            expected = false;
            if (auto h = m_store.recall_url(job.url_key)) hit = m_store.find(job.filename(), *h);
        }
        if (!hit) return false;
        FetchedWheel w;
        w.filename = hit->filename;
        w.sha256 = hit->sha256;
        w.size = hit->size;
        w.path = hit->path;
        w.from_cache = true;
        w.hash_was_expected = expected;
        m_results[job.index] = std::move(w);
        ++m_stats.cached;
        job.lock.release();
        return true;
    }

    auto wait_for_lock(Job& job) -> Expected<cache::FileLock> {
        // Poll instead of blocking so that a hung process cannot hang us.
        const auto deadline = SteadyClock::now() + m_engine.options().total_timeout;
        for (;;) {
            auto lock = cache::FileLock::try_acquire(m_store.lock_path(job.lock_key));
            if (!lock) return unexpected(std::move(lock).error());
            if (*lock) return std::move(**lock);
            if (SteadyClock::now() >= deadline) {
                return make_error(ErrorCode::io,
                                  fmt::format("{}: another process has been fetching it for too long", job.filename()),
                                  {},
                                  fmt::format("check for a stuck wheelhouse process using {}",
                                              m_store.lock_path(job.lock_key).string()));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    // ---- downloading ----

    // Prepares the file and the request of one attempt; false when the job already has its result.
    auto start(Job& job, http::Request& request) -> bool {
        job.close();
        job.received = 0;
        job.offset = 0;
        job.resuming = false;
        job.resumed = false;
        job.too_big = false;
        job.finalized = false;
        job.hasher = util::Sha256();
        job.use_partial = !job.allowed.empty();
        std::error_code ec;
        if (job.use_partial) {
            job.partial = m_store.partial_dir(job.lock_key);
            fs::create_directories(job.partial, ec);
            if (ec) {
                set_error(job, Error{ErrorCode::io,
                                     fmt::format("{}: cannot create the cache folder {}: {}", job.filename(),
                                                 job.partial.string(), ec.message()),
                                     Location{job.partial.string(), 0, 0},
                                     std::string(k_cache_write_hint),
                                     {}});
                job.lock.release();
                return false;
            }
            job.file = job.partial / job.filename();
            const auto have = fs::exists(job.file, ec) ? fs::file_size(job.file, ec) : 0;
            auto etag = util::read_file(job.partial / ".etag");
            const auto& size = job.request->size;
            if (!job.restart_fresh && !ec && have > 0 && have >= m_options.resume_min_bytes && etag &&
                strong_etag(std::string(util::trim(*etag))) && (!size || have <= *size)) {
                auto prefix = hash_prefix(job.file, have);
                if (prefix) {
                    job.hasher = std::move(*prefix);
                    job.offset = have;
                    job.etag = std::string(util::trim(*etag));
                    job.resuming = true;
                }
            }
        } else {
            auto temp = m_store.begin_download(job.filename());
            if (!temp) {
                set_error(job, std::move(temp).error());
                job.lock.release();
                return false;
            }
            job.temp = std::move(*temp);
            job.file = job.temp.file();
        }
        job.restart_fresh = false;
        if (job.resuming && job.request->size && job.offset == *job.request->size) {
            // Complete on disk already (a run that stopped before verifying): nothing to download.
            job.resumed = true;
            finalize(job);
            return false;
        }
        job.out = std::fopen(job.file.c_str(), job.resuming ? "r+b" : "wb");
        if (job.out == nullptr || (job.resuming && fseeko(job.out, static_cast<off_t>(job.offset), SEEK_SET) != 0)) {
            set_error(job, Error{ErrorCode::io,
                                 fmt::format("{}: cannot write the download to {}: {}", job.filename(),
                                             job.file.string(), std::strerror(errno)),
                                 Location{job.file.string(), 0, 0},
                                 std::string(k_cache_write_hint),
                                 {}});
            cleanup(job, true);
            return false;
        }
        if (!job.resuming && job.use_partial) {
            std::error_code ignored;
            fs::remove(job.partial / ".etag", ignored);
        }

        request = http::Request(job.request->url);
        if (job.resuming) {
            request.headers.emplace_back("Range", fmt::format("bytes={}-", job.offset));
            request.headers.emplace_back("If-Range", *job.etag);
        }
        Job* j = &job;
        request.sink = http::Sink::callback([this, j](std::string_view chunk) { return on_chunk(*j, chunk); },
                                            [this, j] { on_restart(*j); });
        request.sink.on_response = [this, j](long status, const auto& headers) {
            return on_response(*j, status, headers);
        };
        return true;
    }

    auto on_response(Job& job, long status, const std::vector<std::pair<std::string, std::string>>& headers) -> bool {
        job.etag = header_value(headers, "etag");
        job.accepts_ranges = util::iequals(header_value(headers, "accept-ranges").value_or(""), "bytes");
        if (job.resuming) {
            if (status == 206) {
                const auto from = content_range_start(header_value(headers, "content-range").value_or(""));
                if (!from || *from != job.offset) {
                    job.restart_fresh = true;
                    return false;
                }
                job.resumed = true;
                job.accepts_ranges = true;
            } else {
                // The validator did not match (or ranges are off): the whole file follows.
                if (!rewind_to(job, 0)) return false;
                job.resuming = false;
            }
        }
        if (job.use_partial) {
            if (strong_etag(job.etag) && job.accepts_ranges) {
                (void)util::write_file_atomic(job.partial / ".etag", *job.etag + "\n");
            } else {
                std::error_code ec;
                fs::remove(job.partial / ".etag", ec);
            }
        }
        return true;
    }

    auto on_chunk(Job& job, std::string_view chunk) -> bool {
        const auto& limit = job.request->size;
        if (limit && job.offset + job.received + chunk.size() > *limit) {
            job.too_big = true;
            return false;
        }
        if (job.out == nullptr || std::fwrite(chunk.data(), 1, chunk.size(), job.out) != chunk.size()) return false;
        job.hasher.update(chunk);
        job.received += chunk.size();
        return true;
    }

    // Before the engine retries a request: the retry sends the same headers, so a ranged request restarts at
    // the same offset and a plain one at zero.
    void on_restart(Job& job) {
        if (job.resuming) {
            auto prefix = hash_prefix(job.file, job.offset);
            if (prefix && rewind_to(job, job.offset)) {
                job.hasher = std::move(*prefix);
                return;
            }
        }
        (void)rewind_to(job, 0);
    }

    auto rewind_to(Job& job, std::uint64_t offset) -> bool {
        job.received = 0;
        job.offset = offset;
        if (offset == 0) job.hasher = util::Sha256();
        if (job.out == nullptr) return false;
        std::fflush(job.out);
        return ::ftruncate(fileno(job.out), static_cast<off_t>(offset)) == 0 &&
               fseeko(job.out, static_cast<off_t>(offset), SEEK_SET) == 0;
    }

    class Forward : public http::Reporter {
    public:
        Forward(Pipeline& p, std::vector<Job*>& batch) : m_p(p), m_batch(batch) {}
        void on_event(const http::Event& event) override {
            if (event.request >= m_batch.size()) return;
            Job& job = *m_batch[event.request];
            if (event.kind == http::Event::Kind::finished && event.success) m_p.finalize(job);
            if (m_p.m_reporter != nullptr) {
                http::Event e = event;
                e.request = job.index;
                if (e.kind == http::Event::Kind::progress && job.resuming) {
                    e.received += job.offset;
                    if (e.total) *e.total += job.offset;
                }
                m_p.m_reporter->on_event(e);
            }
        }

    private:
        Pipeline& m_p;
        std::vector<Job*>& m_batch;
    };

    void download_all(std::vector<Job*> jobs) {
        for (int round = 0; !jobs.empty(); ++round) {
            std::vector<Job*> batch;
            std::vector<http::Request> requests;
            for (Job* job : jobs) {
                http::Request request;
                if (start(*job, request)) {
                    batch.push_back(job);
                    requests.push_back(std::move(request));
                }
            }
            Forward forward(*this, batch);
            auto responses = m_engine.run(std::move(requests), &forward);
            jobs.clear();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                Job& job = *batch[i];
                if (responses[i] && !job.finalized) {
                    finalize(job);
                    continue;
                }
                if (responses[i]) continue;
                job.close();
                if (job.too_big) {
                    set_error(job, Error{ErrorCode::verification,
                                         fmt::format("{} is larger than the {} bytes the index gives ({})",
                                                     job.filename(), *job.request->size, job.url()),
                                         {},
                                         "nothing was cached; the server may be serving a different file",
                                         job.filename()});
                    cleanup(job, true);
                    continue;
                }
                const bool retry_fresh = job.restart_fresh;
                // A server that answered a Range request with the wrong range gets one plain request.
                if (round < m_options.resume_rounds &&
                    ((resumable(job) && responses[i].error().code == ErrorCode::network) || retry_fresh)) {
                    jobs.push_back(&job);
                    continue;
                }
                auto error = std::move(responses[i]).error();
                if (error.context.empty()) error.context = job.filename();
                set_error(job, std::move(error));
                // A resumable partial stays for a later run (it is not an entry); anything else goes.
                cleanup(job, !resumable(job));
            }
        }
    }

    [[nodiscard]] auto resumable(const Job& job) const -> bool {
        if (!job.use_partial || !job.accepts_ranges || !strong_etag(job.etag)) return false;
        std::error_code ec;
        const auto have = fs::file_size(job.file, ec);
        return !ec && have >= m_options.resume_min_bytes;
    }

    // ---- after the bytes are in ----

    void finalize(Job& job) {
        if (job.finalized) return;
        job.finalized = true;
        job.close();
        job.size = job.offset + job.received;
        job.sha256 = job.hasher.finish_hex();
        m_stats.downloaded_bytes += job.received;
        if (job.resumed) ++m_stats.resumed;
        const auto& req = *job.request;
        if (req.size && job.size != *req.size) {
            set_error(job, Error{ErrorCode::verification,
                                 fmt::format("{} has {} bytes but the index says {} ({})", job.filename(), job.size,
                                             *req.size, job.url()),
                                 {},
                                 "nothing was cached; the server may be serving a different file",
                                 job.filename()});
            cleanup(job, true);
            return;
        }
        if (!job.allowed.empty() &&
            std::find(job.allowed.begin(), job.allowed.end(), job.sha256) == job.allowed.end()) {
            const auto expected =
                job.allowed.size() == 1 ? job.allowed.front() : fmt::format("one of {}", util::join(job.allowed, ", "));
            set_error(job, Error{ErrorCode::verification,
                                 fmt::format("sha256 mismatch for {}: expected {}, got {} ({})", job.filename(),
                                             expected, job.sha256, job.url()),
                                 {},
                                 "nothing was cached; if the file legitimately changed, update the pinned hash",
                                 job.filename()});
            cleanup(job, true);
            return;
        }
        ++m_stats.downloaded;
        if (m_pool != nullptr) {
            m_pool->push(job);
        } else {
            verify_and_commit(job);
        }
    }

    // Runs on a worker thread.
    void verify_and_commit(Job& job) {
        const auto t0 = SteadyClock::now();
        auto check = verify_wheel(job.file, job.filename(), m_options.limits);
        m_verify_busy_ns += (SteadyClock::now() - t0).count();
        if (!check) {
            set_error(job, std::move(check).error());
            cleanup(job, true);
            return;
        }
        auto stored = job.use_partial ? m_store.commit_file(job.file, job.filename(), job.sha256)
                                      : m_store.commit(std::move(job.temp), job.filename(), job.sha256);
        if (!stored) {
            set_error(job, std::move(stored).error());
            cleanup(job, true);
            return;
        }
        if (job.allowed.empty()) (void)m_store.remember_url(job.url_key, job.sha256);
        cleanup(job, true);
        FetchedWheel w;
        w.filename = stored->filename;
        w.sha256 = stored->sha256;
        w.size = stored->size;
        w.path = stored->path;
        w.resumed = job.resumed;
        w.hash_was_expected = !job.allowed.empty();
        m_results[job.index] = std::move(w);
    }

    // Removes what the job wrote (all of it, or keeps a resumable partial) and releases its lock.
    void cleanup(Job& job, bool remove_partial) {
        job.close();
        job.temp.discard();
        if (job.use_partial && remove_partial && !job.partial.empty()) {
            std::error_code ec;
            fs::remove_all(job.partial, ec);
        }
        job.lock.release();
    }

    void set_error(Job& job, Error error) {
        error.message = util::redact_urls_in(error.message);
        m_results[job.index] = unexpected(std::move(error));
    }

    const std::vector<WheelRequest>& m_wheels;
    http::Engine& m_engine;
    const cache::WheelStore& m_store;
    const FetchOptions& m_options;
    http::Reporter* m_reporter;
    std::vector<std::unique_ptr<Job>> m_jobs;
    std::vector<std::optional<Expected<FetchedWheel>>> m_results;
    VerifyPool* m_pool = nullptr;
    FetchStats m_stats;
    std::atomic<std::int64_t> m_verify_busy_ns{0};
};

}  // namespace

auto fetch_wheels(const std::vector<WheelRequest>& wheels, http::Engine& engine, const cache::WheelStore& store,
                  const FetchOptions& options, http::Reporter* reporter) -> FetchReport {
    try {
        Pipeline pipeline(wheels, engine, store, options, reporter);
        return pipeline.run();
    } catch (const std::exception& e) {
        FetchReport report;
        for (std::size_t i = 0; i < wheels.size(); ++i) {
            report.results.emplace_back(make_error(ErrorCode::internal, fmt::format("fetch failed: {}", e.what())));
        }
        report.stats.failed = wheels.size();
        return report;
    }
}

}  // namespace wheelhouse::fetch
