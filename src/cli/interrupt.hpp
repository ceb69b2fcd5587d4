// Ctrl-C and SIGTERM for long commands: a flag the pipelines poll, so they can clean up and exit 130.
#pragma once

#include <atomic>

namespace wheelhouse::cli {

// Installs one-shot SIGINT/SIGTERM handlers that set the flag; a second signal kills the process at once
// (the default action is restored after the first).
void install_interrupt_handlers();
auto interrupt_flag() -> std::atomic<bool>&;
inline constexpr int k_interrupted_exit = 130;

}  // namespace wheelhouse::cli
