#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Figures for guests that run real kernels, under QEMU -icount shift=4,sleep=off
# (the counter advances one tick per instruction, so every figure is
# deterministic):
#   - Debian's kernel and the test initramfs booted to init twice in one run:
#     by QEMU's own loader at EL1 (no hypervisor) and as a Warden guest; the
#     kernel's timestamp on "Run /init" in each, and their ratio;
#   - virtual timer delivery: from the timer's deadline to the guest's handler
#     (tests/guests/tg_vtimer.cc), in instructions;
#   - the emulated PL011's throughput: instructions per byte sent by a polling
#     driver (tests/guests/tg_uart.cc);
#   - OP-TEE from Linux userspace: warden-tee-client's TEEC_InvokeCommand round
#     trips (one value param; a 1 MiB registered buffer the TA checksums) and
#     1 MiB registrations, TEE_CALLS each (default 1000): min, median, p99 and
#     mean from the guest's clock, and what of it the mediator and the secure
#     world took, as the hypervisor measured them.
# Usage: bench/linux-guests.sh IMAGE_DIR LINUX_ASSETS_DIR
set -euo pipefail
images=${1:?usage: linux-guests.sh IMAGE_DIR LINUX_ASSETS_DIR}
assets=${2:?usage: linux-guests.sh IMAGE_DIR LINUX_ASSETS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmdline="console=ttyAMA0 earlycon warden.test=boot mem=256M"

# The kernel's own clock at "Run /init as init process", in seconds.
run_init() { sed -n 's/.*\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' "$1" | head -n 1; }

timeout 600 qemu-system-aarch64 -M virt,gic-version=2 -cpu cortex-a57 -smp 1 -m 512M \
  -icount shift=4,sleep=off -kernel "$assets/Image" -initrd "$assets/initramfs.cpio.gz" \
  -append "$cmdline" -display none -monitor none -serial "file:$work/direct.log" -net none \
  -no-reboot </dev/null
"$here/../tests/qemu/run-scenario.sh" --name linux_bench --images "$images" --log-dir "$work" \
  --linux-assets "$assets" --timeout 600 --module "tg_hello.bin:name=A" \
  --module "linux:$cmdline" --expect "reboot: Power down" >/dev/null
tee_calls=${TEE_CALLS:-1000}
"$here/../tests/qemu/run-scenario.sh" --name linux_tee_bench --images "$images" --log-dir "$work" \
  --linux-assets "$assets" --timeout 1800 --module "tg_hello.bin:name=A" \
  --module "linux:mem=192M console=ttyAMA0 warden.tee=optee warden.tee_shm_pages=1024 warden.modules=tee,optee warden.tee-client=bench,$tee_calls warden.test=boot" \
  --expect "warden-tee-client bench $tee_calls exited 0" --expect "reboot: Power down" >/dev/null
"$here/../tests/qemu/run-scenario.sh" --name vtimer_bench --images "$images" --log-dir "$work" \
  --timeout 120 --module "tg_vtimer.bin" --expect "vtimer: delivery" >/dev/null
"$here/../tests/qemu/run-scenario.sh" --name uart_bench --images "$images" --log-dir "$work" \
  --timeout 120 --module "tg_tee_ctl.bin:test=console_input" --module "tg_uart.bin:bench=1" \
  --expect "uart: 4096 bytes sent" >/dev/null

direct=$(run_init "$work/direct.log")
warden=$(run_init "$work/linux_bench.log")
echo "Linux guests: QEMU 7.2 'virt', cortex-a57, -icount shift=4 (1 tick = 1 instruction)"
echo "$(cut -d' ' -f1-2 "$assets/VERSION" | head -n 1), 256 MiB, 1 vCPU: kernel clock at \"Run /init\""
printf '  %-52s %8s s\n' "booted by QEMU at EL1, no hypervisor" "$direct"
printf '  %-52s %8s s\n' "a Warden guest" "$warden"
awk -v w="$warden" -v d="$direct" 'BEGIN { printf "  %-52s %8.3f   (goal <= 1.3)\n", "ratio", w / d }'
sed -n 's/.*vtimer: delivery from the deadline to the handler: \(.*\)/  virtual timer, deadline to guest handler: \1/p' "$work/vtimer_bench.log"
sed -n 's/.*uart: \(4096 bytes sent.*\)/  PL011, polling driver: \1/p' "$work/uart_bench.log"

# OP-TEE from the guest's userspace. The guest's clock counts 16 ns per
# instruction (-icount shift=4), so ns / 16 = instructions.
tee=$work/linux_tee_bench.log
echo
echo "OP-TEE from Linux userspace (libteec -> /dev/tee0 -> optee.ko -> SMC -> Warden -> OP-TEE model),"
echo "$tee_calls calls each, in instructions (the guest's clock / 16):"
printf '  %-52s %9s %9s %9s %9s\n' "" "min" "median" "p99" "mean"
tee_row() {  # tee_row LABEL CLIENT-NAME
  local line mn md p99 mean
  line=$(grep -F "tee-client: bench $2:" "$tee" | head -n 1)
  [ -n "$line" ] || { echo "bench: no '$2' figures in $tee" >&2; exit 1; }
  read -r mn md p99 mean <<<"$(sed -n 's/.* min=\([0-9]*\) median=\([0-9]*\) p99=\([0-9]*\) mean=\([0-9]*\) ns.*/\1 \2 \3 \4/p' <<< "$line")"
  [ -n "$mean" ] || { echo "bench: cannot read '$line'" >&2; exit 1; }
  printf '  %-52s %9d %9d %9d %9d\n' "$1" $((mn / 16)) $((md / 16)) $((p99 / 16)) $((mean / 16))
}
tee_row "TEEC_InvokeCommand, one value param" "value"
tee_row "TEEC_InvokeCommand, 1 MiB registered buffer (checksum)" "checksum-1MiB"
tee_row "TEEC_RegisterSharedMemory + Release, 1 MiB" "register-1MiB"
echo "  Of each INVOKE_COMMAND SMC, as the hypervisor measured it (ticks = instructions):"
for kind in "value parameters" "memory references"; do
  sed -n "s/.*d1: TEE: INVOKE_COMMAND with $kind, the mediator's own ticks: min \([0-9]*\), mean \([0-9]*\); in the secure world: mean \([0-9]*\) (\([0-9]*\) calls).*/    $kind: the mediator min \1, mean \2; the secure world (world switch + OP-TEE model) mean \3; \4 calls/p" "$tee"
done
echo "  (the trap's own entry and exit, about 80 instructions, are not in the mediator's figure;"
echo "   the rest of a round trip is Linux's driver, the ioctl and libteec)"
