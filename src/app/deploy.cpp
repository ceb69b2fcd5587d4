// deploy: preflight -> plan (sync planner) -> upload -> delete -> version ids. See app/deploy.hpp.
#include "wheelhouse/app/deploy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "wheelhouse/app/dist.hpp"
#include "wheelhouse/s3/network_credentials.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

constexpr const char* plugins_name = "plugins.zip";
constexpr const char* requirements_name = "requirements.txt";
constexpr const char* sbom_name = "sbom.cdx.json";

auto aws_error(std::string message, std::string hint = {}) -> Unexpected<Error> {
    return make_error(ErrorCode::aws, std::move(message), {}, std::move(hint));
}

auto interrupted_error() -> Unexpected<Error> {
    return aws_error("interrupted: the deploy stopped before it finished",
                     "objects uploaded so far are complete; no partial object or multipart upload was left");
}

auto cancelled(const DeployOptions& options) -> bool {
    return options.cancel != nullptr && options.cancel->load();
}

// Serialises reporter calls from worker threads, and tolerates a null reporter.
class Report {
public:
    explicit Report(DeployReporter* reporter) : m_reporter(reporter) {}
    template <class F>
    void operator()(F&& call) {
        if (m_reporter == nullptr) return;
        std::lock_guard lock(m_mutex);
        std::forward<F>(call)(*m_reporter);
    }

private:
    DeployReporter* m_reporter;
    std::mutex m_mutex;
};

class ProgressObserver final : public s3::UploadObserver {
public:
    ProgressObserver(Report& report, std::string key) : m_report(report), m_key(std::move(key)) {}
    void on_part_done(int /*part_number*/, std::uint64_t bytes_done, std::uint64_t total) override {
        m_report([&](DeployReporter& r) { r.on_upload_progress(m_key, bytes_done, total); });
    }
    void on_part_retry(int part_number, const Error& error) override {
        m_report([&](DeployReporter& r) { r.on_part_retry(m_key, part_number, error); });
    }

private:
    Report& m_report;
    std::string m_key;
};

// ---------------------------------------------------------------- preflight

auto check_versioning(s3::Client& client, const std::string& bucket, std::vector<PreflightCheck>& checks)
    -> Expected<void> {
    // The first request also proves the bucket exists and the credentials may read it.
    auto versioning = client.get_bucket_versioning(bucket);
    if (!versioning) {
        auto error = std::move(versioning).error();
        error.message = fmt::format("bucket s3://{} is not reachable: {}", bucket, error.message);
        if (error.hint.empty()) error.hint = "check the bucket name, --region / --endpoint-url and the credentials";
        return unexpected(std::move(error));
    }
    checks.push_back({"bucket", CheckStatus::passed, fmt::format("s3://{} is reachable", bucket)});
    PreflightCheck check{"versioning", CheckStatus::passed, "versioning is Enabled"};
    if (versioning->availability == s3::Availability::not_supported) {
        check.status = CheckStatus::failed;
        check.message = fmt::format("the server cannot report bucket versioning ({}); MWAA needs object version ids",
                                    versioning->detail);
    } else if (versioning->status != s3::VersioningStatus::enabled) {
        check.status = CheckStatus::failed;
        check.message = fmt::format(
            "versioning is {} on s3://{}; MWAA needs object version ids (enable it: aws s3api put-bucket-versioning "
            "--bucket {} --versioning-configuration Status=Enabled)",
            versioning->status == s3::VersioningStatus::suspended ? "Suspended" : "not enabled", bucket, bucket);
    }
    checks.push_back(std::move(check));
    return {};
}

auto check_public_access(s3::Client& client, const std::string& bucket, bool force) -> Expected<PreflightCheck> {
    auto block = client.get_public_access_block(bucket);
    PreflightCheck check{"public_access_block", CheckStatus::passed, "all four public access block settings are on"};
    if (!block) {
        // Deploy credentials often lack s3:GetBucketPublicAccessBlock; that is a failed check, not a failed deploy.
        if (block.error().code != ErrorCode::aws) return unexpected(std::move(block).error());
        check.status = force ? CheckStatus::forced : CheckStatus::failed;
        check.message = "cannot read the public access block: " + block.error().message;
        return check;
    }
    if (block->availability == s3::Availability::not_supported) {
        check.status = CheckStatus::warning;
        check.message = "the server does not support GetPublicAccessBlock; not checked";
        return check;
    }
    if (block->availability == s3::Availability::not_configured) {
        check.status = CheckStatus::failed;
        check.message = "the bucket has no public access block (MWAA requires public access to be blocked)";
    } else if (!block->all_blocked()) {
        std::vector<std::string> off;
        if (!block->block_public_acls) off.emplace_back("BlockPublicAcls");
        if (!block->ignore_public_acls) off.emplace_back("IgnorePublicAcls");
        if (!block->block_public_policy) off.emplace_back("BlockPublicPolicy");
        if (!block->restrict_public_buckets) off.emplace_back("RestrictPublicBuckets");
        check.status = CheckStatus::failed;
        check.message = fmt::format("public access is not fully blocked: {} off", util::join(off, ", "));
    }
    if (check.status == CheckStatus::failed && force) check.status = CheckStatus::forced;
    return check;
}

