// AWS Signature Version 4 as staged pure functions: canonical request -> string to sign -> signing key ->
// signature -> Authorization header or presigned query. No clock, no network: the caller passes the time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/s3/credentials.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::s3 {

inline constexpr std::string_view sigv4_algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Header {
    std::string name;
    std::string value;
    friend auto operator==(const Header&, const Header&) -> bool = default;
};

// One query parameter, decoded (the signer encodes it).
struct QueryParam {
    std::string name;
    std::string value;
    friend auto operator==(const QueryParam&, const QueryParam&) -> bool = default;
};

struct HttpRequest {
    std::string method;
    // The path as it goes on the request line. For S3 it is already percent-encoded (see encode_s3_key);
    // other services encode it once more when signing (double_uri_encode).
    std::string path = "/";
    std::vector<QueryParam> query;
    std::vector<Header> headers;  // must include Host
};

struct SigningConfig {
    std::string region;
    std::string service;
    std::string amz_date;  // "YYYYMMDDTHHMMSSZ" (UTC), see format_amz_date
    // S3 signs the path exactly as sent; every other service removes dot segments and empty segments and
    // then percent-encodes the (already encoded) path again. These are the aws-c-auth suite's flags.
    bool normalize_path = true;
    bool double_uri_encode = true;
    // Header signing: the session token header is added after signing and left unsigned (some services
    // require this); in presigned queries it is then left out of the canonical query.
    bool omit_session_token = false;
    // Header signing: add a signed x-amz-content-sha256 header carrying the payload hash (S3 requires it).
    bool add_content_sha256_header = false;
    std::int64_t expires_seconds = 3600;  // presigned URLs only: 1 .. 604800

    // The settings S3 needs: no normalisation, no double encoding, x-amz-content-sha256 sent.
    static auto for_s3(std::string region, std::string amz_date) -> SigningConfig;
};

// "20150830T123600Z" for a UTC time point.
auto format_amz_date(std::chrono::system_clock::time_point time) -> std::string;

// Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~), uppercase hex;
// '/' is kept when keep_slash is set.
auto uri_encode(std::string_view bytes, bool keep_slash) -> std::string;
// An S3 object key as it goes in the request path: encoded, '/' kept ("a b/c+d~" -> "a%20b/c%2Bd~").
auto encode_s3_key(std::string_view key) -> std::string;
// Decodes %XX escapes (and nothing else: '+' stays '+'); a malformed escape is kept literally.
auto percent_decode(std::string_view text) -> std::string;
// "a=1&b&c=%20" -> decoded params in order; empty segments are skipped.
auto parse_query(std::string_view query) -> std::vector<QueryParam>;

// Stage 1: the canonical request and its parts.
auto normalize_uri_path(std::string_view path) -> std::string;
auto canonical_uri(std::string_view path, const SigningConfig& config) -> std::string;
auto canonical_query_string(const std::vector<QueryParam>& query) -> std::string;
struct CanonicalHeaders {
    std::string canonical;       // "name:value\n" per header, sorted by name
    std::string signed_headers;  // "host;x-amz-date"
};
// Lowercases names, trims values and collapses inner whitespace runs to one space, joins repeated headers
// with ',' in their order, sorts by name. Headers a proxy may change (user-agent, expect,
// x-amzn-trace-id) and authorization are never signed.
auto canonical_headers(const std::vector<Header>& headers) -> CanonicalHeaders;
auto canonical_request(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                       const CanonicalHeaders& headers, std::string_view payload_hash) -> std::string;

// Stage 2: string to sign.
auto credential_scope(std::string_view amz_date, std::string_view region, std::string_view service) -> std::string;
auto string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request)
    -> std::string;

// Stage 3: signing key and signature.
using SigningKey = std::array<unsigned char, 32>;
auto signing_key(const util::Secret& secret_access_key, std::string_view amz_date, std::string_view region,
                 std::string_view service) -> SigningKey;
auto signature(const SigningKey& key, std::string_view string_to_sign) -> std::string;

// Stage 4: the Authorization header value.
auto authorization_header(std::string_view access_key_id, std::string_view scope, std::string_view signed_headers,
                          std::string_view signature) -> std::string;

// Every intermediate is kept so that tests and `-v` diagnostics can show where a mismatch starts.
// canonical_request may contain the session token: never log it.
struct SignedRequest {
    std::vector<Header> added_headers;  // X-Amz-Date, [X-Amz-Security-Token], [x-amz-content-sha256], Authorization
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;
    std::string authorization;
};

struct PresignedRequest {
    // The authentication parameters to append after the request's own query, in this order:
    // X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires,
    // [X-Amz-Security-Token], X-Amz-Signature. Values are decoded.
    std::vector<QueryParam> auth_query;
    std::string query_string;  // the request's query then auth_query, encoded: what follows '?'
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;
};

// Header signing. payload_hash is the hex SHA-256 of the body or UNSIGNED-PAYLOAD.
auto sign_request(const HttpRequest& request, std::string_view payload_hash, const Credentials& credentials,
                  const SigningConfig& config) -> Expected<SignedRequest>;

// Query signing (presigned URL). Only the request's own headers are signed (at least Host).
auto presign_request(const HttpRequest& request, std::string_view payload_hash, const Credentials& credentials,
                     const SigningConfig& config) -> Expected<PresignedRequest>;

}  // namespace wheelhouse::s3
