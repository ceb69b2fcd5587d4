#include <gtest/gtest.h>

#include <filesystem>

#include "wheelhouse/s3/config.hpp"

namespace wheelhouse::s3 {
namespace {

const std::filesystem::path aws_fixtures = std::filesystem::path(WHEELHOUSE_FIXTURES_DIR) / "aws";

auto parse_ok(std::string_view text) -> IniFile {
    auto parsed = IniFile::parse(text, "cfg");
    EXPECT_TRUE(parsed) << parsed.error().to_string();
    return parsed ? *parsed : IniFile{};
}

TEST(IniFile, ParsesSectionsKeysCommentsAndContinuations) {
    const auto f = parse_ok(
        "\xEF\xBB\xBF# comment\n; another\n[default]\r\nRegion = eu-west-1\nkey: a:b=c\n[ profile x ]  # note\n"
        "multi = first\n   second\n\n   third\nempty =\nnext = 1\n");
    ASSERT_EQ(f.sections.size(), 2U);
    const auto* d = f.find("default");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->values.at("region").value, "eu-west-1");
    EXPECT_EQ(d->values.at("key").value, "a:b=c");
    const auto* x = f.find("profile x");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->line, 6);
    EXPECT_EQ(x->values.at("multi").value, "first\nsecond\nthird");
    EXPECT_EQ(x->values.at("empty").value, "");
    EXPECT_EQ(x->values.at("next").value, "1");
}

TEST(IniFile, ParsesNestedServiceSettings) {
    const auto f = parse_ok("[profile p]\ns3 =\n  endpoint_url = http://localhost:9000\n  addressing_style=path\n");
    const auto& s3 = f.find("profile p")->values.at("s3");
    EXPECT_EQ(s3.nested.at("endpoint_url"), "http://localhost:9000");
    EXPECT_EQ(s3.nested.at("addressing_style"), "path");
}

TEST(IniFile, ReportsSyntaxErrorsWithFileAndLine) {
    struct Case {
        const char* text;
        int line;
        const char* fragment;
    };
    const Case cases[] = {
        {"[default\nregion = x\n", 1, "without ']'"},
        {"region = x\n", 1, "before any [section]"},
        {"[a]\nx = 1\njust words\n", 3, "expected '[section]'"},
        {"[a]\nx = 1\n[a]\n", 3, "appears twice"},
        {"[a]\nx = 1\nX = 2\n", 3, "set twice"},
        {"[]\n", 1, "empty section"},
        {"[a] trailing\n", 1, "after the section header"},
        {"[a]\ns3 =\n  no equals sign\n", 2, "nested"},
    };
    for (const auto& c : cases) {
        auto parsed = IniFile::parse(c.text, "/home/u/.aws/config");
        ASSERT_FALSE(parsed) << c.text;
        EXPECT_EQ(parsed.error().location.file, "/home/u/.aws/config");
        EXPECT_EQ(parsed.error().location.line, c.line) << c.text;
        EXPECT_NE(parsed.error().message.find(c.fragment), std::string::npos) << parsed.error().message;
        EXPECT_NE(parsed.error().to_string().find("/home/u/.aws/config:" + std::to_string(c.line)), std::string::npos);
    }
}

TEST(SharedFiles, ConfigUsesProfilePrefixAndCredentialsDoesNot) {
    auto files = SharedFiles::from_text("[profile dev]\nregion = a\n[dev]\nregion = wrong\n[default]\nregion = d\n",
                                        "[dev]\nx = 1\n[profile dev]\nx = wrong\n");
    ASSERT_TRUE(files) << files.error().to_string();
    auto dev = files->profile("dev");
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->get("region"), "a");
    EXPECT_EQ(dev->get("x"), "1");
    EXPECT_EQ(files->profile("default")->get("region"), "d");
    EXPECT_FALSE(files->profile("nope"));
}

TEST(SharedFiles, CredentialsFileOverridesConfigKeyByKey) {
    auto files = SharedFiles::from_text("[profile p]\nregion = a\noutput = json\n", "[p]\nregion = b\n");
    ASSERT_TRUE(files);
    EXPECT_EQ(files->profile("p")->get("region"), "b");
    EXPECT_EQ(files->profile("p")->get("output"), "json");
}

TEST(SharedFiles, LoadsFilesNamedByTheEnvironmentAndToleratesMissingOnes) {
    Environment env({{"AWS_CONFIG_FILE", (aws_fixtures / "config").string()},
                     {"AWS_SHARED_CREDENTIALS_FILE", (aws_fixtures / "credentials").string()}});
    auto files = SharedFiles::load(env);
    ASSERT_TRUE(files) << files.error().to_string();
    ASSERT_TRUE(files->config);
    ASSERT_TRUE(files->credentials);
    EXPECT_EQ(files->profile("dev")->get("aws_access_key_id"), "AKIDDEV");

    Environment home({{"HOME", "/nonexistent-home-for-test"}});
    auto none = SharedFiles::load(home);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->config);
    EXPECT_EQ(none->config_path, std::filesystem::path("/nonexistent-home-for-test/.aws/config"));
    EXPECT_EQ(none->credentials_path, std::filesystem::path("/nonexistent-home-for-test/.aws/credentials"));
}

