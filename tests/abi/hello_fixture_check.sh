#!/usr/bin/env bash
# Run by atrium-plugin-test (the SDK's test fixture) the way a third-party author's CI would:
# the fixture's host serves the hello example; this script calls its routes with the token.
set -euo pipefail
: "${ATRIUM_URL:?run me through atrium-plugin-test}" "${ATRIUM_TOKEN:?}" "${ATRIUM_EMAIL:?}" "${ATRIUM_PASSWORD:?}" "${ATRIUM_DB:?}"
auth=(-H "Authorization: Bearer $ATRIUM_TOKEN")
curl -fsS "${auth[@]}" "$ATRIUM_URL/healthz" >/dev/null
text="fixture-$$"
curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -d "{\"text\":\"$text\",\"language\":\"en\"}" \
  "$ATRIUM_URL/api/v1/hello/greetings" >/dev/null
curl -fsS "${auth[@]}" "$ATRIUM_URL/api/v1/hello/greetings" | grep -q "$text"
# Without credentials the plugin's route is closed.
status="$(curl -s -o /dev/null -w '%{http_code}' "$ATRIUM_URL/api/v1/hello/greetings")"
[ "$status" = 401 ]
echo "hello served through the fixture"
