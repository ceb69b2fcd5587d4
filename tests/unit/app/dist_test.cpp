// dist/ as one set: the digest check deploy and verify run first, and build's locked staging folders.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/dist.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;

class Dist {
public:
    Dist() : m_root(fs::temp_directory_path() / ("wh-app-dist-" + std::to_string(::getpid()))) {
        fs::remove_all(m_root);
        fs::create_directories(m_root);
    }
    ~Dist() {
        std::error_code ec;
        fs::remove_all(m_root, ec);
    }
    Dist(const Dist&) = delete;
    auto operator=(const Dist&) -> Dist& = delete;
    Dist(Dist&&) = delete;
    auto operator=(Dist&&) -> Dist& = delete;
    void write(const std::string& name, const std::string& text) const { std::ofstream(m_root / name) << text; }
    // The four files of one build, its report describing the other three.
    void build(const std::string& zip, const std::string& requirements, const std::string& constraints) const {
        write("plugins.zip", zip);
        write("requirements.txt", requirements);
        write("constraints.txt", constraints);
        nlohmann::json report = {{"bundle", {{"sha256", util::sha256_hex(zip)}, {"size", zip.size()}}},
                                 {"requirements_sha256", util::sha256_hex(requirements)},
                                 {"constraints_sha256", util::sha256_hex(constraints)}};
        write("build-report.json", report.dump(2));
    }
    [[nodiscard]] auto path() const -> const fs::path& { return m_root; }

private:
    fs::path m_root;
};

TEST(DistCheck, OneBuildPassesAndAnInterruptedCommitIsNamedFileByFile) {
    Dist dist;
    dist.build("new zip", "foo==2\n", "foo==2\n");
    auto ok = check_dist(dist.path());
    EXPECT_TRUE(ok.report_found);
    EXPECT_TRUE(ok.ok()) << (ok.mismatches.empty() ? "" : ok.mismatches.front().message);
    // Killed between the renames: the new report and requirements.txt, the old plugins.zip.
    dist.write("plugins.zip", "old zip");
    auto mixed = check_dist(dist.path());
    ASSERT_EQ(mixed.mismatches.size(), 1U);
    EXPECT_EQ(mixed.mismatches[0].file, "plugins.zip");
    const auto error = dist_mismatch_error(dist.path(), mixed);
    EXPECT_EQ(error.code, ErrorCode::verification);
    EXPECT_NE(error.message.find("plugins.zip"), std::string::npos) << error.message;
    // A digest the caller computed already is used instead of reading the file.
    EXPECT_TRUE(check_dist(dist.path(), {{"plugins.zip", util::sha256_hex("new zip")}}).ok());
    fs::remove(dist.path() / "constraints.txt");
    auto missing = check_dist(dist.path(), {{"plugins.zip", util::sha256_hex("new zip")}});
    ASSERT_EQ(missing.mismatches.size(), 1U);
    EXPECT_EQ(missing.mismatches[0].file, "constraints.txt");
    EXPECT_NE(missing.mismatches[0].message.find("missing"), std::string::npos);
}

TEST(DistCheck, AReportWithoutDigestsOrNoneAtAll) {
    Dist dist;
    dist.write("plugins.zip", "z");
    dist.write("requirements.txt", "r");
    auto none = check_dist(dist.path());
    EXPECT_FALSE(none.report_found);
    EXPECT_TRUE(none.ok());
    dist.write("build-report.json", "{}");
    auto empty = check_dist(dist.path());
    EXPECT_TRUE(empty.report_found);
    EXPECT_EQ(empty.mismatches.size(), 3U) << "each missing digest is a mismatch";
    dist.write("build-report.json", "not json");
    EXPECT_EQ(check_dist(dist.path()).mismatches.size(), 1U);
}

TEST(StagingFolder, IsLockedWhileAliveAndADeadBuildsFolderIsRemovedByTheNext) {
    Dist dist;
    // A build killed with SIGKILL while it staged: its folder stays, its lock is gone with it.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto staging = StagingFolder::create(dist.path());
        if (!staging) ::_exit(2);
        std::ofstream(staging->path() / "plugins.zip") << "half";
        ::kill(::getpid(), SIGKILL);
        ::_exit(3);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    auto stale = [&] {
        std::size_t n = 0;
        for (const auto& e : fs::directory_iterator(dist.path())) {
            if (e.path().filename().string().starts_with(k_staging_prefix)) ++n;
        }
        return n;
    };
    ASSERT_EQ(stale(), 1U);
    {
        auto live = StagingFolder::create(dist.path());
        ASSERT_TRUE(live.has_value()) << live.error().to_string();
        EXPECT_EQ(stale(), 1U) << "the dead build's folder is gone, ours is there";
        EXPECT_TRUE(fs::exists(live->path()));
        // Our own folder is locked: a concurrent build leaves it alone.
        EXPECT_EQ(remove_stale_staging(dist.path()), 0U);
        EXPECT_TRUE(fs::exists(live->path()));
    }
    EXPECT_EQ(stale(), 0U) << "a staging folder removes itself";
}

}  // namespace
}  // namespace wheelhouse::app
