// Requirements-file parser: every fixture in fixtures/reqfiles against its expected model, and the
// behaviours users rely on (locations, includes, fetcher, environment, pip's quirks).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/util/file.hpp"

namespace fs = std::filesystem;
using namespace wheelhouse;
using namespace wheelhouse::reqfile;

namespace {

const fs::path reqfiles_dir = fs::path(WHEELHOUSE_FIXTURES_DIR) / "reqfiles";

// The environment and network the fixtures are written for (see fixtures/reqfiles/NOTICE.md).
auto fixture_options() -> ParseOptions {
    ParseOptions options;
    options.environment = [](std::string_view name) -> std::optional<std::string> {
        static const std::map<std::string, std::string, std::less<>> env{{"WH_INDEX_HOST", "pypi.example.org"},
                                                                         {"WH_USER", "deploy"},
                                                                         {"WH_TOKEN", "s3cr3t"},
                                                                         {"WH_VERSION", "2.31.0"},
                                                                         {"WH_EMPTY", ""}};
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    options.fetcher = [](std::string_view url) -> Expected<std::string> {
        auto sep = url.find("://");
        if (sep == std::string_view::npos) return make_error(ErrorCode::network, "bad URL");
        return util::read_file(reqfiles_dir / "remote" / std::string(url.substr(sep + 3)));
    };
    return options;
}

// Runs with the working directory at fixtures/reqfiles (wheel paths are relative to it, as in pip).
class InReqfilesDir : public ::testing::Test {
protected:
    void SetUp() override {
        m_saved = fs::current_path();
        fs::current_path(reqfiles_dir);
    }
    void TearDown() override { fs::current_path(m_saved); }

private:
    fs::path m_saved;
};

auto replace_all(std::string s, const std::string& from, const std::string& to) -> std::string {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
    return s;
}

using FixtureTest = InReqfilesDir;

TEST_F(FixtureTest, EveryFixtureParsesToItsExpectedModel) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(reqfiles_dir)) {
        if (e.is_regular_file() && e.path().extension() == ".txt") names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    int compared = 0;
    int errors = 0;
    auto options = fixture_options();
    for (const auto& name : names) {
        auto expected_path = reqfiles_dir / (name.substr(0, name.size() - 4) + ".json");
        auto expected_text = util::read_file(expected_path);
        ASSERT_TRUE(expected_text) << "missing expected model " << expected_path;
        auto result = parse_file(name, options);
        auto actual_text = result ? to_json(*result) : to_json(result.error());
        actual_text = replace_all(actual_text, reqfiles_dir.string(), "<reqfiles>");
        auto actual = nlohmann::json::parse(actual_text);
        auto expected = nlohmann::json::parse(*expected_text);
        EXPECT_EQ(actual, expected) << name << ":\n  actual:   " << actual.dump()
                                    << "\n  expected: " << expected.dump();
        bool should_fail = name.rfind("bad_", 0) == 0 || name.rfind("unsupported_", 0) == 0;
        EXPECT_EQ(!result.has_value(), should_fail) << name;
        if (!result) {
            ++errors;
            const auto& loc = result.error().location;
            EXPECT_TRUE(!loc.file.empty() && loc.line > 0 && loc.column > 0)
                << name << ": error without file:line:col: " << result.error().to_string();
        }
        ++compared;
    }
    EXPECT_EQ(compared, static_cast<int>(names.size()));
    EXPECT_GE(compared, 40) << "the fixture suite must hold at least 40 requirement files";
    EXPECT_GE(errors, 20) << "malformed and unsupported fixtures";
}

TEST(ReqfileText, ReportsFileLineAndColumnOfAnUnknownOptionAfterContinuation) {
    auto r = parse_text("foo==1.0\nbar==2.0 \\\n   --frob\n", "reqs.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().location.to_string(), "reqs.txt:3:4");
    EXPECT_NE(r.error().message.find("--frob"), std::string::npos);
}

TEST(ReqfileText, ColumnsCountCodePointsNotBytes) {
    auto r = parse_text("# é\nfoo==1.0 ; é\n", "r.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().location.line, 2);
    EXPECT_EQ(r.error().location.column, 12);
}

TEST(ReqfileText, KeepsOriginOfTheFirstLineOfAContinuedRequirement) {
    auto r = parse_text("\n# c\nfoo \\\n  ==1.0 \\\n  --hash=sha256:" + std::string(64, 'a') + "\nbar\n", "r.txt");
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->requirements.size(), 2U);
    EXPECT_EQ(r->requirements[0].origin.to_string(), "r.txt:3");
    EXPECT_EQ(r->requirements[0].requirement.to_string(), "foo==1.0");
    EXPECT_EQ(r->requirements[0].hashes.at("sha256").size(), 1U);
    EXPECT_EQ(r->requirements[1].origin.to_string(), "r.txt:6");
}

TEST(ReqfileText, ExpandsOnlyBracedUppercaseVariablesThatAreSet) {
    ParseOptions options;
    options.environment = [](std::string_view n) -> std::optional<std::string> {
        if (n == "VER") return "1.2";
        return std::nullopt;
    };
    auto r = parse_text("foo==${VER}\n-i https://${MISSING}/x\n--extra-index-url https://$VER/y\n", "r.txt", options);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->requirements[0].requirement.to_string(), "foo==1.2");
    EXPECT_EQ(r->options.index_url.value_or(""), "https://${MISSING}/x");
    EXPECT_EQ(r->options.extra_index_urls.at(0), "https://$VER/y");
}

TEST(ReqfileText, HashSignInsideAUrlIsNotAComment) {
    auto r = parse_text("https://e.org/p-1.0-py3-none-any.whl#sha256=abc # real comment\n", "r.txt");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->requirements.at(0).location, "https://e.org/p-1.0-py3-none-any.whl#sha256=abc");
    EXPECT_EQ(r->requirements.at(0).kind, EntryKind::wheel_url);
}

