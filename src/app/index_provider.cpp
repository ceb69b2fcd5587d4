#include "wheelhouse/app/index_provider.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {

auto to_candidate_file(const index::Candidate& candidate) -> resolve::CandidateFile {
    resolve::CandidateFile file;
    file.filename = candidate.filename;
    file.url = candidate.url;
    file.hashes = candidate.hashes;
    file.requires_python = candidate.requires_python;
    file.yanked = candidate.yanked;
    file.yanked_reason = candidate.yanked_reason.value_or("");
    file.size = candidate.size;
    return file;
}

ClientProvider::ClientProvider(index::Client& client, tags::Target target, bool pre, http::Reporter* reporter)
    : m_client(client), m_target(std::move(target)), m_pre(pre), m_reporter(reporter) {}

void ClientProvider::load(const std::vector<std::string>& projects) {
    std::vector<std::string> missing;
    for (const auto& p : projects) {
        if (m_pages.find(p) == m_pages.end() && std::find(missing.begin(), missing.end(), p) == missing.end()) {
            missing.push_back(p);
        }
    }
    if (missing.empty()) return;
    auto results = m_client.candidates(missing, m_reporter);
    for (std::size_t i = 0; i < missing.size() && i < results.size(); ++i) {
        if (results[i]) {
            for (const auto& c : results[i]->candidates) m_by_url.emplace(c.url, c);
        }
        m_pages.emplace(missing[i], std::move(results[i]));
    }
}

auto ClientProvider::candidates(std::string_view project) -> Expected<std::vector<resolve::CandidateFile>> {
    std::string name(project);
    load({name});
    auto it = m_pages.find(name);
    if (it == m_pages.end()) return std::vector<resolve::CandidateFile>{};
    if (!it->second) return unexpected(it->second.error());
    std::vector<resolve::CandidateFile> files;
    files.reserve(it->second->candidates.size());
    for (const auto& c : it->second->candidates) files.push_back(to_candidate_file(c));
    if (auto allowed = m_allowed.find(name); allowed != m_allowed.end()) {
        auto unallowed = [&](const resolve::CandidateFile& f) {
            auto sha = f.hashes.find("sha256");
            return sha != f.hashes.end() && std::find(allowed->second.begin(), allowed->second.end(),
                                                      util::to_lower(sha->second)) == allowed->second.end();
        };
        if (!std::all_of(files.begin(), files.end(), unallowed)) std::erase_if(files, unallowed);
    }
    return files;
}

auto ClientProvider::skipped(std::string_view project) -> std::vector<std::string> {
    auto it = m_pages.find(std::string(project));
    if (it == m_pages.end() || !it->second) return {};
    return it->second->skipped;
}

auto ClientProvider::metadata(std::string_view project, const resolve::CandidateFile& file)
    -> Expected<metadata::Metadata> {
    if (auto it = m_metadata.find(file.url); it != m_metadata.end()) return it->second;
    auto candidate = m_by_url.find(file.url);
    if (candidate == m_by_url.end()) {
        return make_error(ErrorCode::internal, "metadata asked for a file no page listed: " + file.filename);
    }
    (void)project;
    auto core = m_client.metadata(candidate->second);
    if (core) m_metadata_source.emplace(file.url, index::describe_metadata_source(candidate->second, core->source));
    Expected<metadata::Metadata> result = core ? Expected<metadata::Metadata>(std::move(core->parsed))
                                               : Expected<metadata::Metadata>(unexpected(core.error()));
    m_metadata.emplace(file.url, result);
    return result;
}

void ClientProvider::hint(const std::string& project, const pep440::SpecifierSet& specifier) {
    if (specifier.to_string().empty()) return;
    auto& list = m_hints[project];
    for (const auto& s : list) {
        if (s.to_string() == specifier.to_string()) return;
    }
    list.push_back(specifier);
}

void ClientProvider::set_installed(const std::vector<resolve::InstalledDistribution>& installed) {
    for (const auto& d : installed) {
        if (d.version) m_installed.insert_or_assign(tags::normalize_name(d.name), *d.version);
    }
}

void ClientProvider::set_constraints(const std::vector<resolve::Constraint>& constraints) {
    const auto env = m_target.marker_environment();
    for (const auto& c : constraints) {
        if (c.requirement.marker) {
            auto applies = c.requirement.marker->evaluate(env);
            if (!applies || !*applies) continue;
        }
        hint(tags::normalize_name(c.requirement.name), c.requirement.specifier);
    }
}

