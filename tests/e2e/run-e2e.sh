#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios: wardenctl -> wardend -> the QEMU platform. Each starts its
# own daemon (which boots its own platform) in a fresh run directory, checks
# what the CLI prints and returns, and always stops everything it started.
#
# Usage: run-e2e.sh SCENARIO BUILD_DIR
#   cli_enable | exhaustion | concurrent_enable | daemon_restart | platform_killed |
#   unprivileged_image | second_daemon | watch_lost | crash_points | disk_full |
#   linux_guest | linux_console_attach | linux_exhaustion | linux_tee_isolation
#   (these need $WARDEN_LINUX_ASSETS: deploy/linux-assets.sh)
set -uo pipefail

scenario=${1:?usage: run-e2e.sh SCENARIO BUILD_DIR}
build=$(cd "${2:?usage: run-e2e.sh SCENARIO BUILD_DIR}" && pwd)
wardend=$build/toolstack/wardend/wardend
ctl_bin=$build/cli/wardenctl
images=$build/images
run=$build/e2e/$scenario
# The API socket's path must fit a sockaddr_un (107 bytes) for every client,
# wherever the build directory is: a short private directory holds it.
sockdir=$(mktemp -d /tmp/warden-e2e.XXXXXX)
sock=$sockdir/wardend.sock
log=$run/wardend.log
kernel=$images/tg_optee_client.bin

rm -rf "$run"
mkdir -p "$run"
daemon_pid=""

ctl() { timeout 60 "$ctl_bin" --socket "$sock" "$@"; }

cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  # A platform the daemon left behind (after kill -9) is stopped here.
  if [ -f "$run/platform/qemu.pid" ]; then
    kill -9 "$(cat "$run/platform/qemu.pid")" 2>/dev/null
  fi
  rm -rf "$sockdir"
}
trap cleanup EXIT

fail() {
  echo "e2e.$scenario: FAILED: $*"
  echo "----- wardend log -----"; cat "$log" 2>/dev/null
  echo "----- platform console -----"; cat "$run/platform/console.log" 2>/dev/null
  exit 1
}

start_daemon() {
  "$wardend" --socket "$sock" --run-dir "$run/platform" --images "$images" \
    --tee-guests 2 --log-level info "$@" >> "$log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 300); do
    if [ -S "$sock" ] && ctl health >/dev/null 2>&1; then return 0; fi
    kill -0 "$daemon_pid" 2>/dev/null || fail "wardend exited during start"
    sleep 0.2
  done
  fail "wardend did not become healthy within 60 s"
}

expect_rc() {  # expect_rc WANT DESCRIPTION -- command...
  local want=$1 what=$2
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want; output: $out"
  echo "ok: $what (exit $rc)"
  LAST_OUTPUT=$out
}

linux=${WARDEN_LINUX_ASSETS:-}
need_linux() {
  [ -f "$linux/Image" ] && [ -f "$linux/initramfs.cpio.gz" ] ||
    fail "Linux test assets missing in '$linux': run deploy/linux-assets.sh"
}
# Types $1 into guest $2's attached console and waits for $3 on it.
type_into() {
  printf '%s\n' "$1" | timeout 90 "$ctl_bin" --socket "$sock" guest console "$2" --attach \
    --until "$3" --wait 60
}

# Writes $run/$1.toml: a Linux guest with OP-TEE whose init runs
# `warden-tee-client $2` (commas for spaces; sessions, 1 MiB and 16 MiB
# buffers: a 32 MiB quota).
linux_tee_toml() {
  cat > "$run/$1.toml" <<TOML
name = "$1"
kernel = "$linux/Image"
initrd = "$linux/initramfs.cpio.gz"
memory = "128M"
tee = "optee"
bootargs = "console=ttyAMA0 quiet warden.modules=tee,optee warden.tee-client=$2"

[quotas]
tee_shm_pages = 8192
TOML
}
# Waits for guest $1's TEE client to finish (init's shell prompt comes right
# after its exit line, so that line is whole) and checks it passed.
tee_client_passed() {
  expect_rc 0 "$1's TEE client ran" -- timeout 200 "$ctl_bin" --socket "$sock" \
    guest console "$1" --until "warden-init: shell" --wait 180
  grep -q "warden-init: warden-tee-client $2 exited 0" <<< "$LAST_OUTPUT" ||
    fail "$1's client failed: $LAST_OUTPUT"
  grep -q "tee-client: ${2%% *}: all results as expected" <<< "$LAST_OUTPUT" ||
    fail "$1's client: $LAST_OUTPUT"
}

