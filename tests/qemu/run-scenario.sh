#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one QEMU scenario of Warden: the secure-world firmware, the hypervisor and
# the given boot modules on QEMU 'virt' (EL3 + EL2), deterministic (-icount,
# fixed device tree), bounded by a timeout. Checks QEMU's exit status (the
# platform's: 0 all domains powered off, 1 a domain crashed, 2 hypervisor panic)
# and that the console shows the expected lines in order. The full console log is
# kept in the log directory; on failure it is printed.
#
# Usage: run-scenario.sh --name NAME --images DIR --log-dir DIR [options]
#   --module FILE[:BOOTARGS]  boot module (repeatable; the first becomes dom0);
#                             FILE "linux" is the Linux test kernel with its
#                             initramfs as ramdisk (from --linux-assets DIR)
#   --expect REGEX            must appear, after the previous --expect (repeatable)
#   --expect-any REGEX        must appear anywhere (for lines of guests that run
#                             side by side, whose interleaving is the scheduler's)
#   --reject REGEX            must not appear (default: FAIL, PANIC)
#   --allow REGEX             lines matching it are exempt from the rejects
#                             (a failure the scenario provokes on purpose)
#   --expect-secure REGEX     must appear on the secure-world console (any order)
#   --reject-secure REGEX     must not appear on the secure-world console
#   --expect-exit N           platform exit status (default 0)
#   --load-addr ADDR          where the firmware loads the hypervisor
#   --fw-opt NAME=VALUE       extra firmware option (fw_cfg opt/warden/NAME)
#   --timeout SECONDS         wall-clock limit (default 60)
#   --smp N                   CPUs (default 1)
#   --no-firmware             boot the hypervisor with QEMU's own -kernel loader at
#                             EL2 (no EL3 firmware: QEMU's PSCI, no exit status)
set -uo pipefail

name="" images="" logdir="" expect_exit=0 timeout_s=60 load_addr="" smp=1 firmware=1
linux_assets="" modules=() expects=() any_expects=() rejects=("FAIL" "PANIC") allows=() fwopts=() sec_expects=() sec_rejects=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --log-dir) logdir=$2; shift 2 ;;
    --module) modules+=("$2"); shift 2 ;;
    --linux-assets) linux_assets=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --expect-any) any_expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --allow) allows+=("$2"); shift 2 ;;
    --expect-secure) sec_expects+=("$2"); shift 2 ;;
    --reject-secure) sec_rejects+=("$2"); shift 2 ;;
    --expect-exit) expect_exit=$2; shift 2 ;;
    --load-addr) load_addr=$2; shift 2 ;;
    --fw-opt) fwopts+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --no-firmware) firmware=0; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run-scenario: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$images" ] || [ -z "$logdir" ]; then
  echo "run-scenario: --name, --images and --log-dir are required" >&2
  exit 2
fi
for f in warden.bin; do
  [ -f "$images/$f" ] || { echo "run-scenario: $images/$f missing (build first)" >&2; exit 2; }
done

mkdir -p "$logdir"
log="$logdir/$name.log"
seclog="$logdir/$name.secure.log"
rm -f "$log" "$seclog"

if [ "$firmware" -eq 1 ]; then
  args=(-M virt,virtualization=on,secure=on,gic-version=2,dtb-randomness=off
        -bios "$images/firmware.bin" -semihosting-config enable=on,target=native
        -fw_cfg name=opt/warden/test-mode,string=1)
else
  args=(-M virt,virtualization=on,gic-version=2,dtb-randomness=off)
fi
args+=(-cpu cortex-a57 -smp "$smp" -m 1G -net none -display none -monitor none
       -serial stdio -serial "file:$seclog" -icount shift=4,sleep=off
       -kernel "$images/warden.bin")
[ -n "$load_addr" ] && args+=(-fw_cfg "name=opt/warden/load-addr,string=$load_addr")
for o in "${fwopts[@]}"; do
  args+=(-fw_cfg "name=opt/warden/${o%%=*},string=${o#*=}")
