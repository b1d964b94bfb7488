// SPDX-License-Identifier: Apache-2.0
#include "canned.h"

namespace warden::cli::test {
namespace {

v1::GuestTee tee(const std::string& guest, v1::TeeType type, v1::TeeState state, uint32_t client,
                 v1::TeeMethod method, uint64_t forwarded, uint64_t refused) {
    v1::GuestTee t;
    t.set_guest(guest);
    t.set_type(type);
    t.set_state(state);
    t.set_client_id(client);
    t.set_method(method);
    t.set_calls_forwarded(forwarded);
    t.set_calls_refused(refused);
    t.mutable_quotas()->set_tee_sessions(16);
    t.mutable_quotas()->set_tee_shm_pages(256);
    if (state == v1::TEE_STATE_ENABLED) {
        t.mutable_in_use()->set_tee_sessions(2);  // what an enabled guest holds
        t.mutable_in_use()->set_tee_shm_pages(40);
    }
    return t;
}

v1::Guest guest(const std::string& name, uint32_t id, v1::GuestState state, uint64_t memory,
                uint32_t vcpus, v1::GuestTee t) {
    v1::Guest g;
    g.set_name(name);
    g.set_domain_id(id);
    g.set_state(state);
    g.set_memory_bytes(memory);
    g.set_vcpus(vcpus);
    *g.mutable_tee() = std::move(t);
    return g;
}

v1::Event event(v1::Event::Kind kind, uint64_t seq, const v1::Guest* g) {
    v1::Event e;
    e.set_kind(kind);
    e.set_sequence(seq);
    if (g) *e.mutable_guest() = *g;
    return e;
}

}  // namespace

std::vector<v1::Guest> canned_guests() {
    std::vector<v1::Guest> gs;
    gs.push_back(guest(
        "web-1", 1, v1::GUEST_STATE_RUNNING, 64ull << 20, 1,
        tee("web-1", v1::TEE_TYPE_OPTEE, v1::TEE_STATE_ENABLED, 2, v1::TEE_METHOD_SMC, 42, 1)));
    gs.push_back(guest(
        "db", 2, v1::GUEST_STATE_CREATED, 16ull << 20, 2,
        tee("db", v1::TEE_TYPE_NONE, v1::TEE_STATE_DISABLED, 0, v1::TEE_METHOD_UNSPECIFIED, 0, 0)));
    v1::Guest old =
        guest("old", 3, v1::GUEST_STATE_SHUTDOWN, 1ull << 30, 4,
              tee("old", v1::TEE_TYPE_OPTEE, v1::TEE_STATE_ENABLED, 4, v1::TEE_METHOD_HVC, 7, 0));
    old.set_shutdown_reason("poweroff");
    gs.push_back(old);
    return gs;
}

v1::TeeCapabilities canned_capabilities() {
    v1::TeeCapabilities c;
    c.set_type(v1::TEE_TYPE_OPTEE);
    c.set_os_revision("4.10");
    c.set_guest_limit(2);
    c.set_guest_limit_known(true);
    c.set_guests_in_use(2);
    c.set_threads(2);
    return c;
}

std::vector<v1::Event> canned_events() {
    std::vector<v1::Event> es;
    uint64_t seq = 1;
    std::vector<v1::Guest> gs = canned_guests();
    for (const v1::Guest& g : gs) es.push_back(event(v1::Event::KIND_SNAPSHOT, seq++, &g));
    es.push_back(event(v1::Event::KIND_SNAPSHOT_DONE, seq++, nullptr));
    v1::Guest web = gs[0];
    web.mutable_tee()->set_state(v1::TEE_STATE_DISABLED);
    web.mutable_tee()->set_client_id(0);
    es.push_back(event(v1::Event::KIND_TEE_CHANGED, seq++, &web));
    es.push_back(event(v1::Event::KIND_GUEST_REMOVED, seq++, &gs[2]));
    return es;
}

}  // namespace warden::cli::test
