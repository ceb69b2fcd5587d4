#include "wheelhouse/licenses/licenses.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::licenses {
namespace {

const std::string k_fixtures = WHEELHOUSE_FIXTURES_DIR;
const std::string k_corpora = WHEELHOUSE_CORPORA_DIR;

auto load_json(const std::string& path) -> nlohmann::json {
    auto text = util::read_file(path);
    EXPECT_TRUE(text) << path;
    return text ? nlohmann::json::parse(*text) : nlohmann::json{};
}

auto canonical(std::string_view text) -> std::string {
    auto parsed = Expression::parse(text);
    EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().to_string());
    return parsed ? parsed->to_string() : std::string{};
}

TEST(SpdxList, EmbeddedListIsTheCommittedLicenseListData) {
    auto licenses = load_json(k_corpora + "/spdx-licenses/licenses.json");
    auto exceptions = load_json(k_corpora + "/spdx-licenses/exceptions.json");
    EXPECT_EQ(spdx_list_version(), licenses["licenseListVersion"].get<std::string>());
    std::set<std::string> expected;
    for (const auto& l : licenses["licenses"]) {
        auto id = l["licenseId"].get<std::string>();
        expected.insert(id);
        const auto* info = find_license(id);
        ASSERT_NE(info, nullptr) << id;
        EXPECT_EQ(info->name, l["name"].get<std::string>());
        EXPECT_EQ(info->deprecated, l["isDeprecatedLicenseId"].get<bool>()) << id;
        EXPECT_EQ(info->osi_approved, l.value("isOsiApproved", false)) << id;
    }
    EXPECT_EQ(spdx_licenses().size(), expected.size());
    EXPECT_EQ(spdx_exceptions().size(), exceptions["exceptions"].size());
    for (const auto& e : exceptions["exceptions"]) {
        EXPECT_NE(find_exception(e["licenseExceptionId"].get<std::string>()), nullptr);
    }
}

TEST(SpdxList, EveryIdIsInTheCycloneDxSchemaEnum) {
    // An SBOM's license.id must be in CycloneDX 1.6's spdx.schema.json enum.
    auto schema = load_json(k_corpora + "/cyclonedx/schema/spdx.schema.json");
    std::set<std::string> allowed;
    for (const auto& id : schema["enum"]) allowed.insert(id.get<std::string>());
    for (const auto& l : spdx_licenses()) EXPECT_TRUE(allowed.count(std::string(l.id))) << l.id;
    for (const auto& e : spdx_exceptions()) EXPECT_TRUE(allowed.count(std::string(e.id))) << e.id;
}

TEST(SpdxList, LookupsIgnoreCase) {
    ASSERT_NE(find_license("apache-2.0"), nullptr);
    EXPECT_EQ(find_license("apache-2.0")->id, "Apache-2.0");
    EXPECT_EQ(find_exception("classpath-EXCEPTION-2.0")->id, "Classpath-exception-2.0");
    EXPECT_EQ(find_license("Apache-2"), nullptr);
}

TEST(Expression, CanonicalCaseOperatorsAndParentheses) {
    EXPECT_EQ(canonical("mit"), "MIT");
    EXPECT_EQ(canonical("apache-2.0 or bsd-3-clause"), "Apache-2.0 OR BSD-3-Clause");
    EXPECT_EQ(canonical("(MIT)"), "MIT");
    EXPECT_EQ(canonical("MIT AND (Apache-2.0 OR BSD-2-Clause)"), "MIT AND (Apache-2.0 OR BSD-2-Clause)");
    EXPECT_EQ(canonical("MIT OR Apache-2.0 AND BSD-2-Clause"), "MIT OR Apache-2.0 AND BSD-2-Clause");
    EXPECT_EQ(canonical("gpl-2.0-or-later with classpath-exception-2.0"),
              "GPL-2.0-or-later WITH Classpath-exception-2.0");
    EXPECT_EQ(canonical("LGPL-2.1+"), "LGPL-2.1+");
    EXPECT_EQ(canonical("LicenseRef-Proprietary OR DocumentRef-x:LicenseRef-y"),
              "LicenseRef-Proprietary OR DocumentRef-x:LicenseRef-y");
}

TEST(Expression, PrecedenceIsWithThenAndThenOr) {
    auto e = Expression::parse("MIT OR Apache-2.0 AND BSD-2-Clause");
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind(), Expression::Kind::any_of);
    ASSERT_EQ(e->operands().size(), 2U);
    EXPECT_EQ(e->operands()[1].kind(), Expression::Kind::all_of);
    EXPECT_EQ(e->terms().size(), 3U);
}

