#include "wheelhouse/pep508/requirement.hpp"

#include <algorithm>
#include <set>

#include "syntax.hpp"
#include "wheelhouse/pep508/name.hpp"

namespace wheelhouse::pep508 {
namespace {

using detail::Scanner;
using detail::syntax_error;
constexpr auto npos = Scanner::npos;

// extras = ('[' WS? extras_list? WS? ']')?
auto parse_extras(Scanner& sc, std::vector<std::string>& extras) -> Expected<void> {
    if (!sc.peek('[')) return {};
    auto open = sc.position();
    sc.set_position(open + 1);
    sc.skip_ws();
    if (auto end = sc.match_identifier(); end != npos) {
        extras.emplace_back(sc.source().substr(sc.position(), end - sc.position()));
        sc.set_position(end);
        for (;;) {
            sc.skip_ws();
            if (sc.match_identifier() != npos) {
                return syntax_error(sc.source(), "Expected comma between extra names", sc.position(), sc.position());
            }
            if (!sc.peek(',')) break;
            sc.set_position(sc.position() + 1);
            sc.skip_ws();
            auto next = sc.match_identifier();
            if (next == npos) {
                return syntax_error(sc.source(), "Expected extra name after comma", sc.position(), sc.position());
            }
            extras.emplace_back(sc.source().substr(sc.position(), next - sc.position()));
            sc.set_position(next);
        }
    }
    sc.skip_ws();
    if (!sc.peek(']')) {
        return syntax_error(sc.source(), "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", open,
                            sc.position());
    }
    sc.set_position(sc.position() + 1);
    return {};
}

// version_many = (SPECIFIER (WS? ',' WS? SPECIFIER)*)?, returning the clauses' text as written
// (without the whitespace between clauses), as packaging hands it to SpecifierSet.
auto parse_version_many(Scanner& sc) -> Expected<std::string> {
    std::string text;
    for (;;) {
        auto start = sc.position();
        auto end = sc.match_specifier();
        if (end == npos) break;
        auto clause = sc.source().substr(start, end - start);
        text += clause;
        sc.set_position(end);
        if (sc.match_prefix_trail() != npos) {
            bool equality = clause.substr(0, 2) == "==" || clause.substr(0, 2) == "!=";
            return syntax_error(sc.source(),
                                equality ? ".* suffix cannot be used after pre-release, post-release, developmental "
                                           "release, or local version labels"
                                         : ".* suffix can only be used with `==` or `!=` operators",
                                start, sc.position() + 1);
        }
        if (sc.match_local_trail() != npos) {
            return syntax_error(sc.source(), "Local version label can only be used with `==` or `!=` operators", start,
                                sc.position());
        }
        sc.skip_ws();
        if (!sc.peek(',')) break;
        text += ',';
        sc.set_position(sc.position() + 1);
        sc.skip_ws();
    }
    return text;
}

// specifier = '(' WS? version_many WS? ')' | WS? version_many WS?
auto parse_specifier(Scanner& sc) -> Expected<std::string> {
    bool parenthesised = sc.peek('(');
    auto open = sc.position();
    if (parenthesised) sc.set_position(open + 1);
    sc.skip_ws();
    auto text = parse_version_many(sc);
    if (!text) return text;
    sc.skip_ws();
    if (parenthesised) {
        if (!sc.peek(')')) {
            return syntax_error(sc.source(),
                                "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
                                open, sc.position());
        }
        sc.set_position(sc.position() + 1);
    }
    return text;
}

// requirement_marker = ';' marker WS?
auto parse_requirement_marker(Scanner& sc, std::size_t span_start, std::string_view expected) -> Expected<Marker> {
    if (!sc.peek(';')) {
        return syntax_error(sc.source(), "Expected " + std::string(expected) + " or end", span_start, sc.position());
    }
    sc.set_position(sc.position() + 1);
    auto root = detail::parse_marker_expression(sc);
    if (!root) return unexpected(std::move(root).error());
    sc.skip_ws();
    detail::normalize_marker_literals(*root);
    return Marker(std::make_shared<const Marker::Node>(std::move(*root)));
}

auto specifier_sets_equal(const pep440::SpecifierSet& a, const pep440::SpecifierSet& b) -> bool {
    auto covers = [](const pep440::SpecifierSet& x, const pep440::SpecifierSet& y) {
        return std::all_of(x.specifiers().begin(), x.specifiers().end(), [&](const pep440::Specifier& s) {
            return std::any_of(y.specifiers().begin(), y.specifiers().end(),
                               [&](const pep440::Specifier& t) { return s == t; });
        });
    };
    return covers(a, b) && covers(b, a);
}

}  // namespace

auto Requirement::parse(std::string_view text) -> Expected<Requirement> {
    Scanner sc(text);
    Requirement req;
    sc.skip_ws();
    auto name_end = sc.match_identifier();
    if (name_end == npos) {
        return syntax_error(text, "Expected package name at the start of dependency specifier", sc.position(),
                            sc.position());
    }
    req.name = std::string(text.substr(sc.position(), name_end - sc.position()));
    sc.set_position(name_end);
    sc.skip_ws();
    if (auto extras = parse_extras(sc, req.extras); !extras) return unexpected(std::move(extras).error());
    std::sort(req.extras.begin(), req.extras.end());
    req.extras.erase(std::unique(req.extras.begin(), req.extras.end()), req.extras.end());
    sc.skip_ws();

    std::string spec_source;
    std::size_t spec_column = 1;
    if (sc.peek('@')) {
        sc.set_position(sc.position() + 1);
        sc.skip_ws();
        auto url_start = sc.position();
        auto url_end = sc.match_url();
        if (url_end == npos) return syntax_error(text, "Expected URL after @", url_start, url_start);
        req.url = std::string(text.substr(url_start, url_end - url_start));
        sc.set_position(url_end);
        if (!sc.at_end()) {
            // The URL token stops only at whitespace, so a ';' glued to the URL belongs to the URL.
            sc.skip_ws();
            if (!sc.at_end()) {
                auto marker = parse_requirement_marker(sc, url_start, "semicolon (after URL and whitespace)");
                if (!marker) return unexpected(std::move(marker).error());
                req.marker = std::move(*marker);
            }
        }
    } else {
        auto spec_start = sc.position();
        auto spec_text = parse_specifier(sc);
        if (!spec_text) return unexpected(std::move(spec_text).error());
        sc.skip_ws();
        if (!sc.at_end()) {
            auto marker = parse_requirement_marker(
                sc, spec_start,
                spec_text->empty() ? "semicolon (after name with no version specifier)"
                                   : "comma (within version specifier), semicolon (after version specifier)");
            if (!marker) return unexpected(std::move(marker).error());
            req.marker = std::move(*marker);
        }
        spec_source = std::move(*spec_text);
        spec_column = spec_start + 1;
    }
    if (!sc.at_end()) {
        return syntax_error(text, "Expected end of dependency specifier", sc.position(), sc.position());
    }
    // As in packaging, the clauses are validated as a set only once the whole string has parsed.
    auto specifiers = pep440::SpecifierSet::parse(spec_source);
    if (!specifiers) {
        auto error = std::move(specifiers).error();
        error.code = ErrorCode::invalid_input;
        error.location = Location{{}, 0, static_cast<int>(spec_column)};
        if (error.context.empty()) error.context = spec_source;
        return unexpected(std::move(error));
    }
    req.specifier = std::move(*specifiers);
    return req;
}

auto Requirement::to_string() const -> std::string {
    std::string out = name;
    if (!extras.empty()) {
        out += '[';
        for (std::size_t i = 0; i < extras.size(); ++i) {
            if (i > 0) out += ',';
            out += extras[i];
        }
        out += ']';
    }
    out += specifier.to_string();
    if (url) {
        out += " @ ";
        out += *url;
        // A ';' right after the URL would be read back as part of it.
        if (marker) out += ' ';
    }
    if (marker) {
        out += "; ";
        out += marker->to_string();
    }
    return out;
}

auto Requirement::canonical_name() const -> std::string {
    return canonicalize_name(name);
}

auto operator==(const Requirement& a, const Requirement& b) -> bool {
    auto canonical_extras = [](const Requirement& r) {
        std::set<std::string> out;
        for (const auto& e : r.extras) out.insert(canonicalize_name(e));
        return out;
    };
    return a.canonical_name() == b.canonical_name() && canonical_extras(a) == canonical_extras(b) && a.url == b.url &&
           a.marker == b.marker && specifier_sets_equal(a.specifier, b.specifier);
}

}  // namespace wheelhouse::pep508
