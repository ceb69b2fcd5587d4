// The MWAA requirements rewrite and the constraints merge: exact output (golden files that
// tests/differential/test_reqfile.py also has pip read), determinism, MWAA's space rule, conflicts.
#include <algorithm>
#include <filesystem>
#include <random>
#include <regex>

#include <gtest/gtest.h>

#include "wheelhouse/bundle/requirements_rewrite.hpp"
#include "wheelhouse/util/file.hpp"

namespace fs = std::filesystem;
using namespace wheelhouse;
using namespace wheelhouse::bundle;

namespace {

const fs::path bundle_dir = fs::path(WHEELHOUSE_FIXTURES_DIR) / "bundle";
const fs::path airflow_constraints = fs::path(WHEELHOUSE_FIXTURES_DIR) / "reqfiles" / "remote" /
                                     "raw.githubusercontent.com" / "apache" / "airflow" / "constraints-2-9" /
                                     "constraints-3.11.txt";

auto req(std::string_view text) -> pep508::Requirement {
    auto r = pep508::Requirement::parse(text);
    EXPECT_TRUE(r) << text;
    return r ? *r : pep508::Requirement{};
}

auto sample() -> std::vector<ResolvedRequirement> {
    return {
        {req("apache-airflow-providers-snowflake"),
         "5.5.1",
         {"sha256:" + std::string(64, 'e'), "sha256:" + std::string(64, 'a')}},
        {req("requests[socks,security] >= 2.0 ; python_version >= \"3.8\""),
         "2.31.0",
         {"sha512:" + std::string(128, 'c')}},
        {req("Boto3>=1.30"), "1.34.106", {"sha256:" + std::string(64, 'b')}},
        {req("private_pkg @ https://files.example/private_pkg-1.0-py3-none-any.whl"),
         "1.0",
         {"sha256:" + std::string(64, 'd')}},
    };
}

auto options() -> RewriteOptions {
    RewriteOptions o;
    o.tool_version = "0.1.0";
    o.target = "mwaa-2.9.2";
    o.write_hashes = true;
    return o;
}

TEST(MwaaRequirements, WritesTheGoldenFileExactly) {
    auto out = write_mwaa_requirements(sample(), options());
    ASSERT_TRUE(out) << out.error().to_string();
    auto golden = util::read_file(bundle_dir / "mwaa_requirements.txt");
    ASSERT_TRUE(golden);
    EXPECT_EQ(*out, *golden);
}

TEST(MwaaRequirements, ConstraintLineHasASpaceThatMwaaRecognises) {
    auto out = write_mwaa_requirements(sample(), options());
    ASSERT_TRUE(out);
    EXPECT_NE(out->find("\n--constraint \"/usr/local/airflow/plugins/constraints.txt\"\n"), std::string::npos);
    EXPECT_EQ(out->find("--constraint="), std::string::npos);
    EXPECT_TRUE(std::regex_search(*out, std::regex("(^|\n)(-c |--constraint )")));
    EXPECT_NE(out->find("\n--no-index\n"), std::string::npos);
    EXPECT_NE(out->find("\n--find-links /usr/local/airflow/plugins\n"), std::string::npos);
}

TEST(MwaaRequirements, SameInputInAnyOrderGivesTheSameBytes) {
    auto first = write_mwaa_requirements(sample(), options());
    ASSERT_TRUE(first);
    auto items = sample();
    std::mt19937 rng(7);
    for (int i = 0; i < 10; ++i) {
        std::shuffle(items.begin(), items.end(), rng);
        for (auto& it : items) std::reverse(it.hashes.begin(), it.hashes.end());
        auto again = write_mwaa_requirements(items, options());
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *first);
    }
}

TEST(MwaaRequirements, FindLinksAndConstraintsPathAreConfigurable) {
    auto o = options();
    o.find_links = "/usr/local/airflow/plugins/wheels";
    o.constraints_path = "/usr/local/airflow/plugins/wheels/constraints.txt";
    o.write_hashes = false;
    auto out = write_mwaa_requirements(sample(), o);
    ASSERT_TRUE(out);
    EXPECT_NE(out->find("--find-links /usr/local/airflow/plugins/wheels\n"), std::string::npos);
    EXPECT_NE(out->find("--constraint \"/usr/local/airflow/plugins/wheels/constraints.txt\"\n"), std::string::npos);
    EXPECT_EQ(out->find("--hash"), std::string::npos);
}

