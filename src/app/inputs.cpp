#include "wheelhouse/app/inputs.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;

auto process_environment(std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

// --hash values of one line into the hash-checking table. Only sha256 is computed while wheels stream in, so
// a line with digests but none of them sha256 cannot be checked: an error, not a silent pass.
auto take_hashes(const reqfile::Entry& entry, Inputs& inputs) -> Expected<void> {
    if (entry.hashes.empty()) return {};
    inputs.require_hashes = true;
    const Location where{entry.origin.file, entry.origin.line, 0};
    auto sha = entry.hashes.find("sha256");
    if (sha == entry.hashes.end() || sha->second.empty()) {
        return make_error(
            ErrorCode::invalid_input,
            fmt::format("'{}' has --hash digests but no sha256 one; wheelhouse checks sha256", entry.requirement.name),
            where, "add --hash=sha256:<digest> for each allowed file (pip hash -a sha256 FILE)");
    }
    auto& allowed = inputs.hashes[tags::normalize_name(entry.requirement.name)];
    for (const auto& digest : sha->second) {
        auto lower = util::to_lower(digest);
        if (std::find(allowed.begin(), allowed.end(), lower) == allowed.end()) allowed.push_back(std::move(lower));
    }
    return {};
}

auto words(std::string_view text) -> std::vector<std::string> {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (util::is_ascii_space(c)) {
            if (!current.empty()) out.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

auto is_url(std::string_view text) -> bool {
    return util::starts_with_icase(text, "http://") || util::starts_with_icase(text, "https://") ||
           util::starts_with_icase(text, "file://");
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
    for (const auto& v : list)
        if (v == value) return;
    list.push_back(value);
}

auto parse_bool(std::string_view text) -> std::optional<bool> {
    auto value = util::to_lower(util::trim(text));
    if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
    if (value == "0" || value == "false" || value == "no" || value == "off" || value.empty()) return false;
    return std::nullopt;
}

// Reads the Airflow constraints through the page cache: fresh entries are used as they are, stale ones
// revalidated, and a cached copy is used (with a warning) when the network fails.
auto download_constraints(const std::string& url, http::Engine& engine, const std::optional<fs::path>& cache_dir,
                          std::vector<std::string>& warnings) -> Expected<std::string> {
    constexpr std::string_view accept = "text/plain, */*";
    std::optional<cache::HttpCache> page_cache;
    std::optional<cache::CachedPage> cached;
    const auto now = std::chrono::system_clock::now();
    if (cache_dir) {
        page_cache.emplace(*cache_dir);
        cached = page_cache->lookup(url, accept);
        if (cached && cached->fresh(now)) return cached->body;
    }
    http::Request request(url);
    request.max_body = http::max_document_bytes;
    request.headers.emplace_back("Accept", std::string(accept));
    if (cached) {
        for (auto& header : cached->conditional_headers()) request.headers.push_back(header);
    }
    auto response = engine.fetch(std::move(request));
    if (!response) {
        if (cached) {
            warnings.push_back(fmt::format("could not refresh the Airflow constraints ({}); using the cached copy",
                                           response.error().message));
            return cached->body;
        }
        auto error = std::move(response).error();
        error.message =
            fmt::format("cannot download the Airflow constraints from {}: {}", util::redact_url(url), error.message);
        error.hint = "pass --airflow-constraints FILE (offline) or --no-airflow-constraints";
        return unexpected(std::move(error));
    }
    if (response->not_modified() && cached) {
        auto page = cache::HttpCache::refreshed(*cached, *response, now);
        if (page_cache) (void)page_cache->store(url, page);
        return page.body;
    }
    if (page_cache) {
        if (auto page = cache::HttpCache::page_from_response(url, accept, *response, now)) {
            (void)page_cache->store(url, *page);
        }
    }
    return response->body;
}

auto to_constraint(const reqfile::Entry& entry, resolve::ConstraintSource source) -> Expected<resolve::Constraint> {
    if (entry.kind != reqfile::EntryKind::named || entry.requirement.url || !entry.requirement.extras.empty()) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("a constraint must be a name with a version specifier: '{}'", entry.text),
                          Location{entry.origin.file, entry.origin.line, 0},
                          "constraints cannot name extras, URLs or wheel files (pip refuses them too)");
    }
    return resolve::Constraint{entry.requirement, entry.origin.to_string(), source};
}

// A constraints file's lines as constraints of one source; `origin` names it ("<origin>:<line>" per constraint).
auto constraints_from_text(const std::string& text, const std::string& origin, resolve::ConstraintSource source)
    -> Expected<std::vector<resolve::Constraint>> {
    reqfile::ParseOptions o;
    o.constraint = true;
    o.environment = [](std::string_view) { return std::optional<std::string>(); };
    auto parsed = reqfile::parse_text(text, origin, o);
    if (!parsed) return unexpected(std::move(parsed).error());
    std::vector<resolve::Constraint> out;
    for (const auto& entry : parsed->constraints) {
        auto c = to_constraint(entry, source);
        if (!c) return unexpected(std::move(c).error());
        out.push_back(std::move(*c));
    }
    return out;
}

// --airflow-constraints: a file, or an http(s) URL read through the page cache as the preset's own would be.
auto read_airflow_override(const std::string& location, http::Engine& engine, const std::optional<fs::path>& cache_dir,
                           std::vector<std::string>& warnings) -> Expected<std::pair<std::string, std::string>> {
    if (util::starts_with_icase(location, "http://") || util::starts_with_icase(location, "https://")) {
        auto text = download_constraints(location, engine, cache_dir, warnings);
        if (!text) return unexpected(std::move(text).error());
        return std::pair{std::move(*text), util::redact_url(location)};
    }
    fs::path path = location;
    if (util::starts_with_icase(location, "file://")) {
        auto local = index::file_url_path(location);
        if (!local) {
            return make_error(ErrorCode::invalid_input, fmt::format("not a local file URL: '{}'", location), {},
                              "pass --airflow-constraints a path, a file:///absolute/path or an http(s) URL");
        }
        path = *local;
    }
    auto text = util::read_file(path);
    if (!text) return unexpected(std::move(text).error());
    return std::pair{std::move(*text), path.string()};
}

}  // namespace

