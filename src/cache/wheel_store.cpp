// The wheel store keeps the invariant "an entry exists only when complete and verified" with one rename per
// entry, and uses flock so that processes sharing a cache neither download the same wheel twice at once nor
// remove each other's downloads in progress.
#include "wheelhouse/cache/wheel_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>
#include <system_error>
#include <vector>

#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cache {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_cache_hint =
    "check that the cache folder is writable by this user and the disk is not full; WHEELHOUSE_CACHE_DIR chooses "
    "another folder";

auto io_error(std::string what, const fs::path& path, std::error_code ec, std::string_view hint = k_cache_hint)
    -> Unexpected<Error> {
    return make_error(ErrorCode::io, fmt::format("{} {}: {}", what, path.string(), ec.message()),
                      Location{path.string(), 0, 0}, std::string(hint));
}

auto errno_error(std::string what, const fs::path& path) -> Unexpected<Error> {
    return io_error(std::move(what), path, std::error_code(errno, std::generic_category()));
}

auto unusable_name(std::string_view filename) -> Unexpected<Error> {
    return make_error(
        ErrorCode::invalid_input,
        fmt::format("'{}' is not a usable wheel file name (empty, hidden, too long, or with a path "
                    "separator or control character)",
                    filename),
        {}, "the lock file or the index gave this name; correct the lock file, lock again, or check the index");
}

auto lower(std::string_view s) -> std::string {
    return util::to_lower(s);
}

auto random_name() -> std::string {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{}-{:016x}-{}", ::getpid(), rng(), counter.fetch_add(1));
}

// A file name that is safe as one path component: no separators, not "." or "..", not hidden (our own files
// start with '.'), no control characters.
auto is_safe_component(std::string_view name) -> bool {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    return std::none_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
}

void touch(const fs::path& path) {
    std::error_code ec;
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
}

auto to_system(fs::file_time_type t) -> std::chrono::system_clock::time_point {
    // file_time_type's clock is not system_clock in C++20 on every library; translate through "now".
    const auto file_now = fs::file_time_type::clock::now();
    const auto sys_now = std::chrono::system_clock::now();
    return sys_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - file_now);
}

auto remove_tree(const fs::path& path, PruneResult& result, bool count) -> Expected<void> {
    std::error_code ec;
    if (count) {
        for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec)) {
            std::error_code e2;
            if (it->is_regular_file(e2)) {
                result.removed_bytes += it->file_size(e2);
                if (!e2 && it->path().filename().string().front() != '.') ++result.removed_entries;
            }
        }
    }
    ec.clear();
    fs::remove_all(path, ec);
    if (ec) return io_error("cannot remove", path, ec);
    return {};
}

}  // namespace

// ---- FileLock ----

FileLock::~FileLock() {
    release();
}

FileLock::FileLock(FileLock&& other) noexcept : m_fd(other.m_fd) {
    other.m_fd = -1;
}

