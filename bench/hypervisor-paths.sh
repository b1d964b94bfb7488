#!/usr/bin/env bash
# Prints the guest-visible cost of hypervisor paths in instructions. QEMU runs
# with -icount shift=4,sleep=off: the 62.5 MHz generic counter then advances one
# tick per instruction, so the tick counts the benchmark guest reads are
# instruction counts, identical run after run.
set -euo pipefail
images=${1:?usage: hypervisor-paths.sh IMAGE_DIR}
out=$(timeout 120 qemu-system-aarch64 \
  -M virt,virtualization=on,secure=on,gic-version=2,dtb-randomness=off \
  -cpu cortex-a57 -m 1G -net none -display none -monitor none \
  -serial stdio -serial null -icount shift=4,sleep=off \
  -bios "$images/firmware.bin" -kernel "$images/warden.bin" \
  -semihosting-config enable=on,target=native -fw_cfg name=opt/warden/test-mode,string=1 \
  -device "guest-loader,addr=0x48000000,kernel=$images/tg_bench.bin,bootargs=bench" \
  < /dev/null 2>&1) || { echo "$out"; echo "bench: QEMU failed" >&2; exit 1; }
echo "Warden hypervisor paths (QEMU 'virt', cortex-a57, -icount shift=4; 1 tick = 1 instruction)"
echo "$out" | sed -n 's/^\[d0\] bench: //p' | sed 's/=/: /'
