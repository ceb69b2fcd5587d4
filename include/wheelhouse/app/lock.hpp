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
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

struct LockOptions {
    InputOptions inputs;
    tags::Target target;
    std::optional<std::filesystem::path> cert;  // --cert (else SSL_CERT_FILE / REQUESTS_CA_BUNDLE / system)
    std::size_t jobs = 16;                      // transfers in flight
    // --timeout: a connection not made, or a transfer with no progress, within this time is a stall (retried).
    std::optional<std::chrono::seconds> timeout;
    http::Reporter* reporter = nullptr;
};

struct LockedPackage {
    std::string name;  // canonical
    std::string version;
    std::string filename;
    std::string url;  // without credentials
    std::string sha256;
    std::optional<std::uint64_t> size;
    bool is_wheel = true;
    std::vector<std::string> extras;
    std::vector<resolve::RequiredBy> required_by;
    std::string origin;  // the index (no credentials) or find-links location that listed the file
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
