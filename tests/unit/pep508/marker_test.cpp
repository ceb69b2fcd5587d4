// Marker tests driven by pypa/packaging's tests/test_markers.py parameters.
//
// Functions of that file not run here, and why:
//   TestNode::test_accepts_value, test_str, test_repr, test_base_class: Python's Node class internals.
//   TestNode::test_value_serialize_rejects_both_quote_delimiters: a parsed literal cannot hold both
//     quote characters, so our Marker can never be asked to print one.
//   TestDefaultEnvironment::*: introspection of the running interpreter; we evaluate for a target
//     given explicitly (linux_cpython_environment is tested below instead).
//   test_compare_markers_to_other_objects: comparing with a str is a Python typing question.
//   test_evaluate_does_not_mutate_cached_environment: there is no cached default environment.
//   test_and_operator_*, test_or_operator_*, test_operator_rejects_non_marker,
//   test_inplace_operators_fallback, test_right_hand_ops_and_typeerror,
//   test_chaining_associativity_and_str, test_hash_eq_for_combined_markers,
//   test_evaluation_of_combined_markers: Python's `&` / `|` operators on Marker, not offered.
//   test_pickle_*: Python pickling.
#include <gtest/gtest.h>

#include "corpus.hpp"
#include "wheelhouse/pep508/marker.hpp"

namespace wheelhouse::pep508 {
namespace {

using nlohmann::json;
using testing::cases_of;
using testing::environment_from;
using testing::load_corpus;

auto corpus() -> const json& {
    static const json data = load_corpus("test_markers.params.json");
    return data;
}

auto evaluate_text(std::string_view text, const Environment& env) -> Expected<bool> {
    auto marker = Marker::parse(text);
    if (!marker) return unexpected(marker.error());
    return marker->evaluate(env);
}

TEST(MarkerCorpus, CoversEveryFunctionOrListsItAsSkipped) {
    static const std::set<std::string> kRun = {
        "test_parses_valid",
        "test_parses_pep345_valid",
        "test_parses_setuptools_legacy_valid",
        "test_parses_invalid",
        "test_parses_invalid_trailing_line_break",
        "test_parses_trailing_horizontal_whitespace",
        "test_parses_invalid_malformed_quoted_string",
        "test_str_repr_eq_hash",
        "test_different_markers_different_hashes",
        "test_evaluates",
        "test_evaluate_pep345_markers",
        "test_version_like_equality",
        "test_value_serialize_chooses_quote_delimiter",
        "test_extras_and_dependency_groups",
        "test_extras_and_dependency_groups_disallowed",
        "test_set_valued_marker_on_lhs_raises_undefined_comparison",
        "test_membership_value_str_normalization",
        "test_membership_value_str_normalization_negated",
        "test_prefers_pep440",
        "test_new_string_rules",
        "test_fails_when_undefined",
        "test_arbitrary_equality_on_non_version_key_is_undefined",
        "test_allows_prerelease",
        "test_environment_assumes_empty_extra",
        "test_environment_with_extra_none",
        "test_environment_with_no_extras",
        "test_evaluate_setuptools_legacy_markers",
        "test_extra_str_normalization",
        "test_extra_compared_to_variable_not_normalized",
        "test_nested_extra_str_normalization",
        "test_python_full_version_untagged_user_provided",
        "test_python_full_version_untagged",
        "test_missing_environment_key_raises_undefined_environment_name",
        "test_str_preserves_nested_group_precedence",
    };
    static const std::set<std::string> kSkipped = {
        "test_accepts_value",
        "test_str",
        "test_repr",
        "test_base_class",
        "test_value_serialize_rejects_both_quote_delimiters",
        "test_matches_expected",
        "test_multidigit_minor_version",
        "tests_when_releaselevel_final",
        "tests_when_releaselevel_not_final",
        "test_compare_markers_to_other_objects",
        "test_evaluate_does_not_mutate_cached_environment",
        "test_and_operator_evaluates_true",
        "test_and_operator_str_equality",
        "test_or_operator_evaluates_true",
        "test_or_operator_str_equality",
        "test_operator_rejects_non_marker",
        "test_inplace_operators_fallback",
        "test_right_hand_ops_and_typeerror",
        "test_chaining_associativity_and_str",
        "test_hash_eq_for_combined_markers",
        "test_evaluation_of_combined_markers",
        "test_pickle_marker_roundtrip",
        "test_pickle_marker_setstate_rejects_invalid_state",
        "test_pickle_marker_old_format_loads",
        "test_pickle_marker_26_0_format_loads",
        "test_pickle_marker_25_0_format_loads",
        "test_pickle_node_roundtrip",
        "test_pickle_node_setstate_rejects_invalid_state",
        "test_pickle_marker_setstate_legacy_slot_dict_without_markers_key",
        "test_pickle_marker_setstate_rejects_invalid_markers_type",
        "test_pickle_marker_setstate_rejects_invalid_marker_string",
    };
    for (const auto& [function, count] : testing::count_by_function(corpus())) {
        EXPECT_TRUE(kRun.count(function) + kSkipped.count(function) == 1)
            << function << " (" << count << " cases) is neither run nor listed as skipped";
    }
    EXPECT_EQ(corpus().size(), 2306U);
}

TEST(MarkerCorpus, ParsesEveryValidMarkerAndItsCanonicalTextRoundTrips) {
    std::size_t run = 0;
    for (const char* function :
         {"test_parses_valid", "test_parses_pep345_valid", "test_parses_setuptools_legacy_valid"}) {
        for (const auto& c : cases_of(corpus(), function)) {
            auto text = c["params"]["marker_string"].get<std::string>();
            auto marker = Marker::parse(text);
            ++run;
            ASSERT_TRUE(marker) << c["nodeid"] << ": " << marker.error().to_string();
            auto again = Marker::parse(marker->to_string());
            ASSERT_TRUE(again) << text << " -> " << marker->to_string();
            EXPECT_EQ(again->to_string(), marker->to_string()) << text;
        }
    }
    EXPECT_EQ(run, 1440U + 600U + 120U);
}

TEST(MarkerCorpus, RejectsInvalidMarkersAndTrailingLineBreaks) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_parses_invalid")) {
        auto text = c["params"]["marker_string"].get<std::string>();
        auto marker = Marker::parse(text);
        ++run;
        EXPECT_FALSE(marker) << text << " parsed as " << (marker ? marker->to_string() : "");
        if (!marker) {
            EXPECT_GT(marker.error().location.column, 0) << text;
            EXPECT_FALSE(marker.error().message.empty()) << text;
        }
    }
    for (const auto& c : cases_of(corpus(), "test_parses_invalid_trailing_line_break")) {
        auto text = "python_version >= \"3\"" + c["params"]["line_break"].get<std::string>();
        ++run;
        EXPECT_FALSE(Marker::parse(text)) << c["nodeid"];
    }
    EXPECT_EQ(run, 6U + 3U);
}

