#!/usr/bin/env bash
# Runs one browser test against a fresh atrium server.
#
#   run-with-server.sh <atrium-binary> <work-dir> <test-file.mjs>
#
# Initialises a SQLite database in <work-dir>, starts `atrium serve` on a free loopback port,
# waits for /healthz, runs `node <test-file>` with ATRIUM_URL / ATRIUM_ADMIN_EMAIL /
# ATRIUM_ADMIN_PASSWORD set, then stops the server. Exit code is the test's.
#
# Environment (all optional):
#   ATRIUM_URL            use this running server instead of starting one
#   ATRIUM_ADMIN_EMAIL / ATRIUM_ADMIN_PASSWORD   credentials (defaults: admin@example.com / generated)
#   ATRIUM_INIT_ARGS      extra arguments for `atrium init`
#   ATRIUM_E2E_DEMO=1     also run `atrium demo --db …` ($ATRIUM_DEMO_ARGS) before serving; a test
#                         file whose first line is `// e2e: needs demo data` always gets it
#   ATRIUM_SERVE_ARGS     extra arguments for `atrium serve`
#   E2E_ARTIFACTS         screenshot directory (default build/e2e-artifacts)
# A test file with a line `// e2e: with example plugins` in its first three lines also gets the
# SDK example plugins (build/examples/plugins, e.g. hello) on the server's plugin path.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <atrium-binary> <work-dir> <test-file.mjs>" >&2
  exit 2
fi
atrium=$1
work=$2
test_file=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

export ATRIUM_ADMIN_EMAIL=${ATRIUM_ADMIN_EMAIL:-admin@example.com}
export ATRIUM_ADMIN_PASSWORD=${ATRIUM_ADMIN_PASSWORD:-E2e-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')-Pw}
export E2E_ARTIFACTS=${E2E_ARTIFACTS:-$repo/build/e2e-artifacts}

if [[ -n "${ATRIUM_URL:-}" ]]; then
  exec node "$test_file"
fi

if [[ ! -x "$atrium" ]]; then
  echo "run-with-server: atrium binary not found: $atrium" >&2
  exit 2
fi
if [[ ! -d "$repo/web/node_modules/playwright-core" || ! -f "$repo/web/node_modules/echarts/dist/echarts.min.js" ]]; then
  echo "run-with-server: installing web dependencies (npm ci in web/)" >&2
  (cd "$repo/web" && npm ci --no-audit --no-fund --loglevel=error) >&2 \
    || { echo "run-with-server: npm ci failed; run it by hand: npm ci --prefix web" >&2; exit 2; }
fi
if [[ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then
  echo "run-with-server: ${CHROMIUM_PATH:-/usr/bin/chromium} missing; install Debian's chromium package" >&2
  exit 2
fi

mkdir -p "$work"
rm -f "$work"/e2e.db "$work"/e2e.db-* "$work"/server.log
db="sqlite:$work/e2e.db"
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export ATRIUM_URL="http://127.0.0.1:$port"

# shellcheck disable=SC2086
"$atrium" init --db "$db" --admin-email "$ATRIUM_ADMIN_EMAIL" --admin-password "$ATRIUM_ADMIN_PASSWORD" ${ATRIUM_INIT_ARGS:-} \
  >"$work/init.log" 2>&1 || { echo "run-with-server: atrium init failed:" >&2; cat "$work/init.log" >&2; exit 1; }

if [[ "${ATRIUM_E2E_DEMO:-0}" == 1 ]] || head -n 1 "$test_file" | grep -q '^// e2e: needs demo data'; then
  # shellcheck disable=SC2086
  "$atrium" demo --db "$db" ${ATRIUM_DEMO_ARGS:-} >"$work/demo.log" 2>&1 \
    || { echo "run-with-server: atrium demo failed:" >&2; tail -n 40 "$work/demo.log" >&2; exit 1; }
fi

if head -n 3 "$test_file" | grep -q '^// e2e: with example plugins'; then
  bin_dir=$(cd "$(dirname "$atrium")" && pwd)
  if [[ ! -d "$bin_dir/../examples/plugins" ]]; then
    echo "run-with-server: $bin_dir/../examples/plugins is missing; build the SDK example (target hello)" >&2
    exit 2
  fi
  export ATRIUM_PLUGIN_PATH="${ATRIUM_PLUGIN_PATH:-$(cd "$bin_dir/../plugins" && pwd)}:$(cd "$bin_dir/../examples/plugins" && pwd)"
fi

# Start from the repository root so a relative default web root resolves.
cd "$repo"
# shellcheck disable=SC2086
"$atrium" serve --db "$db" --listen "127.0.0.1:$port" ${ATRIUM_SERVE_ARGS:-} >"$work/server.log" 2>&1 &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
}
trap stop EXIT

ready=0
for _ in $(seq 1 150); do
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  if node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$ATRIUM_URL/healthz"; then ready=1; break; fi
  sleep 0.2
done
if [[ $ready -ne 1 ]]; then
  echo "run-with-server: server did not become healthy at $ATRIUM_URL" >&2
  tail -n 50 "$work/server.log" >&2 || true
  exit 1
fi

status=0
node "$test_file" || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- last server log lines ($work/server.log) ---" >&2
  tail -n 40 "$work/server.log" >&2 || true
fi
exit $status
