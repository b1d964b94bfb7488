// SPDX-License-Identifier: Apache-2.0
#include "drain.h"

#include "daemon.h"
#include "notify.h"
#include "platform.h"
#include "server.h"

namespace warden::wardend {

void drain(Drainable& d, std::chrono::seconds grace) {
    d.notify("STOPPING=1\nSTATUS=draining");
    d.stop_serving();
    d.end_streams();
    d.stop_poller();
    d.shutdown_server(grace);
    d.stop_platform();
}

void ServingDrain::notify(const std::string& state) {
    notify_systemd(state);
}

void ServingDrain::stop_serving() {
    shutting_down_ = true;  // changes are refused from here on
    server_.set_serving(false);
}

void ServingDrain::end_streams() {
    daemon_.events().close_all();
}

void ServingDrain::stop_poller() {
    if (poller_.joinable()) poller_.join();
}

void ServingDrain::shutdown_server(std::chrono::seconds grace) {
    server_.shutdown(grace);
}

void ServingDrain::stop_platform() {
    if (platform_) platform_->stop();
}

}  // namespace warden::wardend