# The highest "N calls answered" guest $1's looping client has printed.
calls_answered() {
  ctl guest console "$1" | sed -n 's/.*tee-client: \([0-9]*\) calls answered.*/\1/p' | tail -n 1
}

case "$scenario" in
linux_tee_isolation)
  # Two Linux guests use OP-TEE at once, each with its own sessions and
  # buffers; then one is destroyed in the middle of a call OP-TEE holds
  # (its tee-supplicant stopped while OP-TEE waits for it to load a TA, with
  # 1 MiB registered): the other's session keeps working, and the destroyed
  # guest's pages and client ID come back.
  need_linux
  start_daemon
  linux_tee_toml iso-a session,1
  linux_tee_toml iso-b session,2
  expect_rc 0 "create iso-a" -- ctl guest create --config "$run/iso-a.toml" --start
  expect_rc 0 "create iso-b" -- ctl guest create --config "$run/iso-b.toml" --start
  # Both boot and run their clients side by side (different bytes in their
  # buffers): each checks the TA's checksum and fill of its own buffers, so a
  # buffer crossing guests would show.
  tee_client_passed iso-a "session 1"
  tee_client_passed iso-b "session 2"
  ta_sum() { ctl guest console "$1" | sed -n 's/.*16 MiB checksum: TA \(0x[0-9a-f]*\) .*(equal).*/\1/p'; }
  a_sum=$(ta_sum iso-a) b_sum=$(ta_sum iso-b)
  [ -n "$a_sum" ] && [ -n "$b_sum" ] && [ "$a_sum" != "$b_sum" ] ||
    fail "the TA's hashes of the two guests' buffers: '$a_sum' and '$b_sum'"
  expect_rc 0 "iso-a calls its TA in a loop" -- \
    type_into 'warden-tee-client loop 0 &' iso-a "tee-client: 100 calls answered"
  expect_rc 0 "iso-b's call waits in OP-TEE for its stopped tee-supplicant" -- \
    type_into 'kill -STOP $(pidof tee-supplicant); warden-tee-client hold &' iso-b \
    "holding a registered 1 MiB buffer"
  # The OPEN holds its place in the session quota from the moment the
  # mediator takes it: once iso-b holds a session place, its call is in OP-TEE.
  held="" opening=""
  for _ in $(seq 1 60); do
    out=$(ctl -o json tee get iso-b)
    in_use=$(grep -A 3 '"in_use"' <<< "$out")
    opening=$(sed -n 's/.*"tee_sessions": *\([0-9]*\).*/\1/p' <<< "$in_use")
    held=$(sed -n 's/.*"tee_shm_pages": *\([0-9]*\).*/\1/p' <<< "$in_use")
    [ "${opening:-0}" -ge 1 ] && break
    sleep 0.5
  done
  [ "${opening:-0}" -ge 1 ] || fail "iso-b's OPEN never reached the mediator: $out"
  [ "${held:-0}" -ge 256 ] || fail "iso-b holds ${held:-no} shared-memory pages: $out"
  echo "ok: iso-b's OPEN is held in OP-TEE, with $held shared-memory pages"
  grep -q "session opened with the loadable TA" <<< "$(ctl guest console iso-b)" &&
    fail "iso-b's call was not held in OP-TEE"
  before=$(calls_answered iso-a)
  expect_rc 0 "destroy iso-b in the middle of its call" -- ctl guest destroy iso-b
  grep -q "d[0-9]*: memory scrubbed and released" "$run/platform/console.log" ||
    fail "iso-b's memory was not released"
  grep -Eq "tee: d[0-9]+ \(client ID [0-9]+\): 1 suspended call\(s\) finished, 256 registered page\(s\) released" \
    "$run/platform/console.log" || fail "iso-b's held call and registration were not given back"
  grep -q "still held by the secure world" "$run/platform/console.log" &&
    fail "pages of iso-b stayed with the secure world"
  echo "ok: iso-b's pages came back and its memory was scrubbed"
  expect_rc 0 "its client ID is free again" -- ctl -o json tee caps
  grep -Eq '"guests_in_use": *1' <<< "$LAST_OUTPUT" || fail "caps: $LAST_OUTPUT"
  after=$before
  for _ in $(seq 1 60); do
    after=$(calls_answered iso-a)
    [ "${after:-0}" -gt "${before:-0}" ] && break
    sleep 1
  done
  [ "${after:-0}" -gt "${before:-0}" ] || fail "iso-a's calls stopped at ${before:-0}"
  echo "ok: iso-a's session kept answering ($before -> $after calls)"
  grep -q "FAILED" <<< "$(ctl guest console iso-a)" && fail "iso-a: $(ctl guest console iso-a)"
  linux_tee_toml iso-c loadable
  expect_rc 0 "a new TEE guest takes the freed client ID" -- \
    ctl guest create --config "$run/iso-c.toml" --start
  tee_client_passed iso-c loadable
  ;;
