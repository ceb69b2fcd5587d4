// The S3 client: signed S3 operations over the http engine (objects, listings, batch delete, bucket settings,
// multipart uploads in parallel with abort on failure). Errors are ErrorCode::aws with the server's code,
// message and request id; no secret ever appears in one.
//
// Integrity of uploads. Every object carries a full-object CRC64NVME checksum (x-amz-checksum-crc64nvme on
// PutObject; a multipart upload is created with x-amz-checksum-algorithm CRC64NVME and x-amz-checksum-type
// FULL_OBJECT, each part carries its own CRC and CompleteMultipartUpload the whole one), which AWS S3 checks
// and stores. After an upload a HEAD with x-amz-checksum-mode confirms the size, the x-amz-meta-sha256 and, where
// the server stores one, the checksum, before the version id is reported.
// Payloads: to AWS's own S3 over https they are sent UNSIGNED-PAYLOAD (the CRC protects them end to end, TLS on
// the way). Everywhere else they are signed with their SHA-256, because that is what other servers check:
// Ceph RGW 16.2 and Swift 2.30 s3api (run here, see tests/e2e/test_deploy.py) accept flexible checksum headers
// and neither check nor store them, but both refuse a body whose SHA-256 differs from the signed one
// (XAmzContentSHA256Mismatch, BadDigest); they check Content-MD5 too, which costs more CPU than SHA-256 with
// SHA-NI and is therefore not sent.
// One pass over each file (hash_file) yields what the upload needs before its first byte: the whole-file
// SHA-256 (the skip check, x-amz-meta-sha256), every part's CRC64NVME (the whole one is combined from them) and,
// for signed payloads only, every part's SHA-256. The upload then streams the bytes from disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/s3/credentials.hpp"
#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/s3/multipart.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::s3 {

struct ClientOptions {
    std::string region = "us-east-1";
    std::optional<Endpoint> endpoint;  // nullopt: Endpoint::for_region(region)
    AddressingStyle addressing = AddressingStyle::automatic;
    http::Options http;
    // Multipart: files of at least multipart_threshold bytes are sent in parts of about part_size bytes
    // (adjusted by choose_part_size), up to max_parallel_parts at a time.
    std::uint64_t multipart_threshold = 16ULL * 1024 * 1024;
    std::uint64_t part_size = 16ULL * 1024 * 1024;
    std::size_t max_parallel_parts = 8;
    int part_rounds = 3;  // times one part is sent (each send is itself retried by the engine)
    // automatic: UNSIGNED-PAYLOAD over https to *.amazonaws.com, signed payloads elsewhere (see above);
    // always: signed payloads everywhere.
    enum class PayloadSigning { automatic, always };
    PayloadSigning payload_signing = PayloadSigning::automatic;
    // http.cancel, when set, stops every transfer at once; the abort of an interrupted multipart upload is then
    // still sent (on an engine of its own that the flag does not stop).
};

// What an upload needs to know about a file before its first byte, from one pass over it.
struct FileDigest {
    std::uint64_t size = 0;
    std::string sha256;                         // hex, the whole file
    std::uint64_t crc64nvme = 0;                // the whole file
    std::uint64_t part_size = 0;                // 0: one PutObject (no parts)
    std::vector<std::uint64_t> part_crc64nvme;  // one per split_parts(size, part_size)
    std::vector<std::string> part_sha256;       // hex, per part; only with part_sha256 (signed payloads)
};
// The whole-file SHA-256 on one thread while the others take the parts (CRC64NVME, and SHA-256 when asked).
auto hash_file(const std::filesystem::path& path, std::uint64_t part_size, bool part_sha256 = true)
    -> Expected<FileDigest>;
// The value of an x-amz-checksum-crc64nvme header: the 8 bytes big-endian, base64.
auto crc64nvme_header(std::uint64_t crc) -> std::string;

enum class Encryption { none, aes256, aws_kms };

struct PutOptions {
    Encryption encryption = Encryption::aws_kms;
    std::string kms_key_id;  // with aws_kms; empty: the bucket's default key
    // Uploading without server-side encryption needs this explicit consent (deploy's --no-encryption flag).
    bool allow_unencrypted = false;
    std::string content_type;
    std::map<std::string, std::string> metadata;  // x-amz-meta-<name>; "sha256" is always set by uploads
    std::atomic<bool>* cancel = nullptr;          // set from a signal handler: abort between waves
};

struct PutResult {
    std::string etag;  // without quotes; may be empty after a multipart upload on some servers
    std::string version_id;
    std::string sse;
    std::string kms_key_id;
    std::string sha256;     // the content hash stored as x-amz-meta-sha256
    std::size_t parts = 0;  // 0: single PutObject
    std::string crc64nvme;  // the full-object checksum sent (base64)
    // The server stores the checksum and the HEAD after the upload showed it equal (AWS); false: it keeps none
    // (RGW, Swift), and the size, the sha256 metadata and the signed payloads were what was checked.
    bool checksum_confirmed = false;
};