// The resolver asks for the metadata of the newest installable version first (within the constraints);
// fetching those for every project of a batch at once turns a chain of round trips into one parallel batch.
auto ClientProvider::prefetch_metadata(const std::vector<std::string>& projects) -> std::vector<std::string> {
    std::vector<std::string> chosen(projects.size());
    std::vector<index::Candidate> wanted;
    std::set<std::string> kept;  // of `wanted`: installed versions the resolver is likely to keep
    auto python = pep440::Version::parse(m_target.python().full_version());
    for (std::size_t i = 0; i < projects.size(); ++i) {
        const auto& p = projects[i];
        auto it = m_pages.find(p);
        if (it == m_pages.end() || !it->second) continue;
        const auto hints = m_hints.find(p);
        auto admitted = [&](const pep440::Version& v) {
            return hints == m_hints.end() ||
                   std::all_of(hints->second.begin(), hints->second.end(),
                               [&](const pep440::SpecifierSet& s) { return s.contains(v, true); });
        };
        const index::Candidate* best = nullptr;
        std::size_t best_priority = 0;
        // An installed version the specifiers seen so far admit is what the resolver keeps: its metadata is the
        // one it reads (and its wheel is not bundled, so it is not fetched ahead).
        bool keeps_installed = false;
        if (auto installed = m_installed.find(p); installed != m_installed.end() && admitted(installed->second)) {
            for (const auto& c : it->second->candidates) {
                if (!c.is_wheel() || !(c.version() == installed->second)) continue;
                auto rank = m_target.rank(*c.wheel());
                if (rank.compatible && (best == nullptr || rank.priority < best_priority)) {
                    best = &c;
                    best_priority = rank.priority;
                }
            }
            keeps_installed = best != nullptr;
        }
        for (const auto& c : it->second->candidates) {
            if (keeps_installed) break;
            if (!c.is_wheel() || c.yanked) continue;
            if (!m_pre && c.version().is_prerelease()) continue;
            if (c.requires_python) {
                auto spec = pep440::SpecifierSet::parse(*c.requires_python);
                if (spec && python && !spec->contains(*python, true)) continue;
            }
            if (!admitted(c.version())) continue;
            auto rank = m_target.rank(*c.wheel());
            if (!rank.compatible) continue;
            if (best == nullptr || best->version() < c.version() ||
                (best->version() == c.version() && rank.priority < best_priority)) {
                best = &c;
                best_priority = rank.priority;
            }
        }
        if (best == nullptr) continue;
        chosen[i] = best->url;
        if (m_metadata.find(best->url) == m_metadata.end() &&
            std::none_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.url == best->url; })) {
            wanted.push_back(*best);
            if (keeps_installed) kept.insert(best->url);
        }
    }
    if (wanted.empty()) return chosen;
    auto results = m_client.metadata(wanted, m_reporter);
    for (std::size_t i = 0; i < wanted.size() && i < results.size(); ++i) {
        // Failures are kept too: metadata() hands them to the resolver if it ever asks for that file (asking the
        // server again would turn a hash mismatch into a silent second download).
        const bool usable = results[i].has_value();
        if (usable) {
            m_metadata_source.emplace(wanted[i].url, index::describe_metadata_source(wanted[i], results[i]->source));
        }
        m_metadata.emplace(wanted[i].url, results[i] ? Expected<metadata::Metadata>(std::move(results[i]->parsed))
                                                     : Expected<metadata::Metadata>(unexpected(results[i].error())));
        if (usable && m_on_likely && kept.count(wanted[i].url) == 0) m_on_likely(wanted[i]);
    }
    return chosen;
}

void ClientProvider::prefetch(const std::vector<std::string>& projects) {
    const auto env = m_target.marker_environment();
    std::vector<std::string> frontier = projects;
    std::set<std::string, std::less<>> seen(projects.begin(), projects.end());
    // A guess only: a level's failures (a missing page, bad metadata) are left for the resolver to meet.
    for (int level = 0; level < 100 && !frontier.empty(); ++level) {
        load(frontier);
        const auto chosen = prefetch_metadata(frontier);
        std::vector<std::string> next;
        for (const auto& url : chosen) {
            if (url.empty()) continue;
            auto meta = m_metadata.find(url);
            if (meta == m_metadata.end() || !meta->second) continue;
            auto requirements = meta->second->requires_dist();
            if (!requirements) continue;
            for (const auto& r : *requirements) {
                if (r.url) continue;
                if (r.marker) {
                    auto applies = r.marker->evaluate(env);
                    if (!applies || !*applies) continue;  // extras' dependencies wait until an extra is asked for
                }
                auto name = tags::normalize_name(r.name);
                hint(name, r.specifier);
                if (seen.insert(name).second && m_pages.find(name) == m_pages.end()) next.push_back(name);
            }
        }
        frontier = std::move(next);
    }
}

auto ClientProvider::used_metadata(std::string_view url) const -> std::optional<UsedMetadata> {
    auto meta = m_metadata.find(url);
    if (meta == m_metadata.end() || !meta->second) return std::nullopt;
    auto source = m_metadata_source.find(url);
    return UsedMetadata{*meta->second, source != m_metadata_source.end() ? source->second : std::string("the index")};
}

auto ClientProvider::origin(std::string_view url) const -> std::string {
    auto it = m_by_url.find(url);
    if (it == m_by_url.end()) return {};
    return util::stored_url(it->second.index);
}

}  // namespace wheelhouse::app
