#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::metadata {
namespace {

const std::string k_fixtures = WHEELHOUSE_FIXTURES_DIR;
const std::string k_corpora = WHEELHOUSE_CORPORA_DIR;

auto load(const std::string& path) -> std::string {
    auto text = util::read_file(path);
    EXPECT_TRUE(text) << path << ": " << (text ? "" : text.error().to_string());
    return text ? *text : std::string{};
}

auto contains(const std::vector<std::string>& list, std::string_view item) -> bool {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// packaging's RawMetadata keys and the header each stands for.
const std::map<std::string, std::string> k_header_of = {
    {"author", "Author"},
    {"author_email", "Author-email"},
    {"classifiers", "Classifier"},
    {"description", "Description"},
    {"description_content_type", "Description-Content-Type"},
    {"download_url", "Download-URL"},
    {"dynamic", "Dynamic"},
    {"home_page", "Home-page"},
    {"import_names", "Import-Name"},
    {"import_namespaces", "Import-Namespace"},
    {"keywords", "Keywords"},
    {"license", "License"},
    {"license_expression", "License-Expression"},
    {"license_files", "License-File"},
    {"maintainer", "Maintainer"},
    {"maintainer_email", "Maintainer-email"},
    {"metadata_version", "Metadata-Version"},
    {"name", "Name"},
    {"obsoletes", "Obsoletes"},
    {"obsoletes_dist", "Obsoletes-Dist"},
    {"platforms", "Platform"},
    {"project_urls", "Project-URL"},
    {"provides", "Provides"},
    {"provides_dist", "Provides-Dist"},
    {"provides_extra", "Provides-Extra"},
    {"requires", "Requires"},
    {"requires_dist", "Requires-Dist"},
    {"requires_external", "Requires-External"},
    {"requires_python", "Requires-Python"},
    {"summary", "Summary"},
    {"supported_platforms", "Supported-Platform"},
    {"version", "Version"},
};

// The fields whose repetition is an error (they decide what gets installed).
const std::set<std::string> k_strict = {"metadata_version", "name", "version", "requires_python"};

// Builds a complete document: the three required fields, unless `field` is one of them, in which
// case `field_lines` take its place.
auto document_with(const std::string& field, const std::string& field_lines) -> std::string {
    std::string doc;
    if (field != "metadata_version") doc += "Metadata-Version: 2.1\n";
    if (field != "name") doc += "Name: demo\n";
    if (field != "version") doc += "Version: 1.0\n";
    return doc + field_lines;
}

// textwrap.dedent: removes the common leading whitespace; whitespace-only lines become empty.
auto dedent(const std::string& text) -> std::string {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    std::size_t indent = std::string::npos;
    for (auto& line : lines) {
        if (line.find_first_not_of(" \t") == std::string::npos) {
            line.clear();
            continue;
        }
        indent = std::min(indent, line.find_first_not_of(" \t"));
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += '\n';
        if (!lines[i].empty()) out += lines[i].substr(indent);
    }
    return out;
}

auto encode_utf8(std::uint32_t cp) -> std::string {
    std::string out;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

// Cases of packaging's tests/test_metadata.py that check validation or writing of fields this
// project does not interpret (it installs what pip installs; these never change that), or whose
// expected values live in the test body rather than in the parameters.
const std::map<std::string, std::string> k_skipped = {
    {"test_invalid_license_expression", "SPDX validation: not used for installing"},
    {"test_valid_license_expression", "SPDX validation: not used for installing"},
    {"test_valid_description_content_type", "content-type validation: display only"},
    {"test_invalid_description_content_type", "content-type validation: display only"},
    {"test_from_email_wraps_description_content_type_parse_errors", "content-type validation: display only"},
    {"test_invalid_import_names_identifier", "Import-Name validation: not used"},
    {"test_invalid_import_names_keyword", "Import-Name validation: not used"},
    {"test_valid_import_names", "Import-Name validation: not used"},
    {"test_project_urls_parsing", "Project-URL splitting: display only"},
    {"test_invalid_license_files", "License-File validation: not used"},
    {"test_valid_license_files", "License-File validation: not used"},
    {"test_keywords", "Keywords splitting: display only"},
    {"test_invalid_summary", "Summary validation: display only; pip installs such wheels"},
    {"test_optional_defaults_to_none", "packaging's attribute API; covered by OptionalFieldsAreAbsent"},
    {"test_single_value_unvalidated_attribute", "packaging's attribute API"},
    {"test_multi_value_unvalidated_attribute", "packaging's attribute API"},
    {"test_metadata_version_field_introduction", "field/version consistency checks: not enforced"},
    {"test_metadata_version_field_introduction_mismatch", "field/version consistency checks: not enforced"},
    {"test_disallowed_dynamic", "Dynamic validation: sdists only"},
    {"test_description_multipart_payload", "MIME multipart bodies: expectation in the test body"},
    {"test_from_email_deduplicates_unparsed_required_fields", "covered by CorpusRequiredFieldRepeats"},
};

// Functions with no parameters are listed once each; their expectations are Python code.
auto is_unparametrised(const nlohmann::json& c) -> bool {
    return c["params"].empty();
}

class Corpus : public ::testing::Test {
protected:
    static auto cases(const std::string& function) -> std::vector<nlohmann::json> {
        auto text = load(k_corpora + "/packaging/test_metadata.params.json");
        auto all = nlohmann::json::parse(text);
        std::vector<nlohmann::json> out;
        for (auto& c : all) {
            if (c["function"] == function) out.push_back(c);
        }
        return out;
    }
};

TEST_F(Corpus, SingleValuedFieldGivenOnceIsKept) {
    auto cs = cases("test_non_repeating_fields_only_once");
    ASSERT_EQ(cs.size(), 15U);
    for (auto& c : cs) {
        auto field = c["params"]["raw_field"].get<std::string>();
        auto header = k_header_of.at(field);
        auto value = field == "metadata_version" ? std::string("2.1") : std::string("VaLuE");
        auto block = parse_headers(header + ": " + value);
        ASSERT_TRUE(block) << field;
        ASSERT_EQ(block->headers.size(), 1U) << field;
        EXPECT_EQ(block->headers[0].name, header);
        EXPECT_EQ(block->headers[0].value, value);

        auto md = Metadata::parse(document_with(field, header + ": " + value + "\n"));
        ASSERT_TRUE(md) << field << ": " << md.error().to_string();
        EXPECT_EQ(md->get(field == "home_page" ? "HOME-PAGE" : header), value) << field;
        EXPECT_TRUE(md->repeated_fields.empty()) << field;
    }
}

TEST_F(Corpus, SingleValuedFieldRepeatedIsAnErrorOrReported) {
    auto cs = cases("test_non_repeating_fields_repeated");
    ASSERT_EQ(cs.size(), 15U);
    int errors = 0;
    for (auto& c : cs) {
        auto field = c["params"]["raw_field"].get<std::string>();
        auto header = k_header_of.at(field);
        auto value = field == "metadata_version" ? std::string("2.1") : std::string("VaLuE");
        auto line = header + ": " + value + "\n";
        auto doc = document_with(field, line + line);
        auto md = Metadata::parse(doc);
        if (k_strict.count(field) != 0) {
            ++errors;
            ASSERT_FALSE(md) << field << " repeated should be an error";
            EXPECT_NE(md.error().message.find(header), std::string::npos) << md.error().message;
            // The second occurrence is the last line of the document.
            auto lines = static_cast<int>(std::count(doc.begin(), doc.end(), '\n'));
            EXPECT_EQ(md.error().location.line, lines) << field;
        } else {
            ASSERT_TRUE(md) << field << ": " << md.error().to_string();
            EXPECT_TRUE(contains(md->repeated_fields, header)) << field;
            EXPECT_EQ(md->get_all(header).size(), 2U) << field;
        }
    }
    EXPECT_EQ(errors, 4);
}

TEST_F(Corpus, MultiValuedFieldsKeepEveryValueInOrder) {
    auto once = cases("test_repeating_fields_only_once");
    auto repeated = cases("test_repeating_fields_repeated");
    ASSERT_EQ(once.size(), 15U);
    ASSERT_EQ(repeated.size(), 15U);
    for (std::size_t n : {1U, 2U}) {
        for (auto& c : (n == 1 ? once : repeated)) {
            auto field = c["params"]["raw_field"].get<std::string>();
            auto header = k_header_of.at(field);
            std::string lines;
            for (std::size_t i = 0; i < n; ++i) lines += header + ": VaLuE" + std::to_string(i) + "\n";
            auto md = Metadata::parse(document_with(field, lines));
            ASSERT_TRUE(md) << field << ": " << md.error().to_string();
            auto values = md->get_all(header);
            ASSERT_EQ(values.size(), n) << field;
            for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(values[i], "VaLuE" + std::to_string(i)) << field;
            EXPECT_TRUE(md->repeated_fields.empty()) << field;
            if (field == "requires_dist") {
                ASSERT_EQ(md->requires_dist_raw.size(), n);
                EXPECT_EQ(md->requires_dist_raw[0].line, 4);
            }
            if (field == "provides_extra") {
                EXPECT_EQ(md->provides_extra.size(), n);
            }
        }
    }
}

TEST_F(Corpus, DescriptionComesFromHeaderOrBody) {
    auto cs = cases("test_description");
    ASSERT_EQ(cs.size(), 3U);
    for (auto& c : cs) {
        auto& given = c["params"]["given"];
        // The bytes case is b"hello": the same text.
        auto text = given.is_string() ? given.get<std::string>() : std::string("hello");
        auto md = Metadata::parse(document_with("", text));
        ASSERT_TRUE(md) << text << ": " << md.error().to_string();
        EXPECT_EQ(md->description, "hello") << text;
        EXPECT_TRUE(md->repeated_fields.empty()) << text;
    }
}

TEST_F(Corpus, DescriptionGivenTwiceKeepsTheFirstAndReportsIt) {
    auto cs = cases("test_description_multiple");
    ASSERT_EQ(cs.size(), 3U);
    for (auto& c : cs) {
        auto given = c["params"]["given"].get<std::string>();
        auto expected = c["params"]["expected"].get<std::vector<std::string>>();
        auto md = Metadata::parse(document_with("", given));
        ASSERT_TRUE(md) << given << ": " << md.error().to_string();
        EXPECT_EQ(md->description, expected.front()) << given;
        EXPECT_TRUE(contains(md->repeated_fields, "Description")) << given;
    }
}

TEST_F(Corpus, MetadataVersionsKnownAndUnknown) {
    auto valid = cases("test_valid_metadata_version");
    auto invalid = cases("test_invalid_metadata_version");
    ASSERT_EQ(valid.size(), 9U);
    ASSERT_EQ(invalid.size(), 2U);
    for (auto& c : valid) {
        auto v = c["params"]["version"].get<std::string>();
        EXPECT_TRUE(is_known_metadata_version(v)) << v;
        auto md = Metadata::parse("Metadata-Version: " + v + "\nName: a\nVersion: 1\n");
        ASSERT_TRUE(md) << v << ": " << md.error().to_string();
        EXPECT_EQ(md->metadata_version, v);
    }
    for (auto& c : invalid) {
        auto v = c["params"]["version"].get<std::string>();
        EXPECT_FALSE(is_known_metadata_version(v)) << v;
        // Still read: wheel < 0.31 wrote "2.0" and such wheels are on PyPI.
        EXPECT_TRUE(Metadata::parse("Metadata-Version: " + v + "\nName: a\nVersion: 1\n")) << v;
    }
}

TEST_F(Corpus, RequiredFieldMissingIsAnError) {
    auto cs = cases("test_required_fields_missing");
    ASSERT_EQ(cs.size(), 3U);
    for (auto& c : cs) {
        auto field = c["params"]["field"].get<std::string>();
        auto md = Metadata::parse(document_with(field, "Summary: s\n"), "PKG-INFO");
        ASSERT_FALSE(md) << field;
        EXPECT_NE(md.error().message.find(k_header_of.at(field)), std::string::npos) << md.error().message;
        EXPECT_EQ(md.error().location.file, "PKG-INFO");
    }
}

TEST_F(Corpus, RequiredFieldRepeatsAreErrors) {
    auto cs = cases("test_from_email_deduplicates_unparsed_required_fields");
    ASSERT_EQ(cs.size(), 3U);
    for (auto& c : cs) {
        auto data = c["params"]["data"].get<std::string>();
        auto md = Metadata::parse(data);
        ASSERT_FALSE(md) << data;
        EXPECT_NE(util::to_lower(md.error().message).find(c["params"]["field"].get<std::string>()), std::string::npos)
            << md.error().message;
    }
}

TEST_F(Corpus, RequiresPythonIsKeptAsWritten) {
    auto cs = cases("test_valid_requires_python");
    ASSERT_EQ(cs.size(), 3U);
    for (auto& c : cs) {
        auto spec = c["params"]["specifier"].get<std::string>();
        auto md = Metadata::parse(document_with("", "Requires-Python: " + spec + "\n"));
        ASSERT_TRUE(md) << spec;
        EXPECT_EQ(md->requires_python, spec);
    }
}

TEST_F(Corpus, WrittenHeadersReadBack) {
    // packaging's writer tests: `data` is the text written for `items`; reading it back must
    // give the same items (None values are not written).
    auto cs = cases("test_headers");
    ASSERT_EQ(cs.size(), 10U);
    for (auto& c : cs) {
        auto data = dedent(c["params"]["data"].get<std::string>());
        auto block = parse_headers(data);
        ASSERT_TRUE(block) << data << ": " << block.error().to_string();
        std::vector<std::pair<std::string, std::string>> expected;
        for (auto& item : c["params"]["items"]) {
            if (!item[1].is_null()) expected.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
        }
        ASSERT_EQ(block->headers.size(), expected.size()) << c["nodeid"];
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(block->headers[i].name, expected[i].first) << c["nodeid"];
            EXPECT_EQ(block->headers[i].value, expected[i].second) << c["nodeid"];
        }
        EXPECT_FALSE(block->body) << c["nodeid"];
    }
}

TEST_F(Corpus, OnlyCrAndLfEndLines) {
    // The writer folds at every character Python's str.splitlines() breaks on; for the reader only
    // CR, LF and CRLF end a line (as in Python's email parser), the others stay in the value.
    auto cs = cases("test_headers_fold_every_line_boundary");
    ASSERT_EQ(cs.size(), 10U);
    for (auto& c : cs) {
        auto boundary_utf16 = c["params"]["boundary"].get<std::string>();  // nlohmann gives UTF-8
        bool is_line_end = boundary_utf16 == "\r" || boundary_utf16 == "\r\n";
        auto block = parse_headers("Item: A" + boundary_utf16 + (is_line_end ? " B" : "B") + "\nNext: x\n");
        ASSERT_TRUE(block) << c["nodeid"];
        ASSERT_EQ(block->headers.size(), 2U) << c["nodeid"];
        EXPECT_EQ(block->headers[0].value, is_line_end ? "A\nB" : "A" + boundary_utf16 + "B") << c["nodeid"];
        EXPECT_EQ(block->headers[1].line, is_line_end ? 3 : 2) << c["nodeid"];
    }
    EXPECT_EQ(encode_utf8(0x2028), "\xE2\x80\xA8");
}

TEST_F(Corpus, EveryCaseIsRunOrSkippedWithAReason) {
    auto text = load(k_corpora + "/packaging/test_metadata.params.json");
    auto all = nlohmann::json::parse(text);
    ASSERT_EQ(all.size(), 342U);
    const std::set<std::string> run = {
        "test_non_repeating_fields_only_once",
        "test_non_repeating_fields_repeated",
        "test_repeating_fields_only_once",
        "test_repeating_fields_repeated",
        "test_description",
        "test_description_multiple",
        "test_valid_metadata_version",
        "test_invalid_metadata_version",
        "test_required_fields_missing",
        "test_from_email_deduplicates_unparsed_required_fields",
        "test_valid_requires_python",
        "test_headers",
        "test_headers_fold_every_line_boundary",
    };
    int parametrised_unhandled = 0;
    for (auto& c : all) {
        auto function = c["function"].get<std::string>();
        if (run.count(function) != 0 || k_skipped.count(function) != 0) continue;
        // The remaining functions have no parameters: their inputs and expectations are Python code
        // (e.g. test_complete reads everything.metadata, covered by EverythingMetadata below).
        if (!is_unparametrised(c)) {
            ++parametrised_unhandled;
            ADD_FAILURE() << "unhandled parametrised case " << c["nodeid"];
        }
    }
    EXPECT_EQ(parametrised_unhandled, 0);
}

TEST(Metadata, EverythingMetadataFromPackaging) {
    auto text = load(k_corpora + "/packaging/everything.metadata");
    auto md = Metadata::parse(text, "everything.metadata");
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->metadata_version, "2.6");
    EXPECT_EQ(md->name, "BeagleVote");
    EXPECT_EQ(md->version, "1.0a2");
    EXPECT_EQ(md->summary, "A module for collecting votes from beagles.");
    EXPECT_EQ(md->requires_python, ">=3");
    EXPECT_EQ(md->provides_extra, std::vector<std::string>{"pdf"});
    ASSERT_EQ(md->requires_dist_raw.size(), 5U);
    EXPECT_EQ(md->requires_dist_raw[0].value, "reportlab; extra == 'pdf'");
    EXPECT_EQ(md->requires_dist_raw[0].line, 28);
    EXPECT_EQ(md->requires_dist_raw[4].value, "pywin32 >1.0; sys_platform == 'win32'");
    EXPECT_EQ(md->requires_dist_raw[4].line, 32);
    EXPECT_EQ(md->get("author"),
              "C. Schultz, Universal Features Syndicate,\nLos Angeles, CA <cschultz@peanuts.example.com>");
    EXPECT_EQ(md->get("AUTHOR-EMAIL"), "\"C. Schultz\" <cschultz@example.com>");
    EXPECT_EQ(md->get("thisisnotreal"), "Hello!");
    EXPECT_EQ(md->get_all("Platform"), (std::vector<std::string_view>{"ObscureUnix", "RareDOS"}));
    EXPECT_EQ(md->headers.size(), 43U);
    EXPECT_EQ(md->description, "This description intentionally left blank.\n");
    EXPECT_TRUE(md->repeated_fields.empty());
}

TEST(Metadata, RealWorldRequestsMetadata) {
    auto md = Metadata::parse(load(k_fixtures + "/metadata/requests-2.31.0.METADATA"), "requests/METADATA");
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->name, "requests");
    EXPECT_EQ(md->version, "2.31.0");
    EXPECT_EQ(md->requires_python, ">=3.7");
    ASSERT_EQ(md->requires_dist_raw.size(), 6U);
    EXPECT_EQ(md->requires_dist_raw[4].value, "PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'");
    EXPECT_EQ(md->provides_extra, (std::vector<std::string>{"security", "socks", "use_chardet_on_py3"}));
    ASSERT_TRUE(md->description);
    EXPECT_EQ(md->description->rfind("# Requests", 0), 0U);
    // A header-looking line in the body is description text.
    EXPECT_NE(md->description->find("Name: this line is part of the description"), std::string::npos);
    EXPECT_EQ(md->get_all("Name").size(), 1U);
    EXPECT_EQ(md->get_all("Project-URL").size(), 2U);
}