TEST(MarkerCorpus, AcceptsTrailingHorizontalWhitespace) {
    auto plain = Marker::parse("python_version >= \"3\"");
    ASSERT_TRUE(plain);
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_parses_trailing_horizontal_whitespace")) {
        auto marker = Marker::parse("python_version >= \"3\"" + c["params"]["whitespace"].get<std::string>());
        ++run;
        ASSERT_TRUE(marker) << c["nodeid"];
        EXPECT_EQ(*marker, *plain);
    }
    EXPECT_EQ(run, 3U);
}

TEST(MarkerCorpus, ReportsMalformedQuotedStringsWithMessageAndColumn) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_parses_invalid_malformed_quoted_string")) {
        auto text = c["params"]["marker_string"].get<std::string>();
        auto expected = testing::parse_exconly(c["params"]["expected"].get<std::string>());
        auto marker = Marker::parse(text);
        ++run;
        ASSERT_FALSE(marker) << text;
        EXPECT_EQ(marker.error().message, expected.message) << text;
        EXPECT_EQ(marker.error().location.column, expected.caret + 1) << text;
    }
    EXPECT_EQ(run, 2U);
}

TEST(MarkerCorpus, PrintsCanonicalTextAndComparesByIt) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_str_repr_eq_hash")) {
        auto text = c["params"]["marker_string"].get<std::string>();
        auto expected = c["params"]["expected"].get<std::string>();
        auto marker = Marker::parse(text);
        ++run;
        ASSERT_TRUE(marker) << text;
        EXPECT_EQ(marker->to_string(), expected) << text;
        auto from_expected = Marker::parse(expected);
        ASSERT_TRUE(from_expected) << expected;
        EXPECT_EQ(*marker, *from_expected) << text;
    }
    for (const auto& c : cases_of(corpus(), "test_different_markers_different_hashes")) {
        auto a = Marker::parse(c["params"]["example1"].get<std::string>());
        auto b = Marker::parse(c["params"]["example2"].get<std::string>());
        ++run;
        ASSERT_TRUE(a && b) << c["nodeid"];
        EXPECT_FALSE(*a == *b) << c["nodeid"];
    }
    EXPECT_EQ(run, 9U + 4U);
}

