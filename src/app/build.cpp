// The build pipeline, top to bottom: build() at the end of this file reads as the list of its steps.
#include "wheelhouse/app/build.hpp"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "ahead_fetch.hpp"
#include "wheelhouse/app/dist.hpp"
#include "wheelhouse/app/index_provider.hpp"
#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/bundle/requirements_rewrite.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view k_plugins_zip = "plugins.zip";
constexpr std::string_view k_requirements_txt = "requirements.txt";
constexpr std::string_view k_constraints_txt = "constraints.txt";
constexpr std::string_view k_report_json = "build-report.json";
constexpr std::string_view k_sbom_json = k_sbom_name;

auto elapsed(Clock::time_point since) -> std::chrono::milliseconds {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
}

// A folder created with mkdtemp and removed (with its content) unless released.
class ScratchDir {
public:
    static auto create(const fs::path& parent, std::string_view prefix) -> Expected<ScratchDir> {
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) return make_error(ErrorCode::io, fmt::format("cannot create {}: {}", parent.string(), ec.message()));
        std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) {
            return make_error(ErrorCode::io, "cannot create a temporary folder in " + parent.string());
        }
        ScratchDir dir;
        dir.m_path = pattern;
        return dir;
    }
    ScratchDir() = default;
    ScratchDir(ScratchDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
    auto operator=(ScratchDir&& other) noexcept -> ScratchDir& {
        std::swap(m_path, other.m_path);
        return *this;
    }
    ScratchDir(const ScratchDir&) = delete;
    auto operator=(const ScratchDir&) -> ScratchDir& = delete;
    ~ScratchDir() {
        if (m_path.empty()) return;
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    [[nodiscard]] auto path() const -> const fs::path& { return m_path; }

private:
    fs::path m_path;
};

// What the bundle will hold, whichever way it was decided (a resolution or a lock).
struct Plan {
    std::vector<LockedPackage> packages;             // bundled; public URLs (no credentials), for the report
    std::vector<std::string> fetch_urls;             // same order; may carry credentials
    std::vector<LockedPackage> provided;             // kept from the target's image: left out of the bundle
    std::optional<InstalledSet> image;               // the installed set the plan was made against
    std::vector<bundle::ResolvedRequirement> roots;  // the user's top-level lines, pinned
    std::string constraints;                         // constraints.txt
    std::vector<std::string> warnings;
    std::vector<std::string> notes;
    // Hash-checking mode: each package's wheel must match one of its --hash digests; nothing else counts.
    bool require_hashes = false;
    std::map<std::string, std::vector<std::string>> allowed_sha256;  // canonical project -> digests
    // Same order as packages: the core metadata the resolution read (none for a lock), checked against the wheel.
    std::vector<std::optional<ClientProvider::UsedMetadata>> used_metadata;
};

// "file:line" -> Origin, for constraints that went through the resolver's representation.
auto to_entry(const resolve::Constraint& constraint) -> reqfile::Entry {
    reqfile::Entry entry;
    entry.kind = reqfile::EntryKind::named;
    entry.text = constraint.requirement.to_string();
    entry.requirement = constraint.requirement;
    entry.constraint = true;
    entry.origin.file = constraint.origin;
    if (auto colon = constraint.origin.rfind(':'); colon != std::string::npos) {
        if (auto line = util::parse_uint64(std::string_view(constraint.origin).substr(colon + 1));
            line && *line < 1000000000) {
            entry.origin.file = constraint.origin.substr(0, colon);
            entry.origin.line = static_cast<int>(*line);
        }
    }
    return entry;
}

auto sdist_error(const std::string& name, const std::string& version, const std::string& filename) -> Error {
    return make_error(ErrorCode::resolution,
                      fmt::format("{} {}: only a source distribution ({}) is available for the target, and MWAA "
                                  "cannot build it offline",
                                  name, version, filename),
                      {}, std::string(resolve::sdist_hint))
        .error;
}

// "MWAA will replace the image's protobuf 4.25.5 with 5.28.3 (required by a 1.0: protobuf>=5)".
auto replacement_warning(const LockedPackage& p, const InstalledSet& image) -> std::string {
    std::vector<std::string> who;
    for (const auto& r : p.required_by) {
        // "a[x] 1.0" and "a 1.0" ask through the same project: name it once.
        std::string parent = r.parent;
        if (auto open = parent.find('['), close = parent.find(']'); open != std::string::npos && close > open)
            parent.erase(open, close - open + 1);
        auto line = parent.empty() ? fmt::format("{} ({})", r.requirement, r.origin)
                                   : fmt::format("{}: {}", parent, r.requirement);
        if (std::find(who.begin(), who.end(), line) == who.end()) who.push_back(std::move(line));
        if (who.size() == 3) break;
    }
    return fmt::format("MWAA will replace the image's {} {} with the bundled {} (required by {}; image: {})", p.name,
                       p.replaces->empty() ? std::string("(version unknown)") : *p.replaces, p.version,
                       who.empty() ? std::string("the request") : util::join(who, "; "), image.label);
}

// Step 1a: resolve the inputs for the target through the package indexes (the step lock and mirror share); what
// the target's image keeps is left out.
auto plan_from_resolution(const BuildOptions& options, PreparedInputs& prepared, AheadFetcher* ahead = nullptr)
    -> Expected<Plan> {
    const Inputs& inputs = prepared.inputs;
    ResolveHooks hooks;
    hooks.cache_dir = options.cache_dir;
    if (ahead != nullptr) {
        hooks.on_likely = [&](const index::Candidate& c) {
            auto sha = c.hashes.find("sha256");
            if (!c.is_wheel() || sha == c.hashes.end() || index::file_url_path(c.url)) return;
            fetch::WheelRequest request;
            request.url = index::with_credentials(c.url, inputs.sources);
            request.filename = c.filename;
            request.sha256.push_back(sha->second);
            request.size = c.size;
            ahead->add(std::move(request));
        };
    }
    auto resolved = resolve_for_target(prepared, options.target, options.transfer, hooks);
    if (!resolved) return unexpected(std::move(resolved).error());

    Plan plan;
    plan.require_hashes = inputs.require_hashes;
    plan.allowed_sha256 = inputs.hashes;
    plan.notes = std::move(resolved->notes);
    plan.warnings = inputs.warnings;
    plan.image = inputs.installed;
    std::map<std::string, std::string> versions;
    for (std::size_t i = 0; i < resolved->packages.size(); ++i) {
        auto& p = resolved->packages[i];
        versions[p.name] = p.version;
        if (!p.provided_by.empty()) {
            plan.provided.push_back(std::move(p));
            continue;
        }
        if (!p.is_wheel) return unexpected(sdist_error(p.name, p.version, p.filename));
        if (p.replaces && inputs.installed) plan.warnings.push_back(replacement_warning(p, *inputs.installed));
        plan.packages.push_back(std::move(p));
        plan.fetch_urls.push_back(std::move(resolved->fetch_urls[i]));
        plan.used_metadata.push_back(std::move(resolved->used_metadata[i]));
    }
    std::set<std::string> pinned;
    const auto environment = options.target.marker_environment();
    for (const auto& root : inputs.requirements) {
        if (root.requirement.marker) {  // a line for another Python or platform is not written at all
            auto active = root.requirement.marker->evaluate(environment);
            if (active && !*active) continue;
        }
        auto name = root.requirement.canonical_name();
        auto it = versions.find(name);
        if (it == versions.end() || !pinned.insert(name).second) continue;  // marker false for the target
        plan.roots.push_back({root.requirement, it->second, {}});
    }

    // constraints.txt: the user's constraints merged with the target's Airflow constraints. MWAA adds its
    // essential pins itself, whatever the file says.
    std::vector<reqfile::Entry> user;
    std::vector<reqfile::Entry> airflow;
    for (const auto& c : inputs.constraints) {
        if (c.source == resolve::ConstraintSource::user) user.push_back(to_entry(c));
        if (c.source == resolve::ConstraintSource::airflow) airflow.push_back(to_entry(c));
    }
    auto constraints = bundle::merge_constraints(user, airflow, {{}, options.target.name()});
    if (!constraints) return unexpected(std::move(constraints).error());
    plan.constraints = std::move(*constraints);
    return plan;
}

// Step 1b: take the packages of a lock as they are.
auto plan_from_lock(const BuildOptions& options, const fs::path& path) -> Expected<Plan> {
    auto lock = read_lock_file(path);
    if (!lock) return unexpected(std::move(lock).error());
    if (lock->target != options.target.name()) {
        return make_error(
            ErrorCode::usage,
            fmt::format("{} was made for target {}, not {}", path.string(), lock->target, options.target.name()), {},
            "pass the lock's --target, or lock again for this target");
    }
    Plan plan;
    const bool whole_closure = options.inputs.full_bundle;
    if (!whole_closure) plan.image = lock->image;
    std::vector<reqfile::Entry> pins;
    std::set<std::string> pinned;
    for (const auto& p : lock->packages) {
        const bool provided = !p.provided_by.empty();
        if (provided && (!whole_closure || p.filename.empty())) {
            if (whole_closure) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("{}: {} is provided by the image and the lock names no file for it, so "
                                              "--full-bundle cannot bundle it",
                                              path.string(), p.name),
                                  {}, "lock again with --full-bundle");
            }
            plan.provided.push_back(p);
        } else {
            if (!p.is_wheel) return unexpected(sdist_error(p.name, p.version, p.filename));
            plan.packages.push_back(p);
            plan.packages.back().provided_by.clear();
            plan.fetch_urls.push_back(p.url);
        }
        if (p.version.empty()) continue;  // kept from the image at an unknown version: nothing to pin
        auto pin = pep508::Requirement::parse(p.name + "==" + p.version);
        if (!pin) return unexpected(std::move(pin).error());
        pins.push_back(to_entry({*pin, path.string(), resolve::ConstraintSource::user}));
        for (const auto& r : p.required_by) {
            if (!r.parent.empty() || !pinned.insert(p.name).second) continue;
            auto requirement = pep508::Requirement::parse(r.requirement);
            if (!requirement) return unexpected(std::move(requirement).error());
            plan.roots.push_back({*requirement, p.version, {}});
        }
    }
    if (plan.roots.empty() && !lock->packages.empty()) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("{}: no package is marked as a top-level requirement", path.string()));
    }
    // A lock says nothing about the constraints it was made with; its exact pins are the constraints.
    auto constraints = bundle::merge_constraints(pins, {}, {{}, options.target.name()});
    if (!constraints) return unexpected(std::move(constraints).error());
    plan.constraints = std::move(*constraints);
    return plan;
}

