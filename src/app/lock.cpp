#include "wheelhouse/app/lock.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "wheelhouse/app/index_provider.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

// Files whose page gave no sha256 (a find-links folder, a plain HTML page): hash them, streaming, so that the
// lock and the pinned file can always say what they expect.
auto fill_missing_hashes(std::vector<LockedPackage>& packages, http::Engine& engine, http::Reporter* reporter)
    -> Expected<void> {
    std::vector<std::size_t> remote;
    std::vector<http::Request> requests;
    std::vector<std::unique_ptr<util::Sha256>> hashers;
    for (std::size_t i = 0; i < packages.size(); ++i) {
        auto& p = packages[i];
        if (!p.sha256.empty()) continue;
        if (auto path = index::file_url_path(p.url)) {
            auto bytes = util::read_file(*path);
            if (!bytes) return unexpected(std::move(bytes).error());
            p.sha256 = util::sha256_hex(*bytes);
            if (!p.size) p.size = bytes->size();
            continue;
        }
        hashers.push_back(std::make_unique<util::Sha256>());
        auto* hasher = hashers.back().get();
        remote.push_back(i);
        requests.emplace_back(p.url, http::Sink::callback(
                                         [hasher](std::string_view chunk) {
                                             hasher->update(chunk);
                                             return true;
                                         },
                                         [hasher] { *hasher = util::Sha256(); }));
    }
    if (requests.empty()) return {};
    auto results = engine.run(std::move(requests), reporter);
    for (std::size_t k = 0; k < remote.size(); ++k) {
        if (!results[k]) return unexpected(results[k].error());
        auto& p = packages[remote[k]];
        p.sha256 = hashers[k]->finish_hex();
        if (!p.size) p.size = results[k]->bytes;
    }
    return {};
}

// Index URLs in the pinned file: credentials never leave the process (pip finds them in ~/.netrc or a keyring).
auto public_url(std::string_view url) -> std::string {
    return util::stored_url(url);
}

}  // namespace

auto lock(const LockOptions& options) -> Expected<LockResult> {
    auto prepared = prepare_inputs(options.inputs, options.transfer);
    if (!prepared) return unexpected(std::move(prepared).error());
    auto resolved = resolve_for_target(*prepared, options.target, options.transfer, {options.inputs.cache_dir, {}});
    if (!resolved) return unexpected(std::move(resolved).error());

    LockResult result;
    result.target = options.target;
    result.notes = std::move(resolved->notes);
    result.packages = std::move(resolved->packages);
    result.requests = resolved->requests;
    const auto install = to_install(result.packages);
    for (std::size_t i : install) {
        const auto& p = result.packages[i];
        if (!p.is_wheel) {
            result.notes.push_back(fmt::format("{} {}: only an sdist ({}) is available for the target; {}", p.name,
                                               p.version, p.filename, resolve::sdist_hint));
        }
    }
    // Download hashes from the URL with credentials (the resolver's copy), then keep only the public one.
    std::vector<LockedPackage> with_credentials;
    for (std::size_t i : install) {
        with_credentials.push_back(result.packages[i]);
        with_credentials.back().url = resolved->fetch_urls[i];
    }
    if (auto ok = fill_missing_hashes(with_credentials, prepared->engine, options.transfer.reporter); !ok)
        return unexpected(std::move(ok).error());
    for (std::size_t k = 0; k < install.size(); ++k) {
        result.packages[install[k]].sha256 = with_credentials[k].sha256;
        result.packages[install[k]].size = with_credentials[k].size;
    }
    // Hash-checking mode (pip's): only the user's digests count, for dependencies too; the lock records a file
    // only if one of its requirement's --hash lines names it. What the image keeps needs no file.
    if (prepared->inputs.require_hashes) {
        for (std::size_t i : install) {
            const auto& p = result.packages[i];
            auto allowed = check_hash_allowed(prepared->inputs.hashes, p.name, p.version, p.filename, p.sha256);
            if (!allowed) return unexpected(std::move(allowed).error());
        }
    }
    result.inputs = std::move(prepared->inputs);
    return result;
}

