#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a Debian 12 machine for Warden (as root) and runs every test: host unit
# tests with ASan/UBSan, each QEMU scenario (Linux ones on Debian's arm64 kernel,
# fetched as a package), and a short libFuzzer run of each fuzz target. This is
# what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
step() { printf '\n==> %s (%ds)\n' "$*" $(($(date +%s) - start)); }

step "Installing dependencies (Debian packages)"
bash deploy/install-deps.sh

step "Fetching the Linux test assets (Debian's arm64 kernel and busybox)"
bash deploy/linux-assets.sh build/linux-assets

step "Configuring (preset asan: host code with ASan/UBSan, aarch64 images)"
cmake --preset asan >/dev/null

step "Building"
cmake --build --preset asan -j "$(nproc)"

step "Checking formatting"
bash deploy/check-format.sh

step "Testing (unit tests and QEMU scenarios)"
ctest --preset asan -j "$(nproc)" --timeout 300
tests=$(ctest --preset asan -N | sed -n 's/^Total Tests: //p')

step "Fuzzing: the OP-TEE mediator, the domctl handler, the relay framing (libFuzzer, clang, ASan/UBSan)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
ctest --preset fuzz --timeout 300
tests=$((tests + $(ctest --preset fuzz -N | sed -n 's/^Total Tests: //p')))
step "All tests passed"
echo "$tests passed, 0 failed"
