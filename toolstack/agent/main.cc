// SPDX-License-Identifier: Apache-2.0
// The dom0 agent: the control domain's side of the relay. It owns the virtio
// console that QEMU wires to the host's socket and turns each framed request
// from the toolstack into the real domctl hypercall, issued on a struct in its
// own memory — where a Linux dom0's privcmd driver would stand on hardware.
//
// There are no guest interrupts yet, so it polls the device's used rings and
// gives the CPU away (yield hypercall) whenever a pass found nothing to do.
#include "clock.h"
#include "guest/guest.h"
#include "relay_server.h"
#include "virtio_console.h"
#include "warden/hypercall.h"

extern "C" [[noreturn]] void __cxa_pure_virtual() {
    guest::fail("pure virtual call");
}

namespace {

namespace hc = warden::abi::hc;

class AgentPort final : public agent::RelayPort {
public:
    explicit AgentPort(agent::VirtioConsole& console) : console_(console) {}

    bool send(const void* frame, size_t len) override {
        if (console_.send(frame, len)) return true;
        broken_ = true;
        return false;
    }
    int64_t domctl(agent::abi::Domctl* op) override { return guest::domctl(op); }
    uint32_t hypercall_version() override {
        return static_cast<uint32_t>(guest::hvc({{hc::kVersion, 0, 0, 0, 0, 0, 0, 0}}).x[0]);
    }
    uint64_t now_ms() override { return agent::now_ms(); }
    void log(const char* line) override { guest::print("%s", line); }

    bool broken() const { return broken_; }
    void repaired() { broken_ = false; }

private:
    agent::VirtioConsole& console_;
    bool broken_ = false;
};

agent::VirtioConsole g_console;
AgentPort g_port(g_console);
agent::RelayServer g_server(g_port);

// A device that broke the virtqueue rules (or stopped taking what we send) is
// reset and brought up again, at most once a second so that a device which
// keeps misbehaving cannot flood the console.
void restart_channel(uint64_t base) {
    static uint64_t last_ms = 0;
    static unsigned restarts = 0;
    g_console.stop();
    g_server.reset_stream();
    for (;;) {
        while (agent::now_ms() - last_ms < 1000) guest::yield();
        last_ms = agent::now_ms();
        const char* why = "";
        ++restarts;
        if (g_console.start(base, &why)) {
            guest::print("agent: virtio console at 0x%lx misbehaved: reset (%u time(s))", base,
                         restarts);
            g_port.repaired();
            return;
        }
        guest::print("agent: virtio console at 0x%lx: %s; retrying", base, why);
    }
}

// One pass hands every filled receive buffer to the relay server; a pass that
// finds nothing lets the server notice a stalled frame and yields the CPU.
[[noreturn]] void serve(uint64_t base) {
    for (;;) {
        if (!g_console.poll() || g_port.broken()) {
            restart_channel(base);
            continue;
        }
        bool busy = false;
        size_t len = 0;
        while (const uint8_t* bytes = g_console.received(&len)) {
            g_console.consume(g_server.feed(bytes, len));
            busy = true;
            if (g_port.broken()) break;
        }
        if (!busy) {
            g_server.idle();
            guest::yield();
        }
    }
}

}  // namespace

int guest_main() {
    agent::VirtioConsole::Found found = agent::VirtioConsole::find(guest::device_tree());
    if (!found.base) {
        if (found.legacy) {
            guest::print(
                "agent: the virtio console is legacy-only (QEMU needs -global "
                "virtio-mmio.force-legacy=false)");
        } else {
            guest::print(
                "agent: no virtio console among %u virtio-mmio transport(s): no control "
                "channel",
                found.transports);
        }
        return 0;
    }
    const char* why = "";
    if (!g_console.start(found.base, &why)) {
        guest::print("agent: virtio console at 0x%lx: %s: no control channel", found.base, why);
        return 0;
    }
    guest::print("agent: relay on virtio console at 0x%lx (%u receive buffers of %u bytes)",
                 found.base, g_console.rx_queue_size(), agent::VirtioConsole::kRxBufferSize);
    serve(found.base);
}
