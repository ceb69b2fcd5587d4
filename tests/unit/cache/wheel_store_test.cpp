// The content-addressed wheel store: atomic commits, lookups, locks across processes, stale temporaries, prune.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::cache {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class WheelStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("wh-store-test-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    auto open() -> WheelStore {
        auto store = WheelStore::open(m_dir);
        EXPECT_TRUE(store) << (store ? "" : store.error().to_string());
        return std::move(*store);
    }

    static auto slurp(const fs::path& p) -> std::string {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    static auto put(const WheelStore& store, const std::string& filename, const std::string& content) -> StoredWheel {
        auto d = store.begin_download(filename);
        EXPECT_TRUE(d);
        std::ofstream(d->file(), std::ios::binary) << content;
        auto stored = store.commit(std::move(*d), filename, util::sha256_hex(content));
        EXPECT_TRUE(stored) << (stored ? "" : stored.error().to_string());
        return *stored;
    }

    static auto tmp_entries(const WheelStore& store) -> std::size_t {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(store.root() / "tmp")) ++n;
        return n;
    }

    fs::path m_dir;
};

TEST_F(WheelStoreTest, CommittedWheelIsFoundByDigestAndByNameAndDigest) {
    auto store = open();
    const std::string content = "wheel bytes";
    const auto sha = util::sha256_hex(content);
    auto stored = put(store, "demo-1.0-py3-none-any.whl", content);
    EXPECT_EQ(stored.path,
              store.root() / "sha256" / sha.substr(0, 2) / sha.substr(2, 2) / sha / "demo-1.0-py3-none-any.whl");
    EXPECT_EQ(slurp(stored.path), content);

    auto by_hash = store.find(sha);
    ASSERT_TRUE(by_hash);
    EXPECT_EQ(by_hash->filename, "demo-1.0-py3-none-any.whl");
    EXPECT_EQ(by_hash->size, content.size());
    std::string upper = sha;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(store.find(upper));
    EXPECT_TRUE(store.find("demo-1.0-py3-none-any.whl", sha));
    EXPECT_FALSE(store.find("other-1.0-py3-none-any.whl", sha));
    EXPECT_FALSE(store.find(util::sha256_hex("something else")));
    EXPECT_EQ(tmp_entries(store), 0U) << "the temporary folder is gone after the commit";
}

TEST_F(WheelStoreTest, VerifyHashesTheEntryAndRemovesADamagedOne) {
    auto store = open();
    auto stored = put(store, "demo-1.0-py3-none-any.whl", "wheel bytes");
    auto good = store.verify(stored);
    ASSERT_TRUE(good);
    EXPECT_TRUE(*good);
    std::ofstream(stored.path, std::ios::binary | std::ios::trunc) << "other bytes";
    auto bad = store.verify(stored);
    ASSERT_TRUE(bad);
    EXPECT_FALSE(*bad);
    EXPECT_FALSE(fs::exists(stored.path));
}

TEST_F(WheelStoreTest, NewCacheFoldersArePrivateAndAnotherUsersFolderIsRefused) {
    const auto root = m_dir / "a" / "b" / "cache";
    ::umask(022);
    ASSERT_TRUE(WheelStore::open(root));
    for (const auto& p : {m_dir / "a", m_dir / "a" / "b", root}) {
        EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_all) << p;
    }
    // A folder someone else owns (a predictable shared path another user created first).
    const auto other = m_dir / "other";
    fs::create_directories(other);
    const uid_t stranger = ::geteuid() == 0 ? 65534 : 0;
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(other.c_str(), stranger, stranger), 0);
    }
    const auto& foreign = ::geteuid() == 0 ? other : fs::path("/");
    auto refused = WheelStore::open(foreign);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::io);
    EXPECT_NE(refused.error().message.find("belongs to another user"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().hint.find("--cache-dir"), std::string::npos);
    EXPECT_FALSE(fs::exists(other / "wheels")) << "nothing is written into it";
    // A symlink another user owns is refused even when it points at our own folder.
    if (::geteuid() == 0) {
        const auto link = m_dir / "link";
        fs::create_directory_symlink(root, link);
        ASSERT_EQ(::lchown(link.c_str(), stranger, stranger), 0);
        EXPECT_FALSE(WheelStore::open(link));
    }
    // A file where the folder should be.
    std::ofstream(m_dir / "file") << "x";
    EXPECT_FALSE(WheelStore::open(m_dir / "file"));
}

