// The lock pipeline's pure parts: pip's environment variables, MWAA's essential pins, inputs read from files,
// and the deterministic rendering of the lock file and the pinned requirements.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <algorithm>
#include <map>

#include "wheelhouse/app/index_provider.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/app/lock.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;

auto env_of(std::map<std::string, std::string> values) -> EnvironmentLookup {
    return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        auto it = values.find(std::string(name));
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

auto temp_dir(const std::string& name) -> fs::path {
    auto dir = fs::temp_directory_path() / ("wheelhouse-app-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

TEST(Environment, PipVariablesFillWhatTheFlagsLeaveUnset) {
    auto flags = flags_from_environment({}, env_of({{"PIP_INDEX_URL", "https://idx/simple"},
                                                    {"PIP_EXTRA_INDEX_URL", "https://a/simple  https://b/simple"},
                                                    {"PIP_FIND_LINKS", "/w1 /w2"},
                                                    {"PIP_TRUSTED_HOST", "idx"},
                                                    {"PIP_NO_INDEX", "yes"}}));
    ASSERT_TRUE(flags.has_value());
    EXPECT_EQ(flags->index_url, "https://idx/simple");
    EXPECT_EQ(flags->extra_index_urls, (std::vector<std::string>{"https://a/simple", "https://b/simple"}));
    EXPECT_EQ(flags->find_links, (std::vector<std::string>{"/w1", "/w2"}));
    EXPECT_EQ(flags->trusted_hosts, (std::vector<std::string>{"idx"}));
    EXPECT_TRUE(flags->no_index);
}

TEST(Environment, FlagsWinOverPipVariables) {
    IndexFlags given;
    given.index_url = "https://flag/simple";
    given.extra_index_urls = {"https://flag-extra/simple"};
    auto flags = flags_from_environment(
        given, env_of({{"PIP_INDEX_URL", "https://env/simple"}, {"PIP_EXTRA_INDEX_URL", "https://env-extra/simple"}}));
    ASSERT_TRUE(flags.has_value());
    EXPECT_EQ(flags->index_url, "https://flag/simple");
    EXPECT_EQ(flags->extra_index_urls, (std::vector<std::string>{"https://flag-extra/simple"}));
}

TEST(Environment, RejectsANonBooleanPipNoIndex) {
    auto flags = flags_from_environment({}, env_of({{"PIP_NO_INDEX", "maybe"}}));
    ASSERT_FALSE(flags.has_value());
    EXPECT_EQ(flags.error().code, ErrorCode::invalid_input);
}

TEST(EssentialPins, PinAirflowAndTheImageCriticalPackagesForEachDockerImagesPreset) {
    auto preset = image::find_preset("mwaa-2.10.3");
    ASSERT_TRUE(preset.has_value());
    auto pins = essential_pins(*preset);
    ASSERT_FALSE(pins.empty());
    EXPECT_EQ(pins.front(), "apache-airflow==2.10.3");
    for (const char* expected : {"Flask==2.2.5", "celery==5.4.0", "kombu==5.4.2", "gunicorn==23.0.0"}) {
        EXPECT_NE(std::find(pins.begin(), pins.end(), expected), pins.end()) << expected;
    }
    for (const auto& p : image::presets()) {
        auto list = essential_pins(p);
        EXPECT_EQ(list.front(), "apache-airflow==" + p.airflow_version) << p.name;
        for (const auto& pin : list) EXPECT_TRUE(pep508::Requirement::parse(pin).has_value()) << p.name << " " << pin;
    }
}

TEST(Inputs, ReadsRequirementsConstraintsAirflowFileAndEssentialPinsWithOrigins) {
    auto dir = temp_dir("inputs");
    write(dir / "requirements.txt", "--extra-index-url https://extra/simple\napache-airflow-providers-amazon\n");
    write(dir / "constraints.txt", "boto3<2\n");
    write(dir / "airflow.txt", "boto3==1.35.0\ncelery==5.4.0\n");
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine.has_value());
    InputOptions options;
    options.requirement_files = {(dir / "requirements.txt").string()};
    options.constraint_files = {(dir / "constraints.txt").string()};
    options.preset = *image::find_preset("mwaa-2.10.3");
    options.airflow = AirflowConstraints::file;
    options.airflow_file = dir / "airflow.txt";
    options.flags.index_url = "https://primary/simple";
    options.environment = env_of({});
    auto inputs = read_inputs(options, *engine);
    ASSERT_TRUE(inputs.has_value()) << inputs.error().to_string();
    ASSERT_EQ(inputs->requirements.size(), 1U);
    EXPECT_EQ(inputs->requirements[0].origin, (dir / "requirements.txt").string() + ":2");
    EXPECT_EQ(inputs->sources.index_urls, (std::vector<std::string>{"https://primary/simple", "https://extra/simple"}));
    std::map<resolve::ConstraintSource, int> by_source;
    for (const auto& c : inputs->constraints) ++by_source[c.source];
    EXPECT_EQ(by_source[resolve::ConstraintSource::user], 1);
    EXPECT_EQ(by_source[resolve::ConstraintSource::airflow], 2);
    EXPECT_EQ(static_cast<std::size_t>(by_source[resolve::ConstraintSource::mwaa_essential]),
              essential_pins(*options.preset).size());
    ASSERT_EQ(inputs->files.size(), 3U);
    EXPECT_EQ(inputs->files[2].kind, "airflow-constraints");
    EXPECT_EQ(inputs->files[2].sha256.size(), 64U);
    EXPECT_TRUE(inputs->options.only_binary) << "MWAA cannot build sdists: wheels only by default";
    fs::remove_all(dir);
}

TEST(EssentialPins, ComeFromTheImagesEssentialConstraintsFileWithItsLines) {
    auto preset = image::find_preset("mwaa-3.3.1");
    ASSERT_TRUE(preset.has_value());
    auto constraints = essential_constraints(*preset);
    ASSERT_TRUE(constraints.has_value()) << constraints.error().to_string();
    ASSERT_EQ(constraints->size(), 22U);
    EXPECT_EQ(constraints->front().requirement.to_string(), "apache-airflow==3.3.1");
    EXPECT_EQ(constraints->front().origin, "mwaa-3.3.1 image etc/mwaa_essential_constraints.txt:10");
    for (const auto& c : *constraints) EXPECT_EQ(c.source, resolve::ConstraintSource::mwaa_essential);
    auto pins = essential_pins(*preset);
    EXPECT_NE(std::find(pins.begin(), pins.end(), "Flask==3.1.3"), pins.end());
    // 2.9.2's file also pins fluent-logger (the list written by hand before the image data missed it).
    auto old = essential_pins(*image::find_preset("mwaa-2.9.2"));
    EXPECT_NE(std::find(old.begin(), old.end(), "fluent-logger==0.11.1"), old.end());
    // Without an image file, only Airflow is pinned.
    EXPECT_EQ(essential_pins(*image::find_preset("mwaa-2.8.1")), (std::vector<std::string>{"apache-airflow==2.8.1"}));
}

TEST(Inputs, APresetsAirflowConstraintsComeFromTheImageWithoutNetwork) {
    auto dir = temp_dir("embedded");
    write(dir / "requirements.txt", "apache-airflow-providers-snowflake\n");
    // Every download would go through this proxy, which refuses connections: the embedded copy needs none.
    http::Options closed;
    closed.https_proxy = "http://127.0.0.1:9";
    closed.http_proxy = "http://127.0.0.1:9";
    closed.no_proxy = "";
    closed.max_attempts = 1;
    auto engine = http::Engine::create(closed);
    ASSERT_TRUE(engine.has_value());
    InputOptions options;
    options.requirement_files = {(dir / "requirements.txt").string()};
    options.preset = *image::find_preset("mwaa-2.10.3");
    options.airflow = AirflowConstraints::download;
    options.environment = env_of({});
    auto offline = options;
    offline.preset = *image::find_preset("mwaa-2.6.3");  // no embedded copy: downloads, and fails here
    auto failed = read_inputs(offline, *engine);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, ErrorCode::network);
    auto inputs = read_inputs(options, *engine);
    ASSERT_TRUE(inputs.has_value()) << inputs.error().to_string();
    std::size_t airflow = 0;
    const resolve::Constraint* boto3 = nullptr;
    for (const auto& c : inputs->constraints) {
        if (c.source != resolve::ConstraintSource::airflow) continue;
        ++airflow;
        if (c.requirement.name == "boto3") boto3 = &c;
    }
    EXPECT_EQ(airflow, 726U);
    ASSERT_NE(boto3, nullptr);
    EXPECT_EQ(boto3->requirement.to_string(), "boto3==1.35.36");
    EXPECT_TRUE(boto3->origin.starts_with("mwaa-2.10.3 image etc/airflow_constraints.txt:")) << boto3->origin;
    ASSERT_EQ(inputs->files.size(), 2U);
    EXPECT_EQ(inputs->files[1].kind, "airflow-constraints");
    EXPECT_EQ(inputs->files[1].location, "mwaa-2.10.3 image etc/airflow_constraints.txt");
    EXPECT_EQ(inputs->files[1].sha256, "c6064e9eb17792f5050307ebeafea99fd8677e06c75325adfe891ae396511d4d")
        << "the sha256 of the image's etc/airflow_constraints.txt";
    fs::remove_all(dir);
}

TEST(Inputs, AirflowConstraintsOverrideTakesAFileUrlToo) {
    auto dir = temp_dir("override");
    write(dir / "requirements.txt", "demo\n");
    write(dir / "airflow.txt", "boto3==1.0.0\n");
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine.has_value());
    InputOptions options;
    options.requirement_files = {(dir / "requirements.txt").string()};
    options.preset = *image::find_preset("mwaa-2.10.3");
    options.airflow = AirflowConstraints::file;
    options.airflow_file = "file://" + (dir / "airflow.txt").string();
    options.environment = env_of({});
    auto inputs = read_inputs(options, *engine);
    ASSERT_TRUE(inputs.has_value()) << inputs.error().to_string();
    std::vector<std::string> airflow;
    for (const auto& c : inputs->constraints)
        if (c.source == resolve::ConstraintSource::airflow)
            airflow.push_back(c.requirement.to_string() + " " + c.origin);
    EXPECT_EQ(airflow, (std::vector<std::string>{"boto3==1.0.0 " + (dir / "airflow.txt").string() + ":1"}));
    fs::remove_all(dir);
}

