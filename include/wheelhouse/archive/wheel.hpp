// Reading wheels (zip, via libarchive): entries, members with size caps, and the .dist-info files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::archive {

// Zip-bomb guards. A member whose uncompressed size exceeds max_member_size is refused (whether
// its header says so or the bytes show it), and so is a wheel whose entries add up to more than
// max_total_size.
struct Limits {
    std::uint64_t max_member_size = 512ULL << 20;
    std::uint64_t max_total_size = 4ULL << 30;
    std::size_t max_entries = 200000;
};

// The .dist-info files read into memory and parsed have caps far below max_member_size: METADATA is a few
// kilobytes (a long description included), RECORD about 100 bytes per member of the largest wheels.
inline constexpr std::uint64_t max_metadata_member_size = 16ULL << 20;
inline constexpr std::uint64_t max_record_member_size = 64ULL << 20;

struct Entry {
    std::string name;        // path inside the archive, '/'-separated, directories end without '/'
    std::uint64_t size = 0;  // uncompressed size as the archive declares it
    bool is_dir = false;
    bool is_symlink = false;
    std::uint32_t mode = 0;  // permission bits (0777 and setuid/setgid/sticky); 0 when not recorded
};

// The .dist-info/WHEEL file (PEP 427).
struct WheelInfo {
    std::string wheel_version;  // e.g. "1.0"
    std::optional<std::string> generator;
    bool root_is_purelib = false;
    std::vector<std::string> tags;  // "py3-none-any", in file order
    std::optional<std::string> build;
};

// One RECORD row: path, "<algorithm>=<urlsafe base64 without padding>", size. Hash and size are
// empty for RECORD itself (and signature files).
struct RecordEntry {
    std::string path;
    std::string hash_algorithm;  // "sha256"; empty when no hash
    std::string hash_hex;        // the decoded digest in lowercase hex; empty when no hash
    std::optional<std::uint64_t> size;
    int line = 0;  // 1-based line in RECORD
};

// Parses WHEEL. Wheel-Version is required and its major version must be 1. `file` labels errors.
auto parse_wheel_info(std::string_view text, std::string_view file = {}) -> Expected<WheelInfo>;

// Parses RECORD as CSV (comma, '"' quoting with doubled quotes). Rejects unsafe paths (absolute,
// '..' components, backslashes), malformed hashes, weak algorithms (md5, sha1, sha224) and sizes
// that are not decimal numbers.
auto parse_record(std::string_view text, std::string_view file = {}) -> Expected<std::vector<RecordEntry>>;

// True if a member name is safe to extract: relative, '/'-separated, no '..' or empty/'.'
// components in the middle, no drive letter, no NUL.
auto is_safe_member_name(std::string_view name) -> bool;

// PEP 503 normalisation with '_' as separator, as used in wheel and dist-info names.
auto normalise_project_for_filename(std::string_view name) -> std::string;

// An opened wheel. Opening lists the entries and checks them (safe names, no duplicates, the
// limits, exactly one top-level *.dist-info folder whose project matches the file name); the
// members are read on demand.
class WheelReader {
public:
    static auto open(const std::filesystem::path& path, Limits limits = {}) -> Expected<WheelReader>;
    // `filename` (e.g. "demo-1.0-py3-none-any.whl") is used for error messages and the
    // dist-info name check; when empty the check is skipped.
    static auto open_buffer(std::string bytes, std::string filename = {}, Limits limits = {}) -> Expected<WheelReader>;

    [[nodiscard]] auto filename() const -> const std::string& { return m_filename; }
    [[nodiscard]] auto entries() const -> const std::vector<Entry>& { return m_entries; }
    [[nodiscard]] auto find(std::string_view name) const -> const Entry*;
    // e.g. "demo_pkg-1.0.0.dist-info"
    [[nodiscard]] auto dist_info() const -> const std::string& { return m_dist_info; }

    // Reads one regular-file member fully, refusing more than max_member_size bytes (or max_bytes, if smaller),
    // counted as they come out.
    [[nodiscard]] auto read(std::string_view name, std::optional<std::uint64_t> max_bytes = std::nullopt) const
        -> Expected<std::string>;

    // <dist-info>/METADATA as text (at most max_metadata_member_size bytes).
    [[nodiscard]] auto read_metadata() const -> Expected<std::string>;
    [[nodiscard]] auto read_wheel_info() const -> Expected<WheelInfo>;             // at most max_metadata_member_size
    [[nodiscard]] auto read_record() const -> Expected<std::vector<RecordEntry>>;  // max_record_member_size

    WheelReader(WheelReader&&) noexcept;
    auto operator=(WheelReader&&) noexcept -> WheelReader&;
    WheelReader(const WheelReader&) = delete;
    auto operator=(const WheelReader&) -> WheelReader& = delete;
    ~WheelReader();

    struct Source;  // a path or a shared buffer; defined in the implementation

private:
    WheelReader() = default;
    static auto open_source(std::shared_ptr<const Source> source, std::string filename, Limits limits)
        -> Expected<WheelReader>;

    std::shared_ptr<const Source> m_source;
    std::string m_filename;
    Limits m_limits;
    std::vector<Entry> m_entries;
    std::string m_dist_info;
};

// Everything `inspect` shows, in one call: open, then METADATA text, WHEEL and RECORD.
struct WheelContents {
    std::string filename;
    std::string dist_info;
    std::string metadata;  // the METADATA text; metadata::Metadata::parse interprets it
    WheelInfo wheel;
    std::vector<RecordEntry> record;
    std::vector<Entry> entries;
};

auto read_wheel(const std::filesystem::path& path, Limits limits = {}) -> Expected<WheelContents>;

}  // namespace wheelhouse::archive
