// The resolver's view of package indexes: index::Client adapted to resolve::IndexProvider, pages and
// core metadata fetched ahead in parallel.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/index/index.hpp"
#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/target.hpp"

namespace wheelhouse::app {

class ClientProvider final : public resolve::IndexProvider {
public:
    // The client must outlive the provider. The target and `pre` decide which file's metadata is worth
    // fetching ahead (the newest installable version of each prefetched project).
    ClientProvider(index::Client& client, tags::Target target, bool pre, http::Reporter* reporter = nullptr);

    auto candidates(std::string_view project) -> Expected<std::vector<resolve::CandidateFile>> override;
    auto skipped(std::string_view project) -> std::vector<std::string> override;
    auto metadata(std::string_view project, const resolve::CandidateFile& file)
        -> Expected<metadata::Metadata> override;
    // Fetches the projects' pages and the likely versions' metadata, then walks their dependencies (markers
    // true for the target, no extras) breadth-first the same way: one parallel batch per level of the graph
    // instead of one round trip per project the resolver pins.
    void prefetch(const std::vector<std::string>& projects) override;
    // Constraints narrow which version's metadata is worth fetching ahead (an Airflow pin, not the newest).
    void set_constraints(const std::vector<resolve::Constraint>& constraints);
    // The environment's installed versions: where the specifiers admit one, prefetch reads that version's metadata
    // (the resolver keeps it) and does not report it as likely (its wheel is not bundled).
    void set_installed(const std::vector<resolve::InstalledDistribution>& installed);
    // Hash-checking mode (pip's): a project's files whose index digest is not among its --hash digests are not
    // candidates, unless none is (then the fetch reports the mismatch).
    void set_allowed_hashes(std::map<std::string, std::vector<std::string>> allowed) { m_allowed = std::move(allowed); }
    // Called with each file prefetch picked as its project's likely version, once its metadata has arrived (the
    // build starts downloading those wheels while the resolution goes on).
    void set_on_likely(std::function<void(const index::Candidate&)> on_likely) { m_on_likely = std::move(on_likely); }

    // Where a file was listed (index URL without credentials, or find-links location); "" if unknown.
    [[nodiscard]] auto origin(std::string_view url) const -> std::string;
    // The core metadata the resolution was given for a file, and where it came from (in words), for the check
    // of the downloaded wheel against it (index::check_wheel_metadata); nothing if none was read.
    struct UsedMetadata {
        metadata::Metadata metadata;
        std::string source;
    };
    [[nodiscard]] auto used_metadata(std::string_view url) const -> std::optional<UsedMetadata>;
    [[nodiscard]] auto pages() const -> std::size_t { return m_pages.size(); }

private:
    void load(const std::vector<std::string>& projects);
    // Fetches the metadata of each project's likely version; returns that file's URL per project ("" if none).
    auto prefetch_metadata(const std::vector<std::string>& projects) -> std::vector<std::string>;
    void hint(const std::string& project, const pep440::SpecifierSet& specifier);

    index::Client& m_client;
    tags::Target m_target;
    bool m_pre = false;
    http::Reporter* m_reporter = nullptr;
    std::map<std::string, Expected<index::ProjectFiles>, std::less<>> m_pages;
    std::map<std::string, index::Candidate, std::less<>> m_by_url;
    std::map<std::string, Expected<metadata::Metadata>, std::less<>> m_metadata;  // by file URL
    std::map<std::string, std::string, std::less<>> m_metadata_source;            // by file URL, in words
    // Specifiers seen for a project (constraints, dependents' requirements): prefetch prefers versions in them.
    std::map<std::string, std::vector<pep440::SpecifierSet>, std::less<>> m_hints;
    std::map<std::string, std::vector<std::string>> m_allowed;
    std::map<std::string, pep440::Version, std::less<>> m_installed;
    std::function<void(const index::Candidate&)> m_on_likely;
};

// index::Candidate -> resolve::CandidateFile.
auto to_candidate_file(const index::Candidate& candidate) -> resolve::CandidateFile;

}  // namespace wheelhouse::app
