// The index client against nginx (scripts/index-server, CTest fixture index_server): HTML and JSON
// negotiation, PEP 658 metadata, range reads, whole-file fallback, basic auth, the page cache, and merging.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::index {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

auto slurp(const fs::path& path) -> std::string {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

struct FileInfo {
    std::string sha256;
    std::uint64_t size = 0;
    std::string project;
};

struct Servers {
    nlohmann::json info;
    std::map<std::string, FileInfo> files;

    [[nodiscard]] auto port(const char* key) const -> std::string { return std::to_string(info[key].get<int>()); }
    [[nodiscard]] auto https() const -> std::string { return "https://127.0.0.1:" + port("https_port"); }
    [[nodiscard]] auto http() const -> std::string { return "http://127.0.0.1:" + port("http_port"); }
    [[nodiscard]] auto tree() const -> fs::path { return info["tree"].get<std::string>(); }
    [[nodiscard]] auto user() const -> std::string { return info["user"].get<std::string>(); }
    [[nodiscard]] auto password() const -> std::string { return info["password"].get<std::string>(); }
    [[nodiscard]] auto access_log() const -> fs::path { return info["access_log"].get<std::string>(); }
    [[nodiscard]] auto projects() const -> std::vector<std::string> {
        std::vector<std::string> out;
        for (const auto& [name, f] : files) {
            if (std::find(out.begin(), out.end(), f.project) == out.end()) out.push_back(f.project);
        }
        return out;
    }
};

auto servers() -> const Servers& {
    static const Servers s = [] {
        Servers out;
        const char* path = std::getenv("WHEELHOUSE_TEST_SERVERS");
        if (path == nullptr || !fs::exists(path)) return out;
        out.info = nlohmann::json::parse(slurp(path));
        auto manifest = nlohmann::json::parse(slurp(out.info["manifest"].get<std::string>()));
        for (const auto& [name, entry] : manifest["files"].items()) {
            out.files[name] = {entry["sha256"].get<std::string>(), entry["size"].get<std::uint64_t>(),
                               entry["project"].get<std::string>()};
        }
        return out;
    }();
    return s;
}

struct Recorder final : http::Reporter {
    std::string text;
    void on_event(const http::Event& event) override { text += event.url + " " + event.message + "\n"; }
};

// Access-log lines written while an object of this type lives.
class LogWindow {
public:
    LogWindow() : m_start(slurp(servers().access_log()).size()) {}
    [[nodiscard]] auto lines() const -> std::vector<std::string> {
        const auto all = slurp(servers().access_log());
        std::vector<std::string> out;
        std::istringstream in(all.substr(std::min(m_start, all.size())));
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
    [[nodiscard]] auto count(const std::string& needle, const std::string& also = {}) const -> std::size_t {
        std::size_t n = 0;
        for (const auto& l : lines()) {
            n += l.find(needle) != std::string::npos && l.find(also) != std::string::npos ? 1U : 0U;
        }
        return n;
    }

private:
    std::size_t m_start;
};

class IndexIntegration : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(servers().info.is_null())
            << "WHEELHOUSE_TEST_SERVERS does not name a servers.json: run through ctest (fixture index_server)";
        m_tmp = fs::temp_directory_path() / ("wh-index-it-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_tmp);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_tmp, ec);
    }

    static auto engine_options() -> http::Options {
        http::Options o;
        o.ca_bundle = servers().info["ca_cert"].get<std::string>();
        o.netrc = fs::path();  // not the developer's own
        o.https_proxy = "";
        o.http_proxy = "";
        o.no_proxy = "";
        o.trusted_hosts = {"127.0.0.1"};
        return o;
    }
    static auto engine(http::Options o = engine_options()) -> http::Engine {
        auto e = http::Engine::create(std::move(o));
        EXPECT_TRUE(e) << e.error().to_string();
        return std::move(*e);
    }
    static auto client(http::Engine& e, ClientOptions options) -> Client {
        auto c = Client::create(e, std::move(options));
        EXPECT_TRUE(c) << c.error().to_string();
        return std::move(*c);
    }
    static auto index_options(const std::string& index_url) -> ClientOptions {
        ClientOptions o;
        o.sources.index_urls = {index_url};
        return o;
    }
    static auto one(Client& c, const std::string& project) -> ProjectFiles {
        auto found = c.candidates({project});
        EXPECT_EQ(found.size(), 1U);
        EXPECT_TRUE(found[0]) << found[0].error().to_string();
        return found[0] ? *found[0] : ProjectFiles{};
    }
    static auto find(const ProjectFiles& files, const std::string& filename) -> Candidate {
        for (const auto& c : files.candidates) {
            if (c.filename == filename) return c;
        }
        ADD_FAILURE() << filename << " not among the candidates of " << files.project;
        return {};
    }

    fs::path m_tmp;
};

// Fields both formats carry (the HTML page has no size).
auto comparable(const Candidate& c) -> std::string {
    std::string out = c.filename + "|" + c.url + "|" + c.requires_python.value_or("-") + "|" + (c.yanked ? "Y" : "n") +
                      c.yanked_reason.value_or("") + "|" + (c.metadata.available ? "M" : "m");
    for (const auto& [k, v] : c.hashes) out += "|" + k + "=" + v;
    for (const auto& [k, v] : c.metadata.hashes) out += "|meta " + k + "=" + v;
    return out;
}

TEST_F(IndexIntegration, HtmlAndJsonGiveIdenticalCandidatesForEveryProject) {
    auto e = engine();
    const auto projects = servers().projects();
    ASSERT_GE(projects.size(), 40U);

    // The server really answers both formats, chosen by Accept.
    for (const auto& [accept, type] :
         {std::pair{std::string(accept_header), std::string(json_content_type)},
          std::pair{std::string("application/vnd.pypi.simple.v1+html"), std::string("text/html")}}) {
        http::Request r(servers().https() + "/simple/six/");
        r.headers.emplace_back("Accept", accept);
        auto response = e.fetch(std::move(r));
        ASSERT_TRUE(response) << response.error().to_string();
        EXPECT_EQ(response->content_type().value_or(""), type);
    }

    auto json_client = client(e, index_options(servers().https() + "/simple/"));
    auto html_options = index_options(servers().https() + "/simple/");
    html_options.accept = "application/vnd.pypi.simple.v1+html";
    auto html_client = client(e, html_options);
    const auto from_json = json_client.candidates(projects);
    const auto from_html = html_client.candidates(projects);
    ASSERT_EQ(from_json.size(), projects.size());
    ASSERT_EQ(from_html.size(), projects.size());
    std::size_t files = 0;
    for (std::size_t i = 0; i < projects.size(); ++i) {
        ASSERT_TRUE(from_json[i]) << projects[i] << ": " << from_json[i].error().to_string();
        ASSERT_TRUE(from_html[i]) << projects[i] << ": " << from_html[i].error().to_string();
        ASSERT_EQ(from_json[i]->candidates.size(), from_html[i]->candidates.size()) << projects[i];
        ASSERT_FALSE(from_json[i]->candidates.empty()) << projects[i];
        for (std::size_t k = 0; k < from_json[i]->candidates.size(); ++k) {
            const auto& j = from_json[i]->candidates[k];
            EXPECT_EQ(comparable(j), comparable(from_html[i]->candidates[k])) << projects[i];
            const auto& want = servers().files.at(j.filename);
            EXPECT_EQ(j.hashes.at("sha256"), want.sha256);
            EXPECT_EQ(j.size.value_or(0), want.size) << "JSON pages carry the size";
            ++files;
        }
    }
    EXPECT_EQ(files, servers().files.size()) << "every file of the generated index was found";
    EXPECT_EQ(json_client.stats().requests, projects.size()) << "one request per project page";
}

TEST_F(IndexIntegration, YankedAndRequiresPythonComeThrough) {
    auto e = engine();
    auto c = client(e, index_options(servers().https() + "/simple/"));
    const auto files = one(c, "Demo_Pkg");
    const auto yanked = find(files, "Demo_Pkg-1.1-py3-none-any.whl");
    EXPECT_TRUE(yanked.yanked);
    EXPECT_EQ(yanked.yanked_reason.value_or(""), "broken build");
    EXPECT_EQ(yanked.requires_python.value_or(""), ">=3.9");
    const auto first = find(files, "Demo_Pkg-1.0-py3-none-any.whl");
    EXPECT_FALSE(first.yanked);
    EXPECT_EQ(first.requires_python.value_or(""), ">=3.8,<4");
    EXPECT_EQ(first.url, servers().https() + "/files/Demo_Pkg-1.0-py3-none-any.whl");
}

TEST_F(IndexIntegration, Pep658MetadataIsUsedAndNoWheelIsDownloaded) {
    auto e = engine();
    auto c = client(e, index_options(servers().https() + "/simple/"));
    const auto files = one(c, "big.blob");
    const auto wheel = find(files, "big_blob-1.0-py3-none-any.whl");
    ASSERT_TRUE(wheel.metadata.available);
    LogWindow log;
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::pep658);
    EXPECT_EQ(meta->parsed.name, "big.blob");
    EXPECT_EQ(meta->text, slurp(servers().tree() / "files" / "big_blob-1.0-py3-none-any.whl.metadata"));
    EXPECT_LT(meta->bytes_read, 1000U);
    EXPECT_EQ(log.count("GET /files/big_blob-1.0-py3-none-any.whl.metadata "), 1U);
    EXPECT_EQ(log.count("/files/big_blob-1.0-py3-none-any.whl "), 0U) << "the wheel itself was never requested";
}

