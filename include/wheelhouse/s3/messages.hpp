// S3 wire formats apart from transport: endpoint addressing, request message builders, defensive XML
// response parsers (libxml2), error documents, and the multipart part-size arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::s3 {

// ---------------------------------------------------------------- addressing

enum class AddressingStyle {
    automatic,     // virtual host when the bucket is a DNS label and the host is a name (not an IP / localhost)
    path,          // https://host/bucket/key
    virtual_host,  // https://bucket.host/key
};

struct Endpoint {
    std::string scheme = "https";
    std::string host;       // lower case; IPv6 without brackets
    long port = 0;          // 0: the scheme's default
    std::string base_path;  // "" or "/prefix" (a gateway mounted under a path); no trailing '/'
    bool custom = false;    // from --endpoint-url / AWS_ENDPOINT_URL*: not an amazonaws.com default

    // "https://s3.eu-west-1.amazonaws.com" and the like. Query, fragment and credentials are refused.
    static auto parse(std::string_view url) -> Expected<Endpoint>;
    // The AWS endpoint of a region ("us-east-1" -> s3.us-east-1.amazonaws.com; cn- regions -> .com.cn).
    static auto for_region(std::string_view region) -> Endpoint;
    // "host" or "host:port" (port only when it is not the scheme's default): the Host header value.
    [[nodiscard]] auto authority() const -> std::string;
};

// Where a request for bucket/key goes: the URL without query, the Host header and the path that is signed.
struct Target {
    std::string host;        // the Host header
    std::string path;        // encoded, starting with '/'
    std::string url_prefix;  // scheme://host[:port] (the URL is url_prefix + path + "?" + query)
};

// True if the bucket can be a DNS label under the endpoint (3-63 chars of a-z 0-9 - ., no "..", not an IP,
// and without dots when the scheme is https, since the wildcard certificate covers one label only).
auto bucket_is_virtual_hostable(std::string_view bucket, std::string_view scheme) -> bool;
auto resolve_target(const Endpoint& endpoint, AddressingStyle style, std::string_view bucket, std::string_view key)
    -> Target;

// ---------------------------------------------------------------- errors

// An S3 (or STS) error document: <Error><Code/><Message/><RequestId/>...</Error>, or STS's
// <ErrorResponse><Error>...</Error><RequestId/></ErrorResponse>.
struct ServiceError {
    long status = 0;
    std::string code;        // may be empty (HEAD responses have no body)
    std::string message;     // may be empty (RGW sends an empty <Message/>)
    std::string request_id;  // from the document, else x-amz-request-id
    std::string resource;
};
// nullopt if the text is not an error document.
auto parse_error_document(std::string_view xml) -> std::optional<ServiceError>;
// "AccessDenied: Access Denied (HTTP 403, request id tx00..)"; falls back to the HTTP reason phrase.
auto describe(const ServiceError& error) -> std::string;

// ---------------------------------------------------------------- responses

struct ObjectSummary {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;  // without quotes
    std::string last_modified;
    std::string storage_class;
};

struct ListObjectsPage {
    std::vector<ObjectSummary> objects;
    std::vector<std::string> common_prefixes;
    bool truncated = false;
    std::string next_continuation_token;
    std::size_t key_count = 0;
};
auto parse_list_objects_v2(std::string_view xml) -> Expected<ListObjectsPage>;

// Whether a bucket-level setting could be read at all. Some servers answer 200 with a bucket listing to
// ?encryption or ?publicAccessBlock: that is "not_supported", never "configured".
enum class Availability { configured, not_configured, not_supported };
auto to_string(Availability availability) -> const char*;

enum class VersioningStatus { never_enabled, enabled, suspended };
struct BucketVersioning {
    Availability availability = Availability::configured;
    VersioningStatus status = VersioningStatus::never_enabled;
    bool mfa_delete = false;
    std::string detail;  // why not_supported
};
auto parse_bucket_versioning(std::string_view xml) -> Expected<BucketVersioning>;

struct PublicAccessBlock {
    Availability availability = Availability::configured;
    bool block_public_acls = false;
    bool ignore_public_acls = false;
    bool block_public_policy = false;
    bool restrict_public_buckets = false;
    std::string detail;
    [[nodiscard]] auto all_blocked() const -> bool {
        return availability == Availability::configured && block_public_acls && ignore_public_acls &&
               block_public_policy && restrict_public_buckets;
    }
};
auto parse_public_access_block(std::string_view xml) -> Expected<PublicAccessBlock>;

