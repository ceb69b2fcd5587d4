// The dist/ folder as one set of files: build stages its four outputs in a locked folder inside dist/ and renames
// them in (build-report.json first, plugins.zip last); deploy and verify first check every file against the
// digests build-report.json records, so that a build killed between two renames (a new requirements.txt next to
// an old plugins.zip) is refused instead of uploaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

inline constexpr std::string_view k_dist_plugins = "plugins.zip";
inline constexpr std::string_view k_dist_requirements = "requirements.txt";
inline constexpr std::string_view k_dist_constraints = "constraints.txt";
inline constexpr std::string_view k_dist_report = "build-report.json";
inline constexpr std::string_view k_staging_prefix = ".wheelhouse-build-";

struct DistMismatch {
    std::string file;  // one of the four names above
    std::string message;
};

struct DistCheck {
    bool report_found = false;  // false: no build-report.json (a folder build did not make): nothing to compare
    std::vector<DistMismatch> mismatches;
    [[nodiscard]] auto ok() const -> bool { return mismatches.empty(); }
};

// Compares plugins.zip (sha256 and size), requirements.txt and constraints.txt with build-report.json's
// bundle.sha256 / bundle.size, requirements_sha256 and constraints_sha256. `known` holds sha256 digests the
// caller computed already (by file name, e.g. "plugins.zip"); the other files are hashed here, streaming. A report
// that is not JSON or lacks a digest, and a missing or unreadable file, are mismatches.
auto check_dist(const std::filesystem::path& dist, const std::map<std::string, std::string>& known = {}) -> DistCheck;

// The mismatches as one verification error (exit 4) naming the files and the way out.
auto dist_mismatch_error(const std::filesystem::path& dist, const DistCheck& check) -> Error;

// A folder inside `output` to stage a build's files in, named k_staging_prefix + random and held under an
// exclusive flock for the object's lifetime; removed with everything in it when destroyed. Creating one first
// removes the staging folders of builds that died (a killed build's lock is gone with its process); the
// output folder itself is locked meanwhile, so that a build starting at the same moment is never mistaken for
// a dead one.
class StagingFolder {
public:
    static auto create(const std::filesystem::path& output) -> Expected<StagingFolder>;
    StagingFolder() = default;
    StagingFolder(StagingFolder&& other) noexcept;
    auto operator=(StagingFolder&& other) noexcept -> StagingFolder&;
    StagingFolder(const StagingFolder&) = delete;
    auto operator=(const StagingFolder&) -> StagingFolder& = delete;
    ~StagingFolder();
    [[nodiscard]] auto path() const -> const std::filesystem::path& { return m_path; }

private:
    std::filesystem::path m_path;
    cache::FileLock m_lock;
};

// Removes the staging folders in `output` that no live build holds; returns how many. Errors are ignored (a
// folder that cannot be removed now is tried again by the next build).
auto remove_stale_staging(const std::filesystem::path& output) -> std::size_t;

}  // namespace wheelhouse::app
