// fetch_wheels against nginx and the fault proxy (CTest fixture index_server): hash policy, the wheel check,
// truncation, two processes sharing a cache, offline use, and Range resume. Wheels that the index fixture does
// not have (tampered, bad RECORD, '../', a large one) are written by the tests into the served tree, under
// fetch-test/<pid>/.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::fetch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

auto slurp(const fs::path& path) -> std::string {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

struct Servers {
    nlohmann::json info;
    std::map<std::string, std::pair<std::string, std::uint64_t>> files;  // name -> (sha256, size)

    [[nodiscard]] auto port(const char* key) const -> std::string { return std::to_string(info[key].get<int>()); }
    [[nodiscard]] auto https() const -> std::string { return "https://127.0.0.1:" + port("https_port"); }
    [[nodiscard]] auto http() const -> std::string { return "http://127.0.0.1:" + port("http_port"); }
    [[nodiscard]] auto proxy() const -> std::string { return "http://127.0.0.1:" + port("proxy_port"); }
    [[nodiscard]] auto ca() const -> fs::path { return info["ca_cert"].get<std::string>(); }
    [[nodiscard]] auto tree() const -> fs::path { return info["tree"].get<std::string>(); }
    [[nodiscard]] auto access_log() const -> fs::path { return info["access_log"].get<std::string>(); }
};

auto servers() -> const Servers& {
    static const Servers s = [] {
        Servers out;
        const char* path = std::getenv("WHEELHOUSE_TEST_SERVERS");
        if (path == nullptr || !fs::exists(path)) return out;
        out.info = nlohmann::json::parse(slurp(path));
        auto manifest = nlohmann::json::parse(slurp(out.info["manifest"].get<std::string>()));
        for (const auto& [name, entry] : manifest["files"].items()) {
            out.files[name] = {entry["sha256"].get<std::string>(), entry["size"].get<std::uint64_t>()};
        }
        return out;
    }();
    return s;
}

class FetchIntegration : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(servers().info.is_null())
            << "WHEELHOUSE_TEST_SERVERS does not name a servers.json: run through ctest (fixture index_server)";
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        m_tmp = fs::temp_directory_path() / ("wh-fetch-it-" + std::to_string(::getpid()) + "-" + name);
        fs::remove_all(m_tmp);
        fs::create_directories(m_tmp);
        m_served = servers().tree() / "fetch-test" / (std::to_string(::getpid()) + "-" + name);
        fs::create_directories(m_served);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_tmp, ec);
        fs::remove_all(m_served, ec);
    }

    static auto options() -> http::Options {
        http::Options o;
        o.ca_bundle = servers().ca();
        o.netrc = fs::path();
        o.https_proxy = "";
        o.http_proxy = "";
        o.no_proxy = "";
        o.trusted_hosts = {"127.0.0.1"};
        o.backoff_base = 50ms;
        o.backoff_max = 300ms;
        o.low_speed_time = 1s;
        o.total_timeout = 20s;
        return o;
    }
    static auto engine(const http::Options& o = options()) -> http::Engine {
        auto e = http::Engine::create(o);
        EXPECT_TRUE(e) << e.error().to_string();
        return std::move(*e);
    }
    auto store() const -> cache::WheelStore {
        auto s = cache::WheelStore::open(m_tmp / "cache");
        EXPECT_TRUE(s) << s.error().to_string();
        return std::move(*s);
    }

    // The wheels of the index fixture, over HTTPS (HTTP/2), with the index's digests and sizes.
    static auto index_wheels() -> std::vector<WheelRequest> {
        std::vector<WheelRequest> out;
        for (const auto& [name, entry] : servers().files) {
            out.push_back({servers().https() + "/files/" + name, name, {entry.first}, entry.second});
        }
        return out;
    }

    // Serves `bytes` as fetch-test/.../<filename>; returns its path on the server.
    auto serve(const std::string& filename, const std::string& bytes) const -> std::string {
        std::ofstream(m_served / filename, std::ios::binary) << bytes;
        return "/" + fs::relative(m_served / filename, servers().tree()).string();
    }

    static auto entries(const cache::WheelStore& s) -> std::uint64_t {
        auto info = s.info();
        EXPECT_TRUE(info);
        return info ? info->entries : 0;
    }
    static auto partial_bytes(const cache::WheelStore& s) -> std::uint64_t {
        auto info = s.info();
        return info ? info->partial_bytes : 0;
    }

    // A valid wheel with a stored (incompressible) payload of `payload` bytes.
    auto make_wheel(const std::string& project, std::size_t payload) const -> std::string {
        std::mt19937_64 rng(payload);
        std::string data(payload, '\0');
        for (auto& c : data) c = static_cast<char>(rng() & 0xffU);
        auto b64 = [](std::string_view bytes) {
            util::Sha256 h;
            h.update(bytes);
            const auto d = h.finish();
            static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            std::string out;
            std::size_t i = 0;
            for (; i + 2 < d.size(); i += 3) {
                const unsigned v = (unsigned{d[i]} << 16U) | (unsigned{d[i + 1]} << 8U) | d[i + 2];
                for (int s = 18; s >= 0; s -= 6) out += a[(v >> static_cast<unsigned>(s)) & 63U];
            }
            const unsigned v = (unsigned{d[i]} << 16U) | (unsigned{d[i + 1]} << 8U);
            out += a[(v >> 18U) & 63U];
            out += a[(v >> 12U) & 63U];
            out += a[(v >> 6U) & 63U];
            return "sha256=" + out;
        };
        const std::string di = project + "-1.0.dist-info";
        std::map<std::string, std::string> files = {
            {project + "/__init__.py", "\n"},
            {project + "/payload.bin", data},
            {di + "/METADATA", "Metadata-Version: 2.1\nName: " + project + "\nVersion: 1.0\n"},
            {di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
        };
        std::string record;
        archive::ZipWriter writer;
        for (const auto& [name, content] : files) {
            record += name + "," + b64(content) + "," + std::to_string(content.size()) + "\n";
            EXPECT_TRUE(writer.add_bytes(
                name, content, name.ends_with(".bin") ? archive::Compression::store : archive::Compression::deflate));
        }
        record += di + "/RECORD,,\n";
        EXPECT_TRUE(writer.add_bytes(di + "/RECORD", record));
        const auto out = m_tmp / (project + "-1.0-py3-none-any.whl");
        EXPECT_TRUE(writer.write(out));
        return slurp(out);
    }

    fs::path m_tmp;
    fs::path m_served;
};

