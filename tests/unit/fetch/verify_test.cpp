// The wheel check (RECORD, METADATA, paths, symlinks, limits) on the committed fixture wheels and on wheels
// generated here, and the fetch pipeline's cache-only paths (offline, --require-hashes, bad input).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::fetch {
namespace {

namespace fs = std::filesystem;

const fs::path fixtures = fs::path(WHEELHOUSE_FIXTURES_DIR) / "wheels";

auto slurp(const fs::path& p) -> std::string {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// RECORD's "sha256=<urlsafe base64 without padding>".
auto record_hash(std::string_view data) -> std::string {
    util::Sha256 h;
    h.update(data);
    const auto digest = h.finish();
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < digest.size(); i += 3) {
        const unsigned v = (unsigned{digest[i]} << 16U) | (unsigned{digest[i + 1]} << 8U) | digest[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> static_cast<unsigned>(s)) & 63U];
    }
    const unsigned v = (unsigned{digest[i]} << 16U) | (unsigned{digest[i + 1]} << 8U);
    out += alphabet[(v >> 18U) & 63U];
    out += alphabet[(v >> 12U) & 63U];
    out += alphabet[(v >> 6U) & 63U];
    return "sha256=" + out;
}

auto init_row(std::vector<std::string>& rows) -> std::string& {
    for (auto& r : rows) {
        if (r.rfind("gen_pkg/__init__.py,", 0) == 0) return r;
    }
    ADD_FAILURE() << "no row for gen_pkg/__init__.py";
    return rows.front();
}

// A wheel description that tests bend in one place each.
struct Spec {
    std::string project = "gen_pkg";
    std::string version = "1.0";
    std::map<std::string, std::string> files = {{"gen_pkg/__init__.py", "x = 1\n"}, {"gen_pkg/data.txt", "data\n"}};
    std::string metadata_name = "gen-pkg";
    std::string metadata_version = "1.0";
    std::function<void(std::vector<std::string>&)> edit_record;  // rows before RECORD's own row
    std::vector<std::string> unlisted;                           // files added but not in RECORD
};

class VerifyTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("wh-verify-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    auto build(const Spec& spec) -> fs::path {
        const std::string dist_info = spec.project + "-" + spec.version + ".dist-info";
        std::map<std::string, std::string> files = spec.files;
        files[dist_info + "/METADATA"] =
            "Metadata-Version: 2.1\nName: " + spec.metadata_name + "\nVersion: " + spec.metadata_version + "\n";
        files[dist_info + "/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
        std::vector<std::string> rows;
        for (const auto& [name, data] : files) {
            rows.push_back(name + "," + record_hash(data) + "," + std::to_string(data.size()));
        }
        if (spec.edit_record) spec.edit_record(rows);
        rows.push_back(dist_info + "/RECORD,,");
        std::string record;
        for (const auto& r : rows) record += r + "\n";
        archive::ZipWriter writer;
        for (const auto& [name, data] : files) EXPECT_TRUE(writer.add_bytes(name, data));
        for (const auto& name : spec.unlisted) EXPECT_TRUE(writer.add_bytes(name, "unlisted\n"));
        EXPECT_TRUE(writer.add_bytes(dist_info + "/RECORD", record));
        const auto path = m_dir / filename(spec);
        auto written = writer.write(path);
        EXPECT_TRUE(written) << (written ? "" : written.error().to_string());
        return path;
    }
    static auto filename(const Spec& spec) -> std::string {
        return spec.project + "-" + spec.version + "-py3-none-any.whl";
    }

    fs::path m_dir;
};

