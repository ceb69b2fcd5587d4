// The deploy pipeline: bucket preflight, skip-unchanged upload of plugins.zip and requirements.txt, DAG folder
// sync, and the version ids and `aws mwaa update-environment` arguments MWAA needs. Never prints: progress goes
// through DeployReporter, and the result is a value the CLI renders.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wheelhouse/s3/client.hpp"
#include "wheelhouse/s3/config.hpp"
#include "wheelhouse/s3/credentials.hpp"
#include "wheelhouse/s3/sync.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

// Everything needed to make S3 clients: resolved once, then one client per worker.
struct S3Connection {
    s3::Credentials credentials;  // as first resolved (for messages; clients sign with credential_source)
    // Renews credentials that expire from the provider that gave them; null: `credentials` as they are.
    std::shared_ptr<s3::CredentialSource> credential_source;
    s3::ClientOptions client;
    std::string region_source;    // "--region", "AWS_REGION", "default" ...
    std::string endpoint_source;  // empty: the region's AWS endpoint
};

// The AWS CLI's resolution: profile (--profile, AWS_PROFILE), region, endpoint (--endpoint-url,
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's services section) and the default credential chain
// (environment, assume role / web identity, shared files, credential_process, container, IMDSv2).
auto resolve_s3_connection(const s3::AwsOptions& options, const s3::Environment& env) -> Expected<S3Connection>;

struct DeployOptions {
    std::filesystem::path dist;  // holds plugins.zip and requirements.txt
    std::string bucket;
    std::string prefix;  // "" or a key prefix; a missing trailing '/' is added ("env1" -> "env1/")
    std::string kms_key_id;
    bool no_encryption = false;  // upload without SSE (explicit opt-out)
    std::optional<std::filesystem::path> dags;
    bool delete_extra = false;    // with dags: remove objects under <prefix>dags/ that have no local file
    bool include_hidden = false;  // with dags: also upload dotfiles, __pycache__ and *.pyc (see list_dag_files)
    bool dry_run = false;         // preflight and plan only: nothing is written
    bool force = false;           // turn failed public-access-block / encryption checks into warnings
    bool upload_sbom = false;     // also upload dist/sbom.cdx.json to <prefix>sbom.cdx.json (skipped when unchanged)
    std::string environment_name;
    std::size_t jobs = 8;  // parallel DAG uploads and multipart parts
    // Set from a signal handler: every transfer stops at once, an unfinished multipart upload is aborted (on a
    // connection of its own) and deploy returns an interrupted error.
    std::atomic<bool>* cancel = nullptr;
};

enum class CheckStatus { passed, warning, failed, forced };
auto to_string(CheckStatus status) -> const char*;

struct PreflightCheck {
    std::string name;  // "dist", "bucket", "versioning", "public_access_block", "encryption", "lifecycle"
    CheckStatus status = CheckStatus::passed;
    std::string message;
};

// One of the two artifacts MWAA is pointed at.
struct Artifact {
    std::string key;
    std::string path_in_bucket;  // the key as MWAA's --plugins-s3-path wants it (same as key)
    std::string sha256;
    std::uint64_t size = 0;
    bool uploaded = false;   // false: unchanged, the current object is kept
    std::string version_id;  // of the new object, or of the current one when skipped (empty in a dry run upload)
    std::string sse;
    std::string kms_key_id;
    std::size_t parts = 0;  // multipart part count; 0 for a single PutObject
    std::string crc64nvme;  // the full-object checksum (base64) of the local file
    // The server keeps a CRC64NVME of the object and it equals the local file's (AWS); false where the server
    // keeps none (Ceph RGW, Swift s3api: there the signed payloads, the size and x-amz-meta-sha256 were checked).
    bool checksum_confirmed = false;
};

struct DeployResult {
    std::string bucket;
    std::string prefix;
    bool dry_run = false;
    std::vector<PreflightCheck> checks;
    s3::SyncPlan plan;                  // artifacts and DAGs together, every list sorted by key
    std::vector<std::string> uploaded;  // keys written (empty in a dry run)
    std::vector<std::string> skipped;   // keys left as they are (unchanged)
    std::vector<std::string> deleted;   // keys removed (empty in a dry run)
    std::vector<std::string> ignored;   // DAG-folder paths left out as hidden or byte-compiled (relative)
    Artifact plugins;
    Artifact requirements;
    std::optional<std::string> dags_path;  // "<prefix>dags" when --dags was given
    // argv of `aws mwaa update-environment ...`; empty when a version id is unknown (dry run with uploads).
    std::vector<std::string> update_environment;
};

// Progress for the CLI. Calls may come from worker threads, but never two at a time.
class DeployReporter {
public:
    DeployReporter() = default;
    virtual ~DeployReporter() = default;
    DeployReporter(const DeployReporter&) = delete;
    auto operator=(const DeployReporter&) -> DeployReporter& = delete;
    DeployReporter(DeployReporter&&) = delete;
    auto operator=(DeployReporter&&) -> DeployReporter& = delete;

    virtual void on_check(const PreflightCheck& /*check*/) {}
    virtual void on_plan(const s3::SyncPlan& /*plan*/) {}
    virtual void on_upload_started(const std::string& /*key*/, std::uint64_t /*size*/) {}
    virtual void on_upload_progress(const std::string& /*key*/, std::uint64_t /*done*/, std::uint64_t /*total*/) {}
    virtual void on_part_retry(const std::string& /*key*/, int /*part*/, const Error& /*error*/) {}
    virtual void on_uploaded(const std::string& /*key*/, const s3::PutResult& /*result*/) {}
    virtual void on_deleted(const std::vector<std::string>& /*keys*/) {}
};

// The DAG folder as deploy syncs it, under --plugins-dir's rules for links: a link to a file inside the folder
// is read through; a link that points outside, nowhere (a loop included) or to a folder, and any special file,
// is an invalid_input error, so that a file which cannot be read is never planned as deleted. Unless
// include_hidden, names starting with '.' (except .airflowignore, which Airflow reads), __pycache__ folders and
// *.pyc files are left out and listed in `ignored`.
struct DagFiles {
    std::vector<std::pair<std::string, std::filesystem::path>> files;  // object key, file to read; sorted by key
    std::vector<std::string> ignored;                                  // relative paths ("sub/.env", ".git/")
};
auto list_dag_files(const std::filesystem::path& folder, const std::string& dags_prefix, bool include_hidden)
    -> Expected<DagFiles>;

// "" -> ""; "/a//b" -> "a/b/"; refuses ".." segments.
auto normalize_prefix(std::string_view prefix) -> Expected<std::string>;

// The argv of `aws mwaa update-environment` for these version ids (environment name placeholder when empty).
auto update_environment_command(const std::string& environment_name, const Artifact& plugins,
                                const Artifact& requirements, const std::optional<std::string>& dags_path)
    -> std::vector<std::string>;

// Preflight, plan, then (unless dry_run) upload and delete. A failed preflight, an S3 error or an interrupt
// is an ErrorCode::aws error; a missing dist file or DAG folder is not_found / io. Multipart uploads that
// fail or are interrupted are aborted by the client, so no partial object is ever left.
auto deploy(const DeployOptions& options, const S3Connection& connection, DeployReporter* reporter = nullptr)
    -> Expected<DeployResult>;

}  // namespace wheelhouse::app