TEST(DefaultCacheDir, WithoutHomeItIsPerUser) {
    const char* saved_home = std::getenv("HOME");
    const std::string home = saved_home != nullptr ? saved_home : "";
    ::unsetenv("HOME");
    ::unsetenv("XDG_CACHE_HOME");
    ::unsetenv("WHEELHOUSE_CACHE_DIR");
    const auto dir = default_cache_dir();
    if (saved_home != nullptr) ::setenv("HOME", home.c_str(), 1);
    EXPECT_EQ(dir.filename().string(), "wheelhouse-cache-" + std::to_string(::geteuid()));
}

TEST_F(WheelStoreTest, MalformedDigestsAndNamesFindNothing) {
    auto store = open();
    put(store, "demo-1.0-py3-none-any.whl", "x");
    EXPECT_FALSE(store.find("abc"));
    EXPECT_FALSE(store.find("../../etc/passwd"));
    EXPECT_FALSE(store.find("../x", util::sha256_hex("x")));
    EXPECT_FALSE(store.begin_download("../escape.whl"));
    EXPECT_FALSE(store.begin_download(".hidden.whl"));
}

TEST_F(WheelStoreTest, DroppedDownloadLeavesNoEntryAndNoTemporary) {
    auto store = open();
    {
        auto d = store.begin_download("demo-1.0-py3-none-any.whl");
        ASSERT_TRUE(d);
        std::ofstream(d->file(), std::ios::binary) << "half a wheel";
        EXPECT_EQ(tmp_entries(store), 1U);
    }
    EXPECT_EQ(tmp_entries(store), 0U);
    auto info = store.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->entries, 0U);
}

TEST_F(WheelStoreTest, TemporaryOfADeadProcessIsRemovedAtNextOpenButALiveOneIsKept) {
    auto store = open();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto d = store.begin_download("dead-1.0-py3-none-any.whl");
        if (!d) ::_exit(1);
        std::ofstream(d->file(), std::ios::binary) << "partial";
        ::_exit(0);  // dies without cleaning up, as a killed process would
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_EQ(tmp_entries(store), 1U);

    auto live = store.begin_download("live-1.0-py3-none-any.whl");
    ASSERT_TRUE(live);
    // Both folders look old enough to be considered.
    const auto old = fs::file_time_type::clock::now() - 10min;
    for (const auto& e : fs::directory_iterator(store.root() / "tmp")) fs::last_write_time(e.path(), old);

    auto reopened = open();
    ASSERT_EQ(tmp_entries(reopened), 1U) << "only the dead process's folder is removed";
    EXPECT_TRUE(fs::exists(live->file().parent_path()));
}

