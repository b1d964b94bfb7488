// SPDX-License-Identifier: Apache-2.0
#include "dt_edit.h"

#include "console.h"

extern "C" {
#include <libfdt.h>
// libfdt is built with stack protection; the firmware itself is not.
uintptr_t __stack_chk_guard = 0x3c1f5a0e9d2b4b77;
[[noreturn]] void __stack_chk_fail() {
    for (;;) asm volatile("wfi");
}
}

namespace warden::fw::dt_edit {
namespace {

constexpr uint64_t kOpteeCoreBase = 0x0e100000;
constexpr uint64_t kOpteeCoreSize = 0x00f00000;

int add_region(void* fdt, int parent, const char* name, uint64_t base, uint64_t size) {
    int node = fdt_add_subnode(fdt, parent, name);
    if (node < 0) return node;
    fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    int err = fdt_setprop(fdt, node, "reg", reg, sizeof reg);
    if (!err) err = fdt_setprop(fdt, node, "no-map", nullptr, 0);
    return err;
}

}  // namespace

bool add_optee_reservations(uint64_t dtb, uint32_t room) {
    void* fdt = reinterpret_cast<void*>(dtb);
    int err = fdt_open_into(fdt, fdt, static_cast<int>(room));
    if (!err) err = fdt_add_mem_rsv(fdt, kMemreserveBase, kMemreserveSize);
    int rm = err ? err : fdt_path_offset(fdt, "/reserved-memory");
    if (rm == -FDT_ERR_NOTFOUND) {
        rm = fdt_add_subnode(fdt, 0, "reserved-memory");
        fdt32_t two = cpu_to_fdt32(2);
        if (rm >= 0) err = fdt_setprop(fdt, rm, "#address-cells", &two, sizeof two);
        if (rm >= 0 && !err) err = fdt_setprop(fdt, rm, "#size-cells", &two, sizeof two);
        if (rm >= 0 && !err) err = fdt_setprop(fdt, rm, "ranges", nullptr, 0);
    }
    if (rm < 0) err = rm;
    if (!err) err = add_region(fdt, rm, "optee_core@e100000", kOpteeCoreBase, kOpteeCoreSize);
    if (!err) err = add_region(fdt, rm, "optee_shm@42000000", kOpteeShmBase, kOpteeShmSize);
    if (!err) err = fdt_pack(fdt);
    if (err) {
        console::log("error: cannot add OP-TEE's reserved memory to the device tree: %s",
                     fdt_strerror(err));
        return false;
    }
    console::log(
        "device tree: OP-TEE's memory reserved (optee_shm 0x%lx-0x%lx, /memreserve/ "
        "0x%lx-0x%lx)",
        kOpteeShmBase, kOpteeShmBase + kOpteeShmSize - 1, kMemreserveBase,
        kMemreserveBase + kMemreserveSize - 1);
    return true;
}

}  // namespace warden::fw::dt_edit