linux_exhaustion)
  # Linux guests with OP-TEE through wardend: two are admitted and their
  # libteec clients open sessions; the third is refused because the TEE has
  # no client ID left; after a destroy the retry is admitted and works.
  need_linux
  start_daemon
  for g in lin-a lin-b lin-c; do linux_tee_toml "$g" session; done
  expect_rc 0 "create Linux TEE guest lin-a" -- ctl guest create --config "$run/lin-a.toml" --start
  expect_rc 0 "create Linux TEE guest lin-b" -- ctl guest create --config "$run/lin-b.toml" --start
  expect_rc 6 "a third Linux TEE guest is refused: no client ID left" -- \
    ctl guest create --config "$run/lin-c.toml" --start
  for want in "reason: TEE_CLIENT_IDS_EXHAUSTED" "guest: lin-c" "limit: 2" "in_use: 2"; do
    grep -q "$want" <<< "$LAST_OUTPUT" || fail "missing $want in: $LAST_OUTPUT"
  done
  expect_rc 3 "the refused guest was rolled back" -- ctl guest get lin-c
  tee_client_passed lin-a session
  tee_client_passed lin-b session
  expect_rc 0 "destroy lin-a" -- ctl guest destroy lin-a
  expect_rc 0 "its client ID is free again" -- ctl -o json tee caps
  grep -Eq '"guests_in_use": *1' <<< "$LAST_OUTPUT" || fail "caps: $LAST_OUTPUT"
  expect_rc 0 "now lin-c is admitted" -- ctl guest create --config "$run/lin-c.toml" --start
  tee_client_passed lin-c session
  expect_rc 0 "lin-b and lin-c hold the TEE" -- ctl -o json tee caps
  grep -Eq '"guests_in_use": *2' <<< "$LAST_OUTPUT" || fail "caps: $LAST_OUTPUT"
  ;;
linux_guest)
  # Debian's kernel from a TOML file through wardenctl and wardend: it boots to
  # its shell, a command typed over the attached console runs, it is destroyed.
  need_linux
  start_daemon
  printf 'name = "lin"\nkernel = "%s"\ninitrd = "%s"\nmemory = "256M"\nbootargs = "console=ttyAMA0"\n' \
    "$linux/Image" "$linux/initramfs.cpio.gz" > "$run/lin.toml"
  expect_rc 0 "create and start a Linux guest from TOML" -- ctl guest create --config "$run/lin.toml" --start
  expect_rc 0 "it boots to its shell" -- ctl guest console lin --until "warden-init: shell" --wait 180
  # (The hypervisor keeps the last 4 KiB of a console: the kernel's early lines are gone.)
  grep -q "warden-init: reached init (Linux" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  expect_rc 0 "a command typed over the attached console runs in it" -- \
    type_into 'echo e2e-$((6*7))' lin e2e-42
  expect_rc 0 "destroy it" -- ctl guest destroy lin
  expect_rc 3 "it is gone" -- ctl guest get lin
  ;;
