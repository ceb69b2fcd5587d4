#include "wheelhouse/app/index_provider.hpp"

#include <algorithm>
#include <utility>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/pep440/specifier.hpp"

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
    return files;
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
    Expected<metadata::Metadata> result = core ? Expected<metadata::Metadata>(std::move(core->parsed))
                                               : Expected<metadata::Metadata>(unexpected(core.error()));
    m_metadata.emplace(file.url, result);
    return result;
}

// The resolver asks for the metadata of the newest installable version first; fetching those for every
// project of a batch at once turns a chain of round trips into one parallel batch.
void ClientProvider::prefetch_metadata(const std::vector<std::string>& projects) {
    std::vector<index::Candidate> wanted;
    for (const auto& p : projects) {
        auto it = m_pages.find(p);
        if (it == m_pages.end() || !it->second) continue;
        const index::Candidate* best = nullptr;
        std::size_t best_priority = 0;
        for (const auto& c : it->second->candidates) {
            if (!c.is_wheel() || c.yanked) continue;
            if (!m_pre && c.version().is_prerelease()) continue;
            if (c.requires_python) {
                auto spec = pep440::SpecifierSet::parse(*c.requires_python);
                auto python = pep440::Version::parse(m_target.python().full_version());
                if (spec && python && !spec->contains(*python, true)) continue;
            }
            auto rank = m_target.rank(*c.wheel());
            if (!rank.compatible) continue;
            if (best == nullptr || best->version() < c.version() ||
                (best->version() == c.version() && rank.priority < best_priority)) {
                best = &c;
                best_priority = rank.priority;
            }
        }
        if (best != nullptr && m_metadata.find(best->url) == m_metadata.end()) wanted.push_back(*best);
    }
    if (wanted.size() < 2) return;
    auto results = m_client.metadata(wanted, m_reporter);
    for (std::size_t i = 0; i < wanted.size() && i < results.size(); ++i) {
        if (results[i]) {
            m_metadata.emplace(wanted[i].url, std::move(results[i]->parsed));
        }
        // Errors are not kept: metadata() asks again and reports them where the resolver needs it.
    }
}

void ClientProvider::prefetch(const std::vector<std::string>& projects) {
    load(projects);
    prefetch_metadata(projects);
}

auto ClientProvider::origin(std::string_view url) const -> std::string {
    auto it = m_by_url.find(url);
    if (it == m_by_url.end()) return {};
    return cache::strip_credentials(it->second.index);
}

}  // namespace wheelhouse::app
