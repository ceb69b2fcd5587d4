#include "wheelhouse/cache/http_cache.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cache {

namespace {

constexpr std::string_view magic = "wheelhouse-http-cache 1";

auto env(const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

auto parse_int64(std::string_view text) -> std::optional<std::int64_t> {
    bool negative = false;
    if (!text.empty() && text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    auto value = util::parse_uint64(text);
    if (!value || *value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    const auto v = static_cast<std::int64_t>(*value);
    return negative ? -v : v;
}

auto unix_seconds(std::chrono::system_clock::time_point t) -> std::int64_t {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Header values go on one line each in the entry file.
auto one_line(std::string_view value) -> std::string {
    std::string out;
    for (char c : value) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    return out;
}

}  // namespace

auto default_cache_dir() -> std::filesystem::path {
    if (auto dir = env("WHEELHOUSE_CACHE_DIR")) return *dir;
    if (auto xdg = env("XDG_CACHE_HOME")) return std::filesystem::path(*xdg) / "wheelhouse";
    if (auto home = env("HOME")) return std::filesystem::path(*home) / ".cache" / "wheelhouse";
    // A name of this user's own: a shared one would be refused (another user's folder) by prepare_cache_dir.
    std::error_code ec;
    auto tmp = std::filesystem::temp_directory_path(ec);
    return (ec ? std::filesystem::path("/tmp") : tmp) / fmt::format("wheelhouse-cache-{}", ::geteuid());
}

auto prepare_cache_dir(const std::filesystem::path& root) -> Expected<void> {
    namespace fs = std::filesystem;
    const std::string hint_other =
        "use a cache folder of your own: --cache-dir DIR or WHEELHOUSE_CACHE_DIR (or set HOME), or remove the folder "
        "if it is not needed";
    // Create what is missing, outermost first, each 0700 (the umask can only take bits away).
    std::vector<fs::path> missing;
    for (fs::path p = root; !p.empty(); p = p.parent_path()) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0) break;
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            return make_error(ErrorCode::io,
                              fmt::format("cannot create the cache folder {}: {}", it->string(), std::strerror(errno)),
                              Location{root.string(), 0, 0},
                              "check that the parent folder is writable, or choose another with --cache-dir or "
                              "WHEELHOUSE_CACHE_DIR");
        }
    }
    const auto me = ::geteuid();
    struct stat link {};
    if (::lstat(root.c_str(), &link) != 0) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot read the cache folder {}: {}", root.string(), std::strerror(errno)),
                          Location{root.string(), 0, 0}, hint_other);
    }
    // A symlink another user owns can be pointed elsewhere after this check.
    if (S_ISLNK(link.st_mode) && link.st_uid != me && link.st_uid != 0) {
        return make_error(ErrorCode::io,
                          fmt::format("the cache folder {} is a symbolic link owned by another user (uid {})",
                                      root.string(), link.st_uid),
                          Location{root.string(), 0, 0}, hint_other);
    }
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(ErrorCode::io, fmt::format("the cache folder {} is not a folder", root.string()),
                          Location{root.string(), 0, 0}, hint_other);
    }
    if (st.st_uid != me) {
        return make_error(ErrorCode::io,
                          fmt::format("the cache folder {} belongs to another user (uid {}, this is uid {}): a cache "
                                      "that someone else can write decides what gets bundled",
                                      root.string(), st.st_uid, me),
                          Location{root.string(), 0, 0}, hint_other);
    }
    return {};
}

auto parse_cache_control(std::string_view value) -> CacheControl {
    CacheControl cc;
    for (auto part : util::split(value, ',')) {
        part = util::trim(part);
        const auto eq = part.find('=');
        const auto name = util::to_lower(util::trim(part.substr(0, eq)));
        std::string_view arg = eq == std::string_view::npos ? std::string_view{} : util::trim(part.substr(eq + 1));
        if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') arg = arg.substr(1, arg.size() - 2);
        if (name == "max-age") {
            if (auto n = util::parse_uint64(arg)) {
                cc.max_age = static_cast<std::int64_t>(std::min<std::uint64_t>(*n, 10ULL * 365 * 24 * 3600));
            } else {
                cc.max_age = 0;  // a malformed lifetime is treated as stale, as RFC 9111 asks
            }
        } else if (name == "no-store") {
            cc.no_store = true;
        } else if (name == "no-cache") {
            cc.no_cache = true;
        }
    }
    return cc;
}

auto CachedPage::fresh(std::chrono::system_clock::time_point now) const -> bool {
    if (no_cache || !max_age) return false;
    const auto age = unix_seconds(now) - stored_at;
    return age >= 0 && age < *max_age;
}

auto CachedPage::conditional_headers() const -> std::vector<std::pair<std::string, std::string>> {
    std::vector<std::pair<std::string, std::string>> headers;
    if (etag) headers.emplace_back("If-None-Match", *etag);
    if (last_modified) headers.emplace_back("If-Modified-Since", *last_modified);
    return headers;
}

auto strip_credentials(std::string_view url) -> std::string {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto authority_start = scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", authority_start);
    const auto authority =
        url.substr(authority_start,
                   authority_end == std::string_view::npos ? std::string_view::npos : authority_end - authority_start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, authority_start));
    out += url.substr(authority_start + at + 1);
    return out;
}