auto check_encryption(s3::Client& client, const DeployOptions& options) -> Expected<PreflightCheck> {
    auto encryption = client.get_bucket_encryption(options.bucket);
    PreflightCheck check{"encryption", CheckStatus::passed, ""};
    if (!encryption) {
        if (encryption.error().code != ErrorCode::aws) return unexpected(std::move(encryption).error());
        check.status = options.force ? CheckStatus::forced : CheckStatus::failed;
        check.message = "cannot read the default encryption: " + encryption.error().message;
        return check;
    }
    switch (encryption->availability) {
        case s3::Availability::not_supported:
            check.status = CheckStatus::warning;
            check.message = "the server does not report default bucket encryption; not checked";
            return check;
        case s3::Availability::not_configured:
            check.status = options.force ? CheckStatus::forced : CheckStatus::failed;
            check.message = "the bucket has no default encryption";
            return check;
        case s3::Availability::configured: break;
    }
    check.message = fmt::format("default encryption {}{}", encryption->algorithm,
                                encryption->kms_key_id.empty() ? "" : " with key " + encryption->kms_key_id);
    if (!options.kms_key_id.empty() && !encryption->kms_key_id.empty() &&
        encryption->kms_key_id != options.kms_key_id) {
        check.status = CheckStatus::warning;
        check.message += fmt::format("; uploads use --kms-key-id {} instead", options.kms_key_id);
    }
    return check;
}

// A multipart upload cut off by a crash or a kill (no abort sent) keeps its parts, billed, until something
// aborts it: a lifecycle rule should. Missing is a warning; deploy credentials often may not read the rules.
auto check_lifecycle(s3::Client& client, const std::string& bucket, const std::string& prefix)
    -> Expected<PreflightCheck> {
    PreflightCheck check{"lifecycle", CheckStatus::warning, ""};
    const std::string advice = fmt::format(
        "add a rule that aborts them (aws s3api put-bucket-lifecycle-configuration --bucket {} --lifecycle-"
        "configuration '{{\"Rules\":[{{\"ID\":\"abort-incomplete-uploads\",\"Status\":\"Enabled\",\"Filter\":{{}},"
        "\"AbortIncompleteMultipartUpload\":{{\"DaysAfterInitiation\":7}}}}]}}')",
        bucket);
    auto lifecycle = client.get_bucket_lifecycle(bucket);
    if (!lifecycle) {
        if (lifecycle.error().code != ErrorCode::aws) return unexpected(std::move(lifecycle).error());
        check.message = "cannot read the lifecycle rules: " + lifecycle.error().message;
        return check;
    }
    switch (lifecycle->availability) {
        case s3::Availability::not_supported:
            check.message = "the server does not report lifecycle rules; not checked";
            return check;
        case s3::Availability::not_configured:
            check.message = fmt::format(
                "s3://{} has no lifecycle rule that aborts incomplete multipart uploads: an upload cut off by a "
                "crash keeps its parts (and their cost) until it is aborted; {}",
                bucket, advice);
            return check;
        case s3::Availability::configured: break;
    }
    if (const auto* rule = lifecycle->abort_rule_for(prefix)) {
        check.status = CheckStatus::passed;
        check.message = fmt::format("lifecycle rule '{}' aborts incomplete multipart uploads after {} day(s)", rule->id,
                                    *rule->abort_incomplete_days);
        return check;
    }
    check.message = fmt::format(
        "no enabled lifecycle rule of s3://{} aborts incomplete multipart uploads under '{}': an upload cut off by a "
        "crash keeps its parts (and their cost) until it is aborted; {}",
        bucket, prefix, advice);
    return check;
}

