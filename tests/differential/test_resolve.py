#!/usr/bin/env python3
"""Differential test of resolution: `wheelhouse lock` vs pip's resolver on random dependency graphs.

    test_resolve.py --wheelhouse BIN --root REPO --state DIR [--pip-python PY] [--count N] [--seed S] [--jobs J]

Each graph (a few projects; versions with extras, markers, Requires-Python, yanked files, prereleases,
platform-specific wheels, and specifiers that force backtracking) becomes a static index generated with
tests/support/make_index.py and served by nginx (scripts/index-server), one folder per graph. Both tools resolve
the graph's root requirements (and, for about a third of the graphs, a constraints file given to both with -c)
for CPython 3.11 on manylinux_2_34_x86_64:
  wheelhouse lock --python-version 3.11 --platform manylinux_2_34_x86_64 (every older level implied)
  pip install --dry-run --ignore-installed --report - --only-binary=:all: --python-version 3.11
      --platform manylinux_2_34_x86_64 ... --platform manylinux_2_5_x86_64 --platform manylinux2014_x86_64 ...
They must agree on success/failure and, where both succeed, on the exact set of name==version.

The reference is pip 24.2 on Python 3.13 (pyenv), whose prerelease and yanked rules are the ones the resolver
follows (see tests/unit/resolve/packse_test.cpp). pip evaluates dependency markers against the interpreter it runs
on, not --python-version, so the generated markers only use variables whose value is the same for the target
and the reference interpreter (sys_platform, platform_machine, os_name, and python_version comparisons that
3.11 and 3.13 answer alike).

One pip crash is worked around, not excused: resolvelib 1.0.1's _build_result walks the parents of every
criterion recursively without remembering what it has visited, so when backtracking leaves pins behind that
require each other in a cycle no longer reachable from the roots, pip dies with RecursionError after the
resolution itself has finished. Such a graph is run through pip again with that one walk replaced by a
cycle-safe one (the same reachability answer wherever the original terminates), and that result is compared.
Every graph is compared twice: as above, and against an environment that already has some of the graph's
packages installed (an MWAA image in miniature): pip runs without --ignore-installed with those distributions on
its sys.path (a .dist-info folder each, the metadata of that version on the index, or none for a version the
index lacks), wheelhouse gets the same set with --installed (name==version lines); pip's install list must equal
the packages wheelhouse does not mark as provided by the image. The installed sets come from their own random
stream, so a seed gives the same graphs with or without them.
Seed and count: --seed/--count, or WHEELHOUSE_DIFF_SEED / WHEELHOUSE_DIFF_COUNT.
"""
import argparse
import concurrent.futures
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Documented exceptions: where pip and wheelhouse are known to differ on purpose. Each has a predicate
# (description, roots, pre, wheelhouse's set, pip's set or None) that must hold for the difference to be excused,
# and the reason.
def _pip_missed_a_solution(description, roots, pre, mine, ref, installed=None):
    return (ref is None and isinstance(mine, dict)
            and verify_solution(description, roots, pre, mine, installed) == "")


EXCEPTIONS = {
    "pip-backjump-unsound": (
        _pip_missed_a_solution,
        "pip 24.2 vendors resolvelib 1.0.1, whose backjumping can skip the decision that would resolve a conflict "
        "and report ResolutionImpossible although a solution exists (sarugaku/resolvelib#134, fixed by #155 in "
        "resolvelib 1.1). Excused only when pip fails and wheelhouse's set passes verify_solution: every "
        "requirement of the closure satisfied, files installable, prerelease and yanked rules as pip applies them."),
}

VERSIONS = ["0.9", "1.0", "1.0.post1", "1.1", "1.5", "2.0", "2.1b1", "3.0rc1", "3.0.dev1"]
GOOD_TAGS = ["py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp311-abi3-manylinux2014_x86_64",
             "cp39-abi3-manylinux_2_28_x86_64", "py2.py3-none-any"]
BAD_TAGS = ["cp312-cp312-manylinux_2_17_x86_64", "cp311-cp311-manylinux_2_35_x86_64",
            "py3-none-macosx_11_0_arm64", "cp311-cp311-musllinux_1_2_x86_64", "cp311-cp311-win_amd64"]
# Markers with the same value on the target (3.11, linux x86_64) and on the reference interpreter (3.13, here).
TRUE_MARKERS = ['sys_platform == "linux"', 'python_version >= "3.8"', 'platform_machine == "x86_64"',
                'os_name == "posix"']