linux_console_attach)
  # Typed input and its answer through the API: uname in the guest, and a line
  # longer than the guest's 256-byte receive buffer, sent in parts as it drains.
  need_linux
  start_daemon
  expect_rc 0 "create and start a Linux guest from options" -- ctl guest create --name tty \
    --kernel "$linux/Image" --initrd "$linux/initramfs.cpio.gz" --memory 256M \
    --bootargs console=ttyAMA0 --start
  expect_rc 0 "it boots to its shell" -- ctl guest console tty --until "warden-init: shell" --wait 180
  expect_rc 0 "uname -m answers aarch64" -- type_into 'uname -m' tty aarch64
  long=$(printf 'x%.0s' $(seq 1 600))
  expect_rc 0 "a 620-byte command line arrives whole" -- \
    type_into "echo $long | wc -c | sed 's/^/count-/'" tty count-601
  expect_rc 0 "destroy it" -- ctl guest destroy tty
  ;;
cli_enable)
  start_daemon
  expect_rc 0 "create a guest without TEE" -- ctl guest create --name web --kernel "$kernel" --bootargs expect=optee
  expect_rc 0 "enable OP-TEE for it" -- ctl tee enable web --method smc
  grep -q "enabled" <<< "$LAST_OUTPUT" || fail "tee enable did not report enabled: $LAST_OUTPUT"
  expect_rc 0 "enable again with the same settings (idempotent)" -- ctl tee enable web --method smc
  expect_rc 4 "enable with other settings is a conflict" -- ctl tee enable web --method hvc
  grep -q "TEE_SETTINGS_CONFLICT" <<< "$LAST_OUTPUT" || fail "no conflict reason: $LAST_OUTPUT"
  expect_rc 0 "its quotas reach the hypervisor" -- ctl -o json tee quota web --sessions 4 --shm-pages 512
  grep -Eq '"tee_sessions": *4' <<< "$LAST_OUTPUT" || fail "quota: $LAST_OUTPUT"
  grep -Eq '"tee_shm_pages": *512' <<< "$LAST_OUTPUT" || fail "quota: $LAST_OUTPUT"
  expect_rc 0 "start it" -- ctl guest start web
  expect_rc 0 "it finds OP-TEE through its device tree" -- ctl guest console web --until "optee_client: done" --wait 60
  grep -q "optee: found over smc: OP-TEE 4.10" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  # Reads go to the hypervisor: right after the guest said it is done, its calls show.
  expect_rc 0 "its calls reached OP-TEE" -- ctl -o json tee get web
  grep -Eq '"calls_forwarded": *[1-9]' <<< "$LAST_OUTPUT" || fail "no forwarded calls: $LAST_OUTPUT"
  expect_rc 0 "stop it (it has powered itself off: stopping is a no-op)" -- ctl guest stop web
  expect_rc 0 "disable its TEE" -- ctl -o json tee disable web
  grep -q '"state": *"disabled"' <<< "$LAST_OUTPUT" || fail "not disabled: $LAST_OUTPUT"
  expect_rc 0 "the client ID is free again" -- ctl -o json tee caps
  grep -Eq '"guests_in_use": *0' <<< "$LAST_OUTPUT" || fail "caps: $LAST_OUTPUT"
  expect_rc 0 "console --follow of a guest that powered off ends by itself" -- \
    timeout 20 "$ctl_bin" --socket "$sock" guest console web --follow
  grep -q "optee_client: done" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  grep -q "its console ends here" <<< "$LAST_OUTPUT" || fail "no word of the end: $LAST_OUTPUT"
  ;;
exhaustion)
  start_daemon
  for g in a b; do
    expect_rc 0 "create TEE guest $g" -- ctl guest create --name "$g" --kernel "$kernel" --tee optee --bootargs expect=optee --start
  done
  expect_rc 6 "a third TEE guest is refused: no client ID left" -- ctl guest create --name c --kernel "$kernel" --tee optee --bootargs expect=optee --start
  for want in "reason: TEE_CLIENT_IDS_EXHAUSTED" "guest: c" "limit: 2" "in_use: 2"; do
    grep -q "$want" <<< "$LAST_OUTPUT" || fail "missing $want in: $LAST_OUTPUT"
  done
  expect_rc 6 "the same in JSON" -- ctl -o json guest create --name c --kernel "$kernel" --tee optee
  grep -q '"reason": *"TEE_CLIENT_IDS_EXHAUSTED"' <<< "$LAST_OUTPUT" || fail "json: $LAST_OUTPUT"
  expect_rc 3 "the refused guest was rolled back" -- ctl guest get c
  expect_rc 0 "destroy a" -- ctl guest destroy a
  expect_rc 0 "now c fits" -- ctl guest create --name c --kernel "$kernel" --tee optee --bootargs expect=optee --start
  expect_rc 0 "and finds OP-TEE" -- ctl guest console c --until "optee_client: done" --wait 60
  grep -q "optee: found over smc" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  ;;