auto preflight(s3::Client& client, const DeployOptions& options, const std::string& prefix, Report& report)
    -> Expected<std::vector<PreflightCheck>> {
    std::vector<PreflightCheck> checks;
    if (auto v = check_versioning(client, options.bucket, checks); !v) return unexpected(std::move(v).error());
    auto pab = check_public_access(client, options.bucket, options.force);
    if (!pab) return unexpected(std::move(pab).error());
    checks.push_back(std::move(*pab));
    auto enc = check_encryption(client, options);
    if (!enc) return unexpected(std::move(enc).error());
    checks.push_back(std::move(*enc));
    auto lifecycle = check_lifecycle(client, options.bucket, prefix);
    if (!lifecycle) return unexpected(std::move(lifecycle).error());
    checks.push_back(std::move(*lifecycle));
    for (const auto& c : checks) report([&](DeployReporter& r) { r.on_check(c); });

    std::vector<std::string> failed;
    bool only_forceable = true;
    for (const auto& c : checks) {
        if (c.status != CheckStatus::failed) continue;
        failed.push_back(fmt::format("{}: {}", c.name, c.message));
        if (c.name == "versioning" || c.name == "bucket") only_forceable = false;
    }
    if (!failed.empty()) {
        return aws_error(fmt::format("preflight failed for s3://{}: {}", options.bucket, util::join(failed, "; ")),
                         only_forceable ? "fix the bucket, or pass --force to deploy anyway"
                                        : "MWAA cannot use this bucket until this is fixed (--force does not "
                                          "override versioning)");
    }
    return checks;
}

// ---------------------------------------------------------------- local files

struct Local {
    s3::LocalFile file;
    s3::FileDigest digest;
};

auto hash_local(s3::Client& client, std::string key, const std::filesystem::path& path) -> Expected<Local> {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return make_error(ErrorCode::io, fmt::format("cannot read {}: {}", path.string(), ec.message()));
    auto digest = s3::hash_file(path, client.part_size_for(size), client.signs_payloads());
    if (!digest) return unexpected(std::move(digest).error());
    Local local;
    local.file =
        s3::LocalFile{std::move(key), path, digest->sha256, digest->size, s3::crc64nvme_header(digest->crc64nvme)};
    local.digest = std::move(*digest);
    return local;
}

auto remote_from(const std::string& key, const s3::ObjectInfo& info) -> s3::RemoteObject {
    s3::RemoteObject remote;
    remote.key = key;
    remote.size = info.size;
    remote.etag = info.etag;
    if (auto it = info.metadata.find("sha256"); it != info.metadata.end()) remote.sha256 = it->second;
    remote.checksums = info.checksums;
    return remote;
}

auto merge_plans(s3::SyncPlan a, s3::SyncPlan b) -> s3::SyncPlan {
    s3::SyncPlan out = std::move(a);
    for (std::size_t i = 0; i < b.upload.size(); ++i) {
        out.upload.push_back(std::move(b.upload[i]));
        out.upload_files.push_back(std::move(b.upload_files[i]));
    }
    out.skip.insert(out.skip.end(), std::make_move_iterator(b.skip.begin()), std::make_move_iterator(b.skip.end()));
    out.remove.insert(out.remove.end(), std::make_move_iterator(b.remove.begin()),
                      std::make_move_iterator(b.remove.end()));
    return out;
}

auto put_options(const DeployOptions& options) -> s3::PutOptions {
    s3::PutOptions put;
    if (options.no_encryption) {
        put.encryption = s3::Encryption::none;
        put.allow_unencrypted = true;
    } else {
        put.encryption = s3::Encryption::aws_kms;
        put.kms_key_id = options.kms_key_id;  // empty: the bucket's default key
    }
    put.cancel = options.cancel;
    return put;
}

auto make_client(const S3Connection& connection, std::size_t parallel_parts, std::atomic<bool>* cancel)
    -> Expected<s3::Client> {
    auto settings = connection.client;
    settings.max_parallel_parts = std::max<std::size_t>(1, parallel_parts);
    if (cancel != nullptr) settings.http.cancel = cancel;
    auto source = connection.credential_source ? connection.credential_source
                                               : s3::CredentialSource::fixed(connection.credentials);
    return s3::Client::create(std::move(source), std::move(settings));
}

}  // namespace

