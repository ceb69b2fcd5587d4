#include "wheelhouse/s3/network_credentials.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>

#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"
#include "xml_document.hpp"

namespace wheelhouse::s3 {
namespace {

// An OIDC or pod identity token is a few kilobytes.
constexpr std::uint64_t max_token_file_bytes = 64 * 1024;

auto truthy(const std::optional<std::string>& v) -> bool {
    return v && util::iequals(util::trim(*v), "true");
}

// An engine for one metadata host: short timeouts, no proxy, no netrc, plain http allowed to that host only.
auto metadata_engine(const NetworkProviderOptions& options, const Endpoint& endpoint) -> Expected<http::Engine> {
    http::Options o;
    o.connect_timeout = options.metadata_timeout;
    o.total_timeout = options.metadata_timeout * (options.metadata_attempts + 1);
    o.max_attempts = options.metadata_attempts;
    o.backoff_base = std::chrono::milliseconds(50);
    // A stall must be noticed within one attempt's share of the budget, or the retry never gets to run.
    o.low_speed_time =
        std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(options.metadata_timeout));
    o.https_proxy = "";
    o.http_proxy = "";
    o.no_proxy = "";
    o.netrc = std::filesystem::path();
    o.ca_bundle = options.http.ca_bundle;
    o.http2 = false;
    if (endpoint.scheme == "http") {
        o.trusted_hosts.push_back(fmt::format("{}:{}", endpoint.host, endpoint.port != 0 ? endpoint.port : 80));
    }
    return http::Engine::create(std::move(o));
}

auto json_string(const nlohmann::json& j, const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

constexpr std::string_view imds_hint =
    "on EC2, check the instance role and the metadata hop limit; elsewhere set AWS_EC2_METADATA_DISABLED=true";
constexpr std::string_view container_hint =
    "check the task role (ECS) or the pod identity association (EKS); outside a container unset "
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI";

// A failure from the http engine, re-labelled as a credentials failure of `what`. The engine's own hint
// (proxies, --timeout) does not fit a metadata service, which is reached without a proxy and on its own
// time limit: `hint` replaces it.
auto credentials_fetch_error(Error e, std::string_view what, std::string_view hint) -> Unexpected<Error> {
    e.code = ErrorCode::aws;
    e.message = fmt::format("{}: {}", what, e.message);
    e.hint = std::string(hint);
    return unexpected(std::move(e));
}

class WebIdentityProvider final : public CredentialProvider {
public:
    WebIdentityProvider(Environment env, SharedFiles files, ProfileChoice profile, NetworkProviderOptions options)
        : m_env(std::move(env)),
          m_files(std::move(files)),
          m_profile(std::move(profile)),
          m_options(std::move(options)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "web-identity"; }

    auto load() -> Expected<std::optional<Credentials>> override {
        std::optional<std::string> token_file = m_env.get("AWS_WEB_IDENTITY_TOKEN_FILE");
        std::optional<std::string> role_arn = m_env.get("AWS_ROLE_ARN");
        std::optional<std::string> session = m_env.get("AWS_ROLE_SESSION_NAME");
        std::string origin = "AWS_WEB_IDENTITY_TOKEN_FILE";
        if (!token_file) {
            if (auto p = m_files.profile(m_profile.name)) {
                token_file = p->get("web_identity_token_file");
                if (token_file) {
                    role_arn = p->get("role_arn");
                    session = p->get("role_session_name");
                    origin = fmt::format("web_identity_token_file of profile {}", m_profile.name);
                }
            }
        }
        if (!token_file) return std::optional<Credentials>{};
        if (!role_arn) {
            return make_error(ErrorCode::aws, fmt::format("{} is set but no role ARN is", origin), {},
                              "set AWS_ROLE_ARN (or role_arn in the profile)");
        }
        auto token = util::read_small_regular_file(*token_file, max_token_file_bytes);
        if (!token) {
            return make_error(ErrorCode::aws,
                              fmt::format("cannot read the web identity token file {} ({}): {}", *token_file, origin,
                                          token.error().message),
                              {}, fmt::format("check the path and its permissions (it comes from {})", origin));
        }
        const std::string token_text(util::trim(*token));
        if (token_text.empty()) {
            return make_error(ErrorCode::aws,
                              fmt::format("the web identity token file {} ({}) is empty", *token_file, origin), {},
                              "the file must hold the OIDC token: check what writes it (on EKS, the pod's service "
                              "account token projection)");
        }

        AwsOptions none;
        std::string url;
        std::string url_source = "the default STS endpoint";
        if (auto configured = resolve_endpoint_url(none, m_env, m_files, m_profile, "sts")) {
            url = configured->value;
            url_source = configured->source;
        } else {
            auto region = resolve_region(none, m_env, m_files, m_profile);
            url = region ? fmt::format("https://sts.{}.amazonaws.com", region->value) : "https://sts.amazonaws.com";
            if (region) url_source = fmt::format("the region from {}", region->source);
        }
        auto endpoint = Endpoint::parse(url);
        if (!endpoint) {
            auto e = std::move(endpoint).error();
            e.message =
                fmt::format("the STS endpoint for AssumeRoleWithWebIdentity (from {}): {}", url_source, e.message);
            e.hint = fmt::format("fix {}", url_source);
            return unexpected(std::move(e));
        }

        http::Options o = m_options.http;
        o.total_timeout = m_options.sts_timeout;
        o.netrc = std::filesystem::path();
        if (endpoint->scheme == "http") {
            o.trusted_hosts.push_back(fmt::format("{}:{}", endpoint->host, endpoint->port != 0 ? endpoint->port : 80));
        }
        auto engine = http::Engine::create(std::move(o));
        if (!engine) return unexpected(std::move(engine).error());

        const std::string session_name =
            session.value_or(fmt::format("wheelhouse-{}", std::chrono::duration_cast<std::chrono::seconds>(
                                                              std::chrono::system_clock::now().time_since_epoch())
                                                              .count()));
        std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15";
        body += "&RoleArn=" + uri_encode(*role_arn, false);
        body += "&RoleSessionName=" + uri_encode(session_name, false);
        body += "&WebIdentityToken=" + uri_encode(token_text, false);
        http::Request request(fmt::format("{}://{}{}/", endpoint->scheme, endpoint->authority(), endpoint->base_path));
        request.method = http::Method::post;
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
        request.headers.emplace_back("Accept", "application/xml");
        request.body = http::Body::memory(std::move(body));
        request.error_status_is_error = false;
        request.follow_redirects = false;  // the token is in the body: it goes to this endpoint only
        request.max_body = http::max_credentials_bytes;
        auto response = engine->fetch(std::move(request));
        if (!response) {
            auto e = std::move(response).error();
            e.code = ErrorCode::aws;
            e.message = fmt::format("AssumeRoleWithWebIdentity for {}: {}", *role_arn, e.message);
            if (e.hint.empty()) {
                e.hint = fmt::format(
                    "check the STS endpoint (from {}), the network and the proxy settings "
                    "(HTTPS_PROXY, NO_PROXY)",
                    url_source);
            }
            return unexpected(std::move(e));
        }
        if (!response->ok()) {
            ServiceError err = parse_error_document(response->body).value_or(ServiceError{});
            err.status = response->status;
            return make_error(ErrorCode::aws,
                              fmt::format("AssumeRoleWithWebIdentity for {} failed: {}", *role_arn, describe(err)), {},
                              fmt::format("check the role's trust policy and the token in {}", *token_file));
        }
        auto creds = parse_assume_role_with_web_identity(response->body);
        if (!creds) {
            auto e = std::move(creds).error();
            e.message = fmt::format("{} (from {})", e.message, util::redact_url(url));
            e.hint = fmt::format("the endpoint is not AWS STS or a proxy changed the answer; check {}", url_source);
            return unexpected(std::move(e));
        }
        return std::optional<Credentials>(std::move(*creds));
    }

private:
    Environment m_env;
    SharedFiles m_files;
    ProfileChoice m_profile;
    NetworkProviderOptions m_options;
};

class ContainerProvider final : public CredentialProvider {
public:
    ContainerProvider(Environment env, NetworkProviderOptions options)
        : m_env(std::move(env)), m_options(std::move(options)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "container"; }

    auto load() -> Expected<std::optional<Credentials>> override {
        std::string url;
        std::string variable;
        if (auto relative = m_env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
            url = "http://169.254.170.2" + (relative->starts_with("/") ? *relative : "/" + *relative);
            variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
        } else if (auto full = m_env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
            url = *full;
            variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
        } else {
            return std::optional<Credentials>{};
        }
        const auto q = url.find_first_of("?#");
        auto endpoint = Endpoint::parse(url.substr(0, q));
        if (!endpoint) {
            return make_error(ErrorCode::aws,
                              fmt::format("the container credentials URI ({}) is not a valid URL: {}", variable,
                                          endpoint.error().message),
                              {},
                              fmt::format("fix {} (ECS and EKS set it), or unset it outside a container", variable));
        }
        if (endpoint->scheme == "http" && !container_http_host_allowed(endpoint->host)) {
            return make_error(ErrorCode::aws,
                              fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI uses plain http to {}, which is "
                                          "neither a loopback address nor the ECS/EKS credentials host",
                                          endpoint->host),
                              {}, "use https, or a loopback address");
        }
        std::optional<util::Secret> token;
        std::string token_source;
        if (auto file = m_env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
            token_source = fmt::format("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}", *file);
            auto text = util::read_small_regular_file(*file, max_token_file_bytes);
            if (!text) {
                return make_error(
                    ErrorCode::aws,
                    fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {}", *file,
                                text.error().message),
                    {}, "check the path and its permissions, or unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            }
            token = util::Secret(std::string(util::trim(*text)));
        } else if (auto value = m_env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
            token_source = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
            token = util::Secret(*value);
        }
        if (token && token->reveal().find_first_of("\r\n") != std::string::npos) {
            return make_error(
                ErrorCode::aws,
                fmt::format("the container authorization token (from {}) contains a line break", token_source), {},
                "the token must be one line: remove the line break");
        }
        auto engine = metadata_engine(m_options, *endpoint);
        if (!engine) return unexpected(std::move(engine).error());
        http::Request request(url);
        request.error_status_is_error = false;
        request.follow_redirects = false;  // the authorization token goes to this endpoint only
        request.max_body = http::max_credentials_bytes;
        request.headers.emplace_back("Accept", "application/json");
        if (token) request.headers.emplace_back("Authorization", token->reveal());
        auto response = engine->fetch(std::move(request));
        if (!response) {
            return credentials_fetch_error(std::move(response).error(),
                                           fmt::format("container credentials (from {})", variable), container_hint);
        }
        if (!response->ok()) {
            return make_error(ErrorCode::aws,
                              fmt::format("container credentials endpoint {} answered HTTP {}",
                                          util::redact_url(url.substr(0, q)), response->status),
                              {},
                              response->status == 401 || response->status == 403
                                  ? "check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)"
                                  : std::string(container_hint));
        }
        auto creds = parse_metadata_credentials(response->body, "container");
        if (!creds) {
            auto e = std::move(creds).error();
            e.message = fmt::format("{} (from {})", e.message, util::redact_url(url.substr(0, q)));
            if (e.hint.empty()) e.hint = std::string(container_hint);
            return unexpected(std::move(e));
        }
        return std::optional<Credentials>(std::move(*creds));
    }

private:
    Environment m_env;
    NetworkProviderOptions m_options;
};

class InstanceMetadataProvider final : public CredentialProvider {
public:
    InstanceMetadataProvider(Environment env, NetworkProviderOptions options)
        : m_env(std::move(env)), m_options(std::move(options)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "instance-metadata"; }

    auto load() -> Expected<std::optional<Credentials>> override {
        if (truthy(m_env.get("AWS_EC2_METADATA_DISABLED"))) return std::optional<Credentials>{};
        std::string base = m_env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
        while (!base.empty() && base.back() == '/') base.pop_back();
        auto endpoint = Endpoint::parse(base);
        if (!endpoint) {
            return make_error(ErrorCode::aws,
                              fmt::format("AWS_EC2_METADATA_SERVICE_ENDPOINT: {}", endpoint.error().message), {},
                              "fix AWS_EC2_METADATA_SERVICE_ENDPOINT (e.g. http://169.254.169.254) or unset it");
        }
        auto engine = metadata_engine(m_options, *endpoint);
        if (!engine) return unexpected(std::move(engine).error());

        http::Request token_request(base + "/latest/api/token");
        token_request.method = http::Method::put;
        token_request.body = http::Body::memory({});
        token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
        token_request.error_status_is_error = false;
        token_request.follow_redirects = false;
        token_request.max_body = http::max_credentials_bytes;
        auto token_response = engine->fetch(std::move(token_request));
        // No metadata service here (not on EC2): not configured.
        if (!token_response) return std::optional<Credentials>{};
        if (!token_response->ok()) {
            return make_error(ErrorCode::aws,
                              fmt::format("IMDSv2 token request to {} answered HTTP {}", util::redact_url(base),
                                          token_response->status),
                              {},
                              "IMDSv1 is not used; on EC2 check the instance's metadata options (hop limit), "
                              "elsewhere set AWS_EC2_METADATA_DISABLED=true");
        }
        const util::Secret token(std::string(util::trim(token_response->body)));

        auto get = [&](const std::string& path) -> Expected<http::Response> {
            http::Request r(base + path);
            r.error_status_is_error = false;
            r.follow_redirects = false;  // the session token goes to the metadata service only
            r.max_body = http::max_credentials_bytes;
            r.headers.emplace_back("X-aws-ec2-metadata-token", token.reveal());
            return engine->fetch(std::move(r));
        };
        const std::string roles_path = "/latest/meta-data/iam/security-credentials/";
        auto roles = get(roles_path);
        if (!roles) return credentials_fetch_error(std::move(roles).error(), "instance metadata", imds_hint);
        if (roles->status == 404) return std::optional<Credentials>{};  // no instance profile attached
        if (!roles->ok()) {
            return make_error(ErrorCode::aws,
                              fmt::format("instance metadata {}{} answered HTTP {}", util::redact_url(base), roles_path,
                                          roles->status),
                              {}, std::string(imds_hint));
        }
        const auto lines = util::split(roles->body, '\n');
        const std::string role(lines.empty() ? std::string_view{} : util::trim(lines.front()));
        if (role.empty() || role.find('/') != std::string::npos) {
            return make_error(
                ErrorCode::aws,
                fmt::format("instance metadata {}{} lists no usable IAM role name", util::redact_url(base), roles_path),
                {},
                "check the instance profile attached to the instance (aws ec2 "
                "describe-instances shows it)");
        }
        auto creds_response = get(roles_path + uri_encode(role, false));
        if (!creds_response) {
            return credentials_fetch_error(std::move(creds_response).error(),
                                           fmt::format("instance metadata credentials for role {}", role), imds_hint);
        }
        if (!creds_response->ok()) {
            return make_error(
                ErrorCode::aws,
                fmt::format("instance metadata credentials for role {} answered HTTP {}", role, creds_response->status),
                {}, std::string(imds_hint));
        }
        auto creds = parse_metadata_credentials(creds_response->body, "instance-metadata");
        if (!creds) {
            auto e = std::move(creds).error();
            e.message = fmt::format("{} (role {} at {})", e.message, role, util::redact_url(base));
            if (e.hint.empty()) e.hint = std::string(imds_hint);
            return unexpected(std::move(e));
        }
        return std::optional<Credentials>(std::move(*creds));
    }

private:
    Environment m_env;
    NetworkProviderOptions m_options;
};

}  // namespace

auto container_http_host_allowed(std::string_view host) -> bool {
    // Compared as addresses, not text: a host *name* such as "127.0.0.1.nip.io" resolves wherever its owner
    // wants, so only IP literals (and the name localhost, which resolvers keep on loopback) count.
    if (host == "localhost") return true;
    const std::string text(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        const std::uint32_t address = ntohl(v4.s_addr);
        return (address >> 24) == 127 || address == 0xA9FEAA02U /* 169.254.170.2, ECS */ ||
               address == 0xA9FEAA17U /* 169.254.170.23, EKS Pod Identity */;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        static const std::array<unsigned char, 16> loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static const std::array<unsigned char, 16> eks{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
        return std::equal(loopback.begin(), loopback.end(), v6.s6_addr) ||
               std::equal(eks.begin(), eks.end(), v6.s6_addr);
    }
    return false;
}

auto parse_metadata_credentials(std::string_view text, std::string source) -> Expected<Credentials> {
    auto fail = [&](std::string_view why) {
        return make_error(ErrorCode::aws, fmt::format("{} credentials: {}", source, why));
    };
    const auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (json.is_discarded() || !json.is_object()) return fail("the answer is not a JSON object");
    if (auto code = json_string(json, "Code"); code && *code != "Success") {
        return fail(fmt::format("the service reports Code \"{}\"", *code));
    }
    auto access = json_string(json, "AccessKeyId");
    auto secret = json_string(json, "SecretAccessKey");
    if (!access || access->empty()) return fail("no \"AccessKeyId\" in the answer");
    if (!secret || secret->empty()) return fail("no \"SecretAccessKey\" in the answer");
    Credentials c;
    c.access_key_id = *access;
    c.secret_access_key = util::Secret(*secret);
    if (auto token = json_string(json, "Token")) c.session_token = util::Secret(*token);
    if (auto expiration = json_string(json, "Expiration")) {
        c.expiration = parse_iso8601(*expiration);
        if (!c.expiration) return fail(fmt::format("\"Expiration\" '{}' is not an ISO 8601 time", *expiration));
    }
    c.source = std::move(source);
    return c;
}

auto parse_assume_role_with_web_identity(std::string_view xml) -> Expected<Credentials> {
    auto fail = [](std::string_view why) {
        return make_error(ErrorCode::aws, fmt::format("AssumeRoleWithWebIdentity: {}", why));
    };
    auto doc = detail::XmlDocument::parse(xml);
    if (!doc)
        return fail(detail::XmlDocument::has_doctype(xml) ? "the answer has a DOCTYPE (refused)"
                                                          : "the answer is not XML");
    const xmlNode* root = doc->root();
    if (detail::name_of(root) != "AssumeRoleWithWebIdentityResponse") {
        return fail(fmt::format("unexpected root element <{}>", detail::name_of(root)));
    }
    const xmlNode* creds = detail::child(detail::child(root, "AssumeRoleWithWebIdentityResult"), "Credentials");
    if (creds == nullptr) return fail("no Credentials in the answer");
    Credentials c;
    c.access_key_id = std::string(util::trim(detail::child_text(creds, "AccessKeyId")));
    c.secret_access_key = util::Secret(std::string(util::trim(detail::child_text(creds, "SecretAccessKey"))));
    c.session_token = util::Secret(std::string(util::trim(detail::child_text(creds, "SessionToken"))));
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return fail("incomplete Credentials in the answer");
    const auto expiration = std::string(util::trim(detail::child_text(creds, "Expiration")));
    if (!expiration.empty()) {
        c.expiration = parse_iso8601(expiration);
        if (!c.expiration) return fail(fmt::format("Expiration '{}' is not an ISO 8601 time", expiration));
    }
    c.source = "web-identity";
    return c;
}

auto make_web_identity_provider(Environment env, SharedFiles files, ProfileChoice profile,
                                NetworkProviderOptions options) -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<WebIdentityProvider>(std::move(env), std::move(files), std::move(profile),
                                                 std::move(options));
}

auto make_container_provider(Environment env, NetworkProviderOptions options) -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<ContainerProvider>(std::move(env), std::move(options));
}

auto make_instance_metadata_provider(Environment env, NetworkProviderOptions options)
    -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<InstanceMetadataProvider>(std::move(env), std::move(options));
}

auto make_network_providers(const Environment& env, const SharedFiles& files, const ProfileChoice& profile,
                            const NetworkProviderOptions& options) -> NetworkProviders {
    NetworkProviders p;
    p.web_identity = make_web_identity_provider(env, files, profile, options);
    p.container = make_container_provider(env, options);
    p.instance_metadata = make_instance_metadata_provider(env, options);
    return p;
}

}  // namespace wheelhouse::s3
