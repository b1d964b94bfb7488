#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the guest-visible cost of hypervisor paths in instructions. QEMU runs
# with -icount shift=4,sleep=off: the 62.5 MHz generic counter then advances one
# tick per instruction, so the tick counts the benchmark guest reads are
# instruction counts, identical run after run.
#
# Two boots: in each, a test control domain enables OP-TEE for the benchmark guest
# (told to use SMC in one, HVC in the other), unpauses it and powers off, so the
# guest runs alone while it measures 1000 calls of each kind.
set -euo pipefail
images=${1:?usage: hypervisor-paths.sh IMAGE_DIR}

# One boot of the platform with the given extra QEMU arguments (the guests);
# its console on stdout.
platform() {
  local limit=$1 bench=$2
  shift 2
  timeout "$limit" qemu-system-aarch64 \
    -M virt,virtualization=on,secure=on,gic-version=2,dtb-randomness=off \
    -cpu cortex-a57 -m 1G -net none -display none -monitor none \
    -serial stdio -serial "file:$secure_log" -icount shift=4,sleep=off \
    -fw_cfg "name=opt/warden/tee-bench,string=$bench" \
    -bios "$images/firmware.bin" -kernel "$images/warden.bin" \
    -semihosting-config enable=on,target=native -fw_cfg name=opt/warden/test-mode,string=1 \
    "$@" < /dev/null 2>&1
}

secure_log=$(mktemp)
trap 'rm -f "$secure_log"' EXIT

# $1: the control domain's test (bench_smc / bench_hvc); $2: 1 to have the
# firmware time the OP-TEE model's own work on each call (which adds to every
# secure call, so the guest figures of that run are not used).
run() {
  platform 120 "$2" \
    -device "guest-loader,addr=0x48000000,kernel=$images/tg_tee_ctl.bin,bootargs=test=$1" \
    -device "guest-loader,addr=0x4a000000,kernel=$images/tg_bench.bin,bootargs=warden.paused mem=48M"
}

# Scrubbing: a 256 MiB guest fills its RAM and stops; the control domain
# destroys it (RAM scrubbed in 1 MiB steps) and creates one of the same size in
# the same pages (already clean: nothing to clear) -- then a checker runs there.
scrub_run() {
  platform 300 0 \
    -device "guest-loader,addr=0x48000000,kernel=$images/tg_isolation.bin,bootargs=test=scrub_ctl" \
    -device "guest-loader,addr=0x4a000000,kernel=$images/tg_isolation.bin,bootargs=test=scrub_fill mem=256M"
}

smc=$(run bench_smc 0) || { echo "$smc"; echo "bench: QEMU failed" >&2; exit 1; }
hvc=$(run bench_hvc 0) || { echo "$hvc"; echo "bench: QEMU failed" >&2; exit 1; }
timed=$(run bench_hvc 1) || { echo "$timed"; echo "bench: QEMU failed" >&2; exit 1; }
model=$(cat "$secure_log")
figure() { echo "$1" | sed -n "s/^\[d1\] bench: $2=\([0-9]*\) ticks\/call, min \([0-9]*\).*/\1 \2/p"; }
row() { printf '  %-56s %7s %7s\n' "$1" $2; }

echo "Warden hypervisor paths: QEMU 7.2 'virt', cortex-a57, -icount shift=4 (1 tick = 1 instruction)"
echo "Mean over 1000 calls, and the cheapest single call."
row "path" "mean min"
row "bare trap round trip (MRS MDSCR_EL1, emulated RAZ)" "$(figure "$smc" bare_trap_roundtrip)"
row "null hypercall over HVC (Warden VERSION)" "$(figure "$smc" null_hypercall_hvc)"
row "null hypercall over trapped SMC" "$(figure "$smc" null_hypercall_smc)"
row "PSCI_VERSION over HVC (virtual PSCI)" "$(figure "$smc" psci_version_hvc)"
row "OP-TEE GET_OS_REVISION from a guest over SMC" "$(figure "$smc" optee_get_os_revision_smc)"
row "OP-TEE GET_OS_REVISION from a guest over HVC" "$(figure "$hvc" optee_get_os_revision_hvc)"
row "  the same from EL2 with the guest's client ID" \
  "$(echo "$smc" | sed -n 's/.*(client ID [0-9]*): fast call from EL2 as the guest: \([0-9]*\) ticks, min \([0-9]*\).*/\1 \2/p' | head -1)"
