#include "interrupt.hpp"

#include <signal.h>

namespace wheelhouse::cli {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);  // set from a signal handler

extern "C" void on_interrupt(int /*signal*/) {
    g_interrupted.store(true);
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = static_cast<int>(SA_RESETHAND);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

auto interrupt_flag() -> std::atomic<bool>& {
    return g_interrupted;
}

}  // namespace wheelhouse::cli
