#include "wheelhouse/util/secret.hpp"

#include <algorithm>
#include <cstddef>

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

// Rewrites the authority starting at `authority_begin` (just after "://") into out; returns where it ended.
auto redact_authority(std::string_view text, std::size_t authority_begin, std::string& out) -> std::size_t {
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
    const std::string_view userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
        out += "***";
    } else {
        out.append(userinfo.substr(0, colon));
        out += ":***";
    }
    out.append(authority.substr(at));
    return end;
}

}  // namespace

auto redact_url(std::string_view url) -> std::string {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, sep + 3));
    const auto end = redact_authority(url, sep + 3, out);
    out.append(url.substr(end));
    return out;
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
        pos = redact_authority(text, sep + 3, out);
    }
    out.append(text.substr(std::min(pos, text.size())));
    return out;
}

}  // namespace wheelhouse::util