struct BucketEncryption {
    Availability availability = Availability::configured;
    std::string algorithm;   // "aws:kms", "AES256", "aws:kms:dsse"
    std::string kms_key_id;  // may be empty (the AWS managed key)
    bool bucket_key_enabled = false;
    std::string detail;
};
auto parse_bucket_encryption(std::string_view xml) -> Expected<BucketEncryption>;

// GetBucketLifecycleConfiguration: only what deploy asks (is there a rule that aborts unfinished multipart
// uploads of the keys it writes?).
struct LifecycleRule {
    std::string id;
    bool enabled = false;
    std::string prefix;                        // Filter/Prefix, And/Prefix or the legacy Rule/Prefix; "" = all
    bool filtered_otherwise = false;           // tags or object sizes in the filter (never match an upload)
    std::optional<int> abort_incomplete_days;  // AbortIncompleteMultipartUpload/DaysAfterInitiation
};
struct BucketLifecycle {
    Availability availability = Availability::configured;
    std::vector<LifecycleRule> rules;
    std::string detail;
    // The first enabled rule that aborts unfinished multipart uploads of keys starting with `prefix`.
    [[nodiscard]] auto abort_rule_for(std::string_view prefix) const -> const LifecycleRule*;
};
auto parse_bucket_lifecycle(std::string_view xml) -> Expected<BucketLifecycle>;

auto parse_initiate_multipart_upload(std::string_view xml) -> Expected<std::string>;  // the UploadId

struct CompletedMultipartUpload {
    std::string location;
    std::string etag;  // may be empty (RGW)
};
// Complete may answer 200 with an <Error> document: that is an error here.
auto parse_complete_multipart_upload(std::string_view xml) -> Expected<CompletedMultipartUpload>;

struct MultipartUploadInfo {
    std::string key;
    std::string upload_id;
    std::string initiated;
};
struct ListMultipartUploadsPage {
    std::vector<MultipartUploadInfo> uploads;
    bool truncated = false;
    std::string next_key_marker;
    std::string next_upload_id_marker;
};
auto parse_list_multipart_uploads(std::string_view xml) -> Expected<ListMultipartUploadsPage>;

struct DeleteFailure {
    std::string key;
    std::string code;
    std::string message;
};
struct DeleteObjectsResult {
    std::vector<std::string> deleted;
    std::vector<DeleteFailure> errors;
};
auto parse_delete_objects_result(std::string_view xml) -> Expected<DeleteObjectsResult>;

// ---------------------------------------------------------------- request bodies

inline constexpr std::size_t max_delete_batch = 1000;
// <Delete><Quiet>false</Quiet><Object><Key>..</Key></Object>...</Delete>; keys are XML-escaped, and
// characters XML 1.0 cannot carry are written as character references where allowed.
auto build_delete_objects(const std::vector<std::string>& keys) -> std::string;

struct CompletedPart {
    int part_number = 0;
    std::string etag;                // as the server sent it (with quotes)
    std::string checksum_crc64nvme;  // base64; written only when set (a server that knows no checksums, Swift
                                     // s3api 2.30, refuses the element as MalformedXML)
};
auto build_complete_multipart_upload(const std::vector<CompletedPart>& parts) -> std::string;
auto build_versioning_configuration(bool enabled) -> std::string;
auto build_create_bucket_configuration(std::string_view region) -> std::string;  // "" for us-east-1
auto build_public_access_block(const PublicAccessBlock& block) -> std::string;

auto xml_escape(std::string_view text) -> std::string;

// ---------------------------------------------------------------- multipart arithmetic

inline constexpr std::uint64_t min_part_size = 5ULL * 1024 * 1024;         // except the last part
inline constexpr std::uint64_t max_part_size = 5ULL * 1024 * 1024 * 1024;  // 5 GiB
inline constexpr std::uint64_t max_parts = 10'000;
inline constexpr std::uint64_t max_object_size = 5ULL * 1024 * 1024 * 1024 * 1024;  // 5 TiB

struct PartRange {
    int number = 0;  // 1-based
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
};

// The smallest part size >= preferred (rounded up to a whole MiB) that keeps the count <= 10,000, within
// 5 MiB..5 GiB. An error above 5 TiB.
auto choose_part_size(std::uint64_t object_size, std::uint64_t preferred) -> Expected<std::uint64_t>;
// Consecutive ranges covering [0, object_size); one empty part for an empty object.
auto split_parts(std::uint64_t object_size, std::uint64_t part_size) -> std::vector<PartRange>;

// ---------------------------------------------------------------- encodings

auto base64_encode(std::string_view bytes) -> std::string;
auto hex_to_bytes(std::string_view hex) -> std::optional<std::string>;
auto md5_base64(std::string_view bytes) -> std::string;  // Content-MD5

}  // namespace wheelhouse::s3
