#!/usr/bin/env python3
"""The decisive end-to-end test: pip installs the bundle offline, exactly as MWAA does.

For each target (mwaa-2.10.3 with Python 3.11, mwaa-2.11.0 with Python 3.12):
  1. `wheelhouse build` from the demo index served by nginx (scripts/index-server, loopback only);
  2. `wheelhouse verify` on the result;
then, with the index server stopped:
  3. plugins.zip is extracted into /usr/local/airflow/plugins (as MWAA does; when that folder is taken, a
     temporary folder with the paths in a copy of requirements.txt rewritten);
  4. a fresh venv of the target's Python runs `pip install -r requirements.txt` with no index and no proxy;
  5. every installed distribution must be one of the bundle's, every bundled wheel must be installed, and
     every top-level module they install must import.
A pip failure is a test failure.

    test_build_pip.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import MWAA_PLUGINS, PluginsFolder, check, failures  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = {
    "mwaa-2.10.3": "/root/.pyenv/versions/3.11.7/bin/python3",
    "mwaa-2.11.0": "/root/.pyenv/versions/3.12.1/bin/python3",
}


def run(cmd, env=None, cwd=None):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def offline_env():
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("PIP_")}
    env.update({"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PIP_NO_CACHE_DIR": "1", "NO_PROXY": "*", "no_proxy": "*"})
    return env


def normalize(name):
    import re
    return re.sub(r"[-_.]+", "-", name).lower()


IMPORT_ALL = r"""
import importlib, importlib.metadata as md, json, sys
out = {"installed": {}, "errors": []}
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name in ("pip", "setuptools", "wheel"):
        continue
    tops = set()
    for f in dist.files or []:
        parts = f.parts
        if len(parts) >= 2 and parts[1] == "__init__.py" and not parts[0].endswith((".dist-info", ".data")):
            tops.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith(".py"):
            tops.add(parts[0][:-3])
    out["installed"][name] = {"version": dist.version, "modules": sorted(tops)}
    for module in sorted(tops):
        try:
            importlib.import_module(module)
        except Exception as e:  # noqa: BLE001 - reported, the test fails on it
            out["errors"].append(f"{name}: import {module}: {e!r}")
print(json.dumps(out))
"""


def install_offline(target, dist, tmp):
    python = PYTHONS[target]
    report = json.loads((dist / "build-report.json").read_text())
    bundled = {normalize(p["name"]): p["version"] for p in report["packages"]}
    # Every wheel counted once, whether it came while the resolution ran, after it, or from the cache; the
    # guesses fetched ahead and not used are counted apart and are not in the bundle.
    fetch = report.get("fetch", {})
    check(fetch.get("downloaded", -1) + fetch.get("cached", -1) == len(report["packages"]) and
          0 <= fetch.get("during_resolution", -1) <= fetch.get("downloaded", -1) and
          fetch.get("during_resolution_unused", -1) >= 0,
          f"{target}: fetch counts do not add up: {fetch} for {len(report['packages'])} packages")
    with PluginsFolder(tmp / target) as plugins:
        with zipfile.ZipFile(dist / "plugins.zip") as zf:
            zf.extractall(plugins.path)
        requirements = (dist / "requirements.txt").read_text()
        if not plugins.real:
            requirements = requirements.replace(str(MWAA_PLUGINS), str(plugins.path))
        req_file = tmp / target / "requirements.txt"
        req_file.write_text(requirements)
        print(f"--- requirements.txt for {target} (plugins in {plugins.path}) ---\n{requirements}", flush=True)
        check((plugins.path / "acme_operators.py").is_file(), f"{target}: the plugins-dir file was not in the zip")
        check((plugins.path / "constraints.txt").is_file(), f"{target}: constraints.txt was not in the zip")

        venv = tmp / target / "venv"
        r = run([python, "-m", "venv", venv])
        if not check(r.returncode == 0, f"{target}: venv failed: {r.stderr}"):
            return
        vpy = venv / "bin" / "python"
        # Exactly MWAA's command line; the requirements file itself says --no-index and --find-links.
        r = run([vpy, "-m", "pip", "install", "-r", req_file], env=offline_env(), cwd=tmp)
        print(r.stdout[-3000:], r.stderr[-3000:], flush=True)
        if not check(r.returncode == 0, f"{target}: pip install failed (exit {r.returncode}): {r.stderr[-2000:]}"):
            return
        r = run([vpy, "-c", IMPORT_ALL], env=offline_env(), cwd=tmp)
        if not check(r.returncode == 0, f"{target}: import script failed: {r.stderr}"):
            return
        result = json.loads(r.stdout)
        installed = {normalize(n): v["version"] for n, v in result["installed"].items()}
        print(f"{target}: installed {len(installed)}: {sorted(installed.items())}", flush=True)
        check(installed == bundled,
              f"{target}: pip installed {sorted(installed.items())}, the bundle holds {sorted(bundled.items())}")
        check(not result["errors"], f"{target}: imports failed: {result['errors']}")
        modules = sum(len(v["modules"]) for v in result["installed"].values())
        check(modules >= len(installed), f"{target}: only {modules} modules found for {len(installed)} packages")
        print(f"{target}: {modules} modules imported", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wheelhouse = Path(args.wheelhouse).resolve()
    demo = Path(args.fixtures).resolve() / "demo"
    for target, python in PYTHONS.items():
        if not Path(python).exists():
            print(f"FAIL: {python} (for {target}) is missing: install it with pyenv", flush=True)
            return 1

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-pip-") as tmp_name:
        tmp = Path(tmp_name)
        state = tmp / "index-server"
        r = run([ROOT / "scripts" / "index-server", "start", state, "0", demo / "packages.json"])
        if r.returncode != 0:
            print("FAIL: the index server did not start:", r.stderr, flush=True)
            return 1
        dists = {}
        try:
            servers = json.loads((state / "servers.json").read_text())
            index = f"http://127.0.0.1:{servers['http_port']}/simple"
            env = dict(os.environ, WHEELHOUSE_CACHE_DIR=str(tmp / "cache"))
            env.pop("SOURCE_DATE_EPOCH", None)
            for target in PYTHONS:
                dist = tmp / f"dist-{target}"
                (tmp / target).mkdir()
                r = run([wheelhouse, "build", "-r", demo / "requirements.txt", "--target", target,
                         "--airflow-constraints", demo / "airflow-constraints.txt", "-i", index,
                         "--trusted-host", "127.0.0.1", "--plugins-dir", demo / "plugins", "-o", dist], env=env)
                print(r.stdout, r.stderr, flush=True)
                if not check(r.returncode == 0, f"{target}: build failed (exit {r.returncode}): {r.stderr}"):
                    continue
                r = run([wheelhouse, "verify", dist, "--target", target], env=env)
                print(r.stdout, r.stderr, flush=True)
                check(r.returncode == 0, f"{target}: verify failed (exit {r.returncode}): {r.stdout}")
                dists[target] = dist
        finally:
            # From here on nothing can reach an index: pip must find everything in the bundle.
            run([ROOT / "scripts" / "index-server", "stop", state])

        for target, dist in dists.items():
            install_offline(target, dist, tmp)
        check(len(dists) == len(PYTHONS), f"only {len(dists)} of {len(PYTHONS)} targets were built")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: pip installed every bundle offline and every module imported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