TEST_F(VerifyTest, AcceptsTheWellFormedFixtureWheels) {
    const std::vector<std::pair<std::string, std::size_t>> good = {
        {"demo_pkg-1.0.0-py3-none-any.whl", 6},
        {"native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 6},
    };
    for (const auto& [name, files] : good) {
        auto check = verify_wheel(fixtures / name, name);
        ASSERT_TRUE(check) << name << ": " << check.error().to_string();
        EXPECT_EQ(check->files, files) << name;
    }
}

TEST_F(VerifyTest, RejectsEveryBrokenFixtureWheelWithAVerificationError) {
    struct Case {
        const char* file;
        const char* why;  // a piece of the message
    };
    const std::vector<Case> cases = {
        {"badrecord_pkg-1.0-py3-none-any.whl", "RECORD"},     {"evil_pkg-1.0-py3-none-any.whl", "unsafe path"},
        {"abs_pkg-1.0-py3-none-any.whl", "unsafe path"},      {"link_pkg-1.0-py3-none-any.whl", "symbolic link"},
        {"nodistinfo_pkg-1.0-py3-none-any.whl", "dist-info"}, {"truncated_pkg-1.0-py3-none-any.whl", "zip"},
    };
    std::size_t run = 0;
    for (const auto& c : cases) {
        ++run;
        auto check = verify_wheel(fixtures / c.file, c.file);
        ASSERT_FALSE(check) << c.file << " was accepted";
        EXPECT_EQ(check.error().code, ErrorCode::verification) << c.file << ": " << check.error().to_string();
        EXPECT_NE(check.error().to_string().find(c.why), std::string::npos)
            << c.file << ": expected '" << c.why << "' in: " << check.error().to_string();
        EXPECT_EQ(check.error().location.file.rfind(c.file, 0), 0U)
            << "errors name the wheel, not the path: " << check.error().to_string();
    }
    EXPECT_EQ(run, 6U);
}

TEST_F(VerifyTest, AcceptsAGeneratedWheel) {
    Spec spec;
    auto check = verify_wheel(build(spec), filename(spec));
    ASSERT_TRUE(check) << check.error().to_string();
    EXPECT_EQ(check->name, "gen-pkg");
    EXPECT_EQ(check->version, "1.0");
}

TEST_F(VerifyTest, RejectsGeneratedWheelsThatBreakOneRule) {
    struct Case {
        std::string name;
        std::function<void(Spec&)> bend;
        std::string why;
    };
    const std::vector<Case> cases = {
        {"hash mismatch",
         [](Spec& s) {
             s.edit_record = [](auto& rows) { init_row(rows) = "gen_pkg/__init__.py," + record_hash("other") + ",6"; };
         },
         "does not match RECORD"},
        {"size mismatch",
         [](Spec& s) {
             s.edit_record = [](auto& rows) {
                 init_row(rows) = "gen_pkg/__init__.py," + record_hash("x = 1\n") + ",7";
             };
         },
         "RECORD says 7 bytes"},
        {"file missing from RECORD", [](Spec& s) { s.unlisted = {"gen_pkg/sneaky.py"}; }, "not listed in RECORD"},
        {"RECORD lists a missing file",
         [](Spec& s) {
             s.edit_record = [](auto& rows) { rows.push_back("gen_pkg/ghost.py," + record_hash("") + ",0"); };
         },
         "does not have"},
        {"RECORD row without hash",
         [](Spec& s) { s.edit_record = [](auto& rows) { init_row(rows) = "gen_pkg/__init__.py,,"; }; }, "no hash"},
        {"metadata name", [](Spec& s) { s.metadata_name = "other-pkg"; }, "METADATA names project"},
        {"metadata version", [](Spec& s) { s.metadata_version = "1.1"; }, "METADATA has version"},
        {"duplicate RECORD row", [](Spec& s) { s.edit_record = [](auto& rows) { rows.push_back(init_row(rows)); }; },
         "twice"},
    };
    std::size_t run = 0;
    for (const auto& c : cases) {
        Spec spec;
        c.bend(spec);
        const auto path = build(spec);
        auto check = verify_wheel(path, filename(spec));
        ++run;
        ASSERT_FALSE(check) << c.name << ": accepted";
        EXPECT_EQ(check.error().code, ErrorCode::verification) << c.name;
        EXPECT_NE(check.error().to_string().find(c.why), std::string::npos)
            << c.name << ": expected '" << c.why << "' in: " << check.error().to_string();
        fs::remove(path);
    }
    EXPECT_EQ(run, cases.size());
}

TEST_F(VerifyTest, RecordSignaturesNeedNotBeListed) {
    Spec spec;
    spec.unlisted = {"gen_pkg-1.0.dist-info/RECORD.jws"};
    auto check = verify_wheel(build(spec), filename(spec));
    EXPECT_TRUE(check) << check.error().to_string();
}

TEST_F(VerifyTest, NormalisedMetadataNameAndVersionSpellingsAreAccepted) {
    Spec spec;
    spec.metadata_name = "Gen.Pkg";
    spec.metadata_version = "1.0.0";
    auto check = verify_wheel(build(spec), filename(spec));
    EXPECT_TRUE(check) << check.error().to_string();
}

TEST_F(VerifyTest, RefusesAMemberThatExpandsBeyondTheLimit) {
    Spec spec;
    spec.files["gen_pkg/big.bin"] = std::string(300000, '\0');  // compresses to almost nothing
    const auto path = build(spec);
    archive::Limits limits;
    limits.max_member_size = 100000;
    auto check = verify_wheel(path, filename(spec), limits);
    ASSERT_FALSE(check);
    EXPECT_EQ(check.error().code, ErrorCode::verification);
    limits.max_member_size = 1U << 20;
    limits.max_total_size = 200000;
    check = verify_wheel(path, filename(spec), limits);
    ASSERT_FALSE(check);
    EXPECT_NE(check.error().to_string().find("expands"), std::string::npos) << check.error().to_string();
    EXPECT_TRUE(verify_wheel(path, filename(spec)));
}

// ---- the pipeline without network ----

class FetchCacheTest : public VerifyTest {
protected:
    auto store() -> cache::WheelStore {
        auto s = cache::WheelStore::open(m_dir / "cache");
        EXPECT_TRUE(s);
        return std::move(*s);
    }
    static auto engine() -> http::Engine {
        auto e = http::Engine::create();
        EXPECT_TRUE(e);
        return std::move(*e);
    }
};

TEST_F(FetchCacheTest, OfflineServesCachedWheelsAndNamesEveryMissingOne) {
    auto s = store();
    Spec spec;
    const auto wheel = build(spec);
    const auto sha = util::sha256_hex(slurp(wheel));
    ASSERT_TRUE(s.insert_file(wheel, filename(spec), sha));

    std::vector<WheelRequest> wanted = {
        {"http://127.0.0.1:9/files/gen_pkg-1.0-py3-none-any.whl", filename(spec), {sha}, std::nullopt},
        {"http://127.0.0.1:9/files/miss_a-1.0-py3-none-any.whl",
         "miss_a-1.0-py3-none-any.whl",
         {util::sha256_hex("a")},
         std::nullopt},
        {"http://127.0.0.1:9/files/miss_b-1.0-py3-none-any.whl", "miss_b-1.0-py3-none-any.whl", {}, std::nullopt},
    };
    FetchOptions options;
    options.offline = true;
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s, options);
    ASSERT_EQ(report.results.size(), 3U);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_TRUE(report.results[0]->from_cache);
    EXPECT_EQ(report.results[0]->sha256, sha);
    for (std::size_t i = 1; i < 3; ++i) {
        ASSERT_FALSE(report.results[i]);
        EXPECT_EQ(report.results[i].error().code, ErrorCode::not_found);
    }
    EXPECT_EQ(report.missing_summary(),
              "2 wheels not in the cache: miss_a-1.0-py3-none-any.whl, miss_b-1.0-py3-none-any.whl");
    EXPECT_EQ(report.stats.cached, 1U);
    EXPECT_EQ(report.stats.failed, 2U);
}