TEST(Metadata, LicenseFieldsAreKept) {
    auto requests = Metadata::parse(load(k_fixtures + "/metadata/requests-2.31.0.METADATA"));
    ASSERT_TRUE(requests);
    EXPECT_EQ(requests->license, "Apache 2.0");
    EXPECT_FALSE(requests->license_expression);
    EXPECT_EQ(requests->classifiers.size(), 3U);
    EXPECT_EQ(requests->classifiers[1], "License :: OSI Approved :: Apache Software License");
    EXPECT_EQ(requests->license_files, std::vector<std::string>{"LICENSE"});

    auto everything = Metadata::parse(load(k_corpora + "/packaging/everything.metadata"));
    ASSERT_TRUE(everything);
    EXPECT_EQ(everything->license_expression, "Apache-2.0 OR BSD-2-Clause");
    EXPECT_EQ(everything->license_files, (std::vector<std::string>{"LICENSE.APACHE", "LICENSE.BSD"}));
    // A folded License field keeps its lines.
    ASSERT_TRUE(everything->license);
    EXPECT_EQ(everything->license->rfind("This software may only be obtained by sending the", 0), 0U);
    EXPECT_NE(everything->license->find('\n'), std::string::npos);

    auto none = Metadata::parse(load(k_fixtures + "/metadata/apache_airflow_providers_amazon-8.0.0.METADATA"));
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->license);
    EXPECT_EQ(none->classifiers.size(), 2U);
}

