#include "wheelhouse/util/strings.hpp"

#include <limits>

#include <fmt/format.h>

namespace wheelhouse::util {

auto to_lower(std::string_view s) -> std::string {
    std::string out(s);
    for (auto& c : out) c = to_lower_ascii(c);
    return out;
}

auto trim_left(std::string_view s) -> std::string_view {
    std::size_t i = 0;
    while (i < s.size() && is_ascii_space(s[i])) ++i;
    return s.substr(i);
}

auto trim_right(std::string_view s) -> std::string_view {
    std::size_t n = s.size();
    while (n > 0 && is_ascii_space(s[n - 1])) --n;
    return s.substr(0, n);
}

auto trim(std::string_view s) -> std::string_view {
    return trim_right(trim_left(s));
}

auto split(std::string_view s, char sep) -> std::vector<std::string_view> {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

auto join(const std::vector<std::string>& parts, std::string_view sep) -> std::string {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += sep;
        out += parts[i];
    }
    return out;
}

auto iequals(std::string_view a, std::string_view b) -> bool {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
    }
    return true;
}

auto starts_with_icase(std::string_view s, std::string_view prefix) -> bool {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

auto parse_uint64(std::string_view digits) -> std::optional<std::uint64_t> {
    if (digits.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (!is_ascii_digit(c)) return std::nullopt;
        auto d = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        value = value * 10 + d;
    }
    return value;
}

auto is_valid_utf8(std::string_view s) -> bool {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + static_cast<std::size_t>(extra) >= s.size()) return false;
        for (int k = 1; k <= extra; ++k) {
            auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += static_cast<std::size_t>(extra) + 1;
    }
    return true;
}

auto elide(std::string_view s, std::size_t max) -> std::string {
    if (s.size() <= max) return std::string(s);
    auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(s[i]) & 0xC0U) == 0x80U; };
    std::size_t head = max / 2;
    while (head > 0 && continuation(head)) --head;
    std::size_t tail = s.size() - max / 4;
    while (tail < s.size() && continuation(tail)) ++tail;
    return fmt::format("{}...({} bytes)...{}", s.substr(0, head), s.size(), s.substr(tail));
}

}  // namespace wheelhouse::util
