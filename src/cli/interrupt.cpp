#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

namespace wheelhouse::cli {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signals{0};
static_assert(std::atomic<bool>::is_always_lock_free);  // set from a signal handler
static_assert(std::atomic<int>::is_always_lock_free);

constexpr char k_still_cleaning[] =
    "\nwheelhouse: interrupted; aborting the unfinished upload first (press Ctrl-C again to quit at once)\n";

extern "C" void on_interrupt(int /*signal*/) {
    g_interrupted.store(true);
}

// Only async-signal-safe calls: an atomic, write(2), sigaction(2).
extern "C" void on_interrupt_with_cleanup(int /*signal*/) {
    g_interrupted.store(true);
    if (g_signals.fetch_add(1) + 1 < 2) return;
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, k_still_cleaning, sizeof(k_still_cleaning) - 1);
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGINT, &fallback, nullptr);
    sigaction(SIGTERM, &fallback, nullptr);
}

}  // namespace

void install_interrupt_handlers(bool cleanup_survives_second) {
    struct sigaction action {};
    action.sa_handler = cleanup_survives_second ? on_interrupt_with_cleanup : on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = cleanup_survives_second ? 0 : static_cast<int>(SA_RESETHAND);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

auto interrupt_flag() -> std::atomic<bool>& {
    return g_interrupted;
}

}  // namespace wheelhouse::cli
