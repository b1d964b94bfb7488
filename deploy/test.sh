#!/usr/bin/env bash
# Sets up a Debian 12 machine for Warden (as root) and runs every test: host unit
# tests with ASan/UBSan, and each QEMU scenario. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
step() { printf '\n==> %s (%ds)\n' "$*" $(($(date +%s) - start)); }

step "Installing dependencies (Debian packages)"
bash deploy/install-deps.sh

step "Configuring (preset asan: host code with ASan/UBSan, aarch64 images)"
cmake --preset asan >/dev/null

step "Building"
cmake --build --preset asan -j "$(nproc)"

step "Checking formatting"
bash deploy/check-format.sh

step "Testing"
ctest --preset asan -j "$(nproc)" --timeout 300
step "All tests passed"
