#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "corpus.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

using testing::cases_of;
using testing::load_corpus;

auto strings(const std::vector<Tag>& tags) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& tag : tags) out.push_back(tag.to_string());
    return out;
}

auto rank_of(const Target& target, const std::string& filename) -> Compatibility {
    auto wheel = WheelFilename::parse(filename);
    EXPECT_TRUE(wheel) << filename;
    return target.rank(*wheel);
}

// The targets of MWAA images (the presets themselves live in the image module): CPython on glibc Linux x86_64,
// the platforms given exactly, as image::Preset::target() builds them.
auto mwaa(const char* name) -> Target {
    struct Image {
        std::string_view name;
        const char* python;
        unsigned glibc_minor;
    };
    constexpr Image images[] = {
        {"mwaa-2.6.3", "3.10.13", 26}, {"mwaa-2.10.3", "3.11.9", 34}, {"mwaa-3.0.6", "3.12.10", 34}};
    for (const auto& image : images) {
        if (image.name != name) continue;
        TargetOptions options;
        options.python_version = image.python;
        options.platforms = linux_platforms("x86_64", 2, image.glibc_minor);
        options.expansion = PlatformExpansion::exact;
        auto target = Target::from_options(options, std::string(image.name));
        EXPECT_TRUE(target) << name;
        return *target;
    }
    ADD_FAILURE() << "no such image in this test: " << name;
    return *Target::from_options(TargetOptions{"cp", "3.11", {}, {}, PlatformExpansion::native});
}

// ---- generators ------------------------------------------------------------------------------

TEST(Platforms, X86LinuxListHasLegacyAliasesInPlace) {
    auto list = linux_platforms("x86_64", 2, 34);
    ASSERT_EQ(list.size(), 34U);
    EXPECT_EQ(list.front(), "manylinux_2_34_x86_64");
    EXPECT_EQ(list.back(), "linux_x86_64");
    auto after = [&](const char* a, const char* b) {
        auto it = std::find(list.begin(), list.end(), a);
        return it != list.end() && it + 1 != list.end() && *(it + 1) == b;
    };
    EXPECT_TRUE(after("manylinux_2_17_x86_64", "manylinux2014_x86_64"));
    EXPECT_TRUE(after("manylinux2014_x86_64", "manylinux_2_16_x86_64"));
    EXPECT_TRUE(after("manylinux_2_12_x86_64", "manylinux2010_x86_64"));
    EXPECT_TRUE(after("manylinux_2_5_x86_64", "manylinux1_x86_64"));
    EXPECT_TRUE(after("manylinux1_x86_64", "linux_x86_64"));
    // glibc older than the legacy levels has none of them.
    auto old = manylinux_platforms("x86_64", 2, 11);
    EXPECT_EQ(std::count(old.begin(), old.end(), "manylinux2014_x86_64"), 0);
    EXPECT_EQ(std::count(old.begin(), old.end(), "manylinux2010_x86_64"), 0);
    EXPECT_EQ(old.back(), "manylinux1_x86_64");
}

TEST(Platforms, OtherArchitecturesStopAtManylinux2014) {
    auto list = manylinux_platforms("aarch64", 2, 28);
    EXPECT_EQ(list.front(), "manylinux_2_28_aarch64");
    EXPECT_EQ(list.back(), "manylinux2014_aarch64");
    EXPECT_EQ(list.size(), 13U);
    EXPECT_TRUE(manylinux_platforms("aarch64", 2, 16).empty());
    EXPECT_TRUE(manylinux_platforms("x86_64", 3, 1).empty());
}

