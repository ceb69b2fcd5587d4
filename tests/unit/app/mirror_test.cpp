#include "wheelhouse/app/mirror.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wheelhouse/index/index.hpp"

namespace wheelhouse::app {
namespace {

auto sample_files() -> std::vector<IndexFile> {
    IndexFile a;
    a.project = "demo-lite";
    a.filename = "demo_lite-1.0-py3-none-any.whl";
    a.version = "1.0";
    a.sha256 = std::string(64, 'a');
    a.size = 1234;
    a.requires_python = ">=3.9,<4";
    a.metadata_sha256 = std::string(64, 'b');
    IndexFile b = a;
    b.filename = "demo_lite-2.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    b.version = "2.0";
    b.sha256 = std::string(64, 'c');
    b.requires_python.reset();
    b.metadata_sha256.reset();
    return {a, b};
}

TEST(MirrorPages, HtmlPageIsReadByTheIndexParserWithHashesRequiresPythonAndMetadata) {
    auto files = sample_files();
    auto html = project_page_html("demo-lite", files);
    EXPECT_NE(html.find("data-requires-python=\"&gt;=3.9,&lt;4\""), std::string::npos) << html;
    auto page = index::parse_html_page(html, "https://mirror.example/simple/demo-lite/");
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->candidates.size(), 2U);
    const auto& c = page->candidates[0];
    EXPECT_EQ(c.url, "https://mirror.example/files/demo_lite-1.0-py3-none-any.whl");
    EXPECT_EQ(c.hashes.at("sha256"), files[0].sha256);
    ASSERT_TRUE(c.requires_python);
    EXPECT_EQ(*c.requires_python, ">=3.9,<4");
    EXPECT_TRUE(c.metadata.available);
    EXPECT_EQ(c.metadata.hashes.at("sha256"), *files[0].metadata_sha256);
    EXPECT_FALSE(page->candidates[1].metadata.available);
    EXPECT_FALSE(page->candidates[1].requires_python);
}

TEST(MirrorPages, JsonPageIsReadByTheIndexParserAndRoundTrips) {
    auto files = sample_files();
    auto text = project_page_json("demo-lite", files);
    auto doc = nlohmann::json::parse(text);
    EXPECT_EQ(doc["meta"]["api-version"], "1.1");
    EXPECT_EQ(doc["name"], "demo-lite");
    EXPECT_EQ(doc["files"][0]["size"], 1234);
    EXPECT_EQ(doc["files"][0]["yanked"], false);
    EXPECT_EQ(doc["versions"], nlohmann::json::array({"1.0", "2.0"}));
    auto page = index::parse_json_page(text, "https://mirror.example/simple/demo-lite/");
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->candidates.size(), 2U);
    EXPECT_EQ(page->candidates[0].url, "https://mirror.example/files/demo_lite-1.0-py3-none-any.whl");
    EXPECT_TRUE(page->candidates[0].metadata.available);
    EXPECT_EQ(page->candidates[0].metadata.hashes.at("sha256"), *files[0].metadata_sha256);

    auto back = parse_project_page_json(text, "demo-lite");
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->size(), files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ((*back)[i].filename, files[i].filename);
        EXPECT_EQ((*back)[i].sha256, files[i].sha256);
        EXPECT_EQ((*back)[i].size, files[i].size);
        EXPECT_EQ((*back)[i].requires_python, files[i].requires_python);
        EXPECT_EQ((*back)[i].metadata_sha256, files[i].metadata_sha256);
        EXPECT_EQ((*back)[i].version, files[i].version);
    }
}

TEST(MirrorPages, RootPagesListProjectsAndParseBack) {
    std::vector<std::string> projects{"acme-common-sql", "requests-lite"};
    auto html = root_page_html(projects);
    EXPECT_NE(html.find("<a href=\"acme-common-sql/\">acme-common-sql</a>"), std::string::npos) << html;
    auto names = parse_root_page_json(root_page_json(projects));
    ASSERT_TRUE(names) << names.error().message;
    EXPECT_EQ(*names, projects);
}

TEST(MirrorPages, MalformedExistingPagesAreErrorsNotCrashes) {
    for (const char* text : {"", "{", "[]", "{\"files\": 3}", "{\"files\": [{\"filename\": \"x.whl\"}]}",
                             "{\"files\": [{\"filename\": \"../x.whl\", \"hashes\": {\"sha256\": \""
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}]}",
                             "{\"files\": [{\"filename\": \"x.whl\", \"hashes\": {\"sha256\": \"zz\"}}]}"}) {
        EXPECT_FALSE(parse_project_page_json(text, "x")) << text;
    }
    EXPECT_FALSE(parse_root_page_json("{\"projects\": 1}"));
    EXPECT_FALSE(parse_root_page_json("nope"));
}

TEST(MirrorDest, S3LocationsAreParsedAndFoldersAreNot) {
    auto folder = parse_s3_location("/srv/pypi");
    ASSERT_TRUE(folder);
    EXPECT_FALSE(*folder);
    auto s3 = parse_s3_location("s3://bucket/some//prefix");
    ASSERT_TRUE(s3 && *s3);
    EXPECT_EQ((*s3)->bucket, "bucket");
    EXPECT_EQ((*s3)->prefix, "some/prefix/");
    auto bare = parse_s3_location("s3://bucket");
    ASSERT_TRUE(bare && *bare);
    EXPECT_EQ((*bare)->prefix, "");
    EXPECT_FALSE(parse_s3_location("s3:///x"));
    EXPECT_FALSE(parse_s3_location("s3://b/../x"));
}

TEST(MirrorRun, NothingToMirrorIsAUsageError) {
    MirrorOptions options;
    options.dest = "/nonexistent";
    auto result = mirror(options);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::usage);
}

}  // namespace
}  // namespace wheelhouse::app
