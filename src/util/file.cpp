#include "wheelhouse/util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::util {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view k_read_hint = "check the path and that the file is readable by this user";
constexpr std::string_view k_write_hint = "check that the folder exists and is writable and that the disk is not full";

auto write_error(const fs::path& path, std::string message) -> Unexpected<Error> {
    return make_error(ErrorCode::io, std::move(message), Location{path.string(), 0, 0}, std::string(k_write_hint));
}
}  // namespace

auto read_file(const fs::path& path) -> Expected<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(ErrorCode::not_found,
                          fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)),
                          {path.string(), 0, 0}, std::string(k_read_hint));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        return make_error(ErrorCode::io, fmt::format("cannot read '{}'", path.string()), {path.string(), 0, 0},
                          std::string(k_read_hint));
    }
    return buffer.str();
}

auto sha256_file(const fs::path& path) -> Expected<std::pair<std::string, std::uint64_t>> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return make_error(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                          fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)),
                          {path.string(), 0, 0}, std::string(k_read_hint));
    }
    Sha256 hasher;
    std::uint64_t size = 0;
    std::string buffer(1 << 20, '\0');
    for (;;) {
        const auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            return make_error(ErrorCode::io, fmt::format("cannot read '{}': {}", path.string(), std::strerror(error)),
                              {path.string(), 0, 0}, std::string(k_read_hint));
        }
        if (n == 0) break;
        hasher.update(buffer.data(), static_cast<std::size_t>(n));
        size += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return std::pair{hasher.finish_hex(), size};
}

auto read_small_regular_file(const fs::path& path, std::uint64_t max_bytes) -> Expected<std::string> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return make_error(ErrorCode::not_found,
                          fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)),
                          {path.string(), 0, 0}, std::string(k_read_hint));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::invalid_input, fmt::format("'{}' is not a regular file", path.string()),
                          {path.string(), 0, 0}, "point the setting at the file itself (not a folder, pipe or device)");
    }
    auto too_large = [&] {
        return make_error(
            ErrorCode::invalid_input,
            fmt::format("'{}' is larger than the {} bytes such a file may have", path.string(), max_bytes),
            Location{path.string(), 0, 0}, "check that the setting names the right file");
    };
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_large();
    std::string out;
    std::array<char, 8192> buffer{};
    for (;;) {
        const auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            return make_error(ErrorCode::io, fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)),
                              {path.string(), 0, 0}, std::string(k_read_hint));
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes) return too_large();
        out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return out;
}

auto write_file_atomic(const fs::path& path, std::string_view content, Durability durability) -> Expected<void> {
    std::random_device rd;
    auto tmp = path;
    tmp += fmt::format(".tmp-{:08x}", rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return write_error(path, fmt::format("cannot create '{}' to write '{}': {}", tmp.filename().string(),
                                             path.string(), std::strerror(errno)));
    }
    auto fail = [&](const char* what) -> Expected<void> {
        int saved = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return write_error(path, fmt::format("cannot {} '{}': {}", what, path.string(), std::strerror(saved)));
    };
    std::size_t written = 0;
    while (written < content.size()) {
        auto n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (durability == Durability::synced && ::fsync(fd) != 0) return fail("sync");
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return write_error(path, fmt::format("cannot close '{}': {}", tmp.string(), std::strerror(errno)));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        return write_error(path, fmt::format("cannot rename '{}' onto '{}': {}", tmp.filename().string(), path.string(),
                                             std::strerror(saved)));
    }
    return {};
}

auto sync_folder(const fs::path& folder) -> Expected<void> {
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return write_error(folder, fmt::format("cannot open '{}': {}", folder.string(), std::strerror(errno)));
    if (::fsync(fd) != 0) {
        const int saved = errno;
        ::close(fd);
        return write_error(folder, fmt::format("cannot sync '{}': {}", folder.string(), std::strerror(saved)));
    }
    ::close(fd);
    return {};
}

}  // namespace wheelhouse::util
