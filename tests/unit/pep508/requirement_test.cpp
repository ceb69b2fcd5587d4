// Requirement and name tests driven by pypa/packaging's tests/test_requirements.py and the name
// cases of tests/test_utils.py.
//
// Functions of test_requirements.py not run here, and why:
//   test_compare_with_string: comparing with a str is a Python typing question.
//   test_requirement_slots: Python __slots__.
//   test_pickle_*: Python pickling.
// (repr() checks inside test_str_and_repr are skipped; str() is checked.)
// Of test_utils.py only the name functions belong to pep508; versions and file names are tested by
// the pep440 and tags modules.
#include <gtest/gtest.h>

#include "corpus.hpp"
#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::pep508 {
namespace {

using nlohmann::json;
using testing::cases_of;
using testing::load_corpus;

auto corpus() -> const json& {
    static const json data = load_corpus("test_requirements.params.json");
    return data;
}

auto replace_ws(std::string text, const std::string& ws) -> std::string {
    for (auto pos = text.find("{ws}"); pos != std::string::npos; pos = text.find("{ws}", pos + ws.size())) {
        text.replace(pos, 4, ws);
    }
    return text;
}

TEST(RequirementCorpus, CoversEveryFunctionOrListsItAsSkipped) {
    static const std::set<std::string> kSkipped = {
        "test_compare_with_string",
        "test_requirement_slots",
        "test_pickle_requirement_roundtrip",
        "test_pickle_requirement_preserves_prereleases",
        "test_pickle_requirement_setstate_rejects_invalid_state",
        "test_pickle_requirement_setstate_rejects_invalid_string",
        "test_pickle_requirement_old_format_preserves_prereleases",
        "test_pickle_requirement_26_2_format_loads",
        "test_pickle_requirement_new_format_preserves_prereleases",
        "test_pickle_requirement_old_format_loads",
        "test_pickle_requirement_26_0_format_loads",
        "test_pickle_requirement_25_0_format_loads",
    };
    std::size_t skipped_cases = 0;
    for (const auto& [function, count] : testing::count_by_function(corpus())) {
        if (kSkipped.count(function) != 0) skipped_cases += count;
    }
    EXPECT_EQ(corpus().size(), 5332U);
    EXPECT_EQ(skipped_cases, 21U);
}

TEST(RequirementCorpus, ParsesEveryCombinationOfNameExtrasSpecifierUrlAndMarker) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_basic_valid_requirement_parsing")) {
        const auto& p = c["params"];
        auto ws = p["whitespace"].get<std::string>();
        auto name = p["name"].get<std::string>();
        auto extras = p["extras"].get<std::vector<std::string>>();
        std::sort(extras.begin(), extras.end());
        auto specifier = p["specifier"].get<std::string>();
        std::vector<std::string> parts{name};
        if (!extras.empty()) {
            parts.emplace_back("[");
            std::string joined;
            for (std::size_t i = 0; i < extras.size(); ++i) joined += (i > 0 ? ws + "," + ws : "") + extras[i];
            parts.push_back(joined);
            parts.emplace_back("]");
        }
        if (!specifier.empty()) parts.push_back(replace_ws(specifier, ws));
        if (!p["url"].is_null()) {
            parts.emplace_back("@");
            parts.push_back(p["url"].get<std::string>());
        }
        if (!p["marker"].is_null()) {
            parts.emplace_back(p["url"].is_null() ? ";" : " ;");
            parts.push_back(replace_ws(p["marker"].get<std::string>(), ws));
        }
        std::string text;
        for (std::size_t i = 0; i < parts.size(); ++i) text += (i > 0 ? ws : "") + parts[i];

        auto req = Requirement::parse(text);
        ++run;
        ASSERT_TRUE(req) << c["nodeid"] << " `" << text << "`: " << req.error().to_string();
        EXPECT_EQ(req->name, name) << text;
        EXPECT_EQ(req->extras, extras) << text;
        if (p["url"].is_null()) {
            EXPECT_FALSE(req->url) << text;
        } else {
            EXPECT_EQ(req->url.value_or(""), p["url"].get<std::string>()) << text;
        }
        auto bare = replace_ws(specifier, "");
        while (!bare.empty() && (bare.front() == '(' || bare.front() == ')')) bare.erase(0, 1);
        while (!bare.empty() && (bare.back() == '(' || bare.back() == ')')) bare.pop_back();
        auto expected_spec = pep440::SpecifierSet::parse(bare);
        ASSERT_TRUE(expected_spec) << bare;
        EXPECT_EQ(req->specifier.to_string(), expected_spec->to_string()) << text;
        if (p["marker"].is_null()) {
            EXPECT_FALSE(req->marker) << text;
        } else {
            auto expected_marker = Marker::parse(replace_ws(p["marker"].get<std::string>(), ""));
            ASSERT_TRUE(expected_marker);
            ASSERT_TRUE(req->marker) << text;
            EXPECT_EQ(*req->marker, *expected_marker) << text;
        }
        auto again = Requirement::parse(req->to_string());
        ASSERT_TRUE(again) << req->to_string();
        EXPECT_EQ(again->to_string(), req->to_string());
    }
    EXPECT_EQ(run, 5184U);
}

