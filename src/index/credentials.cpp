// Putting an index's user:password back on the URLs of its files, for the downloads that need it.
#include <optional>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/index/index.hpp"

namespace wheelhouse::index {
namespace {

// The userinfo of `source` ("user:pass"), when it has one and is on `origin`.
auto userinfo_for(std::string_view source, const http::Origin& origin) -> std::optional<std::string_view> {
    const auto scheme_end = source.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    const auto start = scheme_end + 3;
    const auto end = source.find_first_of("/?#", start);
    const auto authority = source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    auto source_origin = http::origin_of(source);
    if (!source_origin || !(*source_origin == origin)) return std::nullopt;
    return authority.substr(0, at);
}

}  // namespace

auto with_credentials(std::string_view url, const Sources& sources) -> std::string {
    std::string out(url);
    if (cache::strip_credentials(url) != url) return out;
    auto origin = http::origin_of(url);
    if (!origin) return out;
    for (const auto* list : {&sources.index_urls, &sources.find_links}) {
        for (const auto& source : *list) {
            if (auto userinfo = userinfo_for(source, *origin)) {
                const auto start = url.find("://") + 3;
                return std::string(url.substr(0, start)) + std::string(*userinfo) + "@" +
                       std::string(url.substr(start));
            }
        }
    }
    return out;
}

}  // namespace wheelhouse::index