auto flags_from_environment(IndexFlags flags, const EnvironmentLookup& environment) -> Expected<IndexFlags> {
    auto lookup = environment ? environment : EnvironmentLookup(process_environment);
    if (!flags.index_url) {
        if (auto v = lookup("PIP_INDEX_URL"); v && !util::trim(*v).empty())
            flags.index_url = std::string(util::trim(*v));
    }
    // pip's environment variables provide defaults: a flag given on the command line replaces them.
    if (flags.extra_index_urls.empty()) {
        if (auto v = lookup("PIP_EXTRA_INDEX_URL")) flags.extra_index_urls = words(*v);
    }
    if (flags.find_links.empty()) {
        if (auto v = lookup("PIP_FIND_LINKS")) flags.find_links = words(*v);
    }
    if (flags.trusted_hosts.empty()) {
        if (auto v = lookup("PIP_TRUSTED_HOST")) flags.trusted_hosts = words(*v);
    }
    if (!flags.no_index) {
        if (auto v = lookup("PIP_NO_INDEX")) {
            auto parsed = parse_bool(*v);
            if (!parsed) {
                return make_error(ErrorCode::invalid_input, fmt::format("PIP_NO_INDEX: not a boolean: '{}'", *v), {},
                                  "use 1/0, true/false, yes/no or on/off");
            }
            flags.no_index = *parsed;
        }
    }
    return flags;
}

auto essential_constraints(const image::Preset& preset) -> Expected<std::vector<resolve::Constraint>> {
    std::vector<resolve::Constraint> out;
    if (preset.essential_constraints) {
        auto parsed = constraints_from_text(*preset.essential_constraints, preset.essential_constraints_origin(),
                                            resolve::ConstraintSource::mwaa_essential);
        if (!parsed) return unexpected(std::move(parsed).error());
        out = std::move(*parsed);
    }
    // Airflow itself is always pinned to the preset's version (the images' files pin it; older presets have
    // no such file).
    const bool pins_airflow = std::any_of(out.begin(), out.end(), [](const resolve::Constraint& c) {
        return pep508::canonicalize_name(c.requirement.name) == "apache-airflow";
    });
    if (!pins_airflow) {
        auto airflow = pep508::Requirement::parse("apache-airflow==" + preset.airflow_version);
        if (!airflow) return unexpected(std::move(airflow).error());
        out.insert(out.begin(), {*airflow, fmt::format("MWAA essential pin for Airflow {}", preset.airflow_version),
                                 resolve::ConstraintSource::mwaa_essential});
    }
    return out;
}