concurrent_enable)
  start_daemon
  for i in $(seq 0 13); do
    ctl guest create --name "g$i" --kernel "$kernel" >/dev/null || fail "create g$i"
  done
  echo "ok: 14 guests created"
  pids=()
  for i in $(seq 0 49); do
    ( ctl tee enable "g$((i % 14))" >/dev/null 2>&1; echo $? > "$run/rc.$i" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  ok=$(cat "$run"/rc.* | grep -c '^0$')
  full=$(cat "$run"/rc.* | grep -c '^6$')
  other=$(cat "$run"/rc.* | grep -vc '^[06]$')
  echo "50 concurrent enables: $ok succeeded, $full exhausted, $other other"
  [ "$other" -eq 0 ] || fail "unexpected exit codes: $(cat "$run"/rc.* | sort | uniq -c)"
  expect_rc 0 "list guests" -- ctl -o json guest list
  enabled=$(grep -o '"state": *"enabled"' <<< "$LAST_OUTPUT" | wc -l)
  [ "$enabled" -eq 2 ] || fail "$enabled guests have TEE, expected exactly 2"
  expect_rc 0 "caps agree" -- ctl -o json tee caps
  grep -Eq '"guests_in_use": *2' <<< "$LAST_OUTPUT" || fail "caps: $LAST_OUTPUT"
  ;;
daemon_restart)
  start_daemon
  expect_rc 0 "create a TEE guest" -- ctl guest create --name keep --kernel "$kernel" --tee optee --tee-method hvc --bootargs expect=optee --start
  expect_rc 0 "create a plain guest" -- ctl guest create --name plain --kernel "$kernel" --bootargs expect=none
  expect_rc 0 "the TEE guest ran" -- ctl guest console keep --until "optee_client: done" --wait 60
  grep -q "optee: found over hvc" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  sleep 1.5  # let the daemon's view catch up with the guest powering off
  before=$(ctl -o json guest list | grep -v calls_)
  # Kill it mid-flight: while a create is on its way.
  ctl guest create --name late --kernel "$kernel" >/dev/null 2>&1 &
  sleep 0.05
  kill -9 "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=""
  echo "ok: wardend killed with SIGKILL"
  start_daemon
  grep -q "platform" "$log" || true
  after=$(ctl -o json guest list | grep -v calls_)
  # "late" may or may not have been created before the kill; the rest must be identical.
  strip_late() { python3 -c 'import json,sys; d=json.load(sys.stdin); d["guests"]=[g for g in d["guests"] if g["name"]!="late"]; print(json.dumps(d, sort_keys=True))' 2>/dev/null || cat; }
  [ "$(strip_late <<< "$before")" = "$(strip_late <<< "$after")" ] || fail "guests differ after restart:
before: $before
after:  $after"
  echo "ok: the restarted daemon reports the same guests and TEE state"
  expect_rc 0 "the guest's console survived too" -- ctl guest console keep
  grep -q "optee: found over hvc" <<< "$LAST_OUTPUT" || fail "console: $LAST_OUTPUT"
  ;;
platform_killed)
  # QEMU dies under the daemon: watchers hear of it, the daemon exits with
  # status 3 (so systemd's Restart=on-failure fires), and a restarted daemon
  # brings up a fresh platform: the guests are lost, as documented.
  start_daemon
  expect_rc 0 "create a guest" -- ctl guest create --name web --kernel "$kernel" --tee optee --start
  ctl tee watch > "$run/watch.out" 2> "$run/watch.err" &
  watcher=$!
  for _ in $(seq 1 50); do grep -q web "$run/watch.out" 2>/dev/null && break; sleep 0.1; done
  kill -9 "$(cat "$run/platform/qemu.pid")"
  echo "ok: QEMU killed with SIGKILL"
  for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$daemon_pid" 2>/dev/null && fail "the daemon went on without its platform"
  wait "$daemon_pid"
  rc=$?
  daemon_pid=""
  [ "$rc" -eq 3 ] || fail "the daemon exited $rc, expected 3"
  grep -q "the platform is gone" "$log" || fail "its log does not say why"
  echo "ok: the daemon exited with status 3 and said why"
  wait "$watcher"
  rc=$?
  [ "$rc" -eq 7 ] || fail "watch exited $rc, expected 7"
  grep -q "platform lost: the platform stopped" "$run/watch.out" ||
    fail "no platform event: $(cat "$run/watch.out")"
  echo "ok: the watcher got the platform event, then a lost stream (exit 7)"
  start_daemon
  expect_rc 0 "a restarted daemon serves a fresh platform" -- ctl guest list
  grep -q web <<< "$LAST_OUTPUT" && fail "a lost guest is still listed: $LAST_OUTPUT"
  echo "ok: no lost guest is listed"
  ;;
