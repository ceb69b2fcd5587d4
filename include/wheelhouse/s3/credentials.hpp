// AWS credentials and the provider chain in the AWS CLI's order (environment, profile files,
// credential_process; the network sources plug in through NetworkProviders).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/s3/config.hpp"
#include "wheelhouse/util/expected.hpp"
#include "wheelhouse/util/secret.hpp"

namespace wheelhouse::s3 {

struct Credentials {
    std::string access_key_id;  // not secret: it names the key, and S3 error messages echo it
    util::Secret secret_access_key;
    util::Secret session_token;  // empty: long-term credentials
    std::optional<std::chrono::system_clock::time_point> expiration;
    std::string source;  // where they came from, for messages: "environment", "credential_process", ...
};

class CredentialProvider {
public:
    CredentialProvider() = default;
    CredentialProvider(const CredentialProvider&) = delete;
    auto operator=(const CredentialProvider&) -> CredentialProvider& = delete;
    CredentialProvider(CredentialProvider&&) = delete;
    auto operator=(CredentialProvider&&) -> CredentialProvider& = delete;
    virtual ~CredentialProvider() = default;

    [[nodiscard]] virtual auto name() const -> std::string_view = 0;
    // nullopt: this source is not configured, the chain moves on. An error: the source is configured but
    // broken, and the chain stops there (as the AWS CLI does) rather than silently using other credentials.
    virtual auto load() -> Expected<std::optional<Credentials>> = 0;
};

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN, or the older AWS_SECURITY_TOKEN].
auto make_environment_provider(Environment env) -> std::unique_ptr<CredentialProvider>;
// aws_access_key_id / aws_secret_access_key / aws_session_token of [name] in the credentials file.
auto make_shared_credentials_provider(SharedFiles files, std::string profile) -> std::unique_ptr<CredentialProvider>;
// The same keys in [profile name] of the config file.
auto make_config_file_provider(SharedFiles files, std::string profile) -> std::unique_ptr<CredentialProvider>;
// credential_process of the (merged) profile.
auto make_process_provider(SharedFiles files, std::string profile, std::chrono::milliseconds timeout)
    -> std::unique_ptr<CredentialProvider>;

// The sources that need HTTP; each may be null (left out of the chain).
struct NetworkProviders {
    std::unique_ptr<CredentialProvider> assume_role;        // role_arn + source_profile / credential_source
    std::unique_ptr<CredentialProvider> web_identity;       // AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
    std::unique_ptr<CredentialProvider> container;          // AWS_CONTAINER_CREDENTIALS_*_URI
    std::unique_ptr<CredentialProvider> instance_metadata;  // EC2 IMDSv2
};

// When credentials that expire are renewed (see CredentialSource). The windows scale down with the credentials'
// lifetime, so that 15-minute or 60-second credentials are renewed as reliably as 6-hour ones.
struct RefreshPolicy {
    // Renew once less than this is left (at most half the lifetime): the old ones stay in use if that fails.
    std::chrono::seconds advisory{300};
    // Renew at all cost once less than this is left (at most a quarter of the lifetime): failing is an error.
    std::chrono::seconds mandatory{60};
    // After a renewal that failed or gave nothing newer, wait this long (at most a twelfth of the lifetime)
    // before asking the provider again, unless the mandatory window is reached.
    std::chrono::seconds retry_gap{10};
    // The clock (tests pass their own).
    std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

// The credentials every request of one command signs with, and the provider that gave them. Before each request
// the client asks get(): credentials with an expiration are renewed from that same provider (whatever kind it is:
// credential_process, web identity, container, IMDS, or any provider added to the chain later) before they run
// out; credentials without one are returned as they are. Thread-safe: one source serves every client and worker.
class CredentialSource {
public:
    // Credentials that are never renewed (static keys, or tests).
    static auto fixed(Credentials credentials) -> std::shared_ptr<CredentialSource>;
    CredentialSource(Credentials initial, std::shared_ptr<CredentialProvider> provider, RefreshPolicy policy = {});

    // The credentials to sign with now, renewed first when they expire within the policy's windows. An error when
    // they have expired (or are about to) and the provider cannot renew them.
    auto get() -> Expected<Credentials>;
    // The server refused `rejected` (ExpiredToken, InvalidAccessKeyId ...): renew now unless that already
    // happened. True when different credentials are now current (the request is worth sending again).
    auto renew_after_rejection(const Credentials& rejected) -> bool;
    [[nodiscard]] auto refreshable() const -> bool { return m_provider != nullptr; }
    [[nodiscard]] auto renewals() const -> int;  // how many times new credentials were loaded

private:
    auto load_locked() -> Expected<bool>;
    mutable std::mutex m_mutex;
    Credentials m_current;
    std::shared_ptr<CredentialProvider> m_provider;
    RefreshPolicy m_policy;
    std::chrono::system_clock::time_point m_obtained;
    std::chrono::system_clock::time_point m_next_attempt;
    int m_renewals = 0;
};

class CredentialChain {
public:
    explicit CredentialChain(std::vector<std::unique_ptr<CredentialProvider>> providers);
    // The first provider that has credentials wins; the first that fails stops the chain.
    auto resolve() -> Expected<Credentials>;
    // The same, as a source that renews the credentials from the provider that gave them (when they expire).
    auto resolve_source(RefreshPolicy policy = {}) -> Expected<std::shared_ptr<CredentialSource>>;
    [[nodiscard]] auto provider_names() const -> std::vector<std::string>;

private:
    // Shared: a CredentialSource keeps the provider that gave its credentials after the chain is gone.
    std::vector<std::shared_ptr<CredentialProvider>> m_providers;
};

// The AWS CLI's order: environment (skipped when --profile was given) -> assume role -> web identity ->
// shared credentials file -> credential_process -> config file -> container -> instance metadata.
auto make_default_chain(const Environment& env, const SharedFiles& files, const ProfileChoice& profile,
                        NetworkProviders network = {},
                        std::chrono::milliseconds process_timeout = std::chrono::minutes(1)) -> CredentialChain;

// POSIX shell-like word splitting as the AWS CLI applies it to credential_process (quotes and backslashes;
// no variables, globs or pipes: the command is executed directly, never through a shell).
auto split_command_line(std::string_view command) -> Expected<std::vector<std::string>>;

// The JSON a credential_process prints: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// ["SessionToken"], ["Expiration"]}. Errors never quote the output (it holds secrets).
auto parse_process_credentials(std::string_view json) -> Expected<Credentials>;

// Runs the command (split as above, no shell) with stdout and stderr captured, kills it after timeout.
auto run_credential_process(std::string_view command, std::chrono::milliseconds timeout) -> Expected<Credentials>;

// RFC 3339 / ISO 8601 UTC or offset time ("2025-01-02T03:04:05Z", fractions, "+01:00").
auto parse_iso8601(std::string_view text) -> std::optional<std::chrono::system_clock::time_point>;

}  // namespace wheelhouse::s3
