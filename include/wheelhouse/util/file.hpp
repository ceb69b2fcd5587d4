// Whole-file reads and atomic writes (temporary name in the same folder, then rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::util {

auto read_file(const std::filesystem::path& path) -> Expected<std::string>;

// The lower-case hex SHA-256 and the size of a file, read in pieces (never whole in memory).
auto sha256_file(const std::filesystem::path& path) -> Expected<std::pair<std::string, std::uint64_t>>;

// read_file for files that must be small and regular (tokens, keys): a FIFO, a device (/dev/zero) or a folder
// is refused without reading, and so is a file of more than max_bytes (also if it grows while read). Symbolic
// links are followed (Kubernetes mounts projected tokens as links).
auto read_small_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes) -> Expected<std::string>;

// synced: the content is on disk before the rename (outputs, lock files). unsynced: no fsync, for cache
// entries that are checked when read (a size or digest inside them), where a crash only costs a refetch; an
// fsync per entry would dominate a warm run.
enum class Durability { synced, unsynced };

// Writes to "<path>.tmp-<random>" in the same folder, fsyncs (when synced), then renames over path.
// On any failure the temporary is removed and path is untouched.
auto write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       Durability durability = Durability::synced) -> Expected<void>;

// fsync(2) on a folder: makes the renames and creations inside it durable (after a crash the folder shows all of
// them or, per name, the state before).
auto sync_folder(const std::filesystem::path& folder) -> Expected<void>;

}  // namespace wheelhouse::util
