// The client over local sources (file:// indexes and --find-links folders) and the zip range reader on a
// real wheel; the network paths are in tests/integration/index_integration_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::index {
namespace {

namespace fs = std::filesystem;

const fs::path demo_wheel = fs::path(WHEELHOUSE_FIXTURES_DIR) / "wheels" / "demo_pkg-1.0.0-py3-none-any.whl";

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        m_path = fs::temp_directory_path() / ("wh index test " + std::to_string(rd()));  // a space, on purpose
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    TempDir(TempDir&&) = delete;
    auto operator=(TempDir&&) -> TempDir& = delete;
    [[nodiscard]] auto path() const -> const fs::path& { return m_path; }

private:
    fs::path m_path;
};

auto file_url(const fs::path& p) -> std::string {
    std::string out = "file://";
    for (char c : p.generic_string()) {
        if (c == ' ') {
            out += "%20";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

TEST(ZipReader, ReadsMetadataFromTheTailAndOneMember) {
    auto bytes = util::read_file(demo_wheel);
    ASSERT_TRUE(bytes);
    auto reader = archive::WheelReader::open(demo_wheel);
    ASSERT_TRUE(reader);
    auto want = reader->read_metadata();
    ASSERT_TRUE(want);

    const std::uint64_t size = bytes->size();
    for (std::size_t tail_size : {std::size_t{200}, std::size_t{1000}, bytes->size()}) {
        if (tail_size > bytes->size()) continue;
        const std::string_view tail = std::string_view(*bytes).substr(bytes->size() - tail_size);
        auto where = find_central_directory(tail, size);
        if (!where) {
            EXPECT_LT(tail_size, 300U) << "only a tail shorter than the central directory may fail: "
                                       << where.error().to_string();
            continue;
        }
        auto members =
            parse_central_directory(std::string_view(*bytes).substr(where->offset, where->size), where->entries);
        ASSERT_TRUE(members) << members.error().to_string();
        EXPECT_EQ(members->size(), reader->entries().size());
        auto member = find_metadata_member(*members);
        ASSERT_TRUE(member) << member.error().to_string();
        EXPECT_EQ(member->name, reader->dist_info() + "/METADATA");
        auto text = extract_member(std::string_view(*bytes).substr(member->local_header_offset), *member);
        ASSERT_TRUE(text) << text.error().to_string();
        EXPECT_EQ(*text, *want);
    }
}

TEST(ZipReader, RefusesDamagedInputs) {
    auto bytes = util::read_file(demo_wheel);
    ASSERT_TRUE(bytes);
    EXPECT_FALSE(find_central_directory("short", 5));
    EXPECT_FALSE(find_central_directory(std::string(100, 'x'), 100));
    auto where = find_central_directory(*bytes, bytes->size());
    ASSERT_TRUE(where);
    auto members = parse_central_directory(std::string_view(*bytes).substr(where->offset, where->size), where->entries);
    ASSERT_TRUE(members);
    EXPECT_FALSE(parse_central_directory(std::string_view(*bytes).substr(where->offset, 40), where->entries));
    auto member = find_metadata_member(*members);
    ASSERT_TRUE(member);
    std::string corrupt = bytes->substr(member->local_header_offset);
    corrupt[30 + member->name.size() + 3] ^= 0x55;
    EXPECT_FALSE(extract_member(corrupt, *member)) << "CRC or inflate must catch a flipped byte";
    EXPECT_FALSE(extract_member(bytes->substr(member->local_header_offset, 40), *member));
    EXPECT_FALSE(find_metadata_member({}));
}

// A file:// index laid out as an index server would: simple/<project>/index.html (or index.json) and files/.
struct LocalIndex {
    TempDir dir;
    fs::path simple = dir.path() / "simple";
    std::string sha;

    explicit LocalIndex(bool json) {
        fs::create_directories(simple / "demo-pkg");
        fs::create_directories(dir.path() / "files");
        fs::copy_file(demo_wheel, dir.path() / "files" / demo_wheel.filename());
        sha = util::sha256_hex(*util::read_file(demo_wheel));
        if (json) {
            EXPECT_TRUE(util::write_file_atomic(
                simple / "demo-pkg" / "index.json",
                R"({"meta": {"api-version": "1.1"}, "files": [{"filename": "demo_pkg-1.0.0-py3-none-any.whl",
                    "url": "../../files/demo_pkg-1.0.0-py3-none-any.whl", "hashes": {"sha256": ")" +
                    sha + R"("}, "requires-python": ">=3.8"}]})"));
        } else {
            EXPECT_TRUE(util::write_file_atomic(
                simple / "demo-pkg" / "index.html",
                "<html><body><a href=\"../../files/demo_pkg-1.0.0-py3-none-any.whl#sha256=" + sha +
                    "\" data-requires-python=\"&gt;=3.8\">demo_pkg-1.0.0-py3-none-any.whl</a></body></html>"));
        }
    }
};

auto make_client(http::Engine& engine, Sources sources) -> Client {
    ClientOptions options;
    options.sources = std::move(sources);
    auto client = Client::create(engine, std::move(options));
    EXPECT_TRUE(client) << client.error().to_string();
    return std::move(*client);
}

TEST(Client, FileIndexHtmlAndJsonGiveTheSameCandidates) {
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine);
    std::vector<std::vector<Candidate>> results;
    for (bool json : {false, true}) {
        LocalIndex index(json);
        auto client = make_client(*engine, Sources{{file_url(index.simple)}, {}, false});
        auto found = client.candidates({"Demo_Pkg", "missing-project"});
        ASSERT_EQ(found.size(), 2U);
        ASSERT_TRUE(found[0]) << found[0].error().to_string();
        ASSERT_TRUE(found[1]) << "a project the index does not have is simply empty";
        EXPECT_TRUE(found[1]->candidates.empty());
        EXPECT_EQ(found[0]->project, "demo-pkg");
        ASSERT_EQ(found[0]->candidates.size(), 1U);
        const auto& c = found[0]->candidates[0];
        EXPECT_EQ(c.hashes.at("sha256"), index.sha);
        EXPECT_EQ(c.requires_python.value_or(""), ">=3.8");
        EXPECT_TRUE(c.url.rfind("file://", 0) == 0) << c.url;

        auto meta = client.metadata(c);
        ASSERT_TRUE(meta) << meta.error().to_string();
        EXPECT_EQ(meta->source, MetadataSource::local_file);
        EXPECT_EQ(meta->parsed.name, "demo-pkg");
        EXPECT_EQ(client.stats().requests, 0U) << "file:// never goes through HTTP";
        results.push_back(found[0]->candidates);
        for (auto& r : results.back()) r.url = r.filename;  // the two temp folders differ
    }
    ASSERT_EQ(results[0].size(), results[1].size());
    EXPECT_EQ(results[0][0].hashes, results[1][0].hashes);
    EXPECT_EQ(results[0][0].requires_python, results[1][0].requires_python);
}

