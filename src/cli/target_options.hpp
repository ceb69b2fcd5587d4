// The target options every command shares: --target PRESET, or pip's
// --python-version/--platform/--abi/--implementation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cli {

struct TargetFlags {
    std::string preset;
    std::string python_version;
    std::vector<std::string> platforms;
    std::vector<std::string> abis;
    std::string implementation;

    void add_to(CLI::App& command);
    [[nodiscard]] auto given() const -> bool;
    // The target these flags name; `preset` and the explicit flags are mutually exclusive.
    [[nodiscard]] auto resolve() const -> Expected<tags::Target>;
};

}  // namespace wheelhouse::cli
