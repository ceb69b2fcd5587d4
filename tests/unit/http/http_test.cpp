#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wheelhouse/http/http.hpp"

namespace wheelhouse::http {
namespace {

using namespace std::chrono_literals;

TEST(Netrc, FindsMachineEntriesAndFallsBackToDefault) {
    auto netrc = parse_netrc(
        "# comment\n"
        "machine Index.Example.com login alice password s3cret\n"
        "machine other login bob\n  password \"with space\"\n"
        "macdef init\ncd /\nls\n\n"
        "default login anon password guest\n");
    ASSERT_TRUE(netrc) << netrc.error().to_string();
    ASSERT_EQ(netrc->entries.size(), 3U);
    const auto* a = netrc->find("index.example.com");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->login, "alice");
    EXPECT_EQ(a->password.reveal(), "s3cret");
    const auto* b = netrc->find("OTHER");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->password.reveal(), "with space");
    const auto* d = netrc->find("unknown.host");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->login, "anon");
}

TEST(Netrc, RejectsMalformedFilesWithoutEchoingTheirTokens) {
    for (const char* text : {"machine", "machine a login", "login x", "machine a hunter2", "machine a password \"x"}) {
        auto netrc = parse_netrc(text);
        ASSERT_FALSE(netrc) << text;
        EXPECT_GT(netrc.error().location.column, 0) << text;
        EXPECT_EQ(netrc.error().to_string().find("hunter2"), std::string::npos);
    }
    EXPECT_TRUE(parse_netrc(""));
}

TEST(Origin, FillsDefaultPortsAndLowerCasesHosts) {
    auto a = origin_of("https://User:pw@Files.Example.COM/x/y?z#f");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->scheme, "https");
    EXPECT_EQ(a->host, "files.example.com");
    EXPECT_EQ(a->port, 443);
    auto b = origin_of("http://[::1]:8080/");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "::1");
    EXPECT_EQ(b->port, 8080);
    EXPECT_FALSE(origin_of("not a url"));
    auto bad = origin_of("https://user:topsecret@/path");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().to_string().find("topsecret"), std::string::npos);
}

TEST(TrustedHosts, MatchHostForAnyPortOrExactHostPort) {
    const Origin o{"http", "127.0.0.1", 8080};
    EXPECT_TRUE(is_trusted(o, {"127.0.0.1"}));
    EXPECT_TRUE(is_trusted(o, {"127.0.0.1:8080"}));
    EXPECT_TRUE(is_trusted(o, {"http://127.0.0.1:8080/"}));
    EXPECT_FALSE(is_trusted(o, {"127.0.0.1:8081"}));
    EXPECT_FALSE(is_trusted(o, {"localhost"}));
    EXPECT_FALSE(is_trusted(o, {}));
    EXPECT_TRUE(is_trusted(Origin{"http", "::1", 80}, {"[::1]"}));
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
    const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    EXPECT_EQ(parse_retry_after("120", now), 120s);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now), 0s);
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("", now));
    EXPECT_FALSE(parse_retry_after("-5", now));
}

TEST(Backoff, GrowsExponentiallyWithJitterAndIsCapped) {
    EXPECT_EQ(backoff_delay(1, 100ms, 10s, 0.5), 0ms);
    EXPECT_EQ(backoff_delay(2, 100ms, 10s, 0.0), 50ms);
    EXPECT_EQ(backoff_delay(2, 100ms, 10s, 0.999), 99ms);
    EXPECT_EQ(backoff_delay(4, 100ms, 10s, 0.0), 200ms);
    EXPECT_EQ(backoff_delay(40, 100ms, 10s, 0.0), 5000ms);
    EXPECT_LE(backoff_delay(40, 100ms, 10s, 1.0), 10000ms);
}

// A TCP port on loopback that refuses connections: bound, never listened on.
class ClosedPort {
public:
    ClosedPort() {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // NOLINT
        socklen_t len = sizeof addr;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);  // NOLINT
        m_port = ntohs(addr.sin_port);
    }
    ~ClosedPort() { ::close(m_fd); }
    ClosedPort(const ClosedPort&) = delete;
    auto operator=(const ClosedPort&) -> ClosedPort& = delete;
    [[nodiscard]] auto port() const -> int { return m_port; }

