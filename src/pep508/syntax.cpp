#include "syntax.hpp"

#include <array>
#include <utility>

#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::pep508::detail {
namespace {

constexpr auto npos = Scanner::npos;

// Python's `\w` is Unicode-aware; every non-ASCII byte is treated as part of a word character,
// which agrees with Python for letters and digits (the only non-ASCII text names and markers see).
auto is_word(std::string_view s, std::size_t pos) -> bool {
    if (pos >= s.size()) return false;
    auto c = s[pos];
    return util::is_ascii_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

auto is_boundary(std::string_view s, std::size_t pos) -> bool {
    bool before = pos > 0 && is_word(s, pos - 1);
    return before != is_word(s, pos);
}

auto is_digit_at(std::string_view s, std::size_t pos) -> bool {
    return pos < s.size() && util::is_ascii_digit(s[pos]);
}

auto is_sep_at(std::string_view s, std::size_t pos) -> bool {
    return pos < s.size() && (s[pos] == '-' || s[pos] == '_' || s[pos] == '.');
}

auto starts_icase_at(std::string_view s, std::size_t pos, std::string_view word) -> bool {
    return pos <= s.size() && util::starts_with_icase(s.substr(pos), word);
}

auto skip_digits(std::string_view s, std::size_t pos) -> std::size_t {
    while (is_digit_at(s, pos)) ++pos;
    return pos;
}

auto skip_python_spaces(std::string_view s, std::size_t pos) -> std::size_t {
    while (auto n = python_space_length(s, pos)) pos += n;
    return pos;
}

// [-_\.]?(alpha|beta|preview|pre|a|b|c|rc)[-_\.]?[0-9]*  (the first alternative that matches wins)
auto match_pre(std::string_view s, std::size_t pos) -> std::size_t {
    static constexpr std::array<std::string_view, 8> kWords{"alpha", "beta", "preview", "pre", "a", "b", "c", "rc"};
    for (bool with_sep : {true, false}) {
        std::size_t p = pos;
        if (with_sep) {
            if (!is_sep_at(s, p)) continue;
            ++p;
        }
        for (auto word : kWords) {
            if (starts_icase_at(s, p, word)) {
                std::size_t q = p + word.size();
                if (is_sep_at(s, q)) ++q;
                return skip_digits(s, q);
            }
        }
    }
    return npos;
}

// (?:-[0-9]+)|(?:[-_\.]?(post|rev|r)[-_\.]?[0-9]*)
auto match_post(std::string_view s, std::size_t pos) -> std::size_t {
    if (pos < s.size() && s[pos] == '-' && is_digit_at(s, pos + 1)) return skip_digits(s, pos + 1);
    static constexpr std::array<std::string_view, 3> kWords{"post", "rev", "r"};
    for (bool with_sep : {true, false}) {
        std::size_t p = pos;
        if (with_sep) {
            if (!is_sep_at(s, p)) continue;
            ++p;
        }
        for (auto word : kWords) {
            if (starts_icase_at(s, p, word)) {
                std::size_t q = p + word.size();
                if (is_sep_at(s, q)) ++q;
                return skip_digits(s, q);
            }
        }
    }
    return npos;
}

// [-_\.]?dev[-_\.]?[0-9]*
auto match_dev(std::string_view s, std::size_t pos) -> std::size_t {
    for (bool with_sep : {true, false}) {
        std::size_t p = pos;
        if (with_sep) {
            if (!is_sep_at(s, p)) continue;
            ++p;
        }
        if (starts_icase_at(s, p, "dev")) {
            std::size_t q = p + 3;
            if (is_sep_at(s, q)) ++q;
            return skip_digits(s, q);
        }
    }
    return npos;
}

// \+[a-z0-9]+(?:[-_\.][a-z0-9]+)*, case-insensitively or not.
auto match_local(std::string_view s, std::size_t pos, bool ignore_case) -> std::size_t {
    auto ok = [&](std::size_t p) {
        if (p >= s.size()) return false;
        char c = s[p];
        return util::is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (ignore_case && c >= 'A' && c <= 'Z');
    };
    if (pos >= s.size() || s[pos] != '+' || !ok(pos + 1)) return npos;
    std::size_t p = pos + 1;
    while (ok(p)) ++p;
    while (is_sep_at(s, p) && ok(p + 1)) {
        ++p;
        while (ok(p)) ++p;
    }
    return p;
}

enum class SpecKind { equality, compatible, ordered };

// v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)* then the suffixes each operator family allows.
auto match_spec_version(std::string_view s, std::size_t pos, SpecKind kind) -> std::size_t {
    if (pos < s.size() && (s[pos] == 'v' || s[pos] == 'V')) ++pos;
    // The epoch is optional: when taking it leaves no release number, the regex backtracks to
    // reading those digits as the release instead.
    std::size_t release = pos;
    std::size_t digits_end = skip_digits(s, pos);
    if (digits_end > pos && digits_end < s.size() && s[digits_end] == '!' && is_digit_at(s, digits_end + 1)) {
        release = digits_end + 1;
    }
    if (!is_digit_at(s, release)) return npos;
    std::size_t p = skip_digits(s, release);
    int dotted = 0;
    while (p < s.size() && s[p] == '.' && is_digit_at(s, p + 1)) {
        p = skip_digits(s, p + 1);
        ++dotted;
    }
    // ~= needs two release segments; the no-epoch fallback would stop at the '!', so it fails too.
    if (kind == SpecKind::compatible && dotted == 0) return npos;
    if (kind == SpecKind::equality && p + 1 < s.size() && s[p] == '.' && s[p + 1] == '*') return p + 2;
    if (auto q = match_pre(s, p); q != npos) p = q;
    if (auto q = match_post(s, p); q != npos) p = q;
    if (auto q = match_dev(s, p); q != npos) p = q;
    if (kind == SpecKind::equality) {
        if (auto q = match_local(s, p, true); q != npos) p = q;
    }
    return p;
}

}  // namespace

auto python_space_length(std::string_view s, std::size_t pos) -> std::size_t {
    if (pos >= s.size()) return 0;
    auto c = static_cast<unsigned char>(s[pos]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
    if (c < 0x80) return 0;
    auto byte = [&](std::size_t i) -> unsigned { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0U; };
    // U+0085, U+00A0
    if (c == 0xC2 && (byte(pos + 1) == 0x85 || byte(pos + 1) == 0xA0)) return 2;
    // U+1680
    if (c == 0xE1 && byte(pos + 1) == 0x9A && byte(pos + 2) == 0x80) return 3;
    if (c == 0xE2 && byte(pos + 1) == 0x80) {
        auto t = byte(pos + 2);
        // U+2000..U+200A, U+2028, U+2029, U+202F
        if ((t >= 0x80 && t <= 0x8A) || t == 0xA8 || t == 0xA9 || t == 0xAF) return 3;
    }
    if (c == 0xE2 && byte(pos + 1) == 0x81 && byte(pos + 2) == 0x9F) return 3;  // U+205F
    if (c == 0xE3 && byte(pos + 1) == 0x80 && byte(pos + 2) == 0x80) return 3;  // U+3000
    return 0;
}

auto syntax_error(std::string_view source, std::string message, std::size_t start, std::size_t end)
    -> Unexpected<Error> {
    Error error;
    error.code = ErrorCode::invalid_input;
    error.message = std::move(message);
    error.location.column = static_cast<int>(end + 1);
    if (start < end && end <= source.size()) error.context = std::string(source.substr(start, end - start));
    return unexpected(std::move(error));
}

void Scanner::skip_ws() {
    while (m_pos < m_src.size() && (m_src[m_pos] == ' ' || m_src[m_pos] == '\t')) ++m_pos;
}

auto Scanner::match_word(std::string_view word) const -> std::size_t {
    if (m_src.substr(m_pos, word.size()) != word) return npos;
    if (!is_boundary(m_src, m_pos) || !is_boundary(m_src, m_pos + word.size())) return npos;
    return m_pos + word.size();
}

auto Scanner::match_identifier() const -> std::size_t {
    auto s = m_src;
    if (m_pos >= s.size() || !util::is_ascii_alnum(s[m_pos]) || !is_boundary(s, m_pos)) return npos;
    std::size_t end = m_pos + 1;
    while (end < s.size() && (util::is_ascii_alnum(s[end]) || s[end] == '.' || s[end] == '_' || s[end] == '-')) ++end;
    // The trailing \b makes the regex give back characters until the match ends at a word boundary.
    while (end > m_pos) {
        if (is_boundary(s, end)) return end;
        --end;
    }
    return npos;
}

auto Scanner::match_specifier() const -> std::size_t {
    auto s = m_src;
    std::size_t p = m_pos;
    if (s.substr(p, 3) == "===") {
        p = skip_python_spaces(s, p + 3);
        while (p < s.size() && python_space_length(s, p) == 0 && s[p] != ';' && s[p] != ')') ++p;
        return p;
    }
    auto two = s.substr(p, 2);
    SpecKind kind{};
    std::size_t op_len = 2;
    if (two == "==" || two == "!=") {
        kind = SpecKind::equality;
    } else if (two == "~=") {
        kind = SpecKind::compatible;
    } else if (two == "<=" || two == ">=") {
        kind = SpecKind::ordered;
    } else if (p < s.size() && (s[p] == '<' || s[p] == '>')) {
        kind = SpecKind::ordered;
        op_len = 1;
    } else {
        return npos;
    }
    auto end = match_spec_version(s, skip_python_spaces(s, p + op_len), kind);
    if (end == npos && op_len == 2 && kind == SpecKind::ordered) {
        // "<=" / ">=" with no version: the alternation falls back to "<" / ">" followed by "=...".
        end = match_spec_version(s, skip_python_spaces(s, p + 1), kind);
    }
    return end;
}

auto Scanner::match_url() const -> std::size_t {
    std::size_t p = m_pos;
    while (p < m_src.size() && m_src[p] != ' ' && m_src[p] != '\t') ++p;
    return p > m_pos ? p : npos;
}

auto Scanner::match_prefix_trail() const -> std::size_t {
    return m_src.substr(m_pos, 2) == ".*" ? m_pos + 2 : npos;
}

auto Scanner::match_local_trail() const -> std::size_t {
    return match_local(m_src, m_pos, false);
}

auto Scanner::match_quoted() const -> std::size_t {
    if (m_pos >= m_src.size()) return npos;
    char quote = m_src[m_pos];
    if (quote != '\'' && quote != '"') return npos;
    auto close = m_src.find(quote, m_pos + 1);
    return close == std::string_view::npos ? npos : close + 1;
}

auto Scanner::match_op() const -> std::size_t {
    static constexpr std::array<std::string_view, 8> kOps{"===", "==", "~=", "!=", "<=", ">=", "<", ">"};
    for (auto op : kOps) {
        if (m_src.substr(m_pos, op.size()) == op) return m_pos + op.size();
    }
    return npos;
}

auto Scanner::match_variable(std::string& canonical) const -> std::size_t {
    // Every spelling packaging accepts: PEP 508 names, PEP 345 dotted names, setuptools'
    // python_implementation, and the lock-file set-valued names.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kNames{{
        {"python_version", "python_version"},
        {"python_full_version", "python_full_version"},
        {"os_name", "os_name"},
        {"os.name", "os_name"},
        {"sys_platform", "sys_platform"},
        {"sys.platform", "sys_platform"},
        {"platform_release", "platform_release"},
        {"platform_system", "platform_system"},
        {"platform_version", "platform_version"},
        {"platform.version", "platform_version"},
        {"platform_machine", "platform_machine"},
        {"platform.machine", "platform_machine"},
        {"platform_python_implementation", "platform_python_implementation"},
        {"platform.python_implementation", "platform_python_implementation"},
        {"python_implementation", "platform_python_implementation"},
        {"implementation_name", "implementation_name"},
        {"implementation_version", "implementation_version"},
        {"extra", "extra"},
        {"extras", "extras"},
        {"dependency_groups", "dependency_groups"},
        {"", ""},
    }};
    if (!is_boundary(m_src, m_pos)) return npos;
    for (const auto& [spelling, name] : kNames) {
        if (spelling.empty()) break;
        if (m_src.substr(m_pos, spelling.size()) == spelling && is_boundary(m_src, m_pos + spelling.size())) {
            canonical = std::string(name);
            return m_pos + spelling.size();
        }
    }
    return npos;
}