auto essential_pins(const image::Preset& preset) -> std::vector<std::string> {
    std::vector<std::string> pins;
    auto constraints = essential_constraints(preset);
    // The embedded files are unit-tested to parse; should one not, Airflow's own pin still holds.
    if (!constraints) return {"apache-airflow==" + preset.airflow_version};
    for (const auto& c : *constraints) pins.push_back(c.requirement.to_string());
    return pins;
}

auto make_fetcher(http::Engine& engine) -> reqfile::Fetcher {
    return [&engine](std::string_view url) -> Expected<std::string> {
        http::Request request{std::string(url)};
        request.max_body = http::max_document_bytes;  // a requirements file is kilobytes
        auto response = engine.fetch(std::move(request));
        if (!response) return unexpected(std::move(response).error());
        return std::move(response->body);
    };
}

auto read_inputs(const InputOptions& options, http::Engine& engine) -> Expected<Inputs> {
    Inputs inputs;
    auto flags = flags_from_environment(options.flags, options.environment);
    if (!flags) return unexpected(std::move(flags).error());

    reqfile::ParseOptions parse;
    parse.fetcher = make_fetcher(engine);
    if (options.environment) parse.environment = options.environment;

    // pip's order: the command line sets the index list, each file's -i replaces it, --no-index empties it.
    std::vector<std::string> index_urls{flags->index_url.value_or(std::string(reqfile::IndexOptions::pypi_simple_url))};
    for (const auto& url : flags->extra_index_urls) add_unique(index_urls, url);
    bool no_index = flags->no_index;
    std::vector<std::string> find_links = flags->find_links;
    std::vector<std::string> trusted = flags->trusted_hosts;
    bool pre = flags->pre;
    bool prefer_binary = flags->prefer_binary;
    std::set<std::string> only_binary;
    std::set<std::string> no_binary;
    for (const auto& v : flags->only_binary)
        for (const auto& part : util::split(v, ','))
            only_binary.insert(part.substr(0, 1) == ":" ? std::string(part) : pep508::canonicalize_name(part));
    for (const auto& v : flags->no_binary)
        for (const auto& part : util::split(v, ','))
            no_binary.insert(part.substr(0, 1) == ":" ? std::string(part) : pep508::canonicalize_name(part));

    auto read_one = [&](const std::string& file, bool constraint) -> Expected<void> {
        auto opts = parse;
        opts.constraint = constraint;
        auto parsed = reqfile::parse_file(file, opts);
        if (!parsed) return unexpected(std::move(parsed).error());
        for (const auto& name : parsed->files) {
            std::string sha;
            if (!is_url(name)) {
                auto bytes = util::read_file(name);
                if (bytes) sha = util::sha256_hex(*bytes);
            }
            inputs.files.push_back({constraint ? "constraints" : "requirements", util::stored_url(name), sha});
        }
        for (const auto& w : parsed->warnings) inputs.warnings.push_back(w.location.to_string() + ": " + w.message);
        const auto& o = parsed->options;
        if (o.index_url) index_urls = {*o.index_url};
        for (const auto& url : o.extra_index_urls) add_unique(index_urls, url);
        if (o.no_index) no_index = true;
        for (const auto& link : o.find_links) add_unique(find_links, link);
        for (const auto& host : o.trusted_hosts) add_unique(trusted, host);
        pre = pre || o.pre;
        if (o.require_hashes) inputs.require_hashes = true;
        for (const auto& list : {std::cref(parsed->requirements), std::cref(parsed->constraints)}) {
            for (const auto& entry : list.get()) {
                if (auto ok = take_hashes(entry, inputs); !ok) return unexpected(std::move(ok).error());
            }
        }
        prefer_binary = prefer_binary || o.prefer_binary;
        only_binary.insert(o.only_binary.begin(), o.only_binary.end());
        no_binary.insert(o.no_binary.begin(), o.no_binary.end());
        for (const auto& entry : parsed->requirements) {
            if (entry.kind == reqfile::EntryKind::wheel_path) {
                // A local wheel: its folder becomes a find-links source and the pin selects the file.
                add_unique(find_links, fs::absolute(fs::path(entry.location)).parent_path().string());
            } else if (entry.kind == reqfile::EntryKind::wheel_url) {
                return make_error(
                    ErrorCode::invalid_input,
                    fmt::format("a direct wheel URL is not supported yet: '{}'", util::redact_url(entry.location)),
                    Location{entry.origin.file, entry.origin.line, 0},
                    "put the wheel in a folder and pass it with --find-links");
            } else if (entry.requirement.url) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("a direct reference (name @ URL) is not supported yet: '{}'",
                                              util::redact_urls_in(entry.text)),
                                  Location{entry.origin.file, entry.origin.line, 0},
                                  "publish the wheel on an index or in a --find-links folder and pin its version");
            }
            inputs.requirements.push_back({entry.requirement, entry.origin.to_string()});
        }
        for (const auto& entry : parsed->constraints) {
            auto c = to_constraint(entry, resolve::ConstraintSource::user);
            if (!c) return unexpected(std::move(c).error());
            inputs.constraints.push_back(std::move(*c));
        }
        return {};
    };
    for (const auto& file : options.requirement_files) {
        if (auto ok = read_one(file, false); !ok) return unexpected(std::move(ok).error());
    }
    for (const auto& file : options.constraint_files) {
        if (auto ok = read_one(file, true); !ok) return unexpected(std::move(ok).error());
    }
    if (options.require_hashes) inputs.require_hashes = true;
    if (inputs.require_hashes) {
        // As pip: a hash names one file, so a requirement that is not pinned to one version cannot be checked.
        for (const auto& r : inputs.requirements) {
            const auto& clauses = r.requirement.specifier.specifiers();
            const bool pinned =
                clauses.size() == 1 &&
                ((clauses[0].op() == pep440::Operator::equal && !clauses[0].version_text().ends_with(".*")) ||
                 clauses[0].op() == pep440::Operator::arbitrary);
            if (!pinned) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("in hash-checking mode every requirement must be pinned with ==, and "
                                              "'{}' is not",
                                              r.requirement.to_string()),
                                  {}, fmt::format("{}: pin it (name==version) with its --hash lines", r.origin));
            }
        }
    }

    // The target's Airflow constraints: the image's own copy when the preset has one (no network), else
    // downloaded from the preset's constraints URL; --airflow-constraints FILE|URL replaces either.
    std::optional<std::string> airflow_text;
    std::string airflow_origin;
    if (options.airflow == AirflowConstraints::file) {
        auto read = read_airflow_override(options.airflow_file.string(), engine, options.cache_dir, inputs.warnings);
        if (!read) return unexpected(std::move(read).error());
        airflow_text = std::move(read->first);
        airflow_origin = std::move(read->second);
    } else if (options.airflow == AirflowConstraints::download && options.preset) {
        if (options.preset->airflow_constraints) {
            airflow_text = *options.preset->airflow_constraints;
            airflow_origin = options.preset->airflow_constraints_origin();
        } else {
            auto text =
                download_constraints(options.preset->constraints_url, engine, options.cache_dir, inputs.warnings);
            if (!text) return unexpected(std::move(text).error());
            airflow_text = std::move(*text);
            airflow_origin = options.preset->constraints_url;
        }
    }
    if (airflow_text) {
        auto parsed = constraints_from_text(*airflow_text, airflow_origin, resolve::ConstraintSource::airflow);
        if (!parsed) return unexpected(std::move(parsed).error());
        inputs.files.push_back({"airflow-constraints", airflow_origin, util::sha256_hex(*airflow_text)});
        for (auto& c : *parsed) inputs.constraints.push_back(std::move(c));
    }
    if (options.preset) {
        auto essential = essential_constraints(*options.preset);
        if (!essential) return unexpected(std::move(essential).error());
        for (auto& c : *essential) inputs.constraints.push_back(std::move(c));
    }

    // What the target already has: the --installed file, else the preset's image, unless the whole closure is
    // asked for.
    if (!options.full_bundle && options.installed_file) {
        auto installed = read_installed_file(*options.installed_file);
        if (!installed) return unexpected(std::move(installed).error());
        inputs.installed = std::move(*installed);
    } else if (!options.full_bundle && options.preset) {
        inputs.installed = image_installed_set(*options.preset);
    }

    if (no_index) index_urls.clear();
    inputs.sources.index_urls = index_urls;
    inputs.sources.find_links = find_links;
    inputs.sources.no_index = no_index;
    inputs.trusted_hosts = trusted;
    inputs.options.pre = pre;
    inputs.options.prefer_binary = prefer_binary;
    // MWAA cannot build sdists offline: wheels only unless the user says otherwise (--only-binary :none:).
    inputs.options.only_binary = only_binary.count(":none:") == 0;
    if (only_binary.count(":all:") != 0) inputs.options.only_binary = true;
    for (const auto& name : only_binary)
        if (name.front() != ':') inputs.options.only_binary_names.insert(name);
    for (const auto& name : no_binary)
        if (name.front() != ':') inputs.options.no_binary.insert(name);
    if (inputs.requirements.empty()) {
        return make_error(ErrorCode::usage, "nothing to lock: no requirements given", {}, "pass -r requirements.txt");
    }
    return inputs;
}

