// The http engine against nginx and the fault-injecting proxy started by scripts/index-server
// (CTest fixture index_server; WHEELHOUSE_TEST_SERVERS names its servers.json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::http {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

auto slurp(const fs::path& path) -> std::string {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

struct Servers {
    nlohmann::json info;
    std::map<std::string, std::pair<std::string, std::uint64_t>> files;  // name -> (sha256, size)

    [[nodiscard]] auto port(const char* key) const -> std::string { return std::to_string(info[key].get<int>()); }
    [[nodiscard]] auto https() const -> std::string { return "https://127.0.0.1:" + port("https_port"); }
    [[nodiscard]] auto http() const -> std::string { return "http://127.0.0.1:" + port("http_port"); }
    [[nodiscard]] auto proxy() const -> std::string { return "http://127.0.0.1:" + port("proxy_port"); }
    [[nodiscard]] auto ca() const -> fs::path { return info["ca_cert"].get<std::string>(); }
    [[nodiscard]] auto user() const -> std::string { return info["user"].get<std::string>(); }
    [[nodiscard]] auto password() const -> std::string { return info["password"].get<std::string>(); }
    [[nodiscard]] auto state() const -> fs::path { return info["state"].get<std::string>(); }
};

auto servers() -> const Servers& {
    static const Servers s = [] {
        Servers out;
        const char* path = std::getenv("WHEELHOUSE_TEST_SERVERS");
        if (path == nullptr || !fs::exists(path)) return out;
        out.info = nlohmann::json::parse(slurp(path));
        auto manifest = nlohmann::json::parse(slurp(out.info["manifest"].get<std::string>()));
        for (const auto& [name, entry] : manifest["files"].items()) {
            out.files[name] = {entry["sha256"].get<std::string>(), entry["size"].get<std::uint64_t>()};
        }
        return out;
    }();
    return s;
}

// Sets (or unsets) an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, std::optional<std::string> value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    auto operator=(const ScopedEnv&) -> ScopedEnv& = delete;

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

struct Recorder final : Reporter {
    std::vector<Event> events;
    void on_event(const Event& event) override { events.push_back(event); }
    [[nodiscard]] auto all_text() const -> std::string {
        std::string out;
        for (const auto& e : events) out += e.url + " " + e.message + "\n";
        return out;
    }
};

class HttpIntegration : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(servers().info.is_null())
            << "WHEELHOUSE_TEST_SERVERS does not name a servers.json: run through ctest (fixture index_server)";
        m_tmp = fs::temp_directory_path() / ("wh-http-it-" + std::to_string(::getpid()));
        fs::create_directories(m_tmp);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_tmp, ec);
    }

    // Options that ignore the developer's own environment (netrc, proxies).
    static auto base_options() -> Options {
        Options o;
        o.ca_bundle = servers().ca();
        o.netrc = fs::path();
        o.https_proxy = "";
        o.http_proxy = "";
        o.no_proxy = "";
        o.backoff_base = 50ms;
        o.backoff_max = 500ms;
        return o;
    }
    static auto make(const Options& o) -> Engine {
        auto e = Engine::create(o);
        EXPECT_TRUE(e) << e.error().to_string();
        return std::move(*e);
    }
    // Options for going through the fault proxy: plain http on loopback, quick stall detection.
    static auto fault_options() -> Options {
        Options o = base_options();
        o.trusted_hosts = {"127.0.0.1"};
        o.low_speed_time = 1s;
        o.total_timeout = 6s;
        return o;
    }
    static auto through_proxy(const std::string& spec, const std::string& path) -> std::string {
        return servers().proxy() + "/_fault/" + spec + path;
    }

    fs::path m_tmp;
};

auto first_file(const std::string& prefix) -> std::string {
    for (const auto& [name, _] : servers().files) {
        if (name.rfind(prefix, 0) == 0) return name;
    }
    return {};
}

