// SPDX-License-Identifier: Apache-2.0
#include "render.h"

#include "words.h"

namespace warden::cli {
namespace {

constexpr int kIndent = 2;

std::string dump(const Json& j) {
    return j.dump(kIndent) + "\n";
}

bool tee_enabled(const v1::GuestTee& t) {
    return t.state() == v1::TEE_STATE_ENABLED;
}

std::string client_cell(const v1::GuestTee& t) {
    return tee_enabled(t) ? std::to_string(t.client_id()) : "-";
}

std::string method_cell(const v1::GuestTee& t) {
    return tee_enabled(t) ? word(t.method()) : "-";
}

std::string state_cell(const v1::Guest& g) {
    std::string s = word(g.state());
    if (!g.shutdown_reason().empty()) s += "(" + g.shutdown_reason() + ")";
    return s;
}

const Row kGuestHeader = {"NAME", "ID", "STATE", "MEMORY", "VCPUS", "TEE", "CLIENT", "METHOD"};

Row guest_row(const v1::Guest& g) {
    const v1::GuestTee& t = g.tee();
    return {g.name(),
            std::to_string(g.domain_id()),
            state_cell(g),
            format_size(g.memory_bytes()),
            std::to_string(g.vcpus()),
            tee_enabled(t) ? word(t.type()) : "none",
            client_cell(t),
            method_cell(t)};
}

std::string guest_table(const google::protobuf::RepeatedPtrField<v1::Guest>& guests) {
    Table t(kGuestHeader);
    for (const v1::Guest& g : guests) t.add(guest_row(g));
    return t.render();
}

const Row kEventHeader = {"EVENT", "GUEST", "STATE", "TEE", "CLIENT", "METHOD"};
// Wide enough for every event word, most names and a state with its reason, so
// that the rows after the snapshot stay aligned with it.
const std::vector<size_t> kEventMinWidths = {13, 12, 18, 5, 6, 6};

Row event_row(const v1::Event& e) {
    const v1::Guest& g = e.guest();
    const v1::GuestTee& t = g.tee();
    return {word(e.kind()), g.name(),      state_cell(g), tee_enabled(t) ? word(t.type()) : "none",
            client_cell(t), method_cell(t)};
}

}  // namespace

Json to_json(const v1::Quotas& q) {
    Json j;
    j["tee_sessions"] = q.tee_sessions();
    j["tee_shm_pages"] = q.tee_shm_pages();
    return j;
}

Json to_json(const v1::GuestTee& t) {
    Json j;
    j["guest"] = t.guest();
    j["type"] = word(t.type());
    j["state"] = word(t.state());
    j["client_id"] = t.client_id();
    j["method"] = word(t.method());
    j["calls_forwarded"] = t.calls_forwarded();
    j["calls_refused"] = t.calls_refused();
    j["quotas"] = to_json(t.quotas());
    j["in_use"] = to_json(t.in_use());
    return j;
}

Json to_json(const v1::Guest& g) {
    Json j;
    j["name"] = g.name();
    j["domain_id"] = g.domain_id();
    j["state"] = word(g.state());
    j["shutdown_reason"] = g.shutdown_reason();
    j["memory_bytes"] = g.memory_bytes();
    j["vcpus"] = g.vcpus();
    j["tee"] = g.has_tee() ? to_json(g.tee()) : Json(nullptr);
    return j;
}

Json to_json(const v1::TeeCapabilities& c) {
    Json j;
    j["type"] = word(c.type());
    j["os_revision"] = c.os_revision();
    j["guest_limit"] = c.guest_limit();
    j["guest_limit_known"] = c.guest_limit_known();
    j["guests_in_use"] = c.guests_in_use();
    j["threads"] = c.threads();
    return j;
}

Json to_json(const v1::Event& e) {
    Json j;
    j["kind"] = word(e.kind());
    j["sequence"] = e.sequence();
    j["guest"] = e.has_guest() ? to_json(e.guest()) : Json(nullptr);
    return j;
}

std::string render_guest(const v1::Guest& g, Format f) {
    if (f == Format::kJson) return dump(to_json(g));
    google::protobuf::RepeatedPtrField<v1::Guest> one;
    *one.Add() = g;
    return guest_table(one);
}

std::string render_guests(const v1::ListGuestsResponse& list, Format f) {
    if (f == Format::kJson) {
        Json guests = Json::array();
        for (const v1::Guest& g : list.guests()) guests.push_back(to_json(g));
        return dump(Json{{"guests", guests}});
    }
    return guest_table(list.guests());
}

std::string render_validated(const v1::Guest& g, Format f) {
    if (f == Format::kJson) return render_guest(g, f);
    // No ID and no state: nothing exists yet.
    std::string tee = g.tee().type() == v1::TEE_TYPE_OPTEE ? "OP-TEE over " + word(g.tee().method())
                                                           : std::string("no TEE");
    return "valid: guest " + g.name() + ", " + std::to_string(g.memory_bytes() >> 20) + " MiB, " +
           std::to_string(g.vcpus()) + " vCPU" + (g.vcpus() == 1 ? "" : "s") + ", " + tee +
           "; nothing was created (--validate-only)\n";
}

std::string render_destroyed(const std::string& name, bool existed, Format f) {
    if (f == Format::kJson) return dump(Json{{"name", name}, {"destroyed", existed}});
    if (!existed) return name + ": no such guest; nothing to destroy\n";
    return "destroyed " + name + "\n";
}

std::string render_guest_tee(const v1::GuestTee& t, Format f) {
    if (f == Format::kJson) return dump(to_json(t));
    Table table({"GUEST", "TEE", "STATE", "CLIENT", "METHOD", "FORWARDED", "REFUSED", "SESSIONS",
                 "SHM_PAGES"});
    // "held/limit": what the guest holds against its quota.
    const bool quotas = t.has_quotas();
    auto held = [&](uint32_t used, uint32_t limit) {
        return quotas ? std::to_string(used) + "/" + std::to_string(limit) : std::string("-");
    };
    table.add({t.guest(), word(t.type()), word(t.state()), client_cell(t), method_cell(t),
               std::to_string(t.calls_forwarded()), std::to_string(t.calls_refused()),
               held(t.in_use().tee_sessions(), t.quotas().tee_sessions()),
               held(t.in_use().tee_shm_pages(), t.quotas().tee_shm_pages())});
    return table.render();
}

std::string render_capabilities(const v1::TeeCapabilities& c, Format f) {
    if (f == Format::kJson) return dump(to_json(c));
    Table table({"TEE", "REVISION", "GUESTS", "LIMIT", "THREADS"});
    table.add({word(c.type()), c.os_revision().empty() ? "-" : c.os_revision(),
               std::to_string(c.guests_in_use()),
               c.guest_limit_known() ? std::to_string(c.guest_limit()) : "unknown",
               std::to_string(c.threads())});
    return table.render();
}

std::string render_health(grpc::health::v1::HealthCheckResponse::ServingStatus s, Format f) {
    if (f == Format::kJson) return dump(Json{{"status", word(s)}});
    return word(s) + "\n";
}

std::string EventPrinter::on_event(const v1::Event& e) {
    received_ = true;
    if (format_ == Format::kJson) return to_json(e).dump() + "\n";
    switch (e.kind()) {
    case v1::Event::KIND_SNAPSHOT:
        if (!snapshot_done_) {
            snapshot_.push_back(event_row(e));
            return "";
        }
        return format_row(event_row(e), widths_);
    case v1::Event::KIND_SNAPSHOT_DONE:
        return flush_snapshot();
    case v1::Event::KIND_PLATFORM_LOST:
        return flush_snapshot() + "platform lost: " + e.detail() + "\n";
    default:
        return flush_snapshot() + format_row(event_row(e), widths_);
    }
}

std::string EventPrinter::finish() {
    // A stream that never got going (no daemon) prints no empty table.
    return format_ == Format::kJson || !received_ ? "" : flush_snapshot();
}

std::string EventPrinter::flush_snapshot() {
    if (snapshot_done_) return "";
    snapshot_done_ = true;
    Table t(kEventHeader);
    for (const Row& r : snapshot_) t.add(r);
    widths_ = t.widths(kEventMinWidths);
    std::string out = format_row(kEventHeader, widths_);
    for (const Row& r : snapshot_) out += format_row(r, widths_);
    snapshot_.clear();
    return out;
}

}  // namespace warden::cli
