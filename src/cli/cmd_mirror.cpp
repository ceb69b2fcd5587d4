// `wheelhouse mirror`: a requirement set (or locks) -> a static PEP 503 / PEP 691 index in a folder or on S3.
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "reference.hpp"
#include "source_options.hpp"
#include "wheelhouse/app/mirror.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/image/image.hpp"
#include "wheelhouse/s3/config.hpp"

namespace wheelhouse::cli {
namespace {

class MirrorCommand final : public Command {
public:
    std::vector<std::string> m_requirements;
    std::vector<std::string> m_constraints;
    std::vector<std::string> m_locked;
    std::string m_advisories;
    std::vector<std::string> m_targets;
    std::string m_dest;
    bool m_prune = false;
    SourceOptions m_sources;
    bool m_offline = false;
    std::string m_profile;
    std::string m_region;
    std::string m_endpoint;
    std::string m_kms_key_id;
    bool m_no_encryption = false;

    auto run(const Terminal& terminal) -> int override {
        if (m_requirements.empty() && m_locked.empty()) {
            return report_error(terminal, make_error(ErrorCode::usage, "nothing to mirror", {},
                                                     "pass -r requirements.txt, or --locked LOCK")
                                              .error);
        }
        app::MirrorOptions options;
        for (const auto& name : m_targets) {
            auto preset = image::find_preset(name);
            if (!preset) return report_error(terminal, preset.error());
            options.targets.push_back({preset->target(), *preset});
        }
        if (!m_requirements.empty() && options.targets.empty()) {
            return report_error(terminal, make_error(ErrorCode::usage, "no target", {},
                                                     "pass --target (repeatable), e.g. --target mwaa-2.10.3")
                                              .error);
        }
        for (const auto& l : m_locked) options.locked.emplace_back(l);
        if (!m_advisories.empty()) options.advisories = std::filesystem::path(m_advisories);
        options.dest = m_dest;
        options.prune = m_prune;
        options.transfer = m_sources.transfer();
        options.offline = m_offline;
        options.kms_key_id = m_kms_key_id;
        options.no_encryption = m_no_encryption;
        options.cache_dir = m_sources.cache_root();
        auto& inputs = options.inputs;
        inputs.requirement_files = m_requirements;
        inputs.constraint_files = m_constraints;
        m_sources.apply_to(inputs);
        inputs.cache_dir = options.cache_dir;

        std::optional<app::S3Connection> connection;
        auto location = app::parse_s3_location(m_dest);
        if (!location) return report_error(terminal, location.error());
        if (*location) {
            if (m_no_encryption && !m_kms_key_id.empty()) {
                return report_error(
                    terminal, make_error(ErrorCode::usage, "--no-encryption and --kms-key-id contradict each other", {},
                                         "pick one")
                                  .error);
            }
            s3::AwsOptions aws;
            if (!m_profile.empty()) aws.profile = m_profile;
            if (!m_region.empty()) aws.region = m_region;
            if (!m_endpoint.empty()) aws.endpoint_url = m_endpoint;
            auto resolved = app::resolve_s3_connection(aws, s3::Environment::current());
            if (!resolved) return report_error(terminal, resolved.error());
            connection = std::move(*resolved);
            if (m_no_encryption) terminal.warn("--no-encryption: objects are uploaded without server-side encryption");
        }
        auto result = app::mirror(options, connection ? &*connection : nullptr);
        if (!result) return report_error(terminal, result.error());
        for (const auto& w : result->warnings) terminal.warn(w);
        if (terminal.json()) {
            terminal.out_json(app::mirror_report_json(*result));
            return 0;
        }
        std::string text;
        for (const auto& key : result->written) text += fmt::format("{}  {}\n", terminal.green("wrote"), key);
        text += fmt::format("{} files for {} projects -> {}: {} written, {} already there, {} pages updated{}",
                            result->files.size(), result->projects.size(), result->dest, result->written.size(),
                            result->skipped.size(), result->pages.size(),
                            m_prune ? fmt::format(", {} removed", result->removed.size()) : std::string());
        terminal.out(text);
        return 0;
    }
};

}  // namespace

auto add_mirror_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<MirrorCommand>();
    auto* sub = parent.add_subcommand(
        "mirror", "Publish the wheels a requirement set needs as a static package index (folder or S3)");
    auto& c = *command;
    sub->add_option("-r,--requirement", c.m_requirements, "Requirements file (path or URL; repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("-c,--constraint", c.m_constraints, "Constraints file (repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("--locked", c.m_locked, "Publish exactly the packages of this lock file (repeatable)")
        ->type_name(file_type)
        ->allow_extra_args(false);
    sub->add_option("--target", c.m_targets, "MWAA preset to resolve for (repeatable), e.g. mwaa-2.10.3")
        ->type_name(target_type)
        ->allow_extra_args(false);
    sub->add_option("--advisories", c.m_advisories,
                    "OSV records (folder or export zip) to copy to <dest>/advisories/ with the index")
        ->type_name(file_type);
    sub->add_option("--dest", c.m_dest, "Folder, or s3://bucket/prefix, that holds the index")
        ->type_name(dir_type)
        ->required();
    sub->add_flag("--prune", c.m_prune, "List only this run's files, and remove what no page lists any more");
    c.m_sources.add_to(*sub);
    sub->add_flag("--offline", c.m_offline, "Take wheels from the cache only (no downloads)");
    auto* aws = sub->add_option_group("S3 destination", "For --dest s3://..., as the AWS CLI spells it");
    aws->add_option("--profile", c.m_profile, "AWS profile (default: AWS_PROFILE, else default)");
    aws->add_option("--region", c.m_region, "AWS region (default: AWS_REGION, the profile, us-east-1)");
    aws->add_option("--endpoint-url", c.m_endpoint,
                    "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile)");
    aws->add_option("--kms-key-id", c.m_kms_key_id, "SSE-KMS key (id or ARN); default: the bucket's default KMS key");
    aws->add_flag("--no-encryption", c.m_no_encryption, "Upload WITHOUT server-side encryption (explicit opt-out)");
    sub->footer(
        "Writes DEST/files/<wheel> (+ .metadata, PEP 658), DEST/simple/index.html|json and\n"
        "DEST/simple/<project>/index.html|json (PEP 503 / PEP 691, relative URLs). Incremental: files already\n"
        "there with the same sha256 are kept; pages list what was there and what is new (unless --prune);\n"
        "files go first and pages last, each replaced atomically.\n"
        "Examples:\n"
        "  wheelhouse mirror -r requirements.txt --target mwaa-2.10.3 --target mwaa-2.11.0 --dest /srv/pypi\n"
        "  wheelhouse mirror --locked wheelhouse.lock.json --dest s3://my-bucket/pypi --kms-key-id alias/pypi");
    return {sub, std::move(command)};
}

}  // namespace wheelhouse::cli