auto image_installed_set(const image::Preset& preset) -> std::optional<InstalledSet> {
    if (!preset.has_installed_set) return std::nullopt;
    InstalledSet set;
    set.preset = preset.name;
    set.label = "the " + preset.name + " image";
    set.source = preset.source;
    for (const auto& p : preset.installed) {
        resolve::InstalledDistribution dist;
        dist.name = p.name;
        if (p.version) {
            auto version = pep440::Version::parse(*p.version);
            if (!version) continue;  // the converter writes versions pip printed; none fails to parse
            dist.version = *version;
        }
        set.packages.push_back(std::move(dist));
    }
    return set;
}

auto read_installed_file(const fs::path& path) -> Expected<InstalledSet> {
    auto text = util::read_file(path);
    if (!text) return unexpected(std::move(text).error());
    // pip freeze writes editable installs as `-e <location>`: nothing the bundle could hold or replace.
    std::string kept;
    for (auto line : util::split(*text, '\n')) {
        auto trimmed = util::trim(line);
        bool editable = trimmed.starts_with("-e ") || trimmed.starts_with("--editable");
        kept += editable ? std::string() : std::string(line);
        kept += '\n';
    }
    reqfile::ParseOptions parse;
    parse.environment = [](std::string_view) { return std::optional<std::string>(); };
    auto parsed = reqfile::parse_text(kept, path.string(), parse);
    if (!parsed) return unexpected(std::move(parsed).error());
    InstalledSet set;
    set.label = path.filename().string();
    set.source = path.string();
    std::set<std::string> seen;
    for (const auto& entry : parsed->requirements) {
        const Location where{entry.origin.file, entry.origin.line, 0};
        resolve::InstalledDistribution dist;
        dist.name = entry.requirement.canonical_name();
        const auto& clauses = entry.requirement.specifier.specifiers();
        if (entry.kind != reqfile::EntryKind::named || entry.requirement.url) {
            // `name @ file:///...`: installed from a file; pip freeze does not say which version.
        } else if (clauses.size() == 1 && clauses[0].op() == pep440::Operator::equal && !clauses[0].is_wildcard() &&
                   clauses[0].version()) {
            dist.version = *clauses[0].version();
        } else if (!clauses.empty()) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("'{}': an installed package is written name==version", entry.text), where,
                              "write the file with `pip freeze` (or `pip list --format=freeze`) on the target");
        }
        if (!seen.insert(dist.name).second) {
            return make_error(ErrorCode::invalid_input, fmt::format("{} is listed twice", dist.name), where,
                              "an environment has one version of each package: keep one line");
        }
        set.packages.push_back(std::move(dist));
    }
    std::sort(set.packages.begin(), set.packages.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return set;
}

auto check_hash_allowed(const std::map<std::string, std::vector<std::string>>& allowed, std::string_view project,
                        std::string_view version, std::string_view filename, std::string_view sha256)
    -> Expected<void> {
    auto it = allowed.find(std::string(project));
    const auto digest = util::to_lower(sha256);
    if (it != allowed.end() && std::find(it->second.begin(), it->second.end(), digest) != it->second.end()) return {};
    return make_error(
        ErrorCode::verification,
        it == allowed.end()
            ? fmt::format("{} {}: hashes are required and no --hash line names it", project, version)
            : fmt::format("{}: sha256 {} is not one of the --hash digests for {}", filename, digest, project),
        {},
        "add --hash=sha256:<digest> for it (pip hash FILE), as pip's hash-checking mode needs for every "
        "package, dependencies included");
}

}  // namespace wheelhouse::app
