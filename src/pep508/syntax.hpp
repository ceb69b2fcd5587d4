// Private to pep508: the token matchers and marker tree shared by the marker and requirement parsers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep508/marker.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::pep508 {

enum class MarkerOp { less, less_equal, equal, not_equal, greater_equal, greater, compatible, arbitrary, in, not_in };
enum class BoolOp { and_op, or_op };

// One side of a comparison: a variable (canonical spelling, e.g. "os_name" for "os.name") or a
// literal string (already unquoted).
struct Operand {
    bool is_variable = false;
    std::string text;
};

// Mirrors packaging's marker list: either one comparison, or a parenthesised/top-level list of
// children joined by and/or. Keeping the list shape (instead of a binary tree) is what makes
// to_string() drop and keep parentheses exactly where packaging does.
struct Marker::Node {
    bool is_item = false;
    Operand lhs;
    MarkerOp op = MarkerOp::equal;
    Operand rhs;
    std::vector<Node> children;
    std::vector<BoolOp> joins;  // joins[i] sits between children[i] and children[i + 1]
};

namespace detail {

// A syntax error as packaging reports it: message plus the span [start, end) it underlines; the
// caret (and our 1-based column) is at `end`.
auto syntax_error(std::string_view source, std::string message, std::size_t start, std::size_t end)
    -> Unexpected<Error>;

// Context-sensitive matchers over `source`; each returns the end offset of a match at `pos`, or
// npos. They reproduce the regular expressions of packaging's tokenizer, including their
// backtracking and word-boundary rules.
class Scanner {
public:
    static constexpr std::size_t npos = std::string_view::npos;

    explicit Scanner(std::string_view source) : m_src(source) {}

    [[nodiscard]] auto source() const -> std::string_view { return m_src; }
    [[nodiscard]] auto position() const -> std::size_t { return m_pos; }
    void set_position(std::size_t pos) { m_pos = pos; }
    [[nodiscard]] auto at_end() const -> bool { return m_pos >= m_src.size(); }
    [[nodiscard]] auto peek(char c) const -> bool { return m_pos < m_src.size() && m_src[m_pos] == c; }

    void skip_ws();  // [ \t]*

    [[nodiscard]] auto match_word(std::string_view word) const -> std::size_t;  // \bword\b
    [[nodiscard]] auto match_identifier() const -> std::size_t;
    [[nodiscard]] auto match_specifier() const -> std::size_t;
    [[nodiscard]] auto match_url() const -> std::size_t;
    [[nodiscard]] auto match_prefix_trail() const -> std::size_t;
    [[nodiscard]] auto match_local_trail() const -> std::size_t;
    [[nodiscard]] auto match_quoted() const -> std::size_t;
    [[nodiscard]] auto match_op() const -> std::size_t;
    // Returns the end and sets `canonical` to the variable's canonical name.
    [[nodiscard]] auto match_variable(std::string& canonical) const -> std::size_t;

private:
    std::string_view m_src;
    std::size_t m_pos = 0;
};

// marker = marker_atom (BOOLOP marker_atom)*; leaves the scanner after the expression.
auto parse_marker_expression(Scanner& scanner) -> Expected<Marker::Node>;

// Rewrites literals compared with `extra` / `extras` / `dependency_groups` to their normalised
// form, as packaging does when it builds a Marker.
void normalize_marker_literals(Marker::Node& node);

// Python's str.isspace-compatible whitespace (what `\s` matches) at s[pos]: byte length or 0.
auto python_space_length(std::string_view s, std::size_t pos) -> std::size_t;

}  // namespace detail
}  // namespace wheelhouse::pep508
