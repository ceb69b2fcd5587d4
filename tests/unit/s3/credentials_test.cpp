#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "wheelhouse/s3/credentials.hpp"

namespace wheelhouse::s3 {
namespace {

using namespace std::chrono_literals;

const std::string process_script =
    (std::filesystem::path(WHEELHOUSE_FIXTURES_DIR) / "aws" / "credential_process.sh").string();

auto files_from(std::string_view config, std::string_view credentials) -> SharedFiles {
    auto files = SharedFiles::from_text(config, credentials);
    EXPECT_TRUE(files) << files.error().to_string();
    return files ? *files : SharedFiles{};
}

auto resolve(const Environment& env, const SharedFiles& files, const ProfileChoice& profile) -> Expected<Credentials> {
    auto chain = make_default_chain(env, files, profile);
    return chain.resolve();
}

// Every secret value used below; none may appear in any error text.
const char* const secrets[] = {"env-secret-value",    "default-secret-value", "process-secret-value",
                               "process-token-value", "config-secret-value",  "dev-secret-value"};

void expect_no_secret(const Error& error) {
    const auto text = error.to_string();
    for (const char* s : secrets) EXPECT_EQ(text.find(s), std::string::npos) << text;
}

TEST(EnvironmentCredentials, ComeFirstUnlessAProfileFlagIsGiven) {
    const Environment env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                           {"AWS_SECRET_ACCESS_KEY", "env-secret-value"},
                           {"AWS_SESSION_TOKEN", "env-token"},
                           {"AWS_PROFILE", "dev"}});
    const auto files = files_from("",
                                  "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = "
                                  "default-secret-value\n[dev]\naws_access_key_id = AKIDDEV\n"
                                  "aws_secret_access_key = dev-secret-value\n");
    // AWS_PROFILE does not hide credentials in the environment ...
    auto from_env = resolve(env, files, choose_profile({}, env));
    ASSERT_TRUE(from_env) << from_env.error().to_string();
    EXPECT_EQ(from_env->access_key_id, "AKIDENV");
    EXPECT_EQ(from_env->secret_access_key.reveal(), "env-secret-value");
    EXPECT_EQ(from_env->session_token.reveal(), "env-token");
    EXPECT_EQ(from_env->source, "environment");
    // ... but --profile does.
    AwsOptions flags;
    flags.profile = "dev";
    auto from_profile = resolve(env, files, choose_profile(flags, env));
    ASSERT_TRUE(from_profile);
    EXPECT_EQ(from_profile->access_key_id, "AKIDDEV");
    EXPECT_TRUE(from_profile->session_token.empty());
}

TEST(EnvironmentCredentials, HalfSetIsAnErrorThatNamesTheMissingVariable) {
    const Environment env({{"AWS_SECRET_ACCESS_KEY", "env-secret-value"}});
    auto result = resolve(env, SharedFiles{}, {});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::aws);
    EXPECT_NE(result.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
    expect_no_secret(result.error());
}

TEST(EnvironmentCredentials, AcceptTheLegacySecurityTokenVariable) {
    const Environment env(
        {{"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_SECURITY_TOKEN", "legacy"}});
    auto result = resolve(env, SharedFiles{}, {});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->session_token.reveal(), "legacy");
}

