// SPDX-License-Identifier: Apache-2.0
#include "core/bootinfo.h"

#include "core/phys.h"
#include "warden/domctl.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

uint64_t read_cells(const fdt32_t* p, int cells) {
    uint64_t v = 0;
    for (int i = 0; i < cells; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

struct Cells {
    int addr = 2;
    int size = 1;
};

int cells_prop(const void* fdt, int node, const char* name) {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
    if (!p || len != 4) return -1;
    return static_cast<int>(fdt32_to_cpu(*p));
}

// Cell sizes for the children of `parent`. A node that does not say inherits the
// root's: QEMU's guest-loader writes module reg properties in the root's format
// into a /chosen without #address-cells/#size-cells.
Cells cells_of(const void* fdt, int parent) {
    Cells c;
    int a = cells_prop(fdt, parent, "#address-cells");
    int s = cells_prop(fdt, parent, "#size-cells");
    if (a < 0) a = cells_prop(fdt, 0, "#address-cells");
    if (s < 0) s = cells_prop(fdt, 0, "#size-cells");
    if (a > 0 && a <= 2) c.addr = a;
    if (s >= 0 && s <= 2) c.size = s;
    return c;
}

// The n-th (address, size) pair of a node's reg property, in its parent's cell
// sizes. Callers that know the parent pass it: finding it costs libfdt a walk
// from the start of the tree, and that adds up (32 virtio transports at boot).
bool reg_at(const void* fdt, int parent, int node, int n, uint64_t& addr, uint64_t& size) {
    if (parent < 0) return false;
    Cells c = cells_of(fdt, parent);
    int len = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
    int stride = c.addr + c.size;
    if (!reg || len < 0 || (n + 1) * stride * 4 > len) return false;
    addr = read_cells(reg + n * stride, c.addr);
    size = read_cells(reg + n * stride + c.addr, c.size);
    return true;
}

bool node_enabled(const void* fdt, int node) {
    int len = 0;
    const char* status = static_cast<const char*>(fdt_getprop(fdt, node, "status", &len));
    if (!status) return true;
    return len >= 2 && (status[0] == 'o' && status[1] == 'k');
}

bool parse_memory(const void* fdt, BootInfo& out) {
    for (int node = fdt_next_node(fdt, -1, nullptr); node >= 0;
         node = fdt_next_node(fdt, node, nullptr)) {
        int len = 0;
        const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", &len));
        if (!type || len < 7 || __builtin_strcmp(type, "memory") != 0) continue;
        if (!node_enabled(fdt, node)) continue;  // secure-only memory
        uint64_t a = 0, s = 0;
        if (!reg_at(fdt, fdt_parent_offset(fdt, node), node, 0, a, s) || s == 0) continue;
        out.ram_base = Pa(a);
        out.ram_size = s;
        return true;
    }
    return false;
}

void parse_uart(const void* fdt, BootInfo& out) {
    int node = -1;
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen >= 0) {
        int len = 0;
        const char* path = static_cast<const char*>(fdt_getprop(fdt, chosen, "stdout-path", &len));
        if (path && len > 0) {
            int plen = 0;
            while (plen < len && path[plen] && path[plen] != ':') ++plen;
            node = fdt_path_offset_namelen(fdt, path, plen);
        }
    }
    if (node < 0) node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
    while (node >= 0 && !node_enabled(fdt, node)) {
        node = fdt_node_offset_by_compatible(fdt, node, "arm,pl011");
    }
    uint64_t a = 0, s = 0;
    if (node >= 0 && reg_at(fdt, fdt_parent_offset(fdt, node), node, 0, a, s)) out.uart = Pa(a);
}

void parse_gic(const void* fdt, BootInfo& out) {
    const char* const compat[] = {"arm,cortex-a15-gic", "arm,gic-400", "arm,cortex-a9-gic"};
    for (const char* c : compat) {
        int node = fdt_node_offset_by_compatible(fdt, -1, c);
        if (node < 0) continue;
        uint64_t a = 0, s = 0;
        int parent = fdt_parent_offset(fdt, node);
        if (reg_at(fdt, parent, node, 0, a, s)) out.gicd = Pa(a);
        if (reg_at(fdt, parent, node, 1, a, s)) out.gicc = Pa(a);
        if (reg_at(fdt, parent, node, 2, a, s)) out.gich = Pa(a);
        if (reg_at(fdt, parent, node, 3, a, s)) out.gicv = Pa(a);
        return;
    }
}

// virtio-mmio transports sit at the top level of the tree (as on QEMU 'virt').
void parse_virtio(const void* fdt, BootInfo& out) {
    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        if (fdt_node_check_compatible(fdt, node, "virtio,mmio") != 0) continue;
        uint64_t a = 0, s = 0;
        if (!node_enabled(fdt, node) || !reg_at(fdt, 0, node, 0, a, s) || s == 0 || a + s < a) {
            continue;
        }
        if (out.virtio_count == kMaxPassthrough) return;
        out.virtio[out.virtio_count++] = DeviceRegion{Pa(a), s};
    }
}