TEST_F(HttpIntegration, FetchesManyFilesInParallelOverHttp2WithCorrectBytesAndFewConnections) {
    auto engine = make(base_options());
    std::vector<Request> batch;
    std::vector<std::string> names;
    for (const auto& [name, _] : servers().files) {
        batch.emplace_back(servers().https() + "/files/" + name);
        names.push_back(name);
    }
    ASSERT_GE(batch.size(), 40U);
    Recorder recorder;
    auto results = engine.run(std::move(batch), &recorder);
    ASSERT_EQ(results.size(), names.size());
    long connections = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i]) << names[i] << ": " << results[i].error().to_string();
        const auto& [sha, size] = servers().files.at(names[i]);
        EXPECT_EQ(results[i]->status, 200);
        EXPECT_EQ(results[i]->body.size(), size) << names[i];
        EXPECT_EQ(util::sha256_hex(results[i]->body), sha) << names[i];
        EXPECT_EQ(results[i]->http_version, "2") << names[i];
        connections += results[i]->connections;
    }
    EXPECT_GE(connections, 1);
    EXPECT_LT(connections, static_cast<long>(names.size()) / 4) << "HTTP/2 should multiplex over few connections";
    std::size_t started = 0;
    std::size_t finished = 0;
    for (const auto& e : recorder.events) {
        started += e.kind == Event::Kind::started ? 1U : 0U;
        finished += (e.kind == Event::Kind::finished && e.success) ? 1U : 0U;
    }
    EXPECT_EQ(started, names.size());
    EXPECT_EQ(finished, names.size());

    // A second batch reuses the open connection.
    auto again = engine.fetch(Request(servers().https() + "/files/" + names.front()));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->connections, 0);
}

TEST_F(HttpIntegration, ReusesKeepAliveConnectionsOverHttp11AndStreamsToFiles) {
    Options o = base_options();
    o.trusted_hosts = {"127.0.0.1"};
    o.max_concurrency = 4;
    auto engine = make(o);
    std::vector<Request> batch;
    std::vector<std::string> names;
    for (const auto& [name, _] : servers().files) {
        batch.emplace_back(servers().http() + "/files/" + name, Sink::file(m_tmp / name));
        names.push_back(name);
    }
    auto results = engine.run(std::move(batch));
    long connections = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i]) << results[i].error().to_string();
        EXPECT_EQ(results[i]->http_version, "1.1");
        EXPECT_TRUE(results[i]->body.empty());
        const auto& [sha, size] = servers().files.at(names[i]);
        EXPECT_EQ(results[i]->bytes, size);
        EXPECT_EQ(util::sha256_hex(slurp(m_tmp / names[i])), sha) << names[i];
        connections += results[i]->connections;
    }
    EXPECT_LE(connections, 4) << "keep-alive: at most one connection per parallel slot";
    EXPECT_LT(connections, static_cast<long>(names.size()));
}

TEST_F(HttpIntegration, StreamsChunksToACallbackAndReportsProgress) {
    auto engine = make(base_options());
    const std::string name = first_file("big_blob");
    ASSERT_FALSE(name.empty());
    util::Sha256 hash;
    std::size_t chunks = 0;
    Recorder recorder;
    auto r = engine.fetch(Request(servers().https() + "/files/" + name, Sink::callback([&](std::string_view c) {
                                      hash.update(c);
                                      ++chunks;
                                      return true;
                                  })),
                          &recorder);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(hash.finish_hex(), servers().files.at(name).first);
    EXPECT_GT(chunks, 1U);
    std::uint64_t last = 0;
    std::size_t progress = 0;
    for (const auto& e : recorder.events) {
        if (e.kind != Event::Kind::progress) continue;
        ++progress;
        EXPECT_GE(e.received, last);
        last = e.received;
        ASSERT_TRUE(e.total);
        EXPECT_EQ(*e.total, servers().files.at(name).second);
    }
    EXPECT_GT(progress, 1U);
    EXPECT_EQ(last, servers().files.at(name).second);
}

TEST_F(HttpIntegration, ServesJsonOrHtmlByContentNegotiationAndHonoursRanges) {
    auto engine = make(base_options());
    Request json(servers().https() + "/simple/demo-pkg/");
    json.headers = {{"Accept", "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1"}};
    auto j = engine.fetch(std::move(json));
    ASSERT_TRUE(j) << j.error().to_string();
    EXPECT_EQ(j->content_type().value_or(""), "application/vnd.pypi.simple.v1+json");
    EXPECT_TRUE(nlohmann::json::accept(j->body));
    auto h = engine.fetch(Request(servers().https() + "/simple/demo-pkg/"));
    ASSERT_TRUE(h) << h.error().to_string();
    EXPECT_EQ(h->content_type().value_or(""), "text/html");
    EXPECT_NE(h->body.find("data-requires-python=\"&gt;=3.8,&lt;4\""), std::string::npos);

    const std::string name = first_file("big_blob");
    Request range(servers().https() + "/files/" + name);
    range.headers = {{"Range", "bytes=100-199"}};
    auto r = engine.fetch(std::move(range));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->status, 206);
    EXPECT_EQ(r->body, slurp(servers().state() / "tree" / "files" / name).substr(100, 100));
}