namespace {

auto is_hidden_name(std::string_view leaf) -> bool {
    // Airflow reads .airflowignore in the DAGs folder: it belongs to the DAGs, not to the machine they came from.
    return leaf.starts_with('.') && leaf != ".airflowignore";
}

auto is_bytecode(std::string_view leaf, bool directory) -> bool {
    if (directory) return leaf == "__pycache__";
    return leaf.size() > 4 && util::iequals(leaf.substr(leaf.size() - 4), ".pyc");
}

auto inside(const std::filesystem::path& root, const std::filesystem::path& target) -> bool {
    const auto rel = target.lexically_relative(root);
    return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

}  // namespace

auto list_dag_files(const std::filesystem::path& folder, const std::string& dags_prefix, bool include_hidden)
    -> Expected<DagFiles> {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto root = fs::canonical(folder, ec);
    if (ec || !fs::is_directory(root, ec)) {
        return make_error(ErrorCode::not_found, fmt::format("the DAGs folder {} does not exist", folder.string()),
                          Location{folder.string(), 0, 0}, "check the path given to --dags");
    }
    auto walk_error = [](const fs::path& where, const std::error_code& error) {
        return make_error(ErrorCode::io, fmt::format("cannot read the DAGs folder: {}", error.message()),
                          Location{where.string(), 0, 0},
                          "check that the DAGs folder and everything in it is readable by this user (an unreadable "
                          "file is never taken for a deleted one)");
    };
    auto refuse = [](const fs::path& where, std::string message, std::string hint) {
        return make_error(ErrorCode::invalid_input, std::move(message), Location{where.string(), 0, 0},
                          std::move(hint));
    };
    DagFiles out;
    // Links are never followed into folders (a loop cannot recurse, a link cannot pull in a tree from elsewhere);
    // a link to a file inside the folder is read through, as --plugins-dir does.
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) return walk_error(root, ec);
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) return walk_error(it->path(), ec);
        const auto& path = it->path();
        const auto leaf = path.filename().string();
        const auto relative = path.lexically_relative(root).generic_string();
        const auto status = it->symlink_status(ec);
        if (ec) return walk_error(path, ec);
        const bool directory = fs::is_directory(status);
        // Dotfiles (.git/config with a CI token, .env, an .aws link) and byte-compiled caches are local
        // artefacts of the machine the DAGs live on, not DAGs.
        if (!include_hidden && (is_hidden_name(leaf) || is_bytecode(leaf, directory))) {
            out.ignored.push_back(directory ? relative + "/" : relative);
            if (directory) it.disable_recursion_pending();
            continue;
        }
        if (directory) continue;
        fs::path source = path;
        if (fs::is_symlink(status)) {
            auto target = fs::canonical(path, ec);
            if (ec) {
                return refuse(
                    path,
                    fmt::format("symlink in the DAGs folder points nowhere ({})",
                                ec == std::errc::too_many_symbolic_link_levels ? "a loop of links" : ec.message()),
                    "remove the link or make it point to a file inside the DAGs folder");
            }
            const auto target_status = fs::status(target, ec);
            if (!ec && fs::is_directory(target_status)) {
                return refuse(path, "symlink in the DAGs folder points to a folder; links to folders are not followed",
                              "replace the link with a copy of what it points to, or remove it");
            }
            if (!inside(root, target)) {
                auto e = refuse(path, "symlink in the DAGs folder points outside it; deploy uploads only the folder",
                                "copy the file into the DAGs folder instead (a link could send any file, such as "
                                "~/.aws/credentials, to the bucket)");
                e.error.context = target.string();
                return e;
            }
            if (ec || !fs::is_regular_file(target_status)) {
                return refuse(path,
                              "symlink in the DAGs folder points to a special file; only links to files are followed",
                              "replace the link with a copy of what it points to, or remove it");
            }
            source = target;
        } else if (!fs::is_regular_file(status)) {
            return refuse(path, "the DAGs folder holds a special file (socket, device or FIFO)",
                          "remove it from the DAGs folder");
        }
        out.files.emplace_back(dags_prefix + relative, source);
    }
    std::sort(out.files.begin(), out.files.end());
    std::sort(out.ignored.begin(), out.ignored.end());
    return out;
}

auto to_string(CheckStatus status) -> const char* {
    switch (status) {
        case CheckStatus::passed: return "passed";
        case CheckStatus::warning: return "warning";
        case CheckStatus::failed: return "failed";
        case CheckStatus::forced: return "forced";
    }
    return "unknown";
}

auto normalize_prefix(std::string_view prefix) -> Expected<std::string> {
    std::vector<std::string> parts;
    for (auto part : util::split(prefix, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            return make_error(ErrorCode::usage, fmt::format("--prefix '{}' must not contain '..'", prefix));
        }
        parts.emplace_back(part);
    }
    if (parts.empty()) return std::string();
    return util::join(parts, "/") + "/";
}