TEST_F(IndexIntegration, RangeRequestsReadOnlyTheCentralDirectoryAndMetadata) {
    auto e = engine();
    auto options = index_options(servers().https() + "/simple/");
    options.use_pep658 = false;  // big.blob offers PEP 658; turn it off to exercise the range path on a big file
    auto c = client(e, options);
    const auto wheel = find(one(c, "big-blob"), "big_blob-1.0-py3-none-any.whl");
    const auto size = servers().files.at(wheel.filename).size;
    ASSERT_GT(size, 1'000'000U);
    LogWindow log;
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::range);
    EXPECT_EQ(meta->text, slurp(servers().tree() / "files" / "big_blob-1.0-py3-none-any.whl.metadata"));
    EXPECT_LT(meta->bytes_read * 20, size) << "read " << meta->bytes_read << " of " << size << " bytes";
    EXPECT_GE(log.count("GET /files/big_blob-1.0-py3-none-any.whl ", "\" 206 "), 1U);
    EXPECT_EQ(log.count("GET /files/big_blob-1.0-py3-none-any.whl ", "\" 200 "), 0U);
    EXPECT_EQ(log.count(".metadata"), 0U);
}

TEST_F(IndexIntegration, RangeReadingIsUsedWhenNoMetadataFileIsOffered) {
    auto e = engine();
    auto c = client(e, index_options(servers().https() + "/simple/"));
    const auto wheel = find(one(c, "demo-pkg"), "Demo_Pkg-2.0-py3-none-any.whl");
    EXPECT_FALSE(wheel.metadata.available);
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::range);
    EXPECT_EQ(meta->parsed.version, "2.0");
    EXPECT_GE(c.stats().range_requests, 1U);
}