TEST_F(HttpIntegration, AnswersConditionalRequestsWith304) {
    auto engine = make(base_options());
    const std::string url = servers().https() + "/simple/six/";
    auto first = engine.fetch(Request(url));
    ASSERT_TRUE(first) << first.error().to_string();
    ASSERT_TRUE(first->etag());
    ASSERT_TRUE(first->last_modified());
    Request by_etag(url);
    by_etag.headers = {{"If-None-Match", *first->etag()}};
    auto second = engine.fetch(std::move(by_etag));
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_EQ(second->status, 304);
    EXPECT_TRUE(second->not_modified());
    EXPECT_TRUE(second->body.empty());
    Request by_date(url);
    by_date.headers = {{"If-Modified-Since", *first->last_modified()}};
    auto third = engine.fetch(std::move(by_date));
    ASSERT_TRUE(third) << third.error().to_string();
    EXPECT_EQ(third->status, 304);
    Request stale(url);
    stale.headers = {{"If-None-Match", "\"not-the-etag\""}};
    auto fourth = engine.fetch(std::move(stale));
    ASSERT_TRUE(fourth);
    EXPECT_EQ(fourth->status, 200);
}

TEST_F(HttpIntegration, BasicAuthFromTheUrlWorksAndThePasswordAppearsNowhere) {
    auto engine = make(base_options());
    const auto& s = servers();
    const std::string with_creds = "https://" + s.user() + ":" + s.password() + "@127.0.0.1:" + s.port("https_port");
    Recorder recorder;
    auto ok = engine.fetch(Request(with_creds + "/private/simple/six/"), &recorder);
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_NE(ok->body.find("six-1.16.0"), std::string::npos);
    EXPECT_EQ(ok->url.find(s.password()), std::string::npos);

    auto no_creds = engine.fetch(Request(s.https() + "/private/simple/six/"), &recorder);
    ASSERT_FALSE(no_creds);
    EXPECT_NE(no_creds.error().to_string().find("401"), std::string::npos);

    const std::string wrong = "https://" + s.user() + ":" + s.password() + "x@127.0.0.1:" + s.port("https_port");
    auto bad = engine.fetch(Request(wrong + "/private/simple/six/"), &recorder);
    ASSERT_FALSE(bad);
    const auto text = bad.error().to_string();
    EXPECT_NE(text.find("401"), std::string::npos) << text;
    EXPECT_NE(text.find(s.user() + ":***@"), std::string::npos) << text;
    EXPECT_EQ(text.find(s.password()), std::string::npos) << text;
    EXPECT_EQ(recorder.all_text().find(s.password()), std::string::npos) << recorder.all_text();
    EXPECT_EQ(bad.error().hint.find(s.password()), std::string::npos);
}

TEST_F(HttpIntegration, BasicAuthFromNetrcWorksForThatHostOnly) {
    const auto& s = servers();
    const fs::path netrc = m_tmp / "netrc";
    std::ofstream(netrc) << "machine 127.0.0.1 login " << s.user() << " password " << s.password() << "\n";
    {
        // Through the NETRC environment variable, as a user would.
        ScopedEnv env("NETRC", netrc.string());
        Options o = base_options();
        o.netrc.reset();
        auto engine = make(o);
        auto ok = engine.fetch(Request(s.https() + "/private/simple/six/"));
        ASSERT_TRUE(ok) << ok.error().to_string();
        auto echo = engine.fetch(Request(s.https() + "/private/echo-auth"));
        ASSERT_TRUE(echo) << echo.error().to_string();
        EXPECT_NE(echo->body.find("Basic "), std::string::npos);
        // The netrc entry is for 127.0.0.1: a redirect to 127.0.0.2 must not carry it.
        Recorder recorder;
        auto moved = engine.fetch(Request(s.https() + "/redirect-other"), &recorder);
        ASSERT_TRUE(moved) << moved.error().to_string();
        EXPECT_EQ(moved->redirects, 1);
        EXPECT_EQ(moved->body, "authorization=[]\n");
        EXPECT_EQ(recorder.all_text().find(s.password()), std::string::npos);
    }
    auto engine = make(base_options());  // netrc disabled
    EXPECT_FALSE(engine.fetch(Request(s.https() + "/private/simple/six/")));
}

