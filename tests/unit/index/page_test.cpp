#include <gtest/gtest.h>

#include "wheelhouse/index/index.hpp"

namespace wheelhouse::index {
namespace {

constexpr const char* page_url = "https://example.org/simple/demo/";

auto html(const std::string& body) -> Page {
    auto page = parse_html_page("<!DOCTYPE html><html><body>" + body + "</body></html>", page_url, "test");
    EXPECT_TRUE(page) << page.error().to_string();
    return page ? *page : Page{};
}

auto json_page(const std::string& text) -> Expected<Page> {
    return parse_json_page(text, page_url, "test");
}

TEST(HtmlPage, ResolvesRelativeAbsoluteAndBaseHrefLinks) {
    auto page = html(R"(<a href="demo-1.0.tar.gz">a</a>
        <a href="../../files/demo-1.1.tar.gz">b</a>
        <a href="/root/demo-1.2.tar.gz">c</a>
        <a href="https://files.example.com/x/demo-1.3.tar.gz">d</a>
        <a href="//cdn.example.com/demo-1.4.tar.gz">e</a>)");
    ASSERT_EQ(page.candidates.size(), 5U);
    EXPECT_EQ(page.candidates[0].url, "https://example.org/simple/demo/demo-1.0.tar.gz");
    EXPECT_EQ(page.candidates[1].url, "https://example.org/files/demo-1.1.tar.gz");
    EXPECT_EQ(page.candidates[2].url, "https://example.org/root/demo-1.2.tar.gz");
    EXPECT_EQ(page.candidates[3].url, "https://files.example.com/x/demo-1.3.tar.gz");
    EXPECT_EQ(page.candidates[4].url, "https://cdn.example.com/demo-1.4.tar.gz");

    auto based = parse_html_page(R"(<html><head><base href="https://mirror.example.net/pkgs/"></head>
        <body><a href="demo-2.0.tar.gz">x</a></body></html>)",
                                 page_url);
    ASSERT_TRUE(based);
    ASSERT_EQ(based->candidates.size(), 1U);
    EXPECT_EQ(based->candidates[0].url, "https://mirror.example.net/pkgs/demo-2.0.tar.gz");
}

TEST(HtmlPage, HashFragmentsAndEntitiesInAttributes) {
    auto page =
        html(R"(<a href="demo-1.0-py3-none-any.whl#sha256=ABCDEF&amp;x" data-requires-python="&gt;=3.8,&lt;4">w</a>
        <a href="demo-1.1.tar.gz#sha512=00ff">s</a>
        <a href="demo-1.2.tar.gz#egg=demo">s</a>)");
    ASSERT_EQ(page.candidates.size(), 3U);
    const auto& w = page.candidates[0];
    EXPECT_TRUE(w.is_wheel());
    EXPECT_EQ(w.url, "https://example.org/simple/demo/demo-1.0-py3-none-any.whl");
    EXPECT_EQ(w.hashes.at("sha256"), "abcdef&x") << "the fragment value is kept (lower case), entity decoded";
    EXPECT_EQ(w.requires_python.value_or(""), ">=3.8,<4");
    EXPECT_EQ(page.candidates[1].hashes.at("sha512"), "00ff");
    EXPECT_TRUE(page.candidates[2].hashes.empty()) << "#egg= is not a hash";
    EXPECT_EQ(w.project(), "demo");
    EXPECT_EQ(w.version().to_string(), "1.0");
    EXPECT_EQ(w.metadata_url(), "https://example.org/simple/demo/demo-1.0-py3-none-any.whl.metadata");
}

TEST(HtmlPage, CoreMetadataIsPreferredOverDistInfoMetadata) {
    auto page = html(
        R"(<a href="demo-1.0-py3-none-any.whl" data-dist-info-metadata="sha256=aa" data-core-metadata="sha256=BB">1</a>
        <a href="demo-1.1-py3-none-any.whl" data-dist-info-metadata="sha256=cc">2</a>
        <a href="demo-1.2-py3-none-any.whl" data-core-metadata="true">3</a>
        <a href="demo-1.3-py3-none-any.whl" data-core-metadata>4</a>
        <a href="demo-1.4-py3-none-any.whl" data-core-metadata="false">5</a>
        <a href="demo-1.5-py3-none-any.whl">6</a>)");
    ASSERT_EQ(page.candidates.size(), 6U);
    EXPECT_TRUE(page.candidates[0].metadata.available);
    EXPECT_EQ(page.candidates[0].metadata.hashes.at("sha256"), "bb");
    EXPECT_EQ(page.candidates[1].metadata.hashes.at("sha256"), "cc");
    EXPECT_TRUE(page.candidates[2].metadata.available);
    EXPECT_TRUE(page.candidates[2].metadata.hashes.empty());
    EXPECT_TRUE(page.candidates[3].metadata.available);
    EXPECT_FALSE(page.candidates[4].metadata.available);
    EXPECT_FALSE(page.candidates[5].metadata.available);
}

TEST(HtmlPage, DropsLinksThatAreNotDistributionsAndSaysWhy) {
    auto page = html(R"(<a href="demo-1.0.exe">a</a><a href="demo-notaversion!.tar.gz">b</a>
        <a href="bad_wheel.whl">c</a><a>no href</a><a href="">empty</a><a href="demo-1.0.zip">ok</a>)");
    ASSERT_EQ(page.candidates.size(), 1U);
    EXPECT_EQ(page.candidates[0].filename, "demo-1.0.zip");
    ASSERT_EQ(page.skipped.size(), 3U);
    EXPECT_EQ(page.skipped[0].rfind("demo-1.0.exe: ", 0), 0U) << page.skipped[0];
}

TEST(HtmlPage, RecoversFromBrokenMarkupAndReadsRepositoryVersion) {
    auto page = parse_html_page(
        R"(<html><head><meta name="pypi:repository-version" content="1.1"><body><p><a href="demo-1.0.tar.gz">x<a href="demo-2.0.tar.gz">y)",
        page_url);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->api_version.value_or(""), "1.1");
    EXPECT_EQ(page->candidates.size(), 2U);
    EXPECT_TRUE(parse_html_page("", page_url)->candidates.empty());
    EXPECT_TRUE(parse_html_page(std::string("\0\0\xff<a", 5), page_url).has_value());
}

