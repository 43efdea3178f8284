#!/usr/bin/env bash
# Runs the black-box leak probe (../shared/probe/leakprobe.mjs) against the built app, in HS256
# mode so it can mint valid tokens, once plain and once with a failing downstream. Passes only
# when the probe reports leaks=0 findings=0 in both modes.
set -euo pipefail
cd "$(dirname "$0")/.."
probe="${LEAKPROBE:-../shared/probe/leakprobe.mjs}"
if [ ! -f "$probe" ]; then
  echo "leak probe: $probe not found, skipped"
  exit 0
fi
[ -f dist/main.js ] || npm run build
args=(
  --cwd "$PWD" --start "node dist/main.js" --port "${LEAKPROBE_PORT:-3917}" --ready /health/live
  --env NODE_ENV=test --env DATABASE_URL=:memory: --env LOG_LEVEL=info
  # Two canaries: RFC 7518 wants 32+ bytes for HS256 and the app refuses less.
  --env 'JWT_SECRET={CANARY:jwt}{CANARY:jwt2}' --env JWT_ISSUER=leakprobe --env JWT_AUDIENCE=leakprobe-api
  --env JWT_ALGORITHMS=HS256 --env 'API_KEY_PEPPER={CANARY:pepper}{CANARY:pepper2}'
  --jwt-secret env:JWT_SECRET --jwt-typ at+jwt
  --jwt-claims '{"sub":"leakprobe","iss":"leakprobe","aud":"leakprobe-api","scope":"items:read items:write api-keys:admin"}'
)
status=0
for mode in plain downstream-errors; do
  extra=()
  [ "$mode" = downstream-errors ] && extra=(--downstream-errors)
  out=$(node "$probe" "${args[@]}" "${extra[@]}" 2>/dev/null) || true
  last=$(printf '%s\n' "$out" | tail -n 1)
  echo "leak probe ($mode): $last"
  if [[ "$last" != leaks=0\ findings=0\ * ]]; then
    printf '%s\n' "$out"
    status=1
  fi
done
exit $status
