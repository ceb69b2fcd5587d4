// Hand-written resolver cases: backtracking, extras, markers, Requires-Python, yanked, prereleases,
// constraint conflicts, sdist-only and wrong-platform projects, result contents.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "memory_index.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/resolve/resolve.hpp"

namespace wheelhouse::resolve {
namespace {

using testing::MemoryIndex;
using testing::Release;
using testing::mwaa_target;
using testing::req;

auto request(std::initializer_list<std::string_view> requirements) -> Request {
    Request r;
    r.target = mwaa_target();
    int line = 0;
    for (auto text : requirements) r.requirements.push_back({req(text), "requirements.txt:" + std::to_string(++line)});
    return r;
}

auto versions(const Resolution& resolution) -> std::map<std::string, std::string> {
    std::map<std::string, std::string> out;
    for (const auto& p : resolution.packages) out[p.name] = p.version.to_string();
    return out;
}

auto release(std::string version, std::optional<std::string> requires_python = std::nullopt) -> Release {
    Release r;
    r.version = std::move(version);
    r.requires_python = std::move(requires_python);
    return r;
}

TEST(Resolve, PicksNewestVersionsAndReportsWhyEachPackageIsThere) {
    MemoryIndex index;
    index.add("Requests", "2.31.0", {"urllib3>=1.21,<3", "idna"});
    index.add("Requests", "2.30.0", {"urllib3"});
    index.add("urllib3", "2.2.1");
    index.add("urllib3", "1.26.18");
    index.add("idna", "3.6");
    auto result = resolve(request({"requests>=2"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result),
              (std::map<std::string, std::string>{{"idna", "3.6"}, {"requests", "2.31.0"}, {"urllib3", "2.2.1"}}));
    ASSERT_EQ(result->packages.size(), 3U);
    EXPECT_EQ(result->packages[0].name, "idna");  // sorted by name
    const auto& urllib3 = result->packages[2];
    ASSERT_EQ(urllib3.required_by.size(), 1U);
    EXPECT_EQ(urllib3.required_by[0].parent, "requests 2.31.0");
    EXPECT_EQ(urllib3.required_by[0].requirement, "urllib3<3,>=1.21");
    EXPECT_EQ(urllib3.required_by[0].origin, "requirements.txt:1 -> requests 2.31.0");
    EXPECT_EQ(result->packages[1].required_by[0].origin, "requirements.txt:1");
    EXPECT_EQ(result->packages[1].file.filename, "requests-2.31.0-py3-none-any.whl");
    EXPECT_EQ(result->packages[1].file.hashes.at("sha256"), std::string(64, 'a'));
    // Metadata is read only for the versions tried.
    EXPECT_EQ(index.metadata_calls, 3);
}

TEST(Resolve, ChoosesTheBestRankedWheelForTheTarget) {
    MemoryIndex index;
    Release r = release("1.0");
    r.wheel_tags = {"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
                    "cp311-cp311-manylinux_2_17_aarch64", "cp312-cp312-manylinux_2_17_x86_64"};
    index.add("fast", r);
    auto result = resolve(request({"fast"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->packages[0].file.filename, "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    EXPECT_TRUE(result->packages[0].is_wheel);
}

TEST(Resolve, BacktracksWhenTheNewestVersionLeadsToAConflict) {
    MemoryIndex index;
    // a 2.0 needs b<2, but c needs b>=2: the resolver must go back to a 1.0.
    index.add("a", "2.0", {"b<2"});
    index.add("a", "1.0", {"b"});
    index.add("b", "2.0");
    index.add("b", "1.0");
    index.add("c", "1.0", {"b>=2"});
    auto result = resolve(request({"a", "c"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "1.0"}, {"b", "2.0"}, {"c", "1.0"}}));
}

TEST(Resolve, BacktracksThroughSeveralLevels) {
    MemoryIndex index;
    for (int i = 9; i >= 1; --i) index.add("x", std::to_string(i) + ".0", {"y==" + std::to_string(i) + ".0"});
    for (int i = 9; i >= 1; --i) index.add("y", std::to_string(i) + ".0", {i > 3 ? "z<1" : "z"});
    index.add("z", "1.0");
    auto result = resolve(request({"x", "y"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"x", "3.0"}, {"y", "3.0"}, {"z", "1.0"}}));
}

TEST(Resolve, ExtrasAddTheirDependenciesAtTheSameVersionAsTheBase) {
    MemoryIndex index;
    Release a2 = release("2.0");
    a2.extras["s3"] = {"boto>=2"};
    Release a1 = release("1.0");
    a1.extras["s3"] = {"boto<2"};
    a1.extras["gcs"] = {"gcs-lib"};
    index.add("a", a2);
    index.add("a", a1);
    index.add("boto", "2.5");
    index.add("boto", "1.5");
    index.add("gcs-lib", "1.0");
    // The extras node must agree with the base pinned by the other requirement.
    auto result = resolve(request({"a[S3]", "a<2"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "1.0"}, {"boto", "1.5"}}));
    EXPECT_EQ(result->packages[0].extras, std::vector<std::string>{"s3"});

    auto without = resolve(request({"a"}), index);
    ASSERT_TRUE(without);
    EXPECT_EQ(versions(*without), (std::map<std::string, std::string>{{"a", "2.0"}}));

    // An extra the project does not provide adds nothing (pip warns and installs the base).
    auto missing = resolve(request({"a[nope]"}), index);
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_EQ(versions(*missing), (std::map<std::string, std::string>{{"a", "2.0"}}));
}

TEST(Resolve, MarkersAreEvaluatedForTheTarget) {
    MemoryIndex index;
    index.add("app", "1.0",
              {"winlib; sys_platform == 'win32'", "linuxlib; sys_platform == 'linux' and platform_machine == 'x86_64'",
               "oldlib; python_version < '3.8'", "newlib; python_full_version >= '3.11.0'"});
    index.add("linuxlib", "1.0");
    index.add("newlib", "1.0");
    auto result = resolve(request({"app", "skipped; python_version < '3'"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result),
              (std::map<std::string, std::string>{{"app", "1.0"}, {"linuxlib", "1.0"}, {"newlib", "1.0"}}));
}

TEST(Resolve, SkipsVersionsWhoseRequiresPythonExcludesTheTarget) {
    MemoryIndex index;
    index.add("lib", release("3.0", ">=3.12"));  // on the index page
    Release meta_only = release("2.0");
    index.add("lib", meta_only);
    index.add("lib", release("1.0", ">=3.8"));
    // 2.0 says so only in its metadata.
    MemoryIndex index2;
    index2.add("lib", release("3.0", ">=3.12"));
    Release r2 = release("2.0", ">=3.12");
    index2.add("lib", r2);
    index2.add("lib", release("1.0", ">=3.8"));
    auto result = resolve(request({"lib"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result).at("lib"), "2.0");
    auto result2 = resolve(request({"lib"}), index2);
    ASSERT_TRUE(result2);
    EXPECT_EQ(versions(*result2).at("lib"), "1.0");

    auto fail = resolve(request({"lib>=3"}), index);
    ASSERT_FALSE(fail);
    EXPECT_EQ(fail.error().code, ErrorCode::resolution);
    EXPECT_NE(fail.error().message.find("requires Python >=3.12, but the target has Python 3.11"), std::string::npos)
        << fail.error().message;
}

TEST(Resolve, YankedVersionsAreUsedOnlyWhenPinned) {
    MemoryIndex index;
    Release y = release("2.0");
    y.yanked = true;
    index.add("lib", y);
    index.add("lib", "1.0");
    auto normal = resolve(request({"lib"}), index);
    ASSERT_TRUE(normal);
    EXPECT_EQ(versions(*normal).at("lib"), "1.0");
    auto pinned = resolve(request({"lib==2.0"}), index);
    ASSERT_TRUE(pinned) << pinned.error().message;
    EXPECT_EQ(versions(*pinned).at("lib"), "2.0");
    auto ranged = resolve(request({"lib>=2"}), index);
    ASSERT_FALSE(ranged);
    EXPECT_NE(ranged.error().message.find("lib 2.0 is yanked: broken"), std::string::npos) << ranged.error().message;
}

TEST(Resolve, AnExtrasRequirementIsLookedUpWithTheBasesPinsAsPipDoes) {
    // pip looks up `lib[x]` with the requirements on `lib` too: `lib==1.0` pins it, so the yanked 1.0 is allowed
    // for `lib[x]` as well, and a version without the extra just adds nothing (pip warns).
    MemoryIndex index;
    Release y = release("1.0");
    y.yanked = true;
    index.add("lib", y);
    index.add("lib", "1.5");
    auto both = resolve(request({"lib[x]", "lib==1.0"}), index);
    ASSERT_TRUE(both) << both.error().message;
    EXPECT_EQ(versions(*both).at("lib"), "1.0");
}

TEST(Resolve, PrereleasesFollowPipRules) {
    MemoryIndex index;
    index.add("lib", "2.0b1");
    index.add("lib", "1.0");
    index.add("only-pre", "1.0a1");
    auto plain = resolve(request({"lib"}), index);
    ASSERT_TRUE(plain);
    EXPECT_EQ(versions(*plain).at("lib"), "1.0");
    auto named = resolve(request({"lib>=2.0b1"}), index);
    ASSERT_TRUE(named);
    EXPECT_EQ(versions(*named).at("lib"), "2.0b1");
    Request pre = request({"lib"});
    pre.options.pre = true;
    auto with_pre = resolve(pre, index);
    ASSERT_TRUE(with_pre);
    EXPECT_EQ(versions(*with_pre).at("lib"), "2.0b1");
    // A project with nothing but prereleases: pip takes one only for a bare name.
    auto bare = resolve(request({"only-pre"}), index);
    ASSERT_TRUE(bare) << bare.error().message;
    EXPECT_EQ(versions(*bare).at("only-pre"), "1.0a1");
    auto bounded = resolve(request({"only-pre<2"}), index);
    ASSERT_FALSE(bounded);
    EXPECT_NE(bounded.error().message.find("only-pre 1.0a1 is a prerelease"), std::string::npos)
        << bounded.error().message;
    // A constraint naming a prerelease opts in too (pip merges it into the specifier).
    Request constrained = request({"lib"});
    constrained.constraints.push_back({req("lib==2.0b1"), "constraints.txt:1", ConstraintSource::user});
    auto c = resolve(constrained, index);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(versions(*c).at("lib"), "2.0b1");
}

// Differential g30 (seed 7), reduced: pip re-filters a pinned project's versions whenever a new requirement on it
// arrives; the prerelease taken as the only-prereleases fallback is not a match for `a>=1.0`.
TEST(Resolve, PrereleasePinnedAsFallbackIsRefusedOnceASpecifierWithoutPrereleasesArrives) {
    MemoryIndex index;
    index.add("a", "3.0rc1", {"b"});
    index.add("b", "1.0", {"a>=1.0"});
    auto result = resolve(request({"a"}), index);
    ASSERT_FALSE(result) << "pip 24.2: ResolutionImpossible; got " << versions(*result).size() << " packages";
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
    EXPECT_NE(result.error().message.find("a 3.0rc1 is a prerelease"), std::string::npos) << result.error().message;
}

// Differential g36 (seed 7), reduced: a requirement that excludes an earlier pin is not a conflict for pip
// (resolvelib 1.0): the project is pinned again among the versions every requirement allows, the old pin's
// requirements still count, and what only the old pin brought in is left out of the result.
TEST(Resolve, RequirementExcludingAnEarlierPinRepinsItAsPipDoes) {
    MemoryIndex index;
    index.add("p1", "3.0", {"p0"});
    index.add("p1", "2.0");
    index.add("p1", "1.0");
    index.add("p0", "1.0", {"p1<2"});
    auto result = resolve(request({"p1"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"p1", "1.0"}}));
    ASSERT_EQ(result->packages.size(), 1U);
    ASSERT_EQ(result->packages[0].required_by.size(), 1U);
    EXPECT_EQ(result->packages[0].required_by[0].parent, "");
}

// Differential g159 (seed 7), reduced: pip 24.2 (resolvelib 1.0.1 backjumping, sarugaku/resolvelib#134) says
// "No matching distribution found for d>=2"; a 1.0 is a solution and wheelhouse must find it (the differential
// test excuses this difference only after checking the set).
TEST(Resolve, FindsTheSolutionThatPipsBackjumpingSkips) {
    MemoryIndex index;
    index.add("a", "2.0", {"b"});
    index.add("a", "1.0");
    index.add("b", "1.0", {"c"});
    index.add("c", "1.0", {"d>=2"});
    index.add("d", "1.0");
    auto result = resolve(request({"a"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "1.0"}}));
}

TEST(Resolve, ConstraintConflictNamesBothOrigins) {
    MemoryIndex index;
    index.add("flask", "3.0.0");
    index.add("flask", "2.2.5");
    index.add("plugin", "1.0", {"flask>=3"});
    Request r = request({"plugin"});
    r.constraints.push_back({req("flask==2.2.5"), "constraints-3.11.txt:142", ConstraintSource::mwaa_essential});
    auto result = resolve(r, index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
    EXPECT_EQ(exit_code_for(result.error().code), 2);
    const auto& message = result.error().message;
    EXPECT_NE(message.find("flask>=3 (required by requirements.txt:1 -> plugin 1.0)"), std::string::npos) << message;
    EXPECT_NE(message.find("flask==2.2.5 (MWAA essential pin, constraints-3.11.txt:142)"), std::string::npos)
        << message;

    // Top-level against a user constraint.
    Request direct = request({"flask>=3"});
    direct.constraints.push_back({req("Flask==2.2.5"), "constraints.txt:14", ConstraintSource::user});
    auto d = resolve(direct, index);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("flask>=3 (requested in requirements.txt:1)"), std::string::npos)
        << d.error().message;
    EXPECT_NE(d.error().message.find("flask==2.2.5 (user constraint, constraints.txt:14)"), std::string::npos)
        << d.error().message;
}

TEST(Resolve, ConstraintsOnlyApplyToRequiredProjects) {
    MemoryIndex index;
    index.add("a", "2.0");
    index.add("a", "1.0");
    Request r = request({"a"});
    r.constraints.push_back({req("a<2"), "c.txt:1", ConstraintSource::airflow});
    r.constraints.push_back({req("unrelated==1.0"), "c.txt:2", ConstraintSource::airflow});
    r.constraints.push_back({req("a<1; sys_platform == 'win32'"), "c.txt:3", ConstraintSource::airflow});
    auto result = resolve(r, index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "1.0"}}));
    ASSERT_EQ(result->packages[0].constraints.size(), 1U);
    EXPECT_EQ(result->packages[0].constraints[0].origin, "c.txt:1");
    EXPECT_EQ(index.prefetched.count("unrelated"), 0U);