TEST_F(IndexIntegration, WholeFileWhenTheServerDoesNotDoRanges) {
    auto e = engine();
    auto options = index_options(servers().http() + "/norange/simple/");
    options.use_pep658 = false;
    auto c = client(e, options);
    const auto wheel = find(one(c, "big-blob"), "big_blob-1.0-py3-none-any.whl");
    const auto size = servers().files.at(wheel.filename).size;
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::whole_file);
    EXPECT_EQ(meta->bytes_read, size);
    EXPECT_EQ(meta->parsed.name, "big.blob");
}

TEST_F(IndexIntegration, ManyMetadataFilesInOneParallelBatch) {
    auto e = engine();
    auto c = client(e, index_options(servers().https() + "/simple/"));
    std::vector<std::string> bulk;
    for (const auto& p : servers().projects()) {
        if (p.rfind("bulk-", 0) == 0) bulk.push_back(p);
    }
    std::vector<Candidate> wheels;
    for (auto& files : c.candidates(bulk)) {
        ASSERT_TRUE(files);
        wheels.insert(wheels.end(), files->candidates.begin(), files->candidates.end());
    }
    ASSERT_EQ(wheels.size(), bulk.size());
    auto metas = c.metadata(wheels);
    ASSERT_EQ(metas.size(), wheels.size());
    for (std::size_t i = 0; i < metas.size(); ++i) {
        ASSERT_TRUE(metas[i]) << metas[i].error().to_string();
        EXPECT_EQ(metas[i]->source, MetadataSource::pep658);
        EXPECT_EQ(tags::normalize_name(metas[i]->parsed.name), wheels[i].project());
    }
}