TEST(Expression, InvalidExpressionsSayWhatAndWhere) {
    struct Case {
        const char* text;
        const char* words;
    };
    for (const auto& c :
         {Case{"Apache-2", "'Apache-2' is not an SPDX license id"},
          Case{"MIT OR", "ends where a license id is expected"}, Case{"(MIT", "'(' is not closed"},
          Case{"MIT)", "unexpected ')'"}, Case{"Classpath-exception-2.0", "is a license exception"},
          Case{"MIT WITH Apache-2.0", "not an SPDX license exception id"}, Case{"MIT/X11", "'/' cannot appear"},
          Case{"", "empty license expression"}, Case{"MIT AND AND BSD-2-Clause", "a license id is expected, not 'AND'"},
          Case{"LicenseRef-", "needs an id"}}) {
        auto e = Expression::parse(c.text);
        ASSERT_FALSE(e) << c.text;
        EXPECT_NE(e.error().message.find(c.words), std::string::npos) << c.text << ": " << e.error().message;
        EXPECT_NE(e.error().message.find("column"), std::string::npos);
        EXPECT_FALSE(e.error().hint.empty());
    }
}

TEST(Classifiers, MappedIdsAreValidAndAmbiguousOnesAreNotMapped) {
    EXPECT_EQ(classifier_spdx("License :: OSI Approved :: MIT License"), "MIT");
    EXPECT_EQ(classifier_spdx("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)"), "MPL-2.0");
    EXPECT_EQ(classifier_spdx("License :: OSI Approved :: Python Software Foundation License"), "PSF-2.0");
    // PEP 639's list of classifiers that tools must not map.
    for (const char* c :
         {"License :: OSI Approved :: Academic Free License (AFL)",
          "License :: OSI Approved :: Apache Software License",
          "License :: OSI Approved :: Apple Public Source License", "License :: OSI Approved :: Artistic License",
          "License :: OSI Approved :: BSD License", "License :: OSI Approved :: GNU Affero General Public License v3",
          "License :: OSI Approved :: GNU Free Documentation License (FDL)",
          "License :: OSI Approved :: GNU General Public License (GPL)",
          "License :: OSI Approved :: GNU General Public License v2 (GPLv2)",
          "License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
          "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)",
          "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
          "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
          "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)"}) {
        EXPECT_FALSE(classifier_spdx(c)) << c;
    }
}

TEST(FreeText, OnlyExactSpellingsMap) {
    auto mapped = [](std::string_view text) -> std::string {
        auto e = field_spdx(text);
        return e ? e->to_string() : std::string("-");
    };
    EXPECT_EQ(mapped("MIT"), "MIT");
    EXPECT_EQ(mapped("Apache 2.0"), "Apache-2.0");
    EXPECT_EQ(mapped("Apache License 2.0"), "Apache-2.0");  // the SPDX full name
    EXPECT_EQ(mapped("apache license, version 2.0."), "Apache-2.0");
    EXPECT_EQ(mapped("BSD 3-Clause License"), "BSD-3-Clause");
    EXPECT_EQ(mapped("MIT license"), "MIT");
    EXPECT_EQ(mapped("BSD"), "-");
    EXPECT_EQ(mapped("GPL"), "-");
    EXPECT_EQ(mapped("Apache"), "-");
    EXPECT_EQ(mapped("GPLv3"), "-");  // only or or-later: not said
    EXPECT_EQ(mapped("Public Domain"), "-");
    EXPECT_EQ(mapped("MIT\nPermission is hereby granted"), "-");
}

struct Expect {
    std::string file;
    Source source;
    std::string display;
    bool spdx;
};

TEST(Declared, RealMetadataSamples) {
    for (const auto& c : std::vector<Expect>{
             {"cryptography-48.0.0.METADATA", Source::expression, "Apache-2.0 OR BSD-3-Clause", true},
             {"flask-3.1.3.METADATA", Source::expression, "BSD-3-Clause", true},
             {"docker-7.1.0.METADATA", Source::expression, "Apache-2.0", true},
             {"blinker-1.9.0.METADATA", Source::classifier, "MIT", true},
             {"jinja2-3.1.6.METADATA", Source::classifier, "BSD License", false},
             {"packaging-23.0.METADATA", Source::classifier, "Apache Software License; BSD License", false},
             {"certifi-2026.5.20.METADATA", Source::classifier, "MPL-2.0", true},
             {"asttokens-3.0.1.METADATA", Source::field, "Apache-2.0", true},
             {"charset_normalizer-3.4.7.METADATA", Source::field, "MIT", true},
             {"antlr4_python3_runtime-4.13.2.METADATA", Source::field, "BSD", false},
             {"backcall-0.2.0.METADATA", Source::classifier, "BSD License", false},
             {"traitlets-5.15.0.METADATA", Source::field, "BSD 3-Clause License", false},
         }) {
        auto text = util::read_file(k_fixtures + "/licenses/metadata/" + c.file);
        ASSERT_TRUE(text) << c.file;
        auto md = metadata::Metadata::parse(*text, c.file);
        ASSERT_TRUE(md) << md.error().to_string();
        auto d = declared(*md);
        EXPECT_EQ(d.source, c.source) << c.file << ": " << to_string(d.source);
        EXPECT_EQ(d.display(), c.display) << c.file;
        EXPECT_EQ(d.expression.has_value(), c.spdx) << c.file;
    }
}