BootInfoError add_reserved(BootInfo& out, uint64_t base, uint64_t size, const char* name) {
    if (size == 0) return BootInfoError::None;
    if (base + size < base) return BootInfoError::BadReserved;
    if (out.reserved_count == kMaxReserved) return BootInfoError::TooManyReserved;
    ReservedRegion& r = out.reserved[out.reserved_count++];
    r.base = Pa(base);
    r.size = size;
    unsigned i = 0;
    for (; name[i] && i + 1 < sizeof r.name; ++i) r.name[i] = name[i];
    r.name[i] = '\0';
    return BootInfoError::None;
}

// /memreserve/ entries and /reserved-memory children with a reg (each pair of it).
BootInfoError parse_reserved(const void* fdt, BootInfo& out) {
    int n = fdt_num_mem_rsv(fdt);
    for (int i = 0; i < n; ++i) {
        uint64_t a = 0, s = 0;
        if (fdt_get_mem_rsv(fdt, i, &a, &s) != 0) return BootInfoError::BadReserved;
        BootInfoError e = add_reserved(out, a, s, "/memreserve/");
        if (e != BootInfoError::None) return e;
    }
    int parent = fdt_path_offset(fdt, "/reserved-memory");
    if (parent < 0) return BootInfoError::None;
    int node;
    fdt_for_each_subnode(node, fdt, parent) {
        if (!node_enabled(fdt, node)) continue;
        int len = 0;
        if (!fdt_getprop(fdt, node, "reg", &len)) {
            ++out.reserved_unplaced;
            continue;
        }
        Cells c = cells_of(fdt, parent);
        int pairs = len / (4 * (c.addr + c.size));
        if (pairs == 0 || len % (4 * (c.addr + c.size)) != 0) return BootInfoError::BadReserved;
        const char* name = fdt_get_name(fdt, node, nullptr);
        for (int i = 0; i < pairs; ++i) {
            uint64_t a = 0, s = 0;
            if (!reg_at(fdt, parent, node, i, a, s)) return BootInfoError::BadReserved;
            BootInfoError e = add_reserved(out, a, s, name ? name : "?");
            if (e != BootInfoError::None) return e;
        }
    }
    return BootInfoError::None;
}

// Ramdisk modules go with the kernel module right below them (QEMU's
// guest-loader places a guest's initrd after its kernel).
BootInfoError attach_ramdisks(const void* fdt, int chosen, BootInfo& out) {
    int node;
    fdt_for_each_subnode(node, fdt, chosen) {
        if (fdt_node_check_compatible(fdt, node, "multiboot,ramdisk") != 0) continue;
        uint64_t a = 0, s = 0;
        if (!reg_at(fdt, chosen, node, 0, a, s) || s == 0 || a + s < a) {
            return BootInfoError::BadModule;
        }
        BootModule* owner = nullptr;
        for (unsigned i = 0; i < out.module_count; ++i) {
            if (out.modules[i].base.value() < a) owner = &out.modules[i];
        }
        if (!owner || owner->initrd_size || owner->base.value() + owner->size > a) {
            return BootInfoError::BadModule;  // no kernel below it, two, or overlapping
        }
        owner->initrd = Pa(a);
        owner->initrd_size = s;
    }
    return BootInfoError::None;
}

BootInfoError parse_modules(const void* fdt, BootInfo& out) {
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0) return BootInfoError::None;
    int node;
    fdt_for_each_subnode(node, fdt, chosen) {
        if (fdt_node_check_compatible(fdt, node, "multiboot,kernel") != 0) continue;
        if (out.module_count == kMaxBootModules) return BootInfoError::TooManyModules;
        BootModule m;
        uint64_t a = 0, s = 0;
        if (!reg_at(fdt, chosen, node, 0, a, s) || s == 0 || a + s < a) {
            return BootInfoError::BadModule;
        }
        m.base = Pa(a);
        m.size = s;
        int len = 0;
        const char* args = static_cast<const char*>(fdt_getprop(fdt, node, "bootargs", &len));
        if (args && len > 0) {
            if (args[len - 1] != '\0') return BootInfoError::BadModule;
            if (len > static_cast<int>(kMaxBootargs)) return BootInfoError::LongBootargs;
            for (int i = 0; i < len; ++i) m.bootargs[i] = args[i];
        }
        // insertion sort by address
        unsigned i = out.module_count++;
        while (i > 0 && out.modules[i - 1].base > m.base) {
            out.modules[i] = out.modules[i - 1];
            --i;
        }
        out.modules[i] = m;
    }
    return attach_ramdisks(fdt, chosen, out);
}

}  // namespace

