#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a Debian 12 machine for Warden (as root), builds it, and runs the main
# job: wardend boots the platform in QEMU (secure-world firmware whose OP-TEE has
# room for two guests, the hypervisor, the dom0 agent), then wardenctl creates
# three TEE guests from the bundled configs. Two get OP-TEE and their consoles show
# them finding it through their device trees; the third is refused because the TEE
# has no client ID left; destroying a guest frees one and the retry succeeds.
# This is the user platform: no semihosting, no host files reachable from guests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> Installing dependencies (Debian packages)"
bash deploy/install-deps.sh
echo "==> Building (first time: a few minutes)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target wardend wardenctl images

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
ctl guest console web --until "optee_client: done"
ctl guest console db --until "optee_client: done"
ctl guest destroy web
ctl guest create --config "$guests/cache.toml" --start
ctl guest console cache --until "optee_client: done"
ctl tee get cache
ctl tee caps

echo
echo "==> Stopping wardend (SIGTERM: it drains and stops the platform)"
kill $daemon
wait $daemon || true
trap - EXIT
tail -n 3 "$demo/wardend.log"
