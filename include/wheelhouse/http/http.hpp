// HTTP transfers for everything wheelhouse reads from the network: a parallel engine over libcurl multi
// (HTTP/2 multiplexing, connection reuse, retries with backoff, TLS verification, proxies, credentials)
// that streams bodies to sinks and returns one result per request. It never prints: progress goes to a
// Reporter.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wheelhouse/util/expected.hpp"
#include "wheelhouse/util/secret.hpp"

namespace wheelhouse::http {

using Clock = std::chrono::steady_clock;

// Response size limits for bodies held in memory (Request::max_body), shared by the modules that read them.
inline constexpr std::uint64_t max_index_page_bytes = 128ULL << 20;  // PEP 503/691 project pages, find-links pages
inline constexpr std::uint64_t max_metadata_bytes = 16ULL << 20;     // core metadata (PEP 658 files, METADATA)
inline constexpr std::uint64_t max_document_bytes = 16ULL << 20;     // S3 XML, requirement and constraints files
inline constexpr std::uint64_t max_credentials_bytes = 1ULL << 20;   // credential JSON/XML, tokens

// Where a response body goes. Because a transfer may be retried, every sink can be restarted: memory is
// cleared, a file is truncated, a callback sink is told through on_restart (so a streaming hash can reset).
struct Sink {
    enum class Kind { memory, file, callback };
    Kind kind = Kind::memory;
    std::filesystem::path path;                      // Kind::file; removed if the request fails
    std::function<bool(std::string_view)> on_chunk;  // Kind::callback; return false to abort
    std::function<void()> on_restart;                // Kind::callback; called before each retry
    // Kind::callback, optional: called once per attempt with the status and headers of a 2xx response, before
    // its first body byte (a ranged download must know whether it got 206 or the whole file). false aborts.
    std::function<bool(long status, const std::vector<std::pair<std::string, std::string>>& headers)> on_response;

    static auto memory() -> Sink { return {}; }
    static auto file(std::filesystem::path path) -> Sink {
        Sink s;
        s.kind = Kind::file;
        s.path = std::move(path);
        return s;
    }
    static auto callback(std::function<bool(std::string_view)> on_chunk, std::function<void()> on_restart = {})
        -> Sink {
        Sink s;
        s.kind = Kind::callback;
        s.on_chunk = std::move(on_chunk);
        s.on_restart = std::move(on_restart);
        return s;
    }
};

enum class Method { get, head, put, post, delete_ };

// What a PUT/POST/DELETE sends. A retry re-reads it from its start, so a file range is never buffered whole.
struct Body {
    enum class Kind { none, memory, file };
    Kind kind = Kind::none;
    std::string data;            // Kind::memory
    std::filesystem::path path;  // Kind::file: bytes [offset, offset + length) of this file
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    static auto memory(std::string bytes) -> Body {
        Body b;
        b.kind = Kind::memory;
        b.data = std::move(bytes);
        return b;
    }
    static auto file_range(std::filesystem::path file, std::uint64_t from, std::uint64_t size) -> Body {
        Body b;
        b.kind = Kind::file;
        b.path = std::move(file);
        b.offset = from;
        b.length = size;
        return b;
    }
    [[nodiscard]] auto size() const -> std::uint64_t {
        return kind == Kind::memory ? data.size() : kind == Kind::file ? length : 0;
    }
};

struct Request {
    Request() = default;
    explicit Request(std::string u, Sink s = {}) : url(std::move(u)), sink(std::move(s)) {}

    std::string url;  // may carry user:password; it is never shown unredacted
    Method method = Method::get;
    // Extra headers, e.g. Accept, Range, If-None-Match, If-Modified-Since. When a redirect leaves the origin,
    // the ones that carry credentials (Authorization, Cookie, Proxy-Authorization, X-Amz-Security-Token,
    // X-aws-ec2-metadata-token) and Host are dropped, like URL credentials.
    std::vector<std::pair<std::string, std::string>> headers;
    Sink sink;
    Body body;  // sent with put/post/delete_ (always with a Content-Length; no "Expect: 100-continue")
    // When true (default) a final status other than 2xx/304 is an Error (404/410: not_found, else network).
    // When false it is returned as a Response whose body holds the server's error document (S3 needs it).
    bool error_status_is_error = true;
    // false for requests bound to their URL (SigV4-signed S3 and STS calls, IMDS and container credentials): a
    // redirect is not followed, as the AWS SDKs treat a 3xx. With error_status_is_error it is an Error
    // (network), otherwise the 3xx Response is returned for the caller to report.
    bool follow_redirects = true;
    // Send the URL's path exactly as given, without folding "." and ".." segments (S3 keys are signed as
    // they are; a folded path names another object).
    bool path_as_is = false;
    // The most body bytes this response may have; more is a network error (exit 3) as soon as it shows (a
    // Content-Length above it, or the bytes themselves), before the memory is spent. Unset: the engine's
    // max_memory_body for memory sinks, no limit for file and callback sinks.
    std::optional<std::uint64_t> max_body;
};

struct Response {
    long status = 0;
    std::string url;                                           // final URL after redirects, redacted
    std::string http_version;                                  // "1.1", "2"
    std::vector<std::pair<std::string, std::string>> headers;  // final response; names in lower case
    std::string body;                                          // memory sink, or the error document of a non-2xx status
    std::uint64_t bytes = 0;                                   // body bytes delivered to the sink
    std::optional<std::uint64_t> content_length;
    int attempts = 0;
    int redirects = 0;
    long connections = 0;  // new connections this request opened (CURLINFO_NUM_CONNECTS summed)

