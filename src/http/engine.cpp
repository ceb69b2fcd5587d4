// The parallel transfer engine: a queue of transfers driven through one curl multi handle.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <system_error>

#include "curl_handles.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::http {
namespace {

constexpr std::size_t max_error_body = 64 * 1024;

auto env(const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, at engine creation
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

auto first_env(std::initializer_list<const char*> names) -> std::optional<std::string> {
    for (const char* name : names) {
        if (auto v = env(name)) return v;
    }
    return std::nullopt;
}

auto origin_key(const Origin& o) -> std::string {
    return fmt::format("{}://{}:{}", o.scheme, o.host, o.port);
}

auto host_port(const Origin& o) -> std::string {
    const bool v6 = o.host.find(':') != std::string::npos;
    return v6 ? fmt::format("[{}]:{}", o.host, o.port) : fmt::format("{}:{}", o.host, o.port);
}

auto method_name(Method m) -> const char* {
    switch (m) {
        case Method::head: return "HEAD";
        case Method::put: return "PUT";
        case Method::post: return "POST";
        case Method::delete_: return "DELETE";
        case Method::get: break;
    }
    return "GET";
}

auto is_retryable_status(long status) -> bool {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

auto is_retryable_curl(CURLcode code) -> bool {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_WEIRD_SERVER_REPLY: return true;
        default: return false;
    }
}

auto is_tls_trust_error(CURLcode code) -> bool {
    return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_ISSUER_ERROR;
}

// What a user can do about a transfer that failed in the network (after its retries).
auto hint_for_curl(CURLcode code) -> std::string {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
            return "the host name does not resolve: check the URL's host, the DNS settings, and that a proxy "
                   "(HTTPS_PROXY) is set if this network needs one";
        case CURLE_COULDNT_RESOLVE_PROXY:
            return "the proxy's host name does not resolve: check HTTPS_PROXY / HTTP_PROXY";
        case CURLE_COULDNT_CONNECT:
            return "nothing accepted the connection: check the URL's host and port, that the server is up, and the "
                   "proxy settings (HTTPS_PROXY, NO_PROXY)";
        case CURLE_OPERATION_TIMEDOUT:
            return "the server did not answer in time: check the network and the proxy settings (HTTPS_PROXY, "
                   "NO_PROXY), or allow more time with --timeout";
        case CURLE_SSL_CONNECT_ERROR:
            return "the TLS handshake failed: check that the URL's scheme and port are right (https on a TLS port) "
                   "and that no proxy intercepts the connection";
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return "the connection kept breaking off: check the network and any proxy or firewall between here and "
                   "the server, then run the command again";
        default: return {};
    }
}

struct UrlParts {
    std::string url;  // without user:password
    std::optional<std::pair<std::string, util::Secret>> credentials;
    Origin origin;
};

auto split_credentials(std::string_view raw, bool path_as_is = false) -> Expected<UrlParts> {
    auto origin = origin_of(raw);
    if (!origin) return unexpected(std::move(origin).error());
    if (origin->scheme != "http" && origin->scheme != "https") {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("unsupported URL scheme '{}' in {}", origin->scheme, util::redact_url(raw)), {},
                          "only http:// and https:// URLs are fetched over the network");
    }
    detail::UrlHandle handle(curl_url());
    if (!handle) return make_error(ErrorCode::internal, "out of memory parsing a URL");
    const std::string copy(raw);
    // Without CURLU_PATH_AS_IS the URL API folds "." and ".." segments, as the transfer itself would.
    if (curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), path_as_is ? CURLU_PATH_AS_IS : 0U) != CURLUE_OK) {
        return make_error(ErrorCode::invalid_input, fmt::format("not a valid URL: {}", util::redact_url(raw)), {},
                          "check the URL: it must look like https://host/path (characters such as spaces must be "
                          "percent-encoded)");
    }
    UrlParts parts;
    parts.origin = std::move(*origin);
    std::string user = detail::url_part(handle.get(), CURLUPART_USER, CURLU_URLDECODE);
    std::string password = detail::url_part(handle.get(), CURLUPART_PASSWORD, CURLU_URLDECODE);
    if (!user.empty() || !password.empty()) {
        parts.credentials.emplace(std::move(user), util::Secret(std::move(password)));
    }
    curl_url_set(handle.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(handle.get(), CURLUPART_PASSWORD, nullptr, 0);
    // The fragment is never sent; keeping it out avoids "#sha256=..." leaking into request lines.
    curl_url_set(handle.get(), CURLUPART_FRAGMENT, nullptr, 0);
    parts.url = detail::url_part(handle.get(), CURLUPART_URL);
    if (parts.url.empty()) return make_error(ErrorCode::internal, "could not rebuild a URL");
    return parts;
}