TEST_F(HttpIntegration, RedirectToAnotherHostDropsCredentialsButSameHostKeepsThem) {
    const auto& s = servers();
    auto engine = make(base_options());
    const std::string base = "https://" + s.user() + ":" + s.password() + "@127.0.0.1:" + s.port("https_port");

    auto same = engine.fetch(Request(base + "/redirect-same"));
    ASSERT_TRUE(same) << same.error().to_string();
    EXPECT_EQ(same->redirects, 1);
    EXPECT_NE(same->body.find("authorization=[Basic "), std::string::npos) << same->body;

    const auto log_before = slurp(s.info["other_access_log"].get<std::string>());
    Request other(base + "/private/redirect-other");
    other.headers = {{"Authorization", "Bearer caller-token"}};
    auto moved = engine.fetch(std::move(other));
    ASSERT_TRUE(moved) << moved.error().to_string();
    EXPECT_EQ(moved->redirects, 1);
    EXPECT_EQ(moved->body, "authorization=[]\n");
    EXPECT_NE(moved->url.find("127.0.0.2"), std::string::npos);
    const auto log_after = slurp(s.info["other_access_log"].get<std::string>());
    ASSERT_GT(log_after.size(), log_before.size());
    const auto new_lines = log_after.substr(log_before.size());
    EXPECT_NE(new_lines.find("auth=\"-\""), std::string::npos) << new_lines;
    EXPECT_EQ(new_lines.find("Basic"), std::string::npos) << new_lines;
    EXPECT_EQ(new_lines.find("caller-token"), std::string::npos) << new_lines;
}

TEST_F(HttpIntegration, RefusesAnUnknownCaAndAcceptsTheOneGivenByCertOrSslCertFile) {
    const auto& s = servers();
    Options unrelated = base_options();
    unrelated.ca_bundle = s.info["unrelated_ca_cert"].get<std::string>();
    auto refused = make(unrelated).fetch(Request(s.https() + "/simple/six/"));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().to_string().find("--cert"), std::string::npos) << refused.error().to_string();
    EXPECT_EQ(refused.error().code, ErrorCode::network);

    {
        // The system store does not know our CA either.
        ScopedEnv a("SSL_CERT_FILE", std::nullopt);
        ScopedEnv b("REQUESTS_CA_BUNDLE", std::nullopt);
        Options system = base_options();
        system.ca_bundle.reset();
        EXPECT_FALSE(make(system).fetch(Request(s.https() + "/simple/six/")));
    }
    for (const char* var : {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}) {
        ScopedEnv a("SSL_CERT_FILE", std::nullopt);
        ScopedEnv b("REQUESTS_CA_BUNDLE", std::nullopt);
        ScopedEnv c(var, s.ca().string());
        Options from_env = base_options();
        from_env.ca_bundle.reset();
        auto ok = make(from_env).fetch(Request(s.https() + "/simple/six/"));
        EXPECT_TRUE(ok) << var << ": " << ok.error().to_string();
    }
    auto accepted = make(base_options()).fetch(Request(s.https() + "/simple/six/"));
    EXPECT_TRUE(accepted) << accepted.error().to_string();
}

TEST_F(HttpIntegration, RefusesPlainHttpWithoutTrustedHostIncludingOnRedirect) {
    const auto& s = servers();
    auto strict = make(base_options());
    auto refused = strict.fetch(Request(s.http() + "/simple/six/"));
    ASSERT_FALSE(refused);
    const auto text = refused.error().to_string();
    EXPECT_NE(text.find("127.0.0.1:" + s.port("http_port")), std::string::npos) << text;
    EXPECT_NE(text.find("--trusted-host"), std::string::npos) << text;

    auto downgrade = strict.fetch(Request(s.https() + "/redirect-plain"));
    ASSERT_FALSE(downgrade);
    EXPECT_NE(downgrade.error().to_string().find("--trusted-host"), std::string::npos);

    Options o = base_options();
    o.trusted_hosts = {"127.0.0.1:" + s.port("http_port")};
    auto trusted = make(o);
    EXPECT_TRUE(trusted.fetch(Request(s.http() + "/simple/six/")));
    EXPECT_TRUE(trusted.fetch(Request(s.https() + "/redirect-plain")));
}