TEST_F(FetchIntegration, FetchesTheIndexWheelsInParallelVerifiesThemAndThenServesThemFromTheCache) {
    auto wanted = index_wheels();
    ASSERT_GE(wanted.size(), 20U);
    auto s = store();
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s);
    ASSERT_EQ(report.results.size(), wanted.size());
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        ASSERT_TRUE(report.results[i]) << wanted[i].filename << ": " << report.results[i].error().to_string();
        const auto& w = *report.results[i];
        EXPECT_FALSE(w.from_cache);
        EXPECT_EQ(w.sha256, wanted[i].sha256.front());
        EXPECT_EQ(util::sha256_hex(slurp(w.path)), w.sha256) << w.filename;
    }
    EXPECT_EQ(report.stats.downloaded, wanted.size());
    EXPECT_GT(report.stats.verify_busy.count(), 0);
    EXPECT_EQ(entries(s), wanted.size());

    auto again = fetch_wheels(wanted, e, s);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.stats.cached, wanted.size());
    EXPECT_EQ(again.stats.downloaded, 0U);
}

TEST_F(FetchIntegration, TamperedWheelFailsVerificationAndIsNotCached) {
    const auto name = servers().files.begin()->first;
    const auto original = slurp(servers().tree() / "files" / name);
    auto tampered = original;
    tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 0x01);
    const auto path = serve(name, tampered);
    auto s = store();
    auto e = engine();
    const auto sha = util::sha256_hex(original);
    auto report = fetch_wheels({{servers().http() + path, name, {sha}, original.size()}}, e, s);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::verification);
    EXPECT_EQ(exit_code_for(report.results[0].error().code), 4);
    EXPECT_NE(report.results[0].error().message.find("sha256 mismatch"), std::string::npos);
    EXPECT_FALSE(s.find(sha));
    EXPECT_FALSE(s.find(util::sha256_hex(tampered)));
    EXPECT_EQ(entries(s), 0U);
    EXPECT_EQ(partial_bytes(s), 0U);
}

