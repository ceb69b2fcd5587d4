// Small string helpers shared by the parsers: trimming, splitting, case folding, ASCII classes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wheelhouse::util {

constexpr auto is_ascii_space(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr auto is_ascii_digit(char c) -> bool {
    return c >= '0' && c <= '9';
}
constexpr auto is_ascii_alpha(char c) -> bool {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr auto is_ascii_alnum(char c) -> bool {
    return is_ascii_alpha(c) || is_ascii_digit(c);
}
constexpr auto to_lower_ascii(char c) -> char {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

auto to_lower(std::string_view s) -> std::string;
auto trim(std::string_view s) -> std::string_view;
auto trim_left(std::string_view s) -> std::string_view;
auto trim_right(std::string_view s) -> std::string_view;
auto split(std::string_view s, char sep) -> std::vector<std::string_view>;
auto join(const std::vector<std::string>& parts, std::string_view sep) -> std::string;
auto iequals(std::string_view a, std::string_view b) -> bool;
auto starts_with_icase(std::string_view s, std::string_view prefix) -> bool;

// Parses a non-negative decimal integer that fits in uint64; nullopt on overflow or non-digits.
auto parse_uint64(std::string_view digits) -> std::optional<std::uint64_t>;

// True if s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
auto is_valid_utf8(std::string_view s) -> bool;

// `s` if it has at most `max` bytes, else its start and end around "...(N bytes)...", for messages that quote
// input of any size (a 4 MB requirement line must not become a 4 MB error). Never splits a UTF-8 sequence.
auto elide(std::string_view s, std::size_t max) -> std::string;

}  // namespace wheelhouse::util
