#!/usr/bin/env bash
# Sets up a Debian 12 machine for Warden (as root), builds it, and boots the
# platform in QEMU: the secure-world firmware (with its OP-TEE model holding two
# guests) at EL3, the Warden hypervisor at EL2, a control domain and three paused
# guests at EL1. The control domain enables OP-TEE for each guest through the
# domctl hypercall: two succeed, the third gets -ENOSPC (no client ID left); it
# then destroys a guest, which frees a client ID, and the retry succeeds. Each
# enabled guest finds OP-TEE through its device tree and calls it.
#
# This is the user platform: no semihosting, no host files reachable from guests.
# (Until wardend exists, the control domain is the bare-metal test control domain
# tests/guests/tg_tee_ctl.cc.)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> Installing dependencies (Debian packages)"
bash deploy/install-deps.sh
echo "==> Building"
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target images
images=build/default/images

echo "==> Booting Warden: control domain d0, guests d1-d3, OP-TEE room for 2 guests"
status=0
timeout --foreground 120 qemu-system-aarch64 \
  -M virt,virtualization=on,secure=on,gic-version=2 -cpu cortex-a57 -m 1G \
  -net none -display none -monitor none -no-reboot \
  -serial stdio -serial file:build/default/secure-console.log \
  -bios "$images/firmware.bin" -kernel "$images/warden.bin" \
  -fw_cfg name=opt/warden/tee-guests,string=2 \
  -device "guest-loader,addr=0x48000000,kernel=$images/tg_tee_ctl.bin,bootargs=test=exhaustion" \
  -device "guest-loader,addr=0x4a000000,kernel=$images/tg_optee_client.bin,bootargs=expect=optee warden.paused" \
  -device "guest-loader,addr=0x4c000000,kernel=$images/tg_optee_client.bin,bootargs=expect=optee warden.paused" \
  -device "guest-loader,addr=0x4e000000,kernel=$images/tg_optee_client.bin,bootargs=expect=optee warden.paused" \
  < /dev/null || status=$?
echo "==> Platform powered off (QEMU exit status $status); secure-world console:"
cat build/default/secure-console.log