TEST(MwaaRequirements, OurOwnParserReadsItBackAsPinsWithHashes) {
    // A plugins folder that exists nowhere (the e2e tests unzip bundles into /usr/local/airflow/plugins, which
    // would make the constraints file readable).
    const std::string plugins = "/nonexistent-wheelhouse-test/airflow/plugins";
    auto opts = options();
    opts.find_links = plugins;
    opts.constraints_path = plugins + "/constraints.txt";
    auto out = write_mwaa_requirements(sample(), opts);
    ASSERT_TRUE(out);
    // Drop the -c line: the constraints file exists only on MWAA.
    auto text = *out;
    auto c = text.find("--constraint");
    text.erase(c, text.find('\n', c) - c + 1);
    auto parsed = reqfile::parse_text(text, "requirements.txt");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_TRUE(parsed->options.no_index);
    EXPECT_EQ(parsed->options.find_links, std::vector<std::string>{plugins});
    ASSERT_EQ(parsed->requirements.size(), 4U);
    EXPECT_EQ(parsed->requirements[0].requirement.to_string(), "apache-airflow-providers-snowflake==5.5.1");
    EXPECT_EQ(parsed->requirements[0].hashes.at("sha256").size(), 2U);
    EXPECT_EQ(parsed->requirements[1].requirement.to_string(), "Boto3==1.34.106");
    EXPECT_EQ(parsed->requirements[3].requirement.to_string(),
              "requests[security,socks]==2.31.0; python_version >= \"3.8\"");
    // And the constraint line names exactly the path (quotes removed as pip's shlex does).
    auto with_c = reqfile::parse_text(*out, "requirements.txt");
    ASSERT_FALSE(with_c);
    EXPECT_NE(with_c.error().message.find("'" + plugins + "/constraints.txt'"), std::string::npos)
        << with_c.error().to_string();
}

TEST(MwaaRequirements, RejectsBadVersionsAndHashes) {
    auto items = sample();
    items[0].version = "not a version";
    EXPECT_FALSE(write_mwaa_requirements(items, options()));
    items = sample();
    items[0].hashes = {"md5:abc"};
    EXPECT_FALSE(write_mwaa_requirements(items, options()));
    items = sample();
    items[1].hashes.clear();  // partly hashed: pip's hash-checking mode would refuse the rest
    EXPECT_FALSE(write_mwaa_requirements(items, options()));
    auto o = options();
    o.constraints_path = "/x\"y";
    EXPECT_FALSE(write_mwaa_requirements(sample(), o));
}

auto target_constraints() -> std::vector<reqfile::Entry> {
    auto parsed = reqfile::parse_file(airflow_constraints.string());
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().to_string());
    return parsed ? parsed->requirements : std::vector<reqfile::Entry>{};
}

TEST(MergeConstraints, WritesTheGoldenMergedFile) {
    auto user = reqfile::parse_text("boto3<2\nsnowflake-connector-python>=3.0\nrequests==2.31.0\nmy-lib==0.3\n",
                                    "my-constraints.txt", {});
    ASSERT_TRUE(user);
    auto target = target_constraints();
    ASSERT_FALSE(target.empty());
    MergeOptions o{"0.1.0", "mwaa-2.9.2"};
    auto merged = merge_constraints(user->requirements, target, o);
    ASSERT_TRUE(merged) << merged.error().to_string();
    auto golden = util::read_file(bundle_dir / "mwaa_constraints.txt");
    ASSERT_TRUE(golden);
    EXPECT_EQ(*merged, *golden);
}

TEST(MergeConstraints, AConflictingPinNamesBothOrigins) {
    auto user = reqfile::parse_text("boto3<2\nrequests==2.32.3\n", "my-constraints.txt", {});
    ASSERT_TRUE(user);
    auto merged = merge_constraints(user->requirements, target_constraints(), {});
    ASSERT_FALSE(merged);
    EXPECT_NE(merged.error().message.find("my-constraints.txt:2"), std::string::npos) << merged.error().to_string();
    EXPECT_NE(merged.error().message.find("constraints-3.11.txt:"), std::string::npos) << merged.error().to_string();
    EXPECT_EQ(merged.error().location.line, 2);
}

TEST(MergeConstraints, ARangeThatExcludesTheTargetPinIsAConflict) {
    auto user = reqfile::parse_text("boto3<1.30\n", "c.txt", {});
    ASSERT_TRUE(user);
    auto merged = merge_constraints(user->requirements, target_constraints(), {});
    ASSERT_FALSE(merged);
    EXPECT_NE(merged.error().message.find("c.txt:1"), std::string::npos);
}

}  // namespace