TEST(Platforms, DescribesPlatformTags) {
    auto m = describe_platform("manylinux_2_35_x86_64");
    EXPECT_EQ(m.kind, PlatformInfo::Kind::manylinux);
    EXPECT_EQ(m.libc_minor, 35U);
    EXPECT_EQ(m.arch, "x86_64");
    EXPECT_EQ(describe_platform("manylinux2014_aarch64").libc_minor, 17U);
    EXPECT_EQ(describe_platform("manylinux1_i686").libc_minor, 5U);
    EXPECT_EQ(describe_platform("musllinux_1_2_x86_64").kind, PlatformInfo::Kind::musllinux);
    EXPECT_EQ(describe_platform("macosx_11_0_arm64").arch, "arm64");
    EXPECT_EQ(describe_platform("win_amd64").kind, PlatformInfo::Kind::windows);
    EXPECT_EQ(describe_platform("any").kind, PlatformInfo::Kind::any);
    EXPECT_EQ(describe_platform("manylinux_x_y_z").kind, PlatformInfo::Kind::other);
}

TEST(Generators, CpythonTagsOrder) {
    auto tags = strings(cpython_tags(PythonVersion{3, 11, {}}, {"cp311"}, {"plat1", "plat2"}));
    std::vector<std::string> expected = {"cp311-cp311-plat1", "cp311-cp311-plat2", "cp311-abi3-plat1",
                                         "cp311-abi3-plat2",  "cp311-none-plat1",  "cp311-none-plat2"};
    for (int minor = 10; minor >= 2; --minor) {
        expected.push_back("cp3" + std::to_string(minor) + "-abi3-plat1");
        expected.push_back("cp3" + std::to_string(minor) + "-abi3-plat2");
    }
    EXPECT_EQ(tags, expected);
}

TEST(Generators, CompatibleTagsOrder) {
    auto tags = strings(compatible_tags(PythonVersion{3, 1, {}}, std::string_view("cp31"), {"plat"}));
    EXPECT_EQ(tags, (std::vector<std::string>{"py31-none-plat", "py3-none-plat", "py30-none-plat", "cp31-none-any",
                                              "py31-none-any", "py3-none-any", "py30-none-any"}));
    auto without = strings(compatible_tags(PythonVersion{3, 0, {}}, std::nullopt, {"plat"}));
    EXPECT_EQ(without, (std::vector<std::string>{"py30-none-plat", "py3-none-plat", "py30-none-any", "py3-none-any"}));
}

TEST(Generators, Abi3Boundaries) {
    auto count_abi3 = [](const std::vector<Tag>& tags) {
        return std::count_if(tags.begin(), tags.end(), [](const Tag& t) { return t.abi == "abi3"; });
    };
    auto py33 = cpython_tags(PythonVersion{3, 3, {}}, {"cp33m"}, {"plat"});
    EXPECT_EQ(strings(py33),
              (std::vector<std::string>{"cp33-cp33m-plat", "cp33-abi3-plat", "cp33-none-plat", "cp32-abi3-plat"}));
    EXPECT_EQ(count_abi3(cpython_tags(PythonVersion{3, 2, {}}, {"cp32mu"}, {"plat"})), 1);
    EXPECT_EQ(count_abi3(cpython_tags(PythonVersion{3, 1, {}}, {"cp31mu"}, {"plat"})), 0);
    EXPECT_EQ(count_abi3(cpython_tags(PythonVersion{2, 7, {}}, {"cp27mu"}, {"plat"})), 0);
}

TEST(Generators, FreeThreadedAbiHasNoAbi3) {
    auto threaded = strings(cpython_tags(PythonVersion{3, 13, {}}, {"cp313t"}, {"plat"}));
    EXPECT_EQ(threaded, (std::vector<std::string>{"cp313-cp313t-plat", "cp313-none-plat"}));
    auto normal = cpython_tags(PythonVersion{3, 13, {}}, {"cp313"}, {"plat"});
    EXPECT_EQ(normal.size(), 3U + 11U);
}

TEST(Generators, EmptyPlatformListGivesOnlyAnyTags) {
    EXPECT_TRUE(cpython_tags(PythonVersion{3, 11, {}}, {"cp311"}, {}).empty());
    EXPECT_EQ(strings(compatible_tags(PythonVersion{3, 0, {}}, std::string_view("cp30"), {})),
              (std::vector<std::string>{"cp30-none-any", "py30-none-any", "py3-none-any"}));
}

