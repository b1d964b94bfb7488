#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Linux test assets from Debian's arm64 packages: the stock kernel
# (`Image`), the TEE modules, and a small initramfs on busybox-static whose init
# prints markers the tests wait for. Packages are fetched with `apt-get download`
# and unpacked with `dpkg-deb -x` (nothing is installed, no multiarch), then
# cached: a second run with the assets present does nothing.
#
# Usage: deploy/linux-assets.sh OUTDIR
# Produces OUTDIR/Image, OUTDIR/initramfs.cpio.gz, OUTDIR/VERSION. The initramfs
# also holds tee-supplicant and libteec (Debian's tee-supplicant, libteec1,
# libc6) for the TEE tests inside guests, and warden-tee-client
# (tests/linux/warden-tee-client.c, cross-built here against Debian's libteec
# headers from optee-client-dev) with the TA file tee-supplicant loads for the
# OP-TEE model's "loadable" TA.
#
# The initramfs's /init: mounts /proc, /sys and /dev, prints
#   "warden-init: reached init (Linux <release>)"
# loads the modules named by `warden.modules=tee,optee` on the kernel command
# line (each load reported as "warden-init: loaded <name>"), starts
# tee-supplicant when the OP-TEE driver has probed ("warden-init: tee-supplicant
# started"), runs `warden-tee-client ARGS` for `warden.tee-client=ARGS` (commas
# for spaces; "warden-init: warden-tee-client ARGS exited N"), prints
#   "warden-init: shell"
# and runs a shell on the console (respawned if it exits). With `warden.test=boot`
# it instead prints the uptime across a 1 s sleep and powers off.
set -euo pipefail

