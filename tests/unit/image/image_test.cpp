#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "wheelhouse/image/image.hpp"
#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/tags/filename.hpp"

namespace wheelhouse::image {
namespace {

auto preset(const char* name) -> Preset {
    auto found = find_preset(name);
    EXPECT_TRUE(found) << name;
    return found ? *found : Preset{};
}

// The packages each image's bill of materials lists (the corpus README's counts).
const std::map<std::string, std::size_t> k_bom_counts = {
    {"2.9.2", 185},  {"2.10.1", 186}, {"2.10.3", 188}, {"2.11.0", 187},
    {"2.11.2", 188}, {"3.0.6", 207},  {"3.2.1", 210},  {"3.3.1", 214},
};

auto parse_constraints(const std::string& text, const std::string& origin) -> Expected<reqfile::RequirementsFile> {
    reqfile::ParseOptions options;
    options.constraint = true;
    options.environment = [](std::string_view) { return std::optional<std::string>(); };
    return reqfile::parse_text(text, origin, options);
}

// name -> version of the name==version lines.
auto pins_of(const reqfile::RequirementsFile& parsed) -> std::map<std::string, std::string> {
    std::map<std::string, std::string> out;
    for (const auto& entry : parsed.constraints) {
        const auto& clauses = entry.requirement.specifier.specifiers();
        if (clauses.size() == 1 && clauses[0].op() == pep440::Operator::equal)
            out[tags::normalize_name(entry.requirement.name)] = clauses[0].version_text();
    }
    return out;
}

TEST(Presets, EveryImageVersionAndTheOlderOnesOldestFirst) {
    std::vector<std::string> names;
    for (const auto& p : presets()) names.push_back(p.name);
    EXPECT_EQ(names, (std::vector<std::string>{"mwaa-2.4.3", "mwaa-2.5.1", "mwaa-2.6.3", "mwaa-2.7.2", "mwaa-2.8.1",
                                               "mwaa-2.9.2", "mwaa-2.10.1", "mwaa-2.10.3", "mwaa-2.11.0", "mwaa-2.11.2",
                                               "mwaa-3.0.6", "mwaa-3.2.1", "mwaa-3.3.1"}));
}

TEST(Presets, MatchTheMwaaFactsTable) {
    const std::map<std::string, std::string> exact_python = {
        {"2.9.2", "3.11.9"},   {"2.10.1", "3.11.9"}, {"2.10.3", "3.11.9"}, {"2.11.0", "3.12.10"},
        {"2.11.2", "3.12.10"}, {"3.0.6", "3.12.10"}, {"3.2.1", "3.12.13"}, {"3.3.1", "3.12.13"},
    };
    for (const auto& p : presets()) {
        const auto& v = p.airflow_version;
        bool al2 = v == "2.4.3" || v == "2.5.1" || v == "2.6.3";
        bool py312 = v.substr(0, 4) == "2.11" || v.substr(0, 2) == "3.";
        EXPECT_EQ(p.glibc_major, 2U) << v;
        EXPECT_EQ(p.glibc_minor, al2 ? 26U : 34U) << v;
        EXPECT_EQ(p.python.to_string(), al2 ? "3.10" : (py312 ? "3.12" : "3.11")) << v;
        ASSERT_TRUE(p.python.micro.has_value()) << v;
        if (auto it = exact_python.find(v); it != exact_python.end()) {
            EXPECT_EQ(p.python.full_version(), it->second);
        }
        EXPECT_EQ(p.base_os, al2 ? "Amazon Linux 2" : "Amazon Linux 2023") << v;
        EXPECT_EQ(p.arch, "x86_64");
        EXPECT_EQ(p.platform_tag, al2 ? "manylinux_2_26_x86_64" : "manylinux_2_34_x86_64") << v;
        EXPECT_EQ(p.constraints_file, "constraints-" + p.python.to_string() + ".txt");
        EXPECT_EQ(p.constraints_url,
                  "https://raw.githubusercontent.com/apache/airflow/constraints-" + v + "/" + p.constraints_file);
        EXPECT_EQ(p.name, "mwaa-" + v);
        EXPECT_EQ(p.target().platforms().front(), p.platform_tag) << v;
    }
    EXPECT_EQ(exact_python.size(), k_bom_counts.size());
}

TEST(Presets, FindsByNameOrAliasAndListsKnownOnesOnError) {
    EXPECT_EQ(find_preset("mwaa-2.10")->airflow_version, "2.10.3");
    EXPECT_EQ(find_preset("mwaa-2.10.x")->airflow_version, "2.10.3");
    EXPECT_EQ(find_preset("mwaa-2.11")->airflow_version, "2.11.2");
    EXPECT_EQ(find_preset("MWAA-2.9.2")->airflow_version, "2.9.2");
    EXPECT_EQ(find_preset("2.6.3")->airflow_version, "2.6.3");
    EXPECT_EQ(find_preset(" mwaa-3.3.1 ")->airflow_version, "3.3.1");
    EXPECT_EQ(find_preset("mwaa-3.x")->airflow_version, "3.3.1");
    EXPECT_EQ(find_preset("mwaa-3")->airflow_version, "3.3.1");
    EXPECT_EQ(find_preset("mwaa-2")->airflow_version, "2.11.2");
    EXPECT_EQ(find_preset("mwaa-latest")->airflow_version, "3.3.1");
    auto missing = find_preset("mwaa-1.10.12");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::usage);
    for (const auto& p : presets()) EXPECT_NE(missing.error().hint.find(p.name), std::string::npos) << p.name;
    EXPECT_FALSE(find_preset("mwaa-2.1")) << "2.1 must not match 2.10 or 2.11 by prefix";
    EXPECT_FALSE(find_preset("mwaa-3.1")) << "no 3.1 image";
}

TEST(Presets, InstalledSetIsTheBillOfMaterialsPlusWhatItLeavesOut) {
    for (const auto& [version, bom] : k_bom_counts) {
        auto p = preset(("mwaa-" + version).c_str());
        ASSERT_TRUE(p.has_installed_set) << version;
        EXPECT_EQ(p.bom_count, bom) << version;
        // wcwidth, pip, setuptools and wheel: pip-licenses never lists them, the image has them.
        EXPECT_EQ(p.installed.size(), bom + 4) << version;
        std::set<std::string> names;
        for (const auto& i : p.installed) {
            EXPECT_EQ(i.name, tags::normalize_name(i.display_name));
            names.insert(i.name);
        }
        EXPECT_EQ(names.size(), p.installed.size()) << version << ": one entry per distribution";
        EXPECT_TRUE(std::is_sorted(p.installed.begin(), p.installed.end(),
                                   [](const auto& a, const auto& b) { return a.name < b.name; }));
        const auto* airflow = p.find_installed("apache-airflow");
        ASSERT_NE(airflow, nullptr) << version;
        EXPECT_EQ(airflow->version, version);
        for (const char* tool : {"pip", "setuptools", "wheel"}) {
            const auto* found = p.find_installed(tool);
            ASSERT_NE(found, nullptr) << version << " " << tool;
            EXPECT_FALSE(found->version.has_value()) << version << " " << tool << ": its version is not recorded";
        }
        ASSERT_NE(p.find_installed("prompt_toolkit"), nullptr) << version;
        EXPECT_EQ(p.find_installed("Prompt.Toolkit"), p.find_installed("prompt-toolkit")) << "any spelling";
    }
    EXPECT_EQ(preset("mwaa-2.10.3").installed.size(), 192U);
    EXPECT_EQ(preset("mwaa-3.3.1").installed.size(), 218U);
}

TEST(Presets, WcwidthIsInstalledAtItsAirflowConstraintsPin) {
    for (const auto& [version, bom] : k_bom_counts) {
        auto p = preset(("mwaa-" + version).c_str());
        ASSERT_TRUE(p.airflow_constraints) << version;
        auto parsed = parse_constraints(*p.airflow_constraints, p.airflow_constraints_origin());
        ASSERT_TRUE(parsed) << parsed.error().to_string();
        auto pins = pins_of(*parsed);
        const auto* wcwidth = p.find_installed("wcwidth");
        ASSERT_NE(wcwidth, nullptr) << version;
        EXPECT_EQ(wcwidth->version, pins.at("wcwidth")) << version;
    }
    EXPECT_EQ(preset("mwaa-2.10.3").find_installed("wcwidth")->version, "0.2.13");
    EXPECT_EQ(preset("mwaa-3.3.1").find_installed("wcwidth")->version, "0.8.2");
}

TEST(Presets, BillOfMaterialsVersionsAgreeWithTheAirflowConstraintsTheyWereInstalledUnder) {
    // The image installs with -c $AIRFLOW_CONSTRAINTS_FILE: every pinned package it lists is at its pin. A
    // misread bill of materials (a licence line taken for a name or a version) would show up here.
    for (const auto& [version, bom] : k_bom_counts) {
        auto p = preset(("mwaa-" + version).c_str());
        auto parsed = parse_constraints(*p.airflow_constraints, p.airflow_constraints_origin());
        ASSERT_TRUE(parsed);
        auto pins = pins_of(*parsed);
        std::size_t pinned = 0;
        for (const auto& i : p.installed) {
            auto it = pins.find(i.name);
            if (it == pins.end() || !i.version) continue;
            ++pinned;
            EXPECT_EQ(*i.version, it->second) << version << " " << i.display_name;
        }
        EXPECT_GT(pinned, bom - 15) << version;
    }
}

TEST(Presets, EssentialAndAirflowConstraintsParseAsPipReadsThem) {
    const std::map<std::string, std::size_t> airflow_pins = {
        {"2.9.2", 712},  {"2.10.1", 716}, {"2.10.3", 726}, {"2.11.0", 723},
        {"2.11.2", 754}, {"3.0.6", 796},  {"3.2.1", 678},  {"3.3.1", 696},
    };
    for (const auto& [version, count] : airflow_pins) {
        auto p = preset(("mwaa-" + version).c_str());
        auto airflow = parse_constraints(*p.airflow_constraints, p.airflow_constraints_origin());
        ASSERT_TRUE(airflow) << airflow.error().to_string();
        EXPECT_EQ(airflow->constraints.size(), count) << version;
        EXPECT_TRUE(airflow->requirements.empty());
        ASSERT_TRUE(p.essential_constraints) << version;
        auto essential = parse_constraints(*p.essential_constraints, p.essential_constraints_origin());
        ASSERT_TRUE(essential) << essential.error().to_string();
        auto pins = pins_of(*essential);
        EXPECT_EQ(pins.size(), essential->constraints.size()) << version << ": every essential line is a == pin";
        EXPECT_EQ(pins.at("apache-airflow"), version) << "the image's essential file pins its own Airflow";
        EXPECT_GE(pins.size(), 22U) << version;
        // An origin names the image file and line, so a conflict points at it.
        EXPECT_EQ(essential->constraints.front().origin.to_string(),
                  "mwaa-" + version + " image etc/mwaa_essential_constraints.txt:10")
            << version;
    }
    auto p = preset("mwaa-2.10.3");
    EXPECT_EQ(p.airflow_constraints_origin(), "mwaa-2.10.3 image etc/airflow_constraints.txt");
    EXPECT_EQ(pins_of(*parse_constraints(*p.essential_constraints, "e")).at("kombu"), "5.4.2");
}

TEST(Presets, ImageFactsAndDataSource) {
    auto p = preset("mwaa-2.10.3");
    EXPECT_EQ(p.paths.user_site, "/usr/local/airflow/.local/lib/python3.11/site-packages");
    EXPECT_EQ(p.paths.airflow_constraints, "/usr/local/airflow/.local/etc/airflow_constraints.txt");
    EXPECT_EQ(p.paths.essential_constraints, "/usr/local/airflow/.local/etc/mwaa_essential_constraints.txt");
    EXPECT_EQ(p.source, "aws/amazon-mwaa-docker-images 9d2bebb5c785 images/airflow/2.10.3");
    EXPECT_EQ(p.data_source.commit, "9d2bebb5c7858e27a1c6afb20b7827840217e3a0");
    EXPECT_EQ(p.data_source.license, "Apache-2.0");
    EXPECT_EQ(p.base_requirements_file, "bootstrap/02-airflow/001-install-required-pip-packages.sh");
    ASSERT_EQ(p.base_requirements.size(), 11U);
    EXPECT_EQ(p.base_requirements[1], "apache-airflow[celery,statsd]==2.10.3");
    EXPECT_EQ(preset("mwaa-3.3.1").paths.user_site, "/usr/local/airflow/.local/lib/python3.12/site-packages");
    auto newest = preset("mwaa-3.3.1").base_requirements;
    EXPECT_NE(std::find(newest.begin(), newest.end(), "apache-airflow-core[gunicorn]==3.3.1"), newest.end());
}

TEST(Presets, OlderPresetsHaveNoInstalledSet) {
    for (const char* name : {"mwaa-2.4.3", "mwaa-2.5.1", "mwaa-2.6.3", "mwaa-2.7.2", "mwaa-2.8.1"}) {
        auto p = preset(name);
        EXPECT_FALSE(p.has_installed_set) << name;
        EXPECT_TRUE(p.installed.empty()) << name;
        EXPECT_FALSE(p.essential_constraints) << name;
        EXPECT_TRUE(p.paths.user_site.empty()) << name;
    }
    for (const char* name : {"mwaa-2.4.3", "mwaa-2.5.1", "mwaa-2.6.3"}) {
        auto p = preset(name);
        EXPECT_FALSE(p.airflow_constraints) << name << ": downloaded from constraints_url";
        EXPECT_TRUE(p.source.empty()) << name;
        EXPECT_TRUE(p.base_requirements.empty()) << name;
    }
    // 2.7.2 and 2.8.1: the aws-mwaa-local-runner constraints and base providers.
    for (const char* name : {"mwaa-2.7.2", "mwaa-2.8.1"}) {
        auto p = preset(name);
        ASSERT_TRUE(p.airflow_constraints) << name;
        auto parsed = parse_constraints(*p.airflow_constraints, p.airflow_constraints_origin());
        ASSERT_TRUE(parsed) << parsed.error().to_string();
        EXPECT_GT(parsed->constraints.size(), 600U) << name;
        EXPECT_EQ(p.base_requirements.size(), 8U) << name;
        EXPECT_EQ(p.data_source.repository, "aws/aws-mwaa-local-runner");
        EXPECT_EQ(p.data_source.license, "MIT-0");
        EXPECT_EQ(p.airflow_constraints_origin(), std::string(name) + " local-runner docker/config/constraints.txt");
    }
    EXPECT_EQ(preset("mwaa-2.7.2").base_requirements.front(), "apache-airflow-providers-amazon==8.7.1");
}

TEST(Presets, Mwaa2103HasPipsTagList) {
    auto target = preset("mwaa-2.10.3").target();
    const auto& tags = target.tags();
    ASSERT_EQ(tags.size(), 864U);
    EXPECT_EQ(tags.front().to_string(), "cp311-cp311-manylinux_2_34_x86_64");
    EXPECT_EQ(tags.back().to_string(), "py30-none-any");
    EXPECT_EQ(target.name(), "mwaa-2.10.3");
    EXPECT_EQ(target.describe(), "CPython 3.11 (cp311), manylinux_2_34_x86_64 and older, 864 tags");
    EXPECT_EQ(preset("mwaa-2.6.3").target().platforms().front(), "manylinux_2_26_x86_64");
    EXPECT_EQ(preset("mwaa-3.3.1").target().tags().front().to_string(), "cp312-cp312-manylinux_2_34_x86_64");
}

TEST(Presets, MarkerEnvironmentHasTheImagesExactPython) {
    auto env = preset("mwaa-2.10.3").target().marker_environment();
    EXPECT_EQ(env.at("python_version"), "3.11");
    EXPECT_EQ(env.at("python_full_version"), "3.11.9");
    EXPECT_EQ(env.at("platform_machine"), "x86_64");
    EXPECT_EQ(preset("mwaa-3.0.6").target().marker_environment().at("python_full_version"), "3.12.10");
    EXPECT_EQ(preset("mwaa-3.3.1").target().marker_environment().at("python_full_version"), "3.12.13");
}

TEST(ParsePreset, NamesTheFileOfBadData) {
    auto bad = parse_preset("{\"schema\": 1}", "mwaa-9.9.9.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("mwaa-9.9.9.json"), std::string::npos);
    EXPECT_FALSE(parse_preset("{\"schema\": 2}", "x.json")) << "a newer schema is refused";
    EXPECT_FALSE(parse_preset("not json", "x.json"));
}

}  // namespace
}  // namespace wheelhouse::image
