// Pure helpers of the http module: netrc, origins, trusted hosts, Retry-After, backoff.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include "curl_handles.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::http {

auto Response::header(std::string_view name) const -> std::optional<std::string> {
    for (const auto& [key, value] : headers) {
        if (util::iequals(key, name)) return value;
    }
    return std::nullopt;
}

namespace {

struct Token {
    std::string text;
    int column = 0;  // 1-based offset in the file
    bool quoted = false;
};

// Splits netrc text into tokens; macdef bodies (up to an empty line) are skipped by the caller through
// `skip_macro`.
class NetrcLexer {
public:
    explicit NetrcLexer(std::string_view text) : m_text(text) {}

    auto next(Token& token) -> Expected<bool> {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (util::is_ascii_space(c)) {
                ++m_pos;
            } else if (c == '#') {
                while (m_pos < m_text.size() && m_text[m_pos] != '\n') ++m_pos;
            } else {
                break;
            }
        }
        if (m_pos >= m_text.size()) return false;
        token = Token{};
        token.column = static_cast<int>(m_pos) + 1;
        if (m_text[m_pos] == '"') {
            token.quoted = true;
            ++m_pos;
            while (true) {
                if (m_pos >= m_text.size()) {
                    return make_error(ErrorCode::invalid_input, "netrc: unterminated quoted string",
                                      Location{{}, 0, token.column},
                                      "close the quote (a '\\\"' inside a quoted value needs a backslash)");
                }
                const char c = m_text[m_pos++];
                if (c == '"') break;
                if (c == '\\' && m_pos < m_text.size()) {
                    token.text += m_text[m_pos++];
                } else {
                    token.text += c;
                }
            }
            return true;
        }
        while (m_pos < m_text.size() && !util::is_ascii_space(m_text[m_pos])) token.text += m_text[m_pos++];
        return true;
    }

