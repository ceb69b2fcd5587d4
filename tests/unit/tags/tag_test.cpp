#include <gtest/gtest.h>

#include <map>
#include <unordered_set>

#include "corpus.hpp"
#include "wheelhouse/tags/tag.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

using testing::cases_of;
using testing::load_corpus;

// How each test function of pypa/packaging's tests/test_tags.py is covered here. "data": its
// parameters drive a test in this folder. "own": the behaviour has a test of ours (named in the
// comment). "skip": it tests something a Linux CPython target generator does not have.
enum class Coverage { data, own, skip };

const std::map<std::string, std::pair<Coverage, const char*>>& coverage() {
    static const std::map<std::string, std::pair<Coverage, const char*>> table = {
        // Tag and parse_tag.
        {"test_lowercasing", {Coverage::own, "Tag.LowerCasesItsParts"}},
        {"test_equality", {Coverage::own, "Tag.ComparesAndHashesByValue"}},
        {"test_equality_fails_with_non_tag", {Coverage::skip, "Python dynamic typing"}},
        {"test_hashing", {Coverage::own, "Tag.ComparesAndHashesByValue"}},
        {"test_hash_equality", {Coverage::own, "Tag.ComparesAndHashesByValue"}},
        {"test_str", {Coverage::own, "Tag.ComparesAndHashesByValue"}},
        {"test_repr", {Coverage::skip, "Python repr"}},
        {"test_attribute_access", {Coverage::skip, "Python attributes"}},
        {"test_simple", {Coverage::own, "ParseTag.ExpandsCompressedSets"}},
        {"test_multi_interpreter", {Coverage::own, "ParseTag.ExpandsCompressedSets"}},
        {"test_multi_platform", {Coverage::own, "ParseTag.ExpandsCompressedSets"}},
        {"test_limit_allows_exact_number_of_tags", {Coverage::own, "ParseTag.RefusesMoreThanTheLimit"}},
        {"test_limit_raises_when_exceeded", {Coverage::own, "ParseTag.RefusesMoreThanTheLimit"}},
        {"test_limit_counts_cartesian_product_entries", {Coverage::own, "ParseTag.RefusesMoreThanTheLimit"}},
        {"test_limit_rejects_negative_value", {Coverage::skip, "the limit is a fixed constant here"}},
        {"test_limit_can_be_combined_with_validate_order", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_unsorted_interpreter_parses_by_default", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_unsorted_interpreter_raises_with_validate", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_unsorted_platform_parses_by_default", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_unsorted_platform_raises_with_validate", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_sorted_multi_interpreter_valid", {Coverage::own, "ParseTag.ValidatesOrderOnlyWhenAsked"}},
        {"test_empty_component_raises", {Coverage::data, nullptr}},
        {"test_invalid_interpreter_raises", {Coverage::data, nullptr}},
        {"test_identifier_interpreter_is_valid", {Coverage::data, nullptr}},
        {"test_invalid_component_count_raises", {Coverage::data, nullptr}},
        {"test_pickle", {Coverage::skip, "Python pickle"}},
        {"test_pickle_tag_roundtrip", {Coverage::data, nullptr}},  // as a to_string/parse round trip
        {"test_pickle_tag_setstate_rejects_invalid_state", {Coverage::skip, "Python pickle"}},
        {"test_pickle_tag_old_format_loads", {Coverage::skip, "Python pickle"}},
        {"test_pickle_tag_26_0_format_loads", {Coverage::skip, "Python pickle"}},
        {"test_pickle_tag_25_0_format_loads", {Coverage::skip, "Python pickle"}},
        // Interpreter introspection of the running Python.
        {"test_sys_implementation_name", {Coverage::skip, "introspects the running Python"}},
        {"test_interpreter_short_names", {Coverage::own, "ImplementationNames.MapToShortNames"}},
        {"test_interpreter_name", {Coverage::data, nullptr}},
        {"test_warn", {Coverage::skip, "sysconfig warnings"}},
        {"test_python_version_nodot", {Coverage::own, "PythonVersion.ParsesPipSpellings"}},
        {"test_sys_version_info", {Coverage::data, nullptr}},
        {"test_debug", {Coverage::skip, "Py_DEBUG of the running Python; targets are release builds"}},
        {"test_debug_file_extension", {Coverage::skip, "Windows debug extension"}},
        {"test__debug_cp38", {Coverage::skip, "debug ABI of the running Python; targets are release builds"}},
        {"test_pymalloc", {Coverage::skip, "WITH_PYMALLOC of the running Python (targets < 3.8 assume pymalloc)"}},
        {"test_wide_unicode", {Coverage::skip, "Py_UNICODE_SIZE of Python < 3.3"}},
        {"test_get_config_var_does_not_log", {Coverage::skip, "sysconfig logging"}},
        {"test_get_config_var_does_log", {Coverage::skip, "sysconfig logging"}},
        {"test_32bit_interpreter", {Coverage::skip, "pointer size of the running Python"}},
        {"test_interpreter_abi", {Coverage::skip, "SOABI of the running Python"}},
        // macOS, iOS, Android, Windows, emscripten.
        {"test_architectures", {Coverage::skip, "macOS"}},
        {"test_binary_formats", {Coverage::skip, "macOS"}},
        {"test_version_detection", {Coverage::skip, "macOS / iOS detection"}},
        {"test_version_detection_10_15", {Coverage::skip, "macOS"}},
        {"test_version_detection_compatibility", {Coverage::skip, "macOS"}},
        {"test_arch_detection", {Coverage::skip, "macOS"}},
        {"test_mac_platforms", {Coverage::skip, "macOS"}},
        {"test_macos_11", {Coverage::skip, "macOS"}},
        {"test_no_mac_ver_when_both_args_given", {Coverage::skip, "macOS"}},
        {"test_multiarch_detection", {Coverage::skip, "iOS"}},
        {"test_ios_platforms", {Coverage::skip, "iOS"}},
        {"test_non_android", {Coverage::skip, "Android"}},
        {"test_detection", {Coverage::skip, "Android"}},
        {"test_api_level", {Coverage::skip, "Android"}},
        {"test_abi", {Coverage::skip, "Android"}},
        {"test_mac_cpython", {Coverage::skip, "macOS"}},
        {"test_windows_cpython", {Coverage::skip, "Windows"}},
        {"test_emscripten", {Coverage::skip, "emscripten"}},
        {"test_pyemscripten", {Coverage::skip, "emscripten"}},
        // Linux platform detection of the running machine (we generate from a declared glibc).
        {"test_linux_platforms_32_64bit_on_64bit_os", {Coverage::skip, "32-bit interpreter detection"}},
        {"test_linux_platforms_manylinux_unsupported", {Coverage::skip, "glibc detection"}},
        {"test_linux_platforms_manylinux1", {Coverage::own, "Platforms.X86LinuxListHasLegacyAliasesInPlace"}},
        {"test_linux_platforms_manylinux2010", {Coverage::own, "Platforms.X86LinuxListHasLegacyAliasesInPlace"}},
        {"test_linux_platforms_manylinux2014", {Coverage::own, "Platforms.X86LinuxListHasLegacyAliasesInPlace"}},
        {"test_linux_platforms_manylinux2014_armhf_abi", {Coverage::skip, "ELF header detection"}},
        {"test_linux_platforms_manylinux2014_i386_abi", {Coverage::skip, "ELF header detection"}},
        {"test_linux_platforms_manylinux_glibc3", {Coverage::skip, "glibc 3 does not exist; only 2.x targets"}},
        {"test_linux_platforms_musllinux", {Coverage::skip, "musl detection; MWAA is glibc"}},
        {"test_linux_platforms_manylinux2014_armv6l", {Coverage::skip, "ELF header detection"}},
        {"test_linux_platforms_not_manylinux_abi", {Coverage::skip, "ELF header detection"}},
        {"test_linux_not_linux", {Coverage::skip, "sysconfig platform"}},
        {"test_linux_use_manylinux_compatible", {Coverage::skip, "_manylinux override module"}},
        {"test_linux_use_manylinux_compatible_none", {Coverage::skip, "_manylinux override module"}},
        {"test_skip_manylinux_2014", {Coverage::skip, "_manylinux override module"}},
        {"test_platform_tags", {Coverage::skip, "OS dispatch of the running machine"}},
        {"test_platform_tags_space", {Coverage::skip, "sysconfig platform"}},
        {"test_generic_platforms", {Coverage::skip, "sysconfig platform"}},
        {"test_generic_platforms_space", {Coverage::skip, "sysconfig platform"}},
        // Generators.
        {"test_iterator_returned", {Coverage::skip, "Python iterator type"}},
        {"test_iterator", {Coverage::skip, "Python iterator type"}},
        {"test_all_args", {Coverage::own, "Generators.CpythonTagsOrder / CompatibleTagsOrder"}},
        {"test_no_abi3t_in_non_threaded_interpreter", {Coverage::own, "Generators.FreeThreadedAbiHasNoAbi3"}},
        {"test_no_abi3_in_threaded_interpreter", {Coverage::own, "Generators.FreeThreadedAbiHasNoAbi3"}},
        {"test_python_version_defaults", {Coverage::skip, "defaults from the running Python"}},
        {"test_abi_defaults", {Coverage::own, "TargetOptions.DefaultsAndExpansion"}},
        {"test_abi_defaults_needs_underscore", {Coverage::skip, "defaults from the running Python"}},
        {"test_platforms_defaults", {Coverage::skip, "defaults from the running Python"}},
        {"test_platforms_defaults_needs_underscore", {Coverage::skip, "defaults from the running Python"}},
        {"test_empty_platforms", {Coverage::own, "Generators.EmptyPlatformListGivesOnlyAnyTags"}},
        {"test_platform_name_space_normalization", {Coverage::skip, "sysconfig platform"}},
        {"test_major_only_python_version", {Coverage::own, "PythonVersion.ParsesPipSpellings (refused)"}},
        {"test_major_only_python_version_with_default_abis", {Coverage::own, "PythonVersion.ParsesPipSpellings"}},
        {"test_skip_redundant_abis", {Coverage::data, nullptr}},
        {"test_abi3_python33", {Coverage::own, "Generators.Abi3Boundaries"}},
        {"test_no_excess_abi3_python32", {Coverage::own, "Generators.Abi3Boundaries"}},
        {"test_no_abi3_python31", {Coverage::own, "Generators.Abi3Boundaries"}},
        {"test_no_abi3_python27", {Coverage::own, "Generators.Abi3Boundaries"}},
        {"test__generic_abi_macos", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_linux_cpython", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_jp", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_graal", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_disable_gil", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_none", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_error", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_cpython_missing_version", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_linux_pypy", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_old_windows", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_windows", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test__generic_abi_agree", {Coverage::skip, "EXT_SUFFIX of the running Python"}},
        {"test_abi_unspecified", {Coverage::data, nullptr}},
        {"test_interpreter_default", {Coverage::skip, "defaults from the running Python"}},
        {"test_abis_default", {Coverage::skip, "defaults from the running Python"}},
        {"test_platforms_default", {Coverage::skip, "defaults from the running Python"}},
        {"test_python_version", {Coverage::own, "Generators.CompatibleTagsOrder"}},
        {"test_empty_python_version", {Coverage::skip, "defaults from the running Python"}},
        {"test_default_python_version", {Coverage::skip, "defaults from the running Python"}},
        {"test_does_not_query_platforms", {Coverage::skip, "mocking"}},
        {"test_all_args_needs_underscore", {Coverage::skip, "defaults from the running Python"}},
        {"test_default_python_version_needs_underscore", {Coverage::skip, "defaults from the running Python"}},
        {"test_default_interpreter", {Coverage::skip, "defaults from the running Python"}},
        {"test_default_platforms", {Coverage::skip, "defaults from the running Python"}},
        {"test_linux_cpython", {Coverage::own, "MwaaTargets.Mwaa2103HasPipsTagList + differential.tags"}},
        {"test_generic", {Coverage::own, "TargetOptions.PyImplementationUsesGenericTags"}},
        {"test_warn_forwarded_to_generic_tags", {Coverage::skip, "sysconfig warnings"}},
        {"test_pypy_first_none_any_tag", {Coverage::skip, "PyPy targets"}},
        {"test_cpython_first_none_any_tag", {Coverage::own, "MwaaTargets.Mwaa2103HasPipsTagList"}},
        {"test_create_compatible_tags_selector", {Coverage::data, nullptr}},
    };
    return table;
}

TEST(TagsCorpus, EveryPackagingTestIsCoveredOrSkippedWithAReason) {
    auto corpus = load_corpus("test_tags.params.json");
    ASSERT_EQ(corpus.size(), 238U);
    std::size_t data = 0;
    for (const auto& entry : corpus) {
        auto function = entry.at("function").get<std::string>();
        auto it = coverage().find(function);
        EXPECT_NE(it, coverage().end()) << "packaging test " << function << " is neither covered nor skipped";
        if (it != coverage().end() && it->second.first == Coverage::data) ++data;
    }
    // The data-driven tests below run exactly these cases.
    EXPECT_EQ(data, 6U + 4U + 3U + 2U + 4U + 4U + 5U + 3U + 2U + 7U);
}

TEST(TagsCorpus, RejectsMalformedTagsAndAcceptsIdentifierInterpreters) {
    auto corpus = load_corpus("test_tags.params.json");
    std::size_t run = 0;
    for (const char* function :
         {"test_empty_component_raises", "test_invalid_interpreter_raises", "test_invalid_component_count_raises"}) {
        for (const auto& c : cases_of(corpus, function)) {
            auto text = c.at("params").at("tag").get<std::string>();
            auto parsed = parse_tag(text);
            EXPECT_FALSE(parsed) << function << ": accepted '" << text << "'";
            if (!parsed) {
                EXPECT_GT(parsed.error().location.column, 0) << text;
            }
            ++run;
        }
    }
    for (const auto& c : cases_of(corpus, "test_identifier_interpreter_is_valid")) {
        auto interpreter = c.at("params").at("interpreter").get<std::string>();
        auto parsed = parse_tag(interpreter + "-none-any");
        ASSERT_TRUE(parsed) << interpreter;
        ASSERT_EQ(parsed->size(), 1U);
        EXPECT_EQ(parsed->front().interpreter, util::to_lower(interpreter));
        ++run;
    }
    EXPECT_EQ(run, 6U + 4U + 2U + 3U);
}

TEST(TagsCorpus, TagsRoundTripThroughTheirString) {
    auto corpus = load_corpus("test_tags.params.json");
    auto cases = cases_of(corpus, "test_pickle_tag_roundtrip");
    ASSERT_EQ(cases.size(), 4U);
    for (const auto& c : cases) {
        const auto& p = c.at("params");
        auto tag = Tag::make(p.at("interpreter").get<std::string>(), p.at("abi").get<std::string>(),
                             p.at("platform").get<std::string>());
        auto parsed = parse_tag(tag.to_string());
        ASSERT_TRUE(parsed) << tag.to_string();
        ASSERT_EQ(parsed->size(), 1U);
        EXPECT_EQ(parsed->front(), tag);
    }
}

TEST(TagsCorpus, ImplementationNamesAndVersionNodot) {
    auto corpus = load_corpus("test_tags.params.json");
    auto names = cases_of(corpus, "test_interpreter_name");
    ASSERT_EQ(names.size(), 4U);
    for (const auto& c : names) {
        EXPECT_EQ(implementation_short_name(c.at("params").at("name").get<std::string>()),
                  c.at("params").at("expected").get<std::string>());
    }
    auto versions = cases_of(corpus, "test_sys_version_info");
    ASSERT_EQ(versions.size(), 5U);
    for (const auto& c : versions) {
        const auto& info = c.at("params").at("version_info");
        PythonVersion v{info.at(0).get<unsigned>(), info.at(1).get<unsigned>(), info.at(2).get<unsigned>()};
        EXPECT_EQ(v.nodot(), c.at("params").at("version_str").get<std::string>()) << c.at("nodeid");
    }
}

TEST(Tag, LowerCasesItsParts) {
    auto tag = Tag::make("PY3", "None", "ANY");
    EXPECT_EQ(tag.interpreter, "py3");
    EXPECT_EQ(tag.abi, "none");
    EXPECT_EQ(tag.platform, "any");
}

TEST(Tag, ComparesAndHashesByValue) {
    auto a = Tag::make("py3", "none", "any");
    auto b = Tag::make("PY3", "none", "any");
    auto c = Tag::make("py2", "none", "any");
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(TagHash{}(a), TagHash{}(b));
    std::unordered_set<Tag, TagHash> set{a, b, c};
    EXPECT_EQ(set.size(), 2U);
    EXPECT_EQ(a.to_string(), "py3-none-any");
}

TEST(ParseTag, ExpandsCompressedSets) {
    auto simple = parse_tag("cp311-cp311-manylinux_2_17_x86_64");
    ASSERT_TRUE(simple);
    EXPECT_EQ(*simple, (std::vector<Tag>{Tag{"cp311", "cp311", "manylinux_2_17_x86_64"}}));
    auto multi = parse_tag("py2.py3-none-any");
    ASSERT_TRUE(multi);
    EXPECT_EQ(*multi, (std::vector<Tag>{Tag{"py2", "none", "any"}, Tag{"py3", "none", "any"}}));
    auto platforms = parse_tag("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64");
    ASSERT_TRUE(platforms);
    EXPECT_EQ(platforms->size(), 2U);
    auto product = TagSet::parse("py2.py3-none.abi3-a.b.c");
    ASSERT_TRUE(product);
    EXPECT_EQ(product->size(), 12U);
    EXPECT_TRUE(product->contains(Tag{"py3", "abi3", "c"}));
    auto dup = TagSet::parse("py3.PY3-none-any");
    ASSERT_TRUE(dup);
    EXPECT_EQ(dup->size(), 1U);
    EXPECT_EQ(dup->to_string(), "py3-none-any");
}

TEST(ParseTag, ValidatesOrderOnlyWhenAsked) {
    EXPECT_TRUE(parse_tag("py3.py2-none-any"));
    EXPECT_FALSE(parse_tag("py3.py2-none-any", TagParseOptions{true}));
    EXPECT_TRUE(parse_tag("cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64"));
    EXPECT_FALSE(parse_tag("cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64", TagParseOptions{true}));
    EXPECT_TRUE(parse_tag("py2.py3-none-any", TagParseOptions{true}));
}

TEST(ParseTag, RefusesMoreThanTheLimit) {
    std::string platforms;
    for (std::size_t i = 0; i < TagSet::max_tags / 2; ++i)
        platforms += (i ? "." : "") + std::string("p") + std::to_string(i);
    EXPECT_TRUE(TagSet::parse("py2.py3-none-" + platforms));        // exactly the limit
    EXPECT_FALSE(TagSet::parse("py2.py3.py4-none-" + platforms));   // 1.5 times the limit
    EXPECT_FALSE(TagSet::parse("py2.py3-none.abi3-" + platforms));  // counts the product
}

}  // namespace
}  // namespace wheelhouse::tags