auto update_environment_command(const std::string& environment_name, const Artifact& plugins,
                                const Artifact& requirements, const std::optional<std::string>& dags_path)
    -> std::vector<std::string> {
    std::vector<std::string> argv{"aws", "mwaa", "update-environment", "--name",
                                  environment_name.empty() ? "YOUR_ENVIRONMENT_NAME" : environment_name};
    if (dags_path) {
        argv.emplace_back("--dag-s3-path");
        argv.push_back(*dags_path);
    }
    argv.insert(argv.end(), {"--plugins-s3-path", plugins.path_in_bucket, "--plugins-s3-object-version",
                             plugins.version_id, "--requirements-s3-path", requirements.path_in_bucket,
                             "--requirements-s3-object-version", requirements.version_id});
    return argv;
}

auto resolve_s3_connection(const s3::AwsOptions& options, const s3::Environment& env) -> Expected<S3Connection> {
    auto files = s3::SharedFiles::load(env);
    if (!files) return unexpected(std::move(files).error());
    const auto profile = s3::choose_profile(options, env);
    if (auto exists = s3::check_profile_exists(profile, *files); !exists) return unexpected(std::move(exists).error());

    S3Connection connection;
    if (auto region = s3::resolve_region(options, env, *files, profile)) {
        connection.client.region = region->value;
        connection.region_source = region->source;
    } else {
        connection.client.region = "us-east-1";
        connection.region_source = "default";
    }
    if (auto url = s3::resolve_endpoint_url(options, env, *files, profile, "s3")) {
        auto endpoint = s3::Endpoint::parse(url->value);
        if (!endpoint) {
            auto error = std::move(endpoint).error();
            error.message = fmt::format("{} (from {}): {}", url->value, url->source, error.message);
            return unexpected(std::move(error));
        }
        connection.client.endpoint = std::move(*endpoint);
        connection.endpoint_source = url->source;
    }
    // S3 requests are signed; a ~/.netrc password must never be attached to them.
    connection.client.http.netrc = std::filesystem::path();
    if (options.timeout) {
        connection.client.http.connect_timeout = *options.timeout;
        connection.client.http.low_speed_time = *options.timeout;
    }
    if (auto ca = env.get("AWS_CA_BUNDLE")) connection.client.http.ca_bundle = std::filesystem::path(*ca);

    s3::NetworkProviderOptions network_options;
    network_options.http = connection.client.http;
    auto chain =
        s3::make_default_chain(env, *files, profile, s3::make_network_providers(env, *files, profile, network_options));
    auto source = chain.resolve_source();
    if (!source) return unexpected(std::move(source).error());
    auto credentials = (*source)->get();
    if (!credentials) return unexpected(std::move(credentials).error());
    connection.credentials = std::move(*credentials);
    connection.credential_source = std::move(*source);
    return connection;
}

