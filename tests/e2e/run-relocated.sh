#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The end-to-end scenarios from a build tree placed where a newcomer might clone:
# under /root (mode 0700) at a path of more than 150 characters, deeper than a
# unix socket path may be. Copies the daemon, the CLI and the images there (what
# the scenarios use) and runs cli_enable and daemon_restart from that copy.
#
# Usage: run-relocated.sh BUILD_DIR     (exit 77: skipped, not root)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-relocated.sh BUILD_DIR}" && pwd)
if [ "$(id -u)" -ne 0 ] || [ ! -w /root ]; then
  echo "e2e.relocated: skipped (needs root and a writable /root)"
  exit 77
fi

base=$(mktemp -d /root/warden-relocated.XXXXXX)
trap 'rm -rf "$base"' EXIT
chmod 0700 "$base"
deep=$base/a-checkout-cloned-deliberately-deep/into-a-directory-whose-path-is/longer-than-a-unix-socket-address-can-hold/as-newcomers-sometimes-do/build
mkdir -p "$deep/toolstack/wardend" "$deep/cli" "$deep/images"
echo "e2e.relocated: build copy at $deep (${#deep} characters)"
[ ${#deep} -gt 150 ] || { echo "e2e.relocated: FAILED: path not deep enough"; exit 1; }
cp "$build/toolstack/wardend/wardend" "$deep/toolstack/wardend/"
cp "$build/cli/wardenctl" "$deep/cli/"
cp "$build"/images/*.bin "$deep/images/"

for scenario in cli_enable daemon_restart; do
  if ! "$here/run-e2e.sh" "$scenario" "$deep"; then
    echo "e2e.relocated: FAILED in $scenario"
    exit 1
  fi
done
echo "e2e.relocated: passed"
