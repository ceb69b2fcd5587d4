// The sync planner (pure): local files vs a remote listing -> what to upload, skip and delete, in key order.
// Deploy is a thin layer over it: list, HEAD the candidates, plan, show the plan (--dry-run), execute.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wheelhouse::s3 {

struct LocalFile {
    std::string key;  // the object key it maps to (prefix + relative path with '/')
    std::filesystem::path path;
    std::string sha256;  // lower-case hex of the content
    std::uint64_t size = 0;
    std::string crc64nvme;  // base64, as in x-amz-checksum-crc64nvme; empty when not computed
};

struct RemoteObject {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;
    // x-amz-meta-sha256 from a HEAD (ListObjectsV2 does not return metadata); nullopt when not inspected or absent.
    std::optional<std::string> sha256;
    // S3's own checksums from a HEAD with x-amz-checksum-mode ("crc64nvme", "sha256", "crc32" ... -> base64; a
    // composite one ends in "-<parts>"); empty when the server keeps none (Ceph RGW 16, Swift s3api 2.30).
    std::map<std::string, std::string> checksums;
};

struct SyncOptions {
    bool delete_extra = false;  // --delete: remove remote objects (under the synced prefix) with no local file
};

enum class SyncReason {
    new_file,
    size_differs,
    content_differs,   // x-amz-meta-sha256 differs
    checksum_differs,  // S3's own checksum differs (whatever the metadata says)
    checksum_unknown,  // S3 keeps a checksum of an algorithm not computed here: equality cannot be shown
    no_remote_hash,
    unchanged,
    not_local,
};
auto to_string(SyncReason reason) -> const char*;

struct SyncEntry {
    std::string key;
    SyncReason reason = SyncReason::new_file;
};

struct SyncPlan {
    std::vector<SyncEntry> upload;  // with the local file at the same index in upload_files
    std::vector<LocalFile> upload_files;
    std::vector<SyncEntry> skip;
    std::vector<SyncEntry> remove;  // only with delete_extra
    [[nodiscard]] auto empty() const -> bool { return upload.empty() && remove.empty(); }
};

// Remote objects whose metadata must be read (HEAD) before planning: same key and same size as a local file.
// A size difference already decides "upload", so those need no round trip.
auto keys_to_inspect(const std::vector<LocalFile>& local, const std::vector<RemoteObject>& remote)
    -> std::vector<std::string>;

// Deterministic: every list is sorted by key, whatever the input order; duplicate keys keep the first entry.
// Unchanged means same size, the remote x-amz-meta-sha256 equal to the local sha256 (case-insensitive), and,
// where S3 keeps checksums of the object, S3's own full-object CRC64NVME or SHA-256 equal to the local file's:
// the metadata is whatever a writer put there, the checksum is what S3 computed from the bytes it holds. An
// object whose S3 checksums are all of other kinds (CRC32, composite ...) is uploaded again, as is one without
// the metadata (its content cannot be shown equal).
auto plan_sync(std::vector<LocalFile> local, std::vector<RemoteObject> remote, const SyncOptions& options) -> SyncPlan;

}  // namespace wheelhouse::s3