FALSE_MARKERS = ['sys_platform == "win32"', 'python_version < "3.10"', 'platform_machine == "aarch64"']
SPECS = ["", "", "", ">=1.0", "<2", ">=1.1,<3", "==1.0", "!=1.5", "~=1.0", ">0.9", "<=1.1", "==2.*", ">=2.0", "<1.1"]
CONSTRAINT_SPECS = [s for s in SPECS if s] + ["==1.1", "==3.0rc1", ">=2.1b1", "<3", "!=1.0"]


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def make_graph(rng, index):
    n = rng.randint(2, 6)
    names = [f"g{index}-p{i}" for i in range(n)]
    packages = []
    for i, name in enumerate(names):
        versions = []
        for v in sorted(rng.sample(VERSIONS, rng.randint(1, 5))):
            release = {"version": v, "tags": [rng.choice(GOOD_TAGS)]}
            roll = rng.random()
            if roll < 0.06:
                release["tags"] = [rng.choice(BAD_TAGS)]
            elif roll < 0.16:
                release["tags"].append(rng.choice(BAD_TAGS))
            if rng.random() < 0.08:
                release["requires_python"] = rng.choice([">=3.12", ">=3.8", "<3.11", ">=3.10,<3.12", "!=3.11.*"])
            if rng.random() < 0.1:
                release["yanked"] = rng.choice([True, "broken"])
            deps = []
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                j = rng.randrange(n)
                if j == i and rng.random() < 0.8:
                    continue
                dep = names[j] + rng.choice(SPECS)
                if rng.random() < 0.2:
                    dep += "; " + rng.choice(TRUE_MARKERS + FALSE_MARKERS)
                deps.append(dep)
            release["requires_dist"] = deps
            if rng.random() < 0.25:
                j = rng.randrange(n)
                extra_dep = names[j] + rng.choice(SPECS)
                if rng.random() < 0.3:
                    extra_dep += "; (" + rng.choice(TRUE_MARKERS + FALSE_MARKERS) + ")"
                release["extras"] = {"x": [extra_dep]}
            versions.append(release)
        packages.append({"name": name, "versions": versions})
    roots = []
    for name in rng.sample(names, rng.randint(1, min(3, n))):
        extra = "[x]" if rng.random() < 0.25 else ""
        roots.append(name + extra + rng.choice(SPECS + [""] * 6))
    if rng.random() < 0.1:
        roots.append(rng.choice(names) + "==" + rng.choice(VERSIONS))  # may name a yanked or missing version
    # A constraints file (-c) for some graphs, as every MWAA build has one: it narrows versions, may opt into
    # prereleases or pin a yanked version, and may name projects nothing requires.
    constraints = []
    if rng.random() < 0.3:
        for name in rng.sample(names, rng.randint(1, min(2, n))):
            constraints.append(name + rng.choice(CONSTRAINT_SPECS))
    return {"packages": packages, "constraints": constraints}, roots


def make_installed(rng, description):
    """Some of the graph's projects as installed distributions: mostly at a version the index has (whatever its
    tags, Requires-Python or yanked state: pip checks none of them for an installed distribution), sometimes at one
    it lacks."""
    installed = []
    for p in description["packages"]:
        if rng.random() >= 0.45:
            continue
        if rng.random() < 0.1:
            installed.append({"name": p["name"], "version": "7.0", "release": None})
        else:
            release = rng.choice(p["versions"])
            installed.append({"name": p["name"], "version": release["version"], "release": release})
    return installed


def write_site(make_index, installed, site):
    """The installed distributions as an environment holds them: <name>-<version>.dist-info with METADATA."""
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    for d in installed:
        info = site / f"{make_index.wheel_name_part(d['name'])}-{d['version']}.dist-info"
        info.mkdir()
        release = d["release"] or {"version": d["version"]}
        (info / "METADATA").write_bytes(make_index.core_metadata({"name": d["name"]}, release))
        (info / "INSTALLER").write_text("wheelhouse-test\n")
        (info / "RECORD").write_text("")


