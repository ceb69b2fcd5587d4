#!/usr/bin/env python3
"""Fetch benchmark (not a test): wheelhouse's fetch pipeline vs the practical limit vs pip download.

    python3 bench/fetch/run.py [--build-dir DIR] [--count 160] [--total-mb 300] [--runs 3] [--seed 1]
                               [--python PY311] [--jobs 16] [--skip-pip] [--data-set flat|build]
                               [--latency-ms MS]

1. builds bench/fetch/fetch_bench (Release, WHEELHOUSE_BUILD_BENCH=ON) in DIR (default build/bench-fetch);
2. generates a data set with tests/support/make_index.py in DIR/bench-fetch-data: --count wheels whose
   sizes follow a log-normal distribution scaled to --total-mb (incompressible payloads);
   with --data-set build, the data set of bench/build/run.py instead (bench/build/make_dataset.py: its
   --total-mb, --seed; --count is ignored) and its final wheel set (the files the requirements resolve to);
3. serves it with nginx (scripts/index-server, plain HTTP on loopback); with --latency-ms MS through the
   fault proxy scripts/index-server starts, adding MS per connection and per response (a WAN);
4. measures, --runs times each, cold (empty cache / output folder):
   - wheelhouse: fetch_bench (download + streaming sha256 + RECORD check + commit into the cache);
   - limit:      curl --parallel --parallel-max 16 of the same URLs, then sha256sum of the files;
   - pip:        pip download --no-deps --no-cache-dir of the same pins from the same index (Python 3.11);
   plus a warm wheelhouse run (everything cached); peak RSS of each through /usr/bin/time -v;
5. prints medians and ratios. The RECORD check's share is shown separately: its summed worker time, and the
   wall time spent after the last download waiting for it ("tail"); download+hash = wall - tail.

Absolute times on a shared machine are noise; the ratios from one run are what to read.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, cwd=None, env=None, shell=False):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS in MB, stdout)."""
    if shell:
        full = ["/usr/bin/time", "-v", "bash", "-c", cmd]
    else:
        full = ["/usr/bin/time", "-v"] + list(cmd)
    start = time.monotonic()
    p = subprocess.run(full, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"command failed ({p.returncode}): {cmd if shell else ' '.join(map(str, cmd))}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    return wall, rss, p.stdout


def make_description(count, total_mb, seed):
    rng = random.Random(seed)
    raw = [rng.lognormvariate(0.0, 1.3) for _ in range(count)]
    scale = total_mb * 1024 * 1024 / sum(raw)
    packages = []
    for i, r in enumerate(raw):
        packages.append({"name": f"bench-pkg-{i:03d}",
                         "versions": [{"version": "1.0", "payload_bytes": max(4096, int(r * scale))}]})
    return {"packages": packages}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "bench-fetch"))
    ap.add_argument("--count", type=int, default=160)
    ap.add_argument("--total-mb", type=int, default=None)  # 300 (flat) or 400 (build)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--verify-threads", type=int, default=0)  # 0: one per core
    ap.add_argument("--python", default="/root/.pyenv/versions/3.11.7/bin/python3")
    ap.add_argument("--skip-pip", action="store_true")
    ap.add_argument("--data-set", choices=["flat", "build"], default="flat")
    ap.add_argument("--latency-ms", type=int, default=0)
    args = ap.parse_args()
    if args.total_mb is None:
        args.total_mb = 300 if args.data_set == "flat" else 400

    build = Path(args.build_dir).resolve()
    run(["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         "-DWHEELHOUSE_BUILD_BENCH=ON", "-DWHEELHOUSE_BUILD_TESTS=OFF"], stdout=subprocess.DEVNULL)
    run(["cmake", "--build", str(build), "-j2", "--target", "fetch_bench"], stdout=subprocess.DEVNULL)
    driver = build / "bench" / "fetch" / "fetch_bench"

    data = build / ("bench-fetch-data" if args.data_set == "flat" else "bench-build-data")
    data.mkdir(parents=True, exist_ok=True)
    state = data / "server"
    server = [str(ROOT / "scripts" / "index-server")]
    pip_platforms = []
    if args.data_set == "flat":
        desc_path = data / "packages.json"
        desc = make_description(args.count, args.total_mb, args.seed)
        print(f"data set: {args.count} wheels, ~{args.total_mb} MB (seed {args.seed}) in {data}", flush=True)
        desc_path.write_text(json.dumps(desc, indent=1))
        start = server + ["start", str(state), "0", str(desc_path)]
        start_env = None
        pins = {p["name"]: "1.0" for p in desc["packages"]}
        wanted = None
    else:
        sys.path.insert(0, str(ROOT / "bench" / "build"))
        import run as build_bench  # bench/build/run.py: the same generator and cached index tree
        args.projects = 170
        desc_dir, tree = build_bench.prepare_data(data, args)
        expected = json.loads((desc_dir / "expected.json").read_text())
        print(f"data set: bench/build's (seed {args.seed}, ~{args.total_mb} MB): its {len(expected['files'])} "
              f"resolved wheels, in {data}", flush=True)
        start = server + ["start", str(state), "0"]
        start_env = dict(os.environ, WHEELHOUSE_INDEX_TREE=str(tree))
        pins = expected["projects"]
        wanted = set(expected["files"])
        # Native wheels: pip must choose for the same target as the list, not for this host's glibc.
        pip_platforms = ["--python-version", "3.11"]
        for p in build_bench.PLATFORMS:
            pip_platforms += ["--platform", p]
    try:
        run(start, stdout=subprocess.DEVNULL, env=start_env)
        info = json.loads((state / "servers.json").read_text())
        manifest = json.loads(Path(info["manifest"]).read_text())["files"]
        port = info["http_port"]
        if args.latency_ms:
            port = info["proxy_port"]
            spec = f"latency={args.latency_ms},connect-latency={args.latency_ms}".encode()
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/_control/fault", data=spec,
                                                          method="PUT"), timeout=10).close()
            print(f"through the latency proxy: {args.latency_ms} ms per connection and per response", flush=True)
        base = f"http://127.0.0.1:{port}"
        wheels = [{"url": f"{base}/files/{name}", "filename": name, "sha256": e["sha256"], "size": e["size"]}
                  for name, e in sorted(manifest.items()) if wanted is None or name in wanted]
        total_bytes = sum(w["size"] for w in wheels)
        sizes = sorted(w["size"] for w in wheels)
        print(f"wheels: {len(wheels)}, {total_bytes / 1e6:.1f} MB, median {sizes[len(sizes) // 2] / 1e6:.2f} MB, "
              f"largest {sizes[-1] / 1e6:.1f} MB", flush=True)
        list_path = data / "wheels.json"
        list_path.write_text(json.dumps(wheels))
        curl_cfg = data / "curl.cfg"
        curl_out = data / "curl-out"
        curl_cfg.write_text("".join(f'url = "{w["url"]}"\noutput = "{curl_out / w["filename"]}"\n' for w in wheels))
        reqs = data / "requirements.txt"
        reqs.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))

        results = {"wheelhouse": [], "wheelhouse_warm": [], "curl": [], "pip": []}
        stats = []
        cache = data / "cache"
        for i in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            wall, rss, out = timed([str(driver), "--list", str(list_path), "--cache", str(cache), "--jobs",
                                    str(args.jobs), "--verify-threads", str(args.verify_threads)])
            s = json.loads(out.strip().splitlines()[-1])
            assert s["ok"] == len(wheels), s
            stats.append(s)
            results["wheelhouse"].append((wall, rss))
            wall, rss, _ = timed([str(driver), "--list", str(list_path), "--cache", str(cache)])
            results["wheelhouse_warm"].append((wall, rss))

            shutil.rmtree(curl_out, ignore_errors=True)
            curl_out.mkdir()
            wall, rss, _ = timed(f"curl -sS --fail --parallel --parallel-max {args.jobs} -K {curl_cfg} && "
                                 f"cd {curl_out} && sha256sum -- *.whl > ../curl.sha256", shell=True)
            results["curl"].append((wall, rss))

            if not args.skip_pip:
                pip_out = data / "pip-out"
                shutil.rmtree(pip_out, ignore_errors=True)
                env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}  # PIP_FIND_LINKS
                env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
                wall, rss, _ = timed([args.python, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                                      "--quiet", "--index-url", f"{base}/simple", "--trusted-host", "127.0.0.1",
                                      "--only-binary=:all:", "-d", str(pip_out), "-r", str(reqs)] + pip_platforms,
                                     env=env)
                results["pip"].append((wall, rss))
                assert sorted(f.name for f in pip_out.glob("*.whl")) == [w["filename"] for w in wheels]
            print(f"run {i + 1}/{args.runs}: wheelhouse {results['wheelhouse'][-1][0]:.2f} s, "
                  f"curl+sha256sum {results['curl'][-1][0]:.2f} s"
                  + ("" if args.skip_pip else f", pip download {results['pip'][-1][0]:.2f} s"), flush=True)
    finally:
        subprocess.run(server + ["stop", str(state)], stdout=subprocess.DEVNULL)

    def med(key, idx=0):
        values = [r[idx] for r in results[key]]
        return statistics.median(values) if values else float("nan")

    wh = med("wheelhouse")
    limit = med("curl")
    dl_hash = statistics.median(s["download_and_hash_s"] for s in stats)
    verify_busy = statistics.median(s["verify_busy_s"] for s in stats)
    verify_tail = statistics.median(s["verify_tail_s"] for s in stats)
    print()
    print(f"{'medians of ' + str(args.runs) + ' runs':<44}{'wall s':>9}{'peak RSS MB':>13}")
    print(f"{'wheelhouse fetch (cold, everything)':<44}{wh:>9.2f}{med('wheelhouse', 1):>13.1f}")
    print(f"{'  of which download + streaming sha256':<44}{dl_hash:>9.2f}")
    print(f"{'  RECORD check tail after last download':<44}{verify_tail:>9.2f}")
    print(f"{'  RECORD check busy time (sum of workers)':<44}{verify_busy:>9.2f}")
    print(f"{'wheelhouse fetch (warm cache)':<44}{med('wheelhouse_warm'):>9.2f}{med('wheelhouse_warm', 1):>13.1f}")
    print(f"{'curl --parallel-max ' + str(args.jobs) + ' + sha256sum (limit)':<44}{limit:>9.2f}{med('curl', 1):>13.1f}")
    if not args.skip_pip:
        print(f"{'pip download (Python 3.11)':<44}{med('pip'):>9.2f}{med('pip', 1):>13.1f}")
    print()
    print(f"download + hash vs limit:      {dl_hash / limit:.2f}x   (goal <= 1.3x)")
    print(f"everything incl. RECORD/limit: {wh / limit:.2f}x   (goal <= 2x)")
    if not args.skip_pip:
        print(f"pip download / wheelhouse:     {med('pip') / wh:.1f}x faster (goal >= 5x)")
    print(f"throughput: {total_bytes / wh / 1e6:.0f} MB/s wheelhouse, {total_bytes / limit / 1e6:.0f} MB/s limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
