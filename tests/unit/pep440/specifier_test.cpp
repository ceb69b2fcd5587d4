// Specifier and SpecifierSet tests, data-driven from pypa/packaging's tests/test_specifiers.py
// parameters (packaging 26 semantics: see specifier.hpp for the prerelease policy).
//
// Each test mirrors what the packaging test function does with its parameters; the configured
// `prereleases=` of packaging's constructors is set_prereleases() here, `installed=True` is
// contains(v, true), and a `Version` object parameter is passed as a Version (text as text).
//
// Functions skipped because they test Python-only features or APIs we do not have:
//   test_match_args (pattern matching), test_specifiers_hash (hashing), test_comparison_non_specifier
//   (comparison with other Python types), test_*_filter_with_key (the key= callable), test_pickle_*
//   (pickle), test_specifier_construction_is_lazy / test_specifierset_construction_is_lazy /
//   test_result_is_cached / test_cache_* / test_*_cache_* / test_specifier_filter_with_version_iterable_*
//   / test_specifierset_contains_reads_cached_bounds (caching internals), test_is_subset,
//   test_is_superset, test_is_disjoint, test_set_relations_*, test_unsatisfiable*, test_satisfiable*,
//   test_and_*, test_post_release_boundary_unsatisfiable, test_range_bounds_*, test_contains_equivalent*,
//   test_filter_equivalent, test_to_specifier_set_roundtrip_matches, test_contains_identical_across_
//   canonicalization (packaging 26's VersionRange / is_unsatisfiable API, not part of ours),
//   test_specifiers_combine_not_implemented (Python operator protocol), and the parameterless tests
//   (test_specifier_equal_for_compatible_operator, test_specifier_hash_for_compatible_operator,
//   test_create_from_specifiers, test_specifier_contains_prereleases, test_specifiers_duplicate_
//   normalization, test_specifiers_combine_deduplicates, test_contains_with_compatible_operator,
//   test_filter_post_release_boundary_intersection, test_filter_multirange_pep440_prerelease_after_final,
//   test_filter_arbitrary_*, test_filter_keyed_none_version_is_skipped), whose behaviour is covered by
//   the hand-written tests at the end.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus.hpp"
#include "wheelhouse/pep440/specifier.hpp"

namespace wheelhouse::pep440 {
namespace {

using testing::cases;
using testing::is_version_object;
using testing::json;
using testing::load_corpus;
using testing::optional_bool;
using testing::version_text;

auto corpus() -> const json& {
    static const json data = load_corpus("test_specifiers.params.json");
    return data;
}

auto spec_ok(const std::string& text) -> Specifier {
    auto s = Specifier::parse(text);
    if (!s) ADD_FAILURE() << "expected specifier '" << text << "' to parse: " << s.error().to_string();
    return s ? *s : Specifier{};
}

auto set_ok(const std::string& text) -> SpecifierSet {
    auto s = SpecifierSet::parse(text);
    if (!s) ADD_FAILURE() << "expected specifier set '" << text << "' to parse: " << s.error().to_string();
    return s ? *s : SpecifierSet{};
}

auto version_ok(const std::string& text) -> Version {
    auto v = Version::parse(text);
    if (!v) ADD_FAILURE() << "expected version '" << text << "' to parse";
    return v ? *v : Version{};
}

auto p(const json& c, const char* key) -> const json& {
    return c.at("params").at(key);
}
auto str(const json& c, const char* key) -> std::string {
    return p(c, key).get<std::string>();
}

// Candidates as packaging receives them: Version objects become their normalised text, which is
// what packaging 26 compares against '===' for a Version object.
auto candidate_texts(const json& list) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& item : list) {
        out.push_back(is_version_object(item) ? version_ok(version_text(item)).to_string() : item.get<std::string>());
    }
    return out;
}

auto describe(const std::vector<std::string>& items) -> std::string {
    std::string out = "[";
    for (const auto& s : items) out += "'" + s + "' ";
    return out + "]";
}

TEST(SpecifierCorpus, ParsesValidAndRejectsInvalidSpecifiers) {
    auto valid = cases(corpus(), "test_specifiers_valid");
    auto invalid = cases(corpus(), "test_specifiers_invalid");
    ASSERT_EQ(valid.size(), 9U);
    ASSERT_EQ(invalid.size(), 31U);
    for (const auto& c : valid) spec_ok(str(c, "specifier"));
    for (const auto& c : invalid) {
        auto s = Specifier::parse(str(c, "specifier"));
        ASSERT_FALSE(s.has_value()) << str(c, "specifier") << " parsed as " << s->to_string();
        EXPECT_EQ(s.error().code, ErrorCode::invalid_input);
        EXPECT_GE(s.error().location.column, 1);
    }
}