TEST_F(FetchIntegration, WheelsThatFailTheWheelCheckAreNotCached) {
    struct Case {
        const char* fixture;
        const char* why;
    };
    const std::vector<Case> cases = {
        {"badrecord_pkg-1.0-py3-none-any.whl", "RECORD"},
        {"evil_pkg-1.0-py3-none-any.whl", "unsafe path"},
        {"link_pkg-1.0-py3-none-any.whl", "symbolic link"},
    };
    std::vector<WheelRequest> wanted;
    for (const auto& c : cases) {
        const auto bytes = slurp(fs::path(WHEELHOUSE_FIXTURES_DIR) / "wheels" / c.fixture);
        // The digest matches: only the wheel check can catch these.
        wanted.push_back({servers().http() + serve(c.fixture, bytes), c.fixture, {util::sha256_hex(bytes)}, {}});
    }
    auto s = store();
    auto e = engine();
    auto report = fetch_wheels(wanted, e, s);
    ASSERT_EQ(report.results.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        ASSERT_FALSE(report.results[i]) << cases[i].fixture << " was accepted";
        EXPECT_EQ(report.results[i].error().code, ErrorCode::verification);
        EXPECT_NE(report.results[i].error().to_string().find(cases[i].why), std::string::npos)
            << report.results[i].error().to_string();
    }
    EXPECT_EQ(entries(s), 0U);
    EXPECT_EQ(partial_bytes(s), 0U);
}

TEST_F(FetchIntegration, TruncatedTransferIsRetriedOrFailsButIsNeverCached) {
    const auto& [name, entry] = *servers().files.begin();
    auto s = store();
    auto e = engine();
    // Truncated once: the engine retries and the wheel arrives whole.
    const auto once =
        servers().proxy() + "/_fault/truncate,times=1,id=once-" + std::to_string(::getpid()) + "/files/" + name;
    auto report = fetch_wheels({{once, name, {entry.first}, entry.second}}, e, s);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_EQ(util::sha256_hex(slurp(report.results[0]->path)), entry.first);

    // Truncated every time: a network error, nothing cached, no temporary left.
    auto s2 = cache::WheelStore::open(m_tmp / "cache2");
    ASSERT_TRUE(s2);
    auto o = options();
    o.max_attempts = 2;
    auto e2 = engine(o);
    const auto always = servers().proxy() + "/_fault/truncate/files/" + name;
    report = fetch_wheels({{always, name, {entry.first}, entry.second}}, e2, *s2);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::network) << report.results[0].error().to_string();
    EXPECT_EQ(entries(*s2), 0U);
    EXPECT_EQ(partial_bytes(*s2), 0U);
    EXPECT_TRUE(fs::is_empty(s2->root() / "tmp"));
}

TEST_F(FetchIntegration, TwoProcessesFetchingTheSameSetEndWithOneValidCopyEach) {
    const auto wanted = index_wheels();
    pid_t children[2];
    for (auto& child : children) {
        child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            auto s = cache::WheelStore::open(m_tmp / "cache");
            auto e = http::Engine::create(options());
            if (!s || !e) ::_exit(2);
            auto report = fetch_wheels(wanted, *e, *s);
            ::_exit(report.ok() ? 0 : 1);
        }
    }
    for (auto child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a fetching process failed";
    }
    auto s = store();
    auto list = s.list();
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), wanted.size());
    for (const auto& w : *list) EXPECT_EQ(util::sha256_hex(slurp(w.path)), w.sha256) << w.filename;
    EXPECT_TRUE(fs::is_empty(s.root() / "tmp"));
}

