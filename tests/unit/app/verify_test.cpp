#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wheelhouse/app/verify.hpp"

namespace wheelhouse::app {
namespace {

auto kinds(const RequirementsScan& scan) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& p : scan.problems) out.push_back(p.kind);
    return out;
}

constexpr const char* k_good =
    "# header\n"
    "--find-links /usr/local/airflow/plugins\n"
    "--no-index\n"
    "--constraint \"/usr/local/airflow/plugins/constraints.txt\"\n"
    "apache-airflow-providers-snowflake==5.8.0\n";

TEST(ScanMwaaRequirements, AcceptsTheFileBuildWrites) {
    auto scan = scan_mwaa_requirements(k_good, "/usr/local/airflow/plugins", "");
    EXPECT_TRUE(scan.problems.empty()) << ::testing::PrintToString(kinds(scan));
    ASSERT_TRUE(scan.constraint_path.has_value());
    EXPECT_EQ(*scan.constraint_path, "/usr/local/airflow/plugins/constraints.txt");
    EXPECT_EQ(scan.constraint_line, 4);
    // Option lines are blanked, line numbers kept for the requirement parser.
    EXPECT_EQ(scan.requirement_text, "# header\n\n\n\napache-airflow-providers-snowflake==5.8.0\n");
}

TEST(ScanMwaaRequirements, AcceptsShortConstraintAndTrailingSlash) {
    auto scan =
        scan_mwaa_requirements("-f /usr/local/airflow/plugins/\n--no-index\n-c /usr/local/airflow/plugins/c.txt\n",
                               "/usr/local/airflow/plugins", "");
    EXPECT_TRUE(scan.problems.empty()) << ::testing::PrintToString(kinds(scan));
    EXPECT_EQ(scan.constraint_path.value_or(""), "/usr/local/airflow/plugins/c.txt");
}

TEST(ScanMwaaRequirements, RejectsConstraintWithEqualsSignThatMwaaDoesNotSee) {
    auto scan = scan_mwaa_requirements(
        "--find-links "
        "/usr/local/airflow/plugins\n--no-index\n--constraint=/usr/local/airflow/plugins/constraints.txt\n",
        "/usr/local/airflow/plugins", "");
    auto k = kinds(scan);
    EXPECT_NE(std::find(k.begin(), k.end(), "constraint_not_recognised"), k.end()) << ::testing::PrintToString(k);
    ASSERT_FALSE(scan.problems.empty());
    EXPECT_EQ(scan.problems.front().line, 3);
}

TEST(ScanMwaaRequirements, RejectsConstraintUrl) {
    auto scan = scan_mwaa_requirements(
        "--find-links /usr/local/airflow/plugins\n--no-index\n"
        "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\n",
        "/usr/local/airflow/plugins", "");
    EXPECT_EQ(kinds(scan), std::vector<std::string>{"constraint_url"});
}

TEST(ScanMwaaRequirements, ReportsMissingNoIndexFindLinksAndConstraint) {
    auto scan = scan_mwaa_requirements("requests==2.31.0\n", "/usr/local/airflow/plugins", "");
    EXPECT_EQ(kinds(scan), (std::vector<std::string>{"no_index", "find_links", "constraint_missing"}));
}

TEST(ScanMwaaRequirements, FindLinksMustPointAtTheWheelDir) {
    const std::string text =
        "--find-links /usr/local/airflow/plugins\n--no-index\n-c /usr/local/airflow/plugins/c.txt\n";
    auto scan = scan_mwaa_requirements(text, "/usr/local/airflow/plugins", "wheels");
    EXPECT_EQ(kinds(scan), std::vector<std::string>{"find_links"});
    auto ok = scan_mwaa_requirements("--find-links /usr/local/airflow/plugins/wheels\n--no-index\n-c /x/c.txt\n",
                                     "/usr/local/airflow/plugins", "wheels");
    EXPECT_TRUE(ok.problems.empty()) << ::testing::PrintToString(kinds(ok));
}

TEST(ScanMwaaRequirements, CommentsAndContinuationsAreReadAsPipReadsThem) {
    auto scan = scan_mwaa_requirements(
        "--find-links \\\n  /usr/local/airflow/plugins  # where MWAA unzips\n--no-index\n"
        "#--constraint https://example.com/c.txt\n-c /usr/local/airflow/plugins/constraints.txt\nx==1\n",
        "/usr/local/airflow/plugins", "");
    EXPECT_TRUE(scan.problems.empty()) << ::testing::PrintToString(kinds(scan));
    EXPECT_EQ(scan.requirement_text, "\n\n\n#--constraint https://example.com/c.txt\n\nx==1\n");
}

TEST(ScanMwaaRequirements, IncludedFilesCannotBeChecked) {
    auto scan = scan_mwaa_requirements(
        "--find-links /usr/local/airflow/plugins\n--no-index\n-c /usr/local/airflow/plugins/c.txt\n-r other.txt\n",
        "/usr/local/airflow/plugins", "");
    EXPECT_EQ(kinds(scan), std::vector<std::string>{"unsupported_line"});
}

}  // namespace
}  // namespace wheelhouse::app