TEST(RequirementCorpus, PrintsCanonicalText) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_normalized_requirements")) {
        auto req = Requirement::parse(c["params"]["input_req"].get<std::string>());
        ++run;
        ASSERT_TRUE(req) << c["nodeid"];
        EXPECT_EQ(req->to_string(), c["params"]["norm_req"].get<std::string>());
    }
    for (const auto& c : cases_of(corpus(), "test_str_and_repr")) {
        const auto& p = c["params"];
        auto text = "name" + p["extras"].get<std::string>() + p["url_or_specifier"].get<std::string>() +
                    p["marker"].get<std::string>();
        auto req = Requirement::parse(text);
        ++run;
        ASSERT_TRUE(req) << text;
        auto stripped = std::string(util::trim(text));
        EXPECT_EQ(req->to_string(), stripped);
    }
    for (const auto& c : cases_of(corpus(), "test_requirement_marker_with_embedded_double_quote_round_trips")) {
        auto req = Requirement::parse("name; os_name == 'a\"b'");
        ++run;
        ASSERT_TRUE(req) << c["nodeid"];
        EXPECT_EQ(req->to_string(), "name; os_name == 'a\"b'");
        auto again = Requirement::parse(req->to_string());
        ASSERT_TRUE(again);
        EXPECT_TRUE(*again == *req);
    }
    EXPECT_EQ(run, 2U + 48U + 1U);
}

TEST(RequirementCorpus, AcceptsEdgeCasesOfTheGrammar) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_valid_marker")) {
        ++run;
        EXPECT_TRUE(Requirement::parse("name; " + c["params"]["marker"].get<std::string>())) << c["nodeid"];
    }
    for (const auto& c : cases_of(corpus(), "test_file_url")) {
        auto url = c["params"]["url"].get<std::string>();
        auto req = Requirement::parse("name @ " + url);
        ++run;
        ASSERT_TRUE(req) << url;
        EXPECT_EQ(req->url.value_or(""), url);
    }
    for (const auto& c : cases_of(corpus(), "test_trailing_horizontal_whitespace")) {
        auto req = Requirement::parse("name>=1" + c["params"]["whitespace"].get<std::string>());
        ++run;
        ASSERT_TRUE(req) << c["nodeid"];
        EXPECT_EQ(req->to_string(), "name>=1");
    }
    for (const auto& c : cases_of(corpus(), "test_error_when_suffixed_with_line_break")) {
        ++run;
        EXPECT_FALSE(Requirement::parse(c["params"]["requirement"].get<std::string>() +
                                        c["params"]["line_break"].get<std::string>()))
            << c["nodeid"];
    }
    ASSERT_EQ(cases_of(corpus(), "test_empty_extras").size(), 1U);
    auto empty_extras = Requirement::parse("name[]");
    ASSERT_TRUE(empty_extras);
    EXPECT_EQ(empty_extras->name, "name");
    EXPECT_TRUE(empty_extras->extras.empty());
    ASSERT_EQ(cases_of(corpus(), "test_empty_specifier").size(), 1U);
    auto empty_spec = Requirement::parse("name()");
    ASSERT_TRUE(empty_spec);
    EXPECT_TRUE(empty_spec->specifier.empty());
    for (const char* function :
         {"test_types_with_nothing", "test_types_with_specifier_and_marker", "test_types_with_url"}) {
        ASSERT_EQ(cases_of(corpus(), function).size(), 1U) << function;
    }
    auto nothing = Requirement::parse("foobar");
    ASSERT_TRUE(nothing);
    EXPECT_FALSE(nothing->url || nothing->marker);
    auto full = Requirement::parse("foobar[quux]<2,>=3; os_name=='a'");
    ASSERT_TRUE(full);
    EXPECT_FALSE(full->url);
    EXPECT_TRUE(full->marker);
    auto url = Requirement::parse("foobar @ http://foo.com");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->url.value_or(""), "http://foo.com");
    EXPECT_FALSE(url->marker);
    EXPECT_EQ(run, 6U + 4U + 3U + 6U);
}

