// A temporary file next to its destination, renamed over it on commit and removed otherwise.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::archive::detail {

// Every caller writes an output file next to `where`.
inline constexpr std::string_view k_write_hint = "check that the output folder is writable and the disk is not full";

inline auto make_io_error(std::string message, const std::filesystem::path& where) -> Unexpected<Error> {
    return make_error(ErrorCode::io, std::move(message), Location{where.string(), 0, 0}, std::string(k_write_hint));
}

// Removes the temporary file unless the rename went through.
class TempOutput {
public:
    TempOutput() = default;
    TempOutput(const TempOutput&) = delete;
    auto operator=(const TempOutput&) -> TempOutput& = delete;
    TempOutput(TempOutput&&) = delete;
    auto operator=(TempOutput&&) -> TempOutput& = delete;
    ~TempOutput() {
        if (m_fd >= 0) ::close(m_fd);
        if (!m_path.empty()) ::unlink(m_path.c_str());
    }

    auto create(const std::filesystem::path& destination) -> Expected<void> {
        std::random_device rd;
        for (int attempt = 0; attempt < 16; ++attempt) {
            auto candidate = destination;
            candidate += fmt::format(".tmp-{:08x}", rd());
            // 0644 before the umask, as any file the user's tools would create.
            int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd >= 0) {
                m_fd = fd;
                m_path = candidate;
                return {};
            }
            if (errno != EEXIST) {
                return make_io_error(fmt::format("cannot create a temporary file next to '{}': {}",
                                                 destination.string(), std::strerror(errno)),
                                     destination);
            }
        }
        return make_io_error(fmt::format("cannot find a free temporary name next to '{}'", destination.string()),
                             destination);
    }

    [[nodiscard]] auto fd() const -> int { return m_fd; }

    auto commit(const std::filesystem::path& destination) -> Expected<void> {
        if (::fsync(m_fd) != 0) {
            return make_io_error(fmt::format("cannot sync '{}': {}", m_path.string(), std::strerror(errno)),
                                 destination);
        }
        int fd = m_fd;
        m_fd = -1;
        if (::close(fd) != 0) {
            return make_io_error(fmt::format("cannot close '{}': {}", m_path.string(), std::strerror(errno)),
                                 destination);
        }
        if (::rename(m_path.c_str(), destination.c_str()) != 0) {
            return make_io_error(fmt::format("cannot rename onto '{}': {}", destination.string(), std::strerror(errno)),
                                 destination);
        }
        m_path.clear();
        // Make the rename itself durable; a failure here does not undo a complete file.
        auto folder = destination.parent_path();
        int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
        return {};
    }

private:
    int m_fd = -1;
    std::filesystem::path m_path;
};

}  // namespace wheelhouse::archive::detail
