#!/usr/bin/env bash
# Benchmark (not a test): 200 index pages + 200 PEP 658 metadata files from the local nginx index, fetched
# by the index client (parallel, HTTP/2, one connection pool) versus one `curl` per file in sequence.
#   bench/index/run.sh [PROJECTS] [RUNS]      (defaults 200 and 5; prints the median of each and the ratio)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
projects=${1:-200}
runs=${2:-5}
work="$root/build/bench-index"
state="$work/index-server"
mkdir -p "$work"

cmake -S "$root/bench/index" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j2 --target probe_index >/dev/null
probe="$work/build/probe_index"

python3 - "$projects" > "$work/packages.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"packages": [{"name": f"bench-{i:03d}", "versions": [{"version": "1.0", "requires_dist": ["six"]}]}
                               for i in range(n)]}))
PY
python3 -c "import json,sys; [print(p['name']) for p in json.load(open(sys.argv[1]))['packages']]" \
  "$work/packages.json" > "$work/projects.txt"

"$root/scripts/index-server" start "$state" 0 "$work/packages.json" 2>/dev/null
trap '"$root/scripts/index-server" stop "$state"' EXIT
port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['https_port'])" "$state/servers.json")
ca="$state/tls/ca.pem"
index="https://127.0.0.1:$port/simple/"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

wh_times=()
for _ in $(seq "$runs"); do
  out=$("$probe" "$index" "$ca" < "$work/projects.txt")
  wh_times+=("$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")")
done
echo "wheelhouse: $out"

curl_times=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  while read -r name; do
    curl -sf --cacert "$ca" -H 'Accept: application/vnd.pypi.simple.v1+json' -o /dev/null "$index$name/"
    wheel="bench_${name#bench-}-1.0-py3-none-any.whl"
    curl -sf --cacert "$ca" -o /dev/null "https://127.0.0.1:$port/files/${wheel}.metadata"
  done < "$work/projects.txt"
  end=$(date +%s.%N)
  curl_times+=("$(echo "$end - $start" | bc -l)")
done

wh=$(printf '%s\n' "${wh_times[@]}" | median)
cu=$(printf '%s\n' "${curl_times[@]}" | median)
printf 'pages=%s metadata=%s runs=%s\n' "$projects" "$projects" "$runs"
printf 'wheelhouse index client: median %.3f s\n' "$wh"
printf 'sequential curl:         median %.3f s\n' "$cu"
printf 'ratio (curl / wheelhouse): %.1fx\n' "$(echo "$cu / $wh" | bc -l)"