TEST(SpecifierCorpus, AcceptsEveryVersionSpellingWithEachAllowedOperator) {
    auto all = cases(corpus(), "test_specifiers_normalized");
    ASSERT_EQ(all.size(), 95U);
    std::size_t parsed = 0;
    for (const auto& c : all) {
        const auto version = str(c, "version");
        std::vector<std::string> ops{"==", "!="};
        if (version.find('+') == std::string::npos) ops = {"~=", "==", "!=", "<=", ">=", "<", ">"};
        for (const auto& op : ops) {
            spec_ok(op + version);
            ++parsed;
        }
    }
    EXPECT_GT(parsed, 95U * 2U);
}

TEST(SpecifierCorpus, StrDropsSpacingAndSortsSets) {
    auto single = cases(corpus(), "test_specifiers_str_and_repr", "TestSpecifier");
    auto sets = cases(corpus(), "test_specifiers_str_and_repr", "TestSpecifierSet");
    ASSERT_EQ(single.size(), 8U);
    ASSERT_EQ(sets.size(), 10U);
    for (const auto& c : single) EXPECT_EQ(spec_ok(str(c, "specifier")).to_string(), str(c, "expected"));
    for (const auto& c : sets) EXPECT_EQ(set_ok(str(c, "specifier")).to_string(), str(c, "expected"));
}