TEST(ProfileChoice, FlagBeatsAwsProfileBeatsDefault) {
    AwsOptions flags;
    EXPECT_EQ(choose_profile(flags, Environment()).name, "default");
    EXPECT_FALSE(choose_profile(flags, Environment()).explicit_choice);
    Environment env({{"AWS_PROFILE", "envprof"}, {"AWS_DEFAULT_PROFILE", "legacy"}});
    auto from_env = choose_profile(flags, env);
    EXPECT_EQ(from_env.name, "envprof");
    EXPECT_FALSE(from_env.from_flag);
    EXPECT_TRUE(from_env.explicit_choice);
    EXPECT_EQ(choose_profile(flags, Environment({{"AWS_DEFAULT_PROFILE", "legacy"}})).name, "legacy");
    EXPECT_EQ(choose_profile(flags, Environment({{"AWS_PROFILE", ""}})).name, "default");
    flags.profile = "flagprof";
    auto from_flag = choose_profile(flags, env);
    EXPECT_EQ(from_flag.name, "flagprof");
    EXPECT_TRUE(from_flag.from_flag);
}

TEST(ProfileChoice, AnExplicitProfileMustExist) {
    auto files = SharedFiles::from_text("[profile a]\nregion = x\n", "[b]\n");
    ASSERT_TRUE(files);
    EXPECT_TRUE(check_profile_exists({"a", true, true}, *files));
    EXPECT_TRUE(check_profile_exists({"b", false, true}, *files));
    EXPECT_TRUE(check_profile_exists({"default", false, false}, *files));
    auto missing = check_profile_exists({"c", true, true}, *files);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::aws);
    EXPECT_NE(missing.error().message.find("'c'"), std::string::npos);
}

TEST(Region, FlagThenAwsRegionThenAwsDefaultRegionThenProfile) {
    auto files = SharedFiles::from_text("[default]\nregion = from-default\n[profile p]\nregion = from-p\n", "");
    ASSERT_TRUE(files);
    const ProfileChoice p{"p", false, true};
    AwsOptions flags;
    Environment both({{"AWS_REGION", "r1"}, {"AWS_DEFAULT_REGION", "r2"}});
    EXPECT_EQ(resolve_region(flags, Environment(), *files, {})->value, "from-default");
    EXPECT_EQ(resolve_region(flags, Environment(), *files, p)->value, "from-p");
    EXPECT_EQ(resolve_region(flags, Environment({{"AWS_DEFAULT_REGION", "r2"}}), *files, p)->value, "r2");
    EXPECT_EQ(resolve_region(flags, both, *files, p)->value, "r1");
    EXPECT_EQ(resolve_region(flags, both, *files, p)->source, "AWS_REGION");
    flags.region = "flag";
    EXPECT_EQ(resolve_region(flags, both, *files, p)->value, "flag");
    EXPECT_FALSE(resolve_region({}, Environment(), *files, {"other", false, false}));
}

TEST(EndpointUrl, FollowsTheAwsCliPrecedence) {
    auto files = SharedFiles::from_text(
        "[profile p]\nendpoint_url = http://profile\nservices = svc\n[services svc]\ns3 =\n  endpoint_url = "
        "http://services-s3\nsts =\n  endpoint_url = http://services-sts\n"
        "[profile q]\nendpoint_url = http://q\nignore_configured_endpoint_urls = true\n",
        "");
    ASSERT_TRUE(files) << files.error().to_string();
    const ProfileChoice p{"p", false, true};
    AwsOptions flags;
    EXPECT_EQ(resolve_endpoint_url(flags, Environment(), *files, p, "s3")->value, "http://services-s3");
    EXPECT_EQ(resolve_endpoint_url(flags, Environment(), *files, p, "sts")->value, "http://services-sts");
    EXPECT_EQ(resolve_endpoint_url(flags, Environment(), *files, p, "kms")->value, "http://profile");
    Environment global({{"AWS_ENDPOINT_URL", "http://global"}});
    EXPECT_EQ(resolve_endpoint_url(flags, global, *files, p, "s3")->value, "http://global");
    Environment specific({{"AWS_ENDPOINT_URL", "http://global"}, {"AWS_ENDPOINT_URL_S3", "http://env-s3"}});
    EXPECT_EQ(resolve_endpoint_url(flags, specific, *files, p, "s3")->value, "http://env-s3");
    EXPECT_EQ(resolve_endpoint_url(flags, specific, *files, p, "s3")->source, "AWS_ENDPOINT_URL_S3");
    Environment ignore({{"AWS_ENDPOINT_URL_S3", "http://env-s3"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
    EXPECT_FALSE(resolve_endpoint_url(flags, ignore, *files, p, "s3"));
    EXPECT_FALSE(resolve_endpoint_url(flags, Environment(), *files, {"q", false, true}, "s3"));
    flags.endpoint_url = "http://flag";
    EXPECT_EQ(resolve_endpoint_url(flags, ignore, *files, p, "s3")->value, "http://flag");
}

}  // namespace
}  // namespace wheelhouse::s3
