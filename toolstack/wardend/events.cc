// SPDX-License-Identifier: Apache-2.0
#include "events.h"

#include <algorithm>
#include <chrono>

namespace warden::wardend {

bool EventBus::Subscription::next(v1::Event& out, int ms) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return !queue.empty() || is_closed; });
    if (queue.empty()) return false;
    out = std::move(queue.front());
    queue.pop_front();
    return true;
}

bool EventBus::Subscription::closed() {
    std::lock_guard lock(mu);
    return is_closed && queue.empty();
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe() {
    auto s = std::make_shared<Subscription>();
    std::lock_guard lock(mu_);
    subs_.push_back(s);
    return s;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& s) {
    std::lock_guard lock(mu_);
    subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

uint64_t EventBus::sequence() {
    std::lock_guard lock(mu_);
    return seq_;
}

void EventBus::publish(v1::Event::Kind kind, const v1::Guest& guest, const std::string& detail) {
    std::lock_guard lock(mu_);
    v1::Event e;
    e.set_kind(kind);
    *e.mutable_guest() = guest;
    if (!detail.empty()) e.set_detail(detail);
    e.set_sequence(++seq_);
    for (auto& s : subs_) {
        std::lock_guard sl(s->mu);
        if (s->is_closed) continue;
        if (s->queue.size() >= kMaxQueued) {
            s->is_closed = true;  // too slow: end its stream
        } else {
            s->queue.push_back(e);
        }
        s->cv.notify_all();
    }
}

void EventBus::close_all() {
    std::lock_guard lock(mu_);
    for (auto& s : subs_) {
        std::lock_guard sl(s->mu);
        s->is_closed = true;
        s->cv.notify_all();
    }
}

}  // namespace warden::wardend
