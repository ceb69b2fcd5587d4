// `wheelhouse deploy dist/ --bucket NAME`: upload plugins.zip, requirements.txt and the DAGs to the MWAA bucket and
// print the version ids and the `aws mwaa update-environment` arguments.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "interrupt.hpp"
#include "wheelhouse/app/deploy.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cli {
namespace {

// A word as a POSIX shell would read it back.
auto shell_quote(const std::string& word) -> std::string {
    if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                "-_./=:+,@%") == std::string::npos) {
        return word;
    }
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

auto human_size(std::uint64_t bytes) -> std::string {
    if (bytes >= 1024ULL * 1024) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    if (bytes >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
    return fmt::format("{} B", bytes);
}

class TerminalReporter final : public app::DeployReporter {
public:
    explicit TerminalReporter(const Terminal& terminal)
        : m_terminal(terminal),
          m_progress(!terminal.options().quiet && !terminal.json() && ::isatty(STDERR_FILENO) == 1) {}

    void on_check(const app::PreflightCheck& check) override {
        switch (check.status) {
            case app::CheckStatus::passed:
                m_terminal.info(fmt::format("preflight {}: ok: {}", check.name, check.message));
                break;
            case app::CheckStatus::warning:
                m_terminal.warn(fmt::format("preflight {}: {}", check.name, check.message));
                break;
            case app::CheckStatus::forced:
                m_terminal.warn(fmt::format("preflight {}: {} (continuing: --force)", check.name, check.message));
                break;
            case app::CheckStatus::failed:
                m_terminal.info(fmt::format("preflight {}: FAILED: {}", check.name, check.message));
                break;
        }
    }
    void on_plan(const s3::SyncPlan& plan) override {
        m_terminal.info(fmt::format("plan: {} to upload, {} unchanged, {} to delete", plan.upload.size(),
                                    plan.skip.size(), plan.remove.size()));
        for (const auto& e : plan.upload)
            m_terminal.info(fmt::format("  upload  {} ({})", e.key, s3::to_string(e.reason)));
        if (m_terminal.options().verbosity > 0) {
            for (const auto& e : plan.skip) m_terminal.info(fmt::format("  keep    {}", e.key));
        }
        for (const auto& e : plan.remove) m_terminal.info(fmt::format("  delete  {}", e.key));
    }
    void on_upload_started(const std::string& key, std::uint64_t size) override {
        if (m_terminal.options().verbosity > 0 || size >= 16ULL * 1024 * 1024) {
            m_terminal.info(fmt::format("uploading {} ({})", key, human_size(size)));
        }
    }
    void on_upload_progress(const std::string& key, std::uint64_t done, std::uint64_t total) override {
        if (!m_progress || total == 0) return;
        std::fprintf(stderr, "\r  %s: %3d%% of %s", key.c_str(), static_cast<int>(done * 100 / total),
                     human_size(total).c_str());
        if (done >= total) std::fputc('\n', stderr);
    }
    void on_part_retry(const std::string& key, int part, const Error& error) override {
        m_terminal.warn(fmt::format("{}: part {} failed, retrying: {}", key, part, error.message));
    }
    void on_uploaded(const std::string& key, const s3::PutResult& result) override {
        m_terminal.info(fmt::format("uploaded {}{}{}", key,
                                    result.version_id.empty() ? "" : " version " + result.version_id,
                                    result.sse.empty() ? " (no server-side encryption)" : " (" + result.sse + ")"));
    }
    void on_deleted(const std::vector<std::string>& keys) override {
        m_terminal.info(fmt::format("deleted {} object(s)", keys.size()));
    }

private:
    const Terminal& m_terminal;
    bool m_progress;
};

auto to_json(const app::DeployResult& r) -> nlohmann::json {
    nlohmann::json j;
    j["bucket"] = r.bucket;
    j["prefix"] = r.prefix;
    j["dry_run"] = r.dry_run;
    j["uploaded"] = r.uploaded;
    j["skipped"] = r.skipped;
    j["deleted"] = r.deleted;
    j["ignored"] = r.ignored;
    auto id = [](const app::Artifact& a) {
        return a.version_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.version_id);
    };
    j["version_ids"] = {{"plugins", id(r.plugins)}, {"requirements", id(r.requirements)}};
    auto artifact = [&](const app::Artifact& a) {
        return nlohmann::json{{"key", a.key},
                              {"sha256", a.sha256},
                              {"size", a.size},
                              {"uploaded", a.uploaded},
                              {"version_id", id(a)},
                              {"sse", a.sse},
                              {"kms_key_id", a.kms_key_id},
                              {"parts", a.parts},
                              {"crc64nvme", a.crc64nvme},
                              {"checksum_confirmed", a.checksum_confirmed}};
    };
    j["objects"] = {{"plugins", artifact(r.plugins)}, {"requirements", artifact(r.requirements)}};
    nlohmann::json plan = {
        {"upload", nlohmann::json::array()}, {"skip", nlohmann::json::array()}, {"delete", nlohmann::json::array()}};
    for (const auto& e : r.plan.upload) plan["upload"].push_back({{"key", e.key}, {"reason", s3::to_string(e.reason)}});
    for (const auto& e : r.plan.skip) plan["skip"].push_back({{"key", e.key}, {"reason", s3::to_string(e.reason)}});
    for (const auto& e : r.plan.remove) plan["delete"].push_back({{"key", e.key}, {"reason", s3::to_string(e.reason)}});
    j["plan"] = plan;
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : r.checks) {
        checks.push_back({{"name", c.name}, {"status", app::to_string(c.status)}, {"message", c.message}});
    }
    j["checks"] = checks;
    j["update_environment"] = r.update_environment;
    return j;
}

