// SPDX-License-Identifier: Apache-2.0
// Fan-out of guest changes to Watch streams. Each subscriber has its own queue,
// so a slow client never blocks the daemon; one that falls too far behind is
// dropped (its stream ends) rather than growing memory without bound.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "warden/v1/warden.pb.h"

namespace warden::wardend {

class EventBus {
public:
    class Subscription {
    public:
        // Waits up to `ms` for the next event; false on timeout or when closed.
        bool next(v1::Event& out, int ms);
        bool closed();

    private:
        friend class EventBus;
        std::mutex mu;
        std::condition_variable cv;
        std::deque<v1::Event> queue;
        bool is_closed = false;
    };

    static constexpr size_t kMaxQueued = 4096;

    std::shared_ptr<Subscription> subscribe();
    void unsubscribe(const std::shared_ptr<Subscription>& s);
    void publish(v1::Event::Kind kind, const v1::Guest& guest, const std::string& detail = "");
    // Ends every stream (shutdown).
    void close_all();
    uint64_t sequence();

private:
    std::mutex mu_;
    std::vector<std::shared_ptr<Subscription>> subs_;
    uint64_t seq_ = 0;
};

}  // namespace warden::wardend