auto hash_file(const fs::path& path) -> Expected<std::pair<std::string, std::uint64_t>> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, "cannot open " + path.string());
    util::Sha256 hasher;
    std::uint64_t size = 0;
    std::string buffer(1 << 16, '\0');
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        hasher.update(buffer.data(), got);
        size += got;
    }
    if (in.bad()) return make_error(ErrorCode::io, "cannot read " + path.string());
    return std::pair{hasher.finish_hex(), size};
}

// A wheel listed by a local find-links folder or file:// index: checked like a download, then copied in.
auto store_local_wheel(const fs::path& path, const LockedPackage& p, const cache::WheelStore& store)
    -> Expected<fetch::FetchedWheel> {
    if (!p.sha256.empty()) {
        if (auto hit = store.find(p.filename, p.sha256)) {
            return fetch::FetchedWheel{p.filename, hit->sha256, hit->size, hit->path, true, false, true};
        }
    }
    auto hashed = hash_file(path);
    if (!hashed) return unexpected(std::move(hashed).error());
    if (!p.sha256.empty() && hashed->first != util::to_lower(p.sha256)) {
        return make_error(ErrorCode::verification, fmt::format("{}: sha256 {} does not match the expected {}",
                                                               p.filename, hashed->first, p.sha256));
    }
    if (auto check = fetch::verify_wheel(path, p.filename); !check) return unexpected(std::move(check).error());
    auto stored = store.insert_file(path, p.filename, hashed->first);
    if (!stored) return unexpected(std::move(stored).error());
    return fetch::FetchedWheel{p.filename, stored->sha256, stored->size, stored->path, false, false, !p.sha256.empty()};
}

