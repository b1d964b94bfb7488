// SPDX-License-Identifier: Apache-2.0
// What the daemon writes down about each guest before it acts on the
// hypervisor, so that a daemon killed at any step of an operation finishes or
// undoes that step when it starts again. The hypervisor stays the source of
// truth for what exists and whether its TEE is enabled; the journal adds what
// the hypervisor does not hold (bootargs, the kernel path, how the TEE is
// reached) and which operation was under way.
//
// One file per guest, <dir>/<name>.json, replaced atomically (written to a
// temporary file, flushed, renamed, directory flushed). docs/api.md, "Crash
// consistency", has the recovery rules.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "config.h"
#include "status.h"

namespace warden::wardend {

struct JournalEntry {
    enum class Pending {
        None,       // the guest is as `cfg` says
        Create,     // being built: on recovery it is rolled back (destroyed)
        TeeChange,  // its TEE is being changed to cfg.tee / cfg.tee_method: rolled forward
        Destroy,    // being destroyed: finished
    };
    toolstack::GuestConfig cfg;
    Pending pending = Pending::None;
};

const char* to_string(JournalEntry::Pending p);

class Journal {
public:
    // An empty directory: no journal (in-process tests); every call succeeds.
    explicit Journal(std::filesystem::path dir = {}) : dir_(std::move(dir)) {}
    bool enabled() const { return !dir_.empty(); }
    const std::filesystem::path& dir() const { return dir_; }

    // Creates the directory (mode 0700). Fails if it cannot.
    toolstack::Status open();
    toolstack::Status write(const JournalEntry& e);
    void remove(const std::string& name);
    // Every entry; files that cannot be read or parsed are logged and skipped.
    std::map<std::string, JournalEntry> load() const;

private:
    std::filesystem::path dir_;
};

}  // namespace warden::wardend