class DeployCommand final : public Command {
public:
    std::string m_dist;
    app::DeployOptions m_options;
    std::string m_dags;
    s3::AwsOptions m_aws;
    std::string m_profile;
    std::string m_region;
    std::string m_endpoint;
    std::size_t m_jobs = 8;
    unsigned m_timeout = 0;

    auto run(const Terminal& terminal) -> int override {
        m_options.dist = m_dist;
        if (!m_dags.empty()) m_options.dags = std::filesystem::path(m_dags);
        if (!m_profile.empty()) m_aws.profile = m_profile;
        if (!m_region.empty()) m_aws.region = m_region;
        if (!m_endpoint.empty()) m_aws.endpoint_url = m_endpoint;
        if (m_timeout > 0) m_aws.timeout = std::chrono::seconds(m_timeout);
        m_options.jobs = m_jobs;
        if (m_options.no_encryption && !m_options.kms_key_id.empty()) {
            return report_error(
                terminal,
                Error{ErrorCode::usage, "--no-encryption and --kms-key-id contradict each other", {}, "pick one", {}});
        }

        auto connection = app::resolve_s3_connection(m_aws, s3::Environment::current());
        if (!connection) return report_error(terminal, connection.error());
        if (terminal.options().verbosity > 0) {
            terminal.info(fmt::format(
                "credentials from {}; region {} ({}){}", connection->credentials.source, connection->client.region,
                connection->region_source,
                connection->endpoint_source.empty() ? "" : "; endpoint from " + connection->endpoint_source));
        }
        if (m_options.no_encryption)
            terminal.warn("--no-encryption: objects are uploaded without server-side encryption");

        // Ctrl-C stops every transfer at once; the client then aborts an unfinished multipart upload, and a second
        // Ctrl-C does not cut that short (a third does).
        install_interrupt_handlers(true);
        m_options.cancel = &interrupt_flag();
        TerminalReporter reporter(terminal);
        auto result = app::deploy(m_options, *connection, &reporter);
        if (!result) {
            int code = report_error(terminal, result.error());
            return interrupt_flag().load() ? k_interrupted_exit : code;
        }
        if (!result->ignored.empty()) {
            terminal.info(
                fmt::format("DAGs: {} hidden or byte-compiled path(s) left out (--include-hidden uploads "
                            "them){}{}",
                            result->ignored.size(), terminal.options().verbosity > 0 ? ": " : "",
                            terminal.options().verbosity > 0 ? util::join(result->ignored, ", ") : ""));
        }
        if (terminal.json()) {
            terminal.out_json(to_json(*result));
            return 0;
        }
        std::string text;
        if (result->dry_run) text += terminal.bold("dry run: nothing was written") + "\n";
        auto row = [&](const app::Artifact& a) {
            std::string state =
                result->dry_run ? (a.uploaded ? "would upload" : "unchanged") : (a.uploaded ? "uploaded" : "unchanged");
            text += fmt::format("{:<18} {:<34} {}\n", a.key, a.version_id.empty() ? "-" : a.version_id,
                                terminal.dim(state));
        };
        text += terminal.bold(fmt::format("s3://{}/{}", result->bucket, result->prefix)) + "\n";
        row(result->plugins);
        row(result->requirements);
        if (!result->dry_run) {
            text += fmt::format("{} uploaded, {} unchanged, {} deleted\n", result->uploaded.size(),
                                result->skipped.size(), result->deleted.size());
        }
        if (!result->update_environment.empty()) {
            std::vector<std::string> words;
            for (const auto& w : result->update_environment) words.push_back(shell_quote(w));
            text += "\nUpdate the environment with:\n  " + util::join(words, " ") + "\n";
        }
        terminal.out(text);
        return 0;
    }
};

}  // namespace

