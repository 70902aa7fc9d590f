#!/usr/bin/env bash
# The atrium command as an operator meets it: help, errors as one sentence with a non-zero exit,
# init twice, serve + health + a clean SIGTERM, a second server on a taken port failing loudly,
# plugins list/enable/disable without loading plugins, configuration key warnings, a missing
# database folder, and a refused newer schema. Prints "N passed, N failed".
set -uo pipefail
atrium="${1:?usage: cli_test.sh ATRIUM_BINARY}"
work="$(mktemp -d /tmp/atrium-cli.XXXXXX)"
pass=0
fail=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
db="sqlite:$work/cli.db"

out="$("$atrium" --version)"; check "--version names the ABI" grep -q "plugin ABI 1\." <<<"$out"
"$atrium" >/dev/null 2>&1; check "no command exits non-zero" test $? -ne 0
err="$("$atrium" frobnicate 2>&1)"; rc=$?
check "unknown command: exit 64" test "$rc" -eq 64
check "unknown command: says what to do" grep -q "run 'atrium --help'" <<<"$err"
err="$("$atrium" serve --bogus 2>&1)"; rc=$?
check "unknown option: non-zero with a sentence" bash -c "[ $rc -ne 0 ] && grep -q \"atrium serve --help\" <<<\"$err\""
for cmd in init serve migrate user plugins; do
  out="$("$atrium" "$cmd" --help 2>&1)"; check "$cmd --help prints usage" grep -q "Usage: atrium $cmd" <<<"$out"
done
err="$("$atrium" migrate --db postgres://x 2>&1)"; rc=$?
check "bad database URL: exit non-zero naming the valid forms" bash -c "[ $rc -ne 0 ] && grep -q 'sqlite:PATH' <<<\"$err\""
err="$(ATRIUM_TRUSTED_PROXIES='127.0.0.1, proxy.internal' "$atrium" migrate --db "sqlite:$work/never.db" 2>&1)"; rc=$?
check "a trusted proxy that is not an address: exit 64 naming it" bash -c "[ $rc -eq 64 ] && grep -q \"'proxy.internal' is not an IP address\" <<<\"$err\""

out="$("$atrium" init --db "$db" 2>&1)"
check "init prints a generated password once" grep -q "Password (shown once" <<<"$out"
check "init applies the reporting engine's migrations too" grep -q "applied reports migration 2" <<<"$out"
out="$("$atrium" migrate --db "$db" 2>&1)"
check "migrate on a current database says each schema is up to date" \
  bash -c "grep -q 'core schema is up to date' <<<\"$out\" && grep -q 'reports schema is up to date' <<<\"$out\""
out="$("$atrium" init --db "$db" 2>&1)"; rc=$?
check "init again is harmless and says so" bash -c "[ $rc -eq 0 ] && grep -q 'already exists' <<<\"$out\""
err="$("$atrium" user add --db "$db" --email x@example.com --name X --password password 2>&1)"; rc=$?
check "a common password is refused with the reason" bash -c "[ $rc -ne 0 ] && grep -q 'commonly used' <<<\"$err\""
"$atrium" user add --db "$db" --email rep@example.com --name Rep --password 'Sturdy-Lantern-42' >/dev/null 2>&1
out="$("$atrium" user list --db "$db")"; check "user list shows the new user" grep -q "rep@example.com" <<<"$out"
"$atrium" user disable --db "$db" --email rep@example.com >/dev/null 2>&1
out="$("$atrium" user list --db "$db")"; check "user disable deactivates" grep -Eq "rep@example.com +Rep +no" <<<"$out"

port="$(free_port)"
"$atrium" serve --db "$db" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
pids+=("$server")
up=0
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
check "serve answers /healthz" test "$up" -eq 1
check "serve answers /readyz" curl -fs "http://127.0.0.1:$port/readyz" -o /dev/null
"$atrium" serve --db "$db" --listen "127.0.0.1:$port" >"$work/second.log" 2>&1 &
second=$!
pids+=("$second")
sleep 1.5
if kill -0 "$second" 2>/dev/null; then bad "a second server on a taken port fails"; kill "$second"; else
  wait "$second"; rc=$?; check "a second server on a taken port fails loudly" test "$rc" -ne 0
  check "a taken port: names the address and what to do" \
    bash -c "grep -q '127.0.0.1:$port' '$work/second.log' && grep -q 'already in use' '$work/second.log' && grep -q -- '--listen' '$work/second.log'"
fi
kill -TERM "$server"
wait "$server"; rc=$?
check "SIGTERM: clean exit 0" test "$rc" -eq 0
check "SIGTERM: drained and logged" grep -q "stopped" "$work/serve.log"
check "log lines carry a level and a request id" grep -Eq "Information atrium.http: req=[0-9a-f]+ GET /healthz" "$work/serve.log"

