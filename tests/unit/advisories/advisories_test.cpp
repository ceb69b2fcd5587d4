#include "wheelhouse/advisories/advisories.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>
#include "wheelhouse/archive/zip_writer.hpp"

#include "wheelhouse/util/file.hpp"

namespace wheelhouse::advisories {
namespace {

namespace fs = std::filesystem;
const std::string k_corpus = std::string(WHEELHOUSE_CORPORA_DIR) + "/osv-pypi/vulns";

auto corpus() -> const Database& {
    static const Database db = [] {
        auto loaded = Database::load(k_corpus);
        EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().to_string());
        return loaded ? std::move(*loaded) : Database{};
    }();
    return db;
}

auto ids(std::string_view name, std::string_view version) -> std::set<std::string> {
    std::set<std::string> out;
    for (const auto& f : corpus().match(name, version)) out.insert(f.advisory->id);
    return out;
}

using Ids = std::set<std::string>;

TEST(Corpus, LoadsEveryRecordWithoutWarnings) {
    EXPECT_EQ(corpus().advisories().size(), 184U);
    EXPECT_EQ(corpus().withdrawn(), 1U);
    EXPECT_TRUE(corpus().warnings().empty()) << corpus().warnings().front();
}

// The corpus README's worked examples.
TEST(WorkedExamples, RequestsFixedIsExclusive) {
    EXPECT_EQ(ids("requests", "2.30.0"), Ids{"PYSEC-2023-74"});
    EXPECT_EQ(ids("requests", "2.31.0"), Ids{});
    EXPECT_EQ(ids("requests", "2.2.1"), (Ids{"PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2015-17", "PYSEC-2018-28"}));
    auto f = corpus().match("requests", "2.30.0");
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].advisory->aliases, (std::vector<std::string>{"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}));
    EXPECT_EQ(f[0].fixed, std::vector<std::string>{"2.31.0"});
}

TEST(WorkedExamples, Urllib3UnsortedEvents) {
    EXPECT_EQ(ids("urllib3", "1.26.16"), (Ids{"PYSEC-2023-192", "PYSEC-2023-212"}));
    EXPECT_EQ(ids("urllib3", "1.26.17"), Ids{"PYSEC-2023-212"});
    EXPECT_EQ(ids("urllib3", "1.26.18"), Ids{});
    EXPECT_EQ(ids("urllib3", "2.0.5"), (Ids{"PYSEC-2023-192", "PYSEC-2023-212"}));
    EXPECT_EQ(ids("urllib3", "2.0.6"), Ids{"PYSEC-2023-212"});
    EXPECT_EQ(ids("urllib3", "2.0.7"), Ids{});
    for (const auto& f : corpus().match("urllib3", "1.26.16")) {
        if (f.advisory->id == "PYSEC-2023-192") {
            EXPECT_EQ(f.fixed, (std::vector<std::string>{"1.26.17", "2.0.6"}));
        }
    }
}

TEST(WorkedExamples, AirflowPreReleaseOrder) {
    EXPECT_EQ(ids("apache-airflow", "2.8.2rc3"), (Ids{"PYSEC-2024-42", "PYSEC-2024-46"}));
    EXPECT_EQ(ids("apache-airflow", "2.8.2"), Ids{"PYSEC-2024-46"});
    EXPECT_EQ(ids("apache-airflow", "2.8.0rc1"), (Ids{"PYSEC-2024-13", "PYSEC-2024-14", "PYSEC-2024-42"}));
    EXPECT_EQ(ids("Apache_Airflow", "2.8.2"), Ids{"PYSEC-2024-46"});  // names compare PEP 503-normalised
}

TEST(WorkedExamples, AiohttpWithdrawnAndLowerBound) {
    const Ids six{"PYSEC-2023-120", "PYSEC-2023-246", "PYSEC-2023-250",
                  "PYSEC-2023-251", "PYSEC-2024-24",  "PYSEC-2024-26"};
    EXPECT_EQ(ids("aiohttp", "3.8.1"), six);
    EXPECT_EQ(ids("aiohttp", "3.9.2"), Ids{});
    auto with_247 = six;
    with_247.insert("PYSEC-2023-247");
    EXPECT_EQ(ids("aiohttp", "3.7.4"), with_247);
}

TEST(WorkedExamples, ParamikoManyIntervalsAndLegacyVersions) {
    EXPECT_EQ(ids("paramiko", "1.18.2"), (Ids{"PYSEC-2018-19", "PYSEC-2018-69", "PYSEC-2022-166"}));
    EXPECT_EQ(ids("paramiko", "1.18.5"), (Ids{"PYSEC-2018-69", "PYSEC-2022-166"}));
    EXPECT_EQ(ids("paramiko", "0.9-doduo"), (Ids{"PYSEC-2008-8", "PYSEC-2018-19", "PYSEC-2022-166"}));
}

TEST(WorkedExamples, MorePairs) {
    const std::map<std::string, Ids> cases = {
        {"pyyaml==5.1b7", {"PYSEC-2018-49", "PYSEC-2021-142"}},
        {"pyyaml==5.1", {"PYSEC-2020-176", "PYSEC-2020-96", "PYSEC-2021-142"}},
        {"flask==2.3.1", {"PYSEC-2023-62"}},
        {"flask==2.2.5", {}},
        {"cryptography==41.0.0", {"PYSEC-2023-112", "PYSEC-2023-254"}},
        {"pillow==9.0.0", {"PYSEC-2022-168", "PYSEC-2022-42979", "PYSEC-2023-175", "PYSEC-2023-227"}},
        {"certifi==2022.9.24", {"PYSEC-2022-42986", "PYSEC-2023-135"}},
        {"idna==3.6", {"PYSEC-2024-60"}},
        {"setuptools==65.5.0", {"PYSEC-2022-43012"}},
        {"celery==5.2.1", {"PYSEC-2021-858"}},
        {"werkzeug==3.0.0", {"PYSEC-2023-221"}},
        {"apache-airflow-providers-apache-spark==4.1.0", {"PYSEC-2023-156"}},
        {"jinja2==3.1.2", {}},
        {"gunicorn==21.2.0", {}},
        {"apache-airflow==2.9.3", {}},
        {"apache-airflow==2.10.1", {}},
    };
    for (const auto& [pin, expected] : cases) {
        auto at = pin.find("==");
        EXPECT_EQ(ids(pin.substr(0, at), pin.substr(at + 2)), expected) << pin;
    }
}

TEST(Yaml, EveryScalarIsAString) {
    auto j = yaml_to_json("a: 1.10\nb: 2023-07-24T14:58:05Z\nc: '0'\nd: [yes, no, 010]\ne:\n", "x.yaml");
    ASSERT_TRUE(j) << j.error().to_string();
    EXPECT_EQ((*j)["a"], "1.10");
    EXPECT_EQ((*j)["b"], "2023-07-24T14:58:05Z");
    EXPECT_EQ((*j)["c"], "0");
    EXPECT_EQ((*j)["d"], nlohmann::json::array({"yes", "no", "010"}));
    EXPECT_TRUE((*j)["e"].is_null());
}

auto record(std::string_view ranges, std::string_view versions = "[]") -> std::string {
    return fmt::format(
        "id: TEST-1\naffected:\n- package:\n    name: demo\n    ecosystem: PyPI\n  ranges:\n{}\n"
        "  versions: {}\n",
        ranges, versions);
}

TEST(Malformed, SyntaxErrorsNameFileLineAndColumn) {
    auto bad = parse_osv("id: X\naffected: [\n  - a: b\n", "vulns/x/X.yaml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(bad.error().location.file, "vulns/x/X.yaml");
    EXPECT_GT(bad.error().location.line, 0);
    EXPECT_NE(bad.error().message.find("not a valid YAML advisory"), std::string::npos);

    auto json = parse_osv("{\"id\": \"X\", \"affected\": [}", "all.zip:X.json");
    ASSERT_FALSE(json);
    EXPECT_EQ(json.error().location.file, "all.zip:X.json");
    EXPECT_NE(json.error().message.find("not valid JSON"), std::string::npos);

    for (const auto& [text, words] : std::vector<std::pair<std::string, std::string>>{
             {"- just\n- a list\n", "must be a mapping"},
             {"summary: no id\n", "'id' is missing"},
             {"id: [1]\n", "id: must be a string"},
             {"id: X\naffected: nope\n", "affected: must be a list"},
             {record("  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n      fixed: '1.0'\n"),
              "events[0]: must be a mapping with one of"},
             {record("  - type: ECOSYSTEM\n    events:\n    - broken: '1.0'\n"), "unknown event 'broken'"},
             {"id: X\nid: Y\n", "the key 'id' appears twice"},
             {"a: &x 1\nb: *x\n", "aliases"},
             {"", "the file is empty"},
         }) {
        auto e = parse_osv(text, "bad.yaml");
        ASSERT_FALSE(e) << text;
        EXPECT_NE(e.error().message.find(words), std::string::npos) << text << " -> " << e.error().message;
        EXPECT_EQ(e.error().location.file, "bad.yaml");
        EXPECT_FALSE(e.error().hint.empty());
    }
}

TEST(Malformed, UnknownRangeTypeAndInvalidVersionAreWarningsAndListedVersionsStillMatch) {
    std::vector<std::string> warnings;
    auto a =
        parse_osv(record("  - type: CALVER\n    events:\n    - introduced: '0'\n", "['1.0']"), "u.yaml", &warnings);
    ASSERT_TRUE(a) << a.error().to_string();
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("u.yaml: TEST-1: affected[0].ranges[0]: range type 'CALVER' is not evaluated"),
              std::string::npos);
    EXPECT_TRUE(affects(a->affected[0], "1.0"));
    EXPECT_FALSE(affects(a->affected[0], "2.0"));

    warnings.clear();
    auto b = parse_osv(record("  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: 'not a "
                              "version'\n",
                              "['0.5']"),
                       "v.yaml", &warnings);
    ASSERT_TRUE(b);
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("'not a version' is not a PEP 440 version"), std::string::npos);
    EXPECT_TRUE(affects(b->affected[0], "0.5"));
    EXPECT_FALSE(affects(b->affected[0], "0.6"));  // the range is not used
}

TEST(Matching, LastAffectedIsInclusiveAndLimitBounds) {
    auto a = parse_osv(record("  - type: ECOSYSTEM\n    events:\n    - introduced: '1.0'\n    - last_affected: "
                              "'1.4'\n  - type: ECOSYSTEM\n    events:\n    - introduced: '2.0'\n    - limit: '2.5'\n"),
                       "r.yaml");
    ASSERT_TRUE(a) << a.error().to_string();
    const auto& affected = a->affected[0];
    EXPECT_FALSE(affects(affected, "0.9"));
    EXPECT_TRUE(affects(affected, "1.0"));
    EXPECT_TRUE(affects(affected, "1.4"));
    EXPECT_FALSE(affects(affected, "1.4.1"));
    EXPECT_TRUE(affects(affected, "2.4"));
    EXPECT_FALSE(affects(affected, "2.5"));
    EXPECT_TRUE(affects(affected, "1.4.0"));  // the same version as 1.4
}

TEST(Database, ZipExportAndJsonRecords) {
    auto dir = fs::temp_directory_path() / fs::path("wheelhouse-advisories-test");
    fs::remove_all(dir);
    fs::create_directories(dir);
    archive::ZipWriter zip;
    ASSERT_TRUE(zip.add_bytes("PYSEC-2023-74.json",
                              R"({"id": "PYSEC-2023-74", "aliases": ["CVE-2023-32681"], "affected": [{"package":
                              {"name": "requests", "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM", "events":
                              [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}], "versions": []}]})"));
    ASSERT_TRUE(zip.add_bytes("GHSA-npm.json", R"({"id": "GHSA-npm", "affected": [{"package": {"name":
                              "requests", "ecosystem": "npm"}, "versions": ["2.30.0"]}]})"));
    ASSERT_TRUE(zip.write(dir / "all.zip"));
    auto db = Database::load(dir / "all.zip");
    ASSERT_TRUE(db) << db.error().to_string();
    EXPECT_EQ(db->advisories().size(), 2U);
    auto found = db->match("requests", "2.30.0");
    ASSERT_EQ(found.size(), 1U);  // the npm record is another ecosystem
    EXPECT_EQ(found[0].advisory->file, (dir / "all.zip").string() + ":PYSEC-2023-74.json");

    ASSERT_TRUE(util::write_file_atomic(dir / "bad.json", "{\"id\": 1}"));
    auto bad = Database::load(dir / "bad.json");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().location.file, (dir / "bad.json").string());
    auto missing = Database::load(dir / "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace wheelhouse::advisories
