#!/usr/bin/env bash
# run-fuzzer.sh FUZZER CORPUS_DIR SEEDS_DIR SECONDS
# Runs one libFuzzer target for SECONDS on a working corpus in the build tree, seeded from the
# committed seeds. Any crash, leak, timeout or out-of-memory makes libFuzzer exit non-zero.
set -euo pipefail
fuzzer=$1 corpus=$2 seeds=$3 seconds=$4
mkdir -p "$corpus"
args=("$corpus")
[ -d "$seeds" ] && args+=("$seeds")
artifacts="$(dirname "$corpus")/artifacts/$(basename "$corpus")/"
mkdir -p "$artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
     -artifact_prefix="$artifacts" -print_final_stats=1 "${args[@]}"
