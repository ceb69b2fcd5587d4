#!/usr/bin/env bash
# bench/image/run.sh [WHEELHOUSE_BIN]: the image-aware bundle against the whole closure, on the generated
# image-like index of tests/e2e/test_image.py with wheels of realistic sizes (log-normal, median 150 KB): wheels,
# plugins.zip size, unzip time and the time of MWAA's pip command on a venv that holds the image's package set.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-build/release/src/wheelhouse}"
exec python3 tests/e2e/test_image.py --wheelhouse "$bin" --fixtures fixtures --sizes
