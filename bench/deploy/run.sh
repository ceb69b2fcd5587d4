#!/usr/bin/env bash
# bench/deploy/run.sh [SIZE_MB] [RUNS]: upload the same file (default 1024 MB, 3 runs each) to a local Ceph RGW
# with `wheelhouse deploy` (plugins.zip of a dist/ holding that file, SSE-KMS) and with Debian's `aws s3 cp`
# (/usr/bin/aws, the same SSE-KMS key), alternating, and report for each the median wall time, the median CPU
# time of the client process (user + system, /usr/bin/time) per GiB, the ratios and the peak RSS. Not a test:
# absolute times on a shared machine are noise, the ratios from one run are the numbers to read.
# WHEELHOUSE_BASELINE_BIN names a second wheelhouse binary (an older build) measured the same way in the same run.
# RGW here is plain http: every client signs its payloads (SHA-256) there, as botocore does over http.
#
# Uses a running RGW if WHEELHOUSE_S3_SERVER names its server.json, else starts one (scripts/s3-server) under
# build/bench-deploy/rgw and stops it at the end. Builds a Release wheelhouse in build/bench-deploy, unless
# WHEELHOUSE_BIN names one.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
size_mb=${1:-1024}
runs=${2:-3}
work="$root/build/bench-deploy"
mkdir -p "$work"

[ -x /usr/bin/aws ] || { echo "bench: /usr/bin/aws missing (apt-get install awscli; scripts/setup installs it)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

if [ -n "${WHEELHOUSE_BIN:-}" ]; then
  wh=$WHEELHOUSE_BIN  # an existing Release binary, e.g. build/release/src/wheelhouse
else
  echo "bench: building a Release wheelhouse in $work/build" >&2
  cmake -S "$root" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWHEELHOUSE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$work/build" -j2 --target wheelhouse >/dev/null
  wh="$work/build/src/wheelhouse"
fi

started=""
server_json=${WHEELHOUSE_S3_SERVER:-}
if [ -z "$server_json" ]; then
  "$root/scripts/s3-server" start rgw "$work/rgw"
  started="$work/rgw"
  server_json="$work/rgw/server.json"
fi
cleanup() {
  rm -rf "$work/dist"
  [ -z "$started" ] || "$root/scripts/s3-server" stop "$started"
}
trap cleanup EXIT

eval "$(/usr/bin/python3 - "$server_json" <<'EOF'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
if d["kind"] != "rgw": sys.exit("bench: needs RGW (SSE-KMS), got " + d["kind"])
for k, v in (("AWS_ACCESS_KEY_ID", d["access_key"]), ("AWS_SECRET_ACCESS_KEY", d["secret_key"]),
             ("ENDPOINT", d["endpoint"]), ("KMS", d["kms_key_id"]), ("AWS_DEFAULT_REGION", d["region"])):
    print("export %s=%s" % (k, shlex.quote(v)))
EOF
)"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
aws=(/usr/bin/aws --endpoint-url "$ENDPOINT")

bucket="bench-deploy-$(date +%s)"
"${aws[@]}" s3api create-bucket --bucket "$bucket" >/dev/null
"${aws[@]}" s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled

mkdir -p "$work/dist"
echo "bench: writing a ${size_mb} MB random plugins.zip" >&2
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$work/dist/plugins.zip"
printf -- '--no-index\nfoo==1.0\n' >"$work/dist/requirements.txt"
cat "$work/dist/plugins.zip" >/dev/null  # both tools then read from the page cache

measure() {  # label logfile command...: prints "seconds peak_rss_kb cpu_seconds"
  local log=$2; shift 2
  /usr/bin/time -v -o "$log.time" "$@" >"$log.out" 2>"$log.err" || { cat "$log.err" >&2; exit 1; }
  /usr/bin/python3 - "$log.time" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
cpu = float(re.search(r"User time \(seconds\): (\S+)", t).group(1)) + \
      float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
print("%.3f %d %.3f" % (secs, rss, cpu))
EOF
}

results="$work/results.txt"
: >"$results"
for i in $(seq "$runs"); do
  # A fresh prefix each run, so that wheelhouse really uploads (it skips unchanged content).
  read -r t r c < <(measure wheelhouse "$work/wh-$i" "$wh" deploy "$work/dist" --bucket "$bucket" --prefix "wh-$i" \
                    --kms-key-id "$KMS" --force --endpoint-url "$ENDPOINT" --json)
  echo "wheelhouse $t $r $c" | tee -a "$results" >&2
  if [ -n "${WHEELHOUSE_BASELINE_BIN:-}" ]; then
    read -r t r c < <(measure baseline "$work/base-$i" "$WHEELHOUSE_BASELINE_BIN" deploy "$work/dist" \
                      --bucket "$bucket" --prefix "base-$i" --kms-key-id "$KMS" --force --endpoint-url "$ENDPOINT" --json)
    echo "baseline   $t $r $c" | tee -a "$results" >&2
  fi
  read -r t r c < <(measure aws "$work/aws-$i" "${aws[@]}" s3 cp "$work/dist/plugins.zip" \
                    "s3://$bucket/aws-$i/plugins.zip" --sse aws:kms --sse-kms-key-id "$KMS" --no-progress)
  echo "aws        $t $r $c" | tee -a "$results" >&2
done

/usr/bin/python3 - "$results" "$size_mb" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
mb = float(sys.argv[2])
gib = mb / 1024
tools = [t for t in ("wheelhouse", "baseline", "aws") if any(r[0] == t for r in rows)]
def med(tool, col): return statistics.median(float(r[col]) for r in rows if r[0] == tool)
print("upload of %d MB to RGW (plain http, SSE-KMS), median of %d runs each"
      % (mb, len([r for r in rows if r[0] == "aws"])))
label = {"wheelhouse": "wheelhouse deploy", "baseline": "wheelhouse (baseline)", "aws": "aws s3 cp"}
for tool in tools:
    w, c = med(tool, 1), med(tool, 3)
    rss = max(int(r[2]) for r in rows if r[0] == tool)
    print("  %-22s: %7.2f s  %7.1f MB/s  CPU %6.2f s = %5.2f CPU-s/GiB  peak RSS %6.1f MB"
          % (label[tool], w, mb / w, c, c / gib, rss / 1024))
a_w, a_c = med("aws", 1), med("aws", 3)
for tool in tools:
    if tool != "aws":
        print("  %s / aws s3 cp: wall %.2fx, CPU per byte %.2fx" % (label[tool], med(tool, 1) / a_w, med(tool, 3) / a_c))
EOF
