// The built-in SPDX lists and the SPDX license expression parser.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "wheelhouse/licenses/licenses.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::licenses {
namespace {

#include "spdx_list.inc"

auto find_in(auto const& table, std::string_view id) -> const LicenseInfo* {
    // The tables are sorted bytewise, which is not case-insensitive order: a linear scan over ~800 short ids is
    // cheap next to reading a wheel.
    for (const auto& entry : table) {
        if (util::iequals(entry.id, id)) return &entry;
    }
    return nullptr;
}

// idstring = 1*(ALPHA / DIGIT / "-" / ".")
auto is_id_char(char c) -> bool {
    return util::is_ascii_alnum(c) || c == '-' || c == '.';
}

}  // namespace

auto spdx_list_version() -> std::string_view {
    return k_list_version;
}
auto spdx_licenses() -> std::vector<LicenseInfo> {
    return {std::begin(k_licenses), std::end(k_licenses)};
}
auto spdx_exceptions() -> std::vector<LicenseInfo> {
    return {std::begin(k_exceptions), std::end(k_exceptions)};
}
auto find_license(std::string_view id) -> const LicenseInfo* {
    return find_in(k_licenses, id);
}
auto find_exception(std::string_view id) -> const LicenseInfo* {
    return find_in(k_exceptions, id);
}

auto Term::to_string() const -> std::string {
    std::string out = license;
    if (or_later) out += '+';
    if (exception) out += " WITH " + *exception;
    return out;
}

class ExpressionParser {
public:
    explicit ExpressionParser(std::string_view text) : m_text(text) {}

    auto parse() -> Expected<Expression> {
        auto tokens = tokenize();
        if (!tokens) return unexpected(std::move(tokens).error());
        m_tokens = std::move(*tokens);
        if (m_tokens.empty()) return fail("empty license expression", 1);
        auto expr = parse_or();
        if (!expr) return expr;
        if (m_pos < m_tokens.size()) {
            return fail(fmt::format("unexpected '{}'", m_tokens[m_pos].text), m_tokens[m_pos].column);
        }
        return expr;
    }

private:
    struct Token {
        enum class Kind { word, open, close, plus };
        Kind kind;
        std::string text;
        int column;
    };

    auto fail(std::string message, int column) const -> Unexpected<Error> {
        auto e = make_error(ErrorCode::invalid_input, fmt::format("{} (column {})", message, column), {},
                            "write an SPDX license expression such as 'MIT', 'Apache-2.0 OR BSD-3-Clause' or "
                            "'GPL-2.0-or-later WITH Classpath-exception-2.0' (ids from spdx.org/licenses)");
        e.error.context = util::elide(m_text, 200);
        return e;
    }

    auto tokenize() const -> Expected<std::vector<Token>> {
        std::vector<Token> out;
        std::size_t i = 0;
        while (i < m_text.size()) {
            const char c = m_text[i];
            const int column = static_cast<int>(i) + 1;
            if (util::is_ascii_space(c)) {
                ++i;
            } else if (c == '(') {
                out.push_back({Token::Kind::open, "(", column});
                ++i;
            } else if (c == ')') {
                out.push_back({Token::Kind::close, ")", column});
                ++i;
            } else if (c == '+') {
                out.push_back({Token::Kind::plus, "+", column});
                ++i;
            } else if (is_id_char(c) || c == ':') {
                std::size_t end = i;
                while (end < m_text.size() && (is_id_char(m_text[end]) || m_text[end] == ':')) ++end;
                out.push_back({Token::Kind::word, std::string(m_text.substr(i, end - i)), column});
                i = end;
            } else {
                return fail(fmt::format("'{}' cannot appear in a license expression",
                                        util::is_ascii_alnum(c) || (static_cast<unsigned char>(c) >= 0x20 &&
                                                                    static_cast<unsigned char>(c) < 0x7f)
                                            ? std::string(1, c)
                                            : fmt::format("\\x{:02X}", static_cast<unsigned char>(c))),
                            column);
            }
        }
        return out;
    }

    [[nodiscard]] auto at_operator(std::string_view op) const -> bool {
        return m_pos < m_tokens.size() && m_tokens[m_pos].kind == Token::Kind::word &&
               util::iequals(m_tokens[m_pos].text, op);
    }

    static auto is_operator(std::string_view word) -> bool {
        return util::iequals(word, "AND") || util::iequals(word, "OR") || util::iequals(word, "WITH");
    }

    auto parse_or() -> Expected<Expression> {
        auto first = parse_and();
        if (!first) return first;
        if (!at_operator("OR")) return first;
        Expression node;
        node.m_kind = Expression::Kind::any_of;
        node.m_operands.push_back(std::move(*first));
        while (at_operator("OR")) {
            ++m_pos;
            auto next = parse_and();
            if (!next) return next;
            node.m_operands.push_back(std::move(*next));
        }
        return node;
    }