// Step 2: every wheel into the content-addressed store (parallel downloads, hashes and RECORD checked). Wheels
// the ahead fetcher is still downloading are left to it while the others download here.
auto fetch_all(const BuildOptions& options, Plan& plan, http::Engine& engine, const cache::WheelStore& store,
               AheadFetcher* ahead, BuildResult& result) -> Expected<std::vector<fetch::FetchedWheel>> {
    const std::set<std::string> in_flight = ahead != nullptr ? ahead->stop() : std::set<std::string>{};
    std::vector<std::optional<fetch::FetchedWheel>> fetched(plan.packages.size());
    std::vector<fetch::WheelRequest> requests;
    std::vector<std::size_t> remote;
    std::vector<std::pair<std::size_t, fetch::WheelRequest>> deferred;  // in flight ahead
    for (std::size_t i = 0; i < plan.packages.size(); ++i) {
        const auto& p = plan.packages[i];
        if (auto path = index::file_url_path(plan.fetch_urls[i])) {
            auto wheel = store_local_wheel(*path, p, store);
            if (!wheel) return unexpected(std::move(wheel).error());
            if (wheel->from_cache) ++result.cached;
            fetched[i] = std::move(*wheel);
            continue;
        }
        fetch::WheelRequest request;
        request.url = plan.fetch_urls[i];
        request.filename = p.filename;
        if (plan.require_hashes) {
            if (auto it = plan.allowed_sha256.find(p.name); it != plan.allowed_sha256.end())
                request.sha256 = it->second;
        } else if (!p.sha256.empty()) {
            request.sha256.push_back(p.sha256);
        }
        request.size = p.size;
        if (in_flight.count(request.url) != 0) {
            deferred.emplace_back(i, std::move(request));
            continue;
        }
        requests.push_back(std::move(request));
        remote.push_back(i);
    }
    fetch::FetchOptions fetch_options;
    fetch_options.offline = options.offline;
    fetch_options.require_hashes = plan.require_hashes;
    fetch_options.verify_cache_hits = plan.require_hashes || options.locked.has_value();  // the user's digests
    auto fetch_here = [&](std::vector<fetch::WheelRequest> batch,
                          const std::vector<std::size_t>& where) -> Expected<void> {
        if (batch.empty()) return {};
        auto report = fetch::fetch_wheels(batch, engine, store, fetch_options, options.transfer.reporter);
        if (!report.ok()) return unexpected(report.failure(options.offline));
        result.downloaded += report.stats.downloaded;
        result.cached += report.stats.cached;
        result.downloaded_bytes += report.stats.downloaded_bytes;
        for (std::size_t k = 0; k < where.size(); ++k) fetched[where[k]] = std::move(*report.results[k]);
        return {};
    };
    auto here = fetch_here(std::move(requests), remote);
    const auto tried_ahead = ahead != nullptr ? ahead->wait() : AheadFetcher::Results{};
    if (!here) return unexpected(std::move(here).error());

    // What the ahead fetcher did for the plan's wheels: a wheel it downloaded counts as a download of this run
    // (the fetch above saw a cache hit); bytes that failed a check are reported, not hidden by a second download.
    std::vector<fetch::WheelRequest> again;
    std::vector<std::size_t> again_where;
    std::set<std::string> used;
    for (std::size_t i = 0; i < plan.packages.size(); ++i) {
        auto it = tried_ahead.find(plan.fetch_urls[i]);
        if (it == tried_ahead.end()) continue;
        used.insert(it->first);
        if (!it->second) {
            if (it->second.error().code == ErrorCode::verification) return unexpected(it->second.error());
            continue;
        }
        if (it->second->from_cache) continue;
        ++result.fetched_ahead;
        if (fetched[i] && fetched[i]->from_cache) {
            --result.cached;
            ++result.downloaded;
            result.downloaded_bytes += fetched[i]->size;
            fetched[i]->from_cache = false;
        }
    }
    for (auto& [i, request] : deferred) {
        auto it = tried_ahead.find(request.url);
        if (it != tried_ahead.end() && it->second) {
            fetched[i] = *it->second;
            if (it->second->from_cache) {
                ++result.cached;
            } else {
                ++result.downloaded;
                result.downloaded_bytes += it->second->size;
            }
            continue;
        }
        again.push_back(std::move(request));  // failed or cancelled ahead: this engine retries it
        again_where.push_back(i);
    }
    if (auto retried = fetch_here(std::move(again), again_where); !retried)
        return unexpected(std::move(retried).error());
    for (const auto& [url, outcome] : tried_ahead) {
        if (outcome && !outcome->from_cache && used.count(url) == 0) ++result.fetched_ahead_unused;
    }

    std::vector<fetch::FetchedWheel> out;
    for (std::size_t i = 0; i < fetched.size(); ++i) {
        auto& p = plan.packages[i];
        if (plan.require_hashes) {  // also covers wheels from --find-links folders, which have no index digest
            auto allowed = check_hash_allowed(plan.allowed_sha256, p.name, p.version, p.filename, fetched[i]->sha256);
            if (!allowed) return unexpected(std::move(allowed).error());
        }
        if (i < plan.used_metadata.size() && plan.used_metadata[i]) {  // the wheel says what the resolution read
            const auto& read = *plan.used_metadata[i];
            auto same = index::check_wheel_metadata(fetched[i]->path, p.filename, read.metadata, read.source);
            if (!same) return unexpected(std::move(same).error());
        }
        // What the bundle holds is what was checked: record the real digest and size.
        p.sha256 = fetched[i]->sha256;
        p.size = fetched[i]->size;
        out.push_back(std::move(*fetched[i]));
    }
    return out;
}