TEST_F(IndexIntegration, Pep658HashMismatchIsRefused) {
    auto e = engine();
    auto c = client(e, index_options(servers().https() + "/simple/"));
    auto wheel = find(one(c, "six"), "six-1.16.0-py3-none-any.whl");
    ASSERT_TRUE(wheel.metadata.hashes.count("sha256"));
    wheel.metadata.hashes["sha256"] = std::string(64, '0');
    auto meta = c.metadata(wheel);
    ASSERT_FALSE(meta);
    EXPECT_EQ(meta.error().code, ErrorCode::verification);
}

auto with_credentials(const std::string& base, const std::string& user, const std::string& password) -> std::string {
    const auto at = base.find("://") + 3;
    return base.substr(0, at) + user + ":" + password + "@" + base.substr(at);
}

TEST_F(IndexIntegration, PrivateIndexWithCredentialsInTheUrl) {
    auto e = engine();
    Recorder recorder;
    const auto url = with_credentials(servers().https(), servers().user(), servers().password()) + "/private/simple/";
    auto c = client(e, index_options(url));
    auto found = c.candidates({"demo-pkg", "six"}, &recorder);
    ASSERT_TRUE(found[0]) << found[0].error().to_string();
    ASSERT_TRUE(found[1]) << found[1].error().to_string();
    ASSERT_FALSE(found[0]->candidates.empty());
    const auto& wheel = found[0]->candidates.front();
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    auto ranged = c.metadata(find(*found[0], "Demo_Pkg-2.0-py3-none-any.whl"));
    ASSERT_TRUE(ranged) << ranged.error().to_string();
    EXPECT_EQ(ranged->source, MetadataSource::range);

    std::string everything = recorder.text;
    for (const auto& cand : found[0]->candidates) everything += cand.index + " " + cand.url + "\n";
    EXPECT_EQ(everything.find(servers().password()), std::string::npos) << "the index label and events are redacted";

    // A wrong password fails with an error that names neither password.
    auto bad = client(
        e, index_options(with_credentials(servers().https(), servers().user(), "wrong-pass-123") + "/private/simple/"));
    auto denied = bad.candidates({"demo-pkg"}, &recorder);
    ASSERT_FALSE(denied[0]);
    const auto text = denied[0].error().to_string() + recorder.text;
    EXPECT_NE(denied[0].error().message.find("401"), std::string::npos) << denied[0].error().to_string();
    EXPECT_EQ(text.find("wrong-pass-123"), std::string::npos) << text;
    EXPECT_EQ(text.find(servers().password()), std::string::npos);
}