done
# Boot modules 32 MiB apart from 0x48000000, clear of the hypervisor at 0x40200000
# and of dom0's default 16 MiB of RAM.
addr=$((0x48000000))
for m in "${modules[@]}"; do
  file=${m%%:*}
  bootargs=""
  [[ "$m" == *:* ]] && bootargs=${m#*:}
  bootargs=${bootargs//,/,,}  # QEMU's option syntax: a literal comma is doubled
  if [ "$file" = linux ]; then
    # Debian's kernel and the test initramfs (deploy/linux-assets.sh), the
    # initrd as the module after the kernel; 64 MiB of room.
    for f in Image initramfs.cpio.gz; do
      [ -f "$linux_assets/$f" ] || { echo "run-scenario: $linux_assets/$f missing: run deploy/linux-assets.sh" >&2; exit 2; }
    done
    args+=(-device "guest-loader,addr=$(printf '0x%x' $addr),kernel=$linux_assets/Image,bootargs=$bootargs"
           -device "guest-loader,addr=$(printf '0x%x' $((addr + 0x3000000))),initrd=$linux_assets/initramfs.cpio.gz")
    addr=$((addr + 0x4000000))
    continue
  fi
  [ -f "$images/$file" ] || { echo "run-scenario: module $images/$file missing" >&2; exit 2; }
  args+=(-device "guest-loader,addr=$(printf '0x%x' $addr),kernel=$images/$file,bootargs=$bootargs")
  addr=$((addr + 0x2000000))
done

echo "# qemu-system-aarch64 ${args[*]}" > "$log"
timeout --kill-after=5 "$timeout_s" qemu-system-aarch64 "${args[@]}" < /dev/null >> "$log" 2>&1
status=$?
# The UARTs send CRLF; keep the logs plain text for the checks and for readers.
sed -i 's/\r$//' "$log"
[ -f "$seclog" ] && sed -i 's/\r$//' "$seclog"

fail() {
  echo "qemu.$name: FAILED: $*"
  echo "----- console ($log) -----"
  cat "$log"
  if [ -s "$seclog" ]; then
    echo "----- secure console ($seclog) -----"
    cat "$seclog"
  fi
  exit 1
}

[ "$status" -eq 124 ] || [ "$status" -eq 137 ] && fail "timed out after ${timeout_s}s"
[ "$status" -eq "$expect_exit" ] || fail "exit status $status, expected $expect_exit"

line=0
for re in "${expects[@]}"; do
  hit=$(tail -n "+$((line + 1))" "$log" | grep -n -E -m1 -- "$re" | cut -d: -f1)
  [ -n "$hit" ] || fail "expected /$re/ (after line $line) not found"
  line=$((line + hit))
done
for re in "${any_expects[@]}"; do
  grep -q -E -- "$re" "$log" || fail "expected /$re/ not found"
done
checked=$log
if [ ${#allows[@]} -gt 0 ]; then
  checked=$(mktemp)
  allow_args=()
  for re in "${allows[@]}"; do allow_args+=(-e "$re"); done
  grep -v -E "${allow_args[@]}" "$log" > "$checked" || true
fi
for re in "${rejects[@]}"; do
  if grep -q -E -- "$re" "$checked"; then
    fail "unexpected /$re/: $(grep -m1 -E -- "$re" "$checked")"
  fi
done
[ "$checked" = "$log" ] || rm -f "$checked"
for re in "${sec_expects[@]}"; do
  grep -q -E -- "$re" "$seclog" || fail "expected /$re/ on the secure console"
done
for re in "${sec_rejects[@]}"; do
  if grep -q -E -- "$re" "$seclog"; then
    fail "unexpected /$re/ on the secure console: $(grep -m1 -E -- "$re" "$seclog")"
  fi
done
echo "qemu.$name: passed (exit status $status, $((${#expects[@]} + ${#any_expects[@]})) expectation(s); log: $log)"
