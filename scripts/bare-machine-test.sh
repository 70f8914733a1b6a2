#!/usr/bin/env bash
# README's promise, tested as a newcomer meets it: in a bare Debian bookworm container (minbase plus
# ca-certificates and git; this machine's Node.js, npm and kubectl mounted in; no compiler, no other Debian
# package) clone this repository's committed HEAD, run `npm test`, then `npm start` and a login
# through the load balancers (scripts/bare-machine-inside.sh does that part).
# Runs as root: installs podman, mmdebstrap and runc when missing; the base image is built once
# from Debian packages (mmdebstrap) and kept as localhost/twofold-bare:bookworm (--rebuild: anew).
# Usage: bash scripts/bare-machine-test.sh [--rebuild]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${TWOFOLD_BARE_WORK:-/var/tmp/twofold-bare}"
image=localhost/twofold-bare:bookworm
log() { printf '\n==> bare machine: %s\n' "$*"; }

if [[ "$(id -u)" -ne 0 ]]; then
  echo "bare machine test: run as root (it installs podman and starts a container)" >&2
  exit 1
fi
missing=()
for tool in podman:podman mmdebstrap:mmdebstrap runc:runc; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  apt-get update -q </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
fi

mkdir -p "$work"
# This sandbox cannot raise limits, and podman's defaults are higher than what it allows (a process
# limit of the host's own hard value is refused too): 20000 files and 4096 processes, or the host's
# hard limits where lower; runc with cgroupfs works where systemd and crun do not.
at_most() { if [[ "$1" == unlimited ]] || (($1 > $2)); then echo "$2"; else echo "$1"; fi; }
files="$(at_most "$(ulimit -Hn)" 20000)"
processes="$(at_most "$(ulimit -Hu)" 4096)"
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$files:$files", "nproc=$processes:$processes"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$work/containers.conf"

if [[ "${1:-}" == --rebuild ]] || ! podman image exists "$image"; then
  log "building $image with mmdebstrap (Debian bookworm minbase + ca-certificates, git)"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,git bookworm "$work/base.tar"
  podman import --quiet "$work/base.tar" "$image" >/dev/null
  rm -f "$work/base.tar"
fi

# The npm registry is reached through this machine's extra certificate authorities, if it has any.
ca_args=()
shopt -s nullglob
extra_cas=(/usr/local/share/ca-certificates/*.crt)
if ((${#extra_cas[@]} > 0)); then
  cat "${extra_cas[@]}" >"$work/extra-ca.pem"
  ca_args=(-v "$work/extra-ca.pem:/etc/twofold-extra-ca.pem:ro" -e NODE_EXTRA_CA_CERTS=/etc/twofold-extra-ca.pem)
fi

node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
# kubectl comes with the machine, like Node.js (npm test renders the Kubernetes manifests with its
# kustomize; Debian's kubernetes-client is too old for them, and nothing else can be fetched here).
kubectl_args=()
if command -v kubectl >/dev/null; then
  kubectl_args=(-v "$(readlink -f "$(command -v kubectl)"):/usr/local/bin/kubectl:ro")
fi
log "running in a fresh container: node $("$node_bin" --version), npm from $npm_dir, repository $repo ($(git -C "$repo" rev-parse --short HEAD))"
podman run --rm --name "twofold-bare-$$" --shm-size=1g \
  -v "$node_bin:/usr/local/bin/node:ro" \
  -v "$npm_dir:/usr/local/lib/node_modules/npm:ro" \
  "${kubectl_args[@]}" \
  -v "$repo:/src:ro" \
  "${ca_args[@]}" \
  -e CI=true \
  -e TWOFOLD_BARE_ONLY_START="${TWOFOLD_BARE_ONLY_START:-false}" \
  -e npm_config_registry="$(npm config get registry)" \
  "$image" bash /src/scripts/bare-machine-inside.sh </dev/null