TEST(SharedFileCredentials, CredentialsFileThenProcessThenConfigFile) {
    const auto process = fmt::format("sh '{}' ok", process_script);
    // Static keys in the credentials file win over credential_process in the same profile.
    auto files = files_from(fmt::format("[profile p]\ncredential_process = {}\naws_access_key_id = AKIDCONFIG\n"
                                        "aws_secret_access_key = config-secret-value\n",
                                        process),
                            "[p]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = x\n");
    auto c = resolve(Environment(), files, {"p", true, true});
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->access_key_id, "AKIDCREDS");
    // Without them, credential_process wins over static keys in the config file.
    files = files_from(fmt::format("[profile p]\ncredential_process = {}\naws_access_key_id = AKIDCONFIG\n"
                                   "aws_secret_access_key = config-secret-value\n",
                                   process),
                       "");
    c = resolve(Environment(), files, {"p", true, true});
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->access_key_id, "AKIDPROCESS");
    EXPECT_EQ(c->secret_access_key.reveal(), "process-secret-value");
    EXPECT_EQ(c->session_token.reveal(), "process-token-value");
    ASSERT_TRUE(c->expiration);
    EXPECT_EQ(c->expiration->time_since_epoch(), std::chrono::seconds(1893553445));
    EXPECT_NE(c->source.find("credential_process"), std::string::npos);
    // And the config file's static keys are the last resort.
    files = files_from(
        "[profile p]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret-value\n"
        "aws_session_token = tok\n",
        "");
    c = resolve(Environment(), files, {"p", true, true});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDCONFIG");
    EXPECT_EQ(c->session_token.reveal(), "tok");
}

TEST(SharedFileCredentials, AHalfKeyPairIsAnErrorWithFileAndLine) {
    auto files = files_from("", "\n[default]\naws_secret_access_key = default-secret-value\n");
    auto c = resolve(Environment(), files, {});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().location.line, 2);
    EXPECT_NE(c.error().message.find("aws_access_key_id"), std::string::npos);
    expect_no_secret(c.error());
}

TEST(CredentialChain, SaysWhereItLookedWhenNothingIsFound) {
    auto chain = make_default_chain(Environment(), SharedFiles{}, {});
    EXPECT_EQ(chain.provider_names(), (std::vector<std::string>{"environment", "shared-credentials-file",
                                                                "credential_process", "config-file"}));
    auto c = chain.resolve();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::aws);
    EXPECT_NE(c.error().hint.find("environment, shared-credentials-file"), std::string::npos);
}

class FixedProvider final : public CredentialProvider {
public:
    explicit FixedProvider(std::string name) : m_name(std::move(name)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return m_name; }
    auto load() -> Expected<std::optional<Credentials>> override {
        Credentials c;
        c.access_key_id = m_name;
        c.secret_access_key = util::Secret("s");
        return std::optional<Credentials>(c);
    }

private:
    std::string m_name;
};

TEST(CredentialChain, PlacesNetworkSourcesInTheAwsCliOrder) {
    NetworkProviders network;
    network.assume_role = std::make_unique<FixedProvider>("assume-role");
    network.web_identity = std::make_unique<FixedProvider>("web-identity");
    network.container = std::make_unique<FixedProvider>("container");
    network.instance_metadata = std::make_unique<FixedProvider>("imds");
    auto chain = make_default_chain(Environment(), SharedFiles{}, {}, std::move(network));
    EXPECT_EQ(chain.provider_names(),
              (std::vector<std::string>{"environment", "assume-role", "web-identity", "shared-credentials-file",
                                        "credential_process", "config-file", "container", "imds"}));
    auto c = chain.resolve();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "assume-role");
}

TEST(CredentialProcess, PassesQuotedArgumentsWithoutAShell) {
    auto c = run_credential_process(
        fmt::format("sh {} args 'two words' \"d'q  x\" back\\ slash '$HOME' ;", process_script), 10s);
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->access_key_id, "|two words|d'q  x|back slash|$HOME|;");
}