TEST_F(WheelStoreTest, LockIsExclusiveAcrossProcesses) {
    auto store = open();
    const auto path = store.lock_path(util::sha256_hex("x"));
    auto mine = FileLock::acquire(path);
    ASSERT_TRUE(mine);
    auto child_try = [&]() -> int {
        const pid_t child = ::fork();
        if (child == 0) {
            auto lock = FileLock::try_acquire(path);
            ::_exit(!lock ? 2 : (*lock ? 0 : 1));
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    };
    EXPECT_EQ(child_try(), 1) << "another process cannot take a held lock";
    mine->release();
    EXPECT_EQ(child_try(), 0) << "and can once it is released";
}

TEST_F(WheelStoreTest, TwoProcessesCommittingTheSameWheelEndWithOneValidCopy) {
    auto store = open();
    const std::string content(200000, 'w');
    const auto sha = util::sha256_hex(content);
    pid_t children[2];
    for (auto& child : children) {
        child = ::fork();
        if (child == 0) {
            auto lock = FileLock::acquire(store.lock_path(sha));
            if (!lock) ::_exit(1);
            if (store.find("same-1.0-py3-none-any.whl", sha)) ::_exit(0);
            auto d = store.begin_download("same-1.0-py3-none-any.whl");
            if (!d) ::_exit(1);
            std::ofstream(d->file(), std::ios::binary) << content;
            ::_exit(store.commit(std::move(*d), "same-1.0-py3-none-any.whl", sha) ? 0 : 1);
        }
    }
    for (auto child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto list = store.list();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1U);
    EXPECT_EQ(util::sha256_hex(slurp(list->front().path)), sha);
    EXPECT_EQ(tmp_entries(store), 0U);
}

TEST_F(WheelStoreTest, PruneRemovesOnlyEntriesUnusedForLongerThanTheLimit) {
    auto store = open();
    auto old_one = put(store, "old-1.0-py3-none-any.whl", "old");
    auto used_one = put(store, "used-1.0-py3-none-any.whl", "used");
    auto fresh_one = put(store, "fresh-1.0-py3-none-any.whl", "fresh");
    const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 30);
    fs::last_write_time(old_one.path, long_ago);
    fs::last_write_time(used_one.path, long_ago);
    ASSERT_TRUE(store.find(used_one.filename, used_one.sha256)) << "a lookup counts as a use";

    auto pruned = store.prune(std::chrono::hours(24 * 7));
    ASSERT_TRUE(pruned) << pruned.error().to_string();
    EXPECT_EQ(pruned->removed_entries, 1U);
    EXPECT_EQ(pruned->removed_bytes, 3U);
    EXPECT_FALSE(store.find(old_one.sha256));
    EXPECT_TRUE(store.find(used_one.sha256));
    EXPECT_TRUE(store.find(fresh_one.sha256));
}

TEST_F(WheelStoreTest, InfoCountsEntriesAndCleanRemovesThem) {
    auto store = open();
    put(store, "a-1.0-py3-none-any.whl", "aaaa");
    put(store, "b-1.0-py3-none-any.whl", "bbbbbb");
    ASSERT_TRUE(store.remember_url("https://example.org/b-1.0-py3-none-any.whl", util::sha256_hex("bbbbbb")));
    auto info = store.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->entries, 2U);
    EXPECT_EQ(info->bytes, 10U);

    auto cleaned = store.clean();
    ASSERT_TRUE(cleaned);
    EXPECT_EQ(cleaned->removed_entries, 2U);
    EXPECT_EQ(cleaned->removed_bytes, 10U);
    info = store.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->entries, 0U);
    EXPECT_FALSE(store.recall_url("https://example.org/b-1.0-py3-none-any.whl"));
}

TEST_F(WheelStoreTest, CleanLeavesAnEntryWhoseLockAnotherProcessHolds) {
    auto store = open();
    auto busy = put(store, "busy-1.0-py3-none-any.whl", "busy");
    auto lock = FileLock::acquire(store.lock_path(busy.sha256));
    ASSERT_TRUE(lock);
    auto cleaned = store.clean();
    ASSERT_TRUE(cleaned);
    EXPECT_EQ(cleaned->removed_entries, 0U);
    EXPECT_TRUE(store.find(busy.sha256));
}

TEST_F(WheelStoreTest, RemembersTheDigestOfAUrl) {
    auto store = open();
    const auto sha = util::sha256_hex("content");
    EXPECT_FALSE(store.recall_url("https://i/x.whl"));
    ASSERT_TRUE(store.remember_url("https://i/x.whl", sha));
    EXPECT_EQ(store.recall_url("https://i/x.whl").value_or(""), sha);
}

TEST_F(WheelStoreTest, OldPartialDownloadsAreRemovedAtOpen) {
    auto store = open();
    const auto dir = store.partial_dir(util::sha256_hex("p"));
    fs::create_directories(dir);
    std::ofstream(dir / "p-1.0-py3-none-any.whl") << "partial";
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(24 * 30);
    fs::last_write_time(dir / "p-1.0-py3-none-any.whl", old);
    fs::last_write_time(dir, old);
    auto recent = store.partial_dir(util::sha256_hex("q"));
    fs::create_directories(recent);
    std::ofstream(recent / "q-1.0-py3-none-any.whl") << "partial";
    auto reopened = open();
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_TRUE(fs::exists(recent));
}

}  // namespace
}  // namespace wheelhouse::cache