TEST(Inputs, ReportsABadRequirementAtItsLine) {
    auto dir = temp_dir("bad");
    write(dir / "requirements.txt", "good\nbad[\n");
    auto engine = http::Engine::create();
    ASSERT_TRUE(engine.has_value());
    InputOptions options;
    options.requirement_files = {(dir / "requirements.txt").string()};
    options.airflow = AirflowConstraints::none;
    options.environment = env_of({});
    auto inputs = read_inputs(options, *engine);
    ASSERT_FALSE(inputs.has_value());
    EXPECT_EQ(inputs.error().code, ErrorCode::invalid_input);
    EXPECT_EQ(inputs.error().location.line, 2);
    fs::remove_all(dir);
}

auto sample_result() -> LockResult {
    LockResult result;
    tags::TargetOptions t;
    t.python_version = "3.11";
    t.platforms = {"manylinux_2_34_x86_64"};
    result.target = *tags::Target::from_options(t, "custom");
    result.inputs.sources.index_urls = {"https://user:secret@idx.example/simple"};
    LockedPackage a;
    a.name = "a";
    a.version = "1.0";
    a.filename = "a-1.0-py3-none-any.whl";
    a.url = "https://idx.example/files/a-1.0-py3-none-any.whl";
    a.sha256 = std::string(64, 'a');
    a.size = 10;
    a.required_by = {{"", "a>=1", "requirements.txt:1"}};
    LockedPackage b = a;
    b.name = "b";
    b.filename = "b-2.0-py3-none-any.whl";
    b.version = "2.0";
    b.sha256 = std::string(64, 'b');
    result.packages = {a, b};
    return result;
}