private:
    int m_fd = -1;
    int m_port = 0;
};

struct Recorder final : Reporter {
    std::vector<Event> events;
    void on_event(const Event& event) override { events.push_back(event); }
};

TEST(Engine, RefusesPlainHttpToUntrustedHostNamingTheFix) {
    auto engine = Engine::create();
    ASSERT_TRUE(engine) << engine.error().to_string();
    auto r = engine->fetch(Request{"http://user:hunter2@127.0.0.1:9/simple/"});
    ASSERT_FALSE(r);
    const auto text = r.error().to_string();
    EXPECT_NE(text.find("127.0.0.1:9"), std::string::npos) << text;
    EXPECT_NE(text.find("--trusted-host"), std::string::npos) << text;
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
}

TEST(Engine, RefusesSchemesOtherThanHttpAndHttps) {
    auto engine = Engine::create();
    ASSERT_TRUE(engine);
    for (const char* url : {"file:///etc/passwd", "ftp://example.com/x", "gopher://x/"}) {
        auto r = engine->fetch(Request{url});
        ASSERT_FALSE(r) << url;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << url;
    }
}

TEST(Engine, RetriesRefusedConnectionsThenFailsWithinTheTimeBoundAndRedactsTheUrl) {
    ClosedPort closed;
    Options options;
    options.trusted_hosts = {"127.0.0.1"};
    options.max_attempts = 3;
    options.backoff_base = 20ms;
    options.total_timeout = 5s;
    options.netrc = std::filesystem::path();
    auto engine = Engine::create(options);
    ASSERT_TRUE(engine);
    Recorder recorder;
    const auto start = Clock::now();
    auto r =
        engine->fetch(Request{"http://alice:hunter2@127.0.0.1:" + std::to_string(closed.port()) + "/x"}, &recorder);
    EXPECT_LT(Clock::now() - start, 5s);
    ASSERT_FALSE(r);
    const auto text = r.error().to_string();
    EXPECT_EQ(r.error().code, ErrorCode::network);
    EXPECT_NE(text.find("3 attempts"), std::string::npos) << text;
    EXPECT_NE(text.find("alice:***@"), std::string::npos) << text;
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    int retries = 0;
    for (const auto& e : recorder.events) {
        EXPECT_EQ(e.url.find("hunter2"), std::string::npos);
        EXPECT_EQ(e.message.find("hunter2"), std::string::npos);
        if (e.kind == Event::Kind::retrying) ++retries;
    }
    EXPECT_EQ(retries, 2);
    ASSERT_FALSE(recorder.events.empty());
    EXPECT_EQ(recorder.events.front().kind, Event::Kind::started);
    EXPECT_EQ(recorder.events.back().kind, Event::Kind::finished);
    EXPECT_FALSE(recorder.events.back().success);
}

TEST(Engine, ReturnsOneResultPerRequestInOrder) {
    auto engine = Engine::create();
    ASSERT_TRUE(engine);
    std::vector<Request> batch;
    batch.push_back(Request{"ftp://a/"});
    batch.push_back(Request{"http://127.0.0.1:9/"});
    batch.push_back(Request{"::"});
    auto results = engine->run(std::move(batch));
    ASSERT_EQ(results.size(), 3U);
    EXPECT_EQ(results[0].error().code, ErrorCode::invalid_input);
    EXPECT_EQ(results[1].error().code, ErrorCode::usage);
    EXPECT_EQ(results[2].error().code, ErrorCode::invalid_input);
}

TEST(Engine, RejectsAMissingCaBundle) {
    Options options;
    options.ca_bundle = "/nonexistent/ca.pem";
    auto engine = Engine::create(options);
    ASSERT_FALSE(engine);
    EXPECT_NE(engine.error().to_string().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace wheelhouse::http
