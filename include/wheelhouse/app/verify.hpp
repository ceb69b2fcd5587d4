// The `verify` pipeline: proves offline, from a built bundle alone, that pip on the MWAA target would install it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/image/image.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

struct VerifyOptions {
    std::filesystem::path dist;  // holds plugins.zip, requirements.txt and (optionally) build-report.json
    tags::Target target;
    // The preset's MWAA essential pins are applied as MWAA applies them; nullopt for an explicit target.
    std::optional<image::Preset> preset;
    std::string plugins_path = "/usr/local/airflow/plugins";  // where MWAA unzips plugins.zip
    std::string wheel_dir;                                    // --wheel-dir the bundle was built with
    // The target's image: its installed packages (pip keeps what they satisfy), and the Airflow constraints file
    // MWAA adds with -c when no line of requirements.txt (comments included) has "-c " or "--constraint ".
    std::optional<InstalledSet> installed;
    std::optional<std::string> image_constraints;  // the text of that file
    std::string image_constraints_origin;          // e.g. "mwaa-2.10.3 image etc/airflow_constraints.txt"
};

// One thing that would make pip on MWAA fail (or do something else than intended). `kind` is stable, for
// scripts: missing_file, unreadable, no_index, find_links, constraint_missing, constraint_not_recognised,
// constraint_url, constraint_not_bundled, unsupported_line, invalid_wheel, incompatible_wheel,
// requires_python, sdist, missing_dependency, unsatisfiable, hash_mismatch, report_mismatch,
// replaces_image_package. Warnings (exit 0) use the same shape: unused_wheel, image_constraints.
struct Problem {
    std::string kind;
    std::string message;
    std::string file;  // "requirements.txt", "plugins.zip", a wheel's name ...; may be empty
    int line = 0;      // 1-based line in `file` when known
};

struct VerifiedWheel {
    std::string filename;
    std::string name;  // canonical
    std::string version;
    std::string sha256;
    std::uint64_t size = 0;
    bool compatible = false;
};

struct VerifyResult {
    std::string target;
    std::vector<VerifiedWheel> wheels;  // every wheel in the bundle, sorted by file name
    std::vector<std::string> installs;  // "name==version" that pip would install, sorted
    std::vector<std::string> kept;      // "name==version" the image already has and keeps, sorted
    std::vector<Problem> problems;
    std::vector<Problem> warnings;  // worth knowing, not a failure (an unused wheel: bytes MWAA unzips for nothing)
    // The effective command MWAA runs, as pip arguments (for the report).
    std::vector<std::string> command;

    [[nodiscard]] auto ok() const -> bool { return problems.empty(); }
};

// Never fails for a bad bundle: every finding is a Problem (the CLI exits 4 when there is one). An Error is
// returned only when the check itself cannot run (no temporary space).
auto verify(const VerifyOptions& options) -> Expected<VerifyResult>;

// {"ok", "target", "wheels": [...], "installs": [...], "problems": [{"kind", "message", "file", "line"}]}.
auto verify_json(const VerifyResult& result) -> nlohmann::json;

// The MWAA-facing checks of a requirements.txt on its text alone: the --no-index, --find-links and
// constraint lines. Returns the problems and the constraint file's path as written, if any.
struct RequirementsScan {
    std::vector<Problem> problems;
    std::optional<std::string> constraint_path;
    int constraint_line = 0;
    std::string requirement_text;  // the text with every handled option line blanked (line numbers kept)
};
auto scan_mwaa_requirements(std::string_view text, std::string_view plugins_path, std::string_view wheel_dir)
    -> RequirementsScan;

// MWAA's own test (python/mwaa/utils/user_requirements.py): it adds `-c $AIRFLOW_CONSTRAINTS_FILE` unless some
// line, comments included, contains "-c " or "--constraint ".
auto mwaa_adds_airflow_constraints(std::string_view requirements_text) -> bool;

}  // namespace wheelhouse::app
