#!/usr/bin/env python3
"""Differential test of wheelhouse's tags module against pip and its vendored packaging.

Usage (CTest runs it with the Python 3.11 of the MWAA 2.7-2.10 images):

    python3.11 test_tags.py --probe build/x/tests/differential/probe_tags --fixtures fixtures \
        --python312 /path/to/python3.12 [--python310 PATH] [--python313 PATH]

1. Supported tags (the acceptance test). For each MWAA preset whose Python is available, the
   reference runs in that Python with pip._vendor.packaging._manylinux._get_glibc_version
   patched to the preset's glibc (this machine is x86_64 Linux):
     a. packaging.tags.sys_tags() (packaging 21.3 in pip 23.2.1): must equal ours in order,
        except that ours also has cp3X-none-any, which packaging >= 22 and pip's own
        get_supported() yield just before py3X-none-any (21.3's sys_tags leaves it out);
     b. pip._internal.utils.compatibility_tags.get_supported(): must equal ours exactly; this is
        the list pip on the target installs from.
   With Python 3.13 (packaging 24.1) the same lists are generated for each preset's Python
   version with cpython_tags + compatible_tags (exact), and pip 24.2's get_supported is asked for
   random --python-version/--platform/--abi/--implementation combinations (the probe with
   PlatformExpansion::pip, i.e. pip's behaviour; always with --platform; --implementation other than cp always with
   --abi, since without it pip takes the running interpreter's ABI).
2. Wheel file names: >= 10,000 generated names (WHEELHOUSE_DIFF_COUNT), parsed by
   pip._vendor.packaging.utils.parse_wheel_filename of Python 3.13 (packaging 24.1) and by the
   probe: validity, normalised name, version, build tag and tag set must agree, and our
   to_string() must round-trip. Also sdist names (parse_sdist_filename).

wheelhouse follows current packaging (the corpus in fixtures/corpora/packaging, 26.x) where it is
stricter than 24.1. Each such class is in DOCUMENTED_DIFFERENCES with a predicate computed here
from the input alone; 24.1 accepting and the probe refusing is a disagreement unless a
predicate holds. The reverse (we accept, 24.1 refuses) is always a disagreement. Inputs are
generated so that two known limitations are not hit: non-ASCII characters that are not word
characters in a project name (wheelhouse treats all non-ASCII as word characters) and non-ASCII
upper case letters (wheelhouse lower-cases ASCII only).
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time

DOCUMENTED_DIFFERENCES = {
    "control-character": "a control character anywhere (24.1's '$' anchor lets 'foo\\n' through as a name; "
    "current packaging refuses it: corpus 'foo\\n-1.0-py3-none-any.whl')",
    "empty-name": "an empty project name (corpus '-1.0-py3-none-any.whl', '-1.0.tar.gz')",
    "empty-tag-component": "an empty dotted component in a tag (corpus test_empty_component_raises)",
    "non-identifier-interpreter": "a python tag that is not an identifier (corpus test_invalid_interpreter_raises)",
    "too-many-tags": "a compressed tag set of more than 4096 tags (current packaging has a limit option)",
    "non-ascii-build-digit": "a non-ASCII digit in the leading digits of a build tag: 24.1 takes it as part of "
    "the number, current packaging (re.ASCII) and wheelhouse do not (refused, or a different number/suffix split)",
    "oversized-number": "a number >= 2**64 in the version: wheelhouse's pep440 refuses it (see test_pep440.py)",
}

PRESETS = {  # name -> (python major.minor, glibc minor)
    "mwaa-2.6.3": ("3.10", 26),
    "mwaa-2.10.3": ("3.11", 34),
    "mwaa-2.11.0": ("3.12", 34),
    "mwaa-3.3.1": ("3.12", 34),
}

REFERENCE_TAGS = r"""
import json, sys
from pip._vendor.packaging import _manylinux, tags
glibc = int(sys.argv[1])
_manylinux._get_glibc_version = lambda: (2, glibc)
from pip._internal.utils.compatibility_tags import get_supported
from pip._vendor import packaging
print(json.dumps({
    "packaging": packaging.__version__,
    "python": "%d.%d" % sys.version_info[:2],
    "sys_tags": [str(t) for t in tags.sys_tags()],
    "get_supported": [str(t) for t in get_supported()],
}))
"""

REFERENCE_GENERATED = r"""
import json, sys
from pip._vendor.packaging import _manylinux, tags
from pip._internal.utils.compatibility_tags import get_supported
requests = json.load(sys.stdin)
out = []
for r in requests:
    if r["kind"] == "preset":
        _manylinux._get_glibc_version = lambda g=r["glibc"]: (2, g)
        plats = list(tags.platform_tags())
        ver = tuple(r["version"])
        interp = "cp%d%d" % ver
        got = list(tags.cpython_tags(ver, [interp], plats)) + list(tags.compatible_tags(ver, interp, plats))
    else:
        got = get_supported(version=r["version"], platforms=r["platforms"] or None, impl=r["impl"],
                            abis=r["abis"] or None)
    seen, ordered = set(), []
    for t in got:
        s = str(t)
        if s not in seen:
            seen.add(s)
            ordered.append(s)
    out.append(ordered)