TEST(Metadata, RealWorldAirflowProviderWithDottedExtras) {
    auto md = Metadata::parse(load(k_fixtures + "/metadata/apache_airflow_providers_amazon-8.0.0.METADATA"));
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->name, "apache-airflow-providers-amazon");
    EXPECT_EQ(md->requires_python, "~=3.8");
    EXPECT_EQ(md->requires_dist_raw.size(), 12U);
    EXPECT_EQ(md->provides_extra, (std::vector<std::string>{"apache.hive", "cncf.kubernetes", "pandas"}));
    EXPECT_EQ(md->requires_dist_raw.back().value, "pandas>=0.17.1 ; extra == \"pandas\" and python_version < \"3.12\"");
}

TEST(Metadata, OldPkgInfoWithCrlfAndFoldedDescription) {
    auto md = Metadata::parse(load(k_fixtures + "/metadata/oldpkg-0.3.PKG-INFO"));
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->metadata_version, "1.0");
    EXPECT_EQ(md->name, "oldpkg");
    EXPECT_EQ(md->version, "0.3");
    EXPECT_EQ(md->description, "First line.\n|\nSecond paragraph,\nindented.");
    EXPECT_EQ(md->get("Platform"), "UNKNOWN");
    EXPECT_EQ(md->headers.back().line, 12);
    EXPECT_FALSE(md->requires_python);
}