    Request bad = request({"a"});
    bad.constraints.push_back({req("a[x]<2"), "c.txt:9", ConstraintSource::user});
    auto refused = resolve(bad, index);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
}

TEST(Resolve, SdistOnlyProjectIsNamedWithTheBuildHint) {
    MemoryIndex index;
    index.add("app", "1.0", {"pure-src"});
    Release src = release("0.5");
    src.wheel = false;
    index.add("pure-src", src);
    auto result = resolve(request({"app"}), index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
    EXPECT_NE(result.error().message.find("pure-src 0.5 has only an sdist"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("pure-src has only source distributions"), std::string::npos);
    EXPECT_EQ(result.error().hint, std::string(sdist_hint));

    // With sdists allowed (not MWAA's default) the sdist is chosen.
    Request allowed = request({"app"});
    allowed.options.only_binary = false;
    auto ok = resolve(allowed, index);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_FALSE(ok->packages[1].is_wheel);
    EXPECT_EQ(ok->packages[1].file.filename, "pure-src-0.5.tar.gz");
}

TEST(Resolve, NewerSdistOnlyVersionIsPassedOverWithANote) {
    MemoryIndex index;
    Release src = release("2.0");
    src.wheel = false;
    index.add("lib", src);
    index.add("lib", "1.0");
    auto result = resolve(request({"lib"}), index);
    ASSERT_TRUE(result);
    EXPECT_EQ(versions(*result).at("lib"), "1.0");
    ASSERT_EQ(result->notes.size(), 1U);
    EXPECT_NE(result->notes[0].find("lib 2.0 was passed over"), std::string::npos) << result->notes[0];
}

TEST(Resolve, WrongPlatformOnlyProjectSaysWhatTheWheelsAreBuiltFor) {
    MemoryIndex index;
    Release arm = release("1.0");
    arm.sdist = false;
    arm.wheel_tags = {"cp311-cp311-manylinux_2_17_aarch64"};
    index.add("native", arm);
    auto result = resolve(request({"native"}), index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
    EXPECT_NE(result.error().message.find("native 1.0 has no wheel for the target"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("aarch64"), std::string::npos) << result.error().message;
    // Not the sdist hint: the way out is another target or another version.
    EXPECT_NE(result.error().hint.find("--target"), std::string::npos) << result.error().hint;
}

TEST(Resolve, MissingProjectIsNamedWithItsRequirer) {
    MemoryIndex index;
    index.add("a", "1.0", {"ghost>=1"});
    auto result = resolve(request({"a"}), index);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("ghost was not found on the index"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("ghost>=1 (required by requirements.txt:1 -> a 1.0)"), std::string::npos);
}

TEST(Resolve, ExplainsAConflictBetweenTwoBranches) {
    MemoryIndex index;
    index.add("left", "1.0", {"shared<2"});
    index.add("right", "1.0", {"shared>=2"});
    index.add("shared", "2.0");
    index.add("shared", "1.0");
    auto result = resolve(request({"left", "right"}), index);
    ASSERT_FALSE(result);
    const auto& m = result.error().message;
    EXPECT_NE(m.find("shared"), std::string::npos);
    EXPECT_NE(m.find("left 1.0"), std::string::npos) << m;
    EXPECT_NE(m.find("right 1.0"), std::string::npos) << m;
    EXPECT_NE(m.find("shared<2"), std::string::npos) << m;
    EXPECT_NE(m.find("shared>=2"), std::string::npos) << m;
}

TEST(Resolve, PreferBinaryTakesAnOlderWheelOverANewerSdist) {
    MemoryIndex index;
    Release src = release("2.0");
    src.wheel = false;
    index.add("lib", src);
    index.add("lib", "1.0");
    Request r = request({"lib"});
    r.options.only_binary = false;
    auto newest = resolve(r, index);
    ASSERT_TRUE(newest);
    EXPECT_EQ(versions(*newest).at("lib"), "2.0");
    EXPECT_FALSE(newest->packages[0].is_wheel);
    r.options.prefer_binary = true;
    auto binary = resolve(r, index);
    ASSERT_TRUE(binary);
    EXPECT_EQ(versions(*binary).at("lib"), "1.0");
    EXPECT_TRUE(binary->packages[0].is_wheel);
}

TEST(Resolve, SameInputGivesTheSameResultAndExplanation) {
    MemoryIndex index;
    index.add("a", "2.0", {"c<2", "b"});
    index.add("a", "1.0", {"c"});
    index.add("b", "1.0", {"c>=1"});
    index.add("c", "2.0");
    index.add("c", "1.0");
    index.add("d", "1.0", {"c>=3"});
    auto first = resolve(request({"b", "a"}), index);
    auto second = resolve(request({"b", "a"}), index);
    ASSERT_TRUE(first && second);
    ASSERT_EQ(first->packages.size(), second->packages.size());
    for (std::size_t i = 0; i < first->packages.size(); ++i) {
        EXPECT_EQ(first->packages[i].name, second->packages[i].name);
        EXPECT_EQ(first->packages[i].version, second->packages[i].version);
        EXPECT_EQ(first->packages[i].file.filename, second->packages[i].file.filename);
    }
    auto fail1 = resolve(request({"a", "d"}), index);
    auto fail2 = resolve(request({"a", "d"}), index);
    ASSERT_FALSE(fail1);
    ASSERT_FALSE(fail2);
    EXPECT_EQ(fail1.error().message, fail2.error().message);
}

TEST(Resolve, ProviderErrorsStopTheResolution) {
    struct Failing : MemoryIndex {
        auto candidates(std::string_view) -> Expected<std::vector<CandidateFile>> override {
            return make_error(ErrorCode::network, "index unreachable");
        }
    } index;
    auto result = resolve(request({"a"}), index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::network);
}

TEST(Resolve, GivesUpCleanlyOnAPathologicalIndex) {
    MemoryIndex index;
    // Every pair of versions conflicts through c, and c itself does not exist for half of them.
    for (int i = 0; i < 40; ++i) {
        index.add("a", std::to_string(100 - i) + ".0", {"c==" + std::to_string(i)});
        index.add("b", std::to_string(100 - i) + ".0", {"c==" + std::to_string(i + 1000)});
    }
    Request r = request({"a", "b"});
    r.options.max_attempts = 500;
    auto result = resolve(r, index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
}

// Airflow's constraints (785 pins) with provider-style requirements: every pin honoured, fast.
TEST(Resolve, AirflowConstraintsResolveAndEveryPinIsHonoured) {
    std::ifstream in(std::string(WHEELHOUSE_FIXTURES_DIR) + "/resolve/airflow/constraints-3.11.txt");
    ASSERT_TRUE(in);
    std::vector<pep508::Requirement> pins;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto r = pep508::Requirement::parse(line);
        ASSERT_TRUE(r.has_value()) << line;
        pins.push_back(*r);
    }
    ASSERT_GT(pins.size(), 700U);

    // Each pinned project gets its pinned version plus newer ones, and depends on three others
    // (cycles included) with loose specifiers, so that the constraints decide every version.
    MemoryIndex index;
    std::vector<std::string> names;
    std::map<std::string, std::string> pinned;
    for (const auto& p : pins) {
        names.push_back(p.canonical_name());
        pinned[p.canonical_name()] = p.specifier.specifiers()[0].version_text();
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::vector<std::string> deps;
        for (std::size_t k : {i * 7 + 1, i * 13 + 2, i * 31 + 5}) deps.push_back(names[k % names.size()] + ">=0");
        index.add(names[i], pinned[names[i]], deps);
        for (const char* newer : {"9999.0", "9999.1", "10000.0rc1"}) index.add(names[i], newer, deps);
    }
    Request r = request({"apache-airflow-providers-amazon", "apache-airflow-providers-snowflake",
                         "apache-airflow-providers-postgres", "apache-airflow-providers-http", "boto3"});
    for (std::size_t i = 0; i < pins.size(); ++i) {
        r.constraints.push_back({pins[i], "constraints-3.11.txt:" + std::to_string(i + 1), ConstraintSource::airflow});
    }
    // Printed for reference only: the speed is measured by bench/resolve, not asserted here.
    std::clock_t start = std::clock();
    auto result = resolve(r, index);
    double elapsed = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    ASSERT_TRUE(result) << result.error().message;
    std::cout << "airflow: " << result->packages.size() << " packages with " << pins.size() << " constraints in "
              << elapsed * 1000 << " ms\n";
    EXPECT_GT(result->packages.size(), 50U);
    for (const auto& p : result->packages) {
        EXPECT_EQ(p.version, *pep440::Version::parse(pinned.at(p.name))) << p.name;
        EXPECT_EQ(p.constraints.size(), 1U) << p.name;
    }
}

// Found by differential.resolve (seed 243209048, graph g20). a 3.0 (newest) needs c>0.9; c 3.0 needs a>=1.1,<3,
// which excludes the pinned a 3.0. pip (resolvelib 1.0) keeps c 3.0 pinned, re-opens a, and forgets what the old
// pin a 3.0 required (c>0.9): a is pinned again to 2.0, whose c<=1.1 then moves c to 0.9. Keeping a 3.0's needs
// would give a 1.1 with c 3.0 instead (also valid, but not what pip installs).
TEST(Resolve, AReopenedPinsOldRequirementsAreForgottenAsPipDoes) {
    MemoryIndex index;
    index.add("a", "3.0", {"c>0.9"});
    index.add("a", "2.0", {"c<=1.1", "c"});
    index.add("a", "1.1", {"c>=1.0"});
    index.add("c", "3.0", {"a>=1.1,<3"});
    index.add("c", "2.1", {});
    index.add("c", "0.9", {"a!=1.5"});
    auto result = resolve(request({"a"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "2.0"}, {"c", "0.9"}}));
}

// pip's backjumping (resolvelib 1.0.1) goes back to the latest pin whose dependencies name a project of
// the conflict, skipping pins that do not, and marks that pin as not working. Here p1 1.0 cannot be
// installed (p3>=2.0 does not exist): pip gives up p4 1.0, skips p3 1.1 (it names only p4), and drops
// p0 1.1, answering {p0 1.0}. A complete search that retried p3 would keep p0 1.1 with p3 1.0, a valid
// set too, but not the one pip installs (checked with pip 24.2).
TEST(Resolve, BackjumpsAsPipDoesAndNotToTheNearestDecisionThatWouldDo) {
    MemoryIndex index;
    index.add("p0", "1.1", {"p3"});
    index.add("p0", "1.0");
    index.add("p3", "1.1", {"p4"});
    index.add("p3", "1.0", {"p0>=1.1"});
    index.add("p4", "1.0", {"p1"});
    index.add("p1", "1.0", {"p3>=2.0"});
    auto result = resolve(request({"p0"}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"p0", "1.0"}}));
}

// Where pip's search gives up although an installable set exists, the complete search still finds it.
// pip 24.2 adds the top-level requirements one at a time: `a` alone matches nothing (its only version
// is yanked and not pinned), so `a` then `a==1.0` fails, while `a==1.0` then `a` installs a 1.0.
TEST(Resolve, WherePipGivesUpTooEarlyTheCompleteSearchDecides) {
    MemoryIndex index;
    Release a = release("1.0");
    a.yanked = true;
    index.add("a", a);
    for (auto order : {std::initializer_list<std::string_view>{"a", "a==1.0"}, {"a==1.0", "a"}}) {
        auto result = resolve(request(order), index);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(versions(*result), (std::map<std::string, std::string>{{"a", "1.0"}}));
    }
}

}  // namespace
}  // namespace wheelhouse::resolve
