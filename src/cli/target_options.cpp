#include "target_options.hpp"

#include "reference.hpp"
#include "wheelhouse/image/image.hpp"

namespace wheelhouse::cli {

void TargetFlags::add_to(CLI::App& command) {
    auto* group = command.add_option_group("Target", "The MWAA environment (or interpreter) to package for");
    group->add_option("--target", preset, "MWAA preset, e.g. mwaa-2.10.3 (see 'wheelhouse targets')")
        ->type_name(target_type);
    group->add_option("--python-version", python_version, "Python version as pip spells it: 3.11, 311, 3.11.4");
    group
        ->add_option("--platform", platforms,
                     "Platform tag (repeatable); a manylinux_2_X tag includes every older level")
        ->allow_extra_args(false);
    group->add_option("--abi", abis, "ABI tag (repeatable), default cp<ver>")->allow_extra_args(false);
    group->add_option("--implementation", implementation, "Python implementation: cp (default) or py");
}

void TargetFlags::add_image_options(CLI::App& command, bool with_full_bundle) {
    auto* group = command.add_option_group("Image", "What the target environment already has installed");
    auto* installed = group
                          ->add_option("--installed", installed_file,
                                       "The environment's packages (pip freeze output); replaces the preset image's "
                                       "set: what they satisfy needs no wheel")
                          ->type_name(file_type);
    if (!with_full_bundle) return;
    auto* full = group->add_flag("--full-bundle", full_bundle,
                                 "Bundle the whole closure, also what the target's image already has");
    installed->excludes(full);
}

void TargetFlags::apply_to(app::InputOptions& inputs) const {
    if (!installed_file.empty()) inputs.installed_file = std::filesystem::path(installed_file);
    inputs.full_bundle = full_bundle;
}

auto TargetFlags::given() const -> bool {
    return !preset.empty() || !python_version.empty() || !platforms.empty() || !abis.empty() || !implementation.empty();
}

auto TargetFlags::resolve() const -> Expected<tags::Target> {
    bool explicit_flags = !python_version.empty() || !platforms.empty() || !abis.empty() || !implementation.empty();
    if (!preset.empty() && explicit_flags) {
        return make_error(ErrorCode::usage,
                          "--target cannot be combined with --python-version/--platform/--abi/--implementation", {},
                          "use either a preset or the explicit pip-style flags");
    }
    if (!preset.empty()) {
        auto found = image::find_preset(preset);
        if (!found) return unexpected(found.error());
        return found->target();
    }
    if (python_version.empty()) {
        return make_error(ErrorCode::usage, "no target given", {},
                          "pass --target mwaa-<airflow version> (see 'wheelhouse targets') or --python-version");
    }
    tags::TargetOptions options;
    options.python_version = python_version;
    options.platforms = platforms;
    options.abis = abis;
    if (!implementation.empty()) options.implementation = implementation;
    return tags::Target::from_options(options);
}

}  // namespace wheelhouse::cli
