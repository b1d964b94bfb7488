#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything Warden needs to build and test, from Debian packages only.
# Idempotent: when every package is present it prints nothing and exits 0.
# Usage: deploy/install-deps.sh [--quiet]
set -euo pipefail

host_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang clang-format libclang-rt-14-dev
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
  qemu-system-arm
  device-tree-compiler libfdt-dev cpio
  libgtest-dev libgmock-dev libbenchmark-dev
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev
  libsystemd-dev
)
# libfdt-dev and libfdt-dev:arm64 are not co-installable (they conflict on the
# shared headers), so the aarch64 static library is unpacked from Debian's arm64
# package next to the host one instead of being installed through dpkg.
arm64_libfdt=/usr/local/lib/aarch64-linux-gnu/libfdt.a
arm64_libfdt_inc=/usr/local/include/aarch64-linux-gnu/libfdt

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${host_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && [ -f "$arm64_libfdt" ] && [ -f "$arm64_libfdt_inc/libfdt.h" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || apt-get install -y --no-install-recommends "${missing[@]}"
fi
if [ ! -f "$arm64_libfdt" ] || [ ! -f "$arm64_libfdt_inc/libfdt.h" ]; then
  echo "install-deps: unpacking libfdt-dev:arm64 into ${arm64_libfdt%/*}"
  tmp=$(mktemp -d); chmod 0755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root libfdt-dev:arm64 >/dev/null)
  dpkg-deb -x "$tmp"/libfdt-dev_*_arm64.deb "$tmp/root"
  install -D -m 0644 "$tmp/root/usr/lib/aarch64-linux-gnu/libfdt.a" "$arm64_libfdt"
  install -d "$arm64_libfdt_inc"
  install -m 0644 "$tmp"/root/usr/include/*.h "$arm64_libfdt_inc/"
fi
echo "install-deps: done"