// Request headers that carry credentials or name the origin: never sent to another origin after a redirect.
auto is_origin_bound_header(std::string_view name) -> bool {
    static constexpr std::array<std::string_view, 6> names{
        "authorization", "cookie", "proxy-authorization", "x-amz-security-token", "x-aws-ec2-metadata-token", "host"};
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return util::iequals(n, name); });
}

auto is_redirect_status(long status) -> bool {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

auto refused_plain_http(const Origin& origin, std::string_view url) -> Unexpected<Error> {
    return make_error(
        ErrorCode::usage,
        fmt::format("refusing plain http:// to {} (not a trusted host): {}", host_port(origin), util::redact_url(url)),
        {},
        fmt::format("use https://, or if this host is safe without TLS pass --trusted-host {} "
                    "(or --trusted-host {} for any port)",
                    host_port(origin), origin.host));
}

}  // namespace

struct Engine::Impl {
    Options options;
    std::optional<Netrc> netrc;
    detail::MultiHandle multi;
    std::mt19937_64 rng{std::random_device{}()};

    struct Transfer {
        std::size_t index = 0;
        Request request;
        Origin first_origin;
        std::optional<std::pair<std::string, util::Secret>> url_credentials;
        std::string current_url;
        Origin current_origin;
        Clock::time_point deadline;
        Clock::time_point not_before;
        int attempt = 0;
        bool next_is_redirect = false;
        int redirects = 0;
        long connections = 0;
        detail::EasyHandle easy;
        detail::StringList header_list;
        // Per attempt.
        std::vector<std::pair<std::string, std::string>> headers;
        std::string error_body;
        std::string body;
        std::uint64_t bytes = 0;
        std::FILE* file = nullptr;
        std::FILE* upload = nullptr;   // Body::Kind::file
        std::uint64_t upload_pos = 0;  // bytes of the body already handed to curl
        std::string sink_error;
        std::optional<std::uint64_t> body_limit;  // Request::max_body, or the engine's for memory sinks
        bool too_large = false;                   // the body (or its Content-Length) went over body_limit
        bool response_announced = false;          // on_response was called for this attempt
        std::array<char, CURL_ERROR_SIZE> errbuf{};
        Impl* engine = nullptr;
        Reporter* reporter = nullptr;
        std::optional<Expected<Response>> result;

        Transfer() = default;
        Transfer(const Transfer&) = delete;
        auto operator=(const Transfer&) -> Transfer& = delete;
        Transfer(Transfer&&) = delete;
        auto operator=(Transfer&&) -> Transfer& = delete;
        ~Transfer() { close_file(); }

        void close_file() {
            if (file != nullptr) {
                std::fclose(file);
                file = nullptr;
            }
            if (upload != nullptr) {
                std::fclose(upload);
                upload = nullptr;
            }
        }
        [[nodiscard]] auto redacted_url() const -> std::string { return util::redact_url(request.url); }
        void emit(Event event) const {
            if (reporter == nullptr) return;
            event.request = index;
            event.url = redacted_url();
            event.attempt = attempt;
            reporter->on_event(event);
        }
    };

    auto credentials_for(const Transfer& t) const -> std::optional<std::pair<std::string, util::Secret>> {
        if (t.current_origin == t.first_origin && t.url_credentials) return t.url_credentials;
        if (netrc) {
            if (const auto* entry = netrc->find(t.current_origin.host)) {
                return std::make_pair(entry->login, entry->password);
            }
        }
        return std::nullopt;
    }