TEST_F(HttpIntegration, UsesProxiesFromTheEnvironmentAndHonoursNoProxy) {
    const auto& s = servers();
    auto stats = [&] {
        Options o = base_options();
        o.trusted_hosts = {"127.0.0.1"};
        auto r = make(o).fetch(Request(s.proxy() + "/_control/stats"));
        EXPECT_TRUE(r);
        return r ? nlohmann::json::parse(r->body)["requests"].get<int>() : -1;
    };
    Options o = base_options();
    o.trusted_hosts = {"127.0.0.1"};
    o.http_proxy.reset();
    o.https_proxy.reset();
    o.no_proxy.reset();
    ScopedEnv lower("http_proxy", std::nullopt);
    ScopedEnv lower_no("no_proxy", std::nullopt);
    {
        // Upper-case HTTP_PROXY, which libcurl alone ignores.
        ScopedEnv proxy("HTTP_PROXY", s.proxy());
        ScopedEnv none("NO_PROXY", std::nullopt);
        const int before = stats();
        auto r = make(o).fetch(Request(s.http() + "/simple/six/"));
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(stats(), before + 1) << "the request should have gone through the proxy";
    }
    {
        ScopedEnv proxy("HTTP_PROXY", s.proxy());
        ScopedEnv none("NO_PROXY", "localhost,127.0.0.1");
        const int before = stats();
        auto r = make(o).fetch(Request(s.http() + "/simple/six/"));
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(stats(), before) << "NO_PROXY should have bypassed the proxy";
    }
}

TEST_F(HttpIntegration, RecoversFromConnectionResets) {
    auto engine = make(fault_options());
    const std::string name = first_file("bulk_03");
    auto r = engine.fetch(Request(through_proxy("reset,times=2", "/files/" + name)));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->attempts, 3);
    EXPECT_EQ(util::sha256_hex(r->body), servers().files.at(name).first);

    const auto start = Clock::now();
    const fs::path target = m_tmp / "reset.whl";
    auto bad = engine.fetch(Request(through_proxy("reset", "/files/" + name), Sink::file(target)));
    EXPECT_LT(Clock::now() - start, 6s);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().to_string().find("5 attempts"), std::string::npos) << bad.error().to_string();
    EXPECT_FALSE(fs::exists(target)) << "a failed download leaves no file behind";
}

TEST_F(HttpIntegration, DetectsStallsAndRetriesOrFailsWithinTheBound) {
    auto engine = make(fault_options());
    const std::string name = first_file("bulk_04");
    auto start = Clock::now();
    auto r = engine.fetch(Request(through_proxy("stall,times=1", "/files/" + name)));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->attempts, 2);
    EXPECT_EQ(util::sha256_hex(r->body), servers().files.at(name).first);
    EXPECT_LT(Clock::now() - start, 5s);

    Options o = fault_options();
    o.total_timeout = 3s;
    auto bounded = make(o);
    start = Clock::now();
    auto stalled = bounded.fetch(Request(through_proxy("stall-body", "/files/" + name)));
    const auto elapsed = Clock::now() - start;
    ASSERT_FALSE(stalled);
    EXPECT_LT(elapsed, 4500ms) << "the total time bound (3 s) must hold";
    EXPECT_EQ(stalled.error().code, ErrorCode::network);
}

TEST_F(HttpIntegration, NeverReportsATruncatedBodyAsSuccess) {
    auto engine = make(fault_options());
    const std::string name = first_file("big_blob");
    int restarts = 0;
    util::Sha256 hash;
    std::uint64_t seen = 0;
    auto sink = Sink::callback(
        [&](std::string_view c) {
            hash.update(c);
            seen += c.size();
            return true;
        },
        [&] {
            ++restarts;
            hash = util::Sha256();
            seen = 0;
        });
    auto r = engine.fetch(Request(through_proxy("truncate,times=1", "/files/" + name), std::move(sink)));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->attempts, 2);
    EXPECT_EQ(restarts, 1);
    EXPECT_EQ(seen, servers().files.at(name).second);
    EXPECT_EQ(hash.finish_hex(), servers().files.at(name).first);

    const fs::path target = m_tmp / "truncated.whl";
    auto bad = engine.fetch(Request(through_proxy("truncate", "/files/" + name), Sink::file(target)));
    ASSERT_FALSE(bad) << "a truncated body was reported as success";
    EXPECT_NE(bad.error().to_string().find("truncated"), std::string::npos) << bad.error().to_string();
    EXPECT_FALSE(fs::exists(target));
}