auto FileLock::operator=(FileLock&& other) noexcept -> FileLock& {
    if (this != &other) {
        release();
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

void FileLock::release() {
    if (m_fd >= 0) {
        ::flock(m_fd, LOCK_UN);
        ::close(m_fd);
        m_fd = -1;
    }
}

namespace {
auto open_lock_target(const fs::path& path) -> int {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}
}  // namespace

auto FileLock::acquire(const fs::path& path) -> Expected<FileLock> {
    const int fd = open_lock_target(path);
    if (fd < 0) return errno_error("cannot open lock file", path);
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        auto err = errno_error("cannot lock", path);
        ::close(fd);
        return err;
    }
    return FileLock(fd);
}

auto FileLock::try_acquire(const fs::path& path) -> Expected<std::optional<FileLock>> {
    const int fd = open_lock_target(path);
    if (fd < 0) return errno_error("cannot open lock file", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int saved = errno;
        ::close(fd);
        if (saved == EWOULDBLOCK) return std::optional<FileLock>{};
        errno = saved;
        return errno_error("cannot lock", path);
    }
    return std::optional<FileLock>(FileLock(fd));
}

// ---- TempDownload ----

TempDownload::~TempDownload() {
    discard();
}

TempDownload::TempDownload(TempDownload&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_file(std::move(other.m_file)), m_lock(std::move(other.m_lock)) {
    other.m_dir.clear();
    other.m_file.clear();
}

auto TempDownload::operator=(TempDownload&& other) noexcept -> TempDownload& {
    if (this != &other) {
        discard();
        m_dir = std::move(other.m_dir);
        m_file = std::move(other.m_file);
        m_lock = std::move(other.m_lock);
        other.m_dir.clear();
        other.m_file.clear();
    }
    return *this;
}

void TempDownload::discard() {
    if (!m_dir.empty()) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
        m_dir.clear();
        m_file.clear();
    }
    m_lock.release();
}

// ---- WheelStore ----

auto is_sha256_hex(std::string_view text) -> bool {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return util::is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

auto WheelStore::open(const fs::path& cache_root) -> Expected<WheelStore> {
    if (cache_root.empty()) {
        return make_error(ErrorCode::usage, "the cache folder is not set", {},
                          "set WHEELHOUSE_CACHE_DIR to a writable folder");
    }
    if (auto ok = prepare_cache_dir(cache_root); !ok) return unexpected(std::move(ok).error());
    WheelStore store(cache_root / "wheels");
    for (const char* sub : {"sha256", "locks", "tmp", "partial", "urls"}) {
        std::error_code ec;
        fs::create_directories(store.m_root / sub, ec);
        if (ec) return io_error("cannot create the cache folder", store.m_root / sub, ec);
    }
    if (auto ok = store.remove_stale(); !ok) return unexpected(std::move(ok).error());
    return store;
}

auto WheelStore::entry_dir(std::string_view sha256) const -> fs::path {
    const auto hex = lower(sha256);
    return m_root / "sha256" / hex.substr(0, 2) / hex.substr(2, 2) / hex;
}

auto WheelStore::entry_path(std::string_view filename, std::string_view sha256) const -> fs::path {
    return entry_dir(sha256) / std::string(filename);
}

auto WheelStore::lock_path(std::string_view sha256) const -> fs::path {
    return m_root / "locks" / (lower(sha256) + ".lock");
}

auto WheelStore::partial_dir(std::string_view key) const -> fs::path {
    return m_root / "partial" / util::sha256_hex(key);
}

auto WheelStore::find(std::string_view sha256) const -> std::optional<StoredWheel> {
    if (!is_sha256_hex(sha256)) return std::nullopt;
    const auto dir = entry_dir(sha256);
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (!is_safe_component(name) || !it->is_regular_file(ec)) continue;
        return find(name, sha256);
    }
    return std::nullopt;
}

auto WheelStore::find(std::string_view filename, std::string_view sha256) const -> std::optional<StoredWheel> {
    if (!is_sha256_hex(sha256) || !is_safe_component(filename)) return std::nullopt;
    const auto path = entry_path(filename, sha256);
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return std::nullopt;
    touch(path);
    return StoredWheel{lower(sha256), std::string(filename), path, size};
}

auto WheelStore::verify(const StoredWheel& entry) const -> Expected<bool> {
    const int fd = ::open(entry.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot read the cache entry", entry.path);
    util::Sha256 hasher;
    std::vector<char> buffer(256 * 1024);
    for (;;) {
        const auto got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            auto err = errno_error("cannot read the cache entry", entry.path);
            ::close(fd);
            return err;
        }
        if (got == 0) break;
        hasher.update(buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(fd);
    if (hasher.finish_hex() == lower(entry.sha256)) return true;
    std::error_code ec;
    fs::remove(entry.path, ec);  // damaged or replaced: a download puts the real bytes back
    return false;
}

auto WheelStore::begin_download(std::string_view filename) const -> Expected<TempDownload> {
    if (!is_safe_component(filename)) {
        return unusable_name(filename);
    }
    TempDownload d;
    d.m_dir = m_root / "tmp" / random_name();
    std::error_code ec;
    if (!fs::create_directory(d.m_dir, ec) || ec) {
        auto err = io_error("cannot create", d.m_dir, ec);
        d.m_dir.clear();
        return err;
    }
    auto lock = FileLock::acquire(d.m_dir);
    if (!lock) return unexpected(std::move(lock).error());
    d.m_lock = std::move(*lock);
    d.m_file = d.m_dir / std::string(filename);
    return d;
}

auto WheelStore::commit(TempDownload download, std::string_view filename, std::string_view sha256) const
    -> Expected<StoredWheel> {
    auto stored = commit_file(download.file(), filename, sha256);
    if (stored) download.discard();
    return stored;
}

auto WheelStore::commit_file(const fs::path& file, std::string_view filename, std::string_view sha256) const
    -> Expected<StoredWheel> {
    if (!is_sha256_hex(sha256)) return make_error(ErrorCode::internal, "commit without a sha256 digest");
    if (!is_safe_component(filename)) return unusable_name(filename);
    const auto dir = entry_dir(sha256);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create", dir, ec);
    const auto target = dir / std::string(filename);
    // Data first, then the name: after a crash the entry is either absent or whole.
    {
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno_error("cannot open", file);
        const int rc = ::fsync(fd);
        ::close(fd);
        if (rc != 0) return errno_error("cannot flush", file);
    }
    if (::rename(file.c_str(), target.c_str()) != 0) return errno_error("cannot move into", target);
    const auto size = fs::file_size(target, ec);
    if (ec) return io_error("cannot read the size of", target, ec);
    return StoredWheel{lower(sha256), std::string(filename), target, size};
}

auto WheelStore::insert_file(const fs::path& source, std::string_view filename, std::string_view sha256) const
    -> Expected<StoredWheel> {
    auto d = begin_download(filename);
    if (!d) return unexpected(std::move(d).error());
    std::error_code ec;
    fs::copy_file(source, d->file(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot copy {} into the cache folder {}: {}", source.string(),
                                      d->file().parent_path().string(), ec.message()),
                          Location{source.string(), 0, 0},
                          "check that the wheel is readable, that the cache folder is writable and that the disk is "
                          "not full");
    }
    return commit(std::move(*d), filename, sha256);
}

auto WheelStore::remember_url(std::string_view url, std::string_view sha256) const -> Expected<void> {
    // Unsynced: a torn entry is not a digest and reads as absent (the wheel is then downloaded again).
    return util::write_file_atomic(m_root / "urls" / util::sha256_hex(url), lower(sha256) + "\n",
                                   util::Durability::unsynced);
}

auto WheelStore::recall_url(std::string_view url) const -> std::optional<std::string> {
    auto text = util::read_file(m_root / "urls" / util::sha256_hex(url));
    if (!text) return std::nullopt;
    auto hex = std::string(util::trim(*text));
    if (!is_sha256_hex(hex)) return std::nullopt;
    return hex;
}

auto WheelStore::list() const -> Expected<std::vector<StoredWheel>> {
    std::vector<StoredWheel> out;
    std::error_code ec;
    const auto base = m_root / "sha256";
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it.depth() != 3) continue;
        std::error_code e2;
        if (!it->is_regular_file(e2)) continue;
        const auto name = it->path().filename().string();
        const auto hex = it->path().parent_path().filename().string();
        if (!is_safe_component(name) || !is_sha256_hex(hex)) continue;
        out.push_back(StoredWheel{hex, name, it->path(), it->file_size(e2)});
    }
    if (ec) return io_error("cannot list", base, ec);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

auto WheelStore::info() const -> Expected<StoreInfo> {
    StoreInfo info;
    info.root = m_root;
    auto entries = list();
    if (!entries) return unexpected(std::move(entries).error());
    for (const auto& e : *entries) {
        ++info.entries;
        info.bytes += e.size;
    }
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_root / "partial", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code e2;
        if (it->is_regular_file(e2)) info.partial_bytes += it->file_size(e2);
    }
    return info;
}