TEST(CredentialProcess, ReportsExitStatusWithStderrOnlyAsRedactedDetailAndNoSecrets) {
    auto failed = run_credential_process(fmt::format("sh {} fail", process_script), 10s);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::aws);
    EXPECT_NE(failed.error().message.find("status 3"), std::string::npos) << failed.error().message;
    // The helper's stderr is for -v (Error::detail), never in the message or its one-line form.
    EXPECT_EQ(failed.error().message.find("the token has expired"), std::string::npos) << failed.error().message;
    EXPECT_EQ(failed.error().to_string().find("the token has expired"), std::string::npos);
    EXPECT_NE(failed.error().detail.find("the token has expired"), std::string::npos) << failed.error().detail;
    auto leaky = run_credential_process(fmt::format("sh {} fail-leaky", process_script), 10s);
    ASSERT_FALSE(leaky);
    EXPECT_NE(leaky.error().detail.find("https://bob:***@idp.example/token?token=***"), std::string::npos)
        << leaky.error().detail;
    for (const char* secret : {"idp-password-value", "idp-token-value"}) {
        EXPECT_EQ(leaky.error().detail.find(secret), std::string::npos) << leaky.error().detail;
        EXPECT_EQ(leaky.error().to_string().find(secret), std::string::npos);
    }

    for (const char* mode : {"bad-json", "version2", "missing-secret"}) {
        auto bad = run_credential_process(fmt::format("sh {} {}", process_script, mode), 10s);
        ASSERT_FALSE(bad) << mode;
        EXPECT_EQ(bad.error().code, ErrorCode::aws);
        expect_no_secret(bad.error());
    }
}

TEST(CredentialProcess, DoesNotDeadlockOnChattyStderr) {
    auto c = run_credential_process(fmt::format("sh {} flood", process_script), 20s);
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->access_key_id, "AKIDFLOOD");
}

TEST(CredentialProcess, IsStoppedAfterTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    auto c = run_credential_process(fmt::format("sh {} sleep", process_script), 300ms);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("did not finish"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(CredentialProcess, AMissingProgramIsAClearErrorNamingOnlyTheProgram) {
    auto c = run_credential_process("/nonexistent/get-creds --token hunter2", 10s);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("/nonexistent/get-creds"), std::string::npos);
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos);
}

TEST(CredentialProcess, ErrorsFromTheChainNameTheProfile) {
    auto files = files_from(fmt::format("[profile p]\ncredential_process = sh {} fail\n", process_script), "");
    auto c = resolve(Environment(), files, {"p", true, true});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("profile 'p'"), std::string::npos);
}

TEST(SplitCommandLine, FollowsPosixShellQuoting) {
    auto words = split_command_line(R"(  prog a\ b 'c d'"e" "f\g" "h\"i" '' x#y )");
    ASSERT_TRUE(words);
    EXPECT_EQ(*words, (std::vector<std::string>{"prog", "a b", "c de", "f\\g", "h\"i", "", "x#y"}));
    EXPECT_FALSE(split_command_line("prog 'open"));
    EXPECT_FALSE(split_command_line("prog \"open"));
    EXPECT_FALSE(split_command_line("prog \\"));
    EXPECT_FALSE(split_command_line("   "));
}

TEST(ProcessCredentialsJson, AcceptsVersionOneOnly) {
    auto ok = parse_process_credentials(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})");
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->session_token.empty());
    EXPECT_FALSE(ok->expiration);
    EXPECT_FALSE(parse_process_credentials(R"({"Version":"1","AccessKeyId":"A","SecretAccessKey":"S"})"));
    EXPECT_FALSE(parse_process_credentials(R"({"AccessKeyId":"A","SecretAccessKey":"S"})"));
    EXPECT_FALSE(parse_process_credentials(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":7})"));
    EXPECT_FALSE(
        parse_process_credentials(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})"));
    EXPECT_FALSE(parse_process_credentials("[]"));
    EXPECT_FALSE(parse_process_credentials(""));
}

TEST(Iso8601, ParsesUtcOffsetsAndFractions) {
    using std::chrono::seconds;
    EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z")->time_since_epoch(), seconds(0));
    EXPECT_EQ(parse_iso8601("2015-08-30T12:36:00Z")->time_since_epoch(), seconds(1440938160));
    EXPECT_EQ(parse_iso8601("2015-08-30T14:36:00.123+02:00")->time_since_epoch(), seconds(1440938160));
    EXPECT_EQ(parse_iso8601("2015-08-30T07:36:00-05:00")->time_since_epoch(), seconds(1440938160));
    EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z")->time_since_epoch(), seconds(1709164800));
    // Beyond what the clock holds (1677-2262): saturated, not overflowed (UBSan checks this in CI).
    EXPECT_EQ(parse_iso8601("4060-01-02T03:04:05.123+01:00"), std::chrono::system_clock::time_point::max());
    EXPECT_EQ(parse_iso8601("9999-12-31T23:59:59Z"), std::chrono::system_clock::time_point::max());
    EXPECT_EQ(parse_iso8601("0001-01-01T00:00:00Z"), std::chrono::system_clock::time_point::min());
    for (const char* bad :
         {"", "2015-08-30", "2015-08-30T12:36:00", "2015-13-01T00:00:00Z", "2015-02-30T00:00:00Z",
          "2023-02-29T00:00:00Z", "2015-08-30T12:36:00Zjunk", "2015-08-30T12:36:00.Z", "2015-08-30T12:36:00+0200"}) {
        EXPECT_FALSE(parse_iso8601(bad)) << bad;
    }
}

