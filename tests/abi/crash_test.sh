#!/usr/bin/env bash
# Crash containment with a real process (issue #13): `atrium serve` on SQLite with abi.crasher,
# whose GET /api/v1/abi.crasher/boom dereferences NULL.
#   1. the route kills the host by SIGSEGV and the log names the plugin and the route;
#   2. the next start reports the crash; a clean start+shutdown in between resets the count;
#   3. a second crash in a row quarantines the plugin: the host serves without it (its routes
#      404, /readyz and `atrium plugins list` say "quarantined");
#   4. `atrium plugins enable abi.crasher` lifts the quarantine; 5. --safe-mode ignores
#      --plugin-path. Prints "N passed, N failed".
set -uo pipefail
atrium="${1:?usage: crash_test.sh ATRIUM_BINARY CRASH_PLUGIN_DIR}"
plugins="${2:?usage: crash_test.sh ATRIUM_BINARY CRASH_PLUGIN_DIR}"
work="$(mktemp -d /tmp/atrium-crash.XXXXXX)"
pass=0
fail=0
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ulimit -c 0 # the crashes are expected: no core files
db="sqlite:$work/data/crash.db"
"$atrium" init --db "$db" >/dev/null 2>&1 || { echo "FAIL - init"; exit 1; }

# start LOG [extra args…]: serve in the background until /healthz answers
start() {
  local log="$1"; shift
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  "$atrium" serve --db "$db" --listen "127.0.0.1:$port" --plugin-path "$plugins" "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 150); do curl -fs "$url/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
# stop: SIGTERM and wait; the exit status in $rc (not a subshell: only this shell can wait)
stop() { kill -TERM "$server" 2>/dev/null; wait "$server"; rc=$?; server=""; }
# crash: calls the crashing route and waits for the host to die; the exit status in $rc
crash() {
  curl -s -m 10 "$url/api/v1/abi.crasher/boom" >/dev/null 2>&1
  wait "$server"; rc=$?; server=""
}
code() { curl -s -o /dev/null -w '%{http_code}' "$url$1"; }

# 1. first crash
check "serve starts with abi.crasher" start "$work/1.log"
check "its ordinary route answers" test "$(code /api/v1/abi.crasher/ping)" = 200
crash
check "the host died by SIGSEGV (exit $rc = 128+11)" test "$rc" -eq 139
check "the log names the signal, the plugin and the route" \
  grep -q "fatal signal SIGSEGV in plugin abi.crasher during route GET /api/v1/abi.crasher/boom" "$work/1.log"
check "the crash file sits beside the SQLite database" grep -q "abi.crasher" "$work/data/atrium-crash.log"

# 2. the next start reports it; a clean start+shutdown resets the count
check "serve starts again after the crash" start "$work/2.log"
check "the start reports which plugin crashed the host, during what" \
  grep -q "plugin abi.crasher crashed the host during route GET /api/v1/abi.crasher/boom at " "$work/2.log"
check "one crash does not quarantine: the route still answers" test "$(code /api/v1/abi.crasher/ping)" = 200
stop; check "a clean shutdown exits 0" test "$rc" -eq 0
check "a clean shutdown leaves no crash file" test ! -e "$work/data/atrium-crash.log"
check "serve starts (clean run before the second crash)" start "$work/3.log"
crash; check "second crash, after a clean run: SIGSEGV" test "$rc" -eq 139
check "serve starts after a crash that follows a clean run" start "$work/4.log"
check "a crash after a clean run is not 'twice in a row': still loaded" test "$(code /api/v1/abi.crasher/ping)" = 200

# 3. a second crash in a row quarantines
crash; check "crash again: SIGSEGV" test "$rc" -eq 139
check "serve starts with the plugin quarantined" start "$work/5.log"
check "the start says the plugin is quarantined" grep -q "plugin abi.crasher is quarantined" "$work/5.log"
check "the quarantined plugin's routes are gone (404)" test "$(code /api/v1/abi.crasher/ping)" = 404
check "the host keeps serving (/readyz 200)" test "$(code /readyz)" = 200
ready="$(curl -s "$url/readyz")"
check "/readyz lists the quarantined plugin" grep -q '"quarantined":\[{"id":"abi.crasher"' <<<"$ready"
out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins" 2>&1)"
check "plugins list shows it quarantined with the reason" grep -Eq "abi.crasher .*quarantined +plugin abi.crasher crashed the host 2 times in a row" <<<"$out"
stop; check "a quarantined host shuts down cleanly" test "$rc" -eq 0
check "serve starts again" start "$work/6.log"
check "a clean run does not lift the quarantine" test "$(code /api/v1/abi.crasher/ping)" = 404
stop

# 4. an administrator lifts it
out="$("$atrium" plugins enable abi.crasher --db "$db" --plugin-path "$plugins" 2>&1)"
check "plugins enable lifts the quarantine and says so" grep -q "Lifted the quarantine of plugin abi.crasher" <<<"$out"
out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins" 2>&1)"
check "plugins list no longer shows it quarantined" bash -c "! grep -q quarantined <<<\"\$1\"" _ "$out"
check "serve starts after the enable" start "$work/7.log"
check "the plugin is loaded again" test "$(code /api/v1/abi.crasher/ping)" = 200
stop

# 5. safe mode loads only the plugins shipped with Atrium
check "serve --safe-mode starts" start "$work/8.log" --safe-mode
check "safe mode ignores --plugin-path: abi.crasher is not loaded" test "$(code /api/v1/abi.crasher/ping)" = 404
check "safe mode says so in the log" grep -q "safe mode: only the plugins shipped with Atrium are loaded" "$work/8.log"
stop; check "safe mode shuts down cleanly" test "$rc" -eq 0

echo "$pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then for f in "$work"/*.log; do echo "--- $f"; tail -n 15 "$f"; done; fi
[ "$fail" -eq 0 ]
