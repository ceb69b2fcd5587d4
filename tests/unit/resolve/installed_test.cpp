// Resolution against an environment that already has packages installed (an MWAA image): pip without --upgrade
// keeps an installed version wherever every requirement and constraint admits it.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "memory_index.hpp"
#include "wheelhouse/resolve/resolve.hpp"

namespace wheelhouse::resolve {
namespace {

using testing::MemoryIndex;
using testing::Release;
using testing::mwaa_target;
using testing::req;

auto installed(std::string name, std::optional<std::string> version) -> InstalledDistribution {
    InstalledDistribution d;
    d.name = std::move(name);
    if (version) d.version = pep440::Version::parse(*version).value();
    return d;
}

auto request(std::initializer_list<std::string_view> requirements, std::vector<InstalledDistribution> image)
    -> Request {
    Request r;
    r.target = mwaa_target();
    int line = 0;
    for (auto text : requirements) r.requirements.push_back({req(text), "requirements.txt:" + std::to_string(++line)});
    r.installed = std::move(image);
    return r;
}

struct Outcome {
    std::map<std::string, std::string> install;  // what pip installs: name -> version
    std::map<std::string, std::string> kept;     // kept from the environment
};

auto outcome(const Resolution& resolution) -> Outcome {
    Outcome out;
    for (const auto& p : resolution.packages) {
        (p.installed ? out.kept : out.install)[p.name] = p.version_known ? p.version.to_string() : "?";
    }
    return out;
}

using Map = std::map<std::string, std::string>;

TEST(ResolveInstalled, KeepsAnInstalledVersionThatSatisfiesAndInstallsOnlyTheRest) {
    MemoryIndex index;
    index.add("provider", "5.8.0", {"base>=1.0", "lib"});
    index.add("base", "1.0", {"dep"});
    index.add("base", "2.0", {"dep"});
    index.add("dep", "1.0");
    index.add("dep", "3.0");
    index.add("lib", "0.5");
    auto result = resolve(request({"provider==5.8.0"}, {installed("base", "1.0"), installed("dep", "1.0")}), index);
    ASSERT_TRUE(result) << result.error().message;
    auto o = outcome(*result);
    EXPECT_EQ(o.install, (Map{{"lib", "0.5"}, {"provider", "5.8.0"}}));
    EXPECT_EQ(o.kept, (Map{{"base", "1.0"}, {"dep", "1.0"}}));
    for (const auto& p : result->packages) {
        if (p.name == "base") {
            EXPECT_EQ(p.file.filename, "base-1.0-py3-none-any.whl");  // the index's file of the kept version
            EXPECT_FALSE(p.replaces);
        }
    }
}

TEST(ResolveInstalled, ReplacesAnInstalledVersionOnlyWhenARequirementExcludesIt) {
    MemoryIndex index;
    index.add("app", "1.0", {"lib>=2"});
    index.add("lib", "1.5");
    index.add("lib", "2.0");
    index.add("lib", "2.5");
    auto result = resolve(request({"app"}, {installed("lib", "1.5")}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(outcome(*result).install, (Map{{"app", "1.0"}, {"lib", "2.5"}}));
    for (const auto& p : result->packages) {
        if (p.name == "lib") {
            ASSERT_TRUE(p.replaces);
            EXPECT_EQ(*p.replaces, "1.5");
            ASSERT_EQ(p.required_by.size(), 1U);
            EXPECT_EQ(p.required_by[0].parent, "app 1.0");
        }
    }
}

TEST(ResolveInstalled, AConstraintThatExcludesTheInstalledVersionReplacesIt) {
    MemoryIndex index;
    index.add("lib", "1.0");
    index.add("lib", "2.0");
    auto r = request({"lib"}, {installed("lib", "1.0")});
    r.constraints.push_back({req("lib>1.0"), "constraints.txt:1", ConstraintSource::user});
    auto result = resolve(r, index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(outcome(*result).install, (Map{{"lib", "2.0"}}));
}

TEST(ResolveInstalled, AnInstalledPrereleaseOrYankedOrIncompatibleVersionIsStillKept) {
    MemoryIndex index;
    Release pre;
    pre.version = "2.0b1";
    index.add("pre", pre);
    index.add("pre", "1.0");
    Release yanked;
    yanked.version = "3.0";
    yanked.yanked = true;
    index.add("yank", yanked);
    index.add("yank", "2.0");
    Release windows;
    windows.version = "4.0";
    windows.sdist = false;
    windows.wheel_tags = {"cp311-cp311-win_amd64"};
    windows.requires_dist = {"extra-dep"};
    index.add("plat", windows);
    index.add("plat", "1.0");
    index.add("extra-dep", "1.0");
    // pip checks neither an installed distribution's tags nor its Requires-Python, nor the prerelease and yanked
    // rules: only whether the specifiers contain its version.
    auto result = resolve(request({"pre", "yank", "plat"},
                                  {installed("pre", "2.0b1"), installed("yank", "3.0"), installed("plat", "4.0")}),
                          index);
    ASSERT_TRUE(result) << result.error().message;
    auto o = outcome(*result);
    EXPECT_EQ(o.kept, (Map{{"plat", "4.0"}, {"pre", "2.0b1"}, {"yank", "3.0"}}));
    // Its requirements are the index metadata's of that version (the incompatible wheel's).
    EXPECT_EQ(o.install, (Map{{"extra-dep", "1.0"}}));
}

TEST(ResolveInstalled, AnInstalledVersionTheIndexLacksIsKeptWithoutRequirements) {
    MemoryIndex index;
    index.add("app", "1.0", {"private-lib>=1"});
    index.add("private-lib", "0.9");
    auto result = resolve(request({"app"}, {installed("private-lib", "7.1")}), index);
    ASSERT_TRUE(result) << result.error().message;
    auto o = outcome(*result);
    EXPECT_EQ(o.kept, (Map{{"private-lib", "7.1"}}));
    for (const auto& p : result->packages) {
        if (p.name == "private-lib") {
            EXPECT_TRUE(p.file.filename.empty());
        }
    }
    // ... and a project the index does not have at all.
    auto only_installed = resolve(request({"not-on-index"}, {installed("not-on-index", "1.0")}), index);
    ASSERT_TRUE(only_installed) << only_installed.error().message;
    EXPECT_EQ(outcome(*only_installed).kept, (Map{{"not-on-index", "1.0"}}));
}

TEST(ResolveInstalled, AnUnknownInstalledVersionSatisfiesOnlyABareRequirement) {
    MemoryIndex index;
    index.add("a", "1.0", {"setuptools"});
    index.add("b", "1.0", {"setuptools>=70"});
    index.add("setuptools", "69.0");
    index.add("setuptools", "75.0");
    auto bare = resolve(request({"a"}, {installed("setuptools", std::nullopt)}), index);
    ASSERT_TRUE(bare) << bare.error().message;
    EXPECT_EQ(outcome(*bare).kept, (Map{{"setuptools", "?"}}));
    auto versioned = resolve(request({"b"}, {installed("setuptools", std::nullopt)}), index);
    ASSERT_TRUE(versioned) << versioned.error().message;
    EXPECT_EQ(outcome(*versioned).install, (Map{{"b", "1.0"}, {"setuptools", "75.0"}}));
}

TEST(ResolveInstalled, ExtrasOfAnInstalledPackageAddOnlyTheExtrasRequirements) {
    MemoryIndex index;
    Release base;
    base.version = "1.0";
    base.requires_dist = {"core-dep"};
    base.extras = {{"s3", {"boto>=2"}}};
    index.add("pkg", base);
    Release newer = base;
    newer.version = "2.0";
    index.add("pkg", newer);
    index.add("core-dep", "1.0");
    index.add("boto", "2.1");
    auto result = resolve(request({"pkg[s3]"}, {installed("pkg", "1.0"), installed("core-dep", "1.0")}), index);
    ASSERT_TRUE(result) << result.error().message;
    auto o = outcome(*result);
    EXPECT_EQ(o.kept, (Map{{"core-dep", "1.0"}, {"pkg", "1.0"}}));
    EXPECT_EQ(o.install, (Map{{"boto", "2.1"}}));
}

TEST(ResolveInstalled, BacktracksAwayFromAnInstalledVersionWhoseRequirementsConflict) {
    MemoryIndex index;
    index.add("top", "1.0", {"mid", "leaf<2"});
    index.add("mid", "1.0", {"leaf<2"});
    index.add("mid", "2.0", {"leaf>=2"});
    index.add("leaf", "1.0");
    index.add("leaf", "2.0");
    // The image has mid 2.0 (needs leaf>=2), but top needs leaf<2: mid 1.0 from the index replaces it.
    auto result = resolve(request({"top"}, {installed("mid", "2.0"), installed("leaf", "2.0")}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(outcome(*result).install, (Map{{"leaf", "1.0"}, {"mid", "1.0"}, {"top", "1.0"}}));
}

TEST(ResolveInstalled, AnEssentialPinAgainstARequirementIsAConflictNamingThePin) {
    MemoryIndex index;
    index.add("provider", "1.0", {"celery>=5.5"});
    index.add("celery", "5.4.0");
    index.add("celery", "5.5.0");
    auto r = request({"provider"}, {installed("celery", "5.4.0")});
    r.constraints.push_back(
        {req("celery==5.4.0"), "MWAA essential constraints for Airflow 2.10.3", ConstraintSource::mwaa_essential});
    auto result = resolve(r, index);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::resolution);
    EXPECT_NE(result.error().message.find("celery==5.4.0 (MWAA essential pin"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("celery>=5.5 (required by requirements.txt:1 -> provider 1.0)"),
              std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("available versions of celery: 5.4.0 (installed), 5.5.0"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().hint.find("essential pins"), std::string::npos) << result.error().hint;
}

TEST(ResolveInstalled, WithoutAnInstalledSetEverythingIsInstalledAsBefore) {
    MemoryIndex index;
    index.add("app", "1.0", {"lib"});
    index.add("lib", "1.0");
    auto result = resolve(request({"app"}, {}), index);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(outcome(*result).install, (Map{{"app", "1.0"}, {"lib", "1.0"}}));
    EXPECT_TRUE(outcome(*result).kept.empty());
}

}  // namespace
}  // namespace wheelhouse::resolve
