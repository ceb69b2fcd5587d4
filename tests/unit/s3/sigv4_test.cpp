#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::s3 {
namespace {

auto example_credentials() -> Credentials {
    Credentials c;
    c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    c.secret_access_key = util::Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    return c;
}

TEST(UriEncode, KeepsOnlyUnreservedBytesAndOptionallySlash) {
    EXPECT_EQ(uri_encode("AZaz09-._~", false), "AZaz09-._~");
    EXPECT_EQ(uri_encode("a b+c/d=e&f%g*h", false), "a%20b%2Bc%2Fd%3De%26f%25g%2Ah");
    EXPECT_EQ(uri_encode("a/b", true), "a/b");
    EXPECT_EQ(uri_encode("\xE1\x88\xB4", false), "%E1%88%B4");
}

TEST(EncodeS3Key, EncodesSpacesUnicodePlusAndKeepsSlashAndTilde) {
    EXPECT_EQ(encode_s3_key("dags/my dag.py"), "dags/my%20dag.py");
    EXPECT_EQ(encode_s3_key("a+b~c/d"), "a%2Bb~c/d");
    EXPECT_EQ(encode_s3_key("caf\xC3\xA9/\xF0\x9F\x98\x80.txt"), "caf%C3%A9/%F0%9F%98%80.txt");
    EXPECT_EQ(encode_s3_key("100%"), "100%25");
}

TEST(ParseQuery, DecodesEscapesButNotPlus) {
    const auto q = parse_query("a=1&b&&c=%20x+y&%E1%88%B4=v&bad=%G1");
    ASSERT_EQ(q.size(), 5U);
    EXPECT_EQ(q[1], (QueryParam{"b", ""}));
    EXPECT_EQ(q[2], (QueryParam{"c", " x+y"}));
    EXPECT_EQ(q[3].name, "\xE1\x88\xB4");
    EXPECT_EQ(q[4].value, "%G1");
    EXPECT_EQ(percent_decode("%4"), "%4");
}

TEST(CanonicalQuery, SortsByEncodedNameThenValue) {
    EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"B", "1"}, {"uploads", ""}}),
              "B=1&a=y&a=z&b=2&uploads=");
    // '+' and ' ' sort by their encodings (%2B, %20), not their raw bytes.
    EXPECT_EQ(canonical_query_string({{"k", "+"}, {"k", " "}}), "k=%20&k=%2B");
    EXPECT_EQ(canonical_query_string({}), "");
}

TEST(CanonicalHeaders, LowercasesTrimsCollapsesJoinsAndSorts) {
    const auto h = canonical_headers({{"Host", "example.com"},
                                      {"X-B", "  a   b\t c  "},
                                      {"x-a", "1"},
                                      {"X-A", "2"},
                                      {"X-Fold", "v1\n   v2"},
                                      {"Empty", ""},
                                      {"User-Agent", "curl"},
                                      {"Authorization", "old"}});
    EXPECT_EQ(h.canonical, "empty:\nhost:example.com\nx-a:1,2\nx-b:a b c\nx-fold:v1 v2\n");
    EXPECT_EQ(h.signed_headers, "empty;host;x-a;x-b;x-fold");
}

TEST(CanonicalUri, NormalisesAndDoubleEncodesForServicesButNotForS3) {
    SigningConfig generic;
    EXPECT_EQ(canonical_uri("/a//b/./c/../d%20e/", generic), "/a/b/d%2520e/");
    EXPECT_EQ(canonical_uri("", generic), "/");
    EXPECT_EQ(canonical_uri("/a/b/..", generic), "/a");
    const auto s3 = SigningConfig::for_s3("us-east-1", "20130524T000000Z");
    EXPECT_EQ(canonical_uri("/bucket/a//b/../c%20d", s3), "/bucket/a//b/../c%20d");
    EXPECT_EQ(canonical_uri("", s3), "/");
}

TEST(NormalizeUriPath, RemovesDotAndEmptySegments) {
    EXPECT_EQ(normalize_uri_path("/"), "/");
    EXPECT_EQ(normalize_uri_path("//"), "/");
    EXPECT_EQ(normalize_uri_path("/../.."), "/");
    EXPECT_EQ(normalize_uri_path("/a/./b/"), "/a/b/");
    EXPECT_EQ(normalize_uri_path("a/b"), "/a/b");
}