TEST_F(FetchCacheTest, AnyOfSeveralAllowedDigestsFindsTheCachedWheel) {
    auto s = store();
    Spec spec;
    const auto wheel = build(spec);
    const auto sha = util::sha256_hex(slurp(wheel));
    ASSERT_TRUE(s.insert_file(wheel, filename(spec), sha));
    std::vector<WheelRequest> wanted = {
        {"http://127.0.0.1:9/x.whl", filename(spec), {util::sha256_hex("not it"), sha}, std::nullopt}};
    FetchOptions options;
    options.offline = true;
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s, options);
    ASSERT_TRUE(report.ok()) << report.first_error()->to_string();
}

TEST_F(FetchCacheTest, AHitStandingInForTheUsersDigestIsHashedAgain) {
    auto s = store();
    Spec spec;
    const auto wheel = build(spec);
    const auto sha = util::sha256_hex(slurp(wheel));
    auto stored = s.insert_file(wheel, filename(spec), sha);
    ASSERT_TRUE(stored);
    // Someone with write access to the cache swaps the entry's bytes.
    std::ofstream(stored->path, std::ios::binary | std::ios::trunc) << "not the wheel the digest names";
    std::vector<WheelRequest> wanted = {{"http://127.0.0.1:9/x.whl", filename(spec), {sha}, std::nullopt}};
    FetchOptions options;
    options.offline = true;
    auto e = engine();
    // Without the check the swapped file is served as the wheel with that digest (the old behaviour).
    auto trusting = fetch_wheels(wanted, e, s, options);
    ASSERT_TRUE(trusting.ok());
    options.verify_cache_hits = true;
    auto report = fetch_wheels(wanted, e, s, options);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.results[0].error().code, ErrorCode::not_found) << "offline: the damaged entry is gone";
    EXPECT_EQ(report.stats.cache_damaged, 1U);
    EXPECT_FALSE(fs::exists(stored->path));
    // A sound entry passes the check.
    ASSERT_TRUE(s.insert_file(wheel, filename(spec), sha));
    auto again = fetch_wheels(wanted, e, s, options);
    ASSERT_TRUE(again.ok()) << again.first_error()->to_string();
    EXPECT_TRUE(again.results[0]->from_cache);
    EXPECT_EQ(again.stats.cache_damaged, 0U);
}

