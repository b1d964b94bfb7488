#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the Linux test assets (deploy/linux-assets.sh) with QEMU's own loader at
# EL1, no hypervisor: the reference a Linux guest under Warden is compared with,
# and a check that the assets work. Passes when every expected line appears, in
# order, before the timeout; prints how long the boot took (wall clock).
#
# Usage: run-linux-direct.sh --assets DIR --log FILE --timeout S [--append ARGS]
#                            --expect REGEX...
set -euo pipefail

assets="" log="" timeout=60 append="console=ttyAMA0 panic=-1"
expects=()
while [ $# -gt 0 ]; do
  case "$1" in
    --assets) assets=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --append) append="$append $2"; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    *) echo "run-linux-direct: unknown argument $1" >&2; exit 2 ;;
  esac
done
for f in Image initramfs.cpio.gz; do
  if [ ! -f "$assets/$f" ]; then
    echo "run-linux-direct: $assets/$f missing: run 'bash deploy/linux-assets.sh $assets'" >&2
    exit 1
  fi
done
mkdir -p "$(dirname "$log")"
: > "$log"
start=$(date +%s%N)
qemu-system-aarch64 -M virt,gic-version=2 -cpu cortex-a57 -smp 1 -m 512M \
  -kernel "$assets/Image" -initrd "$assets/initramfs.cpio.gz" -append "$append" \
  -display none -monitor none -serial "file:$log" -net none -no-reboot </dev/null &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT

next=0
deadline=$(($(date +%s) + timeout))
while [ "$next" -lt "${#expects[@]}" ]; do
  if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 $qemu 2>/dev/null; then
    echo "run-linux-direct: FAILED: expected /${expects[$next]}/ not found" >&2
    echo "----- console ($log) -----" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  # Expectations in order: each one after the line the previous one matched.
  line=$(grep -n -E -- "${expects[$next]}" "$log" | head -n 1 | cut -d: -f1 || true)
  if [ -n "$line" ] && [ "$line" -gt "${last:-0}" ]; then
    last=$line
    next=$((next + 1))
    continue
  fi
  sleep 0.2
done
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "run-linux-direct: all ${#expects[@]} expectations met; boot took ${elapsed} ms (wall clock)"