def verify_solution(description, roots, pre, chosen, installed=None):
    """Checks a {name: version} set to install independently of both resolvers, with the installed distributions
    (list of {name, version, release}) kept where the set does not replace them; "" when it is a valid install."""
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.specifiers import SpecifierSet
    from pip._vendor.packaging.version import Version

    releases = {normalize(p["name"]): {Version(v["version"]): v for v in p["versions"]}
                for p in description["packages"]}

    def usable(release):
        rp = release.get("requires_python")
        return (any(t in GOOD_TAGS for t in release["tags"])
                and (rp is None or SpecifierSet(rp).contains("3.11", prereleases=True)))

    kept = {normalize(d["name"]): d for d in (installed or []) if normalize(d["name"]) not in chosen}
    specs = {}
    seen = set()
    constraints = {}
    for c in description.get("constraints", []):
        creq = Requirement(c)
        constraints.setdefault(normalize(creq.name), []).append(creq.specifier)
    todo = [(Requirement(r), None) for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra or ""}):
            continue
        name = normalize(req.name)
        if name in kept:  # an installed distribution: its own metadata, no file needed
            version = Version(kept[name]["version"])
            if not req.specifier.contains(version, prereleases=True):
                return f"{req} is not satisfied by the installed {name} {version}, and the set does not replace it"
            specs.setdefault(name, []).append(req.specifier)
            release = kept[name]["release"] or {"version": str(version), "requires_dist": []}
        else:
            if name not in chosen:
                return f"{req} is not satisfied: {name} not in the set"
            version = Version(chosen[name])
            if not req.specifier.contains(version, prereleases=True):
                return f"{req} is not satisfied by {name} {version}"
            specs.setdefault(name, []).append(req.specifier)
            release = releases.get(name, {}).get(version)
            if release is None or not usable(release):
                return f"{name} {version} has no installable file"
        for e in [None] + sorted(e for e in req.extras if e in release.get("extras", {})):
            if (name, str(version), e) in seen:
                continue
            seen.add((name, str(version), e))
            deps = release["requires_dist"] if e is None else release["extras"][e]
            todo += [(Requirement(d), e) for d in deps]
    for name, d in kept.items():
        if name in specs and not all(c.contains(Version(d["version"]), prereleases=True)
                                     for c in constraints.get(name, [])):
            return f"the installed {name} {d['version']} is excluded by a constraint, and the set does not replace it"
    if set(specs) - set(kept) != set(chosen):
        return f"not required: {sorted(set(chosen) - set(specs))}"
    for name, version in chosen.items():
        if not all(c.contains(Version(version), prereleases=True) for c in constraints.get(name, [])):
            return f"{name} {version} is excluded by a constraint"
        merged = SpecifierSet(",".join(str(s) for s in specs[name] + constraints.get(name, []) if str(s)))
        candidates = [v for v, r in releases[name].items() if usable(r)]
        allowed = set(merged.filter(candidates, prereleases=True if pre else None))
        if Version(version) not in allowed:
            return f"{name} {version} is a prerelease that pip would not consider"
        if releases[name][Version(version)].get("yanked") and not any(s.operator == "==" for s in merged):
            return f"{name} {version} is yanked and not pinned"
    return ""


def pip_platforms():
    out = [f"manylinux_2_{m}_x86_64" for m in range(34, 4, -1)]
    return out + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["NO_COLOR"] = "1"
    return env


# pip's import costs most of a dry run on these tiny graphs, so each worker imports it once and runs pip's own CLI
# entry point once per graph (a fresh option parse, logging setup and session every time).
PIP_WORKER = r"""
import io, json, sys
from pip._internal.cli.main import main
out = sys.stdout
from pip._vendor.resolvelib import resolvers
original_route = resolvers._has_route_to_root


def cycle_safe_route(criteria, key, all_keys, connected):
    # Reachability of the roots (None) over pinned parents, as the original answers it, but with a visited set.
    stack, seen = [key], {key}
    while stack:
        k = stack.pop()
        if k in connected:
            connected.add(key)
            return True
        if k not in criteria:
            continue
        for p in criteria[k].iter_parent():
            pkey = all_keys.get(id(p), k)
            if pkey not in seen:
                seen.add(pkey)
                stack.append(pkey)
    return False


for line in sys.stdin:
    job = json.loads(line)
    resolvers._has_route_to_root = cycle_safe_route if job.get("cycle_safe") else original_route
    err = io.StringIO()
    sys.stdout, sys.stderr = io.StringIO(), err
    if job.get("site"):  # the installed distributions pip sees (importlib.metadata reads sys.path)
        sys.path.insert(0, job["site"])
    try:
        code = main(job["args"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except Exception as e:  # reported as a failure of this graph, the worker goes on
        err.write(repr(e))
        code = 1
    finally:
        if job.get("site"):
            sys.path.remove(job["site"])
    sys.stdout, sys.stderr = out, sys.__stderr__
    out.write(json.dumps({"code": code, "stderr": err.getvalue()}) + "\n")
    out.flush()
"""


