// The one resolution step `lock`, `build` and `mirror` share: inputs -> index provider -> resolution for the
// target (with the target image's installed set), and the transfer settings every network command shares.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/index_provider.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

// One package of a resolution as lock files and build reports write it.
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
    // "image": the target's image has this version installed and pip keeps it: nothing to bundle (filename, url
    // and sha256 are the index's file of that version when it has one, else empty; version "" if unknown).
    std::string provided_by;
    // Bundled, and installing it replaces the image's version (that version; "" when unknown).
    std::optional<std::string> replaces;
};

// How transfers run: parallelism, TLS trust, stall timeout, cancellation and the progress reporter.
struct TransferSettings {
    std::size_t jobs = 16;                      // transfers in flight
    std::optional<std::filesystem::path> cert;  // --cert (else SSL_CERT_FILE / REQUESTS_CA_BUNDLE / system)
    // --timeout: a connection not made, or a transfer with no progress, within this time is a stall (retried).
    std::optional<std::chrono::seconds> timeout;
    const std::atomic<bool>* cancel = nullptr;  // set from a signal handler: transfers stop at once
    http::Reporter* reporter = nullptr;
};

// The engine options for these settings (trusted hosts: those of the flags and of the files read).
auto http_options(const TransferSettings& transfer, const std::vector<std::string>& trusted_hosts) -> http::Options;

// The inputs, and an engine that trusts the hosts they name (requirement files may add --trusted-host lines).
struct PreparedInputs {
    Inputs inputs;
    http::Engine engine;
};
auto prepare_inputs(const InputOptions& options, const TransferSettings& transfer) -> Expected<PreparedInputs>;

// A resolution in the terms the commands write out.
struct ResolvedSet {
    // Every package of the resolution, sorted by name: public URLs (no credentials). A package the target's
    // image keeps has provided_by "image" and nothing to install (its index file is listed where there is one).
    std::vector<LockedPackage> packages;
    std::vector<std::string> fetch_urls;  // same order; credentials given back for the downloads ("" if no file)
    // Same order: the core metadata the resolution read for each file (none if it read none), for the check of
    // the downloaded wheel against it.
    std::vector<std::optional<ClientProvider::UsedMetadata>> used_metadata;
    std::vector<std::string> notes;
    std::size_t requests = 0;  // HTTP requests sent to package indexes
};

struct ResolveHooks {
    std::optional<std::filesystem::path> cache_dir;  // page and metadata cache (none: memory only)
    // Called for each file the prefetch takes for its project's likely version (build downloads those early).
    std::function<void(const index::Candidate&)> on_likely;
};

// Resolves the prepared inputs for the target through the package indexes, pip's hash-checking mode and the
// installed set applied.
auto resolve_for_target(PreparedInputs& prepared, const tags::Target& target, const TransferSettings& transfer,
                        const ResolveHooks& hooks) -> Expected<ResolvedSet>;

// The packages a bundle must hold (indexes into `packages`): the resolution minus what the image keeps.
auto to_install(const std::vector<LockedPackage>& packages) -> std::vector<std::size_t>;

// JSON as lock files and build reports write it: one package (name, version, filename, url, sha256, size, kind,
// extras, required_by, origin; provided_by and replaces when set), its reasons, and an installed set
// ({"preset", "source", "installed": [{"name", "version" or null}]}).
auto locked_package_json(const LockedPackage& package) -> nlohmann::json;
auto required_by_json(const std::vector<resolve::RequiredBy>& list) -> nlohmann::json;
auto installed_set_json(const InstalledSet& installed) -> nlohmann::json;

}  // namespace wheelhouse::app