TEST(MarkerCorpus, EvaluatesAgainstTheGivenEnvironment) {
    std::size_t run = 0;
    for (const char* function : {"test_evaluates", "test_evaluate_pep345_markers", "test_version_like_equality"}) {
        for (const auto& c : cases_of(corpus(), function)) {
            const auto& p = c["params"];
            auto result = evaluate_text(p["marker_string"].get<std::string>(), environment_from(p["environment"]));
            ++run;
            ASSERT_TRUE(result) << c["nodeid"] << ": " << result.error().to_string();
            EXPECT_EQ(*result, p["expected"].get<bool>()) << c["nodeid"];
        }
    }
    EXPECT_EQ(run, 15U + 6U + 6U);
}

TEST(MarkerCorpus, ChoosesTheQuoteThatTheValueDoesNotContain) {
    std::size_t run = 0;
    for (const auto& c : cases_of(corpus(), "test_value_serialize_chooses_quote_delimiter")) {
        auto expected = c["params"]["expected"].get<std::string>();
        auto marker = Marker::parse("os_name == " + expected);
        ++run;
        ASSERT_TRUE(marker) << expected;
        EXPECT_EQ(marker->to_string(), "os_name == " + expected);
    }
    EXPECT_EQ(run, 3U);
}

TEST(MarkerCorpus, EvaluatesSetValuedExtrasAndDependencyGroupsInLockFiles) {
    std::size_t run = 0;
    auto env = environment_from(nullptr);
    for (const auto& c : cases_of(corpus(), "test_extras_and_dependency_groups")) {
        const auto& p = c["params"];
        auto variable = p["variable"].get<std::string>();
        auto expression = p["expression"].get<std::string>();
        std::string text;
        for (std::size_t i = 0; i < expression.size(); ++i) {
            if (expression.compare(i, 3, "{0}") == 0) {
                text += variable;
                i += 2;
            } else {
                text += expression[i];
            }
        }
        auto marker = Marker::parse(text);
        ++run;
        ASSERT_TRUE(marker) << text;
        std::set<std::string> values{"foo", "bar"};
        auto result = variable == "extras" ? marker->evaluate_lock_file(env, values, {})
                                           : marker->evaluate_lock_file(env, {}, values);
        ASSERT_TRUE(result) << text;
        EXPECT_EQ(*result, p["result"].get<bool>()) << text;
    }
    for (const auto& c : cases_of(corpus(), "test_extras_and_dependency_groups_disallowed")) {
        auto marker = Marker::parse("\"foo\" in " + c["params"]["variable"].get<std::string>());
        ++run;
        ASSERT_TRUE(marker);
        auto in_lock = marker->evaluate_lock_file(env, {}, {});
        ASSERT_TRUE(in_lock);
        EXPECT_FALSE(*in_lock);
        EXPECT_FALSE(marker->evaluate(env)) << "outside a lock file the variable is undefined";
    }
    for (const auto& c : cases_of(corpus(), "test_set_valued_marker_on_lhs_raises_undefined_comparison")) {
        auto text = c["params"]["variable"].get<std::string>() + " " + c["params"]["op"].get<std::string>() + " 'foo'";
        auto marker = Marker::parse(text);
        ++run;
        ASSERT_TRUE(marker) << text;
        EXPECT_FALSE(marker->evaluate_lock_file(env, {}, {})) << text;
    }
    for (const char* function :
         {"test_membership_value_str_normalization", "test_membership_value_str_normalization_negated"}) {
        bool negated = std::string(function).ends_with("negated");
        for (const auto& c : cases_of(corpus(), function)) {
            auto variable = c["params"]["variable"].get<std::string>();
            auto raw = Marker::parse(negated ? "\"Foo_Bar\" not in " + variable : "\"S_P__A_M\" in " + variable);
            ++run;
            ASSERT_TRUE(raw);
            EXPECT_EQ(raw->to_string(), negated ? "\"foo-bar\" not in " + variable : "\"s-p-a-m\" in " + variable);
        }
    }
    EXPECT_EQ(run, 18U + 2U + 8U + 4U);
}

