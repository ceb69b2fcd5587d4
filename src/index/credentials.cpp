// Putting an index's user:password (and its query tokens) back on the URLs of its files, for the downloads that
// need them.
#include <optional>
#include <string>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

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

// The query of a URL, without '?' and the fragment.
auto query_of(std::string_view url) -> std::string_view {
    const auto q = url.find('?');
    if (q == std::string_view::npos) return {};
    const auto rest = url.substr(q + 1);
    return rest.substr(0, rest.find('#'));
}

// The value of parameter `name` in `source`'s query, when source is on `origin` and has a real one.
auto query_value_for(std::string_view source, const http::Origin& origin, std::string_view name)
    -> std::optional<std::string_view> {
    for (auto param : util::split(query_of(source), '&')) {
        const auto eq = param.find('=');
        if (eq == std::string_view::npos || param.substr(0, eq) != name || param.substr(eq + 1) == "***") continue;
        auto source_origin = http::origin_of(source);
        if (!source_origin || !(*source_origin == origin)) return std::nullopt;
        return param.substr(eq + 1);
    }
    return std::nullopt;
}

}  // namespace

auto with_credentials(std::string_view url, const Sources& sources) -> std::string {
    std::string out(url);
    auto origin = http::origin_of(url);
    if (!origin) return out;
    const std::vector<const std::vector<std::string>*> lists = {&sources.index_urls, &sources.find_links};
    // Secret query values a stored URL holds as "***".
    if (out.find("=***") != std::string::npos) {
        const auto q = out.find('?');
        const auto fragment = out.find('#', q == std::string::npos ? 0 : q);
        const auto query = query_of(url);
        std::string rebuilt;
        for (auto param : util::split(query, '&')) {
            if (!rebuilt.empty()) rebuilt += '&';
            const auto eq = param.find('=');
            std::optional<std::string_view> value;
            if (eq != std::string_view::npos && param.substr(eq + 1) == "***" &&
                util::is_secret_query_name(param.substr(0, eq))) {
                for (const auto* list : lists) {
                    for (const auto& source : *list) {
                        if (!value) value = query_value_for(source, *origin, param.substr(0, eq));
                    }
                }
            }
            rebuilt += value ? std::string(param.substr(0, eq + 1)) + std::string(*value) : std::string(param);
        }
        if (q != std::string::npos) {
            out = out.substr(0, q + 1) + rebuilt + (fragment == std::string::npos ? "" : out.substr(fragment));
        }
    }
    if (cache::strip_credentials(out) != out) return out;
    for (const auto* list : lists) {
        for (const auto& source : *list) {
            if (auto userinfo = userinfo_for(source, *origin)) {
                const auto start = out.find("://") + 3;
                return out.substr(0, start) + std::string(*userinfo) + "@" + out.substr(start);
            }
        }
    }
    return out;
}

}  // namespace wheelhouse::index