out=${1:?usage: linux-assets.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The cache holds for this script's own text and the client's source: a
# changed init or client is rebuilt.
client_src=$(cd "$(dirname "$0")/.." && pwd)/tests/linux/warden-tee-client.c
recipe=$(cat "$0" "$client_src" | sha256sum | cut -d' ' -f1)
if [ -f "$out/Image" ] && [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/VERSION" ] &&
   grep -qx "recipe $recipe" "$out/VERSION"; then
  exit 0
fi

for tool in apt-get dpkg-deb cpio gzip aarch64-linux-gnu-gcc; do
  command -v "$tool" >/dev/null || { echo "linux-assets: $tool missing (run deploy/install-deps.sh)" >&2; exit 1; }
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "linux-assets: the arm64 package lists are missing (run deploy/install-deps.sh)" >&2
  exit 1
fi

work=$(mktemp -d); chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

# The versioned kernel package the meta-package points at.
kpkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$kpkg" ] || { echo "linux-assets: no linux-image-*-arm64 package known to apt" >&2; exit 1; }
# OP-TEE's normal-world client (libteec1, tee-supplicant) and the C library
# they run on come along for the TEE tests inside the guest.
tee_pkgs=(libc6:arm64 libteec1:arm64 tee-supplicant:arm64 optee-client-dev:arm64)
echo "linux-assets: fetching $kpkg, busybox-static:arm64 and ${tee_pkgs[*]}"
(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg" busybox-static:arm64 \
   "${tee_pkgs[@]}" >/dev/null)
mkdir -p "$work/k" "$work/b" "$work/u"
dpkg-deb -x "$work"/linux-image-*_arm64.deb "$work/k"
dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/b"
for deb in "$work"/libc6_*_arm64.deb "$work"/libteec1_*_arm64.deb "$work"/tee-supplicant_*_arm64.deb \
           "$work"/optee-client-dev_*_arm64.deb; do
  dpkg-deb -x "$deb" "$work/u"
done

image=$(ls "$work"/k/boot/vmlinuz-*)
release=${image##*/vmlinuz-}
# arm64 Image header: the magic "ARM\x64" at offset 0x38.
if [ "$(od -A n -t x1 -j 56 -N 4 "$image" | tr -d ' ')" != "41524d64" ]; then
  echo "linux-assets: $image is not an arm64 Image" >&2
  exit 1
fi

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,root,lib/modules}
install -m 0755 "$work/b/bin/busybox" "$root/bin/busybox"
# busybox is an arm64 binary the host cannot run (`--install`): its applets are
# linked by name.
for applet in sh ash cat echo ls mount umount uname insmod lsmod rmmod dmesg mkdir \
              sleep true false ps kill grep head tail wc date hostname poweroff reboot \
              sync stty tty env printf test [ setsid cttyhack tr cut pidof; do
  ln -s busybox "$root/bin/$applet"
done
mods="$work/k/lib/modules/$release/kernel/drivers/tee"
for m in "$mods/tee.ko" "$mods/optee/optee.ko"; do
  [ -f "$m" ] || { echo "linux-assets: $m missing from $kpkg" >&2; exit 1; }
  install -m 0644 "$m" "$root/lib/modules/"
done

# The TEE client: tee-supplicant, libteec and what the dynamic loader needs.
mkdir -p "$root/lib/aarch64-linux-gnu" "$root/usr/lib/aarch64-linux-gnu" "$root/usr/sbin" \
         "$root/lib/optee_armtz" "$root/data/tee"
cp -a "$work"/u/lib/aarch64-linux-gnu/{ld-linux-aarch64.so.1,libc.so.6} "$root/lib/aarch64-linux-gnu/"
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$root/lib/ld-linux-aarch64.so.1"
cp -a "$work"/u/usr/lib/aarch64-linux-gnu/libteec.so.1* "$root/usr/lib/aarch64-linux-gnu/"
install -m 0755 "$work/u/usr/sbin/tee-supplicant" "$root/usr/sbin/tee-supplicant"
mkdir -p "$root/var/lib/optee-client/data/tee" "$root/usr/bin"

# The TEE client, against Debian's libteec (headers and link from
# optee-client-dev, the C library from the cross toolchain's libc6-dev).
aarch64-linux-gnu-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I "$work/u/usr/include" \
  "$client_src" -o "$root/usr/bin/warden-tee-client" \
  -L "$work/u/usr/lib/aarch64-linux-gnu" -lteec
# The "loadable" TA (tests/firmware/optee/test_tas.h) as tee-supplicant finds
# it: /lib/optee_armtz/<uuid>.ta, an image the model accepts (magic, then the
# UUID's two words, little-endian).
lehex() { printf "%016x" "$1" | sed 's/../& /g' | awk '{for (i = NF; i > 0; --i) printf "%s", $i}'; }
ta_a=$(lehex 0x57415244454e0003) ta_b=$(lehex 0x6c6f616461626c65)
ta_file="${ta_a:0:8}-${ta_a:8:4}-${ta_a:12:4}-${ta_b:0:4}-${ta_b:4:12}.ta"
printf "$(lehex 0x3141544452415757)$ta_a$ta_b" | sed 's/../\\x&/g' | xargs -0 printf > "$root/lib/optee_armtz/$ta_file"

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "warden-init: reached init (Linux $(uname -r))"
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    warden.modules=*)
      for m in $(echo "${arg#warden.modules=}" | tr ',' ' '); do
        if insmod "/lib/modules/$m.ko"; then
          echo "warden-init: loaded $m"
        else
          echo "warden-init: FAILED to load $m"
        fi
      done ;;
  esac
done
# tee-supplicant serves OP-TEE's requests (loading TAs) once the driver is up.
if [ -e /dev/tee0 ] && [ -e /dev/teepriv0 ]; then
  echo "warden-init: TEE devices /dev/tee0 and /dev/teepriv0"
fi
if [ -e /dev/teepriv0 ]; then
  tee-supplicant &
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pidof tee-supplicant >/dev/null && break
    sleep 0.1
  done
  if pidof tee-supplicant >/dev/null; then
    echo "warden-init: tee-supplicant started"
  else
    echo "warden-init: FAILED to start tee-supplicant"
  fi
fi
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    warden.tee-client=*)
      args=$(echo "${arg#warden.tee-client=}" | tr ',' ' ')
      # shellcheck disable=SC2086
      warden-tee-client $args
      echo "warden-init: warden-tee-client $args exited $?" ;;
  esac
done
# warden.test=boot: show the timer moving, then power off (boot tests).
for arg in $(cat /proc/cmdline); do
  if [ "$arg" = warden.test=boot ]; then
    deps=$(/lib/ld-linux-aarch64.so.1 --list /usr/sbin/tee-supplicant 2>&1)
    if [ $? -eq 0 ] && ! echo "$deps" | grep -q "not found"; then
      echo "warden-init: tee-supplicant and its libraries load"
    else
      echo "warden-init: FAILED: tee-supplicant cannot be loaded"
    fi
    up1=$(cut -d' ' -f1 /proc/uptime)
    sleep 1
    up2=$(cut -d' ' -f1 /proc/uptime)
    echo "warden-init: uptime $up1 -> $up2 across a 1 s sleep"
    echo "warden-init: powering off"
    poweroff -f
  fi
done
echo "warden-init: shell"
while true; do
  setsid cttyhack sh
  echo "warden-init: shell exited, starting another"
done
INIT
chmod 0755 "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > "$work/initramfs.cpio.gz"
install -m 0644 "$image" "$out/Image"
install -m 0644 "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
printf '%s %s\nrecipe %s\n' "$kpkg" "$release" "$recipe" > "$out/VERSION"
echo "linux-assets: Linux $release, $(du -h "$out/Image" | cut -f1) Image, $(du -h "$out/initramfs.cpio.gz" | cut -f1) initramfs in $out"
