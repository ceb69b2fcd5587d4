#include <gtest/gtest.h>

#include <set>

#include "corpus.hpp"
#include "wheelhouse/tags/filename.hpp"

namespace wheelhouse::tags {
namespace {

using testing::cases_of;
using testing::load_corpus;

auto tag_strings(const TagSet& set) -> std::set<std::string> {
    std::set<std::string> out;
    for (const auto& tag : set.expand()) out.insert(tag.to_string());
    return out;
}

TEST(WheelFilenameCorpus, ParsesValidNamesLikePackaging) {
    auto corpus = load_corpus("test_utils.params.json");
    auto cases = cases_of(corpus, "test_parse_wheel_filename");
    ASSERT_EQ(cases.size(), 8U);
    for (const auto& c : cases) {
        const auto& p = c.at("params");
        auto filename = p.at("filename").get<std::string>();
        auto parsed = WheelFilename::parse(filename);
        ASSERT_TRUE(parsed) << filename << ": " << parsed.error().to_string();
        EXPECT_EQ(parsed->name(), p.at("name").get<std::string>()) << filename;
        EXPECT_EQ(parsed->version(), *pep440::Version::parse(p.at("version").at("str").get<std::string>())) << filename;
        const auto& build = p.at("build");
        if (build.empty()) {
            EXPECT_FALSE(parsed->build().has_value()) << filename;
        } else {
            ASSERT_TRUE(parsed->build().has_value()) << filename;
            EXPECT_EQ(parsed->build()->number, std::to_string(build.at(0).get<long long>())) << filename;
            EXPECT_EQ(parsed->build()->suffix, build.at(1).get<std::string>()) << filename;
        }
        std::set<std::string> expected;
        for (const auto& tag : p.at("tags")) expected.insert(tag.at("str").get<std::string>());
        EXPECT_EQ(tag_strings(parsed->tags()), expected) << filename;
    }
}

TEST(WheelFilenameCorpus, RejectsInvalidNamesLikePackaging) {
    auto corpus = load_corpus("test_utils.params.json");
    auto cases = cases_of(corpus, "test_parse_wheel_invalid_filename");
    ASSERT_EQ(cases.size(), 14U);
    for (const auto& c : cases) {
        auto filename = c.at("params").at("filename").get<std::string>();
        auto parsed = WheelFilename::parse(filename);
        EXPECT_FALSE(parsed) << "accepted " << filename;
        if (!parsed) {
            EXPECT_GT(parsed.error().location.column, 0) << filename;
            EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
        }
    }
}

TEST(WheelFilenameCorpus, UnsortedCompressedTagsOnlyFailWhenOrderIsValidated) {
    auto corpus = load_corpus("test_utils.params.json");
    auto valid = cases_of(corpus, "test_parse_wheel_unsorted_tags_valid_by_default");
    auto invalid = cases_of(corpus, "test_parse_wheel_unsorted_tags_invalid_with_validate");
    ASSERT_EQ(valid.size(), 2U);
    ASSERT_EQ(invalid.size(), 2U);
    for (const auto& c : valid) {
        auto filename = c.at("params").at("filename").get<std::string>();
        EXPECT_TRUE(WheelFilename::parse(filename)) << filename;
    }
    for (const auto& c : invalid) {
        auto filename = c.at("params").at("filename").get<std::string>();
        EXPECT_FALSE(WheelFilename::parse(filename, WheelParseOptions{true})) << filename;
    }
}

TEST(SdistFilenameCorpus, ParsesAndRejectsLikePackaging) {
    auto corpus = load_corpus("test_utils.params.json");
    auto valid = cases_of(corpus, "test_parse_sdist_filename");
    auto invalid = cases_of(corpus, "test_parse_sdist_invalid_filename");
    ASSERT_EQ(valid.size(), 2U);
    ASSERT_EQ(invalid.size(), 5U);
    for (const auto& c : valid) {
        const auto& p = c.at("params");
        auto filename = p.at("filename").get<std::string>();
        auto parsed = SdistFilename::parse(filename);
        ASSERT_TRUE(parsed) << filename << ": " << parsed.error().to_string();
        EXPECT_EQ(parsed->name, p.at("name").get<std::string>());
        EXPECT_EQ(parsed->version, *pep440::Version::parse(p.at("version").at("str").get<std::string>()));
    }
    for (const auto& c : invalid) {
        auto filename = c.at("params").at("filename").get<std::string>();
        EXPECT_FALSE(SdistFilename::parse(filename)) << "accepted " << filename;
    }
}

TEST(WheelFilename, ErrorsPointAtTheOffendingPart) {
    auto bad_version = WheelFilename::parse("foo-1.x-py3-none-any.whl");
    ASSERT_FALSE(bad_version);
    EXPECT_GE(bad_version.error().location.column, 5);
    EXPECT_LE(bad_version.error().location.column, 7);
    EXPECT_EQ(bad_version.error().context, "foo-1.x-py3-none-any.whl");

    auto bad_build = WheelFilename::parse("foo-1.0-abc-py3-none-any.whl");
    ASSERT_FALSE(bad_build);
    EXPECT_EQ(bad_build.error().location.column, 9);
    EXPECT_NE(bad_build.error().message.find("build tag"), std::string::npos);

    auto bad_name = WheelFilename::parse("foo#bar-1.0-py3-none-any.whl");
    ASSERT_FALSE(bad_name);
    EXPECT_EQ(bad_name.error().location.column, 4);

    auto empty_platform = WheelFilename::parse("foo-1.0-py3-none-.whl");
    ASSERT_FALSE(empty_platform);
    EXPECT_EQ(empty_platform.error().location.column, 18);

    auto bad_interpreter = WheelFilename::parse("foo-1.0-py3.2-none-any.whl");
    ASSERT_FALSE(bad_interpreter);
    EXPECT_EQ(bad_interpreter.error().location.column, 13);
}

TEST(WheelFilename, SplitsBuildTagIntoNumberAndSuffixAndOrdersNumerically) {
    auto a = WheelFilename::parse("foo-1.0-0042abc-py3-none-any.whl");
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->build());
    EXPECT_EQ(a->build()->number, "42");
    EXPECT_EQ(a->build()->suffix, "abc");
    EXPECT_LT((BuildTag{"9", ""}), (BuildTag{"10", ""}));
    EXPECT_LT((BuildTag{"10", ""}), (BuildTag{"10", "a"}));
    EXPECT_EQ((BuildTag{"123456789012345678901234567890", "x"}), (BuildTag{"123456789012345678901234567890", "x"}));
    auto huge = WheelFilename::parse("foo-1.0-123456789012345678901234567890-py3-none-any.whl");
    ASSERT_TRUE(huge);
    EXPECT_EQ(huge->build()->number, "123456789012345678901234567890");
}

TEST(WheelFilename, RoundTripsThroughToString) {
    for (const char* name : {"Foo_Bar-1.0.0rc1-py2.py3-none-any.whl",
                             "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                             "pkg-2!1.0.post1.dev2+local.7-12x-CP311-ABI3-LINUX_X86_64.whl"}) {
        auto first = WheelFilename::parse(name);
        ASSERT_TRUE(first) << name;
        auto again = WheelFilename::parse(first->to_string());
        ASSERT_TRUE(again) << first->to_string();
        EXPECT_EQ(*first, *again) << name;
    }
    auto upper = WheelFilename::parse("pkg-1.0-CP311-ABI3-LINUX_X86_64.whl");
    ASSERT_TRUE(upper);
    EXPECT_EQ(upper->to_string(), "pkg-1.0-cp311-abi3-linux_x86_64.whl");
}

TEST(WheelFilename, NormalisesNamesAndRefusesControlCharacters) {
    EXPECT_EQ(normalize_name("Foo.__Bar-baz"), "foo-bar-baz");
    EXPECT_EQ(WheelFilename::parse("Foo.Bar-1.0-py3-none-any.whl")->name(), "foo-bar");
    EXPECT_FALSE(WheelFilename::parse("foo-1.0-py3-none-any\n.whl"));
    EXPECT_FALSE(WheelFilename::parse("foo\x7f-1.0-py3-none-any.whl"));
    EXPECT_FALSE(WheelFilename::parse("foo\xff-1.0-py3-none-any.whl"));  // not UTF-8
    EXPECT_FALSE(WheelFilename::parse("foo-1.0-py3-none-any.WHL"));
}

TEST(WheelFilename, RefusesPathSeparatorsAndNulInEveryPart) {
    using namespace std::string_literals;
    // Each part that is otherwise free text: the build tag's suffix, the ABI and the platform tags.
    for (const std::string& name :
         {"foo-1.0-1a/..-py3-none-any.whl"s, "foo-1.0-py3-none-..\\..\\evil.whl"s, "foo-1.0-py3-a/b-any.whl"s,
          "foo-1.0-py3-none-linux/../../x.whl"s, "foo-1.0-1\\x-py3-none-any.whl"s, "foo-1.0-py3-none-an\0y.whl"s}) {
        auto parsed = WheelFilename::parse(name);
        EXPECT_FALSE(parsed) << name;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input) << name;
        }
    }
    auto slash = WheelFilename::parse("foo-1.0-py3-none-linux/x.whl");
    ASSERT_FALSE(slash);
    EXPECT_NE(slash.error().message.find("path separator"), std::string::npos) << slash.error().message;
    EXPECT_EQ(slash.error().location.column, 23);
    EXPECT_FALSE(SdistFilename::parse("../../foo-1.0.tar.gz"));
    EXPECT_FALSE(SdistFilename::parse("..\\foo-1.0.zip"));
    EXPECT_FALSE(SdistFilename::parse("foo\0-1.0.zip"s));
}

