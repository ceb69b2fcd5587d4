#!/usr/bin/env python3
"""`wheelhouse lock` against nginx-served indexes (stdlib only).

    test_lock.py --wheelhouse BIN --root REPO --state DIR packse|airflow

packse:  every non-universal packse scenario (fixtures/corpora/packse) gets its own tiny index, generated with
         tests/support/make_index.py under one nginx tree (/packse/<scenario>/simple/); `wheelhouse lock` runs
         with the scenario's Python and must give packse's expected versions, or exit 2 with an explanation.
         The index holds wheels only (MWAA's mode): where packse's expectation relies on building an sdist, and
         for the scenarios where pip and uv differ (the pip_differs() table of
         tests/unit/resolve/packse_test.cpp, which says why for each), pip's recorded outcome
         (fixtures/resolve/packse-pip/pip-24.2-outcomes.jsonl, pip --only-binary=:all:) is expected instead.
airflow: the Airflow constraints in fixtures/resolve/airflow/ (700+ pins) over a generated index holding each
         pinned version and a newer one; provider-style top-level requirements must resolve, every resolved
         package must have its pinned version, the output must be byte-identical on a second run, and pip must
         accept the --pinned file (`pip install --dry-run --no-deps -r`).
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["NO_COLOR"] = "1"
    return env


class Server:
    def __init__(self, root, state):
        self.root, self.state = Path(root), Path(state)

    def __enter__(self):
        subprocess.run([str(self.root / "scripts/index-server"), "start", str(self.state), "0"], check=True,
                       stdout=subprocess.DEVNULL)
        info = json.loads((self.state / "servers.json").read_text())
        self.tree = Path(info["tree"])
        self.base = f"http://127.0.0.1:{info['http_port']}"
        return self

    def __exit__(self, *exc):
        subprocess.run([str(self.root / "scripts/index-server"), "stop", str(self.state)], check=False)


def build_tree(root, description, out):
    sys.path.insert(0, str(Path(root) / "tests/support"))
    import make_index  # noqa: E402
    desc = Path(str(out) + ".json")
    desc.parent.mkdir(parents=True, exist_ok=True)
    desc.write_text(json.dumps(description))
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        if make_index.main(["make_index.py", str(desc), str(out)]) != 0:
            raise SystemExit(f"make_index failed for {out}")


def lock(args, index_url, extra, workdir, requirements):
    workdir.mkdir(parents=True, exist_ok=True)
    req = workdir / "requirements.txt"
    req.write_text("".join(r + "\n" for r in requirements))
    cmd = [args.wheelhouse, "lock", "-r", str(req), "-i", index_url, "--trusted-host", "127.0.0.1",
           "--no-cache", "-o", str(workdir / "wheelhouse.lock.json"), "--json"] + extra
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=120)


def pip_differs_names(root):
    text = (Path(root) / "tests/unit/resolve/packse_test.cpp").read_text()
    block = text[text.index("pip_differs()"):]
    block = block[:block.index("return table;")]
    return set(re.findall(r'\{"([a-z0-9-]+)",\s*\n?\s*\{(?:true|false)', block))


def run_packse(args):
    root = Path(args.root)
    scenarios = json.loads((root / "fixtures/corpora/packse/scenarios_all.json").read_text())
    recorded = {}
    for line in (root / "fixtures/resolve/packse-pip/pip-24.2-outcomes.jsonl").read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            recorded[r["name"]] = r
    differs = pip_differs_names(root)
    assert len(differs) == 7, f"expected the 7 pip/uv differences of packse_test.cpp, found {sorted(differs)}"
    with Server(root, args.state) as server:
        selected = []
        for s in scenarios:
            options = s.get("resolver_options", {})
            if options.get("universal") or "required_environments" in options:
                continue
            selected.append(s)
            packages = []
            for project, data in s["packages"].items():
                versions = []
                for version, v in data["versions"].items():
                    if v.get("wheel") is False:
                        continue  # sdist only: not in a wheels-only index
                    extras = {}
                    for extra, deps in v.get("extras", {}).items():
                        # make_index appends `and extra == ...`: parenthesise the scenario's own marker.
                        extras[extra] = [d.split(";", 1)[0] + "; (" + d.split(";", 1)[1] + ")" if ";" in d else d
                                         for d in deps]
                    versions.append({"version": version, "tags": v.get("wheel_tags", ["py3-none-any"]),
                                     "requires_python": v.get("requires_python", ">=3.12"),
                                     "requires_dist": v.get("requires", []), "extras": extras,
                                     "yanked": bool(v.get("yanked", False))})
                packages.append({"name": project, "versions": versions})
            build_tree(root, {"packages": packages}, server.tree / "packse" / s["name"])
        assert len(selected) == 107, len(selected)

        passed, failures, pip_rule = 0, [], 0
        started = time.time()
        for s in selected:
            name = s["name"]
            options = s.get("resolver_options", {})
            env = s.get("environment", {})
            python = options.get("python", env.get("python", "3.12"))
            platform = "manylinux2014_x86_64" if options.get("python_platform") else "manylinux_2_34_x86_64"
            # Where an sdist could stand in for a missing or incompatible wheel, packse expects it to be built.
            sdist_based = any(v.get("wheel") is False or ("wheel_tags" in v and v.get("sdist", True))
                              for p in s["packages"].values() for v in p["versions"].values()) \
                or "no_binary" in options
            expected_ok = bool(s["expected"]["satisfiable"])
            expected = s["expected"].get("packages") or {}
            if name in differs or sdist_based:
                pip = recorded[name]["pip"]
                pip_rule += 1
                expected_ok = pip is not None
                expected = pip or {}
            extra = ["--python-version", python, "--platform", platform]
            if options.get("prereleases"):
                extra.append("--pre")
            for n in options.get("no_build", []):
                extra += ["--only-binary", n]
            r = lock(args, f"{server.base}/packse/{name}/simple", extra, Path(args.state) / "work" / name,
                     s["root"]["requires"])
            problem = ""
            if expected_ok:
                if r.returncode != 0:
                    problem = f"expected a solution, exit {r.returncode}: {r.stderr.strip()[:300]}"
                elif expected:
                    got = {p["name"]: p["version"] for p in json.loads(r.stdout)["packages"]}
                    want = {normalize(k): v for k, v in expected.items()}
                    # packse writes versions as given (e.g. 1.0.0); compare normalised the simple way.
                    if {k: v for k, v in got.items()} != want:
                        problem = f"got {got}, want {want}"
            else:
                if r.returncode != 2:
                    problem = f"expected exit 2, got {r.returncode}: {r.stdout[:200]} {r.stderr[:200]}"
                else:
                    err = json.loads(r.stdout).get("error", {})
                    if "\n" not in err.get("message", ""):
                        problem = f"explanation too short: {err}"
            if problem:
                failures.append(f"{name}: {problem}")
            else:
                passed += 1
        print(f"packse through nginx: {passed}/{len(selected)} scenarios passed ({pip_rule} with pip's "
              f"--only-binary outcome), 41 universal scenarios not applicable; {time.time() - started:.1f}s")
        for f in failures[:30]:
            print("FAIL", f)
        return 0 if not failures else 1


def airflow_index(root):
    """The generated index for the Airflow constraints: (description, pins, top-level requirements)."""
    root = Path(root)
    pins = {}
    for line in (root / "fixtures/resolve/airflow/constraints-3.11.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)$", line)
        if m:
            pins[normalize(m.group(1))] = (m.group(1), m.group(2))
    assert len(pins) > 700, len(pins)
    rng = random.Random(20260601)
    names = sorted(pins)
    packages = []
    for i, n in enumerate(names):
        original, version = pins[n]
        # Dependencies on other pinned projects, loose specifiers: only the constraints decide the versions.
        deps = sorted({names[j] for j in rng.sample(range(len(names)), 3) if j != i})
        newer_deps = [d + ">=0" for d in deps]
        packages.append({"name": original, "versions": [
            {"version": version, "requires_dist": deps if n.startswith("apache-airflow-providers") or
             rng.random() < 0.3 else []},
            {"version": "999.0", "requires_dist": newer_deps},
        ]})
    top = ["apache-airflow-providers-amazon", "apache-airflow-providers-snowflake",
           "apache-airflow-providers-postgres", "apache-airflow-providers-http"]
    return {"packages": packages}, pins, top


def run_airflow(args):
    root = Path(args.root)
    description, pins, top = airflow_index(root)
    with Server(root, args.state) as server:
        build_tree(root, description, server.tree / "airflow")
        index = f"{server.base}/airflow/simple"
        work = Path(args.state) / "work"
        extra = ["--python-version", "3.11", "--platform", "manylinux_2_34_x86_64", "--airflow-constraints",
                 str(root / "fixtures/resolve/airflow/constraints-3.11.txt"), "--pinned", str(work / "pinned.txt")]
        started = time.time()
        r = lock(args, index, extra, work, top)
        elapsed = time.time() - started
        if r.returncode != 0:
            print(f"lock failed ({r.returncode}): {r.stdout[:2000]} {r.stderr[:2000]}")
            return 1
        got = {p["name"]: p["version"] for p in json.loads(r.stdout)["packages"]}
        bad = [f"{n}=={v} (pinned {pins[n][1]})" for n, v in got.items() if n in pins and v != pins[n][1]]
        unpinned = [n for n in got if n not in pins]
        first_lock = (work / "wheelhouse.lock.json").read_bytes()
        first_pinned = (work / "pinned.txt").read_bytes()
        r2 = lock(args, index, extra, work, top)
        same = r2.returncode == 0 and (work / "wheelhouse.lock.json").read_bytes() == first_lock and \
            (work / "pinned.txt").read_bytes() == first_pinned
        print(f"airflow: {len(got)} packages resolved under {len(pins)} pins in {elapsed:.2f}s; "
              f"{len(bad)} off-pin, {len(unpinned)} unpinned; second run identical: {same}")
        pip = subprocess.run([args.pip_python, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
                              "--only-binary=:all:", "--python-version", "3.11", "--platform",
                              "manylinux_2_34_x86_64", "--target", str(work / "pip-target"), "--quiet", "--report", "-",
                              "-r", str(work / "pinned.txt")],
                             capture_output=True, text=True, env=clean_env(), timeout=600)
        pip_ok = pip.returncode == 0 and len(json.loads(pip.stdout)["install"]) == len(got)
        print(f"pip install --dry-run --no-deps -r pinned.txt: {'ok' if pip_ok else 'FAILED ' + pip.stderr[-1500:]}")
        for b in bad[:20]:
            print("OFF-PIN", b)
        ok = not bad and not unpinned and same and pip_ok and len(got) >= 20
        return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wheelhouse", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--pip-python", default="/root/.pyenv/versions/3.11.7/bin/python3")
    p.add_argument("suite", choices=["packse", "airflow"])
    args = p.parse_args()
    shutil.rmtree(args.state, ignore_errors=True)
    return run_packse(args) if args.suite == "packse" else run_airflow(args)


if __name__ == "__main__":
    sys.exit(main())
