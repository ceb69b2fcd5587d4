#include "wheelhouse/pep440/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "text.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::pep440 {

namespace {

using util::is_ascii_alnum;
using util::is_ascii_digit;
using util::to_lower_ascii;

constexpr auto is_separator(char c) -> bool {
    return c == '-' || c == '_' || c == '.';
}

// A cursor over the version text. Every step either consumes and succeeds, or leaves the position
// unchanged, which is what the optional groups of the PEP 440 grammar need.
class Scanner {
public:
    Scanner(std::string_view text, std::size_t column_base) : m_text(text), m_base(column_base) {}

    [[nodiscard]] auto at_end() const -> bool { return m_pos >= m_text.size(); }
    [[nodiscard]] auto peek(std::size_t ahead = 0) const -> char {
        return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0';
    }
    [[nodiscard]] auto pos() const -> std::size_t { return m_pos; }
    void reset(std::size_t pos) { m_pos = pos; }
    void advance(std::size_t n = 1) { m_pos += n; }
    [[nodiscard]] auto column() const -> int { return static_cast<int>(m_base + m_pos + 1); }

    // Case-insensitive keyword at the cursor; consumed on success.
    auto keyword(std::string_view word) -> bool {
        if (m_text.size() - std::min(m_pos, m_text.size()) < word.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i) {
            if (to_lower_ascii(m_text[m_pos + i]) != word[i]) return false;
        }
        m_pos += word.size();
        return true;
    }

    [[nodiscard]] auto digits_length() const -> std::size_t {
        std::size_t n = 0;
        while (m_pos + n < m_text.size() && is_ascii_digit(m_text[m_pos + n])) ++n;
        return n;
    }

    auto take(std::size_t n) -> std::string_view {
        auto out = m_text.substr(m_pos, n);
        m_pos += n;
        return out;
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
    std::size_t m_base = 0;
};

auto invalid(std::string_view text, int column, std::string_view why) -> Unexpected<Error> {
    auto error = make_error(ErrorCode::invalid_input, fmt::format("invalid version: {}", why), Location{{}, 0, column},
                            "versions look like 1.2.3, 1!2.0rc1.post2.dev3+local.1 (PEP 440)");
    error.error.context = std::string(text);
    return error;
}

// Reads a run of digits (the caller checked there is one) into a uint64.
auto read_number(Scanner& scan, std::string_view text, std::uint64_t& out) -> Expected<void> {
    const int column = scan.column();
    auto digits = scan.take(scan.digits_length());
    auto value = util::parse_uint64(digits);
    if (!value) return invalid(text, column, "number does not fit in 64 bits");
    out = *value;
    return {};
}

// The optional number after a pre/post/dev letter: "[-_.]?[0-9]+", or a lone separator that the
// grammar lets the letter swallow (1.0a. is 1.0a0). A missing number means 0.
auto read_implicit_number(Scanner& scan, std::string_view text, std::uint64_t& out) -> Expected<void> {
    out = 0;
    if (is_separator(scan.peek()) && is_ascii_digit(scan.peek(1))) scan.advance();
    if (is_ascii_digit(scan.peek())) return read_number(scan, text, out);
    if (is_separator(scan.peek())) scan.advance();
    return {};
}

// Tries "[-_.]?" followed by one of the words (longest spellings first); returns its index.
auto read_letter(Scanner& scan, const std::string_view* words, std::size_t count) -> std::optional<std::size_t> {
    const auto start = scan.pos();
    if (is_separator(scan.peek())) scan.advance();
    for (std::size_t i = 0; i < count; ++i) {
        if (scan.keyword(words[i])) return i;
    }
    scan.reset(start);
    return std::nullopt;
}

constexpr std::array<std::string_view, 8> k_pre_words{"alpha", "a", "beta", "b", "preview", "pre", "rc", "c"};
constexpr std::array<PreKind, 8> k_pre_kinds{PreKind::alpha, PreKind::alpha, PreKind::beta, PreKind::beta,
                                             PreKind::rc,    PreKind::rc,    PreKind::rc,   PreKind::rc};
constexpr std::array<std::string_view, 3> k_post_words{"post", "rev", "r"};
constexpr std::array<std::string_view, 1> k_dev_words{"dev"};

auto compare_u64(std::uint64_t a, std::uint64_t b) -> int {
    return a < b ? -1 : (a > b ? 1 : 0);
}

// Keys of packaging's ordering, as small ranks instead of tuples with infinities.
auto pre_rank(const Version& v) -> int {
    if (v.pre()) return 1;
    if (!v.post() && v.dev()) return 0;  // 1.0.dev0 sorts before 1.0a0
    return 2;
}

auto compare_local(const std::vector<LocalPart>& a, const std::vector<LocalPart>& b) -> int {
    if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
    const auto n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto* an = std::get_if<std::uint64_t>(&a[i]);
        const auto* bn = std::get_if<std::uint64_t>(&b[i]);
        if (an && bn) {
            if (int c = compare_u64(*an, *bn)) return c;
        } else if (!an && !bn) {
            int c = std::get<std::string>(a[i]).compare(std::get<std::string>(b[i]));
            if (c != 0) return c < 0 ? -1 : 1;
        } else {
            return an ? 1 : -1;  // numbers sort after strings
        }
    }
    return compare_u64(a.size(), b.size());
}

}  // namespace