TEST_F(IndexIntegration, PrivateIndexWithCredentialsFromNetrc) {
    const auto netrc = m_tmp / "netrc";
    std::ofstream(netrc) << "machine 127.0.0.1 login " << servers().user() << " password " << servers().password()
                         << "\n";
    auto o = engine_options();
    o.netrc = netrc;
    auto e = engine(o);
    auto c = client(e, index_options(servers().https() + "/private/simple/"));
    const auto files = one(c, "six");
    ASSERT_EQ(files.candidates.size(), 1U);
    auto meta = c.metadata(files.candidates.front());
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->parsed.name, "six");

    auto without = engine();
    auto denied = client(without, index_options(servers().https() + "/private/simple/")).candidates({"six"});
    ASSERT_FALSE(denied[0]) << "without netrc the private index refuses";
}

TEST_F(IndexIntegration, CoreMetadataIsKeptByContentAndADamagedEntryIsFetchedAgain) {
    auto e = engine();
    auto options = index_options(servers().https() + "/simple/");
    options.cache_dir = m_tmp / "cache";
    Candidate wheel;
    std::string first_text;
    {
        auto c = client(e, options);
        wheel = find(one(c, "big.blob"), "big_blob-1.0-py3-none-any.whl");
        ASSERT_TRUE(wheel.metadata.hashes.count("sha256"));
        auto meta = c.metadata(wheel);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::pep658);
        first_text = meta->text;
    }
    const auto entry = m_tmp / "cache" / "metadata-v1" / "sha256" / wheel.metadata.hashes.at("sha256").substr(0, 2) /
                       wheel.metadata.hashes.at("sha256");
    ASSERT_TRUE(fs::is_regular_file(entry)) << entry;
    {
        LogWindow log;
        auto c = client(e, options);
        auto meta = c.metadata(wheel);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::cache);
        EXPECT_EQ(meta->text, first_text);
        EXPECT_EQ(c.stats().requests, 0U);
        EXPECT_EQ(c.stats().metadata_cached, 1U);
        EXPECT_EQ(log.count(".metadata "), 0U);
    }
    // One byte changed on disk: the entry no longer hashes to its name, so it is fetched again and repaired.
    auto damaged = slurp(entry);
    damaged[damaged.size() / 2] ^= 0x20;
    {
        std::ofstream out(entry, std::ios::binary | std::ios::trunc);
        out << damaged;
    }
    {
        auto c = client(e, options);
        auto meta = c.metadata(wheel);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::pep658);
        EXPECT_EQ(meta->text, first_text);
        EXPECT_EQ(c.stats().metadata_cached, 0U);
    }
    EXPECT_EQ(slurp(entry), first_text) << "the damaged entry was replaced";
}

TEST_F(IndexIntegration, MetadataReadOutOfAWheelIsKeptUnderTheWheelsHash) {
    auto e = engine();
    auto options = index_options(servers().http() + "/norange/simple/");
    options.use_pep658 = false;
    options.cache_dir = m_tmp / "cache";
    Candidate wheel;
    {
        auto c = client(e, options);
        wheel = find(one(c, "big.blob"), "big_blob-1.0-py3-none-any.whl");
        auto meta = c.metadata(wheel);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::whole_file);
    }
    auto c = client(e, options);
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::cache);
    EXPECT_EQ(c.stats().requests, 0U);
}