auto join_path(std::string_view base, std::string_view sub) -> std::string {
    std::string out(base);
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    if (!sub.empty()) out += "/" + std::string(sub);
    return out;
}

// Step 5: renames every staged output into place (each rename is atomic; all files exist before the first).
auto commit_outputs(const fs::path& staging, const fs::path& output) -> Expected<void> {
    // plugins.zip last: a reader that sees the new zip also sees the files that describe it.
    for (auto name : {k_report_json, k_sbom_json, k_constraints_txt, k_requirements_txt, k_plugins_zip}) {
        std::error_code ec;
        fs::rename(staging / name, output / name, ec);
        if (ec) {
            return make_error(ErrorCode::io,
                              fmt::format("cannot move {} into {}: {}", name, output.string(), ec.message()));
        }
    }
    // The four renames reach the disk together with the folder: after a crash deploy and verify see a set that
    // build-report.json describes, or refuse it (app/dist.hpp).
    return util::sync_folder(output);
}

}  // namespace

auto read_lock_file(const fs::path& path) -> Expected<LockFile> {
    auto text = util::read_file(path);
    if (!text) return unexpected(std::move(text).error());
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    auto bad = [&](const std::string& what) {
        return make_error(ErrorCode::invalid_input, fmt::format("not a wheelhouse lock file: {}", what),
                          Location{path.string(), 0, 0}, "write one with `wheelhouse lock`");
    };
    if (doc.is_discarded() || !doc.is_object()) return bad("invalid JSON");
    if (!doc.contains("lock_version") || doc["lock_version"] != 1) return bad("lock_version is not 1");
    if (!doc.contains("target") || !doc["target"].is_object() || !doc["target"].contains("name") ||
        !doc["target"]["name"].is_string()) {
        return bad("no target name");
    }
    if (!doc.contains("packages") || !doc["packages"].is_array()) return bad("no packages array");
    LockFile lock;
    lock.target = doc["target"]["name"].get<std::string>();
    auto string_of = [](const nlohmann::json& j, const char* key) -> std::optional<std::string> {
        if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
        return j[key].get<std::string>();
    };
    for (const auto& j : doc["packages"]) {
        if (!j.is_object()) return bad("a package is not an object");
        LockedPackage p;
        auto name = string_of(j, "name");
        auto version = string_of(j, "version");
        auto filename = string_of(j, "filename");
        auto url = string_of(j, "url");
        p.provided_by = string_of(j, "provided_by").value_or("");
        if (!p.provided_by.empty() && p.provided_by != "image") return bad("provided_by is not \"image\"");
        // What the image provides may have no file on the index, and an unknown version.
        const bool provided = !p.provided_by.empty();
        if (!name || (!version && !provided) || ((!filename || !url) && !provided)) {
            return bad("a package lacks name, version, filename or url");
        }
        if (!pep508::is_valid_name(*name))
            return bad(fmt::format("'{}' is not a project name", util::elide(*name, 100)));
        p.name = pep508::canonicalize_name(*name);
        p.version = version.value_or("");
        p.filename = filename.value_or("");
        p.url = url.value_or("");
        if (j.contains("replaces") && j["replaces"].is_string()) p.replaces = j["replaces"].get<std::string>();
        p.sha256 = string_of(j, "sha256").value_or("");
        if (!p.sha256.empty() && !cache::is_sha256_hex(p.sha256)) return bad(p.filename + ": sha256 is not a digest");
        if (j.contains("size") && j["size"].is_number_unsigned()) p.size = j["size"].get<std::uint64_t>();
        p.is_wheel = string_of(j, "kind").value_or("wheel") == "wheel";
        if (j.contains("extras") && j["extras"].is_array()) {
            for (const auto& e : j["extras"])
                if (e.is_string()) p.extras.push_back(e.get<std::string>());
        }
        if (j.contains("required_by") && j["required_by"].is_array()) {
            for (const auto& r : j["required_by"]) {
                if (!r.is_object()) continue;
                p.required_by.push_back({string_of(r, "parent").value_or(""), string_of(r, "requirement").value_or(""),
                                         string_of(r, "origin").value_or("")});
            }
        }
        p.origin = string_of(j, "origin").value_or("");
        if (p.is_wheel && !p.filename.empty()) {
            // The name and version decide what the bundle claims to install; they must be the file's.
            auto parsed = tags::WheelFilename::parse(p.filename);
            if (!parsed) return bad(fmt::format("'{}' is not a wheel file name", util::elide(p.filename, 200)));
            auto entry_version = pep440::Version::parse(p.version);
            if (parsed->name() != p.name || !entry_version || !(*entry_version == parsed->version())) {
                return bad(fmt::format("the entry says {} {}, its file {} is {} {}", util::elide(p.name, 200),
                                       util::elide(p.version, 100), util::elide(p.filename, 200), parsed->name(),
                                       parsed->version().to_string()));
            }
        }
        lock.packages.push_back(std::move(p));
    }
    if (doc.contains("image") && doc["image"].is_object()) {
        const auto& image = doc["image"];
        InstalledSet set;
        set.preset = string_of(image, "preset").value_or("");
        set.source = string_of(image, "source").value_or("");
        set.label = set.preset.empty() ? set.source : "the " + set.preset + " image";
        if (image.contains("installed") && image["installed"].is_array()) {
            for (const auto& d : image["installed"]) {
                auto dist_name = d.is_object() ? string_of(d, "name") : std::nullopt;
                if (!dist_name) return bad("an installed package has no name");
                resolve::InstalledDistribution dist;
                dist.name = pep508::canonicalize_name(*dist_name);
                if (auto v = string_of(d, "version")) {
                    auto parsed = pep440::Version::parse(*v);
                    if (!parsed)
                        return bad(fmt::format("installed {}: '{}' is not a version", dist.name, util::elide(*v, 100)));
                    dist.version = *parsed;
                }
                set.packages.push_back(std::move(dist));
            }
        }
        lock.image = std::move(set);
    }
    return lock;
}