TEST(SpecifierCorpus, EqualityOfSpecifiersAndSets) {
    std::size_t checked = 0;
    for (const auto& function : {"test_comparison_true", "test_comparison_false"}) {
        const bool expected = std::string(function) == "test_comparison_true";
        for (const auto& test_class : {"TestSpecifier", "TestSpecifierSet"}) {
            auto all = cases(corpus(), function, test_class);
            ASSERT_EQ(all.size(), 81U);
            for (const auto& c : all) {
                const auto op = p(c, "op").at("__callable__").get<std::string>();
                bool equal = false;
                if (std::string(test_class) == "TestSpecifier") {
                    equal = spec_ok(str(c, "left")) == spec_ok(str(c, "right"));
                } else {
                    equal = set_ok(str(c, "left")) == set_ok(str(c, "right"));
                }
                EXPECT_EQ(op == "eq" ? equal : !equal, expected)
                    << test_class << " " << str(c, "left") << " " << op << " " << str(c, "right");
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 4U * 81U);
    for (const auto& c : cases(corpus(), "test_comparison_canonicalizes")) {
        EXPECT_EQ(spec_ok(str(c, "left")), spec_ok(str(c, "right")));
        EXPECT_EQ(set_ok(str(c, "left")), set_ok(str(c, "right")));
    }
}

TEST(SpecifierCorpus, ContainsWithPrereleasesAllowed) {
    // packaging builds these specifiers with prereleases=True.
    auto all = cases(corpus(), "test_specifiers");
    ASSERT_EQ(all.size(), 188U);
    for (const auto& c : all) {
        auto spec = spec_ok(str(c, "spec_str"));
        spec.set_prereleases(true);
        EXPECT_EQ(spec.contains(version_ok(str(c, "version"))), p(c, "expected").get<bool>())
            << str(c, "version") << " in " << str(c, "spec_str");
        EXPECT_EQ(spec.contains_text(str(c, "version")), p(c, "expected").get<bool>());
    }
}

TEST(SpecifierCorpus, InvalidCandidateTextIsNotContained) {
    auto all = cases(corpus(), "test_invalid_version");
    ASSERT_EQ(all.size(), 11U);
    for (const auto& c : all) {
        EXPECT_EQ(spec_ok(str(c, "spec_str")).contains_text(str(c, "version")), p(c, "expected").get<bool>())
            << str(c, "version") << " in " << str(c, "spec_str");
    }
}

TEST(SpecifierCorpus, ConfiguredPrereleasesCanBeChanged) {
    auto all = cases(corpus(), "test_specifier_prereleases_set");
    ASSERT_EQ(all.size(), 16U);
    for (const auto& c : all) {
        auto spec = spec_ok(str(c, "specifier"));
        spec.set_prereleases(optional_bool(p(c, "initial_prereleases")));
        const auto v = version_ok(str(c, "version"));
        EXPECT_EQ(spec.contains(v), p(c, "initial_contains").get<bool>())
            << str(c, "version") << " in " << str(c, "specifier");
        spec.set_prereleases(optional_bool(p(c, "set_prereleases")));
        EXPECT_EQ(spec.contains(v), p(c, "final_contains").get<bool>())
            << str(c, "version") << " in " << str(c, "specifier");
    }
}

TEST(SpecifierCorpus, ArbitraryEqualityComparesTextCaseInsensitively) {
    auto eq = cases(corpus(), "test_arbitrary_equality");
    auto norm = cases(corpus(), "test_arbitrary_equality_normalization");
    ASSERT_EQ(eq.size(), 47U);
    ASSERT_EQ(norm.size(), 35U);
    for (const auto& c : eq) {
        EXPECT_EQ(spec_ok(str(c, "spec_str")).contains_text(str(c, "version")), p(c, "expected").get<bool>())
            << str(c, "version") << " in " << str(c, "spec_str");
    }
    for (const auto& c : norm) {
        const auto spec = spec_ok(str(c, "spec_str"));
        const auto& candidate = p(c, "version");
        const bool got = is_version_object(candidate) ? spec.contains(version_ok(version_text(candidate)))
                                                      : spec.contains_text(candidate.get<std::string>());
        EXPECT_EQ(got, p(c, "expected").get<bool>()) << candidate << " in " << str(c, "spec_str");
    }
}

TEST(SpecifierCorpus, DetectsPrereleaseMentions) {
    auto all = cases(corpus(), "test_specifier_prereleases_detection");
    ASSERT_EQ(all.size(), 14U);
    for (const auto& c : all) {
        EXPECT_EQ(spec_ok(str(c, "specifier")).mentions_prerelease(), p(c, "expected").get<bool>())
            << str(c, "specifier");
    }
}

TEST(SpecifierCorpus, PrereleasePolicyOfContains) {
    auto all = cases(corpus(), "test_specifiers_prereleases");
    ASSERT_EQ(all.size(), 58U);
    for (const auto& c : all) {
        auto spec = spec_ok(str(c, "specifier"));
        spec.set_prereleases(optional_bool(p(c, "spec_pre")));
        EXPECT_EQ(spec.contains(version_ok(str(c, "version")), optional_bool(p(c, "contains_pre"))),
                  p(c, "expected").get<bool>())
            << str(c, "version") << " in " << str(c, "specifier") << " spec_pre=" << p(c, "spec_pre")
            << " contains_pre=" << p(c, "contains_pre");
    }
}

TEST(SpecifierCorpus, FilterOfSpecifiersAndSets) {
    auto single = cases(corpus(), "test_specifier_filter", "TestSpecifier");
    auto sets = cases(corpus(), "test_specifier_filter", "TestSpecifierSet");
    auto arbitrary = cases(corpus(), "test_specifier_filter_arbitrary_equality_normalization");
    ASSERT_EQ(single.size(), 40U);
    ASSERT_EQ(sets.size(), 70U);
    ASSERT_EQ(arbitrary.size(), 8U);
    for (const auto& c : single) {
        auto spec = spec_ok(str(c, "specifier"));
        spec.set_prereleases(optional_bool(p(c, "specifier_prereleases")));
        const auto got = spec.filter_text(candidate_texts(p(c, "input")), optional_bool(p(c, "prereleases")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
    for (const auto& c : sets) {
        auto set = set_ok(str(c, "specifier"));
        set.set_prereleases(optional_bool(p(c, "specifier_prereleases")));
        const auto got = set.filter_text(candidate_texts(p(c, "input")), optional_bool(p(c, "prereleases")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
    for (const auto& c : arbitrary) {
        const auto got = spec_ok(str(c, "specifier")).filter_text(candidate_texts(p(c, "input")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
}

TEST(SpecifierCorpus, OperatorAndVersionProperties) {
    auto ops = cases(corpus(), "test_specifier_operator_property");
    auto versions = cases(corpus(), "test_specifier_version_property");
    ASSERT_EQ(ops.size(), 10U);
    ASSERT_EQ(versions.size(), 10U);
    for (const auto& c : ops) EXPECT_EQ(to_string(spec_ok(str(c, "spec")).op()), str(c, "op"));
    for (const auto& c : versions) EXPECT_EQ(spec_ok(str(c, "spec")).version_text(), str(c, "version"));
}

TEST(SpecifierCorpus, SetLengthAndIterationOrder) {
    auto lengths = cases(corpus(), "test_length");
    auto iteration = cases(corpus(), "test_iteration");
    ASSERT_EQ(lengths.size(), 5U);
    ASSERT_EQ(iteration.size(), 5U);
    for (const auto& c : lengths) {
        EXPECT_EQ(set_ok(str(c, "spec_str")).specifiers().size(), p(c, "expected_length").get<std::size_t>());
    }
    for (const auto& c : iteration) {
        std::vector<std::string> got;
        const auto set = set_ok(str(c, "spec_str"));
        for (const auto& s : set.specifiers()) got.push_back(s.to_string());
        EXPECT_EQ(got, p(c, "expected_items").get<std::vector<std::string>>()) << str(c, "spec_str");
    }
}

TEST(SpecifierCorpus, RepeatedEvaluationIsStable) {
    // packaging's cache tests: the answer does not depend on what was asked before.
    std::size_t checked = 0;
    for (const auto& [function, key] : std::vector<std::pair<std::string, std::string>>{
             {"test_spec_version_cache_consistency", "test_versions"},
             {"test_spec_version_cache_with_wildcards", "test_versions"},
             {"test_spec_version_cache_compatible_operator", "versions"}}) {
        for (const auto& c : cases(corpus(), function)) {
            const auto spec = spec_ok(str(c, "specifier"));
            for (const auto& text : p(c, key.c_str())) {
                const auto v = version_ok(text.get<std::string>());
                const bool first = spec.contains(v, true);
                EXPECT_EQ(spec.contains(v, true), first);
                EXPECT_EQ(spec_ok(str(c, "specifier")).contains(v, true), first);
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 12U * 4U + 2U * 7U + 13U);
    for (const auto& c : cases(corpus(), "test_spec_version_cache_with_arbitrary_equality")) {
        EXPECT_EQ(spec_ok(str(c, "specifier")).op(), Operator::arbitrary);
    }
}

TEST(SpecifierSetCorpus, EmptySetContainsEverything) {
    auto all = cases(corpus(), "test_empty_specifier");
    ASSERT_EQ(all.size(), 92U);
    const auto empty = set_ok("");
    for (const auto& c : all) EXPECT_TRUE(empty.contains(version_ok(str(c, "version")), true)) << str(c, "version");
}

TEST(SpecifierSetCorpus, EmptySetFilterKeepsArbitraryStringsInOrder) {
    auto strings = cases(corpus(), "test_empty_specifier_arbitrary_string");
    auto ordering = cases(corpus(), "test_empty_specifier_ordering_with_arbitrary");
    ASSERT_EQ(strings.size(), 9U);
    ASSERT_EQ(ordering.size(), 3U);
    const auto empty = set_ok("");
    for (const auto& c : strings) {
        const auto got = empty.filter_text(candidate_texts(p(c, "versions")), optional_bool(p(c, "prereleases")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
    for (const auto& c : ordering) {
        const auto got = empty.filter_text(candidate_texts(p(c, "versions")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
}

TEST(SpecifierSetCorpus, ConfiguredPrereleasesOfSets) {
    auto all = cases(corpus(), "test_specifier_prereleases_explicit");
    ASSERT_EQ(all.size(), 25U);
    for (const auto& c : all) {
        auto set = set_ok(str(c, "spec_str"));
        set.set_prereleases(optional_bool(p(c, "initial_prereleases")));
        const auto v = version_ok(str(c, "version"));
        EXPECT_EQ(set.contains(v), p(c, "initial_contains").get<bool>()) << c["nodeid"];
        set.set_prereleases(optional_bool(p(c, "set_prereleases")));
        EXPECT_EQ(set.contains(v), p(c, "final_contains").get<bool>()) << c["nodeid"];
    }
}

TEST(SpecifierSetCorpus, InstalledPrereleasesAreAccepted) {
    auto all = cases(corpus(), "test_specifier_contains_installed_prereleases");
    ASSERT_EQ(all.size(), 41U);
    for (const auto& c : all) {
        auto set = set_ok(str(c, "specifier"));
        set.set_prereleases(optional_bool(p(c, "spec_prereleases")));
        auto policy = optional_bool(p(c, "contains_prereleases"));
        if (p(c, "installed").get<bool>()) policy = true;
        EXPECT_EQ(set.contains(version_ok(str(c, "version")), policy), p(c, "expected").get<bool>()) << c["nodeid"];
    }
}

TEST(SpecifierSetCorpus, ExclusionaryBridges) {
    auto contains = cases(corpus(), "test_contains_exclusionary_bridges");
    auto filter = cases(corpus(), "test_filter_exclusionary_bridges");
    ASSERT_EQ(contains.size(), 101U);
    ASSERT_EQ(filter.size(), 32U);
    for (const auto& c : contains) {
        EXPECT_EQ(
            set_ok(str(c, "specifier")).contains(version_ok(str(c, "version")), optional_bool(p(c, "prereleases"))),
            p(c, "expected").get<bool>())
            << c["nodeid"];
    }
    for (const auto& c : filter) {
        const auto got =
            set_ok(str(c, "specifier")).filter_text(candidate_texts(p(c, "input")), optional_bool(p(c, "prereleases")));
        EXPECT_EQ(got, candidate_texts(p(c, "expected"))) << c["nodeid"] << " got " << describe(got);
    }
}

TEST(SpecifierSetCorpus, ContainsOfTextCandidates) {
    std::size_t checked = 0;
    for (const auto& [function, spec_key] : std::vector<std::pair<std::string, std::string>>{
             {"test_contains_post_release_boundary_intersection", "spec_str"},
             {"test_contains_arbitrary_equality_contains", "specifier"},
             {"test_contains_arbitrary_equality_normalization", "spec_str"},
             {"test_comparison_ignores_local", "specifier"},
             {"test_boundary_closure_short_release", "spec_str"}}) {
        for (const auto& c : cases(corpus(), function)) {
            const auto set = set_ok(str(c, spec_key.c_str()));
            const auto& candidate = c["params"].contains("version") ? p(c, "version") : p(c, "version_str");
            const bool got = is_version_object(candidate) ? set.contains(version_ok(version_text(candidate)))
                                                          : set.contains_text(candidate.get<std::string>());
            EXPECT_EQ(got, p(c, "expected").get<bool>()) << c["nodeid"];
            ++checked;
        }
    }
    EXPECT_EQ(checked, 6U + 19U + 17U + 6U + 3U);
    for (const auto& c : cases(corpus(), "test_contains_rejects_invalid_specifier")) {
        EXPECT_FALSE(set_ok(str(c, "specifier")).contains_text(str(c, "input")));
    }
}

TEST(SpecifierSetCorpus, OversizedVersionsAreRejectedWhenParsing) {
    auto all = cases(corpus(), "test_contains_oversized_version_raises_valueerror");
    ASSERT_EQ(all.size(), 2U);
    for (const auto& c : all) EXPECT_FALSE(SpecifierSet::parse(str(c, "specifier")).has_value());
}

TEST(SpecifierSetCorpus, CombiningSetsIntersects) {
    auto combine = cases(corpus(), "test_specifiers_combine");
    auto preserving = cases(corpus(), "test_arbitrary_equality_is_intersection_preserving");
    ASSERT_EQ(combine.size(), 1U);
    ASSERT_EQ(preserving.size(), 8U);
    for (const auto& c : combine) {
        auto left = set_ok(str(c, "left"));
        left.add(set_ok(str(c, "right")));
        EXPECT_EQ(left, set_ok(str(c, "expected"))) << left.to_string();
    }
    for (const auto& c : preserving) {
        const auto a = set_ok(str(c, "spec1"));
        const auto b = set_ok(str(c, "spec2"));
        auto both = a;
        both.add(b);
        for (const auto& text : p(c, "input_versions")) {
            const auto t = text.get<std::string>();
            EXPECT_EQ(both.contains_text(t), a.contains_text(t) && b.contains_text(t)) << c["nodeid"] << " " << t;
        }
    }
}

// Hand-written cases for the parameterless packaging tests and for our own additions.

TEST(Specifier, CompatibleOperatorKeepsTrailingZerosForEquality) {
    EXPECT_NE(spec_ok("~=2.0"), spec_ok("~=2.0.0"));
    EXPECT_NE(spec_ok("===1.0"), spec_ok("===1.0.0"));  // arbitrary equality compares text
    EXPECT_EQ(spec_ok("===1.0A1"), spec_ok("=== 1.0a1"));
    EXPECT_EQ(spec_ok("==2.0"), spec_ok("==2.0.0"));
    EXPECT_EQ(spec_ok(">=1.0.POST1"), spec_ok(">=1.0post1"));
}

TEST(Specifier, CompatibleUsesTheReleaseWithoutItsLastNumber) {
    const auto spec = spec_ok("~=1.4.5a4");
    EXPECT_TRUE(spec.contains(version_ok("1.4.5"), true));
    EXPECT_TRUE(spec.contains(version_ok("1.4.99"), true));
    EXPECT_FALSE(spec.contains(version_ok("1.5"), true));
    EXPECT_FALSE(spec.contains(version_ok("1.4.5a3"), true));
    EXPECT_TRUE(spec_ok("~=1!2.0").contains(version_ok("1!2.9")));
    EXPECT_FALSE(spec_ok("~=1!2.0").contains(version_ok("2.9")));
    EXPECT_TRUE(spec_ok("~=2.2.post3").contains(version_ok("2.9")));
    EXPECT_FALSE(spec_ok("~=2.2.post3").contains(version_ok("2.2.post2")));
}

TEST(Specifier, WildcardPadsTheCandidateRelease) {
    EXPECT_TRUE(spec_ok("==1.0.*").contains(version_ok("1")));
    EXPECT_TRUE(spec_ok("==1.0.0.*").contains(version_ok("1.0")));
    EXPECT_TRUE(spec_ok("==1.0.*").contains(version_ok("1.0.5+local")));
    EXPECT_FALSE(spec_ok("==1.0.*").contains(version_ok("1.1")));
    EXPECT_TRUE(spec_ok("!=1.0.*").contains(version_ok("1.1")));
    EXPECT_FALSE(spec_ok("==1.0.*").contains(version_ok("1!1.0")));
}

TEST(Specifier, LocalLabelsOnlyMatterWhenTheSpecifierHasOne) {
    EXPECT_TRUE(spec_ok("==1.0").contains(version_ok("1.0+abc")));
    EXPECT_TRUE(spec_ok("==1.0+abc").contains(version_ok("1.0.0+ABC")));
    EXPECT_FALSE(spec_ok("==1.0+abc").contains(version_ok("1.0")));
    EXPECT_FALSE(spec_ok("==1.0+abc").contains(version_ok("1.0+abd")));
    EXPECT_TRUE(spec_ok("<=1.0").contains(version_ok("1.0+abc")));
    EXPECT_FALSE(spec_ok("<1.0").contains(version_ok("1.0+abc")));
}

TEST(Specifier, ErrorsCarryTheColumnOfTheProblem) {
    const std::vector<std::pair<std::string, int>> bad{
        {">=1.0+local", 6}, {"~=1", 3},    {"<1.0.*", 5}, {"==1.0a1.*", 8}, {"  >=  1.x", 8},
        {"=>1.0", 1},       {"===a b", 5}, {"==", 3},     {">=1.0 ,", 6},
    };
    for (const auto& [text, column] : bad) {
        auto s = Specifier::parse(text);
        ASSERT_FALSE(s.has_value()) << text;
        EXPECT_EQ(s.error().location.column, column) << text << ": " << s.error().to_string();
    }
    auto set = SpecifierSet::parse(">=1.0, <2.0, ~=3");
    ASSERT_FALSE(set.has_value());
    EXPECT_EQ(set.error().location.column, 16) << set.error().to_string();
}

TEST(SpecifierSet, ParsesClausesSkippingEmptyOnesAndDuplicates) {
    const auto set = set_ok(" >=1.0 ,, <2.0, ==1.5.0,==1.5 ,");
    ASSERT_EQ(set.specifiers().size(), 3U);
    EXPECT_EQ(set.to_string(), "<2.0,==1.5.0,>=1.0");
    EXPECT_TRUE(set_ok("").empty());
    EXPECT_TRUE(set_ok(" , ").empty());
    EXPECT_EQ(set_ok("===").to_string(), "===");  // packaging accepts an empty arbitrary version
}

TEST(SpecifierSet, FilterOfVersionObjectsFollowsThePolicy) {
    const auto set = set_ok(">=1.0");
    const std::vector<Version> only_pre{version_ok("2.0a1"), version_ok("0.9")};
    EXPECT_EQ(set.filter(only_pre).size(), 1U);  // no final matched: the prerelease is kept
    EXPECT_TRUE(set.filter(only_pre, false).empty());
    const std::vector<Version> mixed{version_ok("2.0a1"), version_ok("1.5")};
    ASSERT_EQ(set.filter(mixed).size(), 1U);
    EXPECT_EQ(set.filter(mixed)[0].to_string(), "1.5");
    EXPECT_EQ(set.filter(mixed, true).size(), 2U);
    EXPECT_EQ(spec_ok(">=1.0").filter(mixed).size(), 1U);
}

}  // namespace
}  // namespace wheelhouse::pep440
