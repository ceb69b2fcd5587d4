#include "wheelhouse/app/resolution.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "wheelhouse/app/index_provider.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/resolve/resolve.hpp"

namespace wheelhouse::app {

auto http_options(const TransferSettings& transfer, const std::vector<std::string>& trusted_hosts) -> http::Options {
    http::Options options;
    options.max_concurrency = std::max<std::size_t>(1, transfer.jobs);
    options.max_per_host = options.max_concurrency;
    options.ca_bundle = transfer.cert;
    options.trusted_hosts = trusted_hosts;
    options.cancel = transfer.cancel;
    if (transfer.timeout) {
        options.connect_timeout = *transfer.timeout;
        options.low_speed_time = *transfer.timeout;
    }
    return options;
}

auto prepare_inputs(const InputOptions& options, const TransferSettings& transfer) -> Expected<PreparedInputs> {
    auto flags = flags_from_environment(options.flags, options.environment);
    if (!flags) return unexpected(std::move(flags).error());
    auto engine = http::Engine::create(http_options(transfer, flags->trusted_hosts));
    if (!engine) return unexpected(std::move(engine).error());
    auto inputs = read_inputs(options, *engine);
    if (!inputs) return unexpected(std::move(inputs).error());
    if (inputs->trusted_hosts != flags->trusted_hosts) {  // the files added --trusted-host lines
        engine = http::Engine::create(http_options(transfer, inputs->trusted_hosts));
        if (!engine) return unexpected(std::move(engine).error());
    }
    return PreparedInputs{std::move(*inputs), std::move(*engine)};
}

auto resolve_for_target(PreparedInputs& prepared, const tags::Target& target, const TransferSettings& transfer,
                        const ResolveHooks& hooks) -> Expected<ResolvedSet> {
    const Inputs& inputs = prepared.inputs;
    if (inputs.sources.index_urls.empty() && inputs.sources.find_links.empty()) {
        return make_error(ErrorCode::usage, "no package source: --no-index without --find-links", {},
                          "pass --find-links DIR, or drop --no-index");
    }
    index::ClientOptions client_options;
    client_options.sources = inputs.sources;
    client_options.cache_dir = hooks.cache_dir;
    auto client = index::Client::create(prepared.engine, client_options);
    if (!client) return unexpected(std::move(client).error());

    ClientProvider provider(*client, target, inputs.options.pre, transfer.reporter);
    provider.set_constraints(inputs.constraints);
    if (inputs.installed) provider.set_installed(inputs.installed->packages);
    if (inputs.require_hashes) provider.set_allowed_hashes(inputs.hashes);
    if (hooks.on_likely) provider.set_on_likely(hooks.on_likely);

    resolve::Request request;
    request.requirements = inputs.requirements;
    request.constraints = inputs.constraints;
    request.target = target;
    request.options = inputs.options;
    if (inputs.installed) request.installed = inputs.installed->packages;
    auto resolution = resolve::resolve(request, provider);
    if (!resolution) return unexpected(std::move(resolution).error());

    ResolvedSet out;
    out.notes = std::move(resolution->notes);
    for (const auto& p : resolution->packages) {
        LockedPackage locked;
        locked.name = p.name;
        locked.version = p.version_known ? p.version.to_string() : std::string();
        locked.filename = p.file.filename;
        locked.url = util::stored_url(p.file.url);
        if (auto it = p.file.hashes.find("sha256"); it != p.file.hashes.end()) locked.sha256 = it->second;
        locked.size = p.file.size;
        locked.is_wheel = p.is_wheel;
        locked.extras = p.extras;
        locked.required_by = p.required_by;
        locked.origin = p.file.url.empty() ? std::string() : provider.origin(p.file.url);
        if (p.installed) locked.provided_by = "image";
        locked.replaces = p.replaces;
        out.packages.push_back(std::move(locked));
        out.fetch_urls.push_back(p.file.url.empty() ? std::string()
                                                    : index::with_credentials(p.file.url, inputs.sources));
        out.used_metadata.push_back(p.file.url.empty() ? std::nullopt : provider.used_metadata(p.file.url));
    }
    out.requests = client->stats().requests;
    return out;
}

auto to_install(const std::vector<LockedPackage>& packages) -> std::vector<std::size_t> {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < packages.size(); ++i) {
        if (packages[i].provided_by.empty()) out.push_back(i);
    }
    return out;
}

auto required_by_json(const std::vector<resolve::RequiredBy>& list) -> nlohmann::json {
    auto out = nlohmann::json::array();
    for (const auto& r : list)
        out.push_back({{"parent", r.parent}, {"requirement", r.requirement}, {"origin", r.origin}});
    return out;
}

auto locked_package_json(const LockedPackage& p) -> nlohmann::json {
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
    if (!p.provided_by.empty()) j["provided_by"] = p.provided_by;
    if (p.replaces) j["replaces"] = *p.replaces;
    return j;
}

auto installed_set_json(const InstalledSet& installed) -> nlohmann::json {
    auto list = nlohmann::json::array();
    for (const auto& d : installed.packages) {
        list.push_back({{"name", d.name},
                        {"version", d.version ? nlohmann::json(d.version->to_string()) : nlohmann::json(nullptr)}});
    }
    return {{"preset", installed.preset.empty() ? nlohmann::json(nullptr) : nlohmann::json(installed.preset)},
            {"source", installed.source},
            {"installed", std::move(list)}};
}

}  // namespace wheelhouse::app