    static auto write_cb(char* data, size_t size, size_t count, void* user) -> size_t {
        auto* t = static_cast<Transfer*>(user);
        const size_t n = size * count;
        try {
            long status = 0;
            curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
            const std::string_view chunk(data, n);
            if (status < 200 || status >= 300) {
                // Error documents and redirect bodies never reach the caller's sink.
                const size_t room = max_error_body - std::min(max_error_body, t->error_body.size());
                t->error_body.append(chunk.substr(0, std::min(room, n)));
                return n;
            }
            if (t->body_limit) {
                std::optional<std::uint64_t> announced;
                if (t->bytes == 0) {
                    for (const auto& [k, v] : t->headers) {
                        if (k == "content-length") announced = util::parse_uint64(v);
                    }
                }
                if (t->bytes + n > *t->body_limit || (announced && *announced > *t->body_limit)) {
                    t->too_large = true;
                    t->sink_error = "the response is too large";
                    return 0;
                }
            }
            switch (t->request.sink.kind) {
                case Sink::Kind::memory: t->body.append(chunk); break;
                case Sink::Kind::file:
                    if (t->file == nullptr || std::fwrite(data, 1, n, t->file) != n) {
                        t->sink_error = fmt::format("cannot write {}", t->request.sink.path.string());
                        return 0;
                    }
                    break;
                case Sink::Kind::callback:
                    if (!t->response_announced) {
                        t->response_announced = true;
                        if (t->request.sink.on_response && !t->request.sink.on_response(status, t->headers)) {
                            t->sink_error = "the receiver refused the response";
                            return 0;
                        }
                    }
                    if (!t->request.sink.on_chunk || !t->request.sink.on_chunk(chunk)) {
                        t->sink_error = "the receiver stopped the transfer";
                        return 0;
                    }
                    break;
            }
            t->bytes += n;
            if (t->reporter != nullptr) {
                Event e;
                e.kind = Event::Kind::progress;
                e.received = t->bytes;
                curl_off_t total = -1;
                curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
                if (total >= 0) e.total = static_cast<std::uint64_t>(total);
                t->emit(std::move(e));
            }
            return n;
        } catch (...) {
            t->sink_error = "the receiver failed";
            return 0;
        }
    }

    static auto read_cb(char* buffer, size_t size, size_t count, void* user) -> size_t {
        auto* t = static_cast<Transfer*>(user);
        const Body& body = t->request.body;
        const std::uint64_t left = body.size() - std::min(body.size(), t->upload_pos);
        const size_t n = static_cast<size_t>(std::min<std::uint64_t>(left, size * count));
        if (n == 0) return 0;
        if (body.kind == Body::Kind::memory) {
            std::copy_n(body.data.data() + t->upload_pos, n, buffer);
        } else {
            if (t->upload == nullptr || std::fread(buffer, 1, n, t->upload) != n) {
                // The file shrank or failed under us: abort rather than send a short body.
                t->sink_error = fmt::format("cannot read {}", body.path.string());
                return CURL_READFUNC_ABORT;
            }
        }
        t->upload_pos += n;
        if (t->reporter != nullptr) {
            Event e;
            e.kind = Event::Kind::progress;
            e.sent = t->upload_pos;
            e.total = body.size();
            t->emit(std::move(e));
        }
        return n;
    }

    // curl rewinds the body when it must resend it on the same attempt (a reused connection that was closed).
    static auto seek_cb(void* user, curl_off_t offset, int origin) -> int {
        auto* t = static_cast<Transfer*>(user);
        if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
        const auto pos = static_cast<std::uint64_t>(offset);
        if (pos > t->request.body.size()) return CURL_SEEKFUNC_FAIL;
        if (t->upload != nullptr) {
            const auto absolute = static_cast<off_t>(t->request.body.offset + pos);
            if (fseeko(t->upload, absolute, SEEK_SET) != 0) return CURL_SEEKFUNC_FAIL;
        }
        t->upload_pos = pos;
        return CURL_SEEKFUNC_OK;
    }

