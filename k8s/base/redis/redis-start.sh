#!/bin/sh
# A Redis member of the twofold-redis StatefulSet, as deploy/src/redis.ts starts one locally: the
# config rendered at every start from generated/redis.conf.template (ACL users and the replication
# password from the mounted Secrets: the file holds password hashes only, but for masterauth), as the
# master or as a replica of the master the Sentinels name.
set -eu

# The pod's paths (overridable for k8s/test/redis-scripts.test.ts, which runs this script with stubs).
TEMPLATE=${TEMPLATE_DIR:-/etc/twofold}/redis.conf.template
DATA=${DATA_DIR:-/data}
CONF=$DATA/redis.conf
USERS=${SECRETS_DIR:-/run/secrets/twofold}/redis-users
SENTINEL_USERS=${SECRETS_DIR:-/run/secrets/twofold}/sentinel-users

secret() { tr -d ' \t\r\n' <"$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# This member's name, as the others and the replicas reach it (Kubernetes DNS, not an address).
me="${POD_NAME}.${REDIS_SERVICE}"
first="${REDIS_STATEFULSET}-0.${REDIS_SERVICE}"

# Who is master: the first Sentinel that knows says so.
master=""
for sentinel in $(echo "$SENTINELS" | tr ',' ' '); do
  host=${sentinel%:*}
  port=${sentinel##*:}
  answer=$(REDISCLI_AUTH="$(secret "$SENTINEL_USERS/admin")" timeout 3 redis-cli --user admin -h "$host" -p "$port" \
    --raw SENTINEL get-master-addr-by-name twofold 2>/dev/null | head -n 1) || answer=""
  case "$answer" in
    "" | *" "* | ERR* | NOAUTH* | WRONGPASS*) ;;
    *) master=$answer && break ;;
  esac
done
# No Sentinel knows (the first start, or all of them down): what this member was when it stopped
# (Sentinel rewrites the file it runs with), else the StatefulSet's first member.
if [ -z "$master" ]; then
  if [ -f "$CONF" ]; then
    master=$(sed -n 's/^replicaof \([^ ]*\) .*/\1/p' "$CONF" | tail -n 1)
    [ -n "$master" ] || master=$me
  else
    master=$first
  fi
fi

umask 077
{
  sed -e "s|@@ANNOUNCE_HOST@@|$me|g" -e "s|@@MASTER_HOST@@|$master|g" -e "s|^dir \"/data\"$|dir \"$DATA\"|" "$TEMPLATE" |
    if [ "$master" = "$me" ]; then sed -e '/^replicaof /d'; else cat; fi
  if [ -n "${REDIS_MAXMEMORY:-}" ]; then
    echo "# The container's memory limit, less headroom: past it writes are refused (noeviction)."
    echo "maxmemory $REDIS_MAXMEMORY"
  fi
} >"$CONF.next"
for user in auth push replication sentinel operator monitor; do
  password=$(secret "$USERS/$user")
  case "$password" in
    "" | *[!A-Za-z0-9_-]*) echo "redis-start: the password of $user must be URL-safe base64" >&2 && exit 2 ;;
  esac
  sed -i -e "s|@@REDIS_HASH_${user}@@|$(sha256 "$password")|g" -e "s|@@REDIS_PASSWORD_${user}@@|$password|g" "$CONF.next"
done
if grep -q '@@[A-Za-z_]*@@' "$CONF.next"; then
  echo "redis-start: a placeholder was left in $CONF" >&2
  exit 2
fi
mv "$CONF.next" "$CONF"
echo "redis-start: $me starts as $([ "$master" = "$me" ] && echo master || echo "a replica of $master")"
exec "${REDIS_SERVER:-redis-server}" "$CONF"