unprivileged_image)
  # An operator who may change guests (a member of the daemon's group) but is
  # not root names files they cannot read: the root daemon must not read them.
  [ "$(id -u)" -eq 0 ] || { echo "e2e.$scenario: skipped (needs root)"; exit 77; }
  group=$(id -gn nobody)
  start_daemon --group "$group"
  chmod 0755 "$sockdir"
  cp "$ctl_bin" "$sockdir/wardenctl"
  chmod 0755 "$sockdir/wardenctl"
  cp "$kernel" "$sockdir/guest.bin"
  chmod 0644 "$sockdir/guest.bin"
  secret=$(mktemp /root/warden-e2e-secret.XXXXXX)
  echo "the daemon's secret" > "$secret"
  chmod 0600 "$secret"
  as_nobody() { timeout 60 setpriv --reuid=nobody --regid="$group" --clear-groups \
    "$sockdir/wardenctl" --socket "$sock" "$@"; }
  expect_rc 0 "nobody may create a guest from an image it can read" -- \
    as_nobody guest create --name own --kernel "$sockdir/guest.bin" --bootargs expect=none
  expect_rc 8 "but not from /etc/shadow" -- as_nobody guest create --name spy --kernel /etc/shadow
  grep -q "permission denied" <<< "$LAST_OUTPUT" || fail "reason: $LAST_OUTPUT"
  expect_rc 8 "nor from a root-only file of the daemon's host" -- \
    as_nobody guest create --name spy --kernel "$secret"
  expect_rc 8 "validating an existing file under /root" -- \
    as_nobody guest create --validate-only --name spy --kernel "$secret"
  existing=$LAST_OUTPUT
  expect_rc 8 "validating a missing file under /root" -- \
    as_nobody guest create --validate-only --name spy --kernel "$secret.missing"
  [ "$(sed 's/\.missing//g' <<< "$LAST_OUTPUT")" = "$existing" ] ||
    fail "validation tells existing from missing files: '$existing' vs '$LAST_OUTPUT'"
  expect_rc 0 "root may use the root-only file" -- ctl guest create --validate-only --name rooty --kernel "$secret"
  rm -f "$secret"
  expect_rc 3 "no guest was made from what nobody could not read" -- ctl guest get spy
  # Guest output is for callers of the API only.
  [ "$(stat -c %a "$run/platform")" = 700 ] || fail "run directory is $(stat -c %a "$run/platform")"
  for f in console.log secure-console.log qemu.log; do
    [ "$(stat -c %a "$run/platform/$f")" = 600 ] || fail "$f is $(stat -c %a "$run/platform/$f")"
  done
  echo "ok: the run directory is 0700, its logs 0600"
  ;;
