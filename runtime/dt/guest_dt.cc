// SPDX-License-Identifier: Apache-2.0
#include "dt/guest_dt.h"

#include "lib/format.h"
#include "warden/domctl.h"
#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

// Stops at the first libfdt error; the caller checks `err` once at the end.
struct Writer {
    void* fdt;
    int err = 0;

    void begin(const char* name) {
        if (!err) err = fdt_begin_node(fdt, name);
    }
    void end() {
        if (!err) err = fdt_end_node(fdt);
    }
    void u32(const char* name, uint32_t v) {
        if (!err) err = fdt_property_u32(fdt, name, v);
    }
    void str(const char* name, const char* v) {
        if (!err) err = fdt_property_string(fdt, name, v);
    }
    void raw(const char* name, const void* v, int len) {
        if (!err) err = fdt_property(fdt, name, v, len);
    }
    void u64(const char* name, uint64_t v) {
        fdt64_t c = cpu_to_fdt64(v);
        raw(name, &c, sizeof c);
    }
    void reg64(const char* name, uint64_t a, uint64_t s) {
        fdt64_t cells[2] = {cpu_to_fdt64(a), cpu_to_fdt64(s)};
        raw(name, cells, sizeof cells);
    }
    void cells(const char* name, const uint32_t* v, unsigned n) {
        fdt32_t c[16];
        for (unsigned i = 0; i < n && i < 16; ++i) c[i] = cpu_to_fdt32(v[i]);
        raw(name, c, static_cast<int>(n * sizeof(fdt32_t)));
    }
};

bool valid_method(const char* m) {
    return (m[0] == 's' && m[1] == 'm' && m[2] == 'c' && !m[3]) ||
           (m[0] == 'h' && m[1] == 'v' && m[2] == 'c' && !m[3]);
}

}  // namespace

int build_guest_dt(void* buf, size_t size, const GuestDtConfig& cfg) {
    if (!buf || cfg.vcpus == 0 || cfg.vcpus > 8 || cfg.ram_size == 0 || !cfg.bootargs ||
        (cfg.optee_method && !valid_method(cfg.optee_method)) ||
        cfg.initrd_end < cfg.initrd_start ||
        (cfg.initrd_end &&
         (cfg.initrd_start < cfg.ram_base || cfg.initrd_end > cfg.ram_base + cfg.ram_size))) {
        return -abi::err::kInval;
    }
    if (size > 0x7fffffff) size = 0x7fffffff;
    Writer w{buf};
    w.err = fdt_create(buf, static_cast<int>(size));
    if (!w.err) w.err = fdt_finish_reservemap(buf);
    w.begin("");
    w.u32("#address-cells", 2);
    w.u32("#size-cells", 2);
    w.str("compatible", "warden,guest");
    w.str("model", "Warden guest");
    constexpr uint32_t kGicPhandle = 2;
    w.u32("interrupt-parent", kGicPhandle);

    char name[40];
    format(name, sizeof name, "memory@%lx", cfg.ram_base);
    w.begin(name);
    w.str("device_type", "memory");
    w.reg64("reg", cfg.ram_base, cfg.ram_size);
    w.end();

    w.begin("cpus");
    w.u32("#address-cells", 1);
    w.u32("#size-cells", 0);
    for (unsigned i = 0; i < cfg.vcpus; ++i) {
        format(name, sizeof name, "cpu@%u", i);
        w.begin(name);
        w.str("device_type", "cpu");
        w.str("compatible", "arm,armv8");
        w.u32("reg", i);
        w.str("enable-method", "psci");
        w.end();
    }
    w.end();

    static const char kPsciCompat[] = "arm,psci-1.0\0arm,psci-0.2";
    w.begin("psci");
    w.raw("compatible", kPsciCompat, sizeof kPsciCompat);
    w.str("method", "hvc");
    w.end();

    // The virtual GICv2: the emulated distributor and the hardware's virtual
    // CPU interface at the GICC address (core/vgic.h).
    char gic[40];
    format(gic, sizeof gic, "intc@%lx", abi::kGuestGicdBase);
    w.begin(gic);
    w.str("compatible", "arm,cortex-a15-gic");
    w.u32("#interrupt-cells", 3);
    w.raw("interrupt-controller", nullptr, 0);
    {
        fdt64_t regs[4] = {cpu_to_fdt64(abi::kGuestGicdBase), cpu_to_fdt64(abi::kGuestGicdSize),
                           cpu_to_fdt64(abi::kGuestGiccBase), cpu_to_fdt64(abi::kGuestGiccSize)};
        w.raw("reg", regs, sizeof regs);
    }
    w.u32("phandle", kGicPhandle);
    w.end();

    // The generic timer's PPIs (secure, non-secure, virtual, hypervisor), level.
    static const uint32_t kTimerIrqs[] = {1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08, 1, 10, 0xf08};
    w.begin("timer");
    w.str("compatible", "arm,armv8-timer");
    w.cells("interrupts", kTimerIrqs, sizeof kTimerIrqs / sizeof kTimerIrqs[0]);
    w.end();

    // The guest's console is the hypervisor's console hypercall.
    w.begin("hypervisor");
    w.str("compatible", "warden,hypervisor");
    w.str("console", "hypercall");
    w.end();

    // The emulated PL011 (core/vpl011.h), with the fixed clock a PrimeCell
    // driver asks for (Linux's AMBA bus wants "apb_pclk").
    constexpr uint32_t kClockPhandle = 1;
    w.begin("apb-pclk");
    w.str("compatible", "fixed-clock");
    w.u32("#clock-cells", 0);
    w.u32("clock-frequency", 24000000);
    w.str("clock-output-names", "clk24mhz");
    w.u32("phandle", kClockPhandle);
    w.end();
    static const char kUartCompat[] = "arm,pl011\0arm,primecell";
    static const char kUartClocks[] = "uartclk\0apb_pclk";
    static const uint32_t kUartClockRefs[] = {kClockPhandle, kClockPhandle};
    char uart[40];
    format(uart, sizeof uart, "/pl011@%lx", abi::kGuestUartBase);
    w.begin(uart + 1);
    w.raw("compatible", kUartCompat, sizeof kUartCompat);
    w.reg64("reg", abi::kGuestUartBase, abi::kGuestUartSize);
    w.cells("clocks", kUartClockRefs, 2);
    w.raw("clock-names", kUartClocks, sizeof kUartClocks);
    static const uint32_t kUartIrq[] = {0, abi::kGuestUartSpi, 4};  // SPI, level high
    w.cells("interrupts", kUartIrq, 3);
    w.end();

    for (unsigned i = 0; i < cfg.virtio_count; ++i) {
        format(name, sizeof name, "virtio_mmio@%lx", cfg.virtio[i].base);
        w.begin(name);
        w.str("compatible", "virtio,mmio");
        w.reg64("reg", cfg.virtio[i].base, cfg.virtio[i].size);
        w.end();
    }

    if (cfg.optee_method) {
        w.begin("firmware");
        w.begin("optee");
        w.str("compatible", "linaro,optee-tz");
        w.str("method", cfg.optee_method);
        w.end();
        w.end();
    }

    w.begin("chosen");
    w.str("bootargs", cfg.bootargs);
    w.str("stdout-path", uart);
    if (cfg.initrd_end) {
        w.u64("linux,initrd-start", cfg.initrd_start);
        w.u64("linux,initrd-end", cfg.initrd_end);
    }
    w.end();

    w.end();  // root
    if (!w.err) w.err = fdt_finish(buf);
    if (w.err == -FDT_ERR_NOSPACE) return -abi::err::kTooBig;
    if (w.err) return -abi::err::kInval;
    return static_cast<int>(fdt_totalsize(buf));
}

}  // namespace warden

