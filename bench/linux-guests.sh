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
#     driver (tests/guests/tg_uart.cc).
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
