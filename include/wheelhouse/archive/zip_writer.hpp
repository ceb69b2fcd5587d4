// Writing byte-for-byte reproducible zip files (libarchive): sorted entries, fixed times and modes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::archive {

// Wheels are zip files already: storing them avoids spending time to win nothing, and keeps each
// wheel's bytes (and so its sha256) visible inside the bundle.
enum class Compression { store, deflate };

// `store` for names ending in ".whl" (any case), `deflate` for everything else.
auto default_compression(std::string_view name) -> Compression;

// The timestamp written on every entry.
//
// Without one (the default), entries carry no Unix time at all and the DOS date/time field holds
// its minimum, 1980-01-01 00:00:00, whatever the host's clock or time zone: the output depends on
// the entries only. With one (SOURCE_DATE_EPOCH), the Unix time in the "UT" extra field is that
// value exactly; the DOS date/time field is, as in every zip tool, the host's local time of that
// instant, so two hosts agree byte for byte only when their TZ agree (the CLI pins TZ=UTC).
struct ZipOptions {
    std::optional<std::int64_t> mtime;
    int deflate_level = 6;  // 1..9
    // Write Zip64 records even when nothing needs them (libarchive otherwise adds them only for a
    // member over 4 GiB, an offset past 4 GiB or more than 65535 entries). For tests.
    bool force_zip64 = false;
    // Add an entry for every parent folder of a member ("a/", "a/b/") that was not added.
    bool parent_directories = true;
};

// Reads SOURCE_DATE_EPOCH: nullopt when unset or empty, an error when it is not a decimal number
// of seconds (a typo would otherwise silently make builds unreproducible).
auto source_date_epoch() -> Expected<std::optional<std::int64_t>>;

struct ZipResult {
    std::uint64_t size = 0;  // bytes written
    std::string sha256;      // lowercase hex of the whole file, computed while writing
    std::size_t entries = 0;
};

// One member to write.
struct ZipMember {
    std::string name;  // '/'-separated, relative; a folder ends with '/'
    // The content: a file read in chunks at write time, bytes held in memory, or nothing for a folder.
    std::variant<std::filesystem::path, std::string, std::monostate> source;
    std::uint64_t size = 0;  // for files, the size seen when added; writing checks it again
    Compression compression = Compression::deflate;

    [[nodiscard]] auto is_directory() const -> bool { return std::holds_alternative<std::monostate>(source); }
};

// Collects members, then writes them in one go. Members are written sorted by name (bytewise),
// files with mode 0644 and folders with 0755, owner 0:0 without names, and no other per-host data,
// so that the same members give the same bytes on any machine and at any time.
class ZipWriter {
public:
    explicit ZipWriter(ZipOptions options = {});

    // Adds a regular file from disk; its bytes are read only by write(), in chunks. The name must
    // be safe (relative, no '..', no backslash, valid UTF-8) and not already used.
    auto add_file(std::string name, const std::filesystem::path& source, std::optional<Compression> compression = {})
        -> Expected<void>;
    auto add_bytes(std::string name, std::string content, std::optional<Compression> compression = {})
        -> Expected<void>;
    auto add_directory(std::string name) -> Expected<void>;

    [[nodiscard]] auto members() const -> const std::vector<ZipMember>& { return m_members; }
    [[nodiscard]] auto contains(std::string_view name) const -> bool;

    // Writes the archive to a temporary file next to `destination` ("<name>.tmp-XXXXXX"), fsyncs
    // it and renames it over `destination`. On any failure (including a source file that
    // disappeared or changed size since it was added) nothing is left behind.
    [[nodiscard]] auto write(const std::filesystem::path& destination) const -> Expected<ZipResult>;

private:
    auto add(ZipMember member) -> Expected<void>;

    ZipOptions m_options;
    std::vector<ZipMember> m_members;
    std::set<std::string, std::less<>> m_names;
};

}  // namespace wheelhouse::archive
