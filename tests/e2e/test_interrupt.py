#!/usr/bin/env python3
"""Ctrl-C during `wheelhouse build`: the build stops, exits 130, and leaves nothing behind.

The demo index is served by Python's http.server behind tests/support/fault_proxy.py, which drips the wheels
slowly, so SIGINT arrives while wheels are downloading. Then:
- the exit code is 130 and stderr says the build was interrupted;
- the output folder holds exactly the previous build's files, byte for byte (no staging folder left);
- the cache holds no temporary download and no entry that does not hash to its name;
- with --no-cache, the private temporary cache folder is gone too.

    test_interrupt.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import functools
import hashlib
import http.server
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, free_port, tally, wait_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cache_problems(cache):
    problems = []
    wheels = cache / "wheels"
    for p in (wheels / "tmp").rglob("*") if (wheels / "tmp").exists() else []:
        if p.is_file():
            problems.append(f"temporary download left: {p}")
    store = wheels / "sha256"
    for p in store.rglob("*.whl") if store.exists() else []:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if p.parent.name != digest:
            problems.append(f"cache entry {p} hashes to {digest}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()
    demo = Path(args.fixtures).resolve() / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.pop("SOURCE_DATE_EPOCH", None)

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-interrupt-") as tmp_name:
        tmp = Path(tmp_name)
        index = tmp / "index"
        r = subprocess.run([sys.executable, ROOT / "tests/support/make_index.py", demo / "packages.json", index],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass

        handler = functools.partial(Quiet, directory=str(index))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        upstream = server.server_address[1]
        proxy_port = free_port()
        # Wheels at 1 KB/s: each (1-3 KB) download takes seconds, whether it starts during the resolution or after
        # it; pages and metadata pass at full speed.
        proxy = subprocess.Popen([sys.executable, ROOT / "tests/support/fault_proxy.py", "--listen",
                                  f"127.0.0.1:{proxy_port}", "--upstream", f"127.0.0.1:{upstream}",
                                  "--fault", "drip=1024,suffix=.whl"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_port(proxy_port):
                raise RuntimeError(f"the fault proxy did not listen on {proxy_port}")

            def build(out, cache, **kw):
                cmd = [wh, "build", "-r", demo / "requirements.txt", "--target", "mwaa-2.10.3",
                       "--airflow-constraints", demo / "airflow-constraints.txt",
                       "-i", f"http://127.0.0.1:{proxy_port}/simple/", "--trusted-host", "127.0.0.1",
                       "--plugins-dir", demo / "plugins", "-o", out]
                if cache is None:
                    cmd.append("--no-cache")
                return subprocess.Popen([str(c) for c in cmd],
                                        env=dict(env, TMPDIR=str(tmp / "tmpdir"), WHEELHOUSE_CACHE_DIR=str(cache)),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

            (tmp / "tmpdir").mkdir()
            out = tmp / "dist"
            first = build(out, tmp / "cache-first")
            _, err = first.communicate(timeout=600)
            assert first.returncode == 0, err
            before = snapshot(out)
            check("plugins.zip" in before and "requirements.txt" in before, f"first build wrote {sorted(before)}")

            for label, cache in (("shared cache", tmp / "cache"), ("--no-cache", None)):
                p = build(out, cache)
                # Interrupt once wheel downloads are under way (the cache's temporary or partial folder fills).
                deadline = time.time() + 60
                time.sleep(0.5)
                while time.time() < deadline and p.poll() is None:
                    busy = [q for q in (tmp / "cache" / "wheels").rglob("*.whl*")] if (tmp / "cache").exists() else []
                    busy += list((tmp / "tmpdir").rglob("*.whl*"))
                    if busy:
                        break
                    time.sleep(0.1)
                check(p.poll() is None, f"{label}: the build ended before it could be interrupted")
                started = time.time()
                p.send_signal(signal.SIGINT)
                try:
                    _, err = p.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    _, err = p.communicate()
                    check(False, f"{label}: still running 30 s after SIGINT")
                took = time.time() - started
                print(f"{label}: exit {p.returncode} {took:.2f} s after SIGINT", flush=True)
                check(p.returncode == 130, f"{label}: exit {p.returncode}, expected 130; stderr: {err}")
                check("interrupted" in err, f"{label}: stderr does not say interrupted: {err}")
                check(took < 5, f"{label}: took {took:.1f} s to stop")
                check(snapshot(out) == before, f"{label}: the output folder changed: {sorted(snapshot(out))}")
                leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
                check(not leftovers, f"{label}: staging left in the output folder: {leftovers}")
                if (tmp / "cache").exists():
                    for problem in cache_problems(tmp / "cache"):
                        check(False, f"{label}: {problem}")
                temp_left = list((tmp / "tmpdir").iterdir())
                check(not temp_left, f"{label}: temporary files left in TMPDIR: {temp_left}")

            # The interrupted shared cache still serves a complete build.
            p = build(tmp / "dist-after", tmp / "cache")
            _, err = p.communicate(timeout=600)
            check(p.returncode == 0, f"a build after the interrupted one failed: {err}")
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
            server.shutdown()

    print(f"{tally.count} checks, {len(failures)} failed")
    return 1 if failures or tally.count < 12 else 0


if __name__ == "__main__":
    sys.exit(main())