TEST_F(FetchIntegration, OfflineAfterAWarmRunNeedsNoServerAndNamesWhatIsMissing) {
    auto wanted = index_wheels();
    wanted.resize(5);
    auto s = store();
    auto e = engine();
    ASSERT_TRUE(fetch_wheels(wanted, e, s).ok());

    // No server at all: URLs on a port where nothing listens.
    for (auto& w : wanted) w.url = "http://127.0.0.1:1/files/" + w.filename;
    wanted.push_back({"http://127.0.0.1:1/files/absent-1.0-py3-none-any.whl",
                      "absent-1.0-py3-none-any.whl",
                      {util::sha256_hex("absent")},
                      {}});
    FetchOptions offline;
    offline.offline = true;
    auto report = fetch_wheels(wanted, e, s, offline);
    for (std::size_t i = 0; i + 1 < wanted.size(); ++i) {
        ASSERT_TRUE(report.results[i]) << report.results[i].error().to_string();
        EXPECT_TRUE(report.results[i]->from_cache);
    }
    ASSERT_FALSE(report.results.back());
    EXPECT_EQ(report.results.back().error().code, ErrorCode::not_found);
    EXPECT_EQ(report.missing_summary(), "1 wheel not in the cache: absent-1.0-py3-none-any.whl");
}

TEST_F(FetchIntegration, WheelWithoutKnownHashIsHashedRecordedAndFoundAgainOffline) {
    const auto& [name, entry] = *servers().files.begin();
    auto s = store();
    auto e = engine();
    const std::vector<WheelRequest> wanted = {{servers().http() + "/files/" + name, name, {}, {}}};
    auto report = fetch_wheels(wanted, e, s);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_EQ(report.results[0]->sha256, entry.first);
    EXPECT_FALSE(report.results[0]->hash_was_expected);

    FetchOptions offline;
    offline.offline = true;
    report = fetch_wheels(wanted, e, s, offline);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_TRUE(report.results[0]->from_cache);

    FetchOptions strict;
    strict.require_hashes = true;
    report = fetch_wheels(wanted, e, s, strict);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::verification);
}

TEST_F(FetchIntegration, ABodyLargerThanTheIndexSaysIsAbortedAndNotCached) {
    const auto& [name, entry] = *servers().files.begin();
    auto s = store();
    auto e = engine();
    auto report = fetch_wheels({{servers().http() + "/files/" + name, name, {entry.first}, entry.second - 10}}, e, s);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(report.results[0].error().code, ErrorCode::verification) << report.results[0].error().to_string();
    EXPECT_EQ(entries(s), 0U);
    EXPECT_EQ(partial_bytes(s), 0U);
}