TEST(Declared, NothingUsableIsUnknown) {
    MetadataFields none;
    none.classifiers = {"Framework :: Apache Airflow", "License :: OSI Approved"};
    none.license = "UNKNOWN";
    auto d = declared(none);
    EXPECT_EQ(d.source, Source::unknown);
    EXPECT_EQ(d.display(), "unknown");
}

TEST(Declared, InvalidExpressionFallsBackAndSaysWhy) {
    MetadataFields f;
    f.license_expression = "Apache-2";
    f.classifiers = {"License :: OSI Approved :: MIT License"};
    auto d = declared(f);
    EXPECT_EQ(d.source, Source::classifier);
    EXPECT_EQ(d.display(), "MIT");
    ASSERT_FALSE(d.notes.empty());
    EXPECT_NE(d.notes.front().find("not a valid SPDX expression"), std::string::npos);
}

auto with(std::string_view spdx) -> Declared {
    Declared d;
    d.source = Source::expression;
    d.expression = Expression::parse(spdx).value();
    return d;
}

TEST(Policy, DenyAndAllowOverExpressions) {
    Policy deny;
    deny.deny = {"GPL-3.0-only"};
    EXPECT_FALSE(evaluate(deny, with("GPL-3.0-only")).ok);
    EXPECT_TRUE(evaluate(deny, with("MIT OR GPL-3.0-only")).ok);  // MIT may be chosen
    EXPECT_FALSE(evaluate(deny, with("MIT AND GPL-3.0-only")).ok);
    EXPECT_NE(evaluate(deny, with("MIT AND GPL-3.0-only")).reason.find("denied: GPL-3.0-only"), std::string::npos);
    Declared named;
    named.source = Source::field;
    named.name = "BSD";
    EXPECT_TRUE(evaluate(deny, named).ok);

    Policy allow;
    allow.allow = {"MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"};
    EXPECT_TRUE(evaluate(allow, with("Apache-2.0 OR BSD-3-Clause")).ok);
    EXPECT_FALSE(evaluate(allow, with("BSD-3-Clause")).ok);
    EXPECT_NE(evaluate(allow, with("BSD-3-Clause")).reason.find("not in the allow list: BSD-3-Clause"),
              std::string::npos);
    EXPECT_TRUE(evaluate(allow, with("GPL-2.0-only WITH Classpath-exception-2.0")).ok);
    EXPECT_FALSE(evaluate(allow, with("GPL-2.0-only")).ok);
    EXPECT_FALSE(evaluate(allow, named).ok);
    EXPECT_FALSE(evaluate(allow, Declared{}).ok);
}

TEST(Policy, IdsAreCheckedAndCanonicalised) {
    auto ids = parse_policy_ids("mit, apache-2.0,MIT", "--allow");
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, (std::vector<std::string>{"MIT", "Apache-2.0"}));
    auto bad = parse_policy_ids("MIT,GPL3", "--deny");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("--deny: 'GPL3'"), std::string::npos);
}

TEST(Policy, FileTableAndItsErrors) {
    auto ok = parse_policy_file(
        "[project]\nname = \"x\"\n\n[tool.wheelhouse.licenses]\nallow = [\"MIT\", "
        "\"apache-2.0\"]\ndeny = [\"GPL-3.0-only\"]\n",
        "pyproject.toml");
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_EQ(ok->allow, (std::vector<std::string>{"MIT", "Apache-2.0"}));
    EXPECT_EQ(ok->deny, (std::vector<std::string>{"GPL-3.0-only"}));

    auto syntax = parse_policy_file("[tool.wheelhouse.licenses\nallow = 1\n", "p.toml");
    ASSERT_FALSE(syntax);
    EXPECT_EQ(syntax.error().location.file, "p.toml");
    EXPECT_EQ(syntax.error().location.line, 1);

    auto typo = parse_policy_file("[tool.wheelhouse.licenses]\nallow = [\"MIT\",\n  \"GPL3\"]\n", "p.toml");
    ASSERT_FALSE(typo);
    EXPECT_EQ(typo.error().location.line, 3);
    EXPECT_EQ(typo.error().context, "GPL3");

    EXPECT_FALSE(parse_policy_file("[tool.other]\nx = 1\n", "p.toml"));
    EXPECT_FALSE(parse_policy_file("[tool.wheelhouse.licenses]\nallow = \"MIT\"\n", "p.toml"));
}

}  // namespace
}  // namespace wheelhouse::licenses
