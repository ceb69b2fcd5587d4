#include "check_options.hpp"

#include "reference.hpp"

namespace wheelhouse::cli {

void PolicyFlags::add_to(CLI::App& command) {
    auto* group = command.add_option_group("Licence policy", "Which licences the bundled packages may have");
    group->add_option("--allow", allow, "SPDX ids allowed (comma-separated, repeatable); others fail")
        ->allow_extra_args(false);
    group->add_option("--deny", deny, "SPDX ids denied (comma-separated, repeatable)")->allow_extra_args(false);
    group->add_option("--license-policy", file, "TOML file with a [tool.wheelhouse.licenses] table (allow, deny)")
        ->type_name(file_type);
}

auto PolicyFlags::resolve() const -> Expected<licenses::Policy> {
    return app::load_policy(file.empty() ? std::nullopt : std::optional<std::filesystem::path>(file), allow, deny);
}

void AdvisoryFlags::add_to(CLI::App& command, bool required) {
    auto* group = command.add_option_group("Advisories", "Known vulnerabilities, offline (OSV records)");
    auto* option =
        group->add_option("--advisories", path, "Folder of OSV records (YAML or JSON) or an OSV export zip (all.zip)")
            ->type_name(file_type);
    if (required) option->required();
    group->add_option("--ignore", ignore, "Advisory id or alias to leave out (repeatable)")->allow_extra_args(false);
    group->add_option("--fail-on", fail_on, "any (default): findings fail; none: report only")
        ->check(CLI::IsMember({"any", "none"}));
}

auto AdvisoryFlags::resolve() const -> std::optional<app::AuditOptions> {
    if (path.empty()) return std::nullopt;
    app::AuditOptions options;
    options.advisories = path;
    options.ignore = ignore;
    options.fail_on = fail_on == "none" ? app::FailOn::none : app::FailOn::any;
    return options;
}

}  // namespace wheelhouse::cli
