// Reading any zip (libarchive) member by member: list, read small members, extract large ones to disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::archive {

struct ExtractedFile {
    std::uint64_t size = 0;
    std::string sha256;  // lowercase hex, computed while extracting
};

// An opened zip whose entries were listed from the central directory (the index that pip's
// zipfile and unzip use). Names are checked as for wheels (no absolute or '..' paths, no duplicates)
// and the Limits apply. Errors are ErrorCode::verification: a bundle that cannot be read fails
// `verify`.
class ZipReader {
public:
    static auto open(const std::filesystem::path& path, Limits limits = {}) -> Expected<ZipReader>;

    [[nodiscard]] auto path() const -> const std::filesystem::path& { return m_path; }
    [[nodiscard]] auto entries() const -> const std::vector<Entry>& { return m_entries; }
    [[nodiscard]] auto find(std::string_view name) const -> const Entry*;

    // Reads one regular-file member into memory: at most limits.max_member_size bytes, or max_bytes if that is
    // smaller (counted as they come out: a header can lie about the size).
    [[nodiscard]] auto read(std::string_view name, std::optional<std::uint64_t> max_bytes = std::nullopt) const
        -> Expected<std::string>;
    // Streams one regular-file member to `destination` (written atomically), hashing it on the way.
    [[nodiscard]] auto extract(std::string_view name, const std::filesystem::path& destination) const
        -> Expected<ExtractedFile>;

private:
    ZipReader() = default;

    std::filesystem::path m_path;
    Limits m_limits;
    std::vector<Entry> m_entries;
};

}  // namespace wheelhouse::archive
