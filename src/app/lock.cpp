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

auto required_by_json(const std::vector<resolve::RequiredBy>& list) -> nlohmann::json {
    auto out = nlohmann::json::array();
    for (const auto& r : list) {
        out.push_back({{"parent", r.parent}, {"requirement", r.requirement}, {"origin", r.origin}});
    }
    return out;
}

// Index URLs in the pinned file: credentials never leave the process (pip finds them in ~/.netrc or a keyring).
auto public_url(std::string_view url) -> std::string {
    return util::stored_url(url);
}

}  // namespace

auto lock(const LockOptions& options) -> Expected<LockResult> {
    http::Options http_options;
    http_options.max_concurrency = std::max<std::size_t>(1, options.jobs);
    http_options.max_per_host = http_options.max_concurrency;
    http_options.ca_bundle = options.cert;
    if (options.timeout) {
        http_options.connect_timeout = *options.timeout;
        http_options.low_speed_time = *options.timeout;
    }
    // Trusted hosts may come from files too: read the inputs with the flags' list, then rebuild the engine.
    http_options.trusted_hosts = options.inputs.flags.trusted_hosts;
    auto engine = http::Engine::create(http_options);
    if (!engine) return unexpected(std::move(engine).error());
    auto inputs = read_inputs(options.inputs, *engine);
    if (!inputs) return unexpected(std::move(inputs).error());
    if (inputs->trusted_hosts != http_options.trusted_hosts) {
        http_options.trusted_hosts = inputs->trusted_hosts;
        engine = http::Engine::create(http_options);
        if (!engine) return unexpected(std::move(engine).error());
    }
    if (inputs->sources.index_urls.empty() && inputs->sources.find_links.empty()) {
        return make_error(ErrorCode::usage, "no package source: --no-index without --find-links", {},
                          "pass --find-links DIR, or drop --no-index");
    }

    index::ClientOptions client_options;
    client_options.sources = inputs->sources;
    client_options.cache_dir = options.inputs.cache_dir;
    auto client = index::Client::create(*engine, client_options);
    if (!client) return unexpected(std::move(client).error());

    ClientProvider provider(*client, options.target, inputs->options.pre, options.reporter);
    provider.set_constraints(inputs->constraints);
    if (inputs->require_hashes) provider.set_allowed_hashes(inputs->hashes);
    resolve::Request request;
    request.requirements = inputs->requirements;
    request.constraints = inputs->constraints;
    request.target = options.target;
    request.options = inputs->options;
    auto resolution = resolve::resolve(request, provider);
    if (!resolution) return unexpected(std::move(resolution).error());

    LockResult result;
    result.target = options.target;
    result.notes = resolution->notes;
    for (const auto& p : resolution->packages) {
        LockedPackage locked;
        locked.name = p.name;
        locked.version = p.version.to_string();
        locked.filename = p.file.filename;
        locked.url = public_url(p.file.url);
        if (auto it = p.file.hashes.find("sha256"); it != p.file.hashes.end()) locked.sha256 = it->second;
        locked.size = p.file.size;
        locked.is_wheel = p.is_wheel;
        locked.extras = p.extras;
        locked.required_by = p.required_by;
        locked.origin = provider.origin(p.file.url);
        if (!p.is_wheel) {
            result.notes.push_back(fmt::format("{} {}: only an sdist ({}) is available for the target; {}", p.name,
                                               locked.version, p.file.filename, resolve::sdist_hint));
        }
        result.packages.push_back(std::move(locked));
    }
    // Download hashes from the URL with credentials (the resolver's copy), then keep only the public one.
    std::vector<LockedPackage> with_credentials = result.packages;
    for (std::size_t i = 0; i < with_credentials.size(); ++i)
        with_credentials[i].url = resolution->packages[i].file.url;
    if (auto ok = fill_missing_hashes(with_credentials, *engine, options.reporter); !ok)
        return unexpected(std::move(ok).error());
    for (std::size_t i = 0; i < with_credentials.size(); ++i) {
        result.packages[i].sha256 = with_credentials[i].sha256;
        result.packages[i].size = with_credentials[i].size;
    }
    // Hash-checking mode (pip's): only the user's digests count, for dependencies too; the lock records a file
    // only if one of its requirement's --hash lines names it.
    if (inputs->require_hashes) {
        for (const auto& p : result.packages) {
            auto allowed = check_hash_allowed(inputs->hashes, p.name, p.version, p.filename, p.sha256);
            if (!allowed) return unexpected(std::move(allowed).error());
        }
    }
    std::sort(result.packages.begin(), result.packages.end(),
              [](const LockedPackage& a, const LockedPackage& b) { return a.name < b.name; });
    result.requests = client->stats().requests;
    result.inputs = std::move(*inputs);
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
    for (const auto& p : result.packages) {
        nlohmann::json j = {{"name", p.name},
                            {"version", p.version},
                            {"filename", p.filename},
                            {"url", p.url},
                            {"sha256", p.sha256},
                            {"size", p.size ? nlohmann::json(*p.size) : nlohmann::json(nullptr)},
                            {"kind", p.is_wheel ? "wheel" : "sdist"},
                            {"extras", p.extras},
                            {"required_by", required_by_json(p.required_by)},
                            {"origin", p.origin}};
        packages.push_back(std::move(j));
    }
    doc["packages"] = packages;
    doc["notes"] = result.notes;
    return doc;
}

auto lock_file_text(const LockResult& result) -> std::string {
    return lock_json(result).dump(2) + "\n";
}

auto packages_json(const LockResult& result) -> nlohmann::json {
    auto packages = nlohmann::json::array();
    for (const auto& p : result.packages) {
        packages.push_back({{"name", p.name},
                            {"version", p.version},
                            {"filename", p.filename},
                            {"url", p.url},
                            {"sha256", p.sha256},
                            {"required_by", required_by_json(p.required_by)}});
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
        if (p.sha256.empty()) {
            return make_error(ErrorCode::internal,
                              fmt::format("{} {}: no sha256 for {}", p.name, p.version, p.filename));
        }
        out += fmt::format("{}=={} \\\n    --hash=sha256:{}\n", p.name, p.version, p.sha256);
    }
    return out;
}

}  // namespace wheelhouse::app