second_daemon)
  start_daemon
  first=$daemon_pid
  second() {  # second TIMEOUT ARGS...: a second daemon's exit status and output
    local t=$1
    shift
    LAST_OUTPUT=$(timeout "$t" "$wardend" --images "$images" --tee-guests 2 "$@" 2>&1)
  }
  second 10 --socket "$sock" --run-dir "$run/platform"
  rc=$?
  [ "$rc" -eq 1 ] || fail "same socket and run directory: exit $rc (124 = hung); $LAST_OUTPUT"
  grep -q "another wardend (pid $first) is using the run directory" <<< "$LAST_OUTPUT" ||
    fail "no clear refusal: $LAST_OUTPUT"
  echo "ok: a second daemon on the same run directory is refused at once"
  second 10 --socket "$sockdir/other.sock" --run-dir "$run/platform"
  [ $? -eq 1 ] || fail "same run directory, other socket: not refused; $LAST_OUTPUT"
  second 10 --socket "$sock" --run-dir "$run/other-platform"
  rc=$?
  [ "$rc" -eq 1 ] || fail "same socket: exit $rc; $LAST_OUTPUT"
  grep -q "in use: another wardend is serving there" <<< "$LAST_OUTPUT" || fail "$LAST_OUTPUT"
  [ ! -e "$run/other-platform/qemu.pid" ] || fail "it started a platform before refusing"
  echo "ok: a second daemon on the same socket is refused before it starts a platform"
  expect_rc 0 "the first daemon still serves" -- ctl guest list
  # SIGTERM while the platform is still booting stops the daemon and its QEMU.
  "$wardend" --socket "$sockdir/third.sock" --run-dir "$run/third" --images "$images" \
    >> "$log" 2>&1 &
  third=$!
  for _ in $(seq 1 50); do [ -f "$run/third/qemu.pid" ] && break; sleep 0.05; done
  kill -TERM "$third"
  for _ in $(seq 1 100); do kill -0 "$third" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$third" 2>/dev/null && { kill -9 "$third"; fail "SIGTERM during start-up ignored"; }
  wait "$third"
  if [ -f "$run/third/qemu.pid" ] && kill -0 "$(cat "$run/third/qemu.pid")" 2>/dev/null; then
    kill -9 "$(cat "$run/third/qemu.pid")"
    fail "its QEMU outlived it"
  fi
  echo "ok: SIGTERM during start-up stops the daemon and its platform"
  ;;
watch_lost)
  # A watcher learns that its stream is gone when the daemon stops.
  start_daemon
  ctl tee watch > "$run/watch.out" 2> "$run/watch.err" &
  watcher=$!
  for _ in $(seq 1 50); do grep -q . "$run/watch.out" 2>/dev/null && break; sleep 0.1; done
  kill -TERM "$daemon_pid"
  wait "$daemon_pid"
  daemon_pid=""
  wait "$watcher"
  rc=$?
  [ "$rc" -eq 7 ] || fail "watch exited $rc, expected 7; stderr: $(cat "$run/watch.err")"
  grep -q "DAEMON_SHUTTING_DOWN\|event stream ended" "$run/watch.err" ||
    fail "no word of the lost stream: $(cat "$run/watch.err")"
  echo "ok: tee watch reports the lost stream (exit 7): $(head -1 "$run/watch.err")"
  ;;
