#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where the hypervisor's instructions go on one mediated OP-TEE call: the
# benchmark guest (tg_bench, profile=fast|invoke) makes CALLS calls over SMC in
# one boot and none in another; QEMU logs every translation block the
# hypervisor executes (-d in_asm,exec,nochain, filtered to its image), each
# block's instructions are counted and attributed to its function
# (addr2line on the hypervisor's ELF), and the difference between the two
# boots, divided by CALLS, is what one call costs in each function.
# Inlined code counts for the function it was inlined into.
#
# Usage: bench/hypervisor-profile.sh IMAGE_DIR [fast|invoke] [CALLS]
# (defaults: invoke, 200). Needs qemu-system-aarch64 and
# aarch64-linux-gnu-addr2line (deploy/install-deps.sh).
set -euo pipefail
images=${1:?usage: hypervisor-profile.sh IMAGE_DIR [fast|invoke] [CALLS]}
what=${2:-invoke}
calls=${3:-200}
case "$what" in fast | invoke) ;; *) echo "hypervisor-profile: fast or invoke, not '$what'" >&2; exit 2 ;; esac
[[ "$calls" =~ ^[1-9][0-9]*$ ]] || { echo "hypervisor-profile: CALLS must be a positive number" >&2; exit 2; }
elf=$images/warden
load=$((0x40200000))  # where the firmware loads the image (opt/warden/load-addr's default)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One boot: N calls; the trace in $work/trace.N, the console in $work/console.N.
trace() {
  local n=$1
  timeout 300 qemu-system-aarch64 \
    -M virt,virtualization=on,secure=on,gic-version=2,dtb-randomness=off \
    -cpu cortex-a57 -m 1G -net none -display none -monitor none \
    -serial stdio -serial null -icount shift=4,sleep=off \
    -bios "$images/firmware.bin" -kernel "$images/warden.bin" \
    -semihosting-config enable=on,target=native -fw_cfg name=opt/warden/test-mode,string=1 \
    -d in_asm,exec,nochain -dfilter "$(printf '0x%x' $load)+0x200000" -D "$work/trace.$n" \
    -device "guest-loader,addr=0x48000000,kernel=$images/tg_tee_ctl.bin,bootargs=test=bench_smc" \
    -device "guest-loader,addr=0x4a000000,kernel=$images/tg_bench.bin,bootargs=warden.paused mem=48M profile=$what calls=$n" \
    < /dev/null > "$work/console.$n" 2>&1 || true
  grep -q "bench: profiled $n $what call(s)" "$work/console.$n" ||
    { cat "$work/console.$n"; echo "hypervisor-profile: the run with $n calls failed" >&2; exit 1; }
}

# Instructions executed per block start address: "pc instructions".
per_block() {
  awk '
    /^IN:/ { inblock = 1; start = ""; next }
    inblock && /^0x[0-9a-f]+:/ { pc = substr($1, 1, length($1) - 1); if (start == "") start = pc; size[start]++; next }
    inblock && !/^0x/ { inblock = 0 }
    /^Trace [0-9]+:/ {
      split($0, f, "/"); pc = "0x" f[2]; sub(/^0x0*/, "0x", pc); runs[pc]++
    }
    END { for (pc in runs) if (pc in size) print pc, runs[pc] * size[pc] }
  ' "$1"
}

trace 0
trace "$calls"
per_block "$work/trace.0" > "$work/blocks.0"
per_block "$work/trace.$calls" > "$work/blocks.$calls"
# Every block address, to its function.
cut -d' ' -f1 "$work/blocks.0" "$work/blocks.$calls" | sort -u > "$work/pcs"
while read -r pc; do printf '0x%x\n' $((pc - load)); done < "$work/pcs" > "$work/offsets"
aarch64-linux-gnu-addr2line -f -C -e "$elf" < "$work/offsets" | awk 'NR % 2 == 1' |
  sed 's/(anonymous namespace)::/~/g; s/(.*//' > "$work/functions"
paste -d' ' "$work/pcs" "$work/functions" > "$work/symbols"

awk -v calls="$calls" '
  FILENAME ~ /symbols$/ { pc = $1; $1 = ""; fn[pc] = substr($0, 2); next }
  FILENAME ~ /blocks\.0$/ { base[fn[$1]] += $2; next }
  { total[fn[$1]] += $2 }
  END {
    for (f in total) {
      d = (total[f] - base[f]) / calls
      if (d >= 0.5) printf "%8.1f  %s\n", d, f
      sum += d
    }
    printf "%8.1f  (all of the hypervisor, per call)\n", sum
  }
' "$work/symbols" "$work/blocks.0" "$work/blocks.$calls" | sort -rn
