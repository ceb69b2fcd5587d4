#include "text.hpp"

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::reqfile::detail {

namespace {

auto byte(std::string_view s, std::size_t i) -> unsigned char {
    return static_cast<unsigned char>(s[i]);
}

// Python's str.splitlines() boundaries in UTF-8: returns the length of the break at i, or 0.
auto line_break_at(std::string_view s, std::size_t i) -> std::size_t {
    unsigned char c = byte(s, i);
    if (c == '\r') return (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
    if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e) return 1;
    if (c == 0xC2 && i + 1 < s.size() && byte(s, i + 1) == 0x85) return 2;
    if (c == 0xE2 && i + 2 < s.size() && byte(s, i + 1) == 0x80 && (byte(s, i + 2) == 0xA8 || byte(s, i + 2) == 0xA9))
        return 3;
    return 0;
}

auto is_continuation_byte(unsigned char c) -> bool {
    return (c & 0xC0) == 0x80;
}

struct Raw {
    int number = 0;
    std::string text;
    std::vector<Pos> pos;  // per byte (no end entry)
    Pos end;
};

void append(Raw& to, std::string_view text, const std::vector<Pos>& pos, std::size_t from, std::size_t count) {
    to.text.append(text.substr(from, count));
    to.pos.insert(to.pos.end(), pos.begin() + static_cast<std::ptrdiff_t>(from),
                  pos.begin() + static_cast<std::ptrdiff_t>(from + count));
}

auto is_comment_line(std::string_view s) -> bool {
    std::size_t i = 0;
    while (i < s.size()) {
        auto n = space_at(s, i);
        if (n == 0) break;
        i += n;
    }
    return i < s.size() && s[i] == '#';
}

auto is_env_name_char(char c) -> bool {
    return (c >= 'A' && c <= 'Z') || util::is_ascii_digit(c) || c == '_';
}

// Comment removal, strip and ${VAR} expansion of one joined line; false when nothing is left.
auto finish(Raw raw, const EnvironmentLookup& env, LogicalLine& out) -> bool {
    std::string_view t = raw.text;
    // `#` starts a comment at the start of the line or after whitespace; the whitespace before it goes too.
    std::size_t cut = t.size();
    for (std::size_t h = 0; h < t.size(); ++h) {
        if (t[h] != '#') continue;
        if (h == 0 || space_before(t, h) > 0) {
            cut = h;
            while (cut > 0) {
                auto n = space_before(t, cut);
                if (n == 0) break;
                cut -= n;
            }
            break;
        }
    }
    auto [first, last] = strip_bounds(t.substr(0, cut));
    if (first >= last) return false;
    out.number = raw.number;
    out.text = std::string(t.substr(first, last - first));
    out.pos.assign(raw.pos.begin() + static_cast<std::ptrdiff_t>(first),
                   raw.pos.begin() + static_cast<std::ptrdiff_t>(last));
    out.pos.push_back(last < raw.pos.size() ? raw.pos[last] : raw.end);

    // pip finds all ${NAME} first, then replaces each (all occurrences) when the variable is set and non-empty.
    std::vector<std::string> names;
    const std::string& s = out.text;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            std::size_t j = i + 2;
            while (j < s.size() && is_env_name_char(s[j])) ++j;
            if (j > i + 2 && j < s.size() && s[j] == '}') {
                names.emplace_back(s.substr(i + 2, j - i - 2));
                i = j + 1;
                continue;
            }
        }
        ++i;
    }
    for (const auto& name : names) {
        std::optional<std::string> value;
        if (env) {
            value = env(name);
        } else if (const char* v = std::getenv(name.c_str())) {  // NOLINT(concurrency-mt-unsafe)
            value = std::string(v);
        }
        if (!value || value->empty()) continue;
        std::string needle = "${" + name + "}";
        std::string text;
        std::vector<Pos> pos;
        std::size_t i = 0;
        while (i < out.text.size()) {
            if (out.text.compare(i, needle.size(), needle) == 0) {
                text += *value;
                pos.insert(pos.end(), value->size(), out.pos[i]);
                i += needle.size();
            } else {
                text += out.text[i];
                pos.push_back(out.pos[i]);
                ++i;
            }
        }
        pos.push_back(out.pos.back());
        out.text = std::move(text);
        out.pos = std::move(pos);
    }
    return true;
}

}  // namespace

auto space_at(std::string_view s, std::size_t i) -> std::size_t {
    if (i >= s.size()) return 0;
    unsigned char c = byte(s, i);
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
    if (c == 0xC2 && i + 1 < s.size()) {
        unsigned char d = byte(s, i + 1);
        return (d == 0x85 || d == 0xA0) ? 2 : 0;
    }
    if (i + 2 >= s.size()) return 0;
    unsigned char d = byte(s, i + 1);
    unsigned char e = byte(s, i + 2);
    if (c == 0xE1 && d == 0x9A && e == 0x80) return 3;  // U+1680
    if (c == 0xE2 && d == 0x80 && ((e >= 0x80 && e <= 0x8A) || e == 0xA8 || e == 0xA9 || e == 0xAF)) return 3;
    if (c == 0xE2 && d == 0x81 && e == 0x9F) return 3;  // U+205F
    if (c == 0xE3 && d == 0x80 && e == 0x80) return 3;  // U+3000
    return 0;
}