TEST(Client, FindLinksFolderAndNoIndex) {
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine);
    TempDir links;
    fs::copy_file(demo_wheel, links.path() / demo_wheel.filename());
    ASSERT_TRUE(util::write_file_atomic(links.path() / "demo-pkg-0.9.tar.gz", "not really"));
    ASSERT_TRUE(util::write_file_atomic(links.path() / "other-1.0.tar.gz", "x"));
    ASSERT_TRUE(util::write_file_atomic(links.path() / "README.txt", "x"));
    // --no-index with an index URL that does not exist: the index must not be consulted.
    auto client = make_client(*engine, Sources{{"https://127.0.0.1:1/simple/"}, {links.path().string()}, true});
    auto found = client.candidates({"demo-pkg", "other"});
    ASSERT_TRUE(found[0]) << found[0].error().to_string();
    ASSERT_EQ(found[0]->candidates.size(), 2U);
    EXPECT_EQ(found[0]->candidates[0].filename, "demo-pkg-0.9.tar.gz");
    EXPECT_FALSE(found[0]->candidates[0].is_wheel());
    EXPECT_EQ(found[0]->candidates[1].filename, demo_wheel.filename().string());
    EXPECT_EQ(found[0]->candidates[1].size.value_or(0), fs::file_size(demo_wheel));
    ASSERT_TRUE(found[1]);
    EXPECT_EQ(found[1]->candidates.size(), 1U);

    auto meta = client.metadata(found[0]->candidates[1]);
    ASSERT_TRUE(meta) << meta.error().to_string();
    EXPECT_EQ(meta->parsed.version, "1.0.0");
    auto sdist = client.metadata(found[0]->candidates[0]);
    ASSERT_FALSE(sdist);
    EXPECT_NE(sdist.error().message.find("build"), std::string::npos);
}

TEST(Client, FindLinksHtmlPageAndMergedSources) {
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine);
    LocalIndex first(false);
    LocalIndex second(true);
    TempDir links;
    ASSERT_TRUE(util::write_file_atomic(links.path() / "links.html",
                                        "<a href='https://example.org/x/demo_pkg-0.5-py3-none-any.whl'>x</a>"));
    auto client = make_client(
        *engine,
        Sources{{file_url(first.simple), file_url(second.simple)}, {(links.path() / "links.html").string()}, false});
    auto found = client.candidates({"demo-pkg"});
    ASSERT_TRUE(found[0]) << found[0].error().to_string();
    ASSERT_EQ(found[0]->candidates.size(), 3U) << "every index and find-links source is consulted";
    EXPECT_EQ(found[0]->candidates[0].index, file_url(first.simple)) << "in source order";
    EXPECT_EQ(found[0]->candidates[1].index, file_url(second.simple));
    EXPECT_EQ(found[0]->candidates[0].url, file_url(first.dir.path() / "files" / demo_wheel.filename()));
    EXPECT_EQ(found[0]->candidates[2].url, "https://example.org/x/demo_pkg-0.5-py3-none-any.whl");
}