// A provider that hands out numbered credentials with a fixed lifetime on a clock the test moves, and can be
// made to fail or to hand out the same credentials again (as IMDS does until shortly before they expire).
class CountingProvider final : public CredentialProvider {
public:
    CountingProvider(std::string name, std::chrono::system_clock::time_point* now, std::chrono::seconds lifetime)
        : m_name(std::move(name)), m_now(now), m_lifetime(lifetime) {}
    [[nodiscard]] auto name() const -> std::string_view override { return m_name; }
    auto load() -> Expected<std::optional<Credentials>> override {
        ++loads;
        if (fail) return make_error(ErrorCode::aws, "the endpoint is down");
        if (!repeat || !m_last) {
            Credentials c;
            c.access_key_id = fmt::format("ASIA{}{:04}", m_name, loads);
            c.secret_access_key = util::Secret("secret-" + std::to_string(loads));
            c.session_token = util::Secret("token-" + std::to_string(loads));
            c.expiration = *m_now + m_lifetime;
            c.source = m_name;
            m_last = c;
        }
        return std::optional<Credentials>(*m_last);
    }
    int loads = 0;
    bool fail = false;
    bool repeat = false;

private:
    std::string m_name;
    std::chrono::system_clock::time_point* m_now;
    std::chrono::seconds m_lifetime;
    std::optional<Credentials> m_last;
};

class NothingProvider final : public CredentialProvider {
public:
    [[nodiscard]] auto name() const -> std::string_view override { return "nothing"; }
    auto load() -> Expected<std::optional<Credentials>> override {
        ++loads;
        return std::optional<Credentials>{};
    }
    int loads = 0;
};

struct Clocked {
    std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(std::chrono::hours(500000));
    auto policy() -> RefreshPolicy {
        RefreshPolicy p;
        p.now = [this] { return now; };
        return p;
    }
};

TEST(CredentialSource, SixtySecondCredentialsAreRenewedFromTheProviderThatGaveThem) {
    Clocked clock;
    auto nothing = std::make_unique<NothingProvider>();
    auto* nothing_ptr = nothing.get();
    auto counting = std::make_unique<CountingProvider>("container", &clock.now, 60s);
    auto* provider = counting.get();
    std::vector<std::unique_ptr<CredentialProvider>> providers;
    providers.push_back(std::move(nothing));
    providers.push_back(std::move(counting));
    CredentialChain chain(std::move(providers));
    auto source = chain.resolve_source(clock.policy());
    ASSERT_TRUE(source.has_value()) << source.error().to_string();
    ASSERT_TRUE((*source)->refreshable());
    EXPECT_EQ(provider->loads, 1);
    EXPECT_EQ(nothing_ptr->loads, 1);

    // Within the first half of the lifetime: the same credentials, the provider is not asked.
    clock.now += 29s;
    auto first = (*source)->get();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->access_key_id, "ASIAcontainer0001");
    EXPECT_EQ(provider->loads, 1);
    // Past half of it: renewed, from that provider only (the chain is not walked again).
    clock.now += 2s;
    auto second = (*source)->get();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->access_key_id, "ASIAcontainer0002");
    EXPECT_EQ(provider->loads, 2);
    EXPECT_EQ(nothing_ptr->loads, 1);
    EXPECT_EQ((*source)->renewals(), 1);
    // A long upload: every request finds valid credentials, renewed every half lifetime.
    for (int i = 0; i < 20; ++i) {
        clock.now += 10s;
        auto c = (*source)->get();
        ASSERT_TRUE(c.has_value());
        EXPECT_GT(*c->expiration, clock.now + 25s) << "step " << i;
    }
    EXPECT_EQ(provider->loads, 2 + 200 / 30);
}