TEST(WheelFilename, RefusesHugeCompressedTagSets) {
    std::string platforms;
    for (int i = 0; i < 70; ++i) platforms += (i ? "." : "") + std::string("p") + std::to_string(i);
    std::string interpreters;
    for (int i = 0; i < 70; ++i) interpreters += (i ? "." : "") + std::string("py") + std::to_string(i);
    EXPECT_FALSE(WheelFilename::parse("foo-1.0-" + interpreters + "-none-" + platforms + ".whl"));
    EXPECT_TRUE(WheelFilename::parse("foo-1.0-py3-none-" + platforms + ".whl"));
}

TEST(SdistFilename, SplitsOnTheLastDashAndKnowsTheFormat) {
    auto parsed = SdistFilename::parse("apache-airflow-providers-amazon-8.0.0.tar.gz");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->name, "apache-airflow-providers-amazon");
    EXPECT_EQ(parsed->version.to_string(), "8.0.0");
    EXPECT_EQ(parsed->format, SdistFormat::tar_gz);
    auto zip = SdistFilename::parse("Foo_Bar-2.0.zip");
    ASSERT_TRUE(zip);
    EXPECT_EQ(zip->name, "foo-bar");
    EXPECT_EQ(zip->format, SdistFormat::zip);
    EXPECT_TRUE(is_sdist_filename("a-1.tar.gz"));
    EXPECT_FALSE(is_sdist_filename("a-1.tar.bz2"));
    EXPECT_TRUE(is_wheel_filename("a-1-py3-none-any.whl"));
}

}  // namespace
}  // namespace wheelhouse::tags
