// The `verify` pipeline: proves offline, from a built bundle alone, that pip on the MWAA target would install it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

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
};

// One thing that would make pip on MWAA fail (or do something else than intended). `kind` is stable, for
// scripts: missing_file, unreadable, no_index, find_links, constraint_missing, constraint_not_recognised,
// constraint_url, constraint_not_bundled, unsupported_line, invalid_wheel, incompatible_wheel,
// requires_python, sdist, missing_dependency, unsatisfiable, hash_mismatch, report_mismatch.
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
    std::vector<Problem> problems;

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

}  // namespace wheelhouse::app
