// SPDX-License-Identifier: Apache-2.0
#include "render.h"

#include <gtest/gtest.h>

#include "canned.h"
#include "golden.h"

namespace warden::cli {
namespace {

using test::canned_capabilities;
using test::canned_events;
using test::canned_guests;
using test::expect_golden;

v1::ListGuestsResponse canned_list() {
    v1::ListGuestsResponse l;
    for (const v1::Guest& g : canned_guests()) *l.add_guests() = g;
    return l;
}

std::string watch_output(Format f) {
    EventPrinter p(f);
    std::string out;
    for (const v1::Event& e : canned_events()) out += p.on_event(e);
    return out + p.finish();
}

TEST(Render, GuestListTable) {
    expect_golden("guest_list.txt", render_guests(canned_list(), Format::kTable));
}

TEST(Render, GuestListJson) {
    expect_golden("guest_list.json", render_guests(canned_list(), Format::kJson));
}

TEST(Render, EmptyGuestListStillHasItsHeaderAndArray) {
    EXPECT_EQ(render_guests({}, Format::kTable),
              "NAME  ID  STATE  MEMORY  VCPUS  TEE  CLIENT  METHOD\n");
    EXPECT_EQ(render_guests({}, Format::kJson), "{\n  \"guests\": []\n}\n");
}

TEST(Render, OneGuest) {
    expect_golden("guest_get.txt", render_guest(canned_guests()[0], Format::kTable));
    expect_golden("guest_get.json", render_guest(canned_guests()[0], Format::kJson));
}

TEST(Render, GuestWithoutTeeMessageIsNullInJson) {
    v1::Guest g;
    g.set_name("bare");
    Json j = Json::parse(render_guest(g, Format::kJson));
    EXPECT_TRUE(j["tee"].is_null());
    EXPECT_EQ(j["state"], "unspecified");
    EXPECT_NE(render_guest(g, Format::kTable).find("bare  0   unspecified  0       0      none"),
              std::string::npos);
}

TEST(Render, ValidateOnlySaysNothingWasCreated) {
    expect_golden("guest_validated.txt", render_validated(canned_guests()[1], Format::kTable));
    EXPECT_EQ(render_validated(canned_guests()[1], Format::kJson),
              render_guest(canned_guests()[1], Format::kJson));
}

TEST(Render, Destroyed) {
    EXPECT_EQ(render_destroyed("web-1", true, Format::kTable), "destroyed web-1\n");
    EXPECT_EQ(render_destroyed("web-1", true, Format::kJson),
              "{\n  \"name\": \"web-1\",\n  \"destroyed\": true\n}\n");
    EXPECT_EQ(render_destroyed("nope", false, Format::kTable),
              "nope: no such guest; nothing to destroy\n")
        << "--allow-missing does not claim to have destroyed anything";
    EXPECT_EQ(render_destroyed("nope", false, Format::kJson),
              "{\n  \"name\": \"nope\",\n  \"destroyed\": false\n}\n");
}

TEST(Render, GuestTee) {
    expect_golden("tee_get.txt", render_guest_tee(canned_guests()[0].tee(), Format::kTable));
    expect_golden("tee_get.json", render_guest_tee(canned_guests()[0].tee(), Format::kJson));
    expect_golden("tee_get_disabled.txt",
                  render_guest_tee(canned_guests()[1].tee(), Format::kTable));
}

TEST(Render, Capabilities) {
    expect_golden("tee_caps.txt", render_capabilities(canned_capabilities(), Format::kTable));
    expect_golden("tee_caps.json", render_capabilities(canned_capabilities(), Format::kJson));
    v1::TeeCapabilities none;
    none.set_type(v1::TEE_TYPE_NONE);
    expect_golden("tee_caps_none.txt", render_capabilities(none, Format::kTable));
}

TEST(Render, Health) {
    using grpc::health::v1::HealthCheckResponse;
    EXPECT_EQ(render_health(HealthCheckResponse::SERVING, Format::kTable), "serving\n");
    EXPECT_EQ(render_health(HealthCheckResponse::NOT_SERVING, Format::kJson),
              "{\n  \"status\": \"not_serving\"\n}\n");
}

TEST(Render, WatchTable) {
    expect_golden("watch.txt", watch_output(Format::kTable));
}

TEST(Render, WatchJsonIsOneObjectPerLine) {
    expect_golden("watch.jsonl", watch_output(Format::kJson));
}

TEST(Render, WatchStreamThatEndsBeforeTheSnapshotIsCompleteStillPrintsIt) {
    EventPrinter p(Format::kTable);
    std::vector<v1::Event> es = canned_events();
    EXPECT_EQ(p.on_event(es[0]), "");
    std::string out = p.finish();
    EXPECT_EQ(out.substr(0, out.find('\n')),
              "EVENT          GUEST         STATE               TEE    CLIENT  METHOD");
    EXPECT_NE(out.find("snapshot       web-1"), std::string::npos);
    EXPECT_EQ(p.finish(), "");
}

TEST(Render, TableRowsHaveNoTrailingBlanks) {
    for (const std::string& text : {render_guests(canned_list(), Format::kTable),
                                    render_guest_tee(canned_guests()[1].tee(), Format::kTable),
                                    watch_output(Format::kTable)}) {
        EXPECT_EQ(text.find(" \n"), std::string::npos) << text;
    }
}

}  // namespace
}  // namespace warden::cli
