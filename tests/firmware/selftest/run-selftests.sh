#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the firmware with the self-test payload in the ways that matter and checks
# QEMU's exit status and the firmware's console for each. Every QEMU run is bounded.
#
# Usage: run-selftests.sh IMAGE_DIR
#   IMAGE_DIR holds firmware.bin, selftest.bin, selftest-off.bin (built with
#   -DSELFTEST_END=0x84000008) and selftest-reset.bin (-DSELFTEST_END=0x84000009).
set -uo pipefail

dir=${1:?usage: run-selftests.sh IMAGE_DIR}
for f in firmware.bin selftest.bin selftest-off.bin selftest-reset.bin; do
  [ -f "$dir/$f" ] || { echo "run-selftests: $dir/$f missing" >&2; exit 2; }
done
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
failures=0

# check NAME EXPECTED_STATUS SECURE_LOG_REGEX -- QEMU ARGS...
check() {
  local name=$1 want=$2 regex=$3
  shift 4
  local seclog="$logdir/$name.secure.log" log="$logdir/$name.log"
  timeout 60 qemu-system-aarch64 -M virt,virtualization=on,secure=on -cpu cortex-a57 -m 1G \
    -net none -display none -monitor none -bios "$dir/firmware.bin" \
    -serial "file:$log" -serial "file:$seclog" "$@" < /dev/null > /dev/null 2>&1
  local got=$?
  if [ "$got" -eq "$want" ] && grep -q -E -- "$regex" "$seclog"; then
    echo "firmware.$name: passed (exit status $got)"
  else
    echo "firmware.$name: FAILED (exit status $got, expected $want; /$regex/ in secure log)"
    sed 's/^/  console: /' "$log"
    sed 's/^/  secure:  /' "$seclog"
    failures=$((failures + 1))
  fi
}

test_mode=(-fw_cfg name=opt/warden/test-mode,string=1 -semihosting-config enable=on,target=native)
icount=(-icount shift=4,sleep=off)
st="$dir/selftest.bin"

check selftest 0 "image: .* at 0x40200000" -- -smp 2 -kernel "$st" "${test_mode[@]}" "${icount[@]}"
check selftest_mttcg 0 "image: .* at 0x40200000" -- -smp 2 -kernel "$st" "${test_mode[@]}"
check selftest_smp8 0 "8 CPUs" -- -smp 8 -kernel "$st" "${test_mode[@]}" "${icount[@]}"
check selftest_failure_reported 24 "1 CPU," -- -smp 1 -kernel "$st" "${test_mode[@]}"
check load_addr_high 0 "image: .* at 0x60000000, entry 0x60000000" -- -smp 2 -kernel "$st" \
  "${test_mode[@]}" -fw_cfg name=opt/warden/load-addr,string=0x60000000
check load_addr_unaligned 4 "0x60100000 is not 2 MiB aligned" -- -kernel "$st" \
  "${test_mode[@]}" -fw_cfg name=opt/warden/load-addr,string=0x60100000
check load_addr_on_dtb 4 "overlaps the device tree" -- -kernel "$st" \
  "${test_mode[@]}" -fw_cfg name=opt/warden/load-addr,string=0x40000000
check load_addr_outside_ram 4 "outside RAM" -- -kernel "$st" \
  "${test_mode[@]}" -fw_cfg name=opt/warden/load-addr,string=0x80000000
check load_addr_garbage 4 "expected a hexadecimal" -- -kernel "$st" \
  "${test_mode[@]}" -fw_cfg name=opt/warden/load-addr,string=forty
check no_image 4 "no hypervisor image" -- "${test_mode[@]}"
# Without test mode nothing may use semihosting (it is not even enabled here): the
# platform powers off through the secure GPIO, which ends QEMU with status 0.
check exit_without_test_mode 0 "platform exit status 0" -- -smp 2 -kernel "$st"
check system_off 0 "entry 0x40200000" -- -smp 2 -kernel "$dir/selftest-off.bin"
check system_off_test_mode 0 "test mode" -- -smp 2 -kernel "$dir/selftest-off.bin" \
  "${test_mode[@]}"
check system_reset 0 "entry 0x40200000" -- -smp 2 -kernel "$dir/selftest-reset.bin" -no-reboot

[ "$failures" -eq 0 ] || { echo "run-selftests: $failures failure(s)"; exit 1; }
echo "run-selftests: all passed"