TEST_F(IndexIntegration, MetadataReadByRangeRequestsIsNotKeptUnderTheDigestThePageClaims) {
    auto e = engine();
    auto options = index_options(servers().https() + "/simple/");
    options.cache_dir = m_tmp / "cache";
    Candidate wheel;
    {
        auto c = client(e, options);
        wheel = find(one(c, "demo-pkg"), "Demo_Pkg-2.0-py3-none-any.whl");
        ASSERT_FALSE(wheel.metadata.available);
        ASSERT_TRUE(wheel.hashes.count("sha256"));
        auto meta = c.metadata(wheel);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::range);
    }
    // A second client reads it again: nothing ties the bytes it got to the digest the page gave.
    auto c = client(e, options);
    auto meta = c.metadata(wheel);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->source, MetadataSource::range);
    EXPECT_EQ(c.stats().metadata_cached, 0U);

    // An entry where older versions stored range reads (a poisoned one, here) is not read, and a PEP 658 file
    // the page vouches for is fetched rather than lose to an entry under the wheel's digest.
    const auto& sha = wheel.hashes.at("sha256");
    const auto poisoned = "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 2.0\nRequires-Dist: evil-payload\n";
    for (const char* kind : {"wheel-sha256"}) {
        const auto entry = m_tmp / "cache" / "metadata-v1" / kind / sha.substr(0, 2) / sha;
        fs::create_directories(entry.parent_path());
        ASSERT_TRUE(util::write_file_atomic(entry, poisoned));
    }
    auto after = c.metadata(wheel);
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->parsed.requires_dist_raw.size(), meta->parsed.requires_dist_raw.size());
    auto blob_options = options;
    auto b = client(e, blob_options);
    const auto blob = find(one(b, "big-blob"), "big_blob-1.0-py3-none-any.whl");
    ASSERT_TRUE(blob.metadata.available && blob.metadata.hashes.count("sha256"));
    const auto& blob_sha = blob.hashes.at("sha256");
    const auto blob_entry = m_tmp / "cache" / "metadata-v1" / "checked-wheel-sha256" / blob_sha.substr(0, 2) / blob_sha;
    fs::create_directories(blob_entry.parent_path());
    ASSERT_TRUE(util::write_file_atomic(blob_entry,
                                        "Metadata-Version: 2.1\nName: big.blob\nVersion: 1.0\n"
                                        "Requires-Dist: evil-payload\n"));
    auto from_pep658 = b.metadata(blob);
    ASSERT_TRUE(from_pep658) << from_pep658.error().to_string();
    EXPECT_EQ(from_pep658->source, MetadataSource::pep658);
    EXPECT_EQ(from_pep658->text, slurp(servers().tree() / "files" / "big_blob-1.0-py3-none-any.whl.metadata"));
}

TEST_F(IndexIntegration, SecondRunIsServedFromTheCacheWith304s) {
    auto e = engine();
    const std::vector<std::string> projects = {"six", "demo-pkg", "big-blob", "bulk-00", "bulk-01"};
    auto options = index_options(servers().https() + "/simple/");
    options.cache_dir = m_tmp / "cache";
    std::vector<std::string> first_run;
    {
        auto c = client(e, options);
        for (auto& r : c.candidates(projects)) {
            ASSERT_TRUE(r);
            for (const auto& cand : r->candidates) first_run.push_back(comparable(cand));
        }
        EXPECT_EQ(c.stats().requests, projects.size());
        EXPECT_EQ(c.stats().not_modified, 0U);
    }
    LogWindow log;
    auto c = client(e, options);
    std::vector<std::string> second_run;
    for (auto& r : c.candidates(projects)) {
        ASSERT_TRUE(r);
        for (const auto& cand : r->candidates) second_run.push_back(comparable(cand));
    }
    EXPECT_EQ(second_run, first_run);
    EXPECT_EQ(c.stats().not_modified, projects.size());
    EXPECT_EQ(c.stats().bytes, 0U) << "no page body was transferred again";
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), projects.size());
    for (const auto& line : lines) EXPECT_NE(line.find("\" 304 "), std::string::npos) << line;
    // The HTML variant is a separate cache entry.
    auto html_options = options;
    html_options.accept = "text/html";
    auto h = client(e, html_options);
    ASSERT_TRUE(h.candidates({"six"})[0]);
    EXPECT_EQ(h.stats().not_modified, 0U);
}

