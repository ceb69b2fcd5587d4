#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace wheelhouse::cache {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::system_clock;

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        m_path = fs::temp_directory_path() / ("wh-cache-test-" + std::to_string(rd()));
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    TempDir(TempDir&&) = delete;
    auto operator=(TempDir&&) -> TempDir& = delete;
    [[nodiscard]] auto path() const -> const fs::path& { return m_path; }

private:
    fs::path m_path;
};

class EnvVar {
public:
    EnvVar(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value != nullptr) {
            setenv(name, value, 1);
        } else {
            unsetenv(name);
        }
    }
    ~EnvVar() {
        if (m_old) {
            setenv(m_name, m_old->c_str(), 1);
        } else {
            unsetenv(m_name);
        }
    }
    EnvVar(const EnvVar&) = delete;
    auto operator=(const EnvVar&) -> EnvVar& = delete;
    EnvVar(EnvVar&&) = delete;
    auto operator=(EnvVar&&) -> EnvVar& = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

auto response(long status, std::vector<std::pair<std::string, std::string>> headers, std::string body = {})
    -> http::Response {
    http::Response r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.bytes = r.body.size();
    return r;
}

TEST(CacheDir, PrefersWheelhouseCacheDirThenXdgThenHome) {
    {
        EnvVar a("WHEELHOUSE_CACHE_DIR", "/tmp/explicit");
        EnvVar b("XDG_CACHE_HOME", "/tmp/xdg");
        EXPECT_EQ(default_cache_dir(), fs::path("/tmp/explicit"));
    }
    {
        EnvVar a("WHEELHOUSE_CACHE_DIR", nullptr);
        EnvVar b("XDG_CACHE_HOME", "/tmp/xdg");
        EXPECT_EQ(default_cache_dir(), fs::path("/tmp/xdg/wheelhouse"));
    }
    {
        EnvVar a("WHEELHOUSE_CACHE_DIR", nullptr);
        EnvVar b("XDG_CACHE_HOME", "");
        EnvVar c("HOME", "/home/someone");
        EXPECT_EQ(default_cache_dir(), fs::path("/home/someone/.cache/wheelhouse"));
    }
}

TEST(CacheControl, ParsesMaxAgeNoStoreNoCache) {
    auto cc = parse_cache_control("public, max-age=600");
    ASSERT_TRUE(cc.max_age.has_value());
    EXPECT_EQ(*cc.max_age, 600);
    EXPECT_FALSE(cc.no_store);
    cc = parse_cache_control("No-Store");
    EXPECT_TRUE(cc.no_store);
    cc = parse_cache_control("no-cache, max-age=\"30\"");
    EXPECT_TRUE(cc.no_cache);
    EXPECT_EQ(cc.max_age.value_or(-1), 30);
    cc = parse_cache_control("max-age=abc");
    EXPECT_EQ(cc.max_age.value_or(-1), 0) << "a malformed max-age means stale";
    cc = parse_cache_control("");
    EXPECT_FALSE(cc.max_age.has_value());
}

TEST(CachedPage, IsFreshOnlyWithinMaxAgeAndNotNoCache) {
    const auto now = system_clock::now();
    const auto t = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
    CachedPage page;
    page.stored_at = t - 10;
    EXPECT_FALSE(page.fresh(now)) << "no max-age: always revalidate";
    page.max_age = 60;
    EXPECT_TRUE(page.fresh(now));
    page.max_age = 5;
    EXPECT_FALSE(page.fresh(now));
    page.max_age = 60;
    page.no_cache = true;
    EXPECT_FALSE(page.fresh(now));
}

TEST(CachedPage, ConditionalHeadersCarryTheValidators) {
    CachedPage page;
    EXPECT_TRUE(page.conditional_headers().empty());
    EXPECT_FALSE(page.revalidatable());
    page.etag = "\"abc\"";
    page.last_modified = "Sun, 29 Nov 2026 06:00:00 GMT";
    const auto headers = page.conditional_headers();
    ASSERT_EQ(headers.size(), 2U);
    EXPECT_EQ(headers[0].first, "If-None-Match");
    EXPECT_EQ(headers[0].second, "\"abc\"");
    EXPECT_EQ(headers[1].first, "If-Modified-Since");
}

