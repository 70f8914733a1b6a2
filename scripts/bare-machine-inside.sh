#!/usr/bin/env bash
# Inside the bare container of scripts/bare-machine-test.sh: the README's two commands, timed, on a
# clone of the repository mounted at /src, then a login through the load balancers.
set -euo pipefail
log() { printf '\n==> bare machine: %s\n' "$*"; }

ln -sf /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ln -sf /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
for tool in gcc g++ make python3 redis-server nginx; do
  if command -v "$tool" >/dev/null; then
    echo "bare machine: $tool is already here; this is not a bare machine" >&2
    exit 1
  fi
done

git clone --quiet /src /root/twofold
cd /root/twofold
log "$(git log -1 --format='%h %s')"

# TWOFOLD_BARE_ONLY_START=true (a quicker look while developing): npm start and the login only.
test_seconds=0 passed=skipped failed=skipped
if [[ "${TWOFOLD_BARE_ONLY_START:-false}" != true ]]; then
  log "npm test"
  started=$SECONDS
  set +e
  npm test 2>&1 | tee /tmp/npm-test.log
  test_status=${PIPESTATUS[0]}
  set -e
  test_seconds=$((SECONDS - started))
  passed="$(grep -E '^# pass ' /tmp/npm-test.log | tail -1 | cut -d' ' -f3)"
  failed="$(grep -E '^# fail ' /tmp/npm-test.log | tail -1 | cut -d' ' -f3)"
  log "npm test: exit $test_status in ${test_seconds} s: ${passed:-?} passed, ${failed:-?} failed"
  ((test_status == 0)) || exit "$test_status"
fi

log "npm start"
started=$SECONDS
npm start >/tmp/npm-start.log 2>&1 &
start_pid=$!
healthy=""
for _ in $(seq 1 300); do
  if ! kill -0 "$start_pid" 2>/dev/null; then
    cat /tmp/npm-start.log
    echo "bare machine: npm start exited before the cluster was up" >&2
    exit 1
  fi
  if node bin/twofold.js status --json >/tmp/status.json 2>/dev/null &&
    node -e 'const m = JSON.parse(require("fs").readFileSync("/tmp/status.json", "utf8")); process.exit(m.length > 0 && m.every((x) => x.healthy) ? 0 : 1)'; then
    healthy=yes
    break
  fi
  sleep 1
done
start_seconds=$((SECONDS - started))
if [[ -z "$healthy" ]]; then
  cat /tmp/npm-start.log
  node bin/twofold.js status || true
  echo "bare machine: the cluster was not healthy ${start_seconds} s after npm start" >&2
  exit 1
fi
node bin/twofold.js status
log "npm start: every member healthy ${start_seconds} s after the command"

node --import tsx scripts/login-smoke.ts http://127.0.0.1:8080 http://127.0.0.1:8081
node bin/twofold.js down
wait "$start_pid" || true
log "passed: npm test ${test_seconds} s (${passed} passed, ${failed} failed); npm start ${start_seconds} s to a healthy cluster; a login through both load balancers"
