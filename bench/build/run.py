#!/usr/bin/env python3
"""Build benchmark (not a test): `wheelhouse build` cold and warm vs the manual way vs the limit.

    python3 bench/build/run.py [--build-dir DIR] [--runs 3] [--seed 1] [--projects 170] [--total-mb 400]
                               [--network loopback,latency] [--latency-ms 30] [--jobs 16]
                               [--pip-python PY311] [--skip-pip] [--wheelhouse BINARY]

1. builds a Release `wheelhouse` in DIR (default build/bench-build);
2. generates the data set once into DIR/bench-build-data (bench/build/make_dataset.py writes the description,
   tests/support/make_index.py the wheels and the PEP 503/691 index with PEP 658 metadata; regenerated only
   when the description changes) and serves it with scripts/index-server (nginx);
3. for each network, --runs times each, measures (wall time, peak RSS through /usr/bin/time -v):
   - wheelhouse cold: `wheelhouse build -r requirements.txt --python-version 3.11 --platform
     manylinux_2_34_x86_64 --no-airflow-constraints -i INDEX --trusted-host 127.0.0.1 -o out/` with an empty
     WHEELHOUSE_CACHE_DIR;
   - wheelhouse warm: the same with the cache the cold run left;
   - the manual way: `pip download --only-binary=:all: --platform P ... (every manylinux level from 2_34 down to
     manylinux1, and linux_x86_64) --python-version 3.11 --no-cache-dir -d dir -r requirements.txt -i INDEX`,
     then `zip -r` of the folder (zip's default compression, as users do);
   - the limit: `curl --parallel --parallel-max 16` of exactly the wheel URLs wheelhouse chose (from its
     build-report.json), `sha256sum` of them, then `zip -0`;
   and checks that pip and wheelhouse chose the same files (the same file names) and curl got the same bytes;
4. prints, per network, the medians, the ratios against the goals of issue 7, a Markdown table for the README,
   and wheelhouse's own phase timings (build-report.json) to show where its time goes.
Networks: `loopback` talks to nginx directly; `latency` goes through tests/support/fault_proxy.py (the proxy
scripts/index-server starts) with `latency=MS,connect-latency=MS`: MS before each response and MS when a
connection is accepted, like a WAN round trip (this kernel has no netem). The proxy is a single Python process
that buffers each answer, so it also caps the bandwidth: it does so for every contender alike.

pip is pyenv's Python 3.11 (pip 23.2.1) by default: pip evaluates environment markers against the interpreter it
runs on, so a pip on another Python would resolve python_version markers differently from the 3.11 target.
Absolute times on a shared 2-core machine are noise; the ratios measured in one run are what to read.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = ([f"manylinux_2_{m}_x86_64" for m in range(34, 4, -1)]
             + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"])
STEPS = ["wh_cold", "wh_warm", "pip_download", "pip_zip", "curl", "sha256sum", "zip0"]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, cwd=None, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS in MB, stdout)."""
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + [str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-2000:] + p.stderr[-4000:])
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    return wall, rss, p.stdout