    void skip_macro() {
        // The body ends at the first empty line.
        while (m_pos < m_text.size()) {
            const auto nl = m_text.find('\n', m_pos);
            if (nl == std::string_view::npos) {
                m_pos = m_text.size();
                return;
            }
            m_pos = nl + 1;
            if (m_pos < m_text.size() && (m_text[m_pos] == '\n' || m_text[m_pos] == '\r')) return;
        }
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

}  // namespace

auto parse_netrc(std::string_view text) -> Expected<Netrc> {
    Netrc netrc;
    NetrcLexer lexer(text);
    NetrcEntry* current = nullptr;
    Token token;
    while (true) {
        auto more = lexer.next(token);
        if (!more) return unexpected(std::move(more).error());
        if (!*more) break;
        const std::string& word = token.text;
        auto value = [&](const char* what) -> Expected<std::string> {
            Token v;
            auto got = lexer.next(v);
            if (!got) return unexpected(std::move(got).error());
            if (!*got) {
                return make_error(ErrorCode::invalid_input, fmt::format("netrc: '{}' without a value", what),
                                  Location{{}, 0, token.column},
                                  "write the value after the keyword: 'machine HOST login USER password PASS'");
            }
            return v.text;
        };
        if (!token.quoted && word == "machine") {
            auto host = value("machine");
            if (!host) return unexpected(std::move(host).error());
            netrc.entries.push_back(NetrcEntry{util::to_lower(*host), {}, {}});
            current = &netrc.entries.back();
        } else if (!token.quoted && word == "default") {
            netrc.entries.push_back(NetrcEntry{});
            current = &netrc.entries.back();
        } else if (!token.quoted && (word == "login" || word == "password" || word == "account")) {
            auto v = value(word.c_str());
            if (!v) return unexpected(std::move(v).error());
            if (current == nullptr) {
                return make_error(ErrorCode::invalid_input, fmt::format("netrc: '{}' before any machine", word),
                                  Location{{}, 0, token.column},
                                  "start each entry with 'machine HOST' (or 'default' for any host)");
            }
            if (word == "login") current->login = std::move(*v);
            if (word == "password") current->password = util::Secret(std::move(*v));
        } else if (!token.quoted && word == "macdef") {
            auto name = value("macdef");
            if (!name) return unexpected(std::move(name).error());
            lexer.skip_macro();
        } else {
            // Never echo the token: it may be a password that lost its keyword.
            return make_error(ErrorCode::invalid_input, "netrc: unexpected token", Location{{}, 0, token.column},
                              "netrc entries are 'machine HOST login USER password PASS' or 'default ...'");
        }
    }
    return netrc;
}

auto Netrc::find(std::string_view host) const -> const NetrcEntry* {
    const NetrcEntry* fallback = nullptr;
    for (const auto& entry : entries) {
        if (entry.machine.empty()) {
            if (fallback == nullptr) fallback = &entry;
        } else if (util::iequals(entry.machine, host)) {
            return &entry;
        }
    }
    return fallback;
}

auto origin_of(std::string_view url) -> Expected<Origin> {
    detail::UrlHandle handle(curl_url());
    if (!handle) return make_error(ErrorCode::internal, "out of memory parsing a URL");
    const std::string copy(url);
    if (curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) {
        return make_error(ErrorCode::invalid_input, fmt::format("not a valid URL: {}", util::redact_url(url)), {},
                          "check the URL: it must look like https://host/path (characters such as spaces must be "
                          "percent-encoded)");
    }
    Origin origin;
    origin.scheme = util::to_lower(detail::url_part(handle.get(), CURLUPART_SCHEME));
    origin.host = util::to_lower(detail::url_part(handle.get(), CURLUPART_HOST));
    if (origin.host.size() >= 2 && origin.host.front() == '[' && origin.host.back() == ']') {
        origin.host = origin.host.substr(1, origin.host.size() - 2);
    }
    const std::string port = detail::url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (auto p = util::parse_uint64(port); p && *p <= 65535) origin.port = static_cast<long>(*p);
    if (origin.host.empty()) {
        return make_error(ErrorCode::invalid_input, fmt::format("URL has no host: {}", util::redact_url(url)), {},
                          "check the URL: it must name a host, as in https://host/path");
    }
    return origin;
}

auto is_trusted(const Origin& origin, const std::vector<std::string>& trusted_hosts) -> bool {
    for (const auto& raw : trusted_hosts) {
        std::string entry = util::to_lower(util::trim(raw));
        // Accept a URL-ish entry ("http://host:port/") too, as users paste those.
        if (const auto sep = entry.find("://"); sep != std::string::npos) entry = entry.substr(sep + 3);
        if (const auto slash = entry.find('/'); slash != std::string::npos) entry = entry.substr(0, slash);
        std::string host = entry;
        std::optional<long> port;
        const auto colon = entry.rfind(':');
        const auto bracket = entry.rfind(']');
        if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
            host = entry.substr(0, colon);
            if (auto p = util::parse_uint64(entry.substr(colon + 1)); p && *p <= 65535) {
                port = static_cast<long>(*p);
            } else {
                continue;
            }
        }
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        if (host == origin.host && (!port || *port == origin.port)) return true;
    }
    return false;
}

auto parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now)
    -> std::optional<std::chrono::seconds> {
    const auto trimmed = util::trim(value);
    if (trimmed.empty()) return std::nullopt;
    if (auto seconds = util::parse_uint64(trimmed)) {
        // Cap absurd values so arithmetic on them cannot overflow; the engine's time bound decides anyway.
        return std::chrono::seconds(static_cast<long long>(std::min<std::uint64_t>(*seconds, 86'400ULL * 365)));
    }
    const std::string copy(trimmed);
    const time_t when = curl_getdate(copy.c_str(), nullptr);
    if (when < 0) return std::nullopt;
    const auto target = std::chrono::system_clock::from_time_t(when);
    if (target <= now) return std::chrono::seconds(0);
    return std::chrono::ceil<std::chrono::seconds>(target - now);
}

auto backoff_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds max, double unit)
    -> std::chrono::milliseconds {
    if (attempt <= 1) return std::chrono::milliseconds(0);
    const int exponent = std::min(attempt - 2, 30);
    const double full =
        std::min(static_cast<double>(base.count()) * std::ldexp(1.0, exponent), static_cast<double>(max.count()));
    const double clamped = std::clamp(unit, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<long long>(full / 2.0 + clamped * full / 2.0));
}

}  // namespace wheelhouse::http