auto is_python_space_at(std::string_view s, std::size_t i) -> std::size_t {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
    auto byte = [&](std::size_t k) -> unsigned { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0U; };
    if (c == 0xC2 && (byte(1) == 0x85 || byte(1) == 0xA0)) return 2;
    if (c == 0xE1 && byte(1) == 0x9A && byte(2) == 0x80) return 3;
    if (c == 0xE2 && byte(1) == 0x80 &&
        ((byte(2) >= 0x80 && byte(2) <= 0x8A) || byte(2) == 0xA8 || byte(2) == 0xA9 || byte(2) == 0xAF))
        return 3;
    if (c == 0xE2 && byte(1) == 0x81 && byte(2) == 0x9F) return 3;
    if (c == 0xE3 && byte(1) == 0x80 && byte(2) == 0x80) return 3;
    return 0;
}

auto is_python_space_before(std::string_view s, std::size_t end) -> std::size_t {
    // Whitespace sequences are at most three bytes long: try each length ending at `end`.
    for (std::size_t len = 1; len <= 3 && len <= end; ++len) {
        if (is_python_space_at(s, end - len) == len) return len;
    }
    return 0;
}

auto trim_python_space(std::string_view s, std::size_t& offset) -> std::string_view {
    std::size_t begin = 0;
    while (begin < s.size()) {
        auto n = is_python_space_at(s, begin);
        if (n == 0) break;
        begin += n;
    }
    std::size_t end = s.size();
    while (end > begin) {
        auto n = is_python_space_before(s, end);
        if (n == 0) break;
        end -= n;
    }
    offset = begin;
    return s.substr(begin, end - begin);
}

auto contains_python_space(std::string_view s) -> bool {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (is_python_space_at(s, i) != 0) return true;
    }
    return false;
}

Version::Version(std::uint64_t epoch, std::vector<std::uint64_t> release, std::optional<Pre> pre,
                 std::optional<std::uint64_t> post, std::optional<std::uint64_t> dev, std::vector<LocalPart> local)
    : m_epoch(epoch), m_release(std::move(release)), m_pre(pre), m_post(post), m_dev(dev), m_local(std::move(local)) {
    if (m_release.empty()) m_release.push_back(0);
    for (auto& part : m_local) {
        if (auto* s = std::get_if<std::string>(&part)) *s = util::to_lower(*s);
    }
}

