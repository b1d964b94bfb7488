#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a Debian 12 machine for Warden (as root), builds it, and runs the main
# job: wardend boots the platform in QEMU (secure-world firmware whose OP-TEE has
# room for two guests, the hypervisor, the dom0 agent), then wardenctl creates
# three Linux guests with OP-TEE from the bundled configs (Debian's arm64 kernel,
# its OP-TEE driver, tee-supplicant and a libteec client). Two are admitted and
# their consoles show the client's sessions with trusted applications; the third
# is refused because the TEE has no client ID left; destroying a guest frees one
# and the retry succeeds. This is the user platform: no semihosting, no host
# files reachable from guests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> Installing dependencies (Debian packages)"
bash deploy/install-deps.sh
echo "==> Building (first time: a few minutes)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target wardend wardenctl images
echo "==> Fetching the Linux guests' kernel and TEE client from Debian (cached)"
bash deploy/linux-assets.sh build/linux-assets

build=$PWD/build/default
demo=$build/demo
rm -rf "$demo"
mkdir -p "$demo"
# The example configs, as shipped: their kernel is the test guest built above.
guests=$PWD/deploy/examples/guests
# A unix socket path holds 107 bytes: the API socket goes to a short private
# directory, wherever this checkout is.
sockdir=$(mktemp -d /tmp/warden-demo.XXXXXX)
export WARDEN_SOCKET=$sockdir/wardend.sock
ctl() {
  echo
  echo "\$ wardenctl $(printf "%q " "$@")"
  "$build/cli/wardenctl" "$@"
}
# Waits for guest $1's TEE client to finish, with a progress line every 5 s,
# then shows what the client printed.
client_output() {
  local name=$1 start=$SECONDS out
  echo
  echo "==> Waiting for $name: Linux boots, loads optee.ko, starts tee-supplicant, runs its client"
  # init's shell prompt follows the client's exit line: that line is whole.
  until out=$("$build/cli/wardenctl" guest console "$name" 2>&1) &&
        grep -q "warden-init: shell" <<< "$out"; do
    if [ $((SECONDS - start)) -ge 240 ]; then
      echo "$out"
      echo "error: $name's TEE client did not finish within 240 s" >&2
      return 1
    fi
    sleep 5
    echo "    ... $name: $(grep -c . <<< "$out") console lines so far ($((SECONDS - start)) s)"
  done
  echo "\$ wardenctl guest console $name | grep -E 'tee-client|warden-init'"
  grep -E "tee-client|warden-init" <<< "$out"
}

echo "==> Starting wardend (log: $demo/wardend.log)"
"$build/toolstack/wardend/wardend" --socket "$WARDEN_SOCKET" --run-dir "$demo/platform" \
  --images "$build/images" --tee-guests 2 > "$demo/wardend.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$sockdir"' EXIT
for _ in $(seq 1 300); do
  "$build/cli/wardenctl" health >/dev/null 2>&1 && break
  kill -0 $daemon 2>/dev/null || { cat "$demo/wardend.log"; exit 1; }
  sleep 0.2
done

ctl health
ctl tee caps
ctl guest create --config "$guests/web.toml" --start
ctl guest create --config "$guests/db.toml" --start
set +e
ctl guest create --config "$guests/cache.toml" --start
echo "(exit status $?: 6 means the TEE has no room for another guest)"
set -e
ctl guest list
client_output web
client_output db
ctl guest destroy web
ctl guest create --config "$guests/cache.toml" --start
client_output cache
ctl tee get cache
ctl tee caps

echo
echo "==> Stopping wardend (SIGTERM: it drains and stops the platform)"
kill $daemon
wait $daemon || true
trap - EXIT
tail -n 3 "$demo/wardend.log"
