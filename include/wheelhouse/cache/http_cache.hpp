// HTTP cache of index pages on disk: ETag / Last-Modified revalidation and Cache-Control max-age.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cache {

// The cache folder: $WHEELHOUSE_CACHE_DIR, else $XDG_CACHE_HOME/wheelhouse, else ~/.cache/wheelhouse, else (no
// HOME) <tmp>/wheelhouse-cache-<uid>.
auto default_cache_dir() -> std::filesystem::path;

// Makes `root` ready to hold a cache: creates it (and missing parents) with mode 0700, or checks an existing
// one. Whoever can write the cache decides what later builds bundle, so a folder (or a symlink to one) owned
// by another user is refused, as is anything that is not a folder.
auto prepare_cache_dir(const std::filesystem::path& root) -> Expected<void>;

struct CacheControl {
    std::optional<std::int64_t> max_age;  // seconds
    bool no_store = false;
    bool no_cache = false;  // may be stored, but must be revalidated every time
};
auto parse_cache_control(std::string_view value) -> CacheControl;

// One stored response. Keyed by URL (credentials removed) and the Accept header, because the same
// URL answers HTML or JSON depending on what was asked for.
struct CachedPage {
    std::string url;  // redacted; informative only
    std::string accept;
    std::string content_type;
    std::optional<std::string> etag;
    std::optional<std::string> last_modified;
    std::optional<std::int64_t> max_age;
    bool no_cache = false;
    std::int64_t stored_at = 0;  // unix seconds
    std::string body;

    // Usable without asking the server: within max-age and not marked no-cache.
    [[nodiscard]] auto fresh(std::chrono::system_clock::time_point now) const -> bool;
    // If-None-Match / If-Modified-Since for a revalidation; empty when there is nothing to revalidate with.
    [[nodiscard]] auto conditional_headers() const -> std::vector<std::pair<std::string, std::string>>;
    [[nodiscard]] auto revalidatable() const -> bool { return etag.has_value() || last_modified.has_value(); }
};

class HttpCache {
public:
    explicit HttpCache(std::filesystem::path root);  // pages go under root/http-v1/

    [[nodiscard]] auto root() const -> const std::filesystem::path& { return m_root; }
    // The stored page for (url, accept), if any. A damaged entry reads as absent.
    [[nodiscard]] auto lookup(std::string_view url, std::string_view accept) const -> std::optional<CachedPage>;
    // Stores a page atomically (a concurrent reader sees the old or the new entry, never half of one).
    auto store(std::string_view url, const CachedPage& page) const -> Expected<void>;
    // A 2xx response as a page to store; nullopt when the response says not to store it.
    static auto page_from_response(std::string_view url, std::string_view accept, const http::Response& response,
                                   std::chrono::system_clock::time_point now) -> std::optional<CachedPage>;
    // A 304 refreshes the stored validators and lifetime and keeps the body.
    static auto refreshed(CachedPage page, const http::Response& not_modified,
                          std::chrono::system_clock::time_point now) -> CachedPage;

    // File that holds the entry for (url, accept).
    [[nodiscard]] auto entry_path(std::string_view url, std::string_view accept) const -> std::filesystem::path;

private:
    std::filesystem::path m_root;
};

// The entry format, exposed for tests: a header block then the body.
auto serialize(const CachedPage& page) -> std::string;
auto deserialize(std::string_view data) -> Expected<CachedPage>;

// The URL without user:password (cache keys and stored files never hold credentials).
auto strip_credentials(std::string_view url) -> std::string;

}  // namespace wheelhouse::cache
