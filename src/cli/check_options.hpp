// Options of the bundle checks that several commands share: the licence policy (--allow, --deny,
// --license-policy) and the advisory audit (--advisories, --ignore, --fail-on).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wheelhouse/app/audit.hpp"
#include "wheelhouse/licenses/licenses.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cli {

struct PolicyFlags {
    std::vector<std::string> allow;
    std::vector<std::string> deny;
    std::string file;

    void add_to(CLI::App& command);
    [[nodiscard]] auto resolve() const -> Expected<licenses::Policy>;
};

struct AdvisoryFlags {
    std::string path;
    std::vector<std::string> ignore;
    std::string fail_on = "any";

    // `required`: the command is the audit itself (--advisories must be given).
    void add_to(CLI::App& command, bool required);
    // nullopt when --advisories was not given.
    [[nodiscard]] auto resolve() const -> std::optional<app::AuditOptions>;
};

}  // namespace wheelhouse::cli
