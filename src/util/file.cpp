#include "wheelhouse/util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace wheelhouse::util {

namespace fs = std::filesystem;

auto read_file(const fs::path& path) -> Expected<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(ErrorCode::not_found,
                          fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)),
                          {path.string(), 0, 0});
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        return make_error(ErrorCode::io, fmt::format("cannot read '{}'", path.string()), {path.string(), 0, 0});
    return buffer.str();
}

auto write_file_atomic(const fs::path& path, std::string_view content, Durability durability) -> Expected<void> {
    std::random_device rd;
    auto tmp = path;
    tmp += fmt::format(".tmp-{:08x}", rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return make_error(ErrorCode::io, fmt::format("cannot create '{}': {}", tmp.string(), std::strerror(errno)));
    }
    auto fail = [&](const char* what) -> Expected<void> {
        int saved = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return make_error(ErrorCode::io, fmt::format("cannot {} '{}': {}", what, path.string(), std::strerror(saved)));
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
        return make_error(ErrorCode::io, fmt::format("cannot close '{}': {}", tmp.string(), std::strerror(errno)));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(tmp.c_str());
        return make_error(ErrorCode::io,
                          fmt::format("cannot rename onto '{}': {}", path.string(), std::strerror(saved)));
    }
    return {};
}

}  // namespace wheelhouse::util