TEST_F(FetchCacheTest, RequireHashesRefusesAWheelWithoutADigest) {
    auto s = store();
    std::vector<WheelRequest> wanted = {
        {"http://127.0.0.1:9/files/n-1.0-py3-none-any.whl", "n-1.0-py3-none-any.whl", {}, std::nullopt}};
    FetchOptions options;
    options.require_hashes = true;
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s, options);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::verification);
    EXPECT_NE(report.results[0].error().message.find("hashes are required"), std::string::npos);
}

TEST_F(FetchCacheTest, MalformedRequestsAreInputErrors) {
    auto s = store();
    std::vector<WheelRequest> wanted = {
        {"http://127.0.0.1:9/a.whl", "not-a-wheel.tar.gz", {}, std::nullopt},
        {"http://127.0.0.1:9/b.whl", "b-1.0-py3-none-any.whl", {"xyz"}, std::nullopt},
    };
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s);
    ASSERT_EQ(report.results.size(), 2U);
    for (const auto& r : report.results) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << r.error().to_string();
    }
}

TEST_F(FetchCacheTest, ANetworkFailureIsOneResultAndCachesNothing) {
    auto s = store();
    std::vector<WheelRequest> wanted = {{"http://127.0.0.1:9/files/gen_pkg-1.0-py3-none-any.whl",
                                         "gen_pkg-1.0-py3-none-any.whl",
                                         {util::sha256_hex("z")},
                                         std::nullopt}};
    http::Options o;
    o.max_attempts = 1;
    o.trusted_hosts = {"127.0.0.1"};
    auto e = http::Engine::create(o);
    ASSERT_TRUE(e);
    auto report = fetch_wheels(wanted, *e, s);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::network) << report.results[0].error().to_string();
    auto info = s.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->entries, 0U);
    EXPECT_EQ(info->partial_bytes, 0U);
}

}  // namespace
}  // namespace wheelhouse::fetch