auto lock_json(const LockResult& result) -> nlohmann::json {
    nlohmann::json doc;
    doc["lock_version"] = 1;
    doc["generator"] = "wheelhouse";
    const auto& t = result.target;
    doc["target"] = {{"name", t.name()},
                     {"implementation", t.implementation()},
                     {"python_version", t.python().to_string()},
                     {"python_full_version", t.python().full_version()},
                     {"abis", t.abis()},
                     {"platforms", t.platforms()}};
    auto files = nlohmann::json::array();
    for (const auto& f : result.inputs.files)
        files.push_back({{"kind", f.kind}, {"location", f.location}, {"sha256", f.sha256}});
    doc["inputs"] = files;
    auto constraints = nlohmann::json::array();
    for (const auto& c : result.inputs.constraints) {
        if (c.source != resolve::ConstraintSource::mwaa_essential) continue;
        constraints.push_back(c.requirement.to_string());
    }
    doc["mwaa_essential_pins"] = constraints;
    auto indexes = nlohmann::json::array();
    for (const auto& u : result.inputs.sources.index_urls) indexes.push_back(public_url(u));
    auto links = nlohmann::json::array();
    for (const auto& u : result.inputs.sources.find_links) links.push_back(public_url(u));
    doc["sources"] = {{"index_urls", indexes}, {"find_links", links}, {"no_index", result.inputs.sources.no_index}};
    doc["options"] = {{"pre", result.inputs.options.pre}, {"only_binary", result.inputs.options.only_binary}};
    auto packages = nlohmann::json::array();
    for (const auto& p : result.packages) packages.push_back(locked_package_json(p));
    doc["packages"] = packages;
    if (result.inputs.installed) doc["image"] = installed_set_json(*result.inputs.installed);
    doc["notes"] = result.notes;
    return doc;
}

auto lock_file_text(const LockResult& result) -> std::string {
    return lock_json(result).dump(2) + "\n";
}

auto packages_json(const LockResult& result) -> nlohmann::json {
    auto packages = nlohmann::json::array();
    for (const auto& p : result.packages) {
        nlohmann::json j = {{"name", p.name}, {"version", p.version}, {"filename", p.filename},
                            {"url", p.url},   {"sha256", p.sha256},   {"required_by", required_by_json(p.required_by)}};
        if (!p.provided_by.empty()) j["provided_by"] = p.provided_by;
        if (p.replaces) j["replaces"] = *p.replaces;
        packages.push_back(std::move(j));
    }
    return {{"packages", packages}, {"notes", result.notes}};
}

auto pinned_requirements(const LockResult& result) -> Expected<std::string> {
    std::string out = fmt::format(
        "# Generated by wheelhouse lock for {} ({}); do not edit.\n"
        "# Every package of the resolution is pinned with its hash: install with\n"
        "#   pip install --no-deps -r <this file>\n",
        result.target.name(), result.target.describe());
    const auto& sources = result.inputs.sources;
    if (sources.no_index || sources.index_urls.empty()) {
        out += "--no-index\n";
    } else {
        out += fmt::format("--index-url {}\n", public_url(sources.index_urls.front()));
        for (std::size_t i = 1; i < sources.index_urls.size(); ++i)
            out += fmt::format("--extra-index-url {}\n", public_url(sources.index_urls[i]));
    }
    for (const auto& link : sources.find_links) out += fmt::format("--find-links {}\n", public_url(link));
    for (const auto& host : result.inputs.trusted_hosts) out += fmt::format("--trusted-host {}\n", host);
    for (const auto& p : result.packages) {
        if (!p.provided_by.empty()) {
            out += fmt::format("# {}=={}: provided by the target's image (not installed from here)\n", p.name,
                               p.version.empty() ? "?" : p.version);
            continue;
        }
        if (p.sha256.empty()) {
            return make_error(ErrorCode::internal,
                              fmt::format("{} {}: no sha256 for {}", p.name, p.version, p.filename));
        }
        out += fmt::format("{}=={} \\\n    --hash=sha256:{}\n", p.name, p.version, p.sha256);
    }
    return out;
}

}  // namespace wheelhouse::app