// The single-case functions of test_markers.py, each restated.
TEST(MarkerBehaviour, PrefersVersionComparisonForVersionVariables) {
    EXPECT_TRUE(*evaluate_text("\"2.7.9\" < python_full_version", {{"python_full_version", "2.7.10"}}));
    EXPECT_FALSE(*evaluate_text("\"2.7.9\" < python_full_version", {{"python_full_version", "2.7.8"}}));
    EXPECT_TRUE(*evaluate_text("python_full_version > \"3.6.2\"", {{"python_full_version", "3.11.0a5"}}));
}

TEST(MarkerBehaviour, OrdersPlainStringsNeverAndTreatsInclusiveOrderAsEquality) {
    EXPECT_FALSE(*evaluate_text("\"b\" < python_full_version", {{"python_full_version", "c"}}));
    EXPECT_FALSE(*evaluate_text("\"b\" < python_full_version", {{"python_full_version", "a"}}));
    Environment env{{"a", "a"}};
    EXPECT_FALSE(*evaluate_text("\"b\" > \"a\"", env));
    EXPECT_FALSE(*evaluate_text("\"b\" < \"a\"", env));
    EXPECT_FALSE(*evaluate_text("\"b\" >= \"a\"", env));
    EXPECT_FALSE(*evaluate_text("\"b\" <= \"a\"", env));
    EXPECT_TRUE(*evaluate_text("\"a\" <= \"a\"", env));
}

TEST(MarkerBehaviour, UndefinedComparisonsAreErrors) {
    auto env = environment_from(nullptr);
    EXPECT_FALSE(evaluate_text("'2.7.0' ~= os_name", env));
    EXPECT_FALSE(evaluate_text("os_name === 'posix'", env));
    EXPECT_FALSE(evaluate_text("sys_platform === 'linux'", env));
    // Every comparison is evaluated, so an undefined one fails the marker even after a true `or`.
    EXPECT_FALSE(evaluate_text("os_name == 'posix' or '2.7.0' ~= os_name", env));
}

TEST(MarkerBehaviour, ExtraDefaultsToEmptyAndComparesNormalised) {
    auto env = environment_from(nullptr);
    EXPECT_FALSE(*evaluate_text("extra == \"im_valid\"", env));
    auto marker = Marker::parse("extra == \"im_valid\"");
    ASSERT_TRUE(marker);
    EXPECT_FALSE(*marker->evaluate(environment_from(json{{"extra", nullptr}})));
    EXPECT_TRUE(*marker->evaluate(env, {"IM.VALID"}));
    EXPECT_TRUE(*marker->evaluate(env, {"other", "im-valid"}));
    EXPECT_FALSE(*marker->evaluate(env, {"other"}));
    EXPECT_TRUE(*evaluate_text("os_name == 'foo'", {{"os_name", "foo"}}));
    EXPECT_FALSE(*evaluate_text("os_name == 'foo'", {{"os_name", "bar"}}));
    EXPECT_EQ(marker->mentioned_extras(), std::set<std::string>{"im-valid"});
}

TEST(MarkerBehaviour, LegacySetuptoolsNameMeansPlatformPythonImplementation) {
    EXPECT_FALSE(*evaluate_text("python_implementation=='Jython'", {{"platform_python_implementation", "CPython"}}));
    EXPECT_EQ(Marker::parse("python_implementation == 'x'")->to_string(), "platform_python_implementation == \"x\"");
    EXPECT_EQ(Marker::parse("os.name == 'x'")->to_string(), "os_name == \"x\"");
}

TEST(MarkerBehaviour, NormalisesExtraLiteralsButNotVariables) {
    EXPECT_EQ(Marker::parse("'S_P__A_M' == extra")->to_string(), "\"s-p-a-m\" == extra");
    EXPECT_EQ(Marker::parse("extra == 'S_P__A_M'")->to_string(), "extra == \"s-p-a-m\"");
    EXPECT_EQ(Marker::parse("extra == os_name")->to_string(), "extra == os_name");
    EXPECT_EQ(Marker::parse("os_name == extra")->to_string(), "os_name == extra");
    auto nested = Marker::parse("(extra == \"Foo_Bar\" or extra == \"Baz\") and python_version >= \"3\"");
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->to_string(), "(extra == \"foo-bar\" or extra == \"baz\") and python_version >= \"3\"");
    EXPECT_TRUE(*nested->evaluate({{"extra", "foo-bar"}, {"python_version", "3.12"}}));
}

