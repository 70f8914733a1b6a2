#!/bin/sh
# Every Twofold image's entry point. Compose starts members in order but, with podman-compose or on a
# laptop's first run, not always after what they need: with TWOFOLD_WAIT_FOR=<file> a member waits
# (up to TWOFOLD_WAIT_SECONDS, default 300) for the file that the setup writes when its part is ready.
# With TWOFOLD_STATE_CONFIG=<name>, /etc/twofold/<name> is copied into /var/lib/twofold once: Redis and
# Sentinel rewrite their own config on failover, and what they wrote must survive a restart.
set -eu
if [ -n "${TWOFOLD_WAIT_FOR:-}" ]; then
  waited=0
  until [ -e "$TWOFOLD_WAIT_FOR" ]; do
    if [ "$waited" -ge "${TWOFOLD_WAIT_SECONDS:-300}" ]; then
      echo "twofold: $TWOFOLD_WAIT_FOR did not appear within ${waited} s; is the setup container done?" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
fi
if [ -n "${TWOFOLD_STATE_CONFIG:-}" ] && [ ! -e "/var/lib/twofold/$TWOFOLD_STATE_CONFIG" ]; then
  cp "/etc/twofold/$TWOFOLD_STATE_CONFIG" "/var/lib/twofold/$TWOFOLD_STATE_CONFIG"
  chmod 600 "/var/lib/twofold/$TWOFOLD_STATE_CONFIG"
fi
exec "$@"
