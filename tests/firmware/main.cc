// SPDX-License-Identifier: Apache-2.0
// Cold boot: every CPU arrives from entry.S. The primary (CPU 0) configures the
// platform for the normal world, loads the hypervisor and enters it at EL2 with
// x0 = device tree; the others wait to be started with PSCI CPU_ON.
#include "arch.h"
#include "board.h"
#include "console.h"
#include "cpu.h"
#include "dt_edit.h"
#include "fdt_scan.h"
#include "fwcfg.h"
#include "loader.h"
#include "optee.h"
#include "options.h"
#include "platform.h"
#include "psci.h"
#include "warden/platform.h"

namespace warden::fw {
namespace {

[[noreturn]] void boot_failed() {
    if (platform::test_mode()) platform::exit(abi::platform::kExitBootFailed);
    console::log("cannot boot: powering off");
    platform::power_off();
    platform::halt(abi::platform::kExitBootFailed);
}

unsigned cpu_count() {
    unsigned n = fwcfg::read_le16(fwcfg::kNbCpus);
    if (n == 0) n = 1;
    if (n > board::kMaxCpus) {
        console::log("warning: %u CPUs, only the first %u are used", n, board::kMaxCpus);
        n = board::kMaxCpus;
    }
    return n;
}

bool find_memory(MemoryLayout* mem) {
    const uint32_t dtb_size = fdt::total_size(board::kDtbBase);
    fdt::Range ram;
    if (dtb_size == 0) {
        console::log("error: no device tree at 0x%lx", board::kDtbBase);
        return false;
    }
    if (!fdt::find_memory(board::kDtbBase, board::kRamBase, &ram)) {
        console::log("error: the device tree has no /memory node for 0x%lx", board::kRamBase);
        return false;
    }
    mem->ram_base = ram.base;
    mem->ram_end = ram.base + ram.size;
    const uint64_t dtb_span = dtb_size > board::kDtbReserved ? dtb_size : board::kDtbReserved;
    mem->dtb_end = board::kDtbBase + dtb_span;
    return true;
}

}  // namespace

extern "C" [[noreturn]] void fw_primary_main() {
    const unsigned self = cpu::index();
    cpu::init_el3();
    console::init();
    console::log("Warden EL3 firmware");

    if (!fwcfg::present()) {
        console::log("error: QEMU fw_cfg not found at 0x%lx", board::kFwCfgBase);
        boot_failed();
    }
    Options options;
    const bool options_ok = read_options(&options);
    platform::set_test_mode(options.test_mode);
    optee::configure(options.tee, options.tee_guests, options.tee_trace, options.tee_bench);
    const unsigned cpus = cpu_count();

    MemoryLayout mem;
    const bool memory_ok = find_memory(&mem);
    if (!options_ok || !memory_ok) boot_failed();
    optee::set_normal_ram(mem.ram_base, mem.ram_end);
    console::log("%u CPU%s, RAM 0x%lx-0x%lx%s", cpus, cpus == 1 ? "" : "s", mem.ram_base,
                 mem.ram_end - 1, options.test_mode ? ", test mode" : "");
    if (!platform::gic_is_v2()) {
        console::log("error: no GICv2 distributor at 0x%lx (run QEMU with gic-version=2)",
                     board::kGicdBase);
        boot_failed();
    }

    const uint64_t entry = load_hypervisor(options.load_addr, mem);
    if (entry == 0) boot_failed();
    if (options.reserve_optee &&
        !dt_edit::add_optee_reservations(board::kDtbBase, mem.dtb_end - board::kDtbBase)) {
        boot_failed();
    }

    psci::init({cpus, self, mem.ram_base, mem.ram_end});
    platform::gic_init_cpu();
    platform::gic_init_distributor();  // also releases the secondaries
    // TF-A's QEMU port (default build) passes BL33 its MPIDR, not the tree.
    const uint64_t x0 = options.handoff_tfa ? (read_mpidr_el1() & 0xffff) : board::kDtbBase;
    if (options.handoff_tfa) console::log("handoff as TF-A: x0 = 0x%lx", x0);
    cpu::enter_normal_world(self, entry, 2, x0);
}

extern "C" [[noreturn]] void fw_secondary_main() {
    const unsigned self = cpu::index();
    cpu::init_el3();
    platform::wait_until_released();
    // Only now: the primary has checked that the interrupt controller is a GICv2.
    platform::gic_init_cpu();
    psci::park(self);
}

}  // namespace warden::fw