TEST(HtmlPage, DoesNotLoadExternalEntities) {
    auto page = parse_html_page(R"(<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>
        <html><body><a href="demo-1.0.tar.gz" data-yanked="&x;">x</a></body></html>)",
                                page_url);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->candidates.size(), 1U);
    EXPECT_EQ(page->candidates[0].yanked_reason.value_or("").find("root:"), std::string::npos);
}

TEST(HtmlPage, PercentEncodedFileNamesAreDecoded) {
    auto page = html(R"(<a href="demo-1.0%2Blocal-py3-none-any.whl">x</a><a href="in dex/demo-2.0.tar.gz">y</a>)");
    ASSERT_EQ(page.candidates.size(), 2U);
    EXPECT_EQ(page.candidates[0].filename, "demo-1.0+local-py3-none-any.whl");
    EXPECT_EQ(page.candidates[0].version().to_string(), "1.0+local");
    EXPECT_EQ(page.candidates[1].url, "https://example.org/simple/demo/in%20dex/demo-2.0.tar.gz");
}

TEST(JsonPage, ReadsEveryPep691Field) {
    auto page = json_page(R"({"meta": {"api-version": "1.1"}, "name": "demo", "files": [
        {"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
         "hashes": {"sha256": "AA", "md5": "bb"}, "requires-python": ">=3.8", "yanked": "broken",
         "core-metadata": {"sha256": "cc"}, "dist-info-metadata": {"sha256": "dd"}, "size": 1234},
        {"filename": "demo-1.1.tar.gz", "url": "https://x.example/demo-1.1.tar.gz", "hashes": {},
         "yanked": true, "dist-info-metadata": true},
        {"filename": "demo-1.2.tar.gz", "url": "demo-1.2.tar.gz", "hashes": {}, "yanked": false,
         "core-metadata": false, "requires-python": null}
    ]})");
    ASSERT_TRUE(page) << page.error().to_string();
    EXPECT_EQ(page->format, PageFormat::json);
    EXPECT_EQ(page->api_version.value_or(""), "1.1");
    ASSERT_EQ(page->candidates.size(), 3U);
    const auto& a = page->candidates[0];
    EXPECT_EQ(a.url, "https://example.org/files/demo-1.0-py3-none-any.whl");
    EXPECT_EQ(a.hashes.at("sha256"), "aa");
    EXPECT_EQ(a.hashes.at("md5"), "bb");
    EXPECT_EQ(a.requires_python.value_or(""), ">=3.8");
    EXPECT_TRUE(a.yanked);
    EXPECT_EQ(a.yanked_reason.value_or(""), "broken");
    EXPECT_EQ(a.metadata.hashes.at("sha256"), "cc") << "PEP 714: core-metadata wins";
    EXPECT_EQ(a.size.value_or(0), 1234U);
    EXPECT_TRUE(page->candidates[1].yanked);
    EXPECT_FALSE(page->candidates[1].yanked_reason.has_value());
    EXPECT_TRUE(page->candidates[1].metadata.available);
    EXPECT_FALSE(page->candidates[2].yanked);
    EXPECT_FALSE(page->candidates[2].metadata.available);
    EXPECT_FALSE(page->candidates[2].requires_python.has_value());
}