auto deploy(const DeployOptions& options, const S3Connection& connection, DeployReporter* reporter)
    -> Expected<DeployResult> {
    Report report(reporter);
    DeployResult result;
    result.bucket = options.bucket;
    result.dry_run = options.dry_run;
    auto prefix = normalize_prefix(options.prefix);
    if (!prefix) return unexpected(std::move(prefix).error());
    result.prefix = *prefix;
    if (options.bucket.empty()) return make_error(ErrorCode::usage, "--bucket is required");
    if (options.delete_extra && !options.dags) {
        return make_error(ErrorCode::usage, "--delete needs --dags (it removes DAG objects with no local file)");
    }

    // Local inputs first: a typo in a path should not cost a round trip to S3.
    const auto plugins_path = options.dist / plugins_name;
    const auto requirements_path = options.dist / requirements_name;
    for (const auto& path : {plugins_path, requirements_path, options.dist / sbom_name}) {
        if (path.filename() == sbom_name && !options.upload_sbom) continue;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            return make_error(ErrorCode::not_found, fmt::format("{} does not exist", path.string()),
                              Location{path.string(), 0, 0}, "run `wheelhouse build` first; deploy uploads its dist/");
        }
    }
    const std::string dags_prefix = *prefix + "dags/";
    std::vector<std::pair<std::string, std::filesystem::path>> dags;
    if (options.dags) {
        auto listed = list_dag_files(*options.dags, dags_prefix, options.include_hidden);
        if (!listed) return unexpected(std::move(listed).error());
        dags = std::move(listed->files);
        result.ignored = std::move(listed->ignored);
        result.dags_path = *prefix + "dags";
    }

    const std::size_t jobs = std::max<std::size_t>(1, options.jobs);
    auto client = make_client(connection, jobs, options.cancel);
    if (!client) return unexpected(std::move(client).error());

    // The artifacts first, hashed once (the part hashes too, so that uploads never read a file twice to sign it),
    // then the dist/ folder checked as one build before anything goes over the network: a build killed between
    // its renames leaves a new requirements.txt next to an old plugins.zip, which must never be uploaded.
    std::map<std::string, s3::FileDigest> digests;
    std::vector<s3::LocalFile> artifact_files;
    std::map<std::string, std::string> dist_digests;
    for (const auto& [name, path] :
         {std::pair{plugins_name, plugins_path}, std::pair{requirements_name, requirements_path}}) {
        auto local = hash_local(*client, *prefix + name, path);
        if (!local) return unexpected(std::move(local).error());
        dist_digests[name] = local->file.sha256;
        digests[local->file.key] = std::move(local->digest);
        artifact_files.push_back(std::move(local->file));
    }
    const auto dist_check = check_dist(options.dist, dist_digests);
    if (!dist_check.ok()) return unexpected(dist_mismatch_error(options.dist, dist_check));
    PreflightCheck dist_state{"dist", CheckStatus::passed,
                              "plugins.zip, requirements.txt and constraints.txt match build-report.json"};
    if (!dist_check.report_found) {
        dist_state.status = CheckStatus::warning;
        dist_state.message =
            fmt::format("{} has no build-report.json: the files cannot be checked as one build", options.dist.string());
    }
    report([&](DeployReporter& r) { r.on_check(dist_state); });
    if (cancelled(options)) return interrupted_error();

    auto checks = preflight(*client, options, *prefix, report);
    if (!checks) return unexpected(std::move(checks).error());
    result.checks = std::move(*checks);
    result.checks.insert(result.checks.begin(), std::move(dist_state));
    if (cancelled(options)) return interrupted_error();

    std::vector<s3::LocalFile> dag_locals;
    for (const auto& [key, path] : dags) {
        if (cancelled(options)) return interrupted_error();
        auto local = hash_local(*client, key, path);
        if (!local) return unexpected(std::move(local).error());
        digests[local->file.key] = std::move(local->digest);
        dag_locals.push_back(std::move(local->file));
    }

    // The artifacts: a HEAD each (their version ids are needed even when unchanged).
    std::map<std::string, s3::ObjectInfo> current;
    {
        std::vector<std::string> keys{artifact_files[0].key, artifact_files[1].key};
        auto heads = client->head_objects(options.bucket, keys);
        std::vector<s3::RemoteObject> remote;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (!heads[i]) return unexpected(std::move(heads[i]).error());
            if (!*heads[i]) continue;
            remote.push_back(remote_from(keys[i], **heads[i]));
            current[keys[i]] = **heads[i];
        }
        result.plan = s3::plan_sync(artifact_files, std::move(remote), {});
    }
    // --upload-sbom: the SBOM beside the artifacts, skipped when the same bytes are there.
    if (options.upload_sbom) {
        auto local = hash_local(*client, *prefix + sbom_name, options.dist / sbom_name);
        if (!local) return unexpected(std::move(local).error());
        digests[local->file.key] = std::move(local->digest);
        auto head = client->head_object(options.bucket, local->file.key);
        if (!head) return unexpected(std::move(head).error());
        std::vector<s3::RemoteObject> remote;
        if (*head) remote.push_back(remote_from(local->file.key, **head));
        result.plan =
            merge_plans(std::move(result.plan), s3::plan_sync({std::move(local->file)}, std::move(remote), {}));
    }

    // The DAGs: a listing, then a HEAD only where size alone cannot decide.
    if (options.dags) {
        auto listing = client->list_objects(options.bucket, dags_prefix);
        if (!listing) return unexpected(std::move(listing).error());
        std::vector<s3::RemoteObject> remote;
        for (const auto& object : *listing) {
            // A zero-byte "folder/" marker made by the console is not a DAG file; never delete it.
            if (object.key.ends_with('/')) continue;
            remote.push_back(s3::RemoteObject{object.key, object.size, object.etag, std::nullopt, {}});
        }
        const auto inspect = s3::keys_to_inspect(dag_locals, remote);
        if (!inspect.empty()) {
            auto heads = client->head_objects(options.bucket, inspect);
            std::map<std::string, std::optional<std::string>> hashes;
            for (std::size_t i = 0; i < inspect.size(); ++i) {
                if (!heads[i]) return unexpected(std::move(heads[i]).error());
                if (*heads[i]) hashes[inspect[i]] = remote_from(inspect[i], **heads[i]).sha256;
            }
            for (auto& r : remote) {
                if (auto it = hashes.find(r.key); it != hashes.end()) r.sha256 = it->second;
            }
        }
        s3::SyncOptions sync;
        sync.delete_extra = options.delete_extra;
        result.plan =
            merge_plans(std::move(result.plan), s3::plan_sync(std::move(dag_locals), std::move(remote), sync));
    }
    report([&](DeployReporter& r) { r.on_plan(result.plan); });
    for (const auto& entry : result.plan.skip) result.skipped.push_back(entry.key);

    auto fill_artifact = [&](Artifact& artifact, const s3::LocalFile& file) {
        artifact.key = file.key;
        artifact.path_in_bucket = file.key;
        artifact.sha256 = file.sha256;
        artifact.size = file.size;
        artifact.crc64nvme = file.crc64nvme;
        if (auto it = current.find(file.key); it != current.end()) {
            artifact.version_id = it->second.version_id;
            artifact.sse = it->second.sse;
            artifact.kms_key_id = it->second.kms_key_id;
            auto crc = it->second.checksums.find("crc64nvme");
            artifact.checksum_confirmed = crc != it->second.checksums.end() && crc->second == file.crc64nvme;
        }
    };
    fill_artifact(result.plugins, artifact_files[0]);
    fill_artifact(result.requirements, artifact_files[1]);
    const auto in_upload = [&](const std::string& key) {
        return std::any_of(result.plan.upload.begin(), result.plan.upload.end(),
                           [&](const s3::SyncEntry& e) { return e.key == key; });
    };
    for (auto* artifact : {&result.plugins, &result.requirements}) {
        if (in_upload(artifact->key)) {
            artifact->uploaded = true;
            artifact->version_id.clear();  // the current object's id is not what MWAA should use
            artifact->sse.clear();
            artifact->kms_key_id.clear();
            artifact->checksum_confirmed = false;
        }
    }

    if (options.dry_run) {
        if (!result.plugins.uploaded && !result.requirements.uploaded) {
            result.update_environment = update_environment_command(options.environment_name, result.plugins,
                                                                   result.requirements, result.dags_path);
        }
        return result;
    }

    // Artifacts one at a time (each multipart upload is already parallel), then the DAGs in parallel.
    const auto put = put_options(options);
    std::vector<std::size_t> artifact_uploads;
    std::vector<std::size_t> dag_uploads;
    for (std::size_t i = 0; i < result.plan.upload.size(); ++i) {
        const auto& key = result.plan.upload[i].key;
        (key == result.plugins.key || key == result.requirements.key ? artifact_uploads : dag_uploads).push_back(i);
    }
    std::vector<std::optional<s3::PutResult>> put_results(result.plan.upload.size());

    auto upload_one = [&](s3::Client& c, std::size_t index) -> Expected<void> {
        const auto& file = result.plan.upload_files[index];
        report([&](DeployReporter& r) { r.on_upload_started(file.key, file.size); });
        ProgressObserver observer(report, file.key);
        auto digest = digests.find(file.key);
        auto uploaded =
            c.upload_file(options.bucket, file.key, file.path, put,
                          digest == digests.end() ? std::nullopt : std::optional(digest->second), &observer);
        if (!uploaded) {
            if (cancelled(options)) {
                auto e = interrupted_error();
                // The abort itself failed: say what is left instead of promising nothing is.
                if (uploaded.error().hint.find("abort-multipart-upload") != std::string::npos) {
                    e.error.hint = uploaded.error().hint;
                }
                return e;
            }
            return unexpected(std::move(uploaded).error());
        }
        report([&](DeployReporter& r) { r.on_uploaded(file.key, *uploaded); });
        put_results[index] = std::move(*uploaded);
        return {};
    };

    // Unfinished multipart uploads of a key: a deploy killed during one (SIGKILL, a crash: no abort sent) leaves it
    // behind, and so does a CreateMultipartUpload whose answer was lost and that the engine sent again (the server
    // made an upload the client never heard of). Before and after each multipart upload of an artifact, those of
    // its key are aborted, so that none outlives the deploy that made it or a rerun.
    auto abort_unfinished = [&](const s3::LocalFile& file) {
        if (client->part_size_for(file.size) == 0 || cancelled(options)) return;
        auto unfinished = client->list_multipart_uploads(options.bucket, file.key);
        if (!unfinished) return;  // may be forbidden (s3:ListBucketMultipartUploads): the lifecycle rule remains
        std::size_t aborted = 0;
        for (const auto& u : *unfinished) {
            if (u.key == file.key && client->abort_multipart_upload(options.bucket, u.key, u.upload_id)) ++aborted;
        }
        if (aborted == 0) return;
        PreflightCheck left{"unfinished_uploads", CheckStatus::warning,
                            fmt::format("aborted {} unfinished multipart upload(s) of s3://{}/{} (left by an "
                                        "interrupted deploy, or by a request sent again)",
                                        aborted, options.bucket, file.key)};
        report([&](DeployReporter& r) { r.on_check(left); });
        result.checks.push_back(std::move(left));
    };

    for (auto index : artifact_uploads) {
        if (cancelled(options)) return interrupted_error();
        abort_unfinished(result.plan.upload_files[index]);
        auto done = upload_one(*client, index);
        abort_unfinished(result.plan.upload_files[index]);
        if (!done) return unexpected(std::move(done).error());
    }

    if (!dag_uploads.empty()) {
        const std::size_t workers = std::min(jobs, dag_uploads.size());
        std::atomic<std::size_t> next{0};
        std::atomic<bool> stop{false};
        std::mutex error_mutex;
        std::optional<Error> first_error;
        auto work = [&](s3::Client& c) {
            while (!stop.load()) {
                const auto n = next.fetch_add(1);
                if (n >= dag_uploads.size()) return;
                if (cancelled(options)) {
                    stop = true;
                    return;
                }
                if (auto done = upload_one(c, dag_uploads[n]); !done) {
                    std::lock_guard lock(error_mutex);
                    if (!first_error) first_error = std::move(done).error();
                    stop = true;
                }
            }
        };
        // Each worker has its own client (a client's transfer engine is not shared between threads).
        std::vector<s3::Client> clients;
        for (std::size_t i = 1; i < workers; ++i) {
            auto extra = make_client(connection, 1, options.cancel);
            if (!extra) return unexpected(std::move(extra).error());
            clients.push_back(std::move(*extra));
        }
        std::vector<std::thread> threads;
        threads.reserve(clients.size());
        for (auto& c : clients) threads.emplace_back([&work, &c] { work(c); });
        work(*client);
        for (auto& t : threads) t.join();
        if (first_error) return unexpected(std::move(*first_error));
        if (cancelled(options)) return interrupted_error();
    }

    for (std::size_t i = 0; i < put_results.size(); ++i) {
        if (put_results[i]) result.uploaded.push_back(result.plan.upload[i].key);
    }
    for (auto* artifact : {&result.plugins, &result.requirements}) {
        if (!artifact->uploaded) continue;
        for (std::size_t i = 0; i < put_results.size(); ++i) {
            if (result.plan.upload[i].key != artifact->key || !put_results[i]) continue;
            artifact->version_id = put_results[i]->version_id;
            artifact->sse = put_results[i]->sse;
            artifact->kms_key_id = put_results[i]->kms_key_id;
            artifact->parts = put_results[i]->parts;
            artifact->checksum_confirmed = put_results[i]->checksum_confirmed;
        }
        if (artifact->version_id.empty()) {
            // Some servers leave x-amz-version-id off the PUT answer; the object's HEAD has it.
            auto head = client->head_object(options.bucket, artifact->key);
            if (!head) return unexpected(std::move(head).error());
            if (*head && (*head)->metadata["sha256"] == artifact->sha256) artifact->version_id = (*head)->version_id;
        }
        if (artifact->version_id.empty()) {
            return aws_error(
                fmt::format("s3://{}/{} was uploaded but the server gave no version id", options.bucket, artifact->key),
                "MWAA needs object version ids: is versioning really enabled on the bucket?");
        }
    }

    // Deletions last: a failed upload must leave the previous DAGs in place.
    if (!result.plan.remove.empty()) {
        if (cancelled(options)) return interrupted_error();
        std::vector<std::string> keys;
        for (const auto& entry : result.plan.remove) keys.push_back(entry.key);
        auto deleted = client->delete_objects(options.bucket, keys);
        if (!deleted) return unexpected(std::move(deleted).error());
        if (!deleted->errors.empty()) {
            const auto& first = deleted->errors.front();
            return aws_error(fmt::format("could not delete {} of {} objects; first: {}: {}: {}", deleted->errors.size(),
                                         keys.size(), first.key, first.code, first.message));
        }
        result.deleted = keys;
        report([&](DeployReporter& r) { r.on_deleted(keys); });
    }

    result.update_environment =
        update_environment_command(options.environment_name, result.plugins, result.requirements, result.dags_path);
    return result;
}

}  // namespace wheelhouse::app