TEST(MarkerBehaviour, RepairsUntaggedPythonFullVersion) {
    EXPECT_TRUE(*evaluate_text("python_full_version < '3.12'", {{"python_full_version", "3.11.1+"}}));
    EXPECT_TRUE(*evaluate_text("python_full_version < '3.12'", linux_cpython_environment("3.11.1+")));
}

TEST(MarkerBehaviour, MissingVariableIsAnError) {
    auto marker = Marker::parse("\"foo\" in extras");
    ASSERT_TRUE(marker);
    auto result = marker->evaluate(environment_from(nullptr));
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("extras"), std::string::npos);
    EXPECT_FALSE(evaluate_text("os_name == 'x'", {}));
}

TEST(MarkerBehaviour, KeepsNestedGroupsSoPrecedenceSurvivesPrinting) {
    auto m = Marker::parse("python_version < \"3.10\" and ((sys_platform == \"linux\" or sys_platform == \"darwin\"))");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_string(),
              "python_version < \"3.10\" and (sys_platform == \"linux\" or sys_platform == \"darwin\")");
    auto reparsed = Marker::parse(m->to_string());
    ASSERT_TRUE(reparsed);
    for (const auto& env : {Environment{{"python_version", "3.12"}, {"sys_platform", "darwin"}},
                            Environment{{"python_version", "3.12"}, {"sys_platform", "linux"}},
                            Environment{{"python_version", "3.9"}, {"sys_platform", "darwin"}}}) {
        EXPECT_EQ(*reparsed->evaluate(env), *m->evaluate(env));
    }
    EXPECT_EQ(Marker::parse("(os_name == 'a')")->to_string(), "os_name == \"a\"");
    EXPECT_EQ(Marker::parse("os_name == 'a' and (os_name == 'b')")->to_string(),
              "os_name == \"a\" and os_name == \"b\"");
}

TEST(MarkerBehaviour, ErrorsCarryPackagingMessagesAndColumns) {
    struct Case {
        const char* text;
        const char* message;
        int column;
    };
    for (const auto& c : {
             Case{"invalid_name", "Expected a marker variable or quoted string", 1},
             Case{"'3.7' <= invalid_name", "Expected a marker variable or quoted string", 10},
             Case{"'3.7' notin python_version",
                  "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in", 7},
             Case{"'3.6'inpython_version", "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in",
                  6},
             Case{"'3.7' not python_version", "Expected 'in' after 'not'", 11},
             Case{"(extra == 'example'",
                  "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression", 20},
             Case{"os_name == 'a' oops", "Expected end of marker expression", 16},
             Case{"os_name == 'a\\b'", "Invalid quoted string", 17},
         }) {
        auto marker = Marker::parse(c.text);
        ASSERT_FALSE(marker) << c.text;
        EXPECT_EQ(marker.error().message, c.message) << c.text;
        EXPECT_EQ(marker.error().location.column, c.column) << c.text;
    }
}

TEST(MarkerBehaviour, DeepNestingIsAnErrorNotACrash) {
    std::string text(100000, '(');
    EXPECT_FALSE(Marker::parse(text));
}

TEST(LinuxCpythonEnvironment, DescribesTheMwaaTarget) {
    auto env = linux_cpython_environment("3.11.9");
    EXPECT_EQ(env.at("python_version"), "3.11");
    EXPECT_EQ(env.at("python_full_version"), "3.11.9");
    EXPECT_EQ(env.at("implementation_version"), "3.11.9");
    EXPECT_EQ(env.at("os_name"), "posix");
    EXPECT_EQ(env.at("sys_platform"), "linux");
    EXPECT_EQ(env.at("platform_system"), "Linux");
    EXPECT_EQ(env.at("platform_machine"), "x86_64");
    EXPECT_EQ(env.at("implementation_name"), "cpython");
    EXPECT_EQ(env.at("platform_python_implementation"), "CPython");
    EXPECT_EQ(env.at("platform_release"), "");
    EXPECT_EQ(env.at("platform_version"), "");
    EXPECT_EQ(linux_cpython_environment("3.12.1").at("python_version"), "3.12");
    EXPECT_TRUE(*evaluate_text("python_version >= '3.10' and sys_platform == 'linux'", env));
    EXPECT_FALSE(*evaluate_text("platform_release >= '5'", env));
}

}  // namespace
}  // namespace wheelhouse::pep508