auto space_before(std::string_view s, std::size_t end) -> std::size_t {
    for (std::size_t n = 1; n <= 3 && n <= end; ++n) {
        if (n > 1 && !is_continuation_byte(byte(s, end - n + 1))) break;
        if (space_at(s, end - n) == n) return n;
    }
    return 0;
}

auto strip_bounds(std::string_view s) -> std::pair<std::size_t, std::size_t> {
    std::size_t first = 0;
    while (first < s.size()) {
        auto n = space_at(s, first);
        if (n == 0) break;
        first += n;
    }
    std::size_t last = s.size();
    while (last > first) {
        auto n = space_before(s, last);
        if (n == 0) break;
        last -= n;
    }
    return {first, last};
}

auto py_strip(std::string_view s) -> std::string_view {
    auto [a, b] = strip_bounds(s);
    return s.substr(a, b - a);
}

auto decode(std::string_view bytes, const std::string& file) -> Expected<std::string> {
    static constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
    if (bytes.substr(0, 3) == utf8_bom)
        bytes.remove_prefix(3);
    else if (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF" ||
             bytes.substr(0, 4) == std::string_view("\x00\x00\xFE\xFF", 4)) {
        return make_error(ErrorCode::invalid_input, "requirements file is UTF-16 or UTF-32 encoded", {file, 1, 1},
                          "save it as UTF-8");
    }
    // A `# coding: NAME` declaration on one of the first two lines, as pip honours.
    enum class Enc { utf8, latin1, ascii } enc = Enc::utf8;
    std::size_t start = 0;
    for (int n = 0; n < 2 && start <= bytes.size(); ++n) {
        auto nl = bytes.find('\n', start);
        auto line = bytes.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        if (!line.empty() && line[0] == '#') {
            auto k = line.find("coding");
            while (k != std::string_view::npos) {
                std::size_t i = k + 6;
                if (i < line.size() && (line[i] == ':' || line[i] == '=')) {
                    ++i;
                    while (i < line.size() && util::is_ascii_space(line[i])) ++i;
                    std::size_t j = i;
                    while (j < line.size() &&
                           (util::is_ascii_alnum(line[j]) || line[j] == '-' || line[j] == '_' || line[j] == '.'))
                        ++j;
                    if (j > i) {
                        std::string name = util::to_lower(line.substr(i, j - i));
                        for (auto& c : name)
                            if (c == '-') c = '_';
                        if (name == "utf_8" || name == "utf8" || name == "u8" || name == "utf")
                            enc = Enc::utf8;
                        else if (name == "latin_1" || name == "latin1" || name == "iso_8859_1" || name == "iso8859_1" ||
                                 name == "l1" || name == "latin" || name == "8859" || name == "cp819")
                            enc = Enc::latin1;
                        else if (name == "ascii" || name == "us_ascii" || name == "646" || name == "us")
                            enc = Enc::ascii;
                        else {
                            return make_error(
                                ErrorCode::invalid_input,
                                fmt::format("unsupported encoding declaration '{}'", line.substr(i, j - i)),
                                {file, n + 1, static_cast<int>(i) + 1}, "save the file as UTF-8");
                        }
                        goto declared;  // NOLINT(cppcoreguidelines-avoid-goto): the first declaration wins
                    }
                }
                k = line.find("coding", k + 1);
            }
        }
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
declared:
    if (enc == Enc::latin1) {
        std::string out;
        out.reserve(bytes.size());
        for (char ch : bytes) {
            auto c = static_cast<unsigned char>(ch);
            if (c < 0x80) {
                out += ch;
            } else {
                out += static_cast<char>(0xC0 | (c >> 6));
                out += static_cast<char>(0x80 | (c & 0x3F));
            }
        }
        return out;
    }
    // Find the first bad byte to report line:col.
    std::size_t good = 0;
    if (enc == Enc::ascii) {
        while (good < bytes.size() && byte(bytes, good) < 0x80) ++good;
    } else if (!util::is_valid_utf8(bytes)) {
        std::size_t lo = 0;
        std::size_t hi = bytes.size();
        // The valid prefix ends somewhere; grow it code point by code point.
        while (lo < hi) {
            unsigned char c = byte(bytes, lo);
            std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            if (n == 0 || lo + n > hi || !util::is_valid_utf8(bytes.substr(lo, n))) break;
            lo += n;
        }
        good = lo;
    } else {
        good = bytes.size();
    }
    if (good < bytes.size()) {
        int line = 1;
        int col = 1;
        for (std::size_t i = 0; i < good;) {
            auto br = line_break_at(bytes, i);
            if (br > 0) {
                ++line;
                col = 1;
                i += br;
                continue;
            }
            if (!is_continuation_byte(byte(bytes, i))) ++col;
            ++i;
        }
        return make_error(ErrorCode::invalid_input,
                          enc == Enc::ascii ? "non-ASCII byte in a file declared ASCII" : "invalid UTF-8",
                          {file, line, col}, "save the file as UTF-8");
    }
    return std::string(bytes);
}

auto logical_lines(std::string_view text, const EnvironmentLookup& env) -> std::vector<LogicalLine> {
    // Physical lines with the position of every byte.
    std::vector<Raw> phys;
    {
        Raw cur;
        cur.number = 1;
        int col = 1;
        std::size_t i = 0;
        while (i < text.size()) {
            auto br = line_break_at(text, i);
            if (br > 0) {
                cur.end = {cur.number, col};
                int next = cur.number + 1;
                phys.push_back(std::move(cur));
                cur = Raw{};
                cur.number = next;
                col = 1;
                i += br;
                continue;
            }
            if (is_continuation_byte(byte(text, i)) && !cur.pos.empty()) {
                cur.pos.push_back(cur.pos.back());
            } else {
                cur.pos.push_back({cur.number, col++});
            }
            cur.text += text[i];
            ++i;
        }
        if (!cur.text.empty()) {
            cur.end = {cur.number, col};
            phys.push_back(std::move(cur));
        }
    }

    std::vector<LogicalLine> out;
    auto emit = [&](Raw raw) {
        LogicalLine line;
        if (finish(std::move(raw), env, line)) out.push_back(std::move(line));
    };
    bool in_continuation = false;
    Raw joined;
    for (auto& p : phys) {
        std::string_view t = p.text;
        bool comment = is_comment_line(t);
        bool backslash = !t.empty() && t.back() == '\\';
        if (!backslash || comment) {
            Raw piece;
            piece.number = p.number;
            piece.end = p.end;
            if (comment) {
                // pip prefixes a space so that the comment is still recognised once joined.
                piece.text = " ";
                piece.pos.push_back(p.pos.empty() ? p.end : p.pos.front());
            }
            append(piece, t, p.pos, 0, t.size());
            if (in_continuation) {
                append(joined, piece.text, piece.pos, 0, piece.text.size());
                joined.end = piece.end;
                emit(std::move(joined));
                joined = Raw{};
                in_continuation = false;
            } else {
                emit(std::move(piece));
            }
        } else {
            if (!in_continuation) {
                joined = Raw{};
                joined.number = p.number;
                in_continuation = true;
            }
            // pip strips every backslash at either end of a continued line.
            std::size_t a = 0;
            std::size_t b = t.size();
            while (a < b && t[a] == '\\') ++a;
            while (b > a && t[b - 1] == '\\') --b;
            append(joined, t, p.pos, a, b - a);
            joined.end = b < p.pos.size() ? p.pos[b] : p.end;
        }
    }
    if (in_continuation) emit(std::move(joined));
    return out;
}

auto shell_split(std::string_view s, std::vector<Token>& out) -> std::optional<SplitError> {
    auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::size_t i = 0;
    while (true) {
        // One token (shlex.read_token in POSIX mode with whitespace_split).
        std::string token;
        bool quoted = false;
        bool started = false;
        std::size_t start = 0;
        char state = ' ';
        char escaped_state = 'a';
        std::size_t open_at = 0;
        bool done = false;
        while (!done) {
            if (i >= s.size()) {
                if (state == '\'' || state == '"') return SplitError{"No closing quotation", open_at};
                if (state == '\\') return SplitError{"No escaped character", i == 0 ? 0 : i - 1};
                break;
            }
            char c = s[i];
            if (state == ' ') {
                if (is_ws(c)) {
                    ++i;
                    continue;
                }
                started = true;
                start = i;
                if (c == '\\') {
                    escaped_state = 'a';
                    state = '\\';
                } else if (c == '\'' || c == '"') {
                    state = c;
                    open_at = i;
                } else {
                    token += c;
                    state = 'a';
                }
                ++i;
            } else if (state == '\'' || state == '"') {
                quoted = true;
                if (c == state) {
                    state = 'a';
                } else if (c == '\\' && state == '"') {
                    escaped_state = state;
                    state = '\\';
                } else {
                    token += c;
                }
                ++i;
            } else if (state == '\\') {
                if ((escaped_state == '\'' || escaped_state == '"') && c != '\\' && c != escaped_state) token += '\\';
                token += c;
                state = escaped_state;
                ++i;
            } else {  // 'a'
                if (is_ws(c)) {
                    done = true;
                    ++i;
                } else if (c == '\'' || c == '"') {
                    state = c;
                    open_at = i;
                    ++i;
                } else if (c == '\\') {
                    escaped_state = 'a';
                    state = '\\';
                    ++i;
                } else {
                    token += c;
                    ++i;
                }
            }
        }
        if (!started || (!quoted && token.empty())) return std::nullopt;
        out.push_back({std::move(token), start});
    }
}

}  // namespace wheelhouse::reqfile::detail
