// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <toml++/toml.h>
#include <fstream>
#include <sstream>

#include "size.h"
#include "warden/domctl.h"

namespace warden::toolstack {
namespace {

constexpr size_t kMaxBootargs = 255;
const std::string kVcpuRange = "expected 1 to " + std::to_string(abi::kMaxVcpus);

struct Ctx {
    const std::string& source;
    Error fail(const toml::node* n, const std::string& field, const std::string& what) const {
        std::string where = source;
        if (n && n->source().begin) where += ":" + std::to_string(n->source().begin.line);
        return invalid_field(field, what).prefix(where);
    }
};

Status check_memory(uint64_t m) {
    if (m < abi::kDomainRamMin || m > abi::kDomainRamMax || m % abi::kDomainRamAlign) {
        return Error(ErrorKind::InvalidInput,
                     "expected " + std::to_string(abi::kDomainRamMin >> 20) + " MiB to " +
                         std::to_string(abi::kDomainRamMax >> 30) + " GiB, a multiple of " +
                         std::to_string(abi::kDomainRamAlign >> 20) + " MiB (e.g. \"64M\")");
    }
    return {};
}

}  // namespace

const char* to_string(TeeMethod m) {
    return m == TeeMethod::Hvc ? "hvc" : "smc";
}

bool valid_guest_name(const std::string& name) {
    // The hypervisor's rule for domain names, from the ABI (one definition).
    return name.size() < abi::kDomainNameMax &&
           abi::valid_domain_name(name.c_str(), static_cast<unsigned>(name.size() + 1));
}

Status validate_guest_config(const GuestConfig& c) {
    auto bad = [](const std::string& field, const std::string& what) {
        return Status(invalid_field(field, what));
    };
    if (!valid_guest_name(c.name)) {
        return bad("name", kGuestNameRule);
    }
    if (c.kernel.empty()) return bad("kernel", "required");
    if (auto s = check_memory(c.memory); !s) return bad("memory", s.error().reason());
    if (c.vcpus < 1 || c.vcpus > abi::kMaxVcpus) return bad("vcpus", kVcpuRange);
    if (c.bootargs.size() > kMaxBootargs) return bad("bootargs", "at most 255 bytes");
    if (c.quotas.tee_sessions < 1 || c.quotas.tee_sessions > abi::kTeeMaxSessions) {
        return bad("quotas.tee_sessions", "expected 1 to " + std::to_string(abi::kTeeMaxSessions));
    }
    if (c.quotas.tee_shm_pages < 1 || c.quotas.tee_shm_pages > abi::kTeeMaxShmPages) {
        return bad("quotas.tee_shm_pages", "expected 1 to " + std::to_string(abi::kTeeMaxShmPages));
    }
    return {};
}

Result<GuestConfig> parse_guest_config(const std::string& text, const std::string& source,
                                       const std::filesystem::path& base_dir) {
    Ctx ctx{source};
    toml::table t;
    try {
        t = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        return Error(ErrorKind::InvalidInput, source + ":" + std::to_string(e.source().begin.line) +
                                                  ": " + std::string(e.description()));
    }
    GuestConfig c;
    for (auto&& [key, node] : t) {
        const std::string k(key.str());
        const toml::node* n = &node;
        auto want_string = [&](std::string& out) -> Status {
            if (!n->is_string()) return ctx.fail(n, k, "expected a string");
            out = n->as_string()->get();
            return {};
        };
        if (k == "name") {
            if (auto s = want_string(c.name); !s) return s.error();
            if (!valid_guest_name(c.name)) {
                return ctx.fail(n, k, "\"" + c.name + "\": " + kGuestNameRule);
            }
        } else if (k == "kernel") {
            std::string path;
            if (auto s = want_string(path); !s) return s.error();
            if (path.empty()) return ctx.fail(n, k, "empty path");
            c.kernel = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path)
                                                                 : base_dir / path;
        } else if (k == "initrd") {
            std::string path;
            if (auto s = want_string(path); !s) return s.error();
            if (path.empty()) return ctx.fail(n, k, "empty path");
            c.initrd = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path)
                                                                 : base_dir / path;
        } else if (k == "memory") {
            uint64_t m = 0;
            if (n->is_integer()) {
                int64_t mib = n->as_integer()->get();
                m = mib > 0 && static_cast<uint64_t>(mib) <= (abi::kDomainRamMax >> 20)
                        ? static_cast<uint64_t>(mib) << 20
                        : 0;
            } else if (n->is_string()) {
                m = parse_size(n->as_string()->get());
            }
            if (auto s = check_memory(m); !s) return ctx.fail(n, k, s.error().reason());
            c.memory = m;
        } else if (k == "vcpus") {
            if (!n->is_integer()) return ctx.fail(n, k, "expected an integer");
            int64_t v = n->as_integer()->get();
            if (v < 1 || v > abi::kMaxVcpus) return ctx.fail(n, k, kVcpuRange);
            c.vcpus = static_cast<uint32_t>(v);
        } else if (k == "tee") {
            std::string v;
            if (auto s = want_string(v); !s) return s.error();
            if (v == "optee")
                c.tee = TeeType::Optee;
            else if (v == "none")
                c.tee = TeeType::None;
            else
                return ctx.fail(n, k, "\"" + v + "\": expected \"optee\" or \"none\"");
        } else if (k == "tee_method") {
            std::string v;
            if (auto s = want_string(v); !s) return s.error();
            if (v == "smc")
                c.tee_method = TeeMethod::Smc;
            else if (v == "hvc")
                c.tee_method = TeeMethod::Hvc;
            else
                return ctx.fail(n, k, "\"" + v + "\": expected \"smc\" or \"hvc\"");
        } else if (k == "bootargs") {
            if (auto s = want_string(c.bootargs); !s) return s.error();
            if (c.bootargs.size() > kMaxBootargs) return ctx.fail(n, k, "at most 255 bytes");
        } else if (k == "quotas") {
            if (!n->is_table()) return ctx.fail(n, k, "expected a table [quotas]");
            for (auto&& [qkey, qnode] : *n->as_table()) {
                const std::string q(qkey.str());
                const std::string field = "quotas." + q;
                if (!qnode.is_integer()) return ctx.fail(&qnode, field, "expected an integer");
                int64_t v = qnode.as_integer()->get();
                if (q == "tee_sessions") {
                    if (v < 1 || v > abi::kTeeMaxSessions) {
                        return ctx.fail(&qnode, field,
                                        "expected 1 to " + std::to_string(abi::kTeeMaxSessions));
                    }
                    c.quotas.tee_sessions = static_cast<uint32_t>(v);
                } else if (q == "tee_shm_pages") {
                    if (v < 1 || v > abi::kTeeMaxShmPages) {
                        return ctx.fail(&qnode, field,
                                        "expected 1 to " + std::to_string(abi::kTeeMaxShmPages));
                    }
                    c.quotas.tee_shm_pages = static_cast<uint32_t>(v);
                } else {
                    return ctx.fail(&qnode, field, "unknown quota");
                }
            }
        } else {
            return ctx.fail(n, k, "unknown key");
        }
    }
    if (c.name.empty()) return invalid_field("name", "required").prefix(source);
    if (c.kernel.empty()) return invalid_field("kernel", "required").prefix(source);
    return c;
}

Result<GuestConfig> load_guest_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        return Error(ErrorKind::InvalidInput, file.string() + ": cannot be read");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_guest_config(ss.str(), file.string(), file.parent_path());
}

}  // namespace warden::toolstack
