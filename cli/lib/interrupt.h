// SPDX-License-Identifier: Apache-2.0
// Ctrl-C during `tee watch` is how the user says "enough": the stream must end
// cleanly (exit 0) instead of the process dying mid-line. Everywhere else an
// interrupt keeps its usual meaning and ends the process.
#pragma once

#include <csignal>
#include <functional>
#include <mutex>
#include <thread>

namespace warden::cli {

class Interrupt {
public:
    virtual ~Interrupt() = default;
    // Until disarm(), an interrupt calls `on_interrupt` (from another thread).
    virtual void arm(std::function<void()> on_interrupt) = 0;
    // Returns once no call of the callback is running or can start.
    virtual void disarm() = 0;
};

// SIGINT and SIGTERM through sigwait() on a thread of its own, because what an
// interrupt does (cancel a gRPC call) is not async-signal-safe. Construct it
// first thing in main(): the signals are blocked in the calling thread, and only
// threads started afterwards (gRPC's) inherit that.
class SignalInterrupt final : public Interrupt {
public:
    SignalInterrupt();
    ~SignalInterrupt() override;
    SignalInterrupt(const SignalInterrupt&) = delete;
    SignalInterrupt& operator=(const SignalInterrupt&) = delete;

    void arm(std::function<void()> on_interrupt) override;
    void disarm() override;

private:
    void wait_for_signals();

    sigset_t signals_;
    std::mutex mu_;
    std::function<void()> on_interrupt_;
    bool stopping_ = false;
    std::thread waiter_;
};

}  // namespace warden::cli