TEST(HttpCache, StoresAndReadsBackPerUrlAndAccept) {
    TempDir dir;
    HttpCache cache(dir.path());
    const auto now = system_clock::now();
    auto page = HttpCache::page_from_response(
        "https://user:secret@example.org/simple/demo/", "text/html",
        response(200, {{"etag", "\"v1\""}, {"content-type", "text/html"}, {"cache-control", "max-age=30"}},
                 "<a href='x'>x</a>\n\nbody with blank lines\n"),
        now);
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->url.find("secret"), std::string::npos);
    ASSERT_TRUE(cache.store("https://user:secret@example.org/simple/demo/", *page));

    auto back = cache.lookup("https://user:secret@example.org/simple/demo/", "text/html");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->body, page->body);
    EXPECT_EQ(back->etag.value_or(""), "\"v1\"");
    EXPECT_EQ(back->max_age.value_or(-1), 30);
    EXPECT_EQ(back->content_type, "text/html");
    EXPECT_TRUE(back->fresh(now));

    EXPECT_FALSE(cache.lookup("https://user:secret@example.org/simple/demo/", "application/json").has_value())
        << "another Accept is another entry";
    EXPECT_TRUE(cache.lookup("https://example.org/simple/demo/", "text/html").has_value())
        << "credentials are not part of the key";

    // Nothing on disk holds the password.
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
        if (!entry.is_regular_file()) continue;
        auto text = util::read_file(entry.path());
        ASSERT_TRUE(text);
        EXPECT_EQ(text->find("secret"), std::string::npos) << entry.path();
    }
}

TEST(HttpCache, DoesNotStoreNoStoreOrErrors) {
    const auto now = system_clock::now();
    EXPECT_FALSE(
        HttpCache::page_from_response("https://h/p/", "a", response(200, {{"cache-control", "no-store"}}), now));
    EXPECT_FALSE(HttpCache::page_from_response("https://h/p/", "a", response(404, {}), now));
}

TEST(HttpCache, NotModifiedRefreshesValidatorsAndKeepsBody) {
    const auto then = system_clock::now() - seconds(100);
    CachedPage page;
    page.body = "old body";
    page.etag = "\"v1\"";
    page.max_age = 10;
    page.stored_at = std::chrono::duration_cast<seconds>(then.time_since_epoch()).count();
    const auto now = system_clock::now();
    EXPECT_FALSE(page.fresh(now));
    auto refreshed =
        HttpCache::refreshed(page, response(304, {{"etag", "\"v2\""}, {"cache-control", "max-age=60"}}), now);
    EXPECT_EQ(refreshed.body, "old body");
    EXPECT_EQ(refreshed.etag.value_or(""), "\"v2\"");
    EXPECT_TRUE(refreshed.fresh(now));
}

TEST(HttpCache, DamagedEntriesReadAsAbsent) {
    TempDir dir;
    HttpCache cache(dir.path());
    CachedPage page;
    page.accept = "a";
    page.body = "0123456789";
    ASSERT_TRUE(cache.store("https://h/p/", page));
    const auto path = cache.entry_path("https://h/p/", "a");
    auto text = util::read_file(path);
    ASSERT_TRUE(text);
    ASSERT_TRUE(util::write_file_atomic(path, text->substr(0, text->size() - 3)));
    EXPECT_FALSE(cache.lookup("https://h/p/", "a").has_value()) << "a truncated body is not served";
    ASSERT_TRUE(util::write_file_atomic(path, "garbage"));
    EXPECT_FALSE(cache.lookup("https://h/p/", "a").has_value());
}

TEST(HttpCache, SerializeRoundTrips) {
    CachedPage page;
    page.url = "https://h/p/";
    page.accept = "application/vnd.pypi.simple.v1+json, text/html; q=0.01";
    page.content_type = "application/vnd.pypi.simple.v1+json";
    page.last_modified = "Sun, 29 Nov 2026 06:00:00 GMT";
    page.max_age = 0;
    page.no_cache = true;
    page.stored_at = 1700000000;
    page.body = std::string("\0binary\n\nbody", 13);
    auto back = deserialize(serialize(page));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->url, page.url);
    EXPECT_EQ(back->accept, page.accept);
    EXPECT_EQ(back->content_type, page.content_type);
    EXPECT_EQ(back->last_modified, page.last_modified);
    EXPECT_FALSE(back->etag.has_value());
    EXPECT_EQ(back->max_age, page.max_age);
    EXPECT_TRUE(back->no_cache);
    EXPECT_EQ(back->stored_at, page.stored_at);
    EXPECT_EQ(back->body, page.body);
}

TEST(StripCredentials, RemovesUserInfoOnly) {
    EXPECT_EQ(strip_credentials("https://u:p@h:8/x@y"), "https://h:8/x@y");
    EXPECT_EQ(strip_credentials("https://token@h/"), "https://h/");
    EXPECT_EQ(strip_credentials("https://h/a@b"), "https://h/a@b");
    EXPECT_EQ(strip_credentials("not a url"), "not a url");
}

}  // namespace
}  // namespace wheelhouse::cache
