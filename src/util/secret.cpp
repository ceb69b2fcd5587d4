#include "wheelhouse/util/secret.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::util {
namespace {

auto is_scheme_char(char c) -> bool {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
           c == '.';
}

// Characters that end a URL when it is embedded in prose.
auto ends_url(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>';
}

enum class UserInfo { redact, drop };

// Rewrites the authority starting at `authority_begin` (just after "://") into out; returns where it ended.
auto redact_authority(std::string_view text, std::size_t authority_begin, std::string& out, UserInfo mode)
    -> std::size_t {
    std::size_t end = authority_begin;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != '#' && !ends_url(text[end])) {
        ++end;
    }
    const std::string_view authority = text.substr(authority_begin, end - authority_begin);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        out.append(authority);
        return end;
    }
    if (mode == UserInfo::redact) {
        const std::string_view userinfo = authority.substr(0, at);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            out += "***";
        } else {
            out.append(userinfo.substr(0, colon));
            out += ":***";
        }
        out.append(authority.substr(at));
    } else {
        out.append(authority.substr(at + 1));
    }
    return end;
}

// Copies the path, query and fragment starting at `pos` (up to the end of the URL) into out, secret query values
// replaced by ***; returns where the URL ended.
auto redact_rest(std::string_view text, std::size_t pos, std::string& out) -> std::size_t {
    std::size_t end = pos;
    while (end < text.size() && !ends_url(text[end])) ++end;
    const std::string_view rest = text.substr(pos, end - pos);
    const auto query = rest.find('?');
    if (query == std::string_view::npos) {
        out.append(rest);
        return end;
    }
    const auto fragment = rest.find('#', query);
    const std::size_t query_end = fragment == std::string_view::npos ? rest.size() : fragment;
    out.append(rest.substr(0, query + 1));
    std::size_t p = query + 1;
    while (p <= query_end) {
        auto amp = rest.find('&', p);
        if (amp == std::string_view::npos || amp > query_end) amp = query_end;
        const auto param = rest.substr(p, amp - p);
        const auto eq = param.find('=');
        if (eq != std::string_view::npos && is_secret_query_name(param.substr(0, eq))) {
            out.append(param.substr(0, eq + 1)).append("***");
        } else {
            out.append(param);
        }
        if (amp < query_end) out.push_back('&');
        p = amp + 1;
    }
    out.append(rest.substr(query_end));
    return end;
}

auto rewrite_url(std::string_view url, UserInfo mode) -> std::string {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, sep + 3));
    auto end = redact_authority(url, sep + 3, out, mode);
    end = redact_rest(url, end, out);
    out.append(url.substr(end));  // whatever follows a character that ends an embedded URL, as it was
    return out;
}

}  // namespace

auto is_secret_query_name(std::string_view name) -> bool {
    static constexpr std::array<std::string_view, 11> names{
        "x-amz-signature", "x-amz-security-token", "x-amz-credential", "signature", "sig",       "token",
        "access_token",    "private_token",        "password",         "secret",    "auth_token"};
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); });
}

auto has_secret_query(std::string_view url) -> bool {
    const auto q = url.find('?');
    if (q == std::string_view::npos) return false;
    auto query = url.substr(q + 1);
    query = query.substr(0, query.find('#'));
    for (auto param : split(query, '&')) {
        if (is_secret_query_name(param.substr(0, param.find('=')))) return true;
    }
    return false;
}

auto redact_url(std::string_view url) -> std::string {
    return rewrite_url(url, UserInfo::redact);
}

auto stored_url(std::string_view url) -> std::string {
    return rewrite_url(url, UserInfo::drop);
}

auto redact_urls_in(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto sep = text.find("://", pos);
        if (sep == std::string_view::npos) break;
        // Only a scheme directly before "://" makes it a URL.
        std::size_t scheme_begin = sep;
        while (scheme_begin > pos && is_scheme_char(text[scheme_begin - 1])) --scheme_begin;
        if (scheme_begin == sep) {
            out.append(text.substr(pos, sep + 3 - pos));
            pos = sep + 3;
            continue;
        }
        out.append(text.substr(pos, sep + 3 - pos));
        pos = redact_authority(text, sep + 3, out, UserInfo::redact);
        pos = redact_rest(text, pos, out);
    }
    out.append(text.substr(std::min(pos, text.size())));
    return out;
}

}  // namespace wheelhouse::util
