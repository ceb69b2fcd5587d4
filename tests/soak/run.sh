#!/usr/bin/env bash
# tests/soak/run.sh [BUILDS] [DEPLOYS] [WHEELHOUSE]: the full chaos soak (default 1,000 builds and 200 deploys; see
# soak.py). The builds run first, without a server lock; the deploys then start a Ceph RGW under
# build/soak/rgw while holding /tmp/wheelhouse-rgw.lock (one RGW per host). Results: build/soak/*.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
builds=${1:-1000}
deploys=${2:-200}
wh=${3:-$root/build/release/src/wheelhouse}
work="$root/build/soak"
mkdir -p "$work"
seed=${SOAK_SEED:-$RANDOM$RANDOM}
/usr/bin/python3 "$root/tests/soak/soak.py" --wheelhouse "$wh" --fixtures "$root/fixtures" --builds "$builds" --workers 4 \
  --deploys 0 --seed "$seed" --json-out "$work/builds.json"
flock /tmp/wheelhouse-rgw.lock bash -c '
  set -e
  "$1/scripts/s3-server" start rgw "$2/rgw"
  trap "\"$1/scripts/s3-server\" stop \"$2/rgw\"" EXIT
  WHEELHOUSE_S3_SERVER="$2/rgw/server.json" /usr/bin/python3 "$1/tests/soak/soak.py" --wheelhouse "$3" \
    --fixtures "$1/fixtures" --builds 0 --deploys "$4" --seed "$5" --json-out "$2/deploys.json"
' _ "$root" "$work" "$wh" "$deploys" "$seed"
