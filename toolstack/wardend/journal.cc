// SPDX-License-Identifier: Apache-2.0
#include "journal.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace warden::wardend {
namespace {

namespace fs = std::filesystem;
namespace ts = toolstack;
using Json = nlohmann::json;

const char* pending_word(JournalEntry::Pending p) {
    switch (p) {
    case JournalEntry::Pending::None:
        return "none";
    case JournalEntry::Pending::Create:
        return "create";
    case JournalEntry::Pending::TeeChange:
        return "tee_change";
    case JournalEntry::Pending::Destroy:
        return "destroy";
    }
    return "none";
}

bool pending_from(const std::string& w, JournalEntry::Pending& out) {
    for (auto p : {JournalEntry::Pending::None, JournalEntry::Pending::Create,
                   JournalEntry::Pending::TeeChange, JournalEntry::Pending::Destroy}) {
        if (w == pending_word(p)) {
            out = p;
            return true;
        }
    }
    return false;
}

Json to_json(const JournalEntry& e) {
    const ts::GuestConfig& c = e.cfg;
    return Json{{"version", 1},
                {"pending", pending_word(e.pending)},
                {"name", c.name},
                {"kernel", c.kernel.string()},
                {"initrd", c.initrd.string()},
                {"memory", c.memory},
                {"vcpus", c.vcpus},
                {"tee", c.tee == ts::TeeType::Optee ? "optee" : "none"},
                {"tee_method", ts::to_string(c.tee_method)},
                {"bootargs", c.bootargs},
                {"tee_sessions", c.quotas.tee_sessions},
                {"tee_shm_pages", c.quotas.tee_shm_pages}};
}

bool from_json(const Json& j, JournalEntry& e) {
    if (!j.is_object() || j.value("version", 0) != 1) return false;
    if (!pending_from(j.at("pending").get<std::string>(), e.pending)) return false;
    ts::GuestConfig& c = e.cfg;
    c.name = j.at("name").get<std::string>();
    c.kernel = j.at("kernel").get<std::string>();
    c.initrd = j.value("initrd", std::string{});  // absent in entries written before initrds
    c.memory = j.at("memory").get<uint64_t>();
    c.vcpus = j.at("vcpus").get<uint32_t>();
    c.tee = j.at("tee").get<std::string>() == "optee" ? ts::TeeType::Optee : ts::TeeType::None;
    c.tee_method =
        j.at("tee_method").get<std::string>() == "hvc" ? ts::TeeMethod::Hvc : ts::TeeMethod::Smc;
    c.bootargs = j.at("bootargs").get<std::string>();
    c.quotas.tee_sessions = j.at("tee_sessions").get<uint32_t>();
    c.quotas.tee_shm_pages = j.at("tee_shm_pages").get<uint32_t>();
    return ts::valid_guest_name(c.name);
}

ts::Error io_error(const std::string& what, int err) {
    return ts::Error(ts::ErrorKind::Internal, what + ": " + std::strerror(err));
}

}  // namespace

const char* to_string(JournalEntry::Pending p) {
    return pending_word(p);
}

ts::Status Journal::open() {
    if (!enabled()) return {};
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        return ts::Error(ts::ErrorKind::Internal,
                         "cannot create " + dir_.string() + ": " + ec.message());
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
    return {};
}

ts::Status Journal::write(const JournalEntry& e) {
    if (!enabled()) return {};
    const fs::path final_path = dir_ / (e.cfg.name + ".json");
    const fs::path tmp = dir_ / (e.cfg.name + ".json.tmp");
    const std::string text = to_json(e).dump(2) + "\n";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot record the operation in " + tmp.string(), errno);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            ::close(fd);
            ::unlink(tmp.c_str());
            return io_error("cannot record the operation in " + tmp.string(), err);
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return io_error("cannot record the operation in " + tmp.string(), err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return io_error("cannot record the operation in " + final_path.string(), err);
    }
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

void Journal::remove(const std::string& name) {
    if (!enabled()) return;
    std::error_code ec;
    fs::remove(dir_ / (name + ".json"), ec);
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::map<std::string, JournalEntry> Journal::load() const {
    std::map<std::string, JournalEntry> out;
    if (!enabled()) return out;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(dir_, ec)) {
        if (f.path().extension() != ".json") continue;
        std::ifstream in(f.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        JournalEntry e;
        bool ok = false;
        try {
            ok = from_json(Json::parse(text), e);
        } catch (const std::exception&) {
            ok = false;
        }
        if (!ok || f.path().stem().string() != e.cfg.name) {
            spdlog::warn("journal: {} is not a journal entry; ignored", f.path().string());
            continue;
        }
        out[e.cfg.name] = e;
    }
    return out;
}

}  // namespace warden::wardend
