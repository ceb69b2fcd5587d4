// Private: the text layer of pip's requirements format (decoding, lines, continuations, comments,
// ${VAR} expansion, shell-like splitting), keeping for every byte where it came from.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::reqfile::detail {

struct Pos {
    int line = 0;    // physical line, 1-based
    int column = 0;  // code-point column, 1-based
};

// One logical line: continuations joined, comment stripped, trimmed, variables expanded.
// pos has one entry per byte of text plus one for the end.
struct LogicalLine {
    int number = 0;
    std::string text;
    std::vector<Pos> pos;

    [[nodiscard]] auto at(std::size_t offset) const -> Pos {
        return offset < pos.size() ? pos[offset] : (pos.empty() ? Pos{number, 1} : pos.back());
    }
};

// Bytes of a Unicode whitespace code point (Python's str.isspace) at s[i], or 0.
auto space_at(std::string_view s, std::size_t i) -> std::size_t;
// Bytes of a Unicode whitespace code point ending at s[end-1], or 0.
auto space_before(std::string_view s, std::size_t end) -> std::size_t;
// Python's str.strip() bounds: [first, last).
auto strip_bounds(std::string_view s) -> std::pair<std::size_t, std::size_t>;
auto py_strip(std::string_view s) -> std::string_view;

// Checks and strips the encoding (UTF-8, optional BOM, `# coding:` declaration in the first two lines).
auto decode(std::string_view bytes, const std::string& file) -> Expected<std::string>;

// Python's str.splitlines() on UTF-8 text, then pip's join/comment/strip/expand steps.
auto logical_lines(std::string_view text, const EnvironmentLookup& env) -> std::vector<LogicalLine>;

struct Token {
    std::string value;
    std::size_t offset = 0;  // where the token starts in the split string
};

// POSIX shlex.split (no comments). On error, the message and the offset of the problem.
struct SplitError {
    std::string message;
    std::size_t offset = 0;
};
auto shell_split(std::string_view s, std::vector<Token>& out) -> std::optional<SplitError>;

}  // namespace wheelhouse::reqfile::detail
