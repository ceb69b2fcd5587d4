// Every non-universal packse scenario (astral-sh/packse, fixtures/corpora/packse) resolved with an
// in-memory index built from the scenario, with pip's semantics.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "memory_index.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/resolve/resolve.hpp"

namespace wheelhouse::resolve {
namespace {

using nlohmann::json;

// Scenarios whose packse expectation is uv's behaviour where pip (which wheelhouse follows) does
// otherwise. For each, the outcome pip gives is asserted instead; fixtures/resolve/packse-pip/ holds
// the outcomes pip 24.2 gave (wheels-only, file:// index) and the script that produced them.
struct PipOutcome {
    bool satisfiable;
    std::map<std::string, std::string> packages;  // empty: not checked
    const char* why;
};
const std::map<std::string, PipOutcome>& pip_differs() {
    static const std::map<std::string, PipOutcome> table = {
        {"python-less-than-current",
         {false, {}, "uv ignores a Requires-Python upper bound (<=3.8); pip rejects the only version for Python 3.9"}},
        {"package-only-prereleases-boundary",
         {false,
          {},
          "pip 24 (packaging 24) falls back to prereleases only for an empty specifier; 'a<0.2.0' "
          "excludes the only (pre)release 0.1.0a1"}},
        {"package-prereleases-specifier-boundary",
         {true,
          {{"a", "0.1.0"}},
          "pip 24: '<0.2.0a2' names a prerelease with '<', which does not opt in; newest final is 0.1.0"}},
        {"transitive-package-only-prereleases-in-range-opt-in",
         {false,
          {},
          "pip 24: the root's 'b>0.0.0a1' uses '>', which does not opt into prereleases, so b 1.0.0a1 "
          "is not a candidate for a's 'b>0.1'"}},
        {"transitive-prerelease-and-stable-dependency",
         {true,
          {{"a", "1.0.0"}, {"b", "1.0.0"}, {"c", "2.0.0b1"}},
          "pip merges every specifier on c; a's c==2.0.0b1 names a prerelease, which opts the merged set in "
          "(uv only honours first-party opt-ins)"}},
        {"transitive-prerelease-and-stable-dependency-many-versions",
         {true,
          {{"a", "1.0.0"}, {"b", "1.0.0"}, {"c", "2.0.0b9"}},
          "as transitive-prerelease-and-stable-dependency: a's c>=2.0.0b1 opts pip's merged specifier into "
          "prereleases"}},
        {"transitive-yanked-and-unyanked-dependency",
         {true,
          {{"a", "1.0.0"}, {"b", "1.0.0"}, {"c", "2.0.0"}},
          "pip allows the yanked c 2.0.0 because the merged specifier pins it (a's c==2.0.0) and every match is "
          "yanked (PEP 592); uv only honours first-party pins"}},
    };
    return table;
}

// uv-only settings that pip has no equivalent of.
auto not_applicable(const json& scenario) -> std::string {
    const auto& options = scenario.value("resolver_options", json::object());
    if (options.value("universal", false)) return "universal (uv's cross-platform lock mode)";
    if (options.contains("required_environments")) return "required_environments is uv's universal lock option";
    return {};
}

auto load_scenarios() -> json {
    std::ifstream in(std::string(WHEELHOUSE_CORPORA_DIR) + "/packse/scenarios_all.json");
    return json::parse(in);
}

auto make_target(const std::string& python, const std::string& platform) -> tags::Target {
    tags::TargetOptions options;
    options.python_version = python;
    options.platforms = {platform};
    auto target = tags::Target::from_options(options, "packse");
    EXPECT_TRUE(target.has_value()) << python << " " << platform;
    return target ? *target : tags::Target{};
}

TEST(Packse, EveryNonUniversalScenarioResolvesAsPipWould) {
    json scenarios = load_scenarios();
    ASSERT_EQ(scenarios.size(), 148U);
    int run = 0;
    int passed = 0;
    int skipped = 0;
    int pip_rule = 0;
    std::vector<std::string> failures;
    for (const auto& s : scenarios) {
        const std::string name = s["name"];
        if (auto reason = not_applicable(s); !reason.empty()) {
            ++skipped;
            continue;
        }
        ++run;
        const auto& options = s.value("resolver_options", json::object());
        const auto& environment = s.value("environment", json::object());
        std::string python = options.value("python", environment.value("python", std::string("3.12")));
        std::string platform = "manylinux_2_34_x86_64";
        if (options.contains("python_platform")) {
            ASSERT_EQ(options["python_platform"], "x86_64-manylinux2014") << name;
            platform = "manylinux2014_x86_64";
        }

        testing::MemoryIndex index;
        for (const auto& [project, data] : s["packages"].items()) {
            for (const auto& [version, v] : data["versions"].items()) {
                testing::Release r;
                r.version = version;
                r.requires_dist = v.value("requires", std::vector<std::string>{});
                r.requires_python = v.value("requires_python", std::string(">=3.12"));
                if (v.contains("extras")) r.extras = v["extras"].get<std::map<std::string, std::vector<std::string>>>();
                r.sdist = v.value("sdist", true);
                r.wheel = v.value("wheel", true);
                if (v.contains("wheel_tags")) r.wheel_tags = v["wheel_tags"].get<std::vector<std::string>>();
                r.yanked = v.value("yanked", false);
                index.add(project, std::move(r));
            }
        }
        Request request;
        request.target = make_target(python, platform);
        request.options.only_binary = false;  // packse assumes sdists can be built, as pip does by default
        request.options.pre = options.value("prereleases", false);
        for (const auto& n : options.value("no_binary", std::vector<std::string>{}))
            request.options.no_binary.insert(pep508::canonicalize_name(n));
        for (const auto& n : options.value("no_build", std::vector<std::string>{}))
            request.options.only_binary_names.insert(pep508::canonicalize_name(n));
        int line = 0;
        for (const auto& text : s["root"]["requires"]) {
            auto req = pep508::Requirement::parse(text.get<std::string>());
            ASSERT_TRUE(req.has_value()) << name << ": " << text;
            request.requirements.push_back({*req, "root:" + std::to_string(++line)});
        }

        bool satisfiable = s["expected"]["satisfiable"];
        std::map<std::string, std::string> expected;
        if (s["expected"].contains("packages"))
            expected = s["expected"]["packages"].get<std::map<std::string, std::string>>();
        if (auto it = pip_differs().find(name); it != pip_differs().end()) {
            ++pip_rule;
            satisfiable = it->second.satisfiable;
            expected = it->second.packages;
        }

        auto result = resolve(request, index);
        if (std::getenv("WHEELHOUSE_PRINT_EXPLANATIONS") != nullptr && !result) {
            std::cout << "== " << name << "\n" << result.error().to_string() << "\n";
        }
        std::string problem;
        if (satisfiable && !result) {
            problem = "expected a solution, got: " + result.error().message;
        } else if (!satisfiable && result) {
            problem = "expected no solution, got " + std::to_string(result->packages.size()) + " packages:";
            for (const auto& p : result->packages) problem += " " + p.name + "==" + p.version.to_string();
        } else if (!satisfiable) {
            if (result.error().code != ErrorCode::resolution)
                problem = "wrong error code: " + result.error().to_string();
            if (result.error().message.find('\n') == std::string::npos) problem += " explanation too short";
        } else if (!expected.empty()) {
            std::map<std::string, std::string> got;
            for (const auto& p : result->packages) got[p.name] = p.version.to_string();
            std::map<std::string, std::string> want;
            for (const auto& [n, v] : expected)
                want[pep508::canonicalize_name(n)] = pep440::Version::parse(v)->to_string();
            if (got != want) {
                problem = "wrong set; got:";
                for (const auto& [n, v] : got) problem += " " + n + "==" + v;
                problem += "; want:";
                for (const auto& [n, v] : want) problem += " " + n + "==" + v;
            }
        }
        if (problem.empty()) {
            ++passed;
        } else {
            failures.push_back(name + ": " + problem);
        }
    }
    for (const auto& f : failures) ADD_FAILURE() << f;
    std::cout << "packse: " << passed << "/" << run << " scenarios passed (" << pip_rule
              << " with pip's outcome instead of uv's), " << skipped << " not applicable (universal)\n";
    EXPECT_EQ(run, 107);
    EXPECT_EQ(skipped, 41);
    EXPECT_EQ(passed, run);
}

}  // namespace
}  // namespace wheelhouse::resolve
