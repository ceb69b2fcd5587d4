// plugins.zip: the bundled wheels, constraints.txt and the user's plugin files in one reproducible zip.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/archive/zip_reader.hpp"
#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::bundle {

// MWAA unzips plugins.zip into /usr/local/airflow/plugins/, where requirements.txt's
// `--constraint "/usr/local/airflow/plugins/constraints.txt"` finds this file.
inline constexpr std::string_view k_constraints_name = "constraints.txt";
// A constraints file read back from a bundle is held in memory: at most this many bytes.
inline constexpr std::uint64_t k_max_constraints_size = 64ULL << 20;

// AWS advises keeping plugins.zip under 1 GB, and MWAA kills the requirements install after about
// 9-10 minutes (then rolls the update back). Binary units: 512 MiB and 1 GiB.
inline constexpr std::uint64_t k_default_warn_size = 512ULL << 20;
inline constexpr std::uint64_t k_default_max_size = 1ULL << 30;

struct BundledWheel {
    std::filesystem::path path;  // the wheel file (in the cache)
    std::string filename;        // its name in the bundle; empty: path's file name
};

struct PluginsRequest {
    std::vector<BundledWheel> wheels;
    std::optional<std::string> constraints;            // the content of constraints.txt
    std::optional<std::filesystem::path> plugins_dir;  // --plugins-dir: merged at the root
    std::string wheel_dir;                             // --wheel-dir: "" puts the wheels at the root
    std::uint64_t warn_size = k_default_warn_size;
    std::optional<std::uint64_t> max_size = k_default_max_size;  // --max-size; nullopt: no limit
    archive::ZipOptions zip;                                     // timestamp (SOURCE_DATE_EPOCH)
};

enum class MemberOrigin { wheel, constraints, plugins_dir };

struct PlannedMember {
    std::string name;  // in the zip; folders end with '/'
    MemberOrigin origin = MemberOrigin::wheel;
    std::filesystem::path source;  // empty for constraints.txt (in memory) and folders
    std::uint64_t size = 0;
};

// The checked content of plugins.zip, before anything is written.
//
// plan() refuses (ErrorCode::invalid_input, nothing written):
// - a name used twice, e.g. a plugins-dir file named like a wheel or constraints.txt (the error
//   names both sources), or a file where a folder is needed;
// - a symlink in the plugins folder that points outside it or nowhere (one that stays inside is
//   stored as the file it points to; one to a folder is refused), and special files;
// - a bundle estimated above max_size, listing the five largest wheels; above warn_size it only
//   adds a warning. The estimate is the members' sizes plus the zip headers: wheels are stored, so
//   it is close to the real size, and plugin files count uncompressed.
// __pycache__ folders and *.pyc files in the plugins folder are skipped.
class PluginsLayout {
public:
    static auto plan(PluginsRequest request) -> Expected<PluginsLayout>;

    [[nodiscard]] auto members() const -> const std::vector<PlannedMember>& { return m_members; }  // sorted
    [[nodiscard]] auto estimated_size() const -> std::uint64_t { return m_estimated_size; }
    [[nodiscard]] auto warnings() const -> const std::vector<std::string>& { return m_warnings; }

    // Writes the zip atomically (see archive::ZipWriter::write); returns its size and sha256.
    [[nodiscard]] auto write(const std::filesystem::path& destination) const -> Expected<archive::ZipResult>;

private:
    PluginsLayout() = default;

    PluginsRequest m_request;
    std::vector<PlannedMember> m_members;
    std::uint64_t m_estimated_size = 0;
    std::vector<std::string> m_warnings;
};

// What `verify` needs from an existing plugins.zip.
struct PluginsContents {
    archive::ZipReader reader;               // to extract and hash the wheels
    std::vector<archive::Entry> wheels;      // "*.whl" files directly in wheel_dir (names include it)
    std::optional<std::string> constraints;  // constraints.txt at the root, when present
    std::vector<archive::Entry> others;      // everything else that is not a folder
};

// Opens plugins.zip and sorts its entries. An unreadable or unsafe zip fails verification.
auto read_plugins(const std::filesystem::path& zip, std::string_view wheel_dir = {}) -> Expected<PluginsContents>;

// "1.5 GiB", "812.3 MiB", "4.0 KiB", "17 B": for messages.
auto format_size(std::uint64_t bytes) -> std::string;

}  // namespace wheelhouse::bundle