auto add_deploy_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<DeployCommand>();
    auto& o = command->m_options;
    auto* sub = parent.add_subcommand(
        "deploy", "Upload plugins.zip, requirements.txt and DAGs to the MWAA bucket and print the version ids");
    sub->add_option("dist", command->m_dist, "The folder `wheelhouse build` wrote (plugins.zip, requirements.txt)")
        ->required()
        ->check(CLI::ExistingDirectory);
    sub->add_option("--bucket", o.bucket, "The environment's S3 bucket")->required();
    sub->add_option("--prefix", o.prefix, "Key prefix inside the bucket (default: the bucket root)");
    sub->add_option("--kms-key-id", o.kms_key_id, "SSE-KMS key (id or ARN); default: the bucket's default KMS key");
    sub->add_flag("--no-encryption", o.no_encryption, "Upload WITHOUT server-side encryption (explicit opt-out)");
    sub->add_option("--dags", command->m_dags, "Sync this DAGs folder to <prefix>dags/")->check(CLI::ExistingDirectory);
    sub->add_flag("--delete", o.delete_extra, "With --dags: delete objects under <prefix>dags/ with no local file");
    sub->add_flag("--include-hidden", o.include_hidden,
                  "With --dags: also upload dotfiles and dot-folders, __pycache__ and *.pyc (left out by default)");
    sub->add_flag("--dry-run", o.dry_run, "Check the bucket and show the plan; write nothing");
    sub->add_flag("--upload-sbom", o.upload_sbom, "Also upload dist/sbom.cdx.json (not uploaded otherwise)");
    sub->add_flag("--force", o.force,
                  "Deploy even if public access is not fully blocked or the bucket has no default encryption "
                  "(never overrides versioning)");
    sub->add_option("--environment-name", o.environment_name, "MWAA environment name for the printed command");
    sub->add_option("--jobs", command->m_jobs, "Parallel uploads (DAG files, multipart parts)")
        ->check(CLI::Range(1, 64));
    sub->add_option("--timeout", command->m_timeout,
                    "Seconds without a connection or without progress before a request is retried (default: 10 to "
                    "connect, 30 idle)")
        ->check(CLI::Range(1, 3600));
    sub->add_option("--profile", command->m_profile, "AWS profile (default: AWS_PROFILE, else default)");
    sub->add_option("--region", command->m_region, "AWS region (default: AWS_REGION, the profile, us-east-1)");
    sub->add_option("--endpoint-url", command->m_endpoint,
                    "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile)");
    sub->footer(
        "Examples:\n"
        "  wheelhouse deploy dist/ --bucket my-mwaa-bucket --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/... \\\n"
        "      --dags dags/ --delete --environment-name my-env\n"
        "  wheelhouse deploy dist/ --bucket my-mwaa-bucket --dry-run --json\n"
        "Preflight: the bucket must have versioning Enabled (always required); public access blocked and default\n"
        "encryption are checked too (--force continues when they fail); a bucket without a lifecycle rule that aborts\n"
        "incomplete multipart uploads is a warning. dist/ must be one build: every file is checked against\n"
        "build-report.json first (a mismatch exits 4 and uploads nothing). Unchanged files (same size, sha256 in\n"
        "x-amz-meta-sha256 and, where S3 keeps one, the same CRC64NVME checksum) are not uploaded again. Every\n"
        "upload carries a CRC64NVME full-object checksum and is checked with a HEAD before its version id is\n"
        "shown. Ctrl-C stops the transfers, aborts a multipart upload (a second Ctrl-C waits for that) and exits 130.\n"
        "DAGs: links are followed only to files inside the folder (a link out of it, a broken link or a loop is\n"
        "an error); dotfiles and dot-folders (but .airflowignore), __pycache__ and *.pyc stay local unless\n"
        "--include-hidden.\n"
        "Credentials: the AWS CLI's chain (environment, --profile / AWS_PROFILE with the shared files,\n"
        "credential_process, web identity, container credentials, IMDSv2).");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