TEST(SigningKey, MatchesTheAwsDocumentationExample) {
    // docs.aws.amazon.com "Examples of how to derive a signing key for Signature Version 4".
    const auto key =
        signing_key(util::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20120215T000000Z", "us-east-1", "iam");
    EXPECT_EQ(util::to_hex(key.data(), key.size()), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// The S3 documentation's GET Object example (sig-v4-header-based-auth).
TEST(S3Signing, MatchesTheAwsDocumentationGetObjectExample) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/" + encode_s3_key("test.txt");
    r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
    auto signed_request = sign_request(r, empty_payload_sha256, example_credentials(),
                                       SigningConfig::for_s3("us-east-1", "20130524T000000Z"));
    ASSERT_TRUE(signed_request) << signed_request.error().to_string();
    EXPECT_EQ(signed_request->signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(signed_request->authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// The S3 documentation's presigned URL example (sigv4-query-string-auth).
TEST(S3Presigning, MatchesTheAwsDocumentationExample) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/test.txt";
    r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
    auto config = SigningConfig::for_s3("us-east-1", "20130524T000000Z");
    config.expires_seconds = 86400;
    auto presigned = presign_request(r, unsigned_payload, example_credentials(), config);
    ASSERT_TRUE(presigned) << presigned.error().to_string();
    EXPECT_EQ(presigned->signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    EXPECT_EQ(presigned->query_string,
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%"
              "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86400&X-Amz-"
              "Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(S3Signing, SendsTheSessionTokenAndPayloadHashAsSignedHeaders) {
    HttpRequest r;
    r.method = "PUT";
    r.path = "/bucket/" + encode_s3_key("plugins.zip");
    r.headers = {{"Host", "s3.eu-west-1.amazonaws.com"}, {"x-amz-date", "stale"}, {"X-Amz-Content-SHA256", "stale"}};
    auto creds = example_credentials();
    creds.session_token = util::Secret("TOKEN/+=");
    auto s = sign_request(r, unsigned_payload, creds, SigningConfig::for_s3("eu-west-1", "20240102T030405Z"));
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_NE(s->authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
              std::string::npos)
        << s->authorization;
    EXPECT_NE(s->canonical_request.find("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
    EXPECT_NE(s->canonical_request.find("\nx-amz-date:20240102T030405Z\n"), std::string::npos);
    EXPECT_EQ(s->canonical_request.substr(s->canonical_request.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
    ASSERT_EQ(s->added_headers.size(), 4U);
    EXPECT_EQ(s->added_headers[1], (Header{"X-Amz-Security-Token", "TOKEN/+="}));
    EXPECT_EQ(s->added_headers.back().name, "Authorization");
}

TEST(Presigning, EncodesTheSessionTokenAndKeepsTheRequestQueryFirst) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/bucket/a%20b";
    r.query = {{"versionId", "v 1"}};
    r.headers = {{"Host", "localhost:9000"}};
    auto creds = example_credentials();
    creds.session_token = util::Secret("t/+=");
    auto p = presign_request(r, unsigned_payload, creds, SigningConfig::for_s3("us-east-1", "20240102T030405Z"));
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->query_string.substr(0, 15), "versionId=v%201");
    EXPECT_NE(p->query_string.find("&X-Amz-Security-Token=t%2F%2B%3D&X-Amz-Signature="), std::string::npos);
    EXPECT_NE(p->canonical_request.find("&X-Amz-Security-Token=t%2F%2B%3D&X-Amz-SignedHeaders=host&versionId=v%201\n"),
              std::string::npos)
        << p->canonical_request;
}

TEST(Signing, RejectsBadInputsWithoutRevealingTheSecret) {
    HttpRequest r;
    r.method = "GET";
    r.headers = {{"Host", "h"}};
    auto creds = example_credentials();
    auto config = SigningConfig::for_s3("us-east-1", "2024-01-02T03:04:05Z");
    auto bad_date = sign_request(r, unsigned_payload, creds, config);
    ASSERT_FALSE(bad_date);
    EXPECT_EQ(bad_date.error().code, ErrorCode::invalid_input);
    config.amz_date = "20240102T030405Z";
    config.region.clear();
    EXPECT_FALSE(sign_request(r, unsigned_payload, creds, config));
    config.region = "us-east-1";
    r.headers = {{"X-Other", "h"}};
    EXPECT_FALSE(sign_request(r, unsigned_payload, creds, config));
    r.headers = {{"Bad Name", "h"}, {"Host", "h"}};
    EXPECT_FALSE(sign_request(r, unsigned_payload, creds, config));
    r.headers = {{"Host", "h"}};
    r.method = "GE T";
    EXPECT_FALSE(sign_request(r, unsigned_payload, creds, config));
    r.method = "GET";
    config.expires_seconds = 604801;
    EXPECT_FALSE(presign_request(r, unsigned_payload, creds, config));
    config.expires_seconds = 60;
    r.query = {{"X-Amz-Signature", "x"}};
    auto dup = presign_request(r, unsigned_payload, creds, config);
    ASSERT_FALSE(dup);
    creds.secret_access_key = util::Secret();
    r.query.clear();
    auto no_secret = sign_request(r, unsigned_payload, creds, config);
    ASSERT_FALSE(no_secret);
    EXPECT_EQ(no_secret.error().code, ErrorCode::aws);
}

TEST(FormatAmzDate, PrintsUtcBasicFormat) {
    EXPECT_EQ(format_amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))),
              "20150830T123600Z");
}

TEST(Secret, CredentialsNeverPrintTheirSecrets) {
    auto creds = example_credentials();
    creds.session_token = util::Secret("session-token-value");
    EXPECT_EQ(fmt::format("{} {}", creds.secret_access_key, creds.session_token), "*** ***");
    std::ostringstream out;
    out << creds.secret_access_key;
    EXPECT_EQ(out.str(), "***");
}

}  // namespace
}  // namespace wheelhouse::s3
