#!/usr/bin/env bash
# Checks the deployment files without a container engine:
# 1. docker-compose.yml is valid (`docker-compose config`, Debian's docker-compose package);
# 2. no secret-looking variable is set as a plain environment value (only `*_FILE` paths to
#    compose `secrets:`, which `docker inspect` does not show);
# 3. .dockerignore keeps local state, dev keys and env files out of the build context;
# 4. the Dockerfile lints clean (dockerfile-utils from npm; skipped when it cannot be fetched).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

resolved="$(mktemp)"
trap 'rm -f "$resolved"' EXIT
docker-compose -f docker-compose.yml config > "$resolved"
echo "deploy-check: docker-compose.yml is valid"

secretish='^ +[A-Z0-9_]*(SECRET|PASSWORD|PASSWD|PEPPER|TOKEN|_KEY|DATABASE_URL|REDIS_URL)[A-Z0-9_]*:'
if grep -E "$secretish" "$resolved" | grep -Ev '_FILE:'; then
  echo "deploy-check: the variables above hold secrets as plain values; use secrets: and *_FILE"
  fail=1
fi

for pattern in .data .env '.env.*' node_modules dist; do
  if ! grep -qxF -- "$pattern" .dockerignore; then
    echo "deploy-check: .dockerignore lacks $pattern"
    fail=1
  fi
done

if lint="$(npm exec --yes --package=dockerfile-utils@0.16.3 -- dockerfile-utils lint Dockerfile 2>&1)"; then
  if [ -n "$lint" ]; then
    printf '%s\n' "$lint"
    echo "deploy-check: Dockerfile lint findings above"
    fail=1
  else
    echo "deploy-check: Dockerfile lints clean (dockerfile-utils)"
  fi
else
  echo "deploy-check: no Dockerfile linter available, lint skipped"
fi

exit "$fail"
