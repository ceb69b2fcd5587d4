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

// "https://user:pass@host/p" -> "https://user:***@host/p"; a user without a password may itself be a token,
// so "https://token@host/p" -> "https://***@host/p". Text that is not a URL with credentials is returned as is.
auto redact_url(std::string_view url) -> std::string;

// Redacts every URL with credentials found inside a longer text (an error message from a library).
auto redact_urls_in(std::string_view text) -> std::string;

}  // namespace wheelhouse::util

template <>
struct fmt::formatter<wheelhouse::util::Secret> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const wheelhouse::util::Secret& /*secret*/, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format("***", ctx);
    }
};