    static auto header_cb(char* data, size_t size, size_t count, void* user) -> size_t {
        auto* t = static_cast<Transfer*>(user);
        const size_t n = size * count;
        try {
            std::string_view line(data, n);
            if (line.starts_with("HTTP/")) {
                t->headers.clear();  // a new response (after 100-continue or a proxy CONNECT)
                return n;
            }
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) return n;
            t->headers.emplace_back(util::to_lower(util::trim(line.substr(0, colon))),
                                    std::string(util::trim(line.substr(colon + 1))));
            return n;
        } catch (...) {
            return 0;
        }
    }

    auto setup_attempt(Transfer& t, Clock::time_point now) -> Expected<void> {
        if (!t.easy) t.easy.reset(curl_easy_init());
        if (!t.easy) return make_error(ErrorCode::internal, "curl_easy_init failed");
        CURL* h = t.easy.get();
        curl_easy_reset(h);
        t.headers.clear();
        t.error_body.clear();
        t.body.clear();
        t.bytes = 0;
        t.sink_error.clear();
        t.too_large = false;
        t.body_limit = t.request.max_body;
        if (!t.body_limit && t.request.sink.kind == Sink::Kind::memory) t.body_limit = options.max_memory_body;
        t.response_announced = false;
        t.errbuf[0] = '\0';
        t.close_file();
        if (t.request.sink.kind == Sink::Kind::file) {
            t.file = std::fopen(t.request.sink.path.c_str(), "wb");
            if (t.file == nullptr) {
                return make_error(ErrorCode::io,
                                  fmt::format("cannot open {} for writing: {}", t.request.sink.path.string(),
                                              std::generic_category().message(errno)),
                                  {}, "check that the folder exists and is writable, and that the disk is not full");
            }
        } else if (t.request.sink.kind == Sink::Kind::callback && t.attempt > 1 && !t.next_is_redirect) {
            if (t.request.sink.on_restart) t.request.sink.on_restart();
        }
        t.upload_pos = 0;
        if (t.request.body.kind == Body::Kind::file) {
            t.upload = std::fopen(t.request.body.path.c_str(), "rb");
            if (t.upload == nullptr || fseeko(t.upload, static_cast<off_t>(t.request.body.offset), SEEK_SET) != 0) {
                return make_error(ErrorCode::io,
                                  fmt::format("cannot read {}: {}", t.request.body.path.string(),
                                              std::generic_category().message(errno)),
                                  {}, "check the path and its permissions");
            }
        }

        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(t.deadline - now);
        curl_easy_setopt(h, CURLOPT_URL, t.current_url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed here, to scope credentials
        if (t.request.path_as_is) curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         static_cast<long>(options.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
        curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (options.ca_bundle) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_bundle->c_str());
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, remaining.count())));
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 128L * 1024L);
        // Uploads in 1 MiB reads: a 64 KiB buffer (curl's default) costs a read, a send and a wake-up of the
        // transfer loop per 64 KiB, a fifth of deploy's CPU on a large bundle.
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
        const bool sends_body = t.request.method == Method::put || t.request.method == Method::post ||
                                (t.request.method == Method::delete_ && t.request.body.kind != Body::Kind::none);
        if (t.request.method == Method::head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        if (sends_body) {
            // UPLOAD sends the body from read_cb with a Content-Length (never chunked: S3 needs the length);
            // the method is then set explicitly, since curl's upload verb is PUT.
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.request.body.size()));
            curl_easy_setopt(h, CURLOPT_READFUNCTION, &Impl::read_cb);
            curl_easy_setopt(h, CURLOPT_READDATA, &t);
            curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &Impl::seek_cb);
            curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
        }
        if (t.request.method != Method::get && t.request.method != Method::head && t.request.method != Method::put) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_name(t.request.method));
        }
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Impl::write_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Impl::header_cb);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.errbuf.data());
        curl_easy_setopt(h, CURLOPT_PRIVATE, &t);
        // Proxies are set explicitly (even to "none") so that our reading of the environment is the only one.
        const std::string& proxy = t.current_origin.scheme == "https" ? *options.https_proxy : *options.http_proxy;
        curl_easy_setopt(h, CURLOPT_PROXY, proxy.c_str());
        curl_easy_setopt(h, CURLOPT_NOPROXY, options.no_proxy->c_str());

        const bool same_origin = t.current_origin == t.first_origin;
        t.header_list = detail::StringList();
        for (const auto& [name, value] : t.request.headers) {
            if (!same_origin && is_origin_bound_header(name)) continue;
            if (!t.header_list.append(fmt::format("{}: {}", name, value))) {
                return make_error(ErrorCode::internal, "out of memory building request headers");
            }
        }
        // Without this curl waits up to a second for "100 Continue" before every large body.
        if (sends_body && !t.header_list.append("Expect:")) {
            return make_error(ErrorCode::internal, "out of memory building request headers");
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.header_list.get());
        if (auto creds = credentials_for(t)) {
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
            curl_easy_setopt(h, CURLOPT_USERNAME, creds->first.c_str());
            curl_easy_setopt(h, CURLOPT_PASSWORD, creds->second.reveal().c_str());
        }
        return {};
    }

    auto fail(Transfer& t, Error error) -> void {
        error.message = util::redact_urls_in(error.message);
        if (t.request.sink.kind == Sink::Kind::file) {
            t.close_file();
            std::error_code ec;
            std::filesystem::remove(t.request.sink.path, ec);
        }
        Event e;
        e.kind = Event::Kind::finished;
        e.success = false;
        e.message = error.to_string();
        t.emit(std::move(e));
        t.result.emplace(unexpected(std::move(error)));
    }

    // Failures of the engine's own file sink and file body; a callback receiver that stops a transfer has its
    // own reasons, which its caller reports.
    static auto sink_error_hint(const Transfer& t) -> std::string {
        if (t.sink_error.starts_with("cannot write")) {
            return "check that the folder is writable and that the disk is not full";
        }
        if (t.sink_error.starts_with("cannot read")) {
            return "the file must stay in place, unchanged and readable, until the upload is finished";
        }
        return {};
    }

    auto attempts_text(const Transfer& t) const -> std::string {
        return t.attempt == 1 ? std::string("1 attempt") : fmt::format("{} attempts", t.attempt);
    }

    auto make_response(Transfer& t, long status) const -> Response {
        Response r;
        r.status = status;
        r.url = util::redact_url(t.current_url);
        long version = 0;
        curl_easy_getinfo(t.easy.get(), CURLINFO_HTTP_VERSION, &version);
        r.http_version = version == CURL_HTTP_VERSION_2_0   ? "2"
                         : version == CURL_HTTP_VERSION_1_0 ? "1.0"
                         : version == CURL_HTTP_VERSION_3   ? "3"
                                                            : "1.1";
        r.headers = std::move(t.headers);
        r.body = (status >= 200 && status < 300) ? std::move(t.body) : std::move(t.error_body);
        r.bytes = t.bytes;
        if (auto cl = r.header("content-length")) r.content_length = util::parse_uint64(*cl);
        r.attempts = t.attempt;
        r.redirects = t.redirects;
        r.connections = t.connections;
        return r;
    }

    // Either schedules another attempt (returns true) or decides the transfer is over (returns false).
    auto schedule_retry(Transfer& t, const std::string& reason, std::optional<std::chrono::seconds> retry_after,
                        std::deque<Transfer*>& pending) -> bool {
        if (t.attempt >= options.max_attempts) return false;
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        auto delay = backoff_delay(t.attempt + 1, options.backoff_base, options.backoff_max, unit(rng));
        if (retry_after) delay = std::max<std::chrono::milliseconds>(delay, *retry_after);
        const auto now = Clock::now();
        if (now + delay >= t.deadline) return false;
        t.not_before = now + delay;
        Event e;
        e.kind = Event::Kind::retrying;
        e.message = fmt::format("{}; retrying in {} ms", reason, delay.count());
        t.emit(std::move(e));
        pending.push_back(&t);
        return true;
    }

    void give_up(Transfer& t, const std::string& reason, std::string hint = {}) {
        const bool out_of_time = Clock::now() + options.backoff_base >= t.deadline;
        if (out_of_time && hint.empty()) {
            hint =
                "the request's overall time limit was reached: check the network speed and any proxy, then run "
                "the command again";
        }
        fail(
            t,
            Error{ErrorCode::network,
                  fmt::format(
                      "{} {} failed after {}{}: {}", method_name(t.request.method), t.redacted_url(), attempts_text(t),
                      out_of_time
                          ? fmt::format(" (time limit {} s)",
                                        std::chrono::duration_cast<std::chrono::seconds>(options.total_timeout).count())
                          : std::string(),
                      reason),
                  {},
                  std::move(hint),
                  {}});
    }

    void finish(Transfer& t, CURLcode code, std::deque<Transfer*>& pending) {
        t.close_file();
        long connects = 0;
        curl_easy_getinfo(t.easy.get(), CURLINFO_NUM_CONNECTS, &connects);
        t.connections += connects;
        long status = 0;
        curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);

        if (code != CURLE_OK) {
            std::string detail = t.errbuf[0] != '\0' ? std::string(t.errbuf.data()) : curl_easy_strerror(code);
            if (t.too_large) {
                fail(t, Error{ErrorCode::network,
                              fmt::format("{} {}: the response is larger than the {} bytes allowed for it",
                                          method_name(t.request.method), t.redacted_url(), *t.body_limit),
                              {},
                              "the server sent far more than such a document holds: check that the URL points at "
                              "the right server and that no proxy rewrites the answer",
                              {}});
                return;
            }
            if (!t.sink_error.empty()) {
                fail(t, Error{ErrorCode::io,
                              fmt::format("{} {}: {}", method_name(t.request.method), t.redacted_url(), t.sink_error),
                              {},
                              sink_error_hint(t),
                              {}});
                return;
            }
            if (is_tls_trust_error(code)) {
                fail(t, Error{ErrorCode::network,
                              fmt::format("{} {}: TLS certificate not trusted: {}", method_name(t.request.method),
                                          t.redacted_url(), detail),
                              {},
                              "pass --cert with the CA bundle that signed the server certificate (or set "
                              "SSL_CERT_FILE / REQUESTS_CA_BUNDLE)",
                              {}});
                return;
            }
            if (code == CURLE_PARTIAL_FILE) detail = fmt::format("body truncated ({})", detail);
            if (is_retryable_curl(code)) {
                if (schedule_retry(t, detail, std::nullopt, pending)) return;
            }
            give_up(t, detail, hint_for_curl(code));
            return;
        }

        if (is_redirect_status(status)) {
            char* target = nullptr;
            curl_easy_getinfo(t.easy.get(), CURLINFO_REDIRECT_URL, &target);
            if (target != nullptr && !t.request.follow_redirects) {
                if (t.request.error_status_is_error) {
                    fail(t, Error{ErrorCode::network,
                                  fmt::format("{} {}: the server redirects (HTTP {}) to {}, and this request is not "
                                              "sent anywhere else",
                                              method_name(t.request.method), t.redacted_url(), status,
                                              util::redact_url(target)),
                                  {},
                                  "use the final address directly (check the endpoint URL setting)",
                                  {}});
                    return;
                }
                // Returned as it is (below): the caller reports the 3xx with the server's error document.
            } else if (target != nullptr) {
                follow_redirect(t, status, target, pending);
                return;
            }
        }

        if (status >= 200 && status < 300 && t.request.method != Method::head) {
            const auto cl = [&]() -> std::optional<std::uint64_t> {
                for (const auto& [k, v] : t.headers) {
                    if (k == "content-length") return util::parse_uint64(v);
                }
                return std::nullopt;
            }();
            const bool encoded = std::any_of(t.headers.begin(), t.headers.end(), [](const auto& kv) {
                return kv.first == "content-encoding" && !util::iequals(kv.second, "identity");
            });
            if (cl && !encoded && *cl != t.bytes) {
                const auto reason = fmt::format("body truncated: received {} of {} bytes", t.bytes, *cl);
                if (!schedule_retry(t, reason, std::nullopt, pending))
                    give_up(t, reason, hint_for_curl(CURLE_PARTIAL_FILE));
                return;
            }
        }

        if (is_retryable_status(status)) {
            std::optional<std::chrono::seconds> retry_after;
            for (const auto& [k, v] : t.headers) {
                if (k == "retry-after") retry_after = parse_retry_after(v, std::chrono::system_clock::now());
            }
            const auto reason = fmt::format("HTTP {}", status);
            if (schedule_retry(t, reason, retry_after, pending)) return;
            if (t.request.error_status_is_error) {
                give_up(t, reason,
                        retry_after     ? fmt::format("the server asked to wait {} s: run the command again later",
                                                      retry_after->count())
                        : status == 429 ? "the server limits the request rate: run the command again later"
                                        : "the server kept failing: run the command again later, or ask its "
                                          "operators if it persists");
                return;
            }
        }

        Response response = make_response(t, status);
        if (t.request.error_status_is_error && !response.ok() && !response.not_modified()) {
            const ErrorCode ec = (status == 404 || status == 410) ? ErrorCode::not_found : ErrorCode::network;
            std::string hint;
            if (status == 401 || status == 403) {
                hint = "check the credentials in the URL or in ~/.netrc for this host";
            } else if (status == 404 || status == 410) {
                hint = "check the URL: the server has nothing at this address";
            } else if (status == 407) {
                hint =
                    "the proxy wants credentials: put them in the proxy URL (HTTPS_PROXY=http://user:pass@host:port)";
            }
            fail(t, Error{ec,
                          fmt::format("{} {}: HTTP {}", method_name(t.request.method), t.redacted_url(), status),
                          {},
                          std::move(hint),
                          {}});
            return;
        }
        Event e;
        e.kind = Event::Kind::finished;
        e.success = true;
        e.received = response.bytes;
        t.emit(std::move(e));
        t.result.emplace(std::move(response));
    }

    void follow_redirect(Transfer& t, long status, const char* target, std::deque<Transfer*>& pending) {
        if (t.redirects >= options.max_redirects) {
            fail(t, Error{ErrorCode::network,
                          fmt::format("{} {}: more than {} redirects", method_name(t.request.method), t.redacted_url(),
                                      options.max_redirects),
                          {},
                          "the server redirects in a loop: open the URL in a browser or with curl -L to see where "
                          "it leads, and use the final URL",
                          {}});
            return;
        }
        auto parts = split_credentials(target, t.request.path_as_is);
        if (!parts) {
            fail(t, std::move(parts).error());
            return;
        }
        if (parts->origin.scheme == "http" && !is_trusted(parts->origin, options.trusted_hosts)) {
            auto err = refused_plain_http(parts->origin, parts->url);
            err.error.message = fmt::format("redirect from {}: {}", t.redacted_url(), err.error.message);
            fail(t, std::move(err.error));
            return;
        }
        // After 301/302/303 the next request is a GET without a body (as browsers and curl do for POST; here for
        // every method): a body is never sent again to wherever the server points.
        if ((status == 301 || status == 302 || status == 303) && t.request.method != Method::head) {
            t.request.method = Method::get;
            t.request.body = Body{};
        }
        // Credentials carried by the redirect target itself are ignored: only the caller's URL or netrc count.
        t.current_url = std::move(parts->url);
        t.current_origin = std::move(parts->origin);
        ++t.redirects;
        t.next_is_redirect = true;
        t.not_before = Clock::now();
        pending.push_front(&t);
    }

    auto run(std::vector<Request> requests, Reporter* reporter) -> std::vector<Expected<Response>> {
        std::vector<std::unique_ptr<Transfer>> transfers;
        transfers.reserve(requests.size());
        std::deque<Transfer*> pending;
        const auto start = Clock::now();
        for (std::size_t i = 0; i < requests.size(); ++i) {
            auto t = std::make_unique<Transfer>();
            t->index = i;
            t->request = std::move(requests[i]);
            t->engine = this;
            t->reporter = reporter;
            t->deadline = start + options.total_timeout;
            t->not_before = start;
            auto parts = split_credentials(t->request.url, t->request.path_as_is);
            if (!parts) {
                fail(*t, std::move(parts).error());
            } else if (parts->origin.scheme == "http" && !is_trusted(parts->origin, options.trusted_hosts)) {
                fail(*t, refused_plain_http(parts->origin, t->request.url).error);
            } else {
                t->first_origin = parts->origin;
                t->current_origin = parts->origin;
                t->current_url = std::move(parts->url);
                t->url_credentials = std::move(parts->credentials);
                pending.push_back(t.get());
            }
            transfers.push_back(std::move(t));
        }

        // Whatever happens (an exception from a callback), no easy handle outlives its transfer inside the multi.
        struct Detach {
            CURLM* multi;
            std::vector<std::unique_ptr<Transfer>>& transfers;
            ~Detach() {
                for (auto& t : transfers) {
                    if (t->easy) curl_multi_remove_handle(multi, t->easy.get());
                }
            }
        } detach{multi.get(), transfers};

        std::map<std::string, std::size_t> per_host;
        std::size_t active = 0;
        while (!pending.empty() || active > 0) {
            if (options.cancel != nullptr && options.cancel->load()) {
                for (auto& t : transfers) {
                    if (t->result) continue;
                    if (t->easy) curl_multi_remove_handle(multi.get(), t->easy.get());
                    fail(*t, Error{ErrorCode::network,
                                   fmt::format("{} {}: interrupted", method_name(t->request.method), t->redacted_url()),
                                   {},
                                   "the transfer was stopped on request; run the command again to finish it",
                                   {}});
                }
                break;
            }
            const auto now = Clock::now();
            // Start what may start, keeping queue order among the rest.
            std::deque<Transfer*> waiting;
            while (!pending.empty()) {
                Transfer* t = pending.front();
                pending.pop_front();
                if (t->not_before > now || active >= options.max_concurrency) {
                    waiting.push_back(t);
                    continue;
                }
                const auto key = origin_key(t->current_origin);  // formatted only for what may start
                if (per_host[key] >= options.max_per_host) {
                    waiting.push_back(t);
                    continue;
                }
                if (now >= t->deadline) {
                    give_up(*t, "time limit reached before the transfer could start");
                    continue;
                }
                if (!t->next_is_redirect) ++t->attempt;
                if (auto ok = setup_attempt(*t, now); !ok) {
                    t->next_is_redirect = false;
                    fail(*t, std::move(ok).error());
                    continue;
                }
                if (t->attempt == 1 && !t->next_is_redirect && t->redirects == 0) {
                    Event e;
                    e.kind = Event::Kind::started;
                    t->emit(std::move(e));
                }
                t->next_is_redirect = false;
                if (curl_multi_add_handle(multi.get(), t->easy.get()) != CURLM_OK) {
                    fail(*t, Error{ErrorCode::internal, "curl_multi_add_handle failed", {}, {}, {}});
                    continue;
                }
                ++active;
                ++per_host[key];
            }
            pending = std::move(waiting);

            int running = 0;
            curl_multi_perform(multi.get(), &running);
            int queued = 0;
            while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
                if (msg->msg != CURLMSG_DONE) continue;
                CURL* easy = msg->easy_handle;
                const CURLcode code = msg->data.result;
                Transfer* t = nullptr;
                curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
                curl_multi_remove_handle(multi.get(), easy);
                if (t == nullptr) continue;
                --active;
                --per_host[origin_key(t->current_origin)];
                finish(*t, code, pending);
            }

            // Sleep until curl has work or the next scheduled (retry) start.
            auto wait = std::chrono::milliseconds(active > 0 ? 200 : 1000);
            const auto after = Clock::now();
            for (const Transfer* t : pending) {
                const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(t->not_before - after);
                wait = std::min(wait, std::max(until, std::chrono::milliseconds(0)));
            }
            if (active > 0) {
                curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait.count()), nullptr);
            } else if (!pending.empty() && wait.count() > 0) {
                curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait.count()), nullptr);
            }
        }

        std::vector<Expected<Response>> results;
        results.reserve(transfers.size());
        for (auto& t : transfers) {
            if (t->result) {
                results.push_back(std::move(*t->result));
            } else {
                results.emplace_back(make_error(ErrorCode::internal, "transfer ended without a result"));
            }
        }
        return results;
    }
};

