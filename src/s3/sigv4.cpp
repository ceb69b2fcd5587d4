#include "wheelhouse/s3/sigv4.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {
namespace {

auto is_unreserved(unsigned char c) -> bool {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

auto hex_value(char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

auto is_header_space(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// "Trimall": no leading or trailing whitespace, every inner run of whitespace (folded lines included)
// becomes a single space.
auto trim_all(std::string_view value) -> std::string {
    std::string out;
    out.reserve(value.size());
    bool pending_space = false;
    for (char c : value) {
        if (is_header_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out.push_back(' ');
        pending_space = false;
        out.push_back(c);
    }
    return out;
}

auto is_token_char(char c) -> bool {
    if (util::is_ascii_alnum(c)) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

auto is_never_signed(std::string_view lower_name) -> bool {
    return lower_name == "authorization" || lower_name == "user-agent" || lower_name == "expect" ||
           lower_name == "x-amzn-trace-id";
}

auto valid_amz_date(std::string_view d) -> bool {
    if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return false;
    for (std::size_t i = 0; i < 15; ++i) {
        if (i != 8 && !util::is_ascii_digit(d[i])) return false;
    }
    return true;
}

auto validate(const HttpRequest& request, std::string_view payload_hash, const Credentials& credentials,
              const SigningConfig& config) -> Expected<void> {
    auto bad = [](std::string message, std::string hint = {}) {
        return make_error(ErrorCode::invalid_input, std::move(message), {}, std::move(hint));
    };
    if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(), is_token_char)) {
        return bad(fmt::format("invalid HTTP method '{}'", request.method));
    }
    if (!valid_amz_date(config.amz_date)) {
        return bad(fmt::format("invalid signing time '{}'", config.amz_date), "expected YYYYMMDDTHHMMSSZ");
    }
    if (config.region.empty()) return bad("no AWS region to sign for", "pass --region or set AWS_REGION");
    if (config.service.empty()) return bad("no AWS service name to sign for");
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return make_error(ErrorCode::aws,
                          fmt::format("the AWS credentials{} have an empty access key id or secret key",
                                      credentials.source.empty() ? std::string() : " from " + credentials.source),
                          {}, "set both the access key id and the secret access key where the credentials come from");
    }
    if (payload_hash.empty()) return bad("no payload hash to sign");
    bool has_host = false;
    for (const auto& h : request.headers) {
        if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_token_char)) {
            return bad(fmt::format("invalid HTTP header name '{}'", h.name),
                       "a header name (and an object metadata name) may hold only letters, digits and "
                       "!#$%&'*+-.^_`|~");
        }
        if (util::iequals(h.name, "host")) has_host = true;
    }
    if (!has_host) return bad("the request to sign has no Host header");
    return {};
}

auto date_of(std::string_view amz_date) -> std::string_view {
    return amz_date.substr(0, 8);
}

}  // namespace

auto SigningConfig::for_s3(std::string region, std::string amz_date) -> SigningConfig {
    SigningConfig c;
    c.region = std::move(region);
    c.service = "s3";
    c.amz_date = std::move(amz_date);
    c.normalize_path = false;
    c.double_uri_encode = false;
    c.add_content_sha256_header = true;
    return c;
}

auto format_amz_date(std::chrono::system_clock::time_point time) -> std::string {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    const auto n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf, n);
}

auto uri_encode(std::string_view bytes, bool keep_slash) -> std::string {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 3 / 2);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 0x0F]);
        }
    }
    return out;
}

auto encode_s3_key(std::string_view key) -> std::string {
    return uri_encode(key, true);
}

auto percent_decode(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

auto parse_query(std::string_view query) -> std::vector<QueryParam> {
    std::vector<QueryParam> out;
    for (auto part : util::split(query, '&')) {
        if (part.empty()) continue;
        const auto eq = part.find('=');
        if (eq == std::string_view::npos) {
            out.push_back({percent_decode(part), ""});
        } else {
            out.push_back({percent_decode(part.substr(0, eq)), percent_decode(part.substr(eq + 1))});
        }
    }
    return out;
}

auto normalize_uri_path(std::string_view path) -> std::string {
    // Dot segments are resolved and empty segments dropped (the services other than S3 treat "//" as "/");
    // a trailing slash survives only when something is left before it.
    std::vector<std::string_view> kept;
    for (auto segment : util::split(path, '/')) {
        if (segment.empty() || segment == ".") continue;
        if (segment == "..") {
            if (!kept.empty()) kept.pop_back();
            continue;
        }
        kept.push_back(segment);
    }
    std::string out = "/";
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i > 0) out.push_back('/');
        out.append(kept[i]);
    }
    if (!kept.empty() && !path.empty() && path.back() == '/') out.push_back('/');
    return out;
}