TEST(CredentialSource, AFailedRenewalKeepsValidCredentialsAndIsAnErrorOnlyWhenTheyRunOut) {
    Clocked clock;
    auto provider = std::make_shared<CountingProvider>("imds", &clock.now, 600s);
    auto initial = provider->load();
    ASSERT_TRUE(initial && *initial);
    CredentialSource source(**initial, provider, clock.policy());
    provider->fail = true;
    clock.now += 301s;  // inside the advisory window (half of 600 s)
    auto kept = source.get();
    ASSERT_TRUE(kept.has_value()) << kept.error().to_string();
    EXPECT_EQ(kept->access_key_id, "ASIAimds0001");
    const int asked = provider->loads;
    clock.now += 1s;  // within the retry gap: not asked again
    ASSERT_TRUE(source.get().has_value());
    EXPECT_EQ(provider->loads, asked);
    clock.now += 250s;  // 48 s left: inside the mandatory window (a quarter of 600 s)
    auto failed = source.get();
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, ErrorCode::aws);
    EXPECT_NE(failed.error().message.find("could not be renewed"), std::string::npos) << failed.error().to_string();
    EXPECT_EQ(failed.error().to_string().find("secret-"), std::string::npos);
    provider->fail = false;
    auto renewed = source.get();
    ASSERT_TRUE(renewed.has_value());
    EXPECT_NE(renewed->access_key_id, "ASIAimds0001");
}

TEST(CredentialSource, AProviderWithNothingNewerIsAskedAgainAfterTheGapAndRejectedKeysAreRenewedOnce) {
    Clocked clock;
    auto provider = std::make_shared<CountingProvider>("web-identity", &clock.now, 3600s);
    auto initial = provider->load();
    CredentialSource source(**initial, provider, clock.policy());
    provider->repeat = true;
    clock.now += 3400s;  // advisory window (5 min)
    ASSERT_TRUE(source.get().has_value());
    EXPECT_EQ(provider->loads, 2);
    clock.now += 2s;
    ASSERT_TRUE(source.get().has_value());
    EXPECT_EQ(provider->loads, 2) << "asked again within the retry gap";
    clock.now += 10s;
    ASSERT_TRUE(source.get().has_value());
    EXPECT_EQ(provider->loads, 3);
    // The server refuses the key: renewed once; the same key from the provider is no renewal.
    const auto rejected = *source.get();
    EXPECT_FALSE(source.renew_after_rejection(rejected));
    provider->repeat = false;
    EXPECT_TRUE(source.renew_after_rejection(rejected));
    const int loads = provider->loads;
    EXPECT_TRUE(source.renew_after_rejection(rejected)) << "another request renewed them already";
    EXPECT_EQ(provider->loads, loads);
}

TEST(CredentialSource, CredentialsWithoutExpirationAreNeverRenewed) {
    Credentials c;
    c.access_key_id = "AKIASTATIC";
    c.secret_access_key = util::Secret("s");
    auto source = CredentialSource::fixed(c);
    EXPECT_FALSE(source->refreshable());
    EXPECT_FALSE(source->renew_after_rejection(c));
    EXPECT_EQ(source->get()->access_key_id, "AKIASTATIC");
    Environment env{{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", "env-secret-value"}};
    auto chained = make_default_chain(env, files_from("", ""), ProfileChoice{}).resolve_source();
    ASSERT_TRUE(chained.has_value());
    EXPECT_FALSE((*chained)->refreshable());
}

}  // namespace
}  // namespace wheelhouse::s3