auto WheelStore::clean() const -> Expected<PruneResult> {
    PruneResult result;
    // Entries whose lock another process holds are being written right now; their folders are left alone.
    auto entries = list();
    if (!entries) return unexpected(std::move(entries).error());
    for (const auto& e : *entries) {
        auto lock = FileLock::try_acquire(lock_path(e.sha256));
        if (!lock) return unexpected(std::move(lock).error());
        if (!*lock) continue;
        std::error_code ec;
        fs::remove(e.path, ec);
        if (ec) return io_error("cannot remove", e.path, ec);
        ++result.removed_entries;
        result.removed_bytes += e.size;
        fs::remove(e.path.parent_path(), ec);  // only when empty
    }
    for (const char* sub : {"partial", "urls"}) {
        PruneResult ignored;
        if (auto ok = remove_tree(m_root / sub, ignored, false); !ok) return unexpected(std::move(ok).error());
        std::error_code ec;
        fs::create_directories(m_root / sub, ec);
    }
    return result;
}

auto WheelStore::prune(std::chrono::seconds unused_for, std::chrono::system_clock::time_point now) const
    -> Expected<PruneResult> {
    PruneResult result;
    auto entries = list();
    if (!entries) return unexpected(std::move(entries).error());
    for (const auto& e : *entries) {
        std::error_code ec;
        const auto mtime = fs::last_write_time(e.path, ec);
        if (ec) continue;
        if (now - to_system(mtime) <= unused_for) continue;
        auto lock = FileLock::try_acquire(lock_path(e.sha256));
        if (!lock) return unexpected(std::move(lock).error());
        if (!*lock) continue;
        fs::remove(e.path, ec);
        if (ec) return io_error("cannot remove", e.path, ec);
        ++result.removed_entries;
        result.removed_bytes += e.size;
        fs::remove(e.path.parent_path(), ec);
    }
    return result;
}