TEST(GeneratorsCorpus, SkipsRedundantAbisAndDefaultsGenericAbiToNone) {
    auto corpus = load_corpus("test_tags.params.json");
    auto redundant = cases_of(corpus, "test_skip_redundant_abis");
    ASSERT_EQ(redundant.size(), 3U);
    auto reference = strings(cpython_tags(PythonVersion{3, 11, {}}, {}, {"plat1", "plat2"}));
    ASSERT_EQ(reference.size(), 2U * 11U);
    for (const auto& c : redundant) {
        auto abis = c.at("params").at("abis").get<std::vector<std::string>>();
        auto tags = strings(cpython_tags(PythonVersion{3, 11, {}}, abis, {"plat1", "plat2"}));
        EXPECT_EQ(tags, reference) << c.at("nodeid");
    }
    auto unspecified = cases_of(corpus, "test_abi_unspecified");
    ASSERT_EQ(unspecified.size(), 2U);
    for (const auto& c : unspecified) {
        auto abis = c.at("params").at("abi").get<std::vector<std::string>>();
        auto tags = strings(generic_tags("sillywalk33", abis, {"plat1", "plat2"}));
        EXPECT_EQ(tags, (std::vector<std::string>{"sillywalk33-none-plat1", "sillywalk33-none-plat2"}))
            << c.at("nodeid");
    }
}