crash_points)
  # The daemon is killed (a test-only crash point) at every step of create,
  # start, TEE enable/disable and destroy. The platform lives on; a restarted
  # daemon must find the guest fully there (the operation rolled forward) or
  # fully gone (rolled back), and the TEE count must agree with the guests.
  restart_normal() {
    start_daemon
  }
  kill_daemon() {
    [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    daemon_pid=""
  }
  crash_during() {  # crash_during POINT -- wardenctl args...
    local point=$1
    shift 2
    kill_daemon
    start_daemon --test-crash-at "$point"
    ctl "$@" > /dev/null 2>&1
    for _ in $(seq 1 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$daemon_pid" 2>/dev/null && fail "$point: the daemon did not reach its crash point"
    wait "$daemon_pid"
    local rc=$?
    daemon_pid=""
    [ "$rc" -eq 99 ] || fail "$point: the daemon exited $rc, not at the crash point (99)"
    start_daemon
  }
  tee_count_agrees() {
    local in_use enabled
    in_use=$(ctl -o json tee caps | sed -n 's/.*"guests_in_use": *\([0-9]*\).*/\1/p')
    enabled=$(ctl -o json guest list | grep -c '"type": *"optee"')
    [ "$in_use" = "$enabled" ] || fail "$1: the TEE holds $in_use guest(s), $enabled have it enabled"
  }
  gone() {
    expect_rc 3 "$1: the guest is fully gone" -- ctl guest get g
    tee_count_agrees "$1"
  }
  boots_finding() {  # boots_finding POINT TEXT: the guest is there, starts, prints TEXT
    expect_rc 0 "$1: the guest is there" -- ctl guest get g
    tee_count_agrees "$1"
    ctl guest start g > /dev/null 2>&1
    expect_rc 0 "$1: it boots and finds what its settings say" -- \
      ctl guest console g --until "optee_client: done" --wait 60
    grep -q "$2" <<< "$LAST_OUTPUT" || fail "$1: console: $LAST_OUTPUT"
  }
  reset_guest() { ctl guest destroy g --allow-missing > /dev/null || fail "cannot reset"; }

  start_daemon
  for step in journal create load-kernel enable-TEE load-device-tree set-entry-point unpause built; do
    crash_during "create:$step" -- guest create --name g --kernel "$kernel" --tee optee \
      --tee-method hvc --bootargs expect=optee --start
    gone "create:$step"
    expect_rc 0 "create:$step: a retried create works" -- ctl guest create --name g \
      --kernel "$kernel" --tee optee --tee-method hvc --bootargs expect=optee
    reset_guest
  done

  ctl guest create --name g --kernel "$kernel" --bootargs expect=none > /dev/null || fail "setup"
  crash_during "start:hypervisor" -- guest start g
  boots_finding "start:hypervisor" "optee: no TEE node"
  reset_guest

  for step in journal hypervisor device-tree; do
    ctl guest create --name g --kernel "$kernel" --bootargs expect=optee > /dev/null || fail "setup"
    crash_during "tee-enable:$step" -- tee enable g --method hvc
    expect_rc 0 "tee-enable:$step: enabled as asked" -- ctl -o json tee get g
    grep -q '"method": *"hvc"' <<< "$LAST_OUTPUT" || fail "tee-enable:$step: $LAST_OUTPUT"
    boots_finding "tee-enable:$step" "optee: found over hvc"
    reset_guest
  done

  for step in journal hypervisor device-tree; do
    ctl guest create --name g --kernel "$kernel" --tee optee --bootargs expect=none > /dev/null ||
      fail "setup"
    crash_during "tee-disable:$step" -- tee disable g
    boots_finding "tee-disable:$step" "optee: no TEE node"
    reset_guest
  done

  for step in journal hypervisor; do
    ctl guest create --name g --kernel "$kernel" --tee optee > /dev/null || fail "setup"
    crash_during "destroy:$step" -- guest destroy g
    gone "destroy:$step"
  done
  echo "ok: every crash point converges"
  ;;
disk_full)
  # The run directory on a small filesystem that fills up: the daemon says so
  # once, health reports it, changes are refused until there is room again.
  [ "$(id -u)" -eq 0 ] || { echo "e2e.$scenario: skipped (needs root)"; exit 77; }
  mkdir -p "$run/platform"
  if ! mount -t tmpfs -o size=24M,mode=0700 tmpfs "$run/platform" 2>/dev/null; then
    echo "e2e.$scenario: skipped (cannot mount a tmpfs here)"
    exit 77
  fi
  unmount() { umount "$run/platform" 2>/dev/null; }
  trap 'cleanup; unmount' EXIT
  start_daemon
  expect_rc 0 "healthy with room" -- ctl health
  dd if=/dev/zero of="$run/platform/filler" bs=1M 2>/dev/null
  for _ in $(seq 1 30); do grep -q "is full" "$log" && break; sleep 0.2; done
  sleep 1
  [ "$(grep -c "is full" "$log")" -eq 1 ] || fail "the full disk is not reported exactly once"
  expect_rc 7 "health reports the full disk" -- ctl health
  grep -q "storage not_serving" <<< "$LAST_OUTPUT" || fail "health: $LAST_OUTPUT"
  expect_rc 7 "a change is refused, nothing made" -- ctl guest create --name full --kernel "$kernel"
  grep -q "JOURNAL_UNAVAILABLE" <<< "$LAST_OUTPUT" || fail "reason: $LAST_OUTPUT"
  rm -f "$run/platform/filler"
  for _ in $(seq 1 30); do grep -q "has room again" "$log" && break; sleep 0.2; done
  grep -q "has room again" "$log" || fail "the recovery is not reported"
  expect_rc 0 "healthy again" -- ctl health
  expect_rc 0 "changes work again" -- ctl guest create --name full --kernel "$kernel"
  ;;
*)
  echo "run-e2e: unknown scenario $scenario" >&2
  exit 2
  ;;
esac
echo "e2e.$scenario: passed"