# ---- plugins: list without loading, enable/disable as a whole, configuration keys ----------------
plugins_dir="$work/plugins"
mkdir -p "$plugins_dir"
hello_built="$(dirname "$atrium")/../examples/plugins/hello"
if [ -d "$hello_built" ]; then
  cp -r "$hello_built" "$plugins_dir/hello"
  out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins_dir" 2>&1)"; rc=$?
  check "plugins list: shows an installed plugin from its manifest" bash -c "[ $rc -eq 0 ] && grep -Eq '^hello +1\.[0-9.]+ +1\.[0-9]+ +yes' <<<\"$out\""
  check "plugins list: loads nothing (no migration ran)" \
    bash -c "[ -z \"\$(sqlite3 '$work/cli.db' \"SELECT name FROM sqlite_master WHERE name LIKE 'hello_%'\")\" ]"
  out="$("$atrium" plugins disable hello --db "$db" --plugin-path "$plugins_dir" 2>&1)"; rc=$?
  check "plugins disable ID: disables it as a whole" bash -c "[ $rc -eq 0 ] && grep -q 'as a whole' <<<\"$out\""
  out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins_dir" 2>&1)"
  check "plugins list: shows it disabled" grep -Eq '^hello +[0-9.]+ +[0-9.]+ +no' <<<"$out"
  out="$(ATRIUM_PLUGIN_PATH="$plugins_dir" "$atrium" migrate --db "$db" 2>&1)"
  check "a disabled plugin is not initialised by the next host" grep -q "plugin hello .*disabled" <<<"$out"
  check "... and its migrations did not run" \
    bash -c "[ -z \"\$(sqlite3 '$work/cli.db' \"SELECT name FROM sqlite_master WHERE name LIKE 'hello_%'\")\" ]"
  "$atrium" plugins enable hello --db "$db" --plugin-path "$plugins_dir" >/dev/null 2>&1
  out="$(ATRIUM_PLUGIN_PATH="$plugins_dir" "$atrium" migrate --db "$db" 2>&1)"
  check "plugins enable ID: the next host loads it" grep -q "plugin hello .*loaded" <<<"$out"
  out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins_dir" 2>&1)"
  check "plugins list: reports the last load" grep -Eq '^hello +[0-9.]+ +[0-9.]+ +yes +loaded' <<<"$out"
else
  bad "the hello example is not built at $hello_built"
fi
err="$("$atrium" plugins disable nosuch --db "$db" --plugin-path "$plugins_dir" 2>&1)"; rc=$?
check "plugins disable of an unknown id: non-zero with what to do" bash -c "[ $rc -ne 0 ] && grep -q 'atrium plugins list' <<<\"$err\""
mkdir -p "$plugins_dir/broken"
printf '{\n  "id": "broken",\n  "name": }\n' >"$plugins_dir/broken/atrium-plugin.json"
out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins_dir" 2>&1)"
check "a manifest parse error names the file, line and column" \
  grep -q "broken/atrium-plugin.json is not valid JSON: line 3, column 11" <<<"$out"
cat >"$work/atrium.properties" <<CONF
atrium.plugins.hello.default_language = zh-CN
atrium.plugins.nosuch.colour = blue
plugins.hello.greeting = hi
CONF
out="$("$atrium" plugins list --db "$db" --plugin-path "$plugins_dir" --config "$work/atrium.properties" 2>&1)"
check "config: a key for a plugin that is not installed is warned about" grep -q "warning: configuration key atrium.plugins.nosuch.colour is for plugin 'nosuch', which is not installed" <<<"$out"
check "config: a plugins.* key outside atrium. is warned about" grep -q "plugins.hello.greeting is ignored: .*atrium.plugins.hello.greeting" <<<"$out"
check "config: a key of an installed plugin is not" bash -c "! grep -q 'default_language' <<<\"$out\""
port3="$(free_port)"
"$atrium" serve --db "$db" --listen "127.0.0.1:$port3" --plugin-path "$plugins_dir" --config "$work/atrium.properties" >"$work/serve3.log" 2>&1 &
third=$!
pids+=("$third")
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port3/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
kill -TERM "$third"; wait "$third"
check "config: serve logs the unknown plugin key as a warning" grep -q "Warning atrium.config: configuration key atrium.plugins.nosuch.colour" "$work/serve3.log"

# ---- a database folder that does not exist ------------------------------------------------------
err="$("$atrium" serve --db "sqlite:$work/missing-folder/atrium.db" --listen "127.0.0.1:$(free_port)" 2>&1)"; rc=$?
check "a missing SQLite folder: non-zero, says the folder is missing" \
  bash -c "[ $rc -ne 0 ] && grep -q 'missing-folder' <<<\"$err\" && grep -q 'does not exist' <<<\"$err\" && ! grep -q 'migration' <<<\"$err\""
check "... and creates nothing" test ! -e "$work/missing-folder"
out="$("$atrium" init --db "sqlite:$work/new-folder/atrium.db" 2>&1)"; rc=$?
check "init creates the folder of a new SQLite database" bash -c "[ $rc -eq 0 ] && [ -f '$work/new-folder/atrium.db' ]"

sqlite3 "$work/cli.db" "INSERT INTO atrium_schema_migrations (owner, version, name, applied_at) VALUES ('core', 999, 'future', '2030-01-01 00:00:00')"
err="$("$atrium" serve --db "$db" --listen "127.0.0.1:$(free_port)" 2>&1)"; rc=$?
check "a newer schema is refused with a sentence" bash -c "[ $rc -ne 0 ] && grep -q 'run a newer atrium' <<<\"$err\""

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