def clean_env():
    """The environment without PIP_* (the machine sets PIP_FIND_LINKS, which both tools would honour)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def prepare_data(data, args):
    """The description, requirements and index tree in DATA; the tree is rebuilt only when the description changed."""
    desc_dir = data / "description"
    run([sys.executable, str(ROOT / "bench" / "build" / "make_dataset.py"), str(desc_dir), "--seed", str(args.seed),
         "--projects", str(args.projects), "--total-mb", str(args.total_mb)])
    tree = data / "tree"
    desc = (desc_dir / "packages.json").read_bytes()
    stamp = data / "tree.stamp"
    key = hashlib.sha256(desc + (ROOT / "tests" / "support" / "make_index.py").read_bytes()).hexdigest()
    if not (tree / "manifest.json").exists() or not stamp.exists() or stamp.read_text().strip() != key:
        print(f"generating the index tree in {tree} ...", file=sys.stderr, flush=True)
        shutil.rmtree(tree, ignore_errors=True)
        t = time.monotonic()
        run([sys.executable, str(ROOT / "tests" / "support" / "make_index.py"), str(desc_dir / "packages.json"),
             str(tree)], stdout=subprocess.DEVNULL)
        stamp.write_text(key + "\n")
        print(f"  done in {time.monotonic() - t:.1f} s", file=sys.stderr, flush=True)
    return desc_dir, tree


def set_proxy_fault(port, spec):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_control/fault", data=spec.encode(), method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def measure(network, index, work, wheelhouse, requirements, args, expected):
    """--runs rounds of every step; returns {step: [(wall, rss)]} and the last rounds' details."""
    env = clean_env()
    results = {s: [] for s in STEPS}
    reports = []
    cache = work / "wh-cache"
    for i in range(args.runs):
        # wheelhouse, cold then warm.
        shutil.rmtree(cache, ignore_errors=True)
        wh_env = dict(env, WHEELHOUSE_CACHE_DIR=str(cache))
        cmd = [wheelhouse, "build", "-r", requirements, "--python-version", "3.11", "--platform",
               "manylinux_2_34_x86_64", "--no-airflow-constraints", "-i", index, "--trusted-host", "127.0.0.1",
               "-j", str(args.jobs), "-q"]
        for step in ("wh_cold", "wh_warm"):
            out = work / f"out-{step}"
            shutil.rmtree(out, ignore_errors=True)
            wall, rss, _ = timed(cmd + ["-o", out], env=wh_env)
            results[step].append((wall, rss))
            report = json.loads((out / "build-report.json").read_text())
            reports.append((step, report))
        packages = report["packages"]
        chosen = sorted(p["filename"] for p in packages)
        wh_zip = work / "out-wh_warm" / "plugins.zip"
        if i == 0:
            cold_zip = (work / "out-wh_cold" / "plugins.zip").read_bytes()
            assert cold_zip == wh_zip.read_bytes(), "cold and warm plugins.zip differ"
            if chosen != expected["files"]:
                print(f"note: wheelhouse's set differs from the generator's intent: "
                      f"{sorted(set(chosen) ^ set(expected['files']))[:10]}", file=sys.stderr)

        # The manual way: pip download, then zip -r with zip's default compression.
        if not args.skip_pip:
            pip_dir = work / "pip-wheels"
            pip_zip = work / "pip-plugins.zip"
            shutil.rmtree(pip_dir, ignore_errors=True)
            pip_zip.unlink(missing_ok=True)
            cmd = [args.pip_python, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--python-version",
                   "3.11", "--no-cache-dir", "-d", pip_dir, "-r", requirements, "-i", index,
                   "--trusted-host", "127.0.0.1"]
            for p in PLATFORMS:
                cmd += ["--platform", p]
            results["pip_download"].append(timed(cmd, env=env)[:2])
            got = sorted(f.name for f in pip_dir.iterdir())
            if got != chosen:
                only_pip = sorted(set(got) - set(chosen))
                only_wh = sorted(set(chosen) - set(got))
                raise SystemExit(f"pip and wheelhouse chose different files: only pip {only_pip[:10]}, "
                                 f"only wheelhouse {only_wh[:10]}")
            results["pip_zip"].append(timed(["zip", "-q", "-r", pip_zip, "."], cwd=pip_dir, env=env)[:2])

        # The limit: the same URLs with curl --parallel, sha256sum, zip -0.
        curl_dir = work / "curl-wheels"
        limit_zip = work / "limit.zip"
        shutil.rmtree(curl_dir, ignore_errors=True)
        curl_dir.mkdir()
        limit_zip.unlink(missing_ok=True)
        cfg = work / "curl.cfg"
        cfg.write_text("".join(f'url = "{p["url"]}"\noutput = "{curl_dir / p["filename"]}"\n' for p in packages))
        results["curl"].append(timed(["curl", "-sS", "--fail", "--parallel", "--parallel-max", str(args.jobs),
                                      "-K", cfg], env=env)[:2])
        wall, rss, out = timed(["sha256sum", "--"] + chosen, cwd=curl_dir, env=env)
        results["sha256sum"].append((wall, rss))
        sums = dict(reversed(line.split(None, 1)) for line in out.splitlines())
        bad = [p["filename"] for p in packages if sums.get(p["filename"]) != p["sha256"]]
        assert not bad, f"curl got other bytes than wheelhouse reports: {bad[:5]}"
        results["zip0"].append(timed(["zip", "-q", "-0", "-r", limit_zip, "."], cwd=curl_dir, env=env)[:2])

        line = f"[{network}] run {i + 1}/{args.runs}: " + ", ".join(
            f"{s} {results[s][-1][0]:.2f}s" for s in STEPS if results[s])
        print(line, file=sys.stderr, flush=True)
    total_bytes = sum(p["size"] for p in packages)
    return results, reports, len(packages), total_bytes