auto Version::parse(std::string_view text) -> Expected<Version> {
    std::size_t offset = 0;
    const auto body = trim_python_space(text, offset);
    if (body.empty()) return invalid(text, 1, "empty version");
    Scanner scan(body, offset);
    Version v;
    v.m_release.clear();

    if (scan.peek() == 'v' || scan.peek() == 'V') scan.advance();
    if (!is_ascii_digit(scan.peek())) return invalid(text, scan.column(), "expected a release number");
    std::uint64_t first = 0;
    if (auto r = read_number(scan, text, first); !r) return unexpected(std::move(r).error());
    if (scan.peek() == '!') {
        scan.advance();
        v.m_epoch = first;
        if (!is_ascii_digit(scan.peek())) return invalid(text, scan.column(), "expected a release number after '!'");
        if (auto r = read_number(scan, text, first); !r) return unexpected(std::move(r).error());
    }
    v.m_release.push_back(first);
    while (scan.peek() == '.' && is_ascii_digit(scan.peek(1))) {
        scan.advance();
        std::uint64_t part = 0;
        if (auto r = read_number(scan, text, part); !r) return unexpected(std::move(r).error());
        v.m_release.push_back(part);
    }

    if (auto which = read_letter(scan, k_pre_words.data(), k_pre_words.size())) {
        Pre pre{k_pre_kinds[*which], 0};
        if (auto r = read_implicit_number(scan, text, pre.number); !r) return unexpected(std::move(r).error());
        v.m_pre = pre;
    }

    if (scan.peek() == '-' && is_ascii_digit(scan.peek(1))) {
        scan.advance();  // 1.0-1 is the implicit post-release spelling
        std::uint64_t post = 0;
        if (auto r = read_number(scan, text, post); !r) return unexpected(std::move(r).error());
        v.m_post = post;
    } else if (read_letter(scan, k_post_words.data(), k_post_words.size())) {
        std::uint64_t post = 0;
        if (auto r = read_implicit_number(scan, text, post); !r) return unexpected(std::move(r).error());
        v.m_post = post;
    }

    if (read_letter(scan, k_dev_words.data(), k_dev_words.size())) {
        std::uint64_t dev = 0;
        if (auto r = read_implicit_number(scan, text, dev); !r) return unexpected(std::move(r).error());
        v.m_dev = dev;
    }

    if (scan.peek() == '+') {
        scan.advance();
        for (;;) {
            std::size_t n = 0;
            while (is_ascii_alnum(scan.peek(n))) ++n;
            if (n == 0) return invalid(text, scan.column(), "expected a letter or digit in the local label");
            const int column = scan.column();
            auto segment = scan.take(n);
            if (std::all_of(segment.begin(), segment.end(), is_ascii_digit)) {
                auto value = util::parse_uint64(segment);
                if (!value) return invalid(text, column, "number does not fit in 64 bits");
                v.m_local.emplace_back(*value);
            } else {
                v.m_local.emplace_back(util::to_lower(segment));
            }
            if (!is_separator(scan.peek())) break;
            scan.advance();
        }
    }

    if (!scan.at_end()) return invalid(text, scan.column(), "unexpected character");
    return v;
}

auto Version::public_version() const -> std::string {
    std::string out;
    if (m_epoch != 0) out += fmt::format("{}!", m_epoch);
    out += fmt::format("{}", fmt::join(m_release, "."));
    if (m_pre) {
        constexpr std::array<std::string_view, 3> letters{"a", "b", "rc"};
        out += fmt::format("{}{}", letters[static_cast<std::size_t>(m_pre->kind)], m_pre->number);
    }
    if (m_post) out += fmt::format(".post{}", *m_post);
    if (m_dev) out += fmt::format(".dev{}", *m_dev);
    return out;
}

auto Version::to_string() const -> std::string {
    auto out = public_version();
    for (std::size_t i = 0; i < m_local.size(); ++i) {
        out += i == 0 ? '+' : '.';
        if (const auto* n = std::get_if<std::uint64_t>(&m_local[i])) {
            out += fmt::format("{}", *n);
        } else {
            out += std::get<std::string>(m_local[i]);
        }
    }
    return out;
}

auto Version::base_version() const -> std::string {
    std::string out;
    if (m_epoch != 0) out += fmt::format("{}!", m_epoch);
    out += fmt::format("{}", fmt::join(m_release, "."));
    return out;
}

auto Version::without_local() const -> Version {
    Version out = *this;
    out.m_local.clear();
    return out;
}

auto Version::compare(const Version& a, const Version& b, bool ignore_local) -> int {
    if (int c = compare_u64(a.m_epoch, b.m_epoch)) return c;
    const auto n = std::max(a.m_release.size(), b.m_release.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = i < a.m_release.size() ? a.m_release[i] : 0;
        const auto y = i < b.m_release.size() ? b.m_release[i] : 0;
        if (int c = compare_u64(x, y)) return c;
    }
    const int ra = pre_rank(a);
    const int rb = pre_rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 1) {
        if (a.m_pre->kind != b.m_pre->kind) return a.m_pre->kind < b.m_pre->kind ? -1 : 1;
        if (int c = compare_u64(a.m_pre->number, b.m_pre->number)) return c;
    }
    if (a.m_post.has_value() != b.m_post.has_value()) return a.m_post ? 1 : -1;
    if (a.m_post) {
        if (int c = compare_u64(*a.m_post, *b.m_post)) return c;
    }
    if (a.m_dev.has_value() != b.m_dev.has_value()) return a.m_dev ? -1 : 1;
    if (a.m_dev) {
        if (int c = compare_u64(*a.m_dev, *b.m_dev)) return c;
    }
    if (ignore_local) return 0;
    return compare_local(a.m_local, b.m_local);
}

auto operator<=>(const Version& a, const Version& b) -> std::strong_ordering {
    const int c = Version::compare(a, b);
    return c < 0 ? std::strong_ordering::less : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

auto operator==(const Version& a, const Version& b) -> bool {
    return Version::compare(a, b) == 0;
}

}  // namespace wheelhouse::pep440