namespace {

auto parse_operand(Scanner& sc) -> Expected<Operand> {
    std::string name;
    if (auto end = sc.match_variable(name); end != npos) {
        sc.set_position(end);
        return Operand{true, std::move(name)};
    }
    if (auto end = sc.match_quoted(); end != npos) {
        auto start = sc.position();
        auto inner = sc.source().substr(start + 1, end - start - 2);
        // packaging decodes the literal as a Python string: line breaks and NUL make that fail,
        // and backslashes would be decoded as escapes that str() then cannot reproduce (a known
        // round-trip bug upstream), so a backslash is rejected outright.
        if (inner.find_first_of(std::string_view("\\\n\r\0", 4)) != std::string_view::npos) {
            return syntax_error(sc.source(), "Invalid quoted string", start, end);
        }
        sc.set_position(end);
        return Operand{false, std::string(inner)};
    }
    return syntax_error(sc.source(), "Expected a marker variable or quoted string", sc.position(), sc.position());
}

auto parse_op(Scanner& sc) -> Expected<MarkerOp> {
    if (auto end = sc.match_word("in"); end != npos) {
        sc.set_position(end);
        return MarkerOp::in;
    }
    if (auto end = sc.match_word("not"); end != npos) {
        sc.set_position(end);
        auto before = sc.position();
        sc.skip_ws();
        if (sc.position() == before) {
            return syntax_error(sc.source(), "Expected whitespace after 'not'", before, before);
        }
        auto in_end = sc.match_word("in");
        if (in_end == npos) {
            return syntax_error(sc.source(), "Expected 'in' after 'not'", sc.position(), sc.position());
        }
        sc.set_position(in_end);
        return MarkerOp::not_in;
    }
    if (auto end = sc.match_op(); end != npos) {
        auto text = sc.source().substr(sc.position(), end - sc.position());
        sc.set_position(end);
        if (text == "===") return MarkerOp::arbitrary;
        if (text == "==") return MarkerOp::equal;
        if (text == "~=") return MarkerOp::compatible;
        if (text == "!=") return MarkerOp::not_equal;
        if (text == "<=") return MarkerOp::less_equal;
        if (text == ">=") return MarkerOp::greater_equal;
        if (text == "<") return MarkerOp::less;
        return MarkerOp::greater;
    }
    return syntax_error(sc.source(), "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in",
                        sc.position(), sc.position());
}

auto parse_item(Scanner& sc) -> Expected<Marker::Node> {
    Marker::Node node;
    node.is_item = true;
    sc.skip_ws();
    auto lhs = parse_operand(sc);
    if (!lhs) return unexpected(std::move(lhs).error());
    sc.skip_ws();
    auto op = parse_op(sc);
    if (!op) return unexpected(std::move(op).error());
    sc.skip_ws();
    auto rhs = parse_operand(sc);
    if (!rhs) return unexpected(std::move(rhs).error());
    sc.skip_ws();
    node.lhs = std::move(*lhs);
    node.op = *op;
    node.rhs = std::move(*rhs);
    return node;
}

// Nesting depth is bounded so that hostile input cannot exhaust the stack.
constexpr int kMaxDepth = 200;

auto parse_expression(Scanner& sc, int depth) -> Expected<Marker::Node>;

auto parse_atom(Scanner& sc, int depth) -> Expected<Marker::Node> {
    sc.skip_ws();
    Marker::Node node;
    if (sc.peek('(')) {
        if (depth >= kMaxDepth) {
            return syntax_error(sc.source(), "Marker expression nested too deeply", sc.position(), sc.position());
        }
        auto open = sc.position();
        sc.set_position(open + 1);
        sc.skip_ws();
        auto inner = parse_expression(sc, depth + 1);
        if (!inner) return inner;
        sc.skip_ws();
        if (!sc.peek(')')) {
            return syntax_error(sc.source(),
                                "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression",
                                open, sc.position());
        }
        sc.set_position(sc.position() + 1);
        node = std::move(*inner);
    } else {
        auto item = parse_item(sc);
        if (!item) return item;
        node = std::move(*item);
    }
    sc.skip_ws();
    return node;
}

auto parse_expression(Scanner& sc, int depth) -> Expected<Marker::Node> {
    Marker::Node list;
    auto first = parse_atom(sc, depth);
    if (!first) return first;
    list.children.push_back(std::move(*first));
    for (;;) {
        BoolOp join{};
        std::size_t end = sc.match_word("or");
        if (end != npos) {
            join = BoolOp::or_op;
        } else if (end = sc.match_word("and"); end != npos) {
            join = BoolOp::and_op;
        } else {
            break;
        }
        sc.set_position(end);
        auto next = parse_atom(sc, depth);
        if (!next) return next;
        list.joins.push_back(join);
        list.children.push_back(std::move(*next));
    }
    return list;
}

}  // namespace

auto parse_marker_expression(Scanner& scanner) -> Expected<Marker::Node> {
    return parse_expression(scanner, 0);
}

void normalize_marker_literals(Marker::Node& node) {
    if (!node.is_item) {
        for (auto& child : node.children) normalize_marker_literals(child);
        return;
    }
    auto normalised_variable = [](const Operand& o) {
        return o.is_variable && (o.text == "extra" || o.text == "extras" || o.text == "dependency_groups");
    };
    if (normalised_variable(node.lhs) && !node.rhs.is_variable) {
        node.rhs.text = canonicalize_name(node.rhs.text);
    } else if (normalised_variable(node.rhs) && !node.lhs.is_variable) {
        node.lhs.text = canonicalize_name(node.lhs.text);
    }
}

}  // namespace wheelhouse::pep508::detail
