#!/usr/bin/env bash
# bench/resolve/run.sh [BUILD_DIR] [RUNS]
#
# The same resolution by `wheelhouse lock` and by pip (`pip install --dry-run --ignore-installed --report -`,
# pip 24.2 on pyenv's Python 3.13, the same target flags), on the same nginx-served index: the generated Airflow
# index of tests/integration/test_lock.py (each of the 785 pinned projects at its pinned version and a newer
# one) with four provider top-level requirements and the Airflow constraints. Cold: empty caches (wheelhouse:
# a fresh WHEELHOUSE_CACHE_DIR; pip: --no-cache-dir). Warm: the caches of a previous run. nginx sends
# "Cache-Control: max-age=600" on project pages, as PyPI does: wheelhouse uses a page as is within that
# lifetime (and core metadata from its content-addressed store), while pip revalidates every page (it asks
# with "Cache-Control: max-age=0") and re-reads its HTTP cache.
# Prints the median wall time of RUNS runs (default 3) and the ratios. Not a test: absolute times on a shared
# machine are noise, the ratio is the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/lock}"
runs="${2:-3}"
wheelhouse="$build/src/wheelhouse"
pip_python="${PIP_PYTHON:-/root/.pyenv/versions/3.13.0/bin/python3}"
[ -x "$wheelhouse" ] || { echo "build wheelhouse first: cmake --build $build --target wheelhouse" >&2; exit 1; }
work="$(mktemp -d)"
trap 'scripts_stop; rm -rf "$work"' EXIT
scripts_stop() { "$root/scripts/index-server" stop "$work/server" >/dev/null 2>&1 || true; }
WHEELHOUSE_INDEX_MAX_AGE=600 "$root/scripts/index-server" start "$work/server" 0 >/dev/null 2>&1

python3 - "$root" "$work" "$wheelhouse" "$pip_python" "$runs" <<'PY'
import json, os, statistics, subprocess, sys, time
from pathlib import Path
root, work, wheelhouse, pip_python, runs = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
sys.path.insert(0, str(root / "tests/integration"))
import test_lock
description, pins, top = test_lock.airflow_index(root)
info = json.loads((work / "server/servers.json").read_text())
test_lock.build_tree(root, description, Path(info["tree"]) / "airflow")
index = f"http://127.0.0.1:{info['http_port']}/airflow/simple"
constraints = root / "fixtures/resolve/airflow/constraints-3.11.txt"
(work / "requirements.txt").write_text("".join(t + "\n" for t in top))
env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
platforms = [f"manylinux_2_{m}_x86_64" for m in range(34, 4, -1)] + ["manylinux2014_x86_64", "manylinux2010_x86_64",
             "manylinux1_x86_64", "linux_x86_64"]

def ours(cache):
    cmd = [wheelhouse, "lock", "-r", str(work / "requirements.txt"), "-i", index, "--trusted-host", "127.0.0.1",
           "--python-version", "3.11", "--platform", "manylinux_2_34_x86_64", "--airflow-constraints", str(constraints),
           "-o", str(work / "lock.json"), "--json"]
    e = dict(env, WHEELHOUSE_CACHE_DIR=str(cache))
    t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True, env=e); t = time.perf_counter() - t
    assert r.returncode == 0, r.stderr
    return t, {p["name"]: p["version"] for p in json.loads(r.stdout)["packages"]}

def pip(cache):
    cmd = [pip_python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--report", "-", "--quiet",
           "--only-binary=:all:", "--python-version", "3.11", "--index-url", index, "--disable-pip-version-check",
           "-c", str(constraints), "-r", str(work / "requirements.txt")]
    for p in platforms: cmd += ["--platform", p]
    cmd += ["--no-cache-dir"] if cache is None else ["--cache-dir", str(cache)]
    t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True, env=env); t = time.perf_counter() - t
    assert r.returncode == 0, r.stderr
    return t, {test_lock.normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in json.loads(r.stdout)["install"]}

import shutil
rows = {}
for label in ("cold", "warm"):
    w, p = [], []
    for i in range(runs):
        wc, pc = work / f"wh-cache-{i}", work / f"pip-cache-{i}"
        if label == "cold":
            shutil.rmtree(wc, ignore_errors=True)
            tw, setw = ours(wc); tp, setp = pip(None)
        else:
            ours(wc); pip(pc)  # fill the caches
            tw, setw = ours(wc); tp, setp = pip(pc)
        assert setw == setp, f"different sets: {sorted(set(setw.items()) ^ set(setp.items()))[:10]}"
        w.append(tw); p.append(tp)
    rows[label] = (statistics.median(w), statistics.median(p))
print(f"resolution of {len(top)} providers under {len(pins)} Airflow pins ({len(setw)} packages, same set from both)")
print(f"{'':6} {'wheelhouse':>12} {'pip':>10} {'ratio':>8}")
for label, (tw, tp) in rows.items():
    print(f"{label:6} {tw:11.3f}s {tp:9.3f}s {tp / tw:7.1f}x")
PY