print(json.dumps(out))
"""

REFERENCE_FILENAMES = r"""
import json, sys
from pip._vendor.packaging.utils import parse_wheel_filename, parse_sdist_filename
from pip._vendor import packaging
requests = json.load(sys.stdin)
out = []
for kind, name in requests:
    try:
        if kind == "wheel":
            n, v, b, t = parse_wheel_filename(name)
            out.append({"ok": True, "name": n, "version": str(v),
                        "build": [str(b[0]), b[1]] if b else None, "tags": sorted(str(x) for x in t)})
        else:
            n, v = parse_sdist_filename(name)
            out.append({"ok": True, "name": n, "version": str(v)})
    except Exception as e:  # InvalidWheelFilename, InvalidSdistFilename, ValueError from parse_tag
        out.append({"ok": False, "error": type(e).__name__})
print(json.dumps({"packaging": packaging.__version__, "results": out}))
"""


class Probe:
    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     encoding="utf-8", errors="surrogateescape")

    def ask_all(self, requests):
        # Write everything first (from a thread-free loop in chunks), reading answers as we go so
        # that neither pipe fills up.
        answers = []
        chunk = 500
        for i in range(0, len(requests), chunk):
            part = requests[i:i + chunk]
            self.proc.stdin.write("".join(json.dumps(r) + "\n" for r in part))
            self.proc.stdin.flush()
            for _ in part:
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError("probe exited early")
                answers.append(json.loads(line))
        return answers

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def run_reference(python, code, args=(), stdin=None):
    result = subprocess.run([python, "-c", code, *args], input=stdin, capture_output=True, text=True,
                            encoding="utf-8", timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"reference {python} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


# ---- 1. supported tags ---------------------------------------------------------------------------

def compare_lists(label, ours, ref, problems):
    if ours == ref:
        return True
    first = next((i for i, (a, b) in enumerate(zip(ours, ref)) if a != b), min(len(ours), len(ref)))
    problems.append(f"{label}: {len(ours)} tags vs {len(ref)}; first difference at {first}: "
                    f"ours={ours[first:first + 3]} ref={ref[first:first + 3]}")
    return False


def check_presets(probe, pythons, problems):
    compared = 0
    for name, (pyver, glibc) in PRESETS.items():
        python = pythons.get(pyver)
        if not python:
            if pyver == "3.10":
                print(f"  {name}: no Python 3.10 given, sys_tags comparison skipped (covered with 3.13 below)")
                continue
            problems.append(f"{name}: Python {pyver} is required")
            continue
        ref = run_reference(python, REFERENCE_TAGS, [str(glibc)])
        if ref["python"] != pyver:
            problems.append(f"{name}: {python} is Python {ref['python']}, not {pyver}")
            continue
        ours = probe.ask_all([{"op": "preset", "name": name}])[0]["tags"]
        cp_none_any = "cp%s-none-any" % pyver.replace(".", "")
        without = [t for t in ours if t != cp_none_any]
        ok_a = compare_lists(f"{name} vs sys_tags() of Python {pyver} (packaging {ref['packaging']}), "
                             f"ours without {cp_none_any}", without, ref["sys_tags"], problems)
        ok_b = compare_lists(f"{name} vs pip get_supported() of Python {pyver}", ours, ref["get_supported"], problems)
        compared += 2
        print(f"  {name}: {len(ours)} tags, {ours[0]} .. {ours[-1]}; sys_tags ({len(ref['sys_tags'])}) "
              f"{'equal' if ok_a else 'DIFFERENT'} (+{cp_none_any}), get_supported "
              f"{'equal' if ok_b else 'DIFFERENT'}")
    return compared


def generated_option_cases(rng, count):
    platform_pool = ["manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                     "manylinux2010_x86_64", "manylinux1_x86_64", "manylinux2014_i686", "manylinux2010_i686",
                     "manylinux2014_aarch64", "manylinux_2_28_aarch64", "linux_x86_64", "musllinux_1_2_x86_64",
                     "win_amd64", "any", "macosx_11_0_arm64"]
    cases = []
    for _ in range(count):
        major = rng.choice([2, 3, 3, 3, 3])
        minor = rng.choice([0, 1, 2, 3, 7, 8, 10, 11, 12, 13]) if major == 3 else rng.choice([6, 7])
        impl = rng.choice(["cp", "cp", "cp", "py", "pp"])
        # Without --platform pip takes this machine's platforms; ours is pure-python only: always
        # give one. pip expands macOS versions, we do not (documented): no macOS here.
        platforms = rng.sample([p for p in platform_pool if not p.startswith("macosx")], rng.randint(1, 4))
        abis = rng.sample(["cp%d%d" % (major, minor), "abi3", "none", "cp%d%dd" % (major, minor), "cp313t"],
                          rng.randint(0 if impl == "cp" else 1, 3))
        cases.append({"version": "%d%d" % (major, minor), "impl": impl, "platforms": platforms, "abis": abis})
    return cases


def check_generated(probe, python313, rng, count, problems):
    requests = []
    probe_requests = []
    for name, (pyver, glibc) in PRESETS.items():
        requests.append({"kind": "preset", "version": [int(x) for x in pyver.split(".")], "glibc": glibc})
        probe_requests.append({"op": "preset", "name": name})
    for case in generated_option_cases(rng, count):
        requests.append({"kind": "options", **case})
        probe_requests.append({"op": "options", "implementation": case["impl"], "python_version": case["version"],
                               "platforms": case["platforms"], "abis": case["abis"], "expansion": "pip"})
    ref = run_reference(python313, REFERENCE_GENERATED, stdin=json.dumps(requests))
    ours = probe.ask_all(probe_requests)
    bad = 0
    for request, mine, theirs in zip(requests, ours, ref):
        if not mine.get("ok"):
            problems.append(f"options {request}: probe refused: {mine.get('error')}")
            bad += 1
        elif not compare_lists(f"packaging 24.1 / pip 24.2 {request}", mine["tags"], theirs, problems):
            bad += 1
    print(f"  generated tag lists vs Python 3.13 (packaging 24.1, pip 24.2): {len(requests)} compared, {bad} different")
    return len(requests)


# ---- 2. file names -------------------------------------------------------------------------------

NAME_POOL = ["foo", "Foo_Bar", "some_PACKAGE", "a.b", "x__y", "", "foo#", "_foo", "foo.", ".foo", "b\u00e1r",
             "1abc", "zope.interface", "A", "stra\u00dfe", "foo bar", "foo+", "\u00e9t\u00e9", "a\nb", "x\ty"]
VERSION_POOL = ["1.0", "2!1.0rc1.post2.dev3+local.1", "1.0a", "v1.0", "1.0.0.0", "0", "1.0.dev0", "1.0+ABC.def",
                "1.x", "", "abc", "1.0_post1", "1.0 ", " 1.0", "01.02", "1.0+", "1.0..0", "18446744073709551617",
                "1.0POST1", "1.0c1"]
BUILD_POOL = ["1", "00012abc", "abc", "", "1_x", "\u0661\u0662", "9" * 25, "0", "1.2", "7\u00e9"]
INTERP_POOL = ["py3", "cp311", "PY2", "2", "py3.py2", "py2.py3", "", "cp39.cp310", "_custom", "graalpy311", "py+3",
               "pp310", "py3.", ".py3", "Cp312"]
ABI_POOL = ["none", "cp311", "abi3", "NONE", "", "cp39.abi3", "none.", "pypy310_pp73", "cp313t"]
PLAT_POOL = ["any", "manylinux_2_17_x86_64.manylinux2014_x86_64", "linux_x86_64", "", "win_amd64", "ANY",
             "macosx_11_0_arm64", "any.", "manylinux1_i686.manylinux1_x86_64", "a.b.c.d"]
MUTATION_CHARS = "-._#+ aZ9\n\t\u00e1\u0661"


def generate_wheel(rng):
    parts = [rng.choice(NAME_POOL), rng.choice(VERSION_POOL)]
    if rng.random() < 0.3:
        parts.append(rng.choice(BUILD_POOL))
    parts += [rng.choice(INTERP_POOL), rng.choice(ABI_POOL), rng.choice(PLAT_POOL)]
    name = "-".join(parts) + rng.choice([".whl"] * 12 + [".WHL", ".whl.", ".zip", ""])
    if rng.random() < 0.01:  # a huge compressed set
        name = "foo-1.0-" + ".".join("py%d" % i for i in range(rng.randint(60, 80))) + "-none-" + \
            ".".join("p%d" % i for i in range(rng.randint(55, 70))) + ".whl"
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        pos = rng.randint(0, len(name))
        if rng.random() < 0.5 and name:
            name = name[:pos] + name[pos + 1:]
        else:
            name = name[:pos] + rng.choice(MUTATION_CHARS) + name[pos:]
    return name


def generate_sdist(rng):
    name = rng.choice(NAME_POOL + ["apache-airflow-providers-amazon", "a-b-c"]) + "-" + rng.choice(VERSION_POOL)
    name += rng.choice([".tar.gz", ".zip", ".tar.bz2", ".tgz", ""])
    if rng.random() < 0.2:
        pos = rng.randint(0, len(name))
        name = name[:pos] + rng.choice(MUTATION_CHARS) + name[pos:]
    return name


def documented_reasons(kind, filename):
    reasons = []
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in filename):
        reasons.append("control-character")
    if kind == "sdist":
        stem = filename[:-7] if filename.endswith(".tar.gz") else filename[:-4]
        name, _, version = stem.rpartition("-")
        if name == "":
            reasons.append("empty-name")
        if any(int(run) >= 2**64 for run in re.findall(r"[0-9]+", version)):
            reasons.append("oversized-number")
        return reasons
    stem = filename[:-4]
    dashes = stem.count("-")
    if dashes not in (4, 5):
        return reasons
    parts = stem.split("-", dashes - 2)
    if parts[0] == "":
        reasons.append("empty-name")
    fields = [f.split(".") for f in parts[-1].split("-")]
    if any(item == "" for field in fields for item in field):
        reasons.append("empty-tag-component")
    if any(not item.isidentifier() for item in fields[0] if item):
        reasons.append("non-identifier-interpreter")
    if len(set(fields[0])) * len(set(fields[1])) * len(set(fields[2])) > 4096:
        reasons.append("too-many-tags")
    if dashes == 5:
        lead = re.match(r"\d*", parts[2]).group(0)  # Unicode digits, as 24.1's regex
        if not lead.isascii():
            reasons.append("non-ascii-build-digit")
    if any(int(run) >= 2**64 for run in re.findall(r"[0-9]+", parts[1])):
        reasons.append("oversized-number")
    return reasons


def check_filenames(probe, python313, rng, count, problems):
    inputs = [("wheel", generate_wheel(rng)) for _ in range(count)]
    inputs += [("sdist", generate_sdist(rng)) for _ in range(max(count // 5, 100))]
    # Known-valid names too, so that the valid branch is well exercised.
    for name in ["numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                 "six-1.16.0-py2.py3-none-any.whl", "Foo_Bar-1.0-1abc-py3-none-any.whl"]:
        inputs.append(("wheel", name))
    ref = run_reference(python313, REFERENCE_FILENAMES, stdin=json.dumps(inputs))
    ours = probe.ask_all([{"op": kind, "filename": name} for kind, name in inputs])
    counts = {"wheel": [0, 0], "sdist": [0, 0]}  # valid, invalid (by the reference)
    documented = {}
    bad = 0
    for (kind, name), mine, theirs in zip(inputs, ours, ref["results"]):
        counts[kind][0 if theirs["ok"] else 1] += 1
        if theirs["ok"] and not mine["ok"]:
            reasons = documented_reasons(kind, name)
            if reasons:
                for r in reasons:
                    documented[r] = documented.get(r, 0) + 1
                continue
            problems.append(f"{kind} {name!r}: reference accepts {theirs}, probe refuses: {mine.get('error')} "
                            f"(column {mine.get('column')})")
            bad += 1
        elif mine["ok"] and not theirs["ok"]:
            problems.append(f"{kind} {name!r}: probe accepts {mine}, reference refuses ({theirs['error']})")
            bad += 1
        elif mine["ok"]:
            fields = ["name", "version"] + (["build", "tags"] if kind == "wheel" else [])
            diff = [f for f in fields if mine[f] != theirs[f]]
            if kind == "wheel" and not mine.get("round_trip"):
                diff.append("round_trip")
            if diff == ["build"] and "non-ascii-build-digit" in documented_reasons(kind, name):
                documented["non-ascii-build-digit"] = documented.get("non-ascii-build-digit", 0) + 1
                continue
            if diff:
                problems.append(f"{kind} {name!r}: differ in {diff}: ours "
                                f"{ {f: mine.get(f) for f in diff} } reference { {f: theirs.get(f) for f in diff} }")
                bad += 1
        elif mine.get("column", 0) < 1:
            problems.append(f"{kind} {name!r}: error without a column: {mine}")
            bad += 1
    print(f"  file names vs packaging {ref['packaging']}: wheels {counts['wheel'][0]} valid / {counts['wheel'][1]} "
          f"invalid, sdists {counts['sdist'][0]} valid / {counts['sdist'][1]} invalid; {bad} different")
    for reason, n in sorted(documented.items()):
        print(f"    documented difference '{reason}': {n} ({DOCUMENTED_DIFFERENCES[reason]})")
    return len(inputs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--python312", required=True)
    parser.add_argument("--python310", default="", help="Python 3.10 for the mwaa-2.6.3 sys_tags check (optional)")
    parser.add_argument("--python313", required=True, help="Python 3.13 (pip 24.2, packaging 24.1)")
    args = parser.parse_args()

    seed = int(os.environ.get("WHEELHOUSE_DIFF_SEED", str(int(time.time()))))
    count = int(os.environ.get("WHEELHOUSE_DIFF_COUNT", "12000"))
    print(f"seed {seed} (WHEELHOUSE_DIFF_SEED), {count} file names (WHEELHOUSE_DIFF_COUNT)")
    rng = random.Random(seed)

    pythons = {"%d.%d" % sys.version_info[:2]: sys.executable, "3.12": args.python312}
    if args.python310 and os.path.exists(args.python310):
        pythons["3.10"] = args.python310
    if not os.path.exists(args.python313):
        print(f"missing reference Python {args.python313}")
        return 2

    probe = Probe(args.probe)
    problems = []
    started = time.time()
    compared = check_presets(probe, pythons, problems)
    compared += check_generated(probe, args.python313, rng, 300, problems)
    compared += check_filenames(probe, args.python313, rng, count, problems)
    probe.close()
    print(f"{compared} compared, {len(problems)} disagreements ({time.time() - started:.1f} s)")
    for p in problems[:20]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
