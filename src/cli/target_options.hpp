// The target options every command shares: --target PRESET, or pip's
// --python-version/--platform/--abi/--implementation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cli {

struct TargetFlags {
    std::string preset;
    std::string python_version;
    std::vector<std::string> platforms;
    std::vector<std::string> abis;
    std::string implementation;

    std::string installed_file;  // --installed FILE
    bool full_bundle = false;    // --full-bundle

    void add_to(CLI::App& command);
    // --installed FILE and (with full_bundle) --full-bundle: what the target already has installed.
    void add_image_options(CLI::App& command, bool with_full_bundle = true);
    // Sets the installed-set choice of `inputs`.
    void apply_to(app::InputOptions& inputs) const;
    [[nodiscard]] auto given() const -> bool;
    // The target these flags name; `preset` and the explicit flags are mutually exclusive.
    [[nodiscard]] auto resolve() const -> Expected<tags::Target>;
};

}  // namespace wheelhouse::cli