TEST(Metadata, LeadingByteOrderMarkIsIgnored) {
    auto md = Metadata::parse(load(k_fixtures + "/metadata/bom_pkg-1.0.metadata"));
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->metadata_version, "2.1");
    EXPECT_EQ(md->name, "bom-pkg");
    EXPECT_EQ(md->headers[0].name, "Metadata-Version");
    ASSERT_EQ(md->requires_dist_raw.size(), 1U);
    EXPECT_EQ(md->requires_dist_raw[0].line, 5);
}

TEST(Metadata, HeaderNamesAreCaseInsensitive) {
    auto md = Metadata::parse("METADATA-VERSION: 2.1\nname: x\nVERSION: 2\nrequires-dist: a\nPROVIDES-EXTRA: e\n");
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->name, "x");
    EXPECT_EQ(md->version, "2");
    EXPECT_EQ(md->requires_dist_raw.size(), 1U);
    EXPECT_EQ(md->provides_extra.size(), 1U);
    EXPECT_EQ(md->get("Name"), "x");
    EXPECT_EQ(md->headers[1].name, "name");
}

TEST(Metadata, LoneCarriageReturnsEndLines) {
    auto md = Metadata::parse("Metadata-Version: 2.1\rName: x\rVersion: 2\r\rbody\rmore");
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->version, "2");
    EXPECT_EQ(md->description, "body\nmore");
}