const char* to_string(BootInfoError e) {
    switch (e) {
    case BootInfoError::None:
        return "ok";
    case BootInfoError::BadHeader:
        return "not a valid device tree";
    case BootInfoError::NoMemory:
        return "no /memory node";
    case BootInfoError::BadModule:
        return "malformed multiboot module node";
    case BootInfoError::LongBootargs:
        return "a boot module's bootargs are longer than 255 characters";
    case BootInfoError::TooManyModules:
        return "too many boot modules";
    case BootInfoError::TooManyReserved:
        return "too many reserved memory regions";
    case BootInfoError::BadReserved:
        return "malformed reserved memory region";
    }
    return "?";
}

BootInfoError parse_boot_info(const void* fdt, BootInfo& out) {
    out = BootInfo{};
    if (fdt_check_header(fdt) != 0) return BootInfoError::BadHeader;
    if (!parse_memory(fdt, out)) return BootInfoError::NoMemory;
    parse_uart(fdt, out);
    parse_gic(fdt, out);
    parse_virtio(fdt, out);
    BootInfoError e = parse_reserved(fdt, out);
    if (e != BootInfoError::None) return e;
    return parse_modules(fdt, out);
}

DtLocation locate_device_tree(uint64_t x0, Pa fallback) {
    auto holds_fdt = [](Pa pa) {
        return fdt_magic(phys_ptr<const void>(pa)) == FDT_MAGIC &&
               fdt_check_header(phys_ptr<const void>(pa)) == 0;
    };
    if (x0 >= kMinDtAddress && is_aligned(x0, 8) && holds_fdt(Pa(x0))) {
        return DtLocation{Pa(x0), true, true};
    }
    if (holds_fdt(fallback)) return DtLocation{fallback, true, false};
    return DtLocation{};
}

// The decimal value of "key=N" in bootargs; 0 if absent, malformed or huge.
uint64_t bootargs_number(const char* s, const char* key) {
    const uint64_t key_len = __builtin_strlen(key);
    for (const char* p = s; *p; ++p) {
        if ((p != s && p[-1] != ' ') || __builtin_strncmp(p, key, key_len) != 0) continue;
        uint64_t v = 0;
        const char* d = p + key_len;
        for (; *d >= '0' && *d <= '9'; ++d) {
            if (v > (uint64_t{1} << 40)) return 0;
            v = v * 10 + static_cast<uint64_t>(*d - '0');
        }
        return (*d == ' ' || *d == '\0') ? v : 0;
    }
    return 0;
}

BootTeeRequest bootargs_tee(const char* s) {
    constexpr char kKey[] = "warden.tee=";
    constexpr unsigned kKeyLen = sizeof kKey - 1;
    BootTeeRequest r;
    r.shm_pages = bootargs_number(s, "warden.tee_shm_pages=");
    for (const char* p = s; *p; ++p) {
        if (p != s && p[-1] != ' ') continue;
        unsigned i = 0;
        while (i < kKeyLen && p[i] == kKey[i]) ++i;
        if (i != kKeyLen) continue;
        const char* v = p + kKeyLen;
        unsigned n = 0;
        while (v[n] && v[n] != ' ' && n + 1 < sizeof r.value) {
            r.value[n] = v[n];
            ++n;
        }
        r.value[n] = '\0';
        auto is = [&](const char* want) { return __builtin_strcmp(r.value, want) == 0; };
        bool whole = v[n] == ' ' || v[n] == '\0';
        if (whole && (is("optee") || is("optee,smc"))) {
            r.kind = BootTeeRequest::Optee;
            r.dt_method = abi::kTeeDtSmc;
        } else if (whole && is("optee,hvc")) {
            r.kind = BootTeeRequest::Optee;
            r.dt_method = abi::kTeeDtHvc;
        } else {
            r.kind = BootTeeRequest::Malformed;
        }
        return r;
    }
    return r;
}

uint64_t bootargs_mem(const char* s) {
    for (const char* p = s; *p; ++p) {
        if ((p == s || p[-1] == ' ') && p[0] == 'm' && p[1] == 'e' && p[2] == 'm' && p[3] == '=') {
            p += 4;
            uint64_t v = 0;
            bool any = false;
            while (*p >= '0' && *p <= '9') {
                if (v > (uint64_t{1} << 40)) return 0;
                v = v * 10 + static_cast<uint64_t>(*p++ - '0');
                any = true;
            }
            if (!any) return 0;
            switch (*p) {
            case 'K':
            case 'k':
                v <<= 10;
                ++p;
                break;
            case 'M':
            case 'm':
                v <<= 20;
                ++p;
                break;
            case 'G':
            case 'g':
                v <<= 30;
                ++p;
                break;
            default:
                break;
            }
            if (*p != ' ' && *p != '\0') return 0;
            return v;
        }
    }
    return 0;
}

}  // namespace warden
