// SPDX-License-Identifier: Apache-2.0
// Who is calling: the daemon accepts unix-socket connections itself to learn
// each peer's credentials (SO_PEERCRED), because gRPC C++ does not expose them,
// and looks them up by the connection's peer string in every call.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace warden::wardend {

struct PeerCreds {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

class PeerRegistry {
public:
    void add(const std::string& peer, PeerCreds c);
    void remove(const std::string& peer);
    std::optional<PeerCreds> find(const std::string& peer);

private:
    std::mutex mu_;
    std::map<std::string, PeerCreds> peers_;
};

// Mutating calls are for root and members of `group` (if configured).
struct AccessPolicy {
    std::optional<gid_t> group;
    // Reads are allowed to anyone who can open the socket (its mode limits that).
    bool may_mutate(const PeerCreds& c) const;
};

}  // namespace warden::wardend
