// The credential sources that need HTTP, for the chain's NetworkProviders slots: STS
// AssumeRoleWithWebIdentity (CI systems), container credentials (ECS, CodeBuild) and EC2 IMDSv2.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/s3/config.hpp"
#include "wheelhouse/s3/credentials.hpp"

namespace wheelhouse::s3 {

struct NetworkProviderOptions {
    // IMDS and the container endpoint answer in milliseconds when they exist; waiting long for one that does
    // not only delays "no credentials found".
    std::chrono::milliseconds metadata_timeout{1000};
    int metadata_attempts = 2;
    std::chrono::milliseconds sts_timeout{30'000};
    http::Options http;  // CA bundle and proxies for STS
};

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME], else the profile's
// web_identity_token_file + role_arn [+ role_session_name]. The STS endpoint is AWS_ENDPOINT_URL_STS /
// AWS_ENDPOINT_URL / the profile's sts endpoint, else https://sts.<region>.amazonaws.com (global
// sts.amazonaws.com without a region). The token is sent in a POST body, never in a URL.
auto make_web_identity_provider(Environment env, SharedFiles files, ProfileChoice profile,
                                NetworkProviderOptions options = {}) -> std::unique_ptr<CredentialProvider>;

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (against http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI
// (https anywhere; plain http only to loopback or the ECS/EKS link-local hosts), with the Authorization token
// from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every load) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
auto make_container_provider(Environment env, NetworkProviderOptions options = {})
    -> std::unique_ptr<CredentialProvider>;

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may use plain http to `host` (lower case, IPv6 without brackets):
// an IP literal in 127.0.0.0/8 or ::1, the ECS host 169.254.170.2, the EKS Pod Identity hosts 169.254.170.23
// and fd00:ec2::23, or the name localhost. Any other name is refused, whatever it resolves to.
auto container_http_host_allowed(std::string_view host) -> bool;

// EC2 instance metadata, IMDSv2 only: PUT /latest/api/token, then GET the role name and its credentials.
// AWS_EC2_METADATA_SERVICE_ENDPOINT overrides http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true turns it
// off. An unreachable service means "not configured" (the chain then reports no credentials).
auto make_instance_metadata_provider(Environment env, NetworkProviderOptions options = {})
    -> std::unique_ptr<CredentialProvider>;

// All three, ready for make_default_chain (assume_role stays empty).
auto make_network_providers(const Environment& env, const SharedFiles& files, const ProfileChoice& profile,
                            const NetworkProviderOptions& options = {}) -> NetworkProviders;

// The JSON the container endpoint and IMDS answer: AccessKeyId, SecretAccessKey, Token, Expiration
// (IMDS adds Code = "Success"). Errors never quote the document (it holds secrets).
auto parse_metadata_credentials(std::string_view json, std::string source) -> Expected<Credentials>;
// STS AssumeRoleWithWebIdentityResponse XML.
auto parse_assume_role_with_web_identity(std::string_view xml) -> Expected<Credentials>;

}  // namespace wheelhouse::s3
