// Runs a credential_process command: posix_spawnp (no shell), stdout and stderr through pipes read with
// poll() so that neither can fill up and block the child, and a deadline after which the child is killed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "wheelhouse/s3/credentials.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

extern char** environ;  // NOLINT: POSIX

namespace wheelhouse::s3 {
namespace {

constexpr std::size_t max_output = 1024 * 1024;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    auto operator=(const Fd&) -> Fd& = delete;
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    auto operator=(Fd&& other) noexcept -> Fd& {
        reset(std::exchange(other.m_fd, -1));
        return *this;
    }
    ~Fd() { reset(); }
    void reset(int fd = -1) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = fd;
    }
    [[nodiscard]] auto get() const -> int { return m_fd; }

private:
    int m_fd = -1;
};

auto make_pipe(Fd& read_end, Fd& write_end) -> bool {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) return false;
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return true;
}

auto last_lines(std::string_view text) -> std::string {
    auto trimmed = util::trim(text);
    if (trimmed.size() > 500) trimmed = trimmed.substr(trimmed.size() - 500);
    return std::string(trimmed);
}

}  // namespace

auto run_credential_process(std::string_view command, std::chrono::milliseconds timeout) -> Expected<Credentials> {
    auto words = split_command_line(command);
    if (!words) return unexpected(words.error());
    // Only the program name appears in messages: the arguments may carry tokens.
    const std::string program = words->front();

    Fd out_read;
    Fd out_write;
    Fd err_read;
    Fd err_write;
    if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write)) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot create a pipe to run '{}': {}", program, std::strerror(errno)), {},
                          "the process may have too many open files: check ulimit -n");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
    std::vector<char*> argv;
    argv.reserve(words->size() + 1);
    for (auto& w : *words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_error = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        return make_error(ErrorCode::aws, fmt::format("cannot run '{}': {}", program, std::strerror(spawn_error)), {},
                          "check that the program exists and is executable (a name without '/' is looked up in "
                          "PATH)");
    }
    out_write.reset();
    err_write.reset();

    std::string out;
    std::string err;
    bool timed_out = false;
    bool too_long = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{pollfd{out_read.get(), POLLIN, 0}, pollfd{err_read.get(), POLLIN, 0}};
    std::array<std::string*, 2> sinks{&out, &err};
    int open_fds = 2;
    while (open_fds > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<std::int64_t>(left.count(), 60000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            std::array<char, 8192> buf{};
            const auto n = ::read(fds[i].fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
            if (sinks[i]->size() > max_output) too_long = true;
        }
        if (too_long) break;
    }
    if (timed_out || too_long) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        return make_error(ErrorCode::aws,
                          fmt::format("'{}' did not finish within {} ms and was stopped", program, timeout.count()), {},
                          "run the command yourself: it may be waiting for input (a browser login, an MFA code)");
    }
    if (too_long) {
        return make_error(ErrorCode::aws, fmt::format("'{}' printed more than 1 MiB", program), {},
                          "run the command yourself: it must print only the JSON credentials document");
    }
    if (WIFSIGNALED(status)) {
        return make_error(ErrorCode::aws, fmt::format("'{}' was killed by signal {}", program, WTERMSIG(status)), {},
                          "run the command yourself to see why it stops");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // Its stderr may quote whatever the helper holds (tokens, URLs with credentials): kept for -v, redacted.
        auto error = make_error(ErrorCode::aws, fmt::format("'{}' exited with status {}", program, WEXITSTATUS(status)),
                                {}, "run the command yourself to see its whole output (or run wheelhouse with -v)");
        error.error.detail = util::redact_urls_in(last_lines(err));
        if (!error.error.detail.empty()) error.error.detail = "its stderr: " + error.error.detail;
        return error;
    }
    return parse_process_credentials(out);
}

}  // namespace wheelhouse::s3