    auto parse_and() -> Expected<Expression> {
        auto first = parse_primary();
        if (!first) return first;
        if (!at_operator("AND")) return first;
        Expression node;
        node.m_kind = Expression::Kind::all_of;
        node.m_operands.push_back(std::move(*first));
        while (at_operator("AND")) {
            ++m_pos;
            auto next = parse_primary();
            if (!next) return next;
            node.m_operands.push_back(std::move(*next));
        }
        return node;
    }

    auto end_column() const -> int { return static_cast<int>(m_text.size()) + 1; }

    auto parse_primary() -> Expected<Expression> {
        if (m_pos >= m_tokens.size()) return fail("the expression ends where a license id is expected", end_column());
        const auto& token = m_tokens[m_pos];
        if (token.kind == Token::Kind::open) {
            ++m_pos;
            auto inner = parse_or();
            if (!inner) return inner;
            if (m_pos >= m_tokens.size() || m_tokens[m_pos].kind != Token::Kind::close) {
                return fail("'(' is not closed", token.column);
            }
            ++m_pos;
            return inner;
        }
        if (token.kind != Token::Kind::word || is_operator(token.text)) {
            return fail(fmt::format("a license id is expected, not '{}'", token.text), token.column);
        }
        Expression leaf;
        auto& term = leaf.m_term;
        auto ref_part = std::string_view(token.text);
        if (auto colon = ref_part.find(':'); colon != std::string_view::npos) {
            // DocumentRef-<idstring>:LicenseRef-<idstring>
            auto doc = ref_part.substr(0, colon);
            auto rest = ref_part.substr(colon + 1);
            if (!util::starts_with_icase(doc, "DocumentRef-") || doc.size() == 12 ||
                !util::starts_with_icase(rest, "LicenseRef-") || rest.size() == 11 ||
                rest.find(':') != std::string_view::npos) {
                return fail(fmt::format("'{}' is not DocumentRef-<id>:LicenseRef-<id>", token.text), token.column);
            }
            term.license = token.text;
            term.is_ref = true;
        } else if (util::starts_with_icase(ref_part, "LicenseRef-")) {
            if (ref_part.size() == 11) return fail("'LicenseRef-' needs an id after it", token.column);
            term.license = token.text;
            term.is_ref = true;
        } else if (const auto* info = find_license(token.text)) {
            term.license = std::string(info->id);
        } else if (find_exception(token.text) != nullptr) {
            return fail(fmt::format("'{}' is a license exception: it follows WITH", token.text), token.column);
        } else {
            return fail(fmt::format("'{}' is not an SPDX license id (list {})", token.text, k_list_version),
                        token.column);
        }
        ++m_pos;
        if (m_pos < m_tokens.size() && m_tokens[m_pos].kind == Token::Kind::plus) {
            if (term.is_ref) return fail("'+' cannot follow a LicenseRef", m_tokens[m_pos].column);
            term.or_later = true;
            ++m_pos;
        }
        if (at_operator("WITH")) {
            ++m_pos;
            if (m_pos >= m_tokens.size() || m_tokens[m_pos].kind != Token::Kind::word) {
                return fail("WITH needs a license exception id after it",
                            m_pos < m_tokens.size() ? m_tokens[m_pos].column : end_column());
            }
            const auto& name = m_tokens[m_pos];
            if (util::starts_with_icase(name.text, "AdditionRef-") && name.text.size() > 12) {
                term.exception = name.text;
            } else if (const auto* exception = find_exception(name.text)) {
                term.exception = std::string(exception->id);
            } else {
                return fail(
                    fmt::format("'{}' is not an SPDX license exception id (list {})", name.text, k_list_version),
                    name.column);
            }
            ++m_pos;
        }
        return leaf;
    }

    std::string_view m_text;
    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
};

auto Expression::parse(std::string_view text) -> Expected<Expression> {
    return ExpressionParser(text).parse();
}

auto Expression::to_string() const -> std::string {
    if (m_kind == Kind::term) return m_term.to_string();
    std::string out;
    const char* op = m_kind == Kind::all_of ? " AND " : " OR ";
    for (const auto& operand : m_operands) {
        if (!out.empty()) out += op;
        // AND binds tighter than OR: an OR inside an AND needs its parentheses back.
        const bool wrap = m_kind == Kind::all_of && operand.kind() == Kind::any_of;
        out += wrap ? "(" + operand.to_string() + ")" : operand.to_string();
    }
    return out;
}

auto Expression::terms() const -> std::vector<Term> {
    if (m_kind == Kind::term) return {m_term};
    std::vector<Term> out;
    for (const auto& operand : m_operands) {
        auto inner = operand.terms();
        out.insert(out.end(), inner.begin(), inner.end());
    }
    return out;
}

auto to_string(Source source) -> const char* {
    switch (source) {
        case Source::expression: return "expression";
        case Source::classifier: return "classifier";
        case Source::field: return "field";
        case Source::unknown: break;
    }
    return "unknown";
}

auto Declared::display() const -> std::string {
    if (expression) return expression->to_string();
    if (!name.empty()) return name;
    return "unknown";
}

}  // namespace wheelhouse::licenses