auto serialize(const CachedPage& page) -> std::string {
    std::string out(magic);
    out += '\n';
    out += fmt::format("url: {}\naccept: {}\ncontent-type: {}\n", one_line(page.url), one_line(page.accept),
                       one_line(page.content_type));
    if (page.etag) out += fmt::format("etag: {}\n", one_line(*page.etag));
    if (page.last_modified) out += fmt::format("last-modified: {}\n", one_line(*page.last_modified));
    if (page.max_age) out += fmt::format("max-age: {}\n", *page.max_age);
    if (page.no_cache) out += "no-cache: 1\n";
    out += fmt::format("stored-at: {}\nbody-size: {}\n\n", page.stored_at, page.body.size());
    out += page.body;
    return out;
}

auto deserialize(std::string_view data) -> Expected<CachedPage> {
    auto bad = [](std::string what) {
        return make_error(ErrorCode::invalid_input, "damaged index page cache entry: " + what, {},
                          "'wheelhouse cache clean' removes the cached index pages");
    };
    auto next_line = [&data]() -> std::optional<std::string_view> {
        const auto nl = data.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        auto line = data.substr(0, nl);
        data.remove_prefix(nl + 1);
        return line;
    };
    auto first = next_line();
    if (!first || *first != magic) return bad("unknown format");
    CachedPage page;
    std::optional<std::uint64_t> body_size;
    while (true) {
        auto line = next_line();
        if (!line) return bad("truncated header");
        if (line->empty()) break;
        const auto colon = line->find(": ");
        if (colon == std::string_view::npos) return bad("malformed header line");
        const auto key = line->substr(0, colon);
        const auto value = line->substr(colon + 2);
        if (key == "url") {
            page.url = value;
        } else if (key == "accept") {
            page.accept = value;
        } else if (key == "content-type") {
            page.content_type = value;
        } else if (key == "etag") {
            page.etag = std::string(value);
        } else if (key == "last-modified") {
            page.last_modified = std::string(value);
        } else if (key == "max-age") {
            page.max_age = parse_int64(value);
            if (!page.max_age) return bad("bad max-age");
        } else if (key == "no-cache") {
            page.no_cache = value == "1";
        } else if (key == "stored-at") {
            auto v = parse_int64(value);
            if (!v) return bad("bad stored-at");
            page.stored_at = *v;
        } else if (key == "body-size") {
            body_size = util::parse_uint64(value);
            if (!body_size) return bad("bad body-size");
        }
    }
    if (!body_size || *body_size != data.size()) return bad("body size does not match");
    page.body = data;
    return page;
}

HttpCache::HttpCache(std::filesystem::path root) : m_root(std::move(root)) {}

auto HttpCache::entry_path(std::string_view url, std::string_view accept) const -> std::filesystem::path {
    const auto key = util::sha256_hex(strip_credentials(url) + "\n" + std::string(accept));
    return m_root / "http-v1" / key.substr(0, 2) / (key.substr(2) + ".page");
}

auto HttpCache::lookup(std::string_view url, std::string_view accept) const -> std::optional<CachedPage> {
    const auto path = entry_path(url, accept);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    auto data = util::read_file(path);
    if (!data) return std::nullopt;
    auto page = deserialize(*data);
    if (!page || page->accept != accept) return std::nullopt;
    return std::move(*page);
}

auto HttpCache::store(std::string_view url, const CachedPage& page) const -> Expected<void> {
    const auto path = entry_path(url, page.accept);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot create cache folder {}: {}", path.parent_path().string(), ec.message()),
                          Location{path.parent_path().string(), 0, 0},
                          "check that the cache folder is writable by this user and the disk is not full; "
                          "WHEELHOUSE_CACHE_DIR chooses another folder");
    }
    // Unsynced: the entry holds its body size and format marker, so a torn entry reads as absent.
    return util::write_file_atomic(path, serialize(page), util::Durability::unsynced);
}

auto HttpCache::page_from_response(std::string_view url, std::string_view accept, const http::Response& response,
                                   std::chrono::system_clock::time_point now) -> std::optional<CachedPage> {
    if (!response.ok()) return std::nullopt;
    CacheControl cc;
    if (auto value = response.cache_control()) cc = parse_cache_control(*value);
    if (cc.no_store) return std::nullopt;
    CachedPage page;
    page.url = util::redact_url(strip_credentials(url));
    page.accept = accept;
    page.content_type = response.content_type().value_or("");
    page.etag = response.etag();
    page.last_modified = response.last_modified();
    page.max_age = cc.max_age;
    page.no_cache = cc.no_cache;
    page.stored_at = unix_seconds(now);
    page.body = response.body;
    return page;
}

auto HttpCache::refreshed(CachedPage page, const http::Response& not_modified,
                          std::chrono::system_clock::time_point now) -> CachedPage {
    if (auto etag = not_modified.etag()) page.etag = std::move(etag);
    if (auto lm = not_modified.last_modified()) page.last_modified = std::move(lm);
    if (auto value = not_modified.cache_control()) {
        const auto cc = parse_cache_control(*value);
        page.max_age = cc.max_age;
        page.no_cache = cc.no_cache;
    }
    page.stored_at = unix_seconds(now);
    return page;
}

}  // namespace wheelhouse::cache
