// The `lock` pipeline: inputs -> resolution for the target -> lock file (JSON) and a pip-compatible pinned
// requirements file with hashes. Same inputs, same bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/app/resolution.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

struct LockOptions {
    InputOptions inputs;
    tags::Target target;
    TransferSettings transfer;
};


struct LockResult {
    tags::Target target;
    Inputs inputs;
    std::vector<LockedPackage> packages;  // sorted by name
    std::vector<std::string> notes;
    std::size_t requests = 0;  // HTTP requests sent (for -v)
};

auto lock(const LockOptions& options) -> Expected<LockResult>;

// The lock file: deterministic JSON (sorted keys, no timestamps), ending with a newline.
auto lock_json(const LockResult& result) -> nlohmann::json;
auto lock_file_text(const LockResult& result) -> std::string;
// `--json` on stdout: {"packages": [{name, version, filename, url, sha256, required_by}]}.
auto packages_json(const LockResult& result) -> nlohmann::json;
// pip-compatible requirements: index options, then `name==version` with `--hash=sha256:` lines, sorted.
auto pinned_requirements(const LockResult& result) -> Expected<std::string>;

}  // namespace wheelhouse::app
