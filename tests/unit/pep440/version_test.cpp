// Version tests, data-driven from pypa/packaging's tests/test_version.py parameters.
//
// Functions of that file that do not apply to a C++ API and are skipped on purpose:
//   test_non_string_versions_raise_invalid_version (non-str Python objects), test_version_hash*,
//   test_base_version_hash, test_trimmed_release_hash_* (Python hashing), test_pickle_* (pickle),
//   test_match_args (pattern matching), test_replace_* and test_from_parts_rejects_non_str_pre_letter
//   (Version.__replace__ / Python types), test_dunder_op_returns_notimplemented, test_compare_other,
//   test_base_version_notimplemented_with_non_base_version, test_base_version_ne_with_base_version,
//   test_version_compare_with_base_version_subclass, test_gt_with_cached_other,
//   test_version_*_with_uncached_keys (Python comparison protocol and key caching),
//   test_major/minor/micro_version (properties not in our API), test_deprecated__version,
//   test_hatchling_usage__version, test_structures_shim_repr (private modules), test_parse,
//   test_parse_raises (packaging.version.parse is Version.parse here, covered by the valid/invalid cases).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus.hpp"
#include "wheelhouse/pep440/version.hpp"

namespace wheelhouse::pep440 {
namespace {

using testing::cases;
using testing::json;
using testing::load_corpus;

auto corpus() -> const json& {
    static const json data = load_corpus("test_version.params.json");
    return data;
}

auto parse_ok(const std::string& text) -> Version {
    auto v = Version::parse(text);
    if (!v) ADD_FAILURE() << "expected '" << text << "' to parse: " << v.error().to_string();
    return v ? *v : Version{};
}

TEST(VersionCorpus, AcceptsEveryValidVersion) {
    auto all = cases(corpus(), "test_valid_versions");
    ASSERT_EQ(all.size(), 92U);
    for (const auto& c : all) {
        const auto text = c["params"]["version"].get<std::string>();
        auto v = Version::parse(text);
        EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().to_string());
    }
}

TEST(VersionCorpus, RejectsEveryInvalidVersionWithAColumn) {
    auto all = cases(corpus(), "test_invalid_versions");
    ASSERT_EQ(all.size(), 20U);
    for (const auto& c : all) {
        const auto text = c["params"]["version"].get<std::string>();
        auto v = Version::parse(text);
        ASSERT_FALSE(v.has_value()) << "'" << text << "' parsed as " << v->to_string();
        EXPECT_EQ(v.error().code, ErrorCode::invalid_input);
        EXPECT_GE(v.error().location.column, 1) << text;
    }
}

TEST(VersionCorpus, RejectsOversizedNumbersInsteadOfOverflowing) {
    auto all = cases(corpus(), "test_oversized_version_raises_valueerror");
    ASSERT_EQ(all.size(), 2U);
    for (const auto& c : all) {
        const auto text = c["params"]["version"].get<std::string>();
        auto v = Version::parse(text);
        ASSERT_FALSE(v.has_value()) << text.substr(0, 40);
        EXPECT_NE(v.error().message.find("64 bits"), std::string::npos) << v.error().message;
    }
}

TEST(VersionCorpus, NormalisesEverySpelling) {
    auto all = cases(corpus(), "test_normalized_versions");
    ASSERT_EQ(all.size(), 102U);
    for (const auto& c : all) {
        const auto text = c["params"]["version"].get<std::string>();
        EXPECT_EQ(parse_ok(text).to_string(), c["params"]["normalized"].get<std::string>()) << text;
    }
}

TEST(VersionCorpus, StrIsTheNormalisedForm) {
    auto all = cases(corpus(), "test_version_str_repr");
    ASSERT_EQ(all.size(), 47U);
    for (const auto& c : all) {
        const auto text = c["params"]["version"].get<std::string>();
        EXPECT_EQ(parse_ok(text).to_string(), c["params"]["expected"].get<std::string>()) << text;
    }
}

TEST(VersionCorpus, PublicAndBaseVersion) {
    auto pub = cases(corpus(), "test_version_public");
    auto base = cases(corpus(), "test_version_base_version");
    ASSERT_EQ(pub.size(), 29U);
    ASSERT_EQ(base.size(), 29U);
    for (const auto& c : pub) {
        const auto text = c["params"]["version"].get<std::string>();
        EXPECT_EQ(parse_ok(text).public_version(), c["params"]["public"].get<std::string>()) << text;
    }
    for (const auto& c : base) {
        const auto text = c["params"]["version"].get<std::string>();
        EXPECT_EQ(parse_ok(text).base_version(), c["params"]["base_version"].get<std::string>()) << text;
    }
}

auto local_as_text(const Version& v) -> std::string {
    std::string out;
    for (std::size_t i = 0; i < v.local().size(); ++i) {
        if (i > 0) out += '.';
        if (const auto* n = std::get_if<std::uint64_t>(&v.local()[i])) {
            out += std::to_string(*n);
        } else {
            out += std::get<std::string>(v.local()[i]);
        }
    }
    return out;
}

auto pre_letter(PreKind kind) -> std::string {
    switch (kind) {
        case PreKind::alpha: return "a";
        case PreKind::beta: return "b";
        case PreKind::rc: return "rc";
    }
    return "?";
}

TEST(VersionCorpus, ComponentAccessors) {
    std::size_t checked = 0;
    for (const auto& c : cases(corpus(), "test_version_epoch")) {
        EXPECT_EQ(parse_ok(c["params"]["version"]).epoch(), c["params"]["epoch"].get<std::uint64_t>());
        ++checked;
    }
    for (const auto& c : cases(corpus(), "test_version_release")) {
        EXPECT_EQ(parse_ok(c["params"]["version"]).release(), c["params"]["release"].get<std::vector<std::uint64_t>>())
            << c["params"]["version"];
        ++checked;
    }
    for (const auto& c : cases(corpus(), "test_version_local")) {
        const auto v = parse_ok(c["params"]["version"]);
        const auto& expected = c["params"]["local"];
        if (expected.is_null()) {
            EXPECT_FALSE(v.has_local()) << c["params"]["version"];
        } else {
            EXPECT_EQ(local_as_text(v), expected.get<std::string>()) << c["params"]["version"];
        }
        ++checked;
    }
    for (const auto& c : cases(corpus(), "test_version_pre")) {
        const auto v = parse_ok(c["params"]["version"]);
        const auto& expected = c["params"]["pre"];
        if (expected.is_null()) {
            EXPECT_FALSE(v.pre().has_value()) << c["params"]["version"];
        } else {
            ASSERT_TRUE(v.pre().has_value()) << c["params"]["version"];
            EXPECT_EQ(pre_letter(v.pre()->kind), expected[0].get<std::string>()) << c["params"]["version"];
            EXPECT_EQ(v.pre()->number, expected[1].get<std::uint64_t>()) << c["params"]["version"];
        }
        ++checked;
    }
    for (const auto& name : {"dev", "post"}) {
        for (const auto& c : cases(corpus(), std::string("test_version_") + name)) {
            const auto v = parse_ok(c["params"]["version"]);
            const auto& got = std::string(name) == "dev" ? v.dev() : v.post();
            const auto& expected = c["params"][name];
            if (expected.is_null()) {
                EXPECT_FALSE(got.has_value()) << c["params"]["version"];
            } else {
                EXPECT_EQ(got, std::optional<std::uint64_t>(expected.get<std::uint64_t>())) << c["params"]["version"];
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, 29U * 6U);
}

TEST(VersionCorpus, ReleaseKindPredicates) {
    std::size_t checked = 0;
    for (const auto& [function, predicate] : std::vector<std::pair<std::string, bool (Version::*)() const>>{
             {"test_version_is_prerelease", &Version::is_prerelease},
             {"test_version_is_devrelease", &Version::is_devrelease},
             {"test_version_is_postrelease", &Version::is_postrelease}}) {
        for (const auto& c : cases(corpus(), function)) {
            const auto v = parse_ok(c["params"]["version"]);
            EXPECT_EQ((v.*predicate)(), c["params"]["expected"].get<bool>())
                << function << " " << c["params"]["version"];
            ++checked;
        }
    }
    EXPECT_EQ(checked, 22U + 29U + 5U);
}

auto pre_kind_from_letter(std::string letter) -> PreKind {
    for (auto& ch : letter) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (letter == "a" || letter == "alpha") return PreKind::alpha;
    if (letter == "b" || letter == "beta") return PreKind::beta;
    return PreKind::rc;  // c, rc, pre, preview
}

TEST(VersionCorpus, ConstructionFromPartsEqualsParsing) {
    auto all = cases(corpus(), "test_from_parts");
    ASSERT_EQ(all.size(), 10U);
    for (const auto& c : all) {
        const auto& args = c["params"]["args"];
        auto get_u64 = [&](const char* key) -> std::optional<std::uint64_t> {
            if (!args.contains(key) || args[key].is_null()) return std::nullopt;
            return args[key].get<std::uint64_t>();
        };
        std::optional<Pre> pre;
        if (args.contains("pre") && !args["pre"].is_null()) {
            pre = Pre{pre_kind_from_letter(args["pre"][0].get<std::string>()), args["pre"][1].get<std::uint64_t>()};
        }
        std::vector<LocalPart> local;
        if (args.contains("local") && !args["local"].is_null()) {
            local = parse_ok("0+" + args["local"].get<std::string>()).local();
        }
        const Version built(get_u64("epoch").value_or(0), args["release"].get<std::vector<std::uint64_t>>(), pre,
                            get_u64("post"), get_u64("dev"), local);
        const auto expected = parse_ok(c["params"]["string"]);
        EXPECT_EQ(built, expected) << c["params"]["string"];
        EXPECT_EQ(built.to_string(), expected.to_string());
    }
}

TEST(VersionOrdering, AllSortedCorpusPairsCompareByPosition) {
    const auto sorted = load_corpus("VERSIONS_sorted.json").get<std::vector<std::string>>();
    ASSERT_EQ(sorted.size(), 92U);
    std::vector<Version> versions;
    for (const auto& s : sorted) versions.push_back(parse_ok(s));
    std::size_t pairs = 0;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        for (std::size_t j = 0; j < versions.size(); ++j) {
            const auto& a = versions[i];
            const auto& b = versions[j];
            const int expected = i < j ? -1 : (i > j ? 1 : 0);
            EXPECT_EQ(Version::compare(a, b), expected) << sorted[i] << " vs " << sorted[j];
            EXPECT_EQ(a < b, i < j) << sorted[i] << " < " << sorted[j];
            EXPECT_EQ(a <= b, i <= j);
            EXPECT_EQ(a == b, i == j);
            EXPECT_EQ(a != b, i != j);
            EXPECT_EQ(a >= b, i >= j);
            EXPECT_EQ(a > b, i > j);
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, 92U * 92U);
}

TEST(VersionOrdering, RcAndCAreTheSameRelease) {
    EXPECT_EQ(parse_ok("1.0rc1"), parse_ok("1.0c1"));
    EXPECT_EQ(parse_ok("1.0c1").to_string(), "1.0rc1");
}

TEST(VersionOrdering, TrailingZerosDoNotMatterButLocalDoes) {
    EXPECT_EQ(parse_ok("1.0"), parse_ok("1.0.0.0"));
    EXPECT_EQ(parse_ok("1!0"), parse_ok("1!0.0"));
    EXPECT_LT(parse_ok("1.0"), parse_ok("1.0+0"));
    EXPECT_LT(parse_ok("1.0+abc"), parse_ok("1.0+0"));  // numeric local segments sort after strings
    EXPECT_LT(parse_ok("1.0+1"), parse_ok("1.0+1.a"));
    EXPECT_EQ(Version::compare(parse_ok("1.0+abc"), parse_ok("1.0+xyz"), true), 0);
    EXPECT_LT(parse_ok("1.0.dev5"), parse_ok("1.0a0"));
    EXPECT_LT(parse_ok("1.0a1.post1.dev1"), parse_ok("1.0a1.post1"));
    EXPECT_LT(parse_ok("1.0.post1.dev1"), parse_ok("1.0.post1"));
    EXPECT_GT(parse_ok("1.0.post1.dev1"), parse_ok("1.0"));
}

TEST(VersionParse, AcceptsTheGrammarsOddCorners) {
    const std::vector<std::pair<std::string, std::string>> spellings{
        {"1.0a.", "1.0a0"},
        {"1.0a-", "1.0a0"},
        {"1.0a.-1", "1.0a0.post1"},
        {"1.0a.post1", "1.0a0.post1"},
        {"1.0a.+Local", "1.0a0+local"},
        {"1.0-r1", "1.0.post1"},
        {"1.0_rev_2", "1.0.post2"},
        {"V1!2.0PREVIEW3", "1!2.0rc3"},
        {"\u00a01.0\u3000", "1.0"},
        {" \t1.0-1\n", "1.0.post1"},
        {"1.0+01.a-B_c", "1.0+1.a.b.c"},
        {"18446744073709551615", "18446744073709551615"},
        {"1.0.dev", "1.0.dev0"},
        {"1.0a1rev", "1.0a1.post0"},
    };
    for (const auto& [text, normal] : spellings) EXPECT_EQ(parse_ok(text).to_string(), normal) << text;
}

TEST(VersionParse, RejectsNearMissesAtTheRightColumn) {
    const std::vector<std::pair<std::string, int>> bad{
        {"", 1},        {"v", 2},          {"1.0-", 4},           {"1.0+", 5},      {"1!", 3},
        {"1.0a1rc", 7}, {"1.0+a..b", 7},   {"1.0 .post1", 4},     {"1.0\u00e9", 4}, {"18446744073709551616", 1},
        {"1.*", 2},     {"1.0+\u0130", 5}, {"1.0.dev1.post1", 9}, {"1!2!3", 4},
    };
    for (const auto& [text, column] : bad) {
        auto v = Version::parse(text);
        ASSERT_FALSE(v.has_value()) << text << " parsed as " << v->to_string();
        EXPECT_EQ(v.error().location.column, column) << text << ": " << v.error().to_string();
    }
}

TEST(VersionParse, RoundTripsThroughItsString) {
    for (const auto& s : load_corpus("VERSIONS_sorted.json").get<std::vector<std::string>>()) {
        const auto v = parse_ok(s);
        const auto again = parse_ok(v.to_string());
        EXPECT_EQ(again, v);
        EXPECT_EQ(again.to_string(), v.to_string());
        EXPECT_EQ(v.without_local().to_string(), v.public_version());
    }
}

}  // namespace
}  // namespace wheelhouse::pep440