namespace warden {

int add_optee_node(void* buf, size_t size, const char* method) {
    if (!buf || !method || size > 0x7fffffff) return -abi::err::kInval;
    if (fdt_check_header(buf) != 0) return -abi::err::kInval;
    auto to_errno = [](int fdt_err) {
        return fdt_err == -FDT_ERR_NOSPACE ? -abi::err::kTooBig : -abi::err::kInval;
    };
    int err = fdt_open_into(buf, buf, static_cast<int>(size));
    if (err) return to_errno(err);
    int fw = fdt_path_offset(buf, "/firmware");
    if (fw < 0) fw = fdt_add_subnode(buf, 0, "firmware");
    if (fw < 0) return to_errno(fw);
    if (fdt_subnode_offset(buf, fw, "optee") >= 0) return -abi::err::kExist;
    int node = fdt_add_subnode(buf, fw, "optee");
    if (node < 0) return to_errno(node);
    err = fdt_setprop_string(buf, node, "compatible", "linaro,optee-tz");
    if (!err)
        err = fdt_setprop_string(buf, fdt_path_offset(buf, "/firmware/optee"), "method", method);
    if (err) return to_errno(err);
    fdt_pack(buf);
    return static_cast<int>(fdt_totalsize(buf));
}

int remove_optee_node(void* buf, size_t size) {
    if (!buf || size > 0x7fffffff) return -abi::err::kInval;
    if (fdt_check_header(buf) != 0 || fdt_totalsize(buf) > size) return -abi::err::kInval;
    int fw = fdt_path_offset(buf, "/firmware");
    int node = fw < 0 ? fw : fdt_subnode_offset(buf, fw, "optee");
    if (node < 0) return -abi::err::kNoEnt;
    if (fdt_del_node(buf, node) != 0) return -abi::err::kInval;
    // add_optee_node() made /firmware if the tree had none: leave no empty one.
    fw = fdt_path_offset(buf, "/firmware");
    if (fw >= 0 && fdt_first_subnode(buf, fw) < 0 && fdt_first_property_offset(buf, fw) < 0) {
        if (fdt_del_node(buf, fw) != 0) return -abi::err::kInval;
    }
    fdt_pack(buf);
    return static_cast<int>(fdt_totalsize(buf));
}

}  // namespace warden
