// SPDX-License-Identifier: Apache-2.0
#include "interrupt.h"

#include <pthread.h>
#include <unistd.h>

namespace warden::cli {

SignalInterrupt::SignalInterrupt() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    waiter_ = std::thread([this] { wait_for_signals(); });
}

SignalInterrupt::~SignalInterrupt() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
}

void SignalInterrupt::arm(std::function<void()> on_interrupt) {
    std::lock_guard lock(mu_);
    on_interrupt_ = std::move(on_interrupt);
}

void SignalInterrupt::disarm() {
    std::lock_guard lock(mu_);
    on_interrupt_ = nullptr;
}

void SignalInterrupt::wait_for_signals() {
    for (;;) {
        int sig = 0;
        if (sigwait(&signals_, &sig) != 0) continue;
        std::unique_lock lock(mu_);
        if (stopping_) return;
        if (on_interrupt_) {
            // Under the lock, so that disarm() cannot return while it runs.
            on_interrupt_();
            continue;
        }
        lock.unlock();
        // Nothing to end cleanly: die of the signal as if it had never been
        // blocked, so the shell sees the usual 128 + signal.
        std::signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
        raise(sig);
        _exit(128 + sig);
    }
}

}  // namespace warden::cli