TEST(Render, PinnedFileHasAHashPerPackageAndNoCredentials) {
    auto text = pinned_requirements(sample_result());
    ASSERT_TRUE(text.has_value());
    EXPECT_NE(text->find("--index-url https://idx.example/simple\n"), std::string::npos) << *text;
    EXPECT_EQ(text->find("secret"), std::string::npos);
    EXPECT_NE(text->find("a==1.0 \\\n    --hash=sha256:" + std::string(64, 'a') + "\n"), std::string::npos);
    EXPECT_NE(text->find("b==2.0 \\\n    --hash=sha256:" + std::string(64, 'b') + "\n"), std::string::npos);
}

TEST(Render, PinnedFileRefusesAPackageWithoutHash) {
    auto result = sample_result();
    result.packages[1].sha256.clear();
    EXPECT_FALSE(pinned_requirements(result).has_value());
}

TEST(Render, LockFileIsDeterministicAndCarriesNoCredentialsOrTimestamps) {
    auto one = lock_file_text(sample_result());
    auto two = lock_file_text(sample_result());
    EXPECT_EQ(one, two);
    EXPECT_EQ(one.find("secret"), std::string::npos);
    auto doc = nlohmann::json::parse(one);
    EXPECT_EQ(doc["packages"].size(), 2U);
    for (const auto& key : {"name", "version", "filename", "url", "sha256", "size", "required_by", "origin"})
        EXPECT_TRUE(doc["packages"][0].contains(key)) << key;
    EXPECT_FALSE(doc.contains("created")) << "no timestamps";
    auto out = packages_json(sample_result());
    EXPECT_EQ(out["packages"][1]["name"], "b");
    EXPECT_EQ(out["packages"][1]["required_by"][0]["origin"], "requirements.txt:1");
}

TEST(Provider, CandidateConversionKeepsHashesYankedAndRequiresPython) {
    index::Candidate c;
    c.filename = "a-1.0-py3-none-any.whl";
    c.url = "https://x/a-1.0-py3-none-any.whl";
    c.hashes = {{"sha256", "00"}};
    c.requires_python = ">=3.8";
    c.yanked = true;
    c.yanked_reason = "bad";
    c.size = 42;
    auto f = to_candidate_file(c);
    EXPECT_EQ(f.filename, c.filename);
    EXPECT_EQ(f.hashes.at("sha256"), "00");
    EXPECT_EQ(f.requires_python, ">=3.8");
    EXPECT_TRUE(f.yanked);
    EXPECT_EQ(f.yanked_reason, "bad");
    EXPECT_EQ(f.size, 42U);
}

}  // namespace
}  // namespace wheelhouse::app