TEST(Client, ReportsMissingFindLinksAndEmptyConfiguration) {
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine);
    EXPECT_FALSE(Client::create(*engine, ClientOptions{}));
    auto client = make_client(*engine, Sources{{}, {"/nonexistent/folder/for/wheelhouse"}, true});
    auto found = client.candidates({"x"});
    ASSERT_FALSE(found[0]);
    EXPECT_EQ(found[0].error().code, ErrorCode::not_found);
}

TEST(Client, Pep658HashMismatchIsAVerificationError) {
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine);
    TempDir links;
    fs::copy_file(demo_wheel, links.path() / demo_wheel.filename());
    auto reader = archive::WheelReader::open(demo_wheel);
    ASSERT_TRUE(reader);
    const auto text = *reader->read_metadata();
    ASSERT_TRUE(util::write_file_atomic(links.path() / (demo_wheel.filename().string() + ".metadata"), text));
    const auto url = file_url(links.path() / demo_wheel.filename());
    ASSERT_TRUE(util::write_file_atomic(
        links.path() / "page.html", "<a href='" + url + "' data-core-metadata='sha256=" + util::sha256_hex(text) +
                                        "'>a</a>" + "<a href='" + url + "' data-core-metadata='sha256=0000'>b</a>"));
    auto client = make_client(*engine, Sources{{}, {(links.path() / "page.html").string()}, true});
    auto found = client.candidates({"demo-pkg"});
    ASSERT_TRUE(found[0]);
    ASSERT_EQ(found[0]->candidates.size(), 2U);
    auto good = client.metadata(found[0]->candidates[0]);
    ASSERT_TRUE(good) << good.error().to_string();
    EXPECT_EQ(good->text, text);
    EXPECT_EQ(good->bytes_read, text.size()) << "only the .metadata file was read";
    auto bad = client.metadata(found[0]->candidates[1]);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::verification);
}

TEST(WheelMetadataCheck, TheWheelsOwnMetadataMustMatchWhatTheResolutionUsed) {
    auto own = util::read_file(demo_wheel);
    ASSERT_TRUE(own);
    const std::string text =
        "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0.0\nRequires-Python: >=3.8\n"
        "Requires-Dist: tomli >=1.1.0 ; python_version < \"3.11\"\n"
        "Requires-Dist: requests[socks,security] >=2.28,<3\n"  // order and spelling of the name do not matter
        "Requires-Dist: pywin32 ; sys_platform == \"win32\"\nRequires-Dist: pytest >=7 ; extra == \"test\"\n"
        "Provides-Extra: Test\nSummary: another summary\n";
    auto same = metadata::Metadata::parse(text);
    ASSERT_TRUE(same) << same.error().to_string();
    EXPECT_TRUE(check_wheel_metadata(demo_wheel, demo_wheel.filename().string(), *same, "the PEP 658 file X"));

    auto injected = metadata::Metadata::parse(text + "Requires-Dist: evil-payload\n");
    ASSERT_TRUE(injected);
    auto bad = check_wheel_metadata(demo_wheel, demo_wheel.filename().string(), *injected, "range requests to U");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::verification);
    for (const char* want :
         {"demo_pkg-1.0.0-py3-none-any.whl", "METADATA", "range requests to U", "Requires-Dist", "evil-payload"}) {
        EXPECT_NE(bad.error().message.find(want), std::string::npos) << want << ": " << bad.error().message;
    }
    EXPECT_FALSE(bad.error().hint.empty());
    for (const std::string& changed :
         {std::string("Version: 1.0.1"), std::string("Requires-Python: >=3.12"), std::string("Provides-Extra: cli")}) {
        std::string edited = text;
        const auto field = changed.substr(0, changed.find(':') + 1);
        const auto line = edited.find("\n" + field);
        if (line != std::string::npos) {
            edited.replace(line + 1, edited.find('\n', line + 1) - line - 1, changed);
        }
        auto other = metadata::Metadata::parse(edited);
        ASSERT_TRUE(other) << edited;
        EXPECT_FALSE(check_wheel_metadata(demo_wheel, "demo_pkg-1.0.0-py3-none-any.whl", *other, "x")) << changed;
    }
}

TEST(WheelMetadataCheck, SourcesAreDescribedWithRedactedUrls) {
    Candidate c;
    c.filename = "demo_pkg-1.0.0-py3-none-any.whl";
    c.url = "https://user:secret@example.org/files/demo_pkg-1.0.0-py3-none-any.whl";
    EXPECT_EQ(describe_metadata_source(c, MetadataSource::pep658),
              "the PEP 658 file https://user:***@example.org/files/demo_pkg-1.0.0-py3-none-any.whl.metadata");
    EXPECT_EQ(describe_metadata_source(c, MetadataSource::range).find("secret"), std::string::npos);
}

}  // namespace
}  // namespace wheelhouse::index