TEST(Metadata, ValuesAreTrimmedButRawHeadersKeepTrailingText) {
    auto md = Metadata::parse("Metadata-Version:2.1\nName:   x  \nVersion: 2\t\n");
    ASSERT_TRUE(md) << md.error().to_string();
    EXPECT_EQ(md->name, "x");
    EXPECT_EQ(md->version, "2");
    EXPECT_EQ(md->metadata_version, "2.1");
    EXPECT_EQ(md->headers[1].value, "x  ");
}

TEST(Metadata, InvalidUtf8IsAnErrorWithItsLine) {
    auto md = Metadata::parse("Metadata-Version: 2.1\nName: x\nVersion: 1\nAuthor: \xC0msterdam\n", "pkg/METADATA");
    ASSERT_FALSE(md);
    EXPECT_EQ(md.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(md.error().location.file, "pkg/METADATA");
    EXPECT_EQ(md.error().location.line, 4);
    EXPECT_NE(md.error().message.find("UTF-8"), std::string::npos);

    auto in_body = Metadata::parse("Metadata-Version: 2.1\nName: x\nVersion: 1\n\nok\n\xC0msterdam\n");
    ASSERT_FALSE(in_body);
    EXPECT_EQ(in_body.error().location.line, 6);
}

TEST(Metadata, ContinuationBeforeAnyHeaderIsAnError) {
    auto md = parse_headers(" Name: x\nVersion: 1\n", "f");
    ASSERT_FALSE(md);
    EXPECT_EQ(md.error().location.to_string(), "f:1");
}

TEST(Metadata, RepeatedNameNamesBothLines) {
    auto md = Metadata::parse("Metadata-Version: 2.1\nName: a\nVersion: 1\nName: b\n", "x.metadata");
    ASSERT_FALSE(md);
    EXPECT_EQ(md.error().location.to_string(), "x.metadata:4");
    EXPECT_NE(md.error().message.find("line 2"), std::string::npos) << md.error().message;
}

TEST(Metadata, UnknownMajorMetadataVersionIsRefused) {
    for (const char* v : {"3.0", "0.9", "two", "2", ""}) {
        auto md = Metadata::parse(std::string("Metadata-Version: ") + v + "\nName: a\nVersion: 1\n");
        EXPECT_FALSE(md) << v;
    }
    EXPECT_TRUE(Metadata::parse("Metadata-Version: 2.9\nName: a\nVersion: 1\n"));
}

TEST(Metadata, InvalidNameIsAnError) {
    for (const char* name : {"-a", "a b", "a-", "\xC3\xA9t\xC3\xA9", "a;b"}) {
        auto md = Metadata::parse(std::string("Metadata-Version: 2.1\nName: ") + name + "\nVersion: 1\n");
        ASSERT_FALSE(md) << name;
        EXPECT_EQ(md.error().location.line, 2) << name;
    }
}

TEST(Metadata, MissingVersionAfterStrayLineExplainsWhereHeadersEnded) {
    auto md = Metadata::parse("Metadata-Version: 2.1\nName: a\nnot a header\nVersion: 1\n");
    ASSERT_FALSE(md);
    EXPECT_NE(md.error().message.find("Version"), std::string::npos);
    EXPECT_NE(md.error().hint.find("line 3"), std::string::npos) << md.error().hint;
}

TEST(Metadata, OptionalFieldsAreAbsent) {
    auto md = Metadata::parse("Metadata-Version: 2.1\nName: a\nVersion: 1\n");
    ASSERT_TRUE(md);
    EXPECT_FALSE(md->summary);
    EXPECT_FALSE(md->requires_python);
    EXPECT_FALSE(md->description);
    EXPECT_TRUE(md->requires_dist_raw.empty());
    EXPECT_TRUE(md->provides_extra.empty());
    EXPECT_FALSE(md->get("Author"));
}

TEST(Metadata, EmptyAndHeaderlessInputs) {
    EXPECT_FALSE(Metadata::parse(""));
    EXPECT_FALSE(Metadata::parse("\n\n\n"));
    auto block = parse_headers("");
    ASSERT_TRUE(block);
    EXPECT_TRUE(block->headers.empty());
    EXPECT_FALSE(block->body);
}

}  // namespace
}  // namespace wheelhouse::metadata