TEST(JsonPage, RejectsMalformedDocumentsWithAClearError) {
    EXPECT_FALSE(json_page("{"));
    EXPECT_FALSE(json_page("[]"));
    EXPECT_FALSE(json_page(R"({"files": {}})"));
    EXPECT_FALSE(json_page(R"({"files": [{"filename": "x"}]})"));
    auto v2 = json_page(R"({"meta": {"api-version": "2.0"}, "files": []})");
    ASSERT_FALSE(v2);
    EXPECT_NE(v2.error().message.find("api-version"), std::string::npos);
    EXPECT_TRUE(json_page(R"({"meta": {"api-version": "1.4"}})"));
    auto e = parse_json_page("nope", "https://alice:s3cret@example.org/simple/x/");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().to_string().find("s3cret"), std::string::npos);
}

TEST(ParsePage, ContentTypeChoosesTheParser) {
    const std::string js =
        R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}}]})";
    auto page = parse_page(js, "application/vnd.pypi.simple.v1+json; charset=utf-8", page_url);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->format, PageFormat::json);
    EXPECT_EQ(page->candidates.size(), 1U);
    auto as_html = parse_page("<a href='demo-1.0.tar.gz'>x</a>", "text/html", page_url);
    ASSERT_TRUE(as_html);
    EXPECT_EQ(as_html->format, PageFormat::html);
    EXPECT_EQ(parse_page("<a href='demo-1.0.tar.gz'>x</a>", "application/vnd.pypi.simple.v1+html", page_url)->format,
              PageFormat::html);
}

TEST(Urls, ProjectUrlUsesTheCanonicalName) {
    EXPECT_EQ(project_url("https://pypi.org/simple", "Foo.Bar_baz"), "https://pypi.org/simple/foo-bar-baz/");
    EXPECT_EQ(project_url("https://pypi.org/simple/", "six"), "https://pypi.org/simple/six/");
}

TEST(Urls, ResolveAndDecode) {
    EXPECT_EQ(resolve_url("file:///x/in dex/simple/", "../../../packages/simple-1.0.tar.gz"),
              "file:///packages/simple-1.0.tar.gz");
    EXPECT_EQ(resolve_url("http://h/a/b", "?q"), "http://h/a/b?q");
    EXPECT_EQ(percent_decode("a%20b%2bc%zz%4"), "a b+c%zz%4");
}

TEST(HtmlPage, ARemotePageMayNotPointAtLocalFiles) {
    // A direct file: link, a <base href> that turns relative links into file: URLs, and the JSON form.
    for (const std::string& body :
         {std::string(R"(<a href="file:///etc/demo-1.0-py3-none-any.whl">x</a>)"),
          std::string(
              R"(<html><head><base href="FILE:///home/user/.ssh/"></head><body><a href="demo-1.0.tar.gz">x</a>)"),
          std::string(R"(<a href=" file:/w/demo-1.0.zip">x</a>)")}) {
        auto page = parse_html_page(body, page_url, "test");
        ASSERT_FALSE(page) << body;
        EXPECT_EQ(page.error().code, ErrorCode::network) << body;
        EXPECT_NE(page.error().message.find("local file"), std::string::npos) << page.error().message;
        EXPECT_FALSE(page.error().hint.empty());
    }
    auto json =
        parse_json_page(R"({"files":[{"filename":"demo-1.0.tar.gz","url":"file:///etc/demo-1.0.tar.gz"}]})", page_url);
    ASSERT_FALSE(json);
    EXPECT_EQ(json.error().code, ErrorCode::network);
    // A local page (a file:// index or find-links page) may list local files, and any page may link to http(s).
    auto local = parse_html_page(R"(<a href="file:///w/demo-1.0.tar.gz">x</a><a href="demo-1.1.tar.gz">y</a>)",
                                 "file:///w/simple/demo/");
    ASSERT_TRUE(local) << local.error().to_string();
    EXPECT_EQ(local->candidates.size(), 2U);
}

TEST(Urls, FileUrlsToPaths) {
    EXPECT_EQ(file_url_path("file:///w/a%20b/x-1.0-py3-none-any.whl"), "/w/a b/x-1.0-py3-none-any.whl");
    EXPECT_EQ(file_url_path("FILE://localhost/w/x.whl?v=1#sha256=00"), "/w/x.whl");
    EXPECT_EQ(file_url_path("file:/w/%23x.whl"), "/w/#x.whl");
    EXPECT_EQ(file_url_path("https://h/w/x.whl"), std::nullopt);
    EXPECT_EQ(file_url_path("/w/x.whl"), std::nullopt);
}

}  // namespace
}  // namespace wheelhouse::index
