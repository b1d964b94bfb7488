// SPDX-License-Identifier: Apache-2.0
#include "peers.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace warden::wardend {

void PeerRegistry::add(const std::string& peer, PeerCreds c) {
    std::lock_guard lock(mu_);
    peers_[peer] = c;
}

void PeerRegistry::remove(const std::string& peer) {
    std::lock_guard lock(mu_);
    peers_.erase(peer);
}

std::optional<PeerCreds> PeerRegistry::find(const std::string& peer) {
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer);
    if (it == peers_.end()) return std::nullopt;
    return it->second;
}

bool AccessPolicy::may_mutate(const PeerCreds& c) const {
    if (c.uid == 0) return true;
    if (!group) return false;
    if (c.gid == *group) return true;
    // Supplementary groups of the caller's user.
    struct passwd* pw = ::getpwuid(c.uid);
    if (!pw) return false;
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<size_t>(n));
        if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) return false;
    }
    for (int i = 0; i < n; ++i) {
        if (groups[static_cast<size_t>(i)] == *group) return true;
    }
    return false;
}

}  // namespace warden::wardend