TEST(ReqfileText, RejectsEditableWithAHintAboutWheels) {
    auto r = parse_text("-e .\n", "r.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().location.to_string(), "r.txt:1:4");
    EXPECT_NE(r.error().hint.find("wheel"), std::string::npos);
}

TEST(ReqfileText, RejectsVcsUrlsWithAHintAboutPrivateMode) {
    auto r = parse_text("pkg @ git+https://github.com/o/r@v1\n", "r.txt");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("VCS"), std::string::npos);
    EXPECT_NE(r.error().hint.find("MWAA"), std::string::npos);
}

TEST(ReqfileText, UrlIncludeWithoutFetcherIsAnErrorAtTheIncludingLine) {
    auto r = parse_text(
        "foo\n-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\n", "r.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().location.to_string(), "r.txt:2:4");
}

TEST(ReqfileText, UrlIncludesGoThroughTheFetcherAndResolveRelativeNamesAgainstTheUrl) {
    std::vector<std::string> asked;
    ParseOptions options;
    options.fetcher = [&](std::string_view url) -> Expected<std::string> {
        asked.emplace_back(url);
        if (url == "https://h.example/a/b.txt") return std::string("b==1\n-r ../c.txt\n");
        if (url == "https://h.example/c.txt") return std::string("c==1\n");
        return make_error(ErrorCode::network, "404");
    };
    auto r = parse_text("-c https://h.example/a/b.txt\n", "r.txt", options);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(asked.size(), 2U);
    EXPECT_EQ(asked[1], "https://h.example/c.txt");
    ASSERT_EQ(r->constraints.size(), 1U);
    EXPECT_EQ(r->constraints[0].origin.to_string(), "https://h.example/a/b.txt:1");
    // pip: a -r inside a constraints file yields requirements, not constraints.
    ASSERT_EQ(r->requirements.size(), 1U);
    EXPECT_FALSE(r->requirements[0].constraint);
    EXPECT_EQ(r->files.size(), 3U);
}

TEST(ReqfileText, IndexOptionsFollowPipsOrderRules) {
    auto r =
        parse_text("--extra-index-url https://lost/\n-i https://main/\n--extra-index-url https://kept/\n", "r.txt");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->options.effective_index_urls(), (std::vector<std::string>{"https://main/", "https://kept/"}));
    auto n = parse_text("--no-index\n-i https://ignored/\n", "r.txt");
    ASSERT_TRUE(n);
    EXPECT_TRUE(n->options.effective_index_urls().empty());
}