    [[nodiscard]] auto ok() const -> bool { return status >= 200 && status < 300; }
    [[nodiscard]] auto not_modified() const -> bool { return status == 304; }
    [[nodiscard]] auto header(std::string_view name) const -> std::optional<std::string>;
    [[nodiscard]] auto etag() const -> std::optional<std::string> { return header("etag"); }
    [[nodiscard]] auto last_modified() const -> std::optional<std::string> { return header("last-modified"); }
    [[nodiscard]] auto cache_control() const -> std::optional<std::string> { return header("cache-control"); }
    [[nodiscard]] auto content_type() const -> std::optional<std::string> { return header("content-type"); }
    [[nodiscard]] auto retry_after() const -> std::optional<std::string> { return header("retry-after"); }
    [[nodiscard]] auto location() const -> std::optional<std::string> { return header("location"); }
};

// Progress of a batch. Events arrive on the thread that called Engine::run, in order per request.
struct Event {
    enum class Kind { started, progress, retrying, finished };
    Kind kind = Kind::started;
    std::size_t request = 0;  // index in the batch
    std::string url;          // redacted
    std::uint64_t received = 0;
    std::uint64_t sent = 0;  // request body bytes handed to the connection (uploads)
    std::optional<std::uint64_t> total;
    int attempt = 0;
    bool success = false;  // finished
    std::string message;   // retrying: why; finished: the error, if any (redacted)
};

class Reporter {
public:
    Reporter() = default;
    virtual ~Reporter() = default;
    Reporter(const Reporter&) = delete;
    auto operator=(const Reporter&) -> Reporter& = delete;
    Reporter(Reporter&&) = delete;
    auto operator=(Reporter&&) -> Reporter& = delete;
    virtual void on_event(const Event& event) = 0;
};

struct Options {
    std::size_t max_concurrency = 16;  // transfers in flight (--jobs)
    std::size_t max_per_host = 16;     // transfers in flight to one scheme://host:port
    int max_attempts = 5;
    std::chrono::milliseconds backoff_base{200};
    std::chrono::milliseconds backoff_max{10'000};
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{300'000};  // per request, all attempts and waits included
    // A transfer slower than low_speed_limit bytes/s for low_speed_time is a stall (retried).
    long low_speed_limit = 1;
    std::chrono::seconds low_speed_time{30};
    // Hosts where plain http:// is allowed: "host" (any port) or "host:port", as pip's --trusted-host.
    std::vector<std::string> trusted_hosts;
    // CA bundle (--cert). Unset: SSL_CERT_FILE, then REQUESTS_CA_BUNDLE, then the system store.
    std::optional<std::filesystem::path> ca_bundle;
    // netrc file. Unset: $NETRC, then ~/.netrc. An empty path disables netrc.
    std::optional<std::filesystem::path> netrc;
    // Proxies. Unset: https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY, no_proxy/NO_PROXY (all_proxy as a
    // fallback). An empty string means no proxy.
    std::optional<std::string> https_proxy;
    std::optional<std::string> http_proxy;
    std::optional<std::string> no_proxy;
    std::string user_agent = "wheelhouse";
    bool http2 = true;
    int max_redirects = 10;
    // Limit for a memory sink's body when the request sets none (Request::max_body).
    std::uint64_t max_memory_body = 64ULL << 20;
    // When this flag becomes true (a SIGINT handler sets it), every queued and running transfer of the current
    // run() ends at once with an "interrupted" error; the flag is read between curl waits (at most 200 ms).
    const std::atomic<bool>* cancel = nullptr;
};

// Parsed ~/.netrc (machine/login/password/default; macdef bodies skipped).
struct NetrcEntry {
    std::string machine;  // empty for "default"
    std::string login;
    util::Secret password;
};
struct Netrc {
    std::vector<NetrcEntry> entries;
    [[nodiscard]] auto find(std::string_view host) const -> const NetrcEntry*;
};
auto parse_netrc(std::string_view text) -> Expected<Netrc>;

// scheme://host:port of a URL, with the default port filled in; used to decide where credentials may go.
struct Origin {
    std::string scheme;
    std::string host;  // lower case, IPv6 without brackets
    long port = 0;
    friend auto operator==(const Origin&, const Origin&) -> bool = default;
};
auto origin_of(std::string_view url) -> Expected<Origin>;

// True if a plain-http request to this origin is allowed by the trusted-hosts list.
auto is_trusted(const Origin& origin, const std::vector<std::string>& trusted_hosts) -> bool;

// Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date, relative to now).
auto parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now)
    -> std::optional<std::chrono::seconds>;

// The delay before attempt `attempt` (2, 3, ...): exponential from base, capped, with jitter in [d/2, d].
// `unit` is a uniform random number in [0, 1).
auto backoff_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds max, double unit)
    -> std::chrono::milliseconds;

class Engine {
public:
    static auto create(Options options = {}) -> Expected<Engine>;
    ~Engine();
    Engine(Engine&&) noexcept;
    auto operator=(Engine&&) noexcept -> Engine&;
    Engine(const Engine&) = delete;
    auto operator=(const Engine&) -> Engine& = delete;

    // Runs every request, in parallel within the limits; returns one result per request, same order.
    // Connections stay open between calls, so later batches reuse them.
    auto run(std::vector<Request> requests, Reporter* reporter = nullptr) -> std::vector<Expected<Response>>;
    auto fetch(Request request, Reporter* reporter = nullptr) -> Expected<Response>;

    [[nodiscard]] auto options() const -> const Options&;

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace wheelhouse::http
