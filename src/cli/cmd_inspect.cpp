// `wheelhouse inspect FILE.whl`: what a wheel is, what it needs, and whether the target can install it.
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "target_options.hpp"
#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cli {
namespace {

class InspectCommand final : public Command {
public:
    std::string m_path;
    TargetFlags m_target;

    auto run(const Terminal& terminal) -> int override {
        std::filesystem::path path(m_path);
        auto filename = tags::WheelFilename::parse(path.filename().string());
        if (!filename) {
            auto error = filename.error();
            error.location = Location{path.string(), 0, 0};
            error.message = "not a wheel file name: " + error.message;
            error.hint = "expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl";
            return report_error(terminal, error);
        }
        std::optional<tags::Target> target;
        if (m_target.given()) {
            auto resolved = m_target.resolve();
            if (!resolved) return report_error(terminal, resolved.error());
            target = std::move(*resolved);
        }
        auto contents = archive::read_wheel(path);
        if (!contents) return report_error(terminal, contents.error());
        auto meta = metadata::Metadata::parse(contents->metadata, contents->dist_info + "/METADATA");
        if (!meta) return report_error(terminal, meta.error());
        auto requires_dist = meta->requires_dist();
        if (!requires_dist) return report_error(terminal, requires_dist.error());

        auto bytes = util::read_file(path);
        if (!bytes) return report_error(terminal, bytes.error());
        auto sha256 = util::sha256_hex(*bytes);

        // The file name and the metadata must agree; pip refuses a wheel whose METADATA names another project.
        std::vector<std::string> problems;
        if (tags::normalize_name(meta->name) != filename->name()) {
            problems.push_back(
                fmt::format("METADATA Name '{}' does not match the file name '{}'", meta->name, filename->raw_name()));
        }
        if (auto v = meta->parsed_version(); v && !(*v == filename->version())) {
            problems.push_back(fmt::format("METADATA Version '{}' does not match the file name version '{}'",
                                           meta->version, filename->version_text()));
        }

        // The checks a downloaded wheel gets (RECORD digests and sizes, links, size limits): inspecting a wheel
        // before adding it with --find-links tells what the build would refuse.
        if (auto check = fetch::verify_wheel(path, path.filename().string()); !check) {
            const auto& e = check.error();
            problems.push_back(e.context.empty() ? e.message : fmt::format("{}: {}", e.context, e.message));
        }

        std::vector<std::string> tag_list;
        for (const auto& tag : filename->tags().expand()) tag_list.push_back(tag.to_string());
        std::vector<std::string> requires_list;
        for (const auto& req : *requires_dist) requires_list.push_back(req.to_string());

        std::optional<tags::Compatibility> compat;
        if (target) compat = target->rank(filename->tags());

        if (terminal.json()) {
            nlohmann::json j;
            j["filename"] = path.filename().string();
            j["name"] = filename->name();
            j["version"] = filename->version().to_string();
            j["build"] = filename->build() ? nlohmann::json(filename->build()->to_string()) : nlohmann::json(nullptr);
            j["tags"] = tag_list;
            j["size"] = bytes->size();
            j["sha256"] = sha256;
            j["metadata_version"] = meta->metadata_version;
            j["summary"] = meta->summary ? nlohmann::json(*meta->summary) : nlohmann::json(nullptr);
            j["requires_python"] =
                meta->requires_python ? nlohmann::json(*meta->requires_python) : nlohmann::json(nullptr);
            j["requires_dist"] = requires_list;
            j["provides_extra"] = meta->provides_extra;
            j["wheel_version"] = contents->wheel.wheel_version;
            j["root_is_purelib"] = contents->wheel.root_is_purelib;
            j["files"] = contents->record.size();
            j["problems"] = problems;
            if (target) {
                j["target"] = target->name();
                j["compatible"] = compat->compatible;
                if (compat->compatible) {
                    j["best_tag"] = compat->tag.to_string();
                    j["priority"] = compat->priority;
                } else {
                    j["reason"] = compat->reason;
                }
            }
            terminal.out_json(j);
        } else {
            std::string text;
            auto row = [&](std::string_view key, std::string_view value) {
                text += fmt::format("{:<16} {}\n", terminal.bold(std::string(key)), value);
            };
            row("name", filename->name());
            row("version", filename->version().to_string());
            if (filename->build()) row("build", filename->build()->to_string());
            row("tags", util::join(tag_list, ", "));
            row("size", fmt::format("{} bytes", bytes->size()));
            row("sha256", sha256);
            if (meta->summary) row("summary", *meta->summary);
            row("requires-python", meta->requires_python.value_or("(any)"));
            row("requires-dist",
                requires_list.empty() ? "(none)" : util::join(requires_list, "\n" + std::string(17, ' ')));
            if (!meta->provides_extra.empty()) row("extras", util::join(meta->provides_extra, ", "));
            row("files", fmt::format("{} in RECORD", contents->record.size()));
            for (const auto& p : problems) text += terminal.red("problem: ") + p + "\n";
            if (target) {
                if (compat->compatible) {
                    row("target",
                        fmt::format("{}: {} (best tag {}, rank {})", target->name(), terminal.green("compatible"),
                                    compat->tag.to_string(), compat->priority + 1));
                } else {
                    row("target",
                        fmt::format("{}: {}: {}", target->name(), terminal.red("incompatible"), compat->reason));
                }
            }
            terminal.out(text);
        }
        if (!problems.empty()) return exit_code_for(ErrorCode::verification);
        if (compat && !compat->compatible) return exit_code_for(ErrorCode::verification);
        return 0;
    }
};

}  // namespace

auto add_inspect_command(CLI::App& parent) -> std::pair<CLI::App*, std::unique_ptr<Command>> {
    auto command = std::make_unique<InspectCommand>();
    auto* sub =
        parent.add_subcommand("inspect", "Show a wheel's name, version, tags, dependencies and target compatibility");
    sub->add_option("file", command->m_path, "A .whl file")->required()->check(CLI::ExistingFile);
    command->m_target.add_to(*sub);
    sub->footer(
        "Examples:\n"
        "  wheelhouse inspect numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl --target "
        "mwaa-2.10.3\n"
        "  wheelhouse inspect demo_pkg-1.0.0-py3-none-any.whl --json\n"
        "With --target, exits 4 when the wheel cannot be installed on the target.");
    return {sub, std::move(command)};
}

auto report_error(const Terminal& terminal, const Error& error) -> int {
    if (terminal.json()) {
        auto doc = error_to_json(error);
        if (terminal.options().verbosity > 0 && !error.detail.empty()) doc["detail"] = error.detail;
        terminal.out_json(nlohmann::json{{"error", doc}});
    }
    terminal.error(error);
    return exit_code_for(error.code);
}

}  // namespace wheelhouse::cli
