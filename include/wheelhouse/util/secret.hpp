// Secrets (passwords, tokens) that format as *** and URL redaction for every message that names a URL.
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace wheelhouse::util {

// Holds a secret value; every way of formatting it prints "***". reveal() is the one explicit way out,
// so that a reviewer can grep for every place a secret leaves its wrapper.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : m_value(std::move(value)) {}

    [[nodiscard]] auto reveal() const -> const std::string& { return m_value; }
    [[nodiscard]] auto empty() const -> bool { return m_value.empty(); }

    friend auto operator==(const Secret& a, const Secret& b) -> bool { return a.m_value == b.m_value; }
    friend auto operator<<(std::ostream& out, const Secret& /*secret*/) -> std::ostream& { return out << "***"; }

private:
    std::string m_value;
};

// A URL as messages show it. Credentials: "https://user:pass@host/p" -> "https://user:***@host/p"; a user
// without a password may itself be a token, so "https://token@host/p" -> "https://***@host/p". Query parameters
// that grant access by themselves keep their name and lose their value: "?token=abc" -> "?token=***", and so do
// a presigned URL's X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token (the list: is_secret_query_name).
// Text that is not a URL is returned as is.
auto redact_url(std::string_view url) -> std::string;

// A URL as files keep it (lock files, build-report.json, pinned requirements): redact_url without even the
// user name ("https://user:pass@host/p" -> "https://host/p"); secret query values are "***".
auto stored_url(std::string_view url) -> std::string;

// Redacts every URL found inside a longer text (an error message from a library), as redact_url does.
auto redact_urls_in(std::string_view text) -> std::string;

// True for query parameter names whose value grants access by itself (case-insensitive).
auto is_secret_query_name(std::string_view name) -> bool;
// True if the URL's query has such a parameter (a presigned URL, a ?token=).
auto has_secret_query(std::string_view url) -> bool;

}  // namespace wheelhouse::util

template <>
struct fmt::formatter<wheelhouse::util::Secret> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const wheelhouse::util::Secret& /*secret*/, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format("***", ctx);
    }
};