row "  the same from EL2 with client ID 0 (no partition switch)" \
  "$(echo "$smc" | sed -n 's/.*fast call from EL2: \([0-9]*\) ticks.*/\1 -/p')"
row "OP-TEE INVOKE_COMMAND, one value param, over SMC" "$(figure "$smc" optee_invoke_value_smc)"
row "OP-TEE INVOKE_COMMAND, one value param, over HVC" "$(figure "$hvc" optee_invoke_value_hvc)"
secure() { echo "$model" | sed -n "s/.*optee: bench: fn=$1 cmd=$2 pages=$3 calls=[0-9]* min=\([0-9]*\).*/\1/p"; }
el2=$(echo "$smc" | sed -n 's/.*(client ID [0-9]*): fast call from EL2 as the guest: [0-9]* ticks, min \([0-9]*\).*/\1/p' | head -1)
model_fast=$(secure 0xb2000001 0 0)
switch=$((el2 - model_fast))
model_invoke=$(secure 0x32000004 1 0)
row "  the OP-TEE model's own work on GET_OS_REVISION, at EL3" "- $model_fast"
row "  so the EL2<->EL3 round trip and firmware dispatch cost" "- $switch"
row "  the OP-TEE model's own work on INVOKE_COMMAND, at EL3" "- $model_invoke"
row "  INVOKE from EL2 with the guest's client ID (estimated: model + round trip)" "- $((model_invoke + switch))"
row "  INVOKE from EL2 with the guest's client ID (measured by the mediator)" \
  "- $(echo "$smc" | sed -n 's/.*d1: TEE: cheapest INVOKE_COMMAND from EL2 as the guest: \([0-9]*\) ticks.*/\1/p')"
echo
echo "Shared memory: REGISTER_SHM of a non-contiguous buffer over SMC (then UNREGISTER_SHM,"
echo "not counted). Guest: mean, min of 20/20/10/5 calls. Secure world: the OP-TEE model's"
echo "own work on the call, timed at EL3 in a third run (cheapest). The rest: trap, mediator"
echo "(copy, checks, translation, pins) and the world switch."
printf '  %-24s %9s %9s %13s %9s\n' "pages" "guest" "min" "secure world" "rest"
prev_rest="" prev_n=""
for n in 1 16 256 4096; do
  read -r mean min <<<"$(figure "$smc" "optee_register_shm_${n}_smc")"
  sw=$(secure 0x32000004 4 "$n")
  rest=$((min - sw))
  printf '  %-24s %9s %9s %13s %9s\n' "$n" "$mean" "$min" "$sw" "$rest"
  if [ -n "$prev_rest" ]; then
    printf '  %-24s %9s\n' "  rest per page, $prev_n->$n" "$(((rest - prev_rest) / (n - prev_n)))"
  fi
  prev_rest=$rest prev_n=$n
done
t0=$(date +%s.%N)
scrub=$(scrub_run) || { echo "$scrub"; echo "bench: QEMU failed" >&2; exit 1; }
t1=$(date +%s.%N)
echo "$scrub" | grep -q "scrub_check: 256 MiB checked: 0 non-zero" ||
  { echo "$scrub"; echo "bench: the scrub run did not check out" >&2; exit 1; }
destroy=$(echo "$scrub" | sed -n 's/^\[d0\] ctl: destroy took \([0-9]*\) ticks.*/\1/p')
create=$(echo "$scrub" | sed -n 's/^\[d0\] ctl: create took \([0-9]*\) ticks.*/\1/p')
pages=$((256 * 1024 * 1024 / 4096))
row "boot to the first guest instruction (dom0)" \
  "$(echo "$smc" | sed -n 's/^\[d0\] bench: boot_to_first_guest_instruction=\([0-9]*\).*/\1 -/p')"
echo
echo "Scrubbing a 256 MiB domain ($pages pages), same QEMU settings:"
printf '  %-52s %9s\n' "destroy (scrub + free), instructions" "$destroy"
printf '  %-52s %9s\n' "  per 4 KiB page" "$((destroy / pages))"
printf '  %-52s %9s\n' "  MiB/s at 1 instruction per 16 ns (icount time)" \
  "$(awk -v d="$destroy" 'BEGIN { printf "%.0f", 256 / (d * 16e-9) }')"
printf '  %-52s %9s\n' "create of the same size in the clean pages" "$create"
printf '  %-52s %9s\n' "destroy-to-reuse (destroy + create), instructions" "$((destroy + create))"
printf '  %-52s %9s\n' "whole scrub run under QEMU TCG, wall seconds" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