TEST_F(IndexIntegration, PagesWithinMaxAgeAreServedWithoutAnyRequest) {
    auto e = engine();
    const std::vector<std::string> projects = {"six", "demo-pkg"};
    auto options = index_options(servers().https() + "/simple/");
    options.cache_dir = m_tmp / "cache";
    {
        auto c = client(e, options);
        for (auto& r : c.candidates(projects)) ASSERT_TRUE(r);
    }
    // nginx sends no Cache-Control here; give the stored pages a lifetime as a server with max-age would.
    cache::HttpCache store(m_tmp / "cache");
    for (const auto& p : projects) {
        const auto url = project_url(servers().https() + "/simple/", p);
        auto page = store.lookup(url, accept_header);
        ASSERT_TRUE(page.has_value()) << url;
        page->max_age = 3600;
        ASSERT_TRUE(store.store(url, *page));
    }
    LogWindow log;
    auto c = client(e, options);
    for (auto& r : c.candidates(projects)) {
        ASSERT_TRUE(r);
        EXPECT_FALSE(r->candidates.empty());
    }
    EXPECT_EQ(c.stats().cache_fresh, projects.size());
    EXPECT_EQ(c.stats().requests, 0U);
    EXPECT_TRUE(log.lines().empty()) << "nothing reached the server";
}

TEST_F(IndexIntegration, SeveralIndexesAndFindLinksAreMergedInOrder) {
    auto e = engine();
    ClientOptions o;
    o.sources.index_urls = {servers().https() + "/simple/", servers().http() + "/norange/simple/"};
    o.sources.find_links = {servers().https() + "/simple/six/", (servers().tree() / "files").string()};
    auto c = client(e, o);
    const auto files = one(c, "six");
    ASSERT_EQ(files.candidates.size(), 4U) << "two indexes, a find-links page and a find-links folder";
    EXPECT_EQ(files.candidates[0].url, servers().https() + "/files/six-1.16.0-py3-none-any.whl");
    EXPECT_EQ(files.candidates[1].url, servers().http() + "/norange/files/six-1.16.0-py3-none-any.whl");
    EXPECT_EQ(files.candidates[2].url, servers().https() + "/files/six-1.16.0-py3-none-any.whl");
    EXPECT_EQ(files.candidates[3].url.rfind("file://", 0), 0U);
    EXPECT_EQ(files.candidates[0].index, servers().https() + "/simple/");

    // An index that does not know the project adds nothing; it is not an error.
    ClientOptions partial;
    partial.sources.index_urls = {servers().https() + "/simple/", servers().https() + "/nothing-here/"};
    auto p = client(e, partial);
    EXPECT_EQ(one(p, "six").candidates.size(), 1U);
}

TEST_F(IndexIntegration, FileIndexAndFindLinksFolderMatchTheServer) {
    auto e = engine();
    auto remote = client(e, index_options(servers().https() + "/simple/"));
    auto local = client(e, index_options("file://" + (servers().tree() / "simple").string()));
    ClientOptions links_options;
    links_options.sources.no_index = true;
    links_options.sources.find_links = {(servers().tree() / "files").string()};
    auto links = client(e, links_options);
    for (const auto& project : {"demo-pkg", "six", "big-blob"}) {
        const auto r = one(remote, project);
        const auto l = one(local, project);
        const auto f = one(links, project);
        ASSERT_EQ(r.candidates.size(), l.candidates.size()) << project;
        ASSERT_EQ(r.candidates.size(), f.candidates.size()) << project;
        for (std::size_t i = 0; i < r.candidates.size(); ++i) {
            EXPECT_EQ(r.candidates[i].filename, l.candidates[i].filename);
            EXPECT_EQ(r.candidates[i].hashes, l.candidates[i].hashes);
            EXPECT_EQ(r.candidates[i].metadata, l.candidates[i].metadata);
            EXPECT_EQ(l.candidates[i].url,
                      "file://" + (servers().tree() / "files" / l.candidates[i].filename).string());
        }
        for (const auto& cand : f.candidates) {
            auto meta = links.metadata(cand);
            ASSERT_TRUE(meta) << meta.error().to_string();
            EXPECT_EQ(meta->source, MetadataSource::local_file);
        }
    }
    EXPECT_EQ(local.stats().requests, 0U);
    EXPECT_EQ(links.stats().requests, 0U);
}

}  // namespace
}  // namespace wheelhouse::index