namespace {

auto interrupted(const BuildOptions& options) -> bool {
    return options.transfer.cancel != nullptr && options.transfer.cancel->load();
}

auto interrupted_error() -> Unexpected<Error> {
    return make_error(ErrorCode::io, "interrupted: the build stopped before it finished", {},
                      "the outputs of an earlier build, if any, are unchanged");
}

}  // namespace

auto build(const BuildOptions& options) -> Expected<BuildResult> {
    const auto started = Clock::now();
    BuildResult result;
    result.target = options.target;
    result.output = options.output;

    // 0. Settings that must be right before any work starts: the zip timestamp and the transfer engine.
    auto epoch = archive::source_date_epoch();
    if (!epoch) return unexpected(std::move(epoch).error());
    result.source_date_epoch = *epoch;
    auto flags = flags_from_environment(options.inputs.flags, options.inputs.environment);
    if (!flags) return unexpected(std::move(flags).error());

    // The content-addressed wheel cache (a private, temporary one with --no-cache): wheels go there from step 1
    // on, as the resolution names them.
    std::optional<ScratchDir> private_cache;
    fs::path cache_root;
    if (options.cache_dir) {
        cache_root = *options.cache_dir;
    } else {
        std::error_code ec;
        auto tmp = fs::temp_directory_path(ec);
        auto dir = ScratchDir::create(ec ? fs::path("/tmp") : tmp, "wheelhouse-nocache-");
        if (!dir) return unexpected(std::move(dir).error());
        private_cache = std::move(*dir);
        cache_root = private_cache->path();
    }
    auto store = cache::WheelStore::open(cache_root);
    if (!store) return unexpected(std::move(store).error());

    // 1. What goes into the bundle: the lock's packages, or a resolution of the inputs for the target.
    auto phase = Clock::now();
    Expected<Plan> plan = Plan{};
    std::unique_ptr<AheadFetcher> fetcher;
    std::optional<http::Engine> engine;
    if (options.locked) {
        auto created = http::Engine::create(http_options(options.transfer, flags->trusted_hosts));
        if (!created) return unexpected(std::move(created).error());
        engine.emplace(std::move(*created));
        plan = plan_from_lock(options, *options.locked);
        if (plan) {
            // A lock holds URLs without credentials: the index flags (and PIP_*) give them back per host.
            index::Sources given;
            if (flags->index_url) given.index_urls.push_back(*flags->index_url);
            given.index_urls.insert(given.index_urls.end(), flags->extra_index_urls.begin(),
                                    flags->extra_index_urls.end());
            given.find_links = flags->find_links;
            for (auto& url : plan->fetch_urls) url = index::with_credentials(url, given);
        }
    } else {
        auto prepared = prepare_inputs(options.inputs, options.transfer);
        if (!prepared) return unexpected(std::move(prepared).error());
        // Wheels start downloading while the resolution goes on, on a second engine (not offline, and not in
        // hash-checking mode, where only the user's digests may decide what is fetched).
        if (!options.offline && !prepared->inputs.require_hashes) {
            auto created = AheadFetcher::create(http_options(options.transfer, prepared->inputs.trusted_hosts), *store,
                                                fetch::FetchOptions{});
            if (created) fetcher = std::move(*created);  // without it the fetch step does it all
        }
        plan = plan_from_resolution(options, *prepared, fetcher.get());
        if (fetcher && (!plan || interrupted(options))) fetcher->abort();
        engine.emplace(std::move(prepared->engine));
    }
    if (!plan) return unexpected(std::move(plan).error());
    result.warnings = plan->warnings;
    result.notes = plan->notes;
    result.image = plan->image;
    result.provided = plan->provided;
    result.timings.resolve = elapsed(phase);

    if (interrupted(options)) return interrupted_error();

    // 2. Fetch every wheel into the content-addressed cache (those fetched ahead are found there, checked).
    phase = Clock::now();
    auto wheels = fetch_all(options, *plan, *engine, *store, fetcher.get(), result);
    fetcher.reset();
    if (!wheels) return unexpected(std::move(wheels).error());
    result.timings.fetch = elapsed(phase);

    if (interrupted(options)) return interrupted_error();

    // 3. Lay out plugins.zip (size guard, name clashes) and write it, reproducibly, into a staging folder.
    phase = Clock::now();
    bundle::PluginsRequest layout_request;
    for (const auto& w : *wheels) layout_request.wheels.push_back({w.path, w.filename});
    layout_request.constraints = plan->constraints;
    layout_request.plugins_dir = options.plugins_dir;
    layout_request.wheel_dir = options.wheel_dir;
    layout_request.warn_size = options.warn_size;
    layout_request.max_size = options.max_size;
    layout_request.zip.mtime = *epoch;
    auto layout = bundle::PluginsLayout::plan(std::move(layout_request));
    if (!layout) return unexpected(std::move(layout).error());
    for (const auto& w : layout->warnings()) result.warnings.push_back(w);
    auto staging = StagingFolder::create(options.output);  // locked; removes those of killed builds
    if (!staging) return unexpected(std::move(staging).error());
    auto zip = layout->write(staging->path() / k_plugins_zip);
    if (!zip) return unexpected(std::move(zip).error());
    result.bundle_sha256 = zip->sha256;
    result.bundle_size = zip->size;
    result.bundle_entries = zip->entries;
    result.timings.bundle = elapsed(phase);

    // 4. The requirements file MWAA reads (offline, pinned, pointing at the bundle), the constraints file, and
    // the report.
    bundle::RewriteOptions rewrite;
    rewrite.target = options.target.name();
    rewrite.find_links = join_path(options.plugins_path, options.wheel_dir);
    rewrite.constraints_path = join_path(options.plugins_path, bundle::k_constraints_name);
    auto requirements = bundle::write_mwaa_requirements(plan->roots, rewrite);
    if (!requirements) return unexpected(std::move(requirements).error());
    result.requirements = std::move(*requirements);
    result.constraints = plan->constraints;
    for (std::size_t i = 0; i < plan->packages.size(); ++i) {
        result.packages.push_back({plan->packages[i], (*wheels)[i].from_cache});
    }
    std::sort(result.packages.begin(), result.packages.end(),
              [](const BuiltPackage& a, const BuiltPackage& b) { return a.locked.name < b.locked.name; });
    result.timings.total = elapsed(started);
    // 4b. What is in the bundle: sbom.cdx.json, the licence policy and the advisory audit (both only when asked).
    std::map<std::string, fs::path> wheel_paths;
    for (const auto& w : *wheels) wheel_paths[w.filename] = w.path;
    auto facts =
        describe_build(build_report_json(result), wheel_paths, result.constraints, options.checks, staging->path());
    if (!facts) return unexpected(std::move(facts).error());
    result.facts = std::move(*facts);
    for (const auto& [name, content] :
         {std::pair{k_requirements_txt, result.requirements}, std::pair{k_constraints_txt, result.constraints},
          std::pair{k_report_json, build_report_json(result).dump(2) + "\n"}}) {
        if (auto ok = util::write_file_atomic(staging->path() / name, content); !ok) return unexpected(ok.error());
    }

    if (interrupted(options)) return interrupted_error();

    // 5. All outputs exist: move them into place.
    if (auto ok = commit_outputs(staging->path(), options.output); !ok) return unexpected(ok.error());
    return result;
}

