// Every index page of the peer corpora (fixtures/corpora/{poetry,pip}) against expected_pages.json, which
// fixtures/index/make_expected.py wrote with independent tools (html.parser, urljoin, pip's packaging).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/file.hpp"

namespace wheelhouse::index {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

auto corpora() -> fs::path {
    return WHEELHOUSE_CORPORA_DIR;
}

auto expected_pages() -> json {
    auto text = util::read_file(fs::path(WHEELHOUSE_FIXTURES_DIR) / "index" / "expected_pages.json");
    EXPECT_TRUE(text) << "expected_pages.json missing";
    return text ? json::parse(*text) : json::object();
}

// The index pages in the corpora: HTML project pages and PEP 691 JSON pages. The poetry corpus also has
// PyPI's JSON API (pypi.org/json/<project>.json); that is a different API, not a project page, so those
// files were not copied into fixtures/ and are not parsed here.
auto corpus_pages() -> std::set<std::string> {
    std::set<std::string> pages;
    for (const char* folder : {"poetry", "pip"}) {
        for (const auto& entry : fs::recursive_directory_iterator(corpora() / folder)) {
            if (!entry.is_regular_file()) continue;
            const auto rel = fs::relative(entry.path(), corpora()).generic_string();
            const auto ext = entry.path().extension();
            if (ext == ".html" || (ext == ".json" && rel.find("/legacy/json/") != std::string::npos)) {
                pages.insert(rel);
            }
        }
    }
    return pages;
}

auto hashes_json(const std::map<std::string, std::string>& hashes) -> json {
    json out = json::object();
    for (const auto& [k, v] : hashes) out[k] = v;
    return out;
}

TEST(PageCorpus, EveryPageGivesTheExpectedCandidatesAndSkips) {
    const auto expected = expected_pages();
    const auto pages = corpus_pages();
    ASSERT_EQ(pages.size(), 43U) << "35 HTML pages and 8 JSON pages are in fixtures/corpora";
    ASSERT_EQ(expected.size(), pages.size());
    std::size_t files_checked = 0;
    for (const auto& rel : pages) {
        SCOPED_TRACE(rel);
        ASSERT_TRUE(expected.contains(rel)) << "no expectation for " << rel;
        const auto& want = expected.at(rel);
        auto body = util::read_file(corpora() / rel);
        ASSERT_TRUE(body);
        const auto url = want.at("page_url").get<std::string>();
        const bool is_json = want.at("format") == "json";
        auto page = is_json ? parse_json_page(*body, url, "corpus") : parse_html_page(*body, url, "corpus");
        ASSERT_TRUE(page) << page.error().to_string();
        EXPECT_EQ(page->format, is_json ? PageFormat::json : PageFormat::html);
        if (is_json && !want.at("api_version").is_null()) {
            EXPECT_EQ(page->api_version.value_or(""), want.at("api_version").get<std::string>());
        }
        const auto& cands = want.at("candidates");
        ASSERT_EQ(page->candidates.size(), cands.size()) << rel;
        ASSERT_EQ(page->skipped.size(), want.at("skipped").size()) << rel;
        for (std::size_t i = 0; i < cands.size(); ++i) {
            const auto& w = cands[i];
            const auto& c = page->candidates[i];
            SCOPED_TRACE(w.at("filename").get<std::string>());
            EXPECT_EQ(c.filename, w.at("filename").get<std::string>());
            EXPECT_EQ(c.url, w.at("url").get<std::string>());
            EXPECT_EQ(c.project(), w.at("project").get<std::string>());
            EXPECT_EQ(c.version().to_string(), w.at("version").get<std::string>());
            EXPECT_EQ(hashes_json(c.hashes), w.at("hashes"));
            EXPECT_EQ(c.requires_python.has_value(), !w.at("requires_python").is_null());
            if (c.requires_python && !w.at("requires_python").is_null()) {
                EXPECT_EQ(*c.requires_python, w.at("requires_python").get<std::string>());
            }
            EXPECT_EQ(c.yanked, w.at("yanked").get<bool>());
            EXPECT_EQ(c.yanked_reason.has_value(), !w.at("yanked_reason").is_null());
            if (c.yanked_reason && !w.at("yanked_reason").is_null()) {
                EXPECT_EQ(*c.yanked_reason, w.at("yanked_reason").get<std::string>());
            }
            EXPECT_EQ(c.metadata.available, w.at("metadata").at("available").get<bool>());
            EXPECT_EQ(hashes_json(c.metadata.hashes), w.at("metadata").at("hashes"));
            if (w.at("size").is_null()) {
                EXPECT_FALSE(c.size.has_value());
            } else {
                EXPECT_EQ(c.size.value_or(0), w.at("size").get<std::uint64_t>());
            }
            EXPECT_EQ(c.index, "corpus");
            ++files_checked;
        }
        for (std::size_t i = 0; i < page->skipped.size(); ++i) {
            const auto name = want.at("skipped")[i].get<std::string>();
            EXPECT_EQ(page->skipped[i].substr(0, name.size()), name);
        }
    }
    EXPECT_EQ(files_checked, 203U) << "candidate files across all pages";
}

// A few exact facts per page, written by hand from reading the pages (not generated).
auto parse_corpus(const std::string& rel, const std::string& url) -> Page {
    auto body = util::read_file(corpora() / rel);
    EXPECT_TRUE(body) << rel;
    auto page =
        rel.ends_with(".json") ? parse_json_page(body.value_or(""), url) : parse_html_page(body.value_or(""), url);
    EXPECT_TRUE(page) << rel;
    return page ? *page : Page{};
}

TEST(PageCorpus, RequiresPythonEntitiesAreDecoded) {
    const auto page = parse_corpus("pip/tests/data/indexes/datarequire/fakepackage/index.html",
                                   "https://example.org/simple/fakepackage/");
    ASSERT_EQ(page.candidates.size(), 5U);
    EXPECT_FALSE(page.candidates[0].requires_python.has_value()) << "an empty attribute means no constraint";
    EXPECT_EQ(page.candidates[1].requires_python.value_or(""), "<2.7");
    EXPECT_EQ(page.candidates[2].requires_python.value_or(""), ">=2.7,<3");
    EXPECT_EQ(page.candidates[3].requires_python.value_or(""), ">=3.3");
    EXPECT_EQ(page.candidates[4].requires_python.value_or(""), "><X.y.z") << "kept as written; the resolver judges it";
    EXPECT_EQ(page.candidates[2].url, "https://example.org/fakepackage-2.7.0.tar.gz") << "root-relative link";
    EXPECT_EQ(page.candidates[2].hashes.at("md5"), "00000000000000000000000000000000");
}

TEST(PageCorpus, YankedWithAndWithoutReason) {
    auto page = parse_corpus("pip/tests/data/indexes/yanked/simple/index.html", "https://example.org/simple/simple/");
    ASSERT_EQ(page.candidates.size(), 3U);
    EXPECT_FALSE(page.candidates[0].yanked);
    EXPECT_FALSE(page.candidates[1].yanked);
    EXPECT_TRUE(page.candidates[2].yanked);
    EXPECT_EQ(page.candidates[2].yanked_reason.value_or(""), "test reason message");
    EXPECT_EQ(page.candidates[2].url, "https://example.org/packages/simple-3.0.tar.gz");

    page = parse_corpus("poetry/tests/repositories/fixtures/legacy/futures-partial-yank.html",
                        "https://example.org/simple/futures/");
    ASSERT_EQ(page.candidates.size(), 2U);
    EXPECT_TRUE(page.candidates[0].yanked) << "a bare data-yanked attribute";
    EXPECT_FALSE(page.candidates[0].yanked_reason.has_value());
    EXPECT_FALSE(page.candidates[1].yanked);
    EXPECT_EQ(page.candidates[0].requires_python.value_or(""), ">=2.6, <3");
}

TEST(PageCorpus, FileNameComesFromTheLinkNotItsText) {
    const auto page = parse_corpus("pip/tests/data/indexes/pre/bar/index.html", "https://example.org/simple/bar/");
    ASSERT_EQ(page.candidates.size(), 3U);
    EXPECT_EQ(page.candidates[1].filename, "bar-2.0b1.tar.gz");
    EXPECT_EQ(page.candidates[1].version().to_string(), "2.0b1");
}

TEST(PageCorpus, DistInfoMetadataHashFromHtmlAndJson) {
    const auto html = parse_corpus("poetry/tests/repositories/fixtures/legacy/poetry-test-py2-py3-metadata-merge.html",
                                   "https://example.org/simple/x/");
    const auto js =
        parse_corpus("poetry/tests/repositories/fixtures/legacy/json/poetry-test-py2-py3-metadata-merge.json",
                     "https://example.org/simple/x/");
    ASSERT_FALSE(html.candidates.empty());
    ASSERT_EQ(html.candidates.size(), js.candidates.size());
    for (std::size_t i = 0; i < html.candidates.size(); ++i) {
        EXPECT_EQ(html.candidates[i].filename, js.candidates[i].filename);
        EXPECT_EQ(html.candidates[i].url, js.candidates[i].url);
        EXPECT_EQ(html.candidates[i].hashes, js.candidates[i].hashes);
        EXPECT_EQ(html.candidates[i].metadata, js.candidates[i].metadata);
        EXPECT_EQ(html.candidates[i].requires_python, js.candidates[i].requires_python);
    }
}

TEST(PageCorpus, HtmlAndJsonTwinsAgree) {
    // Poetry's legacy pages come in pairs (x.html and json/x.json) describing the same files.
    std::size_t pairs = 0;
    for (const auto& rel : corpus_pages()) {
        if (!rel.ends_with(".json")) continue;
        const auto stem = fs::path(rel).stem().string();
        const auto html_rel = "poetry/tests/repositories/fixtures/legacy/" + stem + ".html";
        const auto url = "https://example.org/simple/" + stem + "/";
        const auto js = parse_corpus(rel, url);
        const auto html = parse_corpus(html_rel, url);
        ASSERT_EQ(js.candidates.size(), html.candidates.size()) << stem;
        for (std::size_t i = 0; i < js.candidates.size(); ++i) {
            EXPECT_EQ(js.candidates[i].filename, html.candidates[i].filename) << stem;
            EXPECT_EQ(js.candidates[i].url, html.candidates[i].url) << stem;
            // demo.json omits the md5 its HTML twin carries; where both have a sha256 it must agree.
            if (js.candidates[i].hashes.count("sha256") != 0 && html.candidates[i].hashes.count("sha256") != 0) {
                EXPECT_EQ(js.candidates[i].hashes.at("sha256"), html.candidates[i].hashes.at("sha256")) << stem;
            }
            EXPECT_EQ(js.candidates[i].yanked, html.candidates[i].yanked) << stem;
        }
        ++pairs;
    }
    EXPECT_EQ(pairs, 8U);
}

}  // namespace
}  // namespace wheelhouse::index
