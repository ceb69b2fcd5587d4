// Ctrl-C and SIGTERM for long commands: a flag the pipelines poll, so they can clean up and exit 130.
#pragma once

#include <atomic>

namespace wheelhouse::cli {

// Installs SIGINT/SIGTERM handlers that set the flag. By default a second signal kills the process at once (the
// default action is restored after the first). With cleanup_survives_second (deploy: the abort of a multipart
// upload must reach the server, or its parts stay billed), the second signal only says that cleanup is under
// way, and the third kills.
void install_interrupt_handlers(bool cleanup_survives_second = false);
auto interrupt_flag() -> std::atomic<bool>&;
inline constexpr int k_interrupted_exit = 130;

}  // namespace wheelhouse::cli