auto build_report_json(const BuildResult& result) -> nlohmann::json {
    const auto& t = result.target;
    nlohmann::json doc;
    doc["report_version"] = 1;
    doc["generator"] = std::string("wheelhouse ") + WHEELHOUSE_VERSION;
    doc["target"] = {{"name", t.name()},
                     {"implementation", t.implementation()},
                     {"python_version", t.python().to_string()},
                     {"python_full_version", t.python().full_version()},
                     {"abis", t.abis()},
                     {"platforms", t.platforms()}};
    auto packages = nlohmann::json::array();
    for (const auto& built : result.packages) packages.push_back(locked_package_json(built.locked));
    doc["packages"] = packages;
    if (result.image) {
        auto image = installed_set_json(*result.image);
        auto provided = nlohmann::json::array();
        for (const auto& p : result.provided) {
            provided.push_back({{"name", p.name},
                                {"version", p.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.version)},
                                {"filename", p.filename.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.filename)},
                                {"size", p.size ? nlohmann::json(*p.size) : nlohmann::json(nullptr)}});
        }
        auto replaced = nlohmann::json::array();
        for (const auto& built : result.packages) {
            const auto& p = built.locked;
            if (!p.replaces) continue;
            replaced.push_back(
                {{"name", p.name},
                 {"image_version", p.replaces->empty() ? nlohmann::json(nullptr) : nlohmann::json(*p.replaces)},
                 {"version", p.version},
                 {"required_by", required_by_json(p.required_by)}});
        }
        image["provided"] = std::move(provided);
        image["replaced"] = std::move(replaced);
        image["provided_bytes"] = result.provided_bytes();
        doc["image"] = std::move(image);
    }
    doc["bundle"] = {{"file", k_plugins_zip},
                     {"sha256", result.bundle_sha256},
                     {"size", result.bundle_size},
                     {"entries", result.bundle_entries},
                     {"source_date_epoch",
                      result.source_date_epoch ? nlohmann::json(*result.source_date_epoch) : nlohmann::json(nullptr)}};
    doc["requirements_sha256"] = util::sha256_hex(result.requirements);
    doc["constraints_sha256"] = util::sha256_hex(result.constraints);
    doc["fetch"] = {{"downloaded", result.downloaded},
                    {"cached", result.cached},
                    {"downloaded_bytes", result.downloaded_bytes},
                    {"during_resolution", result.fetched_ahead},
                    {"during_resolution_unused", result.fetched_ahead_unused}};
    doc["timings_ms"] = {{"resolve", result.timings.resolve.count()},
                         {"fetch", result.timings.fetch.count()},
                         {"bundle", result.timings.bundle.count()},
                         {"total", result.timings.total.count()}};
    doc["warnings"] = result.warnings;
    doc["notes"] = result.notes;
    if (result.facts) add_facts_to_report(*result.facts, doc);
    return doc;
}

}  // namespace wheelhouse::app