auto canonical_uri(std::string_view path, const SigningConfig& config) -> std::string {
    std::string p = config.normalize_path ? normalize_uri_path(path) : std::string(path);
    if (p.empty()) p = "/";
    return config.double_uri_encode ? uri_encode(p, true) : p;
}

auto canonical_query_string(const std::vector<QueryParam>& query) -> std::string {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& q : query) encoded.emplace_back(uri_encode(q.name, false), uri_encode(q.value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out.push_back('&');
        out += name;
        out.push_back('=');
        out += value;
    }
    return out;
}

auto canonical_headers(const std::vector<Header>& headers) -> CanonicalHeaders {
    std::map<std::string, std::string> merged;
    for (const auto& h : headers) {
        auto name = util::to_lower(util::trim(h.name));
        if (is_never_signed(name)) continue;
        auto value = trim_all(h.value);
        auto [it, inserted] = merged.try_emplace(std::move(name), value);
        if (!inserted) {
            it->second.push_back(',');
            it->second += value;
        }
    }
    CanonicalHeaders out;
    for (const auto& [name, value] : merged) {
        out.canonical += name;
        out.canonical.push_back(':');
        out.canonical += value;
        out.canonical.push_back('\n');
        if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
        out.signed_headers += name;
    }
    return out;
}

auto canonical_request(std::string_view method, std::string_view canonical_uri_text, std::string_view canonical_query,
                       const CanonicalHeaders& headers, std::string_view payload_hash) -> std::string {
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, canonical_uri_text, canonical_query, headers.canonical,
                       headers.signed_headers, payload_hash);
}

auto credential_scope(std::string_view amz_date, std::string_view region, std::string_view service) -> std::string {
    return fmt::format("{}/{}/{}/aws4_request", date_of(amz_date), region, service);
}

auto string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request_text)
    -> std::string {
    return fmt::format("{}\n{}\n{}\n{}", sigv4_algorithm, amz_date, scope, util::sha256_hex(canonical_request_text));
}

auto signing_key(const util::Secret& secret_access_key, std::string_view amz_date, std::string_view region,
                 std::string_view service) -> SigningKey {
    auto as_view = [](const SigningKey& k) {
        return std::string_view(reinterpret_cast<const char*>(k.data()), k.size());
    };
    const auto k_date = util::hmac_sha256("AWS4" + secret_access_key.reveal(), date_of(amz_date));
    const auto k_region = util::hmac_sha256(as_view(k_date), region);
    const auto k_service = util::hmac_sha256(as_view(k_region), service);
    return util::hmac_sha256(as_view(k_service), "aws4_request");
}

auto signature(const SigningKey& key, std::string_view string_to_sign_text) -> std::string {
    const auto mac =
        util::hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), string_to_sign_text);
    return util::to_hex(mac.data(), mac.size());
}

auto authorization_header(std::string_view access_key_id, std::string_view scope, std::string_view signed_headers,
                          std::string_view signature_hex) -> std::string {
    return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", sigv4_algorithm, access_key_id, scope,
                       signed_headers, signature_hex);
}

