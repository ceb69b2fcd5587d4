// Shared between the page parsers and the find-links reader: a raw link and how it becomes a Candidate.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wheelhouse/index/index.hpp"

namespace wheelhouse::index::detail {

struct LinkInfo {
    std::string url;       // absolute, may still carry a #hash fragment
    std::string filename;  // empty: taken from the URL
    std::map<std::string, std::string> hashes;
    std::optional<std::string> requires_python;
    bool yanked = false;
    std::optional<std::string> yanked_reason;
    MetadataAvailability metadata;
    std::optional<std::uint64_t> size;
};

auto split_fragment(std::string_view url) -> std::pair<std::string, std::string>;
auto filename_of_url(std::string_view url) -> std::string;
// A Candidate when the file is a wheel or sdist with a valid name; otherwise a note in `skipped`.
auto make_candidate(LinkInfo link, std::string_view index_label, std::vector<std::string>& skipped)
    -> std::optional<Candidate>;

}  // namespace wheelhouse::index::detail