def summarize(network, results, reports, count, total_bytes, args, latency_ms):
    def med(step, idx=0):
        values = [r[idx] for r in results[step]]
        return statistics.median(values) if values else float("nan")

    def peak(step):
        values = [r[1] for r in results[step]]
        return max(values) if values else float("nan")

    cold, warm = med("wh_cold"), med("wh_warm")
    manual = med("pip_download") + med("pip_zip")
    limit = med("curl") + med("sha256sum") + med("zip0")
    zip0 = med("zip0")
    wh_rss = max(peak("wh_cold"), peak("wh_warm"))
    label = "loopback" if network == "loopback" else f"latency proxy, {latency_ms} ms per connection and response"
    lines = []
    lines.append(f"== {label}: {count} wheels, {total_bytes / 1e6:.0f} MB, medians of {args.runs} runs ==")
    lines.append(f"{'':44}{'wall s':>9}{'peak RSS MB':>13}")
    rows = [("wheelhouse build, cold (empty cache)", cold, peak("wh_cold")),
            ("wheelhouse build, warm (cache of the cold run)", warm, peak("wh_warm"))]
    if not args.skip_pip:
        rows += [("manual: pip download + zip -r", manual, max(peak("pip_download"), peak("pip_zip"))),
                 ("  pip download", med("pip_download"), peak("pip_download")),
                 ("  zip -r (default compression)", med("pip_zip"), peak("pip_zip"))]
    rows += [("limit: curl --parallel + sha256sum + zip -0", limit,
              max(peak("curl"), peak("sha256sum"), peak("zip0"))),
             (f"  curl --parallel --parallel-max {args.jobs}", med("curl"), peak("curl")),
             ("  sha256sum", med("sha256sum"), peak("sha256sum")),
             ("  zip -0", zip0, peak("zip0"))]
    for name, wall, rss in rows:
        lines.append(f"{name:<48}{wall:>9.2f}{rss:>9.1f}")
    goal_manual = 5 if network == "loopback" else 10
    checks = []
    if not args.skip_pip:
        checks.append((f"manual / cold", manual / cold, f">= {goal_manual}x", manual / cold >= goal_manual))
    checks += [("cold / limit", cold / limit, "<= 2x", cold / limit <= 2),
               ("warm / zip -0", warm / zip0, "<= 1.5x", warm / zip0 <= 1.5)]
    for name, value, goal, ok in checks:
        lines.append(f"{name:<20}{value:>7.2f}x   goal {goal:<8} {'met' if ok else 'MISSED'}")
    lines.append(f"wheelhouse peak RSS {wh_rss:.1f} MB   goal < 100 MB   {'met' if wh_rss < 100 else 'MISSED'}")
    # Where wheelhouse's time goes, from its own report (medians).
    for step in ("wh_cold", "wh_warm"):
        t = [r["timings_ms"] for s, r in reports if s == step]
        parts = ", ".join(f"{k} {statistics.median(x[k] for x in t) / 1000:.2f}s"
                          for k in ("resolve", "fetch", "bundle", "total"))
        lines.append(f"{'cold' if step == 'wh_cold' else 'warm'} phases (build-report.json): {parts}")

    md = [f"| {label} ({count} wheels, {total_bytes / 1e6:.0f} MB) | wall | peak RSS |", "|---|---:|---:|"]
    md.append(f"| `wheelhouse build`, cold | {cold:.2f} s | {peak('wh_cold'):.0f} MB |")
    md.append(f"| `wheelhouse build`, warm | {warm:.2f} s | {peak('wh_warm'):.0f} MB |")
    if not args.skip_pip:
        md.append(f"| `pip download` + `zip -r` | {manual:.2f} s | {max(peak('pip_download'), peak('pip_zip')):.0f} MB |")
    md.append(f"| limit: `curl --parallel` + `sha256sum` + `zip -0` | {limit:.2f} s | "
              f"{max(peak('curl'), peak('sha256sum'), peak('zip0')):.0f} MB |")
    md.append(f"| `zip -0` alone | {zip0:.2f} s | {peak('zip0'):.0f} MB |")
    ratio = []
    if not args.skip_pip:
        ratio.append(f"manual/cold {manual / cold:.1f}x (goal ≥{goal_manual}x)")
    ratio += [f"cold/limit {cold / limit:.2f}x (goal ≤2x)", f"warm/`zip -0` {warm / zip0:.2f}x (goal ≤1.5x)"]
    md.append("")
    md.append("Ratios: " + ", ".join(ratio) + ".")
    return "\n".join(lines), "\n".join(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "bench-build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--projects", type=int, default=170)
    ap.add_argument("--total-mb", type=int, default=400)
    ap.add_argument("--network", default="loopback,latency")
    ap.add_argument("--latency-ms", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--pip-python", default="/root/.pyenv/versions/3.11.7/bin/python3")
    ap.add_argument("--skip-pip", action="store_true")
    ap.add_argument("--wheelhouse", help="benchmark this binary instead of building one in --build-dir")
    args = ap.parse_args()
    networks = [n for n in args.network.split(",") if n]
    if any(n not in ("loopback", "latency") for n in networks):
        ap.error("--network takes loopback and/or latency")
    for tool in ("/usr/bin/time", shutil.which("zip"), shutil.which("curl"), shutil.which("sha256sum")):
        if not tool or not os.path.exists(tool):
            raise SystemExit("bench: needs /usr/bin/time, zip, curl and sha256sum (scripts/setup installs them)")

    build = Path(args.build_dir).resolve()
    wheelhouse = Path(args.wheelhouse).resolve() if args.wheelhouse else build / "src" / "wheelhouse"
    if not args.wheelhouse:
        run(["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
             "-DWHEELHOUSE_BUILD_TESTS=OFF"], stdout=subprocess.DEVNULL)
        run(["cmake", "--build", str(build), "-j2", "--target", "wheelhouse"], stdout=subprocess.DEVNULL)
    data = build / "bench-build-data"
    data.mkdir(parents=True, exist_ok=True)
    desc_dir, tree = prepare_data(data, args)
    expected = json.loads((desc_dir / "expected.json").read_text())
    requirements = desc_dir / "requirements.txt"

    state = data / "server"
    server = [str(ROOT / "scripts" / "index-server")]
    outputs = []
    try:
        run(server + ["start", str(state), "0"], env=dict(os.environ, WHEELHOUSE_INDEX_TREE=str(tree)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info = json.loads((state / "servers.json").read_text())
        for network in networks:
            if network == "loopback":
                port = info["http_port"]
            else:
                port = info["proxy_port"]
                set_proxy_fault(port, f"latency={args.latency_ms},connect-latency={args.latency_ms}")
            work = data / f"work-{network}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            index = f"http://127.0.0.1:{port}/simple"
            results, reports, count, total_bytes = measure(network, index, work, str(wheelhouse), str(requirements),
                                                           args, expected)
            text, md = summarize(network, results, reports, count, total_bytes, args, args.latency_ms)
            print(text, flush=True)
            print(flush=True)
            outputs.append(md)
            shutil.rmtree(work, ignore_errors=True)
    finally:
        subprocess.run(server + ["stop", str(state)], stdout=subprocess.DEVNULL)
    print("Markdown:\n")
    print("\n\n".join(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
