// Content-addressed wheel store on disk: verified wheels keyed by sha256, shared by processes through file locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cache {

// Layout under <root>/wheels/ (root is usually default_cache_dir(); open() checks it with prepare_cache_dir):
//   sha256/<ab>/<cd>/<hex>/<filename>   one entry: the wheel with that digest under its file name; an entry
//                                       exists only once it was hash-checked and RECORD-verified
//   locks/<hex>.lock                    flock'ed while one process downloads and verifies that entry
//   tmp/<random>/<filename>             downloads in progress; the folder is flock'ed by its writer, so a
//                                       folder nobody holds belongs to a dead process and is removed
//   partial/<k>/<filename>, <k>/.etag   downloads of wheels with a known digest, kept when interrupted so that a
//                                       later attempt resumes them with a Range request (k = sha256 of a key)
//   urls/<sha256 of url>                the digest last seen for a URL that had no known hash
// Everything under tmp/, partial/ and sha256/ is on one file system, so committing is one rename(2).

// An exclusive advisory lock (flock) held for the object's lifetime. Movable, not copyable.
class FileLock {
public:
    FileLock() = default;
    ~FileLock();
    FileLock(FileLock&& other) noexcept;
    auto operator=(FileLock&& other) noexcept -> FileLock&;
    FileLock(const FileLock&) = delete;
    auto operator=(const FileLock&) -> FileLock& = delete;

    // Blocks until the lock is ours (creating the file if needed).
    static auto acquire(const std::filesystem::path& path) -> Expected<FileLock>;
    // nullopt when another process (or another descriptor in this one) holds it.
    static auto try_acquire(const std::filesystem::path& path) -> Expected<std::optional<FileLock>>;

    [[nodiscard]] auto held() const -> bool { return m_fd >= 0; }
    void release();

private:
    explicit FileLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

struct StoredWheel {
    std::string sha256;  // lowercase hex
    std::string filename;
    std::filesystem::path path;
    std::uint64_t size = 0;
};

// A private folder for one download: the caller writes `file`, then commits it or drops the object.
class TempDownload {
public:
    TempDownload() = default;
    ~TempDownload();
    TempDownload(TempDownload&& other) noexcept;
    auto operator=(TempDownload&& other) noexcept -> TempDownload&;
    TempDownload(const TempDownload&) = delete;
    auto operator=(const TempDownload&) -> TempDownload& = delete;

    [[nodiscard]] auto file() const -> const std::filesystem::path& { return m_file; }
    // Removes the folder now (also done by the destructor when not committed).
    void discard();

private:
    friend class WheelStore;
    std::filesystem::path m_dir;
    std::filesystem::path m_file;
    FileLock m_lock;
};

struct StoreInfo {
    std::filesystem::path root;  // <root>/wheels
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;          // wheels only
    std::uint64_t partial_bytes = 0;  // resumable partial downloads
};

struct PruneResult {
    std::uint64_t removed_entries = 0;
    std::uint64_t removed_bytes = 0;
};

class WheelStore {
public:
    // Creates the folders if needed and removes temporary downloads left by dead processes.
    static auto open(const std::filesystem::path& cache_root) -> Expected<WheelStore>;

    [[nodiscard]] auto root() const -> const std::filesystem::path& { return m_root; }

    // The entry with this digest (any file name), or with this digest and file name. Both refresh the entry's
    // modification time, which `prune` reads as "last used". A digest that is not 64 hex digits finds nothing.
    [[nodiscard]] auto find(std::string_view sha256) const -> std::optional<StoredWheel>;
    [[nodiscard]] auto find(std::string_view filename, std::string_view sha256) const -> std::optional<StoredWheel>;

    // Hashes an entry's file again, for a hit that stands in for a digest the user gave (--hash, a lock file):
    // the cache is only as trustworthy as every process that could write it. An entry whose bytes do not match
    // its digest is removed and false returned.
    [[nodiscard]] auto verify(const StoredWheel& entry) const -> Expected<bool>;

    // Path an entry has (or would have); the folder is not created.
    [[nodiscard]] auto entry_path(std::string_view filename, std::string_view sha256) const -> std::filesystem::path;
    [[nodiscard]] auto lock_path(std::string_view sha256) const -> std::filesystem::path;

    // A fresh temporary download for `filename`.
    auto begin_download(std::string_view filename) const -> Expected<TempDownload>;
    // Moves a verified temporary file into the store as (filename, sha256). The caller has checked the digest;
    // an existing entry with the same name and digest is kept (same bytes) and the temporary dropped.
    auto commit(TempDownload download, std::string_view filename, std::string_view sha256) const
        -> Expected<StoredWheel>;
    // Moves any file of the same file system (a finished partial download) into the store, as commit().
    auto commit_file(const std::filesystem::path& file, std::string_view filename, std::string_view sha256) const
        -> Expected<StoredWheel>;
    // Copies an existing file into the store through a temporary download.
    auto insert_file(const std::filesystem::path& source, std::string_view filename, std::string_view sha256) const
        -> Expected<StoredWheel>;

    // The folder of the partial download for a caller-chosen key (the expected digest); not created. Callers
    // hold the key's lock (lock_path) while they use it.
    [[nodiscard]] auto partial_dir(std::string_view key) const -> std::filesystem::path;

    // URL -> digest memory for wheels fetched without a known hash (credentials must be stripped by the caller).
    auto remember_url(std::string_view url, std::string_view sha256) const -> Expected<void>;
    [[nodiscard]] auto recall_url(std::string_view url) const -> std::optional<std::string>;

    // `cache info|clean|prune`.
    [[nodiscard]] auto info() const -> Expected<StoreInfo>;
    [[nodiscard]] auto list() const -> Expected<std::vector<StoredWheel>>;
    auto clean() const -> Expected<PruneResult>;  // removes every entry, partial download and URL record
    // Removes entries not used (modification time) for longer than `unused_for`, relative to `now`.
    auto prune(std::chrono::seconds unused_for,
               std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const
        -> Expected<PruneResult>;

    // Removes tmp/ folders whose writer is gone and partial downloads older than `partial_max_age`.
    auto remove_stale(std::chrono::seconds partial_max_age = std::chrono::hours(24 * 7)) const -> Expected<void>;

private:
    explicit WheelStore(std::filesystem::path root) : m_root(std::move(root)) {}
    [[nodiscard]] auto entry_dir(std::string_view sha256) const -> std::filesystem::path;
    std::filesystem::path m_root;
};

// True for 64 lowercase or uppercase hex digits.
auto is_sha256_hex(std::string_view text) -> bool;

}  // namespace wheelhouse::cache