TEST_F(FetchIntegration, StalledLargeDownloadResumesWithARangeRequestAndTheHashCoversTheWholeFile) {
    const auto bytes = make_wheel("resume_pkg", 3U << 20);
    const auto name = std::string("resume_pkg-1.0-py3-none-any.whl");
    const auto path = serve(name, bytes);
    const auto sha = util::sha256_hex(bytes);
    // Half the body, then silence: the engine gives up on the stall (one attempt), fetch resumes from the
    // bytes it has with Range + If-Range.
    const auto url = servers().proxy() + "/_fault/stall-body,times=1,id=resume-" + std::to_string(::getpid()) + path;
    auto o = options();
    o.max_attempts = 1;
    auto e = engine(o);
    auto s = store();
    FetchOptions fo;
    fo.resume_min_bytes = 64U << 10;
    auto report = fetch_wheels({{url, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_TRUE(report.results[0]->resumed);
    EXPECT_EQ(report.stats.resumed, 1U);
    EXPECT_LT(report.stats.downloaded_bytes, bytes.size()) << "only the missing part was downloaded again";
    EXPECT_EQ(util::sha256_hex(slurp(report.results[0]->path)), sha);

    const auto log = slurp(servers().access_log());
    EXPECT_NE(log.find(path + " HTTP/1.0\" 206"), std::string::npos) << "nginx saw no range request for " << path;
    EXPECT_EQ(partial_bytes(s), 0U);
}

TEST_F(FetchIntegration, AnInterruptedRunLeavesAPartialThatTheNextRunResumes) {
    const auto bytes = make_wheel("later_pkg", 2U << 20);
    const auto name = std::string("later_pkg-1.0-py3-none-any.whl");
    const auto path = serve(name, bytes);
    const auto sha = util::sha256_hex(bytes);
    auto o = options();
    o.max_attempts = 1;
    auto e = engine(o);
    auto s = store();
    FetchOptions fo;
    fo.resume_min_bytes = 64U << 10;
    fo.resume_rounds = 0;  // this run gives up, as an interrupted one would
    const auto stalled = servers().proxy() + "/_fault/stall-body/" + path.substr(1);
    auto report = fetch_wheels({{stalled, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_FALSE(report.results[0]);
    EXPECT_EQ(entries(s), 0U) << "a partial download is not an entry";
    EXPECT_GT(partial_bytes(s), 0U);

    auto next = fetch_wheels({{servers().http() + path, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_TRUE(next.results[0]) << next.results[0].error().to_string();
    EXPECT_TRUE(next.results[0]->resumed);
    EXPECT_LT(next.stats.downloaded_bytes, bytes.size());
    EXPECT_EQ(util::sha256_hex(slurp(next.results[0]->path)), sha);
}

// Plants a partial download as an interrupted run would have left it.
void plant_partial(const cache::WheelStore& s, const std::string& sha, const std::string& name,
                   const std::string& bytes, const std::string& etag) {
    const auto dir = s.partial_dir(sha);
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
    std::ofstream(dir / ".etag") << etag << "\n";
}

TEST_F(FetchIntegration, APartialWhoseValidatorNoLongerMatchesIsDownloadedWhole) {
    const auto bytes = make_wheel("changed_pkg", 1U << 20);
    const auto name = std::string("changed_pkg-1.0-py3-none-any.whl");
    const auto path = serve(name, bytes);
    const auto sha = util::sha256_hex(bytes);
    auto s = store();
    plant_partial(s, sha, name, bytes.substr(0, bytes.size() / 2), "\"not-the-current-etag\"");
    auto e = engine();
    FetchOptions fo;
    fo.resume_min_bytes = 64U << 10;
    auto report = fetch_wheels({{servers().http() + path, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
    EXPECT_FALSE(report.results[0]->resumed) << "If-Range did not match: the server sent the whole file";
    EXPECT_EQ(report.stats.downloaded_bytes, bytes.size());
    EXPECT_EQ(util::sha256_hex(slurp(report.results[0]->path)), sha);
}

TEST_F(FetchIntegration, AResumedDownloadWithACorruptPrefixFailsTheHashAndIsNotCached) {
    const auto bytes = make_wheel("corrupt_pkg", 1U << 20);
    const auto name = std::string("corrupt_pkg-1.0-py3-none-any.whl");
    const auto path = serve(name, bytes);
    const auto sha = util::sha256_hex(bytes);
    auto e = engine();
    http::Request head(servers().http() + path);
    head.method = http::Method::head;
    auto response = e.fetch(head);
    ASSERT_TRUE(response && response->etag()) << "nginx gives an ETag";
    auto s = store();
    auto prefix = bytes.substr(0, bytes.size() / 2);
    prefix[100] = static_cast<char>(prefix[100] ^ 0x20);
    plant_partial(s, sha, name, prefix, *response->etag());
    FetchOptions fo;
    fo.resume_min_bytes = 64U << 10;
    auto report = fetch_wheels({{servers().http() + path, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_FALSE(report.results[0]) << "the hash covers the bytes from before the resume too";
    EXPECT_EQ(report.results[0].error().code, ErrorCode::verification) << report.results[0].error().to_string();
    EXPECT_LT(report.stats.downloaded_bytes, bytes.size()) << "it was resumed";
    EXPECT_EQ(entries(s), 0U);
    EXPECT_EQ(partial_bytes(s), 0U) << "a partial that failed the hash is not resumed again";

    report = fetch_wheels({{servers().http() + path, name, {sha}, bytes.size()}}, e, s, fo);
    ASSERT_TRUE(report.results[0]) << report.results[0].error().to_string();
}

}  // namespace
}  // namespace wheelhouse::fetch