auto WheelStore::remove_stale(std::chrono::seconds partial_max_age) const -> Expected<void> {
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (auto it = fs::directory_iterator(m_root / "tmp", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        dirs.push_back(it->path());
    }
    for (const auto& dir : dirs) {
        std::error_code e2;
        if (!fs::is_directory(dir, e2)) {
            fs::remove(dir, e2);
            continue;
        }
        // A writer creates its folder and then locks it: leave very young folders alone to close that window.
        const auto age = std::chrono::system_clock::now() - to_system(fs::last_write_time(dir, e2));
        if (e2 || age < std::chrono::minutes(1)) continue;
        // The writer holds the folder's lock for as long as it lives; a lock we can take means nobody writes.
        auto lock = FileLock::try_acquire(dir);
        if (!lock || !*lock) continue;
        fs::remove_all(dir, e2);
    }
    const auto now = std::chrono::system_clock::now();
    std::vector<fs::path> old;
    for (auto it = fs::directory_iterator(m_root / "partial", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        // A partial folder is as old as its newest file (the download appends to it).
        std::error_code e2;
        auto newest = fs::last_write_time(it->path(), e2);
        for (auto f = fs::directory_iterator(it->path(), e2); !e2 && f != fs::directory_iterator(); f.increment(e2)) {
            std::error_code e3;
            newest = std::max(newest, fs::last_write_time(f->path(), e3));
        }
        if (now - to_system(newest) > partial_max_age) old.push_back(it->path());
    }
    for (const auto& p : old) {
        std::error_code e2;
        fs::remove_all(p, e2);
    }
    return {};
}

}  // namespace wheelhouse::cache