struct ObjectInfo {
    std::uint64_t size = 0;
    std::string etag;
    std::string version_id;
    std::string last_modified;
    std::string content_type;
    std::string sse;                              // x-amz-server-side-encryption
    std::string kms_key_id;                       // x-amz-server-side-encryption-aws-kms-key-id
    std::map<std::string, std::string> metadata;  // x-amz-meta-*, names lower case without the prefix
    // S3's own checksums (x-amz-checksum-<algorithm>, asked for with x-amz-checksum-mode): "crc64nvme" -> base64.
    std::map<std::string, std::string> checksums;
    std::string checksum_type;  // FULL_OBJECT or COMPOSITE; empty when the server does not say
};

// Progress of an upload, in bytes of the file (for a bar); called on the calling thread.
class UploadObserver {
public:
    UploadObserver() = default;
    virtual ~UploadObserver() = default;
    UploadObserver(const UploadObserver&) = delete;
    auto operator=(const UploadObserver&) -> UploadObserver& = delete;
    UploadObserver(UploadObserver&&) = delete;
    auto operator=(UploadObserver&&) -> UploadObserver& = delete;
    virtual void on_part_done(int part_number, std::uint64_t bytes_done, std::uint64_t total) = 0;
    virtual void on_part_retry(int part_number, const Error& error) = 0;
};

class Client {
public:
    static auto create(Credentials credentials, ClientOptions options) -> Expected<Client>;
    // Every request signs with source->get(): credentials that expire are renewed before they do.
    static auto create(std::shared_ptr<CredentialSource> credentials, ClientOptions options) -> Expected<Client>;
    ~Client();
    Client(Client&&) noexcept;
    auto operator=(Client&&) noexcept -> Client&;
    Client(const Client&) = delete;
    auto operator=(const Client&) -> Client& = delete;

    [[nodiscard]] auto options() const -> const ClientOptions&;

    // Single PutObject from memory (small objects, tests).
    auto put_object(std::string_view bucket, std::string_view key, std::string body, const PutOptions& options)
        -> Expected<PutResult>;
    // A file: one PutObject below the threshold, else a multipart upload. digest may come from the planner
    // (it must have been made with the part size this upload uses, else the file is hashed again).
    auto upload_file(std::string_view bucket, std::string_view key, const std::filesystem::path& path,
                     const PutOptions& options, std::optional<FileDigest> digest = std::nullopt,
                     UploadObserver* observer = nullptr) -> Expected<PutResult>;
    // The part size upload_file uses for a file of this size (so the planner can hash parts in its one pass).
    [[nodiscard]] auto part_size_for(std::uint64_t size) const -> std::uint64_t;
    // Whether payloads are signed (then hash_file must compute the part SHA-256s too).
    [[nodiscard]] auto signs_payloads() const -> bool;

    // nullopt: no such object (404).
    auto head_object(std::string_view bucket, std::string_view key, std::string_view version_id = {})
        -> Expected<std::optional<ObjectInfo>>;
    // Many HEADs in parallel, one result per key.
    auto head_objects(std::string_view bucket, const std::vector<std::string>& keys)
        -> std::vector<Expected<std::optional<ObjectInfo>>>;
    auto get_object(std::string_view bucket, std::string_view key, std::string_view version_id = {})
        -> Expected<std::string>;

    // Follows continuation tokens until the listing ends; max_keys is the page size (1..1000).
    auto list_objects(std::string_view bucket, std::string_view prefix, int max_keys = 1000)
        -> Expected<std::vector<ObjectSummary>>;
    auto list_objects_page(std::string_view bucket, std::string_view prefix, int max_keys,
                           std::string_view continuation_token) -> Expected<ListObjectsPage>;
    // In batches of 1000 with Content-MD5; per-key failures are returned in the result, not as an error.
    auto delete_objects(std::string_view bucket, const std::vector<std::string>& keys) -> Expected<DeleteObjectsResult>;

    auto get_bucket_versioning(std::string_view bucket) -> Expected<BucketVersioning>;
    auto get_public_access_block(std::string_view bucket) -> Expected<PublicAccessBlock>;
    auto get_bucket_encryption(std::string_view bucket) -> Expected<BucketEncryption>;
    auto get_bucket_lifecycle(std::string_view bucket) -> Expected<BucketLifecycle>;

    auto create_bucket(std::string_view bucket) -> Expected<void>;
    auto put_bucket_versioning(std::string_view bucket, bool enabled) -> Expected<void>;
    auto put_public_access_block(std::string_view bucket, const PublicAccessBlock& block) -> Expected<void>;

    auto list_multipart_uploads(std::string_view bucket, std::string_view prefix = {})
        -> Expected<std::vector<MultipartUploadInfo>>;
    auto abort_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id)
        -> Expected<void>;
    auto delete_object_version(std::string_view bucket, std::string_view key, std::string_view version_id)
        -> Expected<void>;

private:
    struct Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace wheelhouse::s3
