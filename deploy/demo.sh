#!/usr/bin/env bash
# Sets up a Debian 12 machine for Warden (as root), builds it, and boots the
# platform in QEMU: the secure-world firmware at EL3, the Warden hypervisor at EL2
# and two guests at EL1 (the control domain d0 and a guest d1) that never yield,
# so their console lines interleave only because the hypervisor preempts them.
# This is the user platform: no semihosting, no host files reachable from guests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> Installing dependencies (Debian packages)"
bash deploy/install-deps.sh
echo "==> Building"
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
images=build/default/images

echo "==> Booting Warden with two guests (secure-world console: build/default/secure-console.log)"
status=0
timeout --foreground 120 qemu-system-aarch64 \
  -M virt,virtualization=on,secure=on,gic-version=2 -cpu cortex-a57 -m 1G \
  -net none -display none -monitor none -no-reboot \
  -serial stdio -serial file:build/default/secure-console.log \
  -bios "$images/firmware.bin" -kernel "$images/warden.bin" \
  -device "guest-loader,addr=0x48000000,kernel=$images/tg_spin.bin,bootargs=name=control-domain" \
  -device "guest-loader,addr=0x4a000000,kernel=$images/tg_spin.bin,bootargs=name=guest mem=32M" \
  < /dev/null || status=$?
echo "==> Platform powered off (QEMU exit status $status)"
cat build/default/secure-console.log