TEST(RequirementCorpus, ComparesEquivalentRequirementsEqual) {
    std::size_t run = 0;
    for (const char* function : {"test_equal_reqs_equal_hashes", "test_equivalent_reqs_equal_hashes_unequal_strings",
                                 "test_different_reqs_different_hashes"}) {
        bool equal = std::string(function) != "test_different_reqs_different_hashes";
        for (const auto& c : cases_of(corpus(), function)) {
            auto a = Requirement::parse(c["params"]["dep1"].get<std::string>());
            auto b = Requirement::parse(c["params"]["dep2"].get<std::string>());
            ++run;
            ASSERT_TRUE(a && b) << c["nodeid"];
            EXPECT_EQ(*a == *b, equal) << c["nodeid"];
            if (std::string(function) == "test_equivalent_reqs_equal_hashes_unequal_strings") {
                EXPECT_NE(a->to_string(), b->to_string()) << c["nodeid"];
            }
        }
    }
    EXPECT_EQ(run, 4U + 8U + 7U);
}

struct ErrorCase {
    std::string function;
    std::string text;
    std::string message;
    int caret;  // 0-based offset of packaging's caret
};

// The test_error_* functions of test_requirements.py, restated with their expected output.
auto error_cases() -> std::vector<ErrorCase> {
    const std::string op_expected = "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in";
    const std::string spec_end =
        "Expected comma (within version specifier), semicolon (after version specifier) or end";
    const std::string post_wild =
        ".* suffix cannot be used after pre-release, post-release, developmental release, or local version labels";
    std::vector<ErrorCase> out = {
        {"test_error_when_empty_string", "", "Expected package name at the start of dependency specifier", 0},
        {"test_error_no_name", "==0.0", "Expected package name at the start of dependency specifier", 0},
        {"test_error_when_missing_comma_in_extras", "name[bar baz]", "Expected comma between extra names", 9},
        {"test_error_when_trailing_comma_in_extras", "name[bar, baz,]", "Expected extra name after comma", 14},
        {"test_error_when_parens_not_closed_correctly", "name (>= 1.0",
         "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier", 12},
        {"test_error_when_prefix_match_is_used_incorrectly", "black (>=20.*) ; extra == 'format'",
         ".* suffix can only be used with `==` or `!=` operators", 12},
        {"test_error_when_prefix_match_uses_post_release", "name == 1.2.3.post4.*", post_wild, 20},
        {"test_error_when_prefix_match_uses_post_release", "name != 1.2.3.post4.*", post_wild, 20},
        {"test_error_when_prefix_match_uses_post_release_without_spaces", "name==1.2.3.post4.*", post_wild, 18},
        {"test_error_when_bracket_not_closed_correctly", "name[bar, baz >= 1.0",
         "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", 14},
        {"test_error_when_extras_bracket_left_unclosed", "name[bar, baz",
         "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", 13},
        {"test_error_no_space_after_url", "name @ https://example.com/; extra == 'example'",
         "Expected semicolon (after URL and whitespace) or end", 29},
        {"test_error_marker_bracket_unclosed", "name; (extra == 'example'",
         "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression", 25},
        {"test_error_no_url_after_at", "name @ ", "Expected URL after @", 7},
        {"test_error_invalid_marker_lvalue", "name; invalid_name", "Expected a marker variable or quoted string", 6},
        {"test_error_invalid_marker_rvalue", "name; '3.7' <= invalid_name",
         "Expected a marker variable or quoted string", 15},
        {"test_error_invalid_marker_notin_without_whitespace", "name; '3.7' notin python_version", op_expected, 12},
        {"test_error_when_no_word_boundary", "name; '3.6'inpython_version", op_expected, 11},
        {"test_error_invalid_marker_not_without_in", "name; '3.7' not python_version", "Expected 'in' after 'not'", 16},
        {"test_error_invalid_marker_with_invalid_op", "name; '3.7' ~ python_version", op_expected, 12},
        {"test_error_on_legacy_version_outside_triple_equals", "name==1.0.org1", spec_end, 9},
        {"test_error_on_missing_version_after_op",
         "name==", "Expected semicolon (after name with no version specifier) or end", 4},
        {"test_error_on_missing_op_after_name", "name 1.0",
         "Expected semicolon (after name with no version specifier) or end", 5},
        {"test_error_on_random_char_after_specifier", "name >= 1.0 #", spec_end, 12},
        {"test_error_on_missing_comma_in_specifier", "name >= 1.0 <= 2.0", spec_end, 12},
    };
    for (const char* op : {">=", "<=", ">", "<", "~="}) {
        auto text = std::string("name ") + op + " 1.0+local.version.label";
        out.push_back({"test_error_when_local_version_label_is_used_incorrectly", text,
                       "Local version label can only be used with `==` or `!=` operators",
                       static_cast<int>(5 + std::string(op).size() + 4)});
    }
    return out;
}