auto sign_request(const HttpRequest& request, std::string_view payload_hash, const Credentials& credentials,
                  const SigningConfig& config) -> Expected<SignedRequest> {
    if (auto ok = validate(request, payload_hash, credentials, config); !ok) return unexpected(ok.error());

    // Headers we set replace any the caller set, so that a retried request is signed afresh.
    auto is_ours = [](std::string_view name) {
        return util::iequals(name, "x-amz-date") || util::iequals(name, "x-amz-security-token") ||
               util::iequals(name, "x-amz-content-sha256");
    };
    std::vector<Header> to_sign;
    to_sign.reserve(request.headers.size() + 3);
    for (const auto& h : request.headers) {
        if (!is_ours(h.name)) to_sign.push_back(h);
    }
    SignedRequest out;
    out.added_headers.push_back({"X-Amz-Date", config.amz_date});
    const bool has_token = !credentials.session_token.empty();
    if (has_token && !config.omit_session_token) {
        out.added_headers.push_back({"X-Amz-Security-Token", credentials.session_token.reveal()});
    }
    if (config.add_content_sha256_header)
        out.added_headers.push_back({"x-amz-content-sha256", std::string(payload_hash)});
    to_sign.insert(to_sign.end(), out.added_headers.begin(), out.added_headers.end());

    const auto headers = canonical_headers(to_sign);
    out.canonical_request = canonical_request(request.method, canonical_uri(request.path, config),
                                              canonical_query_string(request.query), headers, payload_hash);
    const auto scope = credential_scope(config.amz_date, config.region, config.service);
    out.string_to_sign = string_to_sign(config.amz_date, scope, out.canonical_request);
    out.signature = signature(
        signing_key(credentials.secret_access_key, config.amz_date, config.region, config.service), out.string_to_sign);
    out.authorization = authorization_header(credentials.access_key_id, scope, headers.signed_headers, out.signature);
    if (has_token && config.omit_session_token) {
        out.added_headers.push_back({"X-Amz-Security-Token", credentials.session_token.reveal()});
    }
    out.added_headers.push_back({"Authorization", out.authorization});
    return out;
}

auto presign_request(const HttpRequest& request, std::string_view payload_hash, const Credentials& credentials,
                     const SigningConfig& config) -> Expected<PresignedRequest> {
    if (auto ok = validate(request, payload_hash, credentials, config); !ok) return unexpected(ok.error());
    if (config.expires_seconds < 1 || config.expires_seconds > 604800) {
        return make_error(
            ErrorCode::invalid_input,
            fmt::format("a presigned URL must expire within 1 to 604800 seconds, not {}", config.expires_seconds), {},
            "choose an expiry between 1 second and 7 days (604800 seconds)");
    }
    for (const auto& q : request.query) {
        if (util::starts_with_icase(q.name, "x-amz-") &&
            (util::iequals(q.name, "X-Amz-Signature") || util::iequals(q.name, "X-Amz-Credential") ||
             util::iequals(q.name, "X-Amz-Algorithm") || util::iequals(q.name, "X-Amz-Date") ||
             util::iequals(q.name, "X-Amz-Expires") || util::iequals(q.name, "X-Amz-SignedHeaders") ||
             util::iequals(q.name, "X-Amz-Security-Token"))) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("the request to presign already has a '{}' query parameter", q.name), {},
                              "remove the X-Amz-* signing parameters from the URL before presigning it again");
        }
    }
    const auto headers = canonical_headers(request.headers);
    const auto scope = credential_scope(config.amz_date, config.region, config.service);

    PresignedRequest out;
    out.auth_query = {
        {"X-Amz-Algorithm", std::string(sigv4_algorithm)},
        {"X-Amz-Credential", fmt::format("{}/{}", credentials.access_key_id, scope)},
        {"X-Amz-Date", config.amz_date},
        {"X-Amz-SignedHeaders", headers.signed_headers},
        {"X-Amz-Expires", std::to_string(config.expires_seconds)},
    };
    const bool has_token = !credentials.session_token.empty();
    if (has_token && !config.omit_session_token) {
        out.auth_query.push_back({"X-Amz-Security-Token", credentials.session_token.reveal()});
    }
    auto signed_query = request.query;
    signed_query.insert(signed_query.end(), out.auth_query.begin(), out.auth_query.end());

    out.canonical_request = canonical_request(request.method, canonical_uri(request.path, config),
                                              canonical_query_string(signed_query), headers, payload_hash);
    out.string_to_sign = string_to_sign(config.amz_date, scope, out.canonical_request);
    out.signature = signature(
        signing_key(credentials.secret_access_key, config.amz_date, config.region, config.service), out.string_to_sign);
    if (has_token && config.omit_session_token) {
        out.auth_query.push_back({"X-Amz-Security-Token", credentials.session_token.reveal()});
    }
    out.auth_query.push_back({"X-Amz-Signature", out.signature});

    const std::array<const std::vector<QueryParam>*, 2> lists{&request.query, &out.auth_query};
    for (const auto* list : lists) {
        for (const auto& q : *list) {
            if (!out.query_string.empty()) out.query_string.push_back('&');
            out.query_string += uri_encode(q.name, false);
            out.query_string.push_back('=');
            out.query_string += uri_encode(q.value, false);
        }
    }
    return out;
}

}  // namespace wheelhouse::s3