// packaging's create_compatible_tags_selector keeps the things whose tags are supported, best
// supported tag first. Here each "tN" is cp311-cp311-pN and "supported" is the platform list.
TEST(RankingCorpus, SelectsAndOrdersCompatibleThingsLikePackaging) {
    auto corpus = load_corpus("test_tags.params.json");
    auto cases = cases_of(corpus, "test_create_compatible_tags_selector");
    ASSERT_EQ(cases.size(), 7U);
    auto platform_of = [](const std::string& t) { return "p" + t.substr(1); };
    for (const auto& c : cases) {
        const auto& p = c.at("params");
        TargetOptions options;
        options.python_version = "3.11";
        for (const auto& t : p.at("supported")) options.platforms.push_back(platform_of(t.get<std::string>()));
        auto target = Target::from_options(options);
        ASSERT_TRUE(target);
        std::vector<std::pair<std::size_t, std::string>> selected;
        for (const auto& thing : p.at("things")) {
            std::string platforms;
            const auto text = thing.get<std::string>();  // split() returns views: keep the string alive
            for (auto part : util::split(text, '.')) {
                platforms += (platforms.empty() ? "" : ".") + platform_of(std::string(part));
            }
            auto set = TagSet::parse("cp311-cp311-" + platforms);
            ASSERT_TRUE(set);
            auto result = target->rank(*set);
            if (result.compatible) selected.emplace_back(result.priority, thing.get<std::string>());
        }
        std::stable_sort(selected.begin(), selected.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> got;
        for (const auto& s : selected) got.push_back(s.second);
        EXPECT_EQ(got, p.at("expected").get<std::vector<std::string>>()) << c.at("nodeid");
    }
}

// ---- python version, options -----------------------------------------------------------------

TEST(PythonVersion, ParsesPipSpellings) {
    EXPECT_EQ(*PythonVersion::parse("3.11"), (PythonVersion{3, 11, {}}));
    EXPECT_EQ(*PythonVersion::parse("311"), (PythonVersion{3, 11, {}}));
    EXPECT_EQ(*PythonVersion::parse("37"), (PythonVersion{3, 7, {}}));
    EXPECT_EQ(*PythonVersion::parse("3.11.4"), (PythonVersion{3, 11, 4}));
    EXPECT_EQ(PythonVersion::parse("3.11.4")->full_version(), "3.11.4");
    EXPECT_EQ(PythonVersion::parse("3.11")->full_version(), "3.11.0");
    EXPECT_EQ(PythonVersion::parse("3.12")->nodot(), "312");
    // A major version alone cannot name a CPython ABI: refused, with a hint.
    auto major_only = PythonVersion::parse("3");
    ASSERT_FALSE(major_only);
    EXPECT_FALSE(major_only.error().hint.empty());
    for (const char* bad : {"", "x", "3.x", "3.11.4.1", "3..1", "99999999999999999999"}) {
        EXPECT_FALSE(PythonVersion::parse(bad)) << bad;
    }
}

TEST(ImplementationNames, MapToShortNames) {
    EXPECT_EQ(implementation_short_name("CPython"), "cp");
    EXPECT_EQ(implementation_short_name("cp"), "cp");
    EXPECT_EQ(implementation_short_name("Python"), "py");
    EXPECT_EQ(implementation_short_name("GraalPy"), "graalpy");
}

TEST(TargetOptions, DefaultsAndExpansion) {
    TargetOptions options;
    options.python_version = "3.11";
    options.platforms = {"manylinux_2_28_x86_64"};
    auto target = Target::from_options(options);
    ASSERT_TRUE(target);
    EXPECT_EQ(target->abis(), (std::vector<std::string>{"cp311"}));
    EXPECT_EQ(target->platforms(), linux_platforms("x86_64", 2, 28));
    EXPECT_EQ(target->glibc(), (std::pair<unsigned, unsigned>{2, 28}));
    EXPECT_EQ(target->arch(), "x86_64");

    options.expansion = PlatformExpansion::pip;
    auto exact = Target::from_options(options);
    ASSERT_TRUE(exact);
    EXPECT_EQ(exact->platforms(), (std::vector<std::string>{"manylinux_2_28_x86_64"}));
    options.platforms = {"manylinux2014_x86_64"};
    EXPECT_EQ(Target::from_options(options)->platforms(),
              (std::vector<std::string>{"manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"}));
    options.expansion = PlatformExpansion::exact;
    EXPECT_EQ(Target::from_options(options)->platforms(), (std::vector<std::string>{"manylinux2014_x86_64"}));

    options.expansion = PlatformExpansion::native;
    options.platforms = {"manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"};
    auto legacy = Target::from_options(options);
    ASSERT_TRUE(legacy);
    EXPECT_EQ(legacy->platforms(), linux_platforms("x86_64", 2, 17));

    options.python_version = "3.7";
    options.platforms = {"linux_x86_64"};
    EXPECT_EQ(Target::from_options(options)->abis(), (std::vector<std::string>{"cp37m"}));
    options.python_version = "2.7";
    EXPECT_EQ(Target::from_options(options)->abis(), (std::vector<std::string>{"cp27mu"}));

    options.python_version = "3.11";
    options.abis = {"cp311", "abi3"};
    auto with_abis = Target::from_options(options);
    ASSERT_TRUE(with_abis);
    EXPECT_EQ(with_abis->tags().front().to_string(), "cp311-cp311-linux_x86_64");

    options.platforms = {"bad platform"};
    EXPECT_FALSE(Target::from_options(options));
    options.platforms = {};
    options.python_version = "three";
    EXPECT_FALSE(Target::from_options(options));
}

TEST(TargetOptions, NoPlatformMeansPurePythonOnly) {
    TargetOptions options;
    options.python_version = "3.11";
    auto target = Target::from_options(options);
    ASSERT_TRUE(target);
    EXPECT_EQ(target->platforms(), (std::vector<std::string>{"any"}));
    EXPECT_TRUE(rank_of(*target, "six-1.16.0-py2.py3-none-any.whl").compatible);
    EXPECT_FALSE(rank_of(*target, "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl").compatible);
}

TEST(TargetOptions, PyImplementationUsesGenericTags) {
    TargetOptions options;
    options.implementation = "py";
    options.python_version = "3.11";
    options.platforms = {"linux_x86_64"};
    auto target = Target::from_options(options);
    ASSERT_TRUE(target);
    auto tags = strings(target->tags());
    EXPECT_EQ(tags.front(), "py311-none-linux_x86_64");
    // No duplicates although generic and compatible tags both yield py311-none-<platform>.
    EXPECT_EQ(std::set<std::string>(tags.begin(), tags.end()).size(), tags.size());
    EXPECT_FALSE(rank_of(*target, "x-1.0-cp311-cp311-linux_x86_64.whl").compatible);
}

// ---- MWAA targets ----------------------------------------------------------------------------

TEST(MwaaTargets, Mwaa2103HasPipsTagList) {
    auto target = mwaa("mwaa-2.10.3");
    const auto& tags = target.tags();
    ASSERT_EQ(tags.size(), 864U);
    EXPECT_EQ(tags.front().to_string(), "cp311-cp311-manylinux_2_34_x86_64");
    EXPECT_EQ(tags.back().to_string(), "py30-none-any");
    auto cp_none_any = std::find(tags.begin(), tags.end(), Tag{"cp311", "none", "any"});
    ASSERT_NE(cp_none_any, tags.end());
    EXPECT_EQ((cp_none_any + 1)->to_string(), "py311-none-any");
    EXPECT_EQ((cp_none_any - 1)->to_string(), "py30-none-linux_x86_64");
    EXPECT_EQ(target.describe(), "CPython 3.11 (cp311), manylinux_2_34_x86_64 and older, 864 tags");
    EXPECT_EQ(mwaa("mwaa-2.6.3").platforms().front(), "manylinux_2_26_x86_64");
    EXPECT_EQ(mwaa("mwaa-3.0.6").tags().front().to_string(), "cp312-cp312-manylinux_2_34_x86_64");
}

TEST(MwaaTargets, MarkerEnvironmentDescribesLinuxCpython) {
    auto env = mwaa("mwaa-2.10.3").marker_environment();
    EXPECT_EQ(env.at("python_version"), "3.11");
    EXPECT_EQ(env.at("python_full_version"), "3.11.9");
    EXPECT_EQ(env.at("implementation_name"), "cpython");
    EXPECT_EQ(env.at("implementation_version"), "3.11.9");
    EXPECT_EQ(env.at("platform_python_implementation"), "CPython");
    EXPECT_EQ(env.at("sys_platform"), "linux");
    EXPECT_EQ(env.at("platform_system"), "Linux");
    EXPECT_EQ(env.at("platform_machine"), "x86_64");
    EXPECT_EQ(env.at("os_name"), "posix");
    EXPECT_EQ(env.size(), 11U);
    EXPECT_EQ(mwaa("mwaa-3.0.6").marker_environment().at("python_full_version"), "3.12.10");
}

// ---- ranking ---------------------------------------------------------------------------------

TEST(Ranking, PrefersTheMostSpecificTag) {
    auto target = mwaa("mwaa-2.10.3");
    auto native = rank_of(target, "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    auto abi3 = rank_of(target, "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl");
    auto pure = rank_of(target, "six-1.16.0-py2.py3-none-any.whl");
    auto newest = rank_of(target, "x-1.0-cp311-cp311-manylinux_2_34_x86_64.whl");
    ASSERT_TRUE(native.compatible);
    ASSERT_TRUE(abi3.compatible);
    ASSERT_TRUE(pure.compatible);
    EXPECT_EQ(newest.priority, 0U);
    EXPECT_EQ(native.tag.to_string(), "cp311-cp311-manylinux_2_17_x86_64");
    EXPECT_EQ(native.priority, 17U);
    EXPECT_EQ(abi3.tag.to_string(), "cp39-abi3-manylinux_2_28_x86_64");
    EXPECT_EQ(pure.tag.to_string(), "py3-none-any");
    EXPECT_LT(native.priority, abi3.priority);
    EXPECT_LT(abi3.priority, pure.priority);
    EXPECT_TRUE(native.reason.empty());
    EXPECT_EQ(native.part, Mismatch::none);
    EXPECT_TRUE(rank_of(target, "old-1.0-cp311-cp311-manylinux1_x86_64.whl").compatible);
    EXPECT_TRUE(rank_of(target, "local-1.0-cp311-cp311-linux_x86_64.whl").compatible);
    EXPECT_TRUE(rank_of(target, "x-1.0-py311-none-any.whl").compatible);
}

TEST(Ranking, RejectsWrongArchitectureNamingIt) {
    auto result =
        rank_of(mwaa("mwaa-2.10.3"), "numpy-1.26.4-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
    EXPECT_FALSE(result.compatible);
    EXPECT_EQ(result.part, Mismatch::platform);
    EXPECT_EQ(result.reason, "built for aarch64 (manylinux_2_17_aarch64), target is x86_64");
}

TEST(Ranking, RejectsNewerGlibc) {
    auto result = rank_of(mwaa("mwaa-2.10.3"), "x-1.0-cp311-cp311-manylinux_2_35_x86_64.manylinux_2_39_x86_64.whl");
    EXPECT_FALSE(result.compatible);
    EXPECT_EQ(result.part, Mismatch::platform);
    EXPECT_EQ(result.reason, "needs glibc 2.35 (manylinux_2_35_x86_64), target has 2.34");
    auto al2 = rank_of(mwaa("mwaa-2.6.3"), "polars-1.0-cp38-abi3-manylinux_2_28_x86_64.whl");
    EXPECT_EQ(al2.reason, "needs glibc 2.28 (manylinux_2_28_x86_64), target has 2.26");
}

TEST(Ranking, RejectsOtherOperatingSystems) {
    auto target = mwaa("mwaa-2.10.3");
    EXPECT_EQ(rank_of(target, "x-1.0-cp311-cp311-macosx_11_0_arm64.whl").reason,
              "built for macOS (macosx_11_0_arm64), target is Linux x86_64");
    EXPECT_EQ(rank_of(target, "x-1.0-cp311-cp311-win_amd64.whl").reason,
              "built for Windows (win_amd64), target is Linux x86_64");
    EXPECT_EQ(rank_of(target, "x-1.0-cp311-cp311-musllinux_1_2_x86_64.whl").reason,
              "built for musl libc (musllinux_1_2_x86_64), target uses glibc");
}

TEST(Ranking, RejectsWrongPythonNamingTheAbi) {
    auto target = mwaa("mwaa-2.10.3");
    auto newer = rank_of(target, "numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.whl");
    EXPECT_FALSE(newer.compatible);
    EXPECT_EQ(newer.part, Mismatch::python);
    EXPECT_EQ(newer.reason, "needs CPython 3.12 ABI cp312, target is cp311");
    auto abi3 = rank_of(target, "x-1.0-cp312-abi3-manylinux_2_17_x86_64.whl");
    EXPECT_EQ(abi3.part, Mismatch::python);
    EXPECT_EQ(abi3.reason, "needs CPython >= 3.12 (cp312-abi3), target is CPython 3.11");
    auto py2 = rank_of(target, "x-1.0-py2-none-any.whl");
    EXPECT_EQ(py2.part, Mismatch::python);
    EXPECT_EQ(py2.reason, "needs Python 2 (py2), target is CPython 3.11");
    auto pypy = rank_of(target, "x-1.0-pp39-pypy39_pp73-manylinux_2_17_x86_64.whl");
    EXPECT_EQ(pypy.part, Mismatch::python);
    EXPECT_EQ(pypy.reason, "built for PyPy (pp39), target is CPython 3.11");
}

TEST(Ranking, RejectsForeignAbiOnTheRightInterpreter) {
    auto target = mwaa("mwaa-3.0.6");
    auto threaded = rank_of(target, "x-1.0-cp312-cp312t-manylinux_2_17_x86_64.whl");
    EXPECT_FALSE(threaded.compatible);
    EXPECT_EQ(threaded.part, Mismatch::abi);
    EXPECT_EQ(threaded.reason, "needs ABI cp312t (free-threaded build), target supports cp312, abi3, none");
    auto odd = rank_of(target, "x-1.0-py3-cp312-any.whl");
    EXPECT_EQ(odd.part, Mismatch::abi);
    EXPECT_FALSE(odd.reason.empty());
}

TEST(Ranking, PlatformWinsWhenSeveralPartsFail) {
    auto result = rank_of(mwaa("mwaa-2.10.3"), "x-1.0-cp312-cp312-macosx_14_0_arm64.whl");
    EXPECT_EQ(result.part, Mismatch::platform);
    EXPECT_EQ(to_string(result.part), std::string("platform"));
}

}  // namespace
}  // namespace wheelhouse::tags