TEST_F(HttpIntegration, RetriesServerErrorsAndHonoursRetryAfterButNotOther4xx) {
    auto engine = make(fault_options());
    const std::string path = "/simple/six/";
    auto storm = engine.fetch(Request(through_proxy("status=503,times=3", path)));
    ASSERT_TRUE(storm) << storm.error().to_string();
    EXPECT_EQ(storm->attempts, 4);
    EXPECT_NE(storm->body.find("six-1.16.0"), std::string::npos);

    auto endless = engine.fetch(Request(through_proxy("status=503", path)));
    ASSERT_FALSE(endless);
    EXPECT_NE(endless.error().to_string().find("HTTP 503"), std::string::npos) << endless.error().to_string();

    Request raw(through_proxy("status=503,id=raw", path));
    raw.error_status_is_error = false;
    auto kept = engine.fetch(std::move(raw));
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->status, 503);
    EXPECT_EQ(kept->body, "injected 503\n");

    for (const char* spec : {"status=500,times=1", "status=502,times=1", "status=504,times=1", "status=408,times=1"}) {
        auto r = engine.fetch(Request(through_proxy(spec, path)));
        ASSERT_TRUE(r) << spec << ": " << r.error().to_string();
        EXPECT_EQ(r->attempts, 2) << spec;
    }

    auto start = Clock::now();
    auto limited = engine.fetch(Request(through_proxy("status=429,retry-after=1,times=1", path)));
    ASSERT_TRUE(limited) << limited.error().to_string();
    EXPECT_GE(Clock::now() - start, 1s) << "Retry-After: 1 must be honoured";

    Options o = fault_options();
    o.total_timeout = 2s;
    start = Clock::now();
    auto too_long = make(o).fetch(Request(through_proxy("status=429,retry-after=30", path)));
    ASSERT_FALSE(too_long);
    EXPECT_LT(Clock::now() - start, 2s) << "a Retry-After beyond the bound fails at once";

    for (const char* spec : {"status=404", "status=403", "status=400"}) {
        Request req(through_proxy(std::string(spec) + ",times=1", path));
        req.error_status_is_error = false;
        auto r = engine.fetch(std::move(req));
        ASSERT_TRUE(r) << spec;
        EXPECT_EQ(r->status, std::stol(std::string(spec).substr(7))) << spec;
        EXPECT_EQ(r->attempts, 1) << spec << ": never retried";
        EXPECT_FALSE(engine.fetch(Request(through_proxy(std::string(spec), path)))) << spec;
    }
    auto missing = engine.fetch(Request(servers().proxy() + "/files/no-such-file.whl"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(HttpIntegration, ParallelBatchThroughMixedFaultsEndsWithCorrectBytes) {
    auto engine = make(fault_options());
    const std::vector<std::string> specs = {"reset,times=1", "truncate,times=1",   "status=503,times=2",
                                            "latency=200",   "status=500,times=1", "stall,times=1"};
    std::vector<Request> batch;
    std::vector<std::string> names;
    std::size_t i = 0;
    for (const auto& [name, _] : servers().files) {
        if (name.rfind("bulk_", 0) != 0) continue;
        batch.emplace_back(through_proxy(specs[i % specs.size()] + ",id=mixed", "/files/" + name));
        names.push_back(name);
        ++i;
    }
    ASSERT_GE(batch.size(), 40U);
    const auto start = Clock::now();
    auto results = engine.run(std::move(batch));
    EXPECT_LT(Clock::now() - start, 6s);
    for (std::size_t k = 0; k < results.size(); ++k) {
        ASSERT_TRUE(results[k]) << names[k] << ": " << results[k].error().to_string();
        EXPECT_EQ(util::sha256_hex(results[k]->body), servers().files.at(names[k]).first) << names[k];
    }
}

}  // namespace
}  // namespace wheelhouse::http