TEST(RequirementCorpus, ReportsEachMalformedInputWithPackagingsMessageAndColumn) {
    std::map<std::string, std::size_t> run;
    for (const auto& c : error_cases()) {
        auto req = Requirement::parse(c.text);
        ++run[c.function];
        ASSERT_FALSE(req) << c.function << ": `" << c.text << "` parsed";
        EXPECT_EQ(req.error().message, c.message) << c.function << ": " << c.text;
        EXPECT_EQ(req.error().location.column, c.caret + 1) << c.function << ": " << c.text;
    }
    for (const auto& c : cases_of(corpus(), "test_error_invalid_marker_malformed_quoted_string")) {
        auto expected = testing::parse_exconly(c["params"]["expected"].get<std::string>());
        auto req = Requirement::parse(c["params"]["to_parse"].get<std::string>());
        ++run[c["function"].get<std::string>()];
        ASSERT_FALSE(req) << c["nodeid"];
        EXPECT_EQ(req.error().message, expected.message) << c["nodeid"];
        EXPECT_EQ(req.error().location.column, expected.caret + 1) << c["nodeid"];
    }
    ASSERT_EQ(cases_of(corpus(), "test_error_when_specifier_set_rejects_parsed_specifier").size(), 1U);
    auto rejected = Requirement::parse("demo===x,y");
    ++run["test_error_when_specifier_set_rejects_parsed_specifier"];
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().location.column, 5);
    // Every test_error_* function of the corpus is restated above, with as many cases as it has.
    for (const auto& [function, count] : testing::count_by_function(corpus())) {
        if (function.rfind("test_error_", 0) != 0 || function == "test_error_when_suffixed_with_line_break") continue;
        EXPECT_EQ(run[function], count) << function;
    }
}

TEST(RequirementBehaviour, KeepsExtrasSortedAndUniqueAsWritten) {
    auto req = Requirement::parse("Name[b, A, b]");
    ASSERT_TRUE(req);
    EXPECT_EQ(req->extras, (std::vector<std::string>{"A", "b"}));
    EXPECT_EQ(req->canonical_name(), "name");
    EXPECT_EQ(req->to_string(), "Name[A,b]");
}

TEST(RequirementBehaviour, UrlKeepsASemicolonGluedToIt) {
    auto req = Requirement::parse("name @ https://example.com/a;b");
    ASSERT_TRUE(req);
    EXPECT_EQ(req->url.value_or(""), "https://example.com/a;b");
    EXPECT_FALSE(req->marker);
}

TEST(Names, CanonicalizeAndValidateAsPackaging) {
    static const json utils = load_corpus("test_utils.params.json");
    std::size_t run = 0;
    for (const char* function : {"test_canonicalize_name", "test_canonicalize_name_invalid"}) {
        for (const auto& c : cases_of(utils, function)) {
            ++run;
            EXPECT_EQ(canonicalize_name(c["params"]["name"].get<std::string>()),
                      c["params"]["expected"].get<std::string>())
                << c["nodeid"];
        }
    }
    for (const auto& c : cases_of(utils, "test_is_normalized_name")) {
        auto name = c["params"]["name"].get<std::string>();
        auto expected = c["params"]["expected"].get<std::string>();
        ++run;
        EXPECT_TRUE(is_normalized_name(expected)) << c["nodeid"];
        EXPECT_EQ(is_normalized_name(name), name == expected) << c["nodeid"];
    }
    EXPECT_EQ(run, 10U + 7U + 12U);
    EXPECT_TRUE(is_valid_name("A"));
    EXPECT_TRUE(is_valid_name("foo-bar.quux_baz"));
    EXPECT_FALSE(is_valid_name("foo!"));
    EXPECT_FALSE(is_valid_name("_not_legal"));
    EXPECT_FALSE(is_valid_name("foo-"));
    EXPECT_FALSE(is_valid_name(""));
}

}  // namespace
}  // namespace wheelhouse::pep508