class PipWorker:
    def __init__(self, python):
        self.proc = subprocess.Popen([python, "-c", PIP_WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=clean_env())

    def run(self, args, cycle_safe=False, site=None):
        self.proc.stdin.write(json.dumps({"args": args, "cycle_safe": cycle_safe,
                                          "site": str(site) if site else None}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def constraints_args(constraints, work):
    if not constraints:
        return []
    path = work / "constraints.txt"
    path.write_text("".join(c + "\n" for c in constraints))
    return ["-c", str(path)]


def run_pip(worker, index_url, roots, pre, work, constraints, site=None):
    work.mkdir(parents=True, exist_ok=True)
    report = work / "pip-report.json"
    report.unlink(missing_ok=True)
    cmd = ["install", "--dry-run", "--report", str(report), "--quiet",
           "--only-binary=:all:", "--python-version", "3.11", "--index-url", index_url, "--no-cache-dir",
           "--disable-pip-version-check"]
    if site is None:
        cmd.insert(2, "--ignore-installed")
    for p in pip_platforms():
        cmd += ["--platform", p]
    if pre:
        cmd.append("--pre")
    cmd += constraints_args(constraints, work)
    r = worker.run(cmd + roots, site=site)
    crashed = "RecursionError" in r["stderr"] and "_has_route_to_root" in r["stderr"]
    if crashed:  # see the module's docstring
        report.unlink(missing_ok=True)
        r = worker.run(cmd + roots, cycle_safe=True, site=site)
    if r["code"] != 0:
        return None, r["stderr"].strip().splitlines()[-1:] if r["stderr"].strip() else ["exit %d" % r["code"]]
    return {normalize(i["metadata"]["name"]): i["metadata"]["version"]
            for i in json.loads(report.read_text())["install"]}, "cycle-safe rerun" if crashed else ""


def run_wheelhouse(binary, index_url, roots, pre, work, constraints, installed=None):
    work.mkdir(parents=True, exist_ok=True)
    (work / "requirements.txt").write_text("".join(r + "\n" for r in roots))
    cmd = [binary, "lock", "-r", str(work / "requirements.txt"), "-i", index_url, "--trusted-host", "127.0.0.1",
           "--no-cache", "--python-version", "3.11", "--platform", "manylinux_2_34_x86_64",
           "-o", str(work / "lock.json"), "--json"] + constraints_args(constraints, work)
    if installed is not None:
        (work / "installed.txt").write_text("".join(f"{d['name']}=={d['version']}\n" for d in installed))
        cmd += ["--installed", str(work / "installed.txt")]
    if pre:
        cmd.append("--pre")
    r = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=120)
    if r.returncode == 0:
        # What pip would install: the image's packages are kept.
        return {p["name"]: p["version"] for p in json.loads(r.stdout)["packages"] if not p.get("provided_by")}, ""
    if r.returncode != 2:
        return "crash", f"exit {r.returncode}: {r.stdout[:300]} {r.stderr[:300]}"
    return None, json.loads(r.stdout)["error"]["message"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheelhouse", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--fixtures", default="")
    ap.add_argument("--pip-python", default="/root/.pyenv/versions/3.13.0/bin/python3")
    ap.add_argument("--count", type=int, default=int(os.environ.get("WHEELHOUSE_DIFF_COUNT", "200")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("WHEELHOUSE_DIFF_SEED", str(random.randrange(1 << 30)))))
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated graph numbers to run (the others are generated, not run)")
    args = ap.parse_args()
    print(f"seed {args.seed} ({args.count} graphs); reference: pip 24.2 on {args.pip_python}", flush=True)
    rng = random.Random(args.seed)
    root = Path(args.root)
    sys.path.insert(0, str(root / "tests/support"))
    import make_index  # noqa: E402

    state = Path(args.state)
    shutil.rmtree(state, ignore_errors=True)
    subprocess.run([str(root / "scripts/index-server"), "start", str(state), "0"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        info = json.loads((state / "servers.json").read_text())
        base = f"http://127.0.0.1:{info['http_port']}"
        graphs = []
        descriptions = {}
        only = {int(x.lstrip("g")) for x in args.only.split(",") if x}
        import contextlib, io
        for g in range(args.count):
            description, roots = make_graph(rng, g)
            pre = rng.random() < 0.15
            out = Path(info["tree"]) / "diff" / f"g{g}"
            desc = state / "graphs" / f"g{g}.json"
            desc.parent.mkdir(parents=True, exist_ok=True)
            desc.write_text(json.dumps(description, indent=1))
            descriptions[g] = description
            with contextlib.redirect_stdout(io.StringIO()):
                make_index.main(["make_index.py", str(desc), str(out)])
            if not only or g in only:
                graphs.append((g, f"{base}/diff/g{g}/simple", roots, pre))

        # Each graph twice: "g" as before, "g/image" with an installed set (from its own random stream).
        runs = []
        installed_sets = {}
        for g, url, roots, pre in graphs:
            runs.append((f"g{g}", g, url, roots, pre, None))
            installed = make_installed(random.Random(f"{args.seed}-{g}-installed"), descriptions[g])
            installed_sets[g] = installed
            site = state / "sites" / f"g{g}"
            write_site(make_index, installed, site)
            runs.append((f"g{g}/image", g, url, roots, pre, site))

        def work_dir(key):
            return state / "work" / key.replace("/", "-")

        def ours_one(run):
            key, g, url, roots, pre, site = run
            return run_wheelhouse(args.wheelhouse, url, roots, pre, work_dir(key), descriptions[g]["constraints"],
                                  installed_sets[g] if site else None)

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            ours = dict(zip([r[0] for r in runs], pool.map(ours_one, runs)))
        ours_time = time.time() - started
        workers = queue.Queue()
        for _ in range(args.jobs):
            workers.put(PipWorker(args.pip_python))

        def with_worker(run):
            key, g, url, roots, pre, site = run
            worker = workers.get()
            try:
                return run_pip(worker, url, roots, pre, work_dir(key), descriptions[g]["constraints"], site)
            finally:
                workers.put(worker)

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            theirs = dict(zip([r[0] for r in runs], pool.map(with_worker, runs)))
        while not workers.empty():
            workers.get().close()
        disagreements = []
        solved = 0
        kept_somewhere = 0
        for key, g, url, roots, pre, site in runs:
            (mine, why), (ref, ref_why) = ours[key], theirs[key]
            installed = installed_sets[g] if site else None
            if mine == "crash":
                disagreements.append(f"{key} {roots} pre={pre}: wheelhouse {why}")
                continue
            if mine is not None and ref is not None:
                solved += 1
            excused = [name for name, (predicate, _) in EXCEPTIONS.items()
                       if mine != ref and predicate(descriptions[g], roots, pre, mine, ref, installed)]
            if excused:
                print(f"{key}: excused ({', '.join(excused)}): wheelhouse {mine}, pip {ref}")
                continue
            if site and ours[f"g{g}"][0] != mine:
                kept_somewhere += 1  # the installed set changed the answer
            if mine != ref:
                image = f" installed {[d['name'] + '==' + d['version'] for d in installed]}" if site else ""
                disagreements.append(f"{key} {roots} -c {descriptions[g]['constraints']} pre={pre}{image} "
                                     f"({state}/graphs/g{g}.json):\n"
                                     f"    wheelhouse: {mine if mine is not None else 'no solution: ' + why.splitlines()[0]}\n"
                                     f"    pip:        {ref if ref is not None else 'no solution: ' + ' '.join(ref_why)}")
        print(f"with an installed set: {sum(1 for r in runs if r[5])} runs, in {kept_somewhere} of them the set "
              "changes wheelhouse's answer")
        reruns = [key for key, *_ in runs if theirs[key][1] == "cycle-safe rerun"]
        if reruns:
            print(f"pip crashed in resolvelib's _has_route_to_root on {', '.join(reruns)}: compared with its "
                  "cycle-safe rerun")
        print(f"{len(runs)} compared ({solved} solved by both, {len(runs) - solved} failing or disagreeing), "
              f"{len(disagreements)} disagreements; wheelhouse {ours_time:.1f}s in total, pip "
              f"{time.time() - started - ours_time:.1f}s with {args.jobs} in parallel")
        for d in disagreements[:20]:
            print(d)
        return 1 if disagreements else 0
    finally:
        subprocess.run([str(root / "scripts/index-server"), "stop", str(state)], check=False)


if __name__ == "__main__":
    sys.exit(main())
