#!/bin/sh
# A Sentinel of the twofold-sentinel StatefulSet, as deploy/src/sentinel.ts starts one locally:
# sentinel.conf rendered at every start from generated/sentinel.conf.template, keeping the id and the
# master this Sentinel wrote into its file (Sentinel rewrites it; it lives on the pod's volume).
set -eu

# The pod's paths (overridable for k8s/test/redis-scripts.test.ts, which runs this script with stubs).
TEMPLATE=${TEMPLATE_DIR:-/etc/twofold}/sentinel.conf.template
DATA=${DATA_DIR:-/data}
CONF=$DATA/sentinel.conf
USERS=${SECRETS_DIR:-/run/secrets/twofold}/redis-users
SENTINEL_USERS=${SECRETS_DIR:-/run/secrets/twofold}/sentinel-users

secret() { tr -d ' \t\r\n' <"$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

me="${POD_NAME}.${SENTINEL_SERVICE}"
first="${REDIS_STATEFULSET}-0.${REDIS_SERVICE}"

# The master: as another Sentinel says, else as this one last wrote down, else the first member.
master=""
for sentinel in $(echo "$SENTINELS" | tr ',' ' '); do
  host=${sentinel%:*}
  port=${sentinel##*:}
  [ "$host" = "$me" ] && continue
  answer=$(REDISCLI_AUTH="$(secret "$SENTINEL_USERS/admin")" timeout 3 redis-cli --user admin -h "$host" -p "$port" \
    --raw SENTINEL get-master-addr-by-name twofold 2>/dev/null | head -n 1) || answer=""
  case "$answer" in
    "" | *" "* | ERR* | NOAUTH* | WRONGPASS*) ;;
    *) master=$answer && break ;;
  esac
done
myid=""
if [ -f "$CONF" ]; then
  myid=$(sed -n 's/^sentinel myid \([0-9a-f]\{40\}\)$/\1/p' "$CONF")
  [ -n "$master" ] || master=$(sed -n 's/^sentinel monitor twofold \([^ ]*\) .*/\1/p' "$CONF")
fi
[ -n "$master" ] || master=$first
# Sentinel refuses to start on a name it cannot resolve: wait (a minute at most) for the master's pod.
tries=0
until getent hosts "$master" >/dev/null 2>&1 || [ "$tries" -ge "${RESOLVE_WAIT_SECONDS:-60}" ]; do
  tries=$((tries + 1))
  sleep 1
done

umask 077
{
  sed -e "s|@@ANNOUNCE_HOST@@|$me|g" -e "s|@@MASTER_HOST@@|$master|g" -e "s|^dir \"/data\"$|dir \"$DATA\"|" "$TEMPLATE"
  # Kept: a Sentinel that changes its id looks like a new one to the others.
  if [ -n "$myid" ]; then echo "sentinel myid $myid"; fi
} >"$CONF.next"
for user in admin client monitor; do
  password=$(secret "$SENTINEL_USERS/$user")
  case "$password" in
    "" | *[!A-Za-z0-9_-]*) echo "sentinel-start: the password of $user must be URL-safe base64" >&2 && exit 2 ;;
  esac
  sed -i -e "s|@@SENTINEL_HASH_${user}@@|$(sha256 "$password")|g" -e "s|@@SENTINEL_PASSWORD_${user}@@|$password|g" "$CONF.next"
done
password=$(secret "$USERS/sentinel")
sed -i -e "s|@@REDIS_PASSWORD_sentinel@@|$password|g" "$CONF.next"
if grep -q '@@[A-Za-z_]*@@' "$CONF.next"; then
  echo "sentinel-start: a placeholder was left in $CONF" >&2
  exit 2
fi
mv "$CONF.next" "$CONF"
echo "sentinel-start: $me monitors master $master"
exec "${REDIS_SENTINEL:-redis-sentinel}" "$CONF"
