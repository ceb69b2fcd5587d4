// The resolver's view of package indexes: index::Client adapted to resolve::IndexProvider, pages and
// core metadata fetched ahead in parallel.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/index/index.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/target.hpp"

namespace wheelhouse::app {

class ClientProvider final : public resolve::IndexProvider {
public:
    // The client must outlive the provider. The target and `pre` decide which file's metadata is worth
    // fetching ahead (the newest installable version of each prefetched project).
    ClientProvider(index::Client& client, tags::Target target, bool pre, http::Reporter* reporter = nullptr);

    auto candidates(std::string_view project) -> Expected<std::vector<resolve::CandidateFile>> override;
    auto metadata(std::string_view project, const resolve::CandidateFile& file)
        -> Expected<metadata::Metadata> override;
    void prefetch(const std::vector<std::string>& projects) override;

    // Where a file was listed (index URL without credentials, or find-links location); "" if unknown.
    [[nodiscard]] auto origin(std::string_view url) const -> std::string;
    [[nodiscard]] auto pages() const -> std::size_t { return m_pages.size(); }

private:
    void load(const std::vector<std::string>& projects);
    void prefetch_metadata(const std::vector<std::string>& projects);

    index::Client& m_client;
    tags::Target m_target;
    bool m_pre = false;
    http::Reporter* m_reporter = nullptr;
    std::map<std::string, Expected<index::ProjectFiles>, std::less<>> m_pages;
    std::map<std::string, index::Candidate, std::less<>> m_by_url;
    std::map<std::string, Expected<metadata::Metadata>, std::less<>> m_metadata;  // by file URL
};

// index::Candidate -> resolve::CandidateFile.
auto to_candidate_file(const index::Candidate& candidate) -> resolve::CandidateFile;

}  // namespace wheelhouse::app