Engine::Engine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
auto Engine::operator=(Engine&&) noexcept -> Engine& = default;

auto Engine::options() const -> const Options& {
    return m_impl->options;
}

auto Engine::create(Options options) -> Expected<Engine> {
    static std::once_flag once;
    static CURLcode init_result = CURLE_OK;
    std::call_once(once, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (init_result != CURLE_OK) return make_error(ErrorCode::internal, "curl_global_init failed");
    try {
        if (options.max_concurrency == 0) options.max_concurrency = 1;
        if (options.max_per_host == 0) options.max_per_host = 1;
        if (options.max_attempts < 1) options.max_attempts = 1;
        if (!options.ca_bundle) {
            if (auto v = first_env({"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"})) options.ca_bundle = *v;
        }
        if (options.ca_bundle && !std::filesystem::exists(*options.ca_bundle)) {
            return make_error(ErrorCode::not_found,
                              fmt::format("CA bundle {} does not exist", options.ca_bundle->string()), {},
                              "check --cert, SSL_CERT_FILE and REQUESTS_CA_BUNDLE");
        }
        if (!options.https_proxy) {
            options.https_proxy = first_env({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}).value_or("");
        }
        if (!options.http_proxy) {
            options.http_proxy = first_env({"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}).value_or("");
        }
        if (!options.no_proxy) options.no_proxy = first_env({"no_proxy", "NO_PROXY"}).value_or("");

        auto impl = std::make_unique<Impl>();
        if (!options.netrc) {
            if (auto v = env("NETRC")) {
                options.netrc = *v;
            } else if (auto home = env("HOME")) {
                options.netrc = std::filesystem::path(*home) / ".netrc";
            }
        }
        if (options.netrc && !options.netrc->empty() && std::filesystem::exists(*options.netrc)) {
            auto text = util::read_file(*options.netrc);
            if (!text) return unexpected(std::move(text).error());
            auto parsed = parse_netrc(*text);
            if (!parsed) {
                auto error = std::move(parsed).error();
                error.location.file = options.netrc->string();
                if (error.hint.empty()) {
                    error.hint = "fix the file at the place shown, or set NETRC to another file";
                }
                return unexpected(std::move(error));
            }
            impl->netrc = std::move(*parsed);
        }
        impl->multi.reset(curl_multi_init());
        if (!impl->multi) return make_error(ErrorCode::internal, "curl_multi_init failed");
        CURLM* m = impl->multi.get();
        curl_multi_setopt(m, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_per_host));
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(options.max_concurrency));
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_concurrency * 2));
        impl->options = std::move(options);
        return Engine(std::move(impl));
    } catch (const std::exception& e) {
        return make_error(ErrorCode::internal, fmt::format("cannot create the HTTP engine: {}", e.what()));
    }
}

auto Engine::run(std::vector<Request> requests, Reporter* reporter) -> std::vector<Expected<Response>> {
    const std::size_t n = requests.size();
    try {
        return m_impl->run(std::move(requests), reporter);
    } catch (const std::exception& e) {
        std::vector<Expected<Response>> results;
        for (std::size_t i = 0; i < n; ++i) {
            results.emplace_back(make_error(ErrorCode::internal, fmt::format("HTTP engine failure: {}", e.what())));
        }
        return results;
    }
}

auto Engine::fetch(Request request, Reporter* reporter) -> Expected<Response> {
    std::vector<Request> one;
    one.push_back(std::move(request));
    auto results = run(std::move(one), reporter);
    return std::move(results.front());
}

}  // namespace wheelhouse::http