TEST(ReqfileText, FormatControlAllAndNoneSemantics) {
    auto r = parse_text("--no-binary :all:\n--only-binary Foo_Bar\n--only-binary=:all:,:none:,x\n", "r.txt");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->options.no_binary, (std::set<std::string>{}));
    EXPECT_EQ(r->options.only_binary, (std::set<std::string>{"x"}));
}

TEST(ReqfileText, BomAndCrlfAreAccepted) {
    auto r = parse_text(
        "\xEF\xBB\xBF"
        "foo==1\r\nbar==2\r\n",
        "r.txt");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->requirements.size(), 2U);
    EXPECT_EQ(r->requirements[1].origin.line, 2);
}

TEST(ReqfileText, NeverThrowsOnHostileInput) {
    for (std::string s :
         {std::string("\\"), std::string("-"), std::string("--"), std::string("\"\n'"), std::string(1, '\0'),
          std::string("-r"), std::string("${"), std::string("--hash"), std::string("\xff\xfe"), std::string("foo ; "),
          std::string("-c\\\n"), std::string(" \xE2\x80\xA8#")}) {
        auto r = parse_text(s, "r.txt");
        if (!r) {
            EXPECT_TRUE(r.error().location.line > 0) << r.error().to_string();
        }
    }
}

}  // namespace

// Errors and origins are printed and written to lock files and reports: an index password in the file must
// not travel with them (only the URL itself, for the download, keeps it).
TEST(ReqfileSecrets, ErrorContextOfALineWithAnIndexPasswordIsRedacted) {
    ParseOptions options;
    options.environment = [](std::string_view n) -> std::optional<std::string> {
        if (n == "IDX_PW") return "env-pw-4f2a";
        return std::nullopt;
    };
    for (const std::string text : {"-i https://user:pw-9c1e@idx.example/simple --no-such-option\n",
                                   "--extra-index-url https://user:pw-9c1e@idx.example/simple --frob\n",
                                   "-i https://user:${IDX_PW}@idx.example/simple --bogus\n",
                                   "foo @ https://user:pw-9c1e@idx.example/foo-1.0.tar.gz\n"}) {
        auto r = parse_text(text, "r.txt", options);
        ASSERT_FALSE(r) << text;
        const auto shown = r.error().to_string();
        EXPECT_EQ(shown.find("pw-9c1e"), std::string::npos) << shown;
        EXPECT_EQ(shown.find("env-pw-4f2a"), std::string::npos) << shown;
    }
}

TEST(ReqfileSecrets, AFileReadFromAUrlWithCredentialsIsNamedWithoutThePassword) {
    ParseOptions options;
    std::string fetched;
    options.fetcher = [&](std::string_view url) -> Expected<std::string> {
        fetched = std::string(url);
        if (url.find("missing") != std::string_view::npos) return make_error(ErrorCode::network, "HTTP 404");
        return std::string("foo==1.0\n");
    };
    auto r = parse_text("-r https://user:pw-9c1e@idx.example/reqs.txt\n", "top.txt", options);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(fetched, "https://user:pw-9c1e@idx.example/reqs.txt") << "the download keeps the credentials";
    ASSERT_EQ(r->requirements.size(), 1U);
    EXPECT_EQ(r->requirements[0].origin.to_string(), "https://idx.example/reqs.txt:1");  // origins are stored

    auto missing = parse_text("-r https://user:pw-9c1e@idx.example/missing.txt\n", "top.txt", options);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().to_string().find("pw-9c1e"), std::string::npos) << missing.error().to_string();

    auto bad = parse_text("-r https://user:pw-9c1e@idx.example/reqs.txt\n", "top.txt", [&] {
        ParseOptions o = options;
        o.fetcher = [](std::string_view) -> Expected<std::string> { return std::string("foo==1.0 --frob\n"); };
        return o;
    }());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().location.file, "https://idx.example/reqs.txt");
}
