#!/usr/bin/env python3
"""Differential test of wheelhouse's advisory matching against an independent reference.

For every package of the committed OSV corpus (fixtures/corpora/osv-pypi, PyPA Advisory Database, CC-BY-4.0) and
every version string that appears anywhere in its advisories (listed versions and range events), plus versions
just around each event (a .post1 after, a .dev0 and an rc1 before), the advisories that wheelhouse's probe reports
must be the reference's, with the same fixed versions.

The reference follows the corpus README's rule, written here without wheelhouse's code: PyYAML (BaseLoader: every
scalar a string) reads the records, pip's vendored packaging orders versions, the events of each ECOSYSTEM range
are sorted ("0" lowest) and paired into intervals (introduced inclusive, fixed exclusive, last_affected inclusive;
an introduced with nothing after it is open), withdrawn records are dropped, and a version is affected when it is
listed (the same string or the same PEP 440 version) or lies in an interval. Run by CTest:

    test_advisories.py --probe build/x/tests/differential/probe_advisories --fixtures fixtures
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import functools

import yaml
from pip._vendor.packaging.version import InvalidVersion, Version


@functools.lru_cache(maxsize=None)
def parse(text):
    try:
        return Version(text)
    except InvalidVersion:
        return None


def intervals(events):
    """Sorted events paired into (start, end, end_inclusive); start None = from the first version."""
    keyed = []
    for e in events:
        (kind, value), = e.items()
        v = None if (kind == "introduced" and value == "0") else parse(value)
        if v is None and not (kind == "introduced" and value == "0"):
            return None  # not PEP 440: the range is not used
        keyed.append((kind, v, value))
    keyed.sort(key=lambda k: (k[1] is not None, k[1] if k[1] is not None else Version("0")))
    out = []
    start = None
    open_ = False
    for kind, v, _ in keyed:
        if kind == "introduced":
            if not open_:
                start, open_ = v, True
        elif kind in ("fixed", "last_affected") and open_:
            out.append((start, v, kind == "last_affected"))
            open_ = False
    if open_:
        out.append((start, None, False))
    return out


def reference_match(records, name, version):
    v = parse(version)
    found = {}
    for r in records:
        if r.get("withdrawn"):
            continue
        for a in r.get("affected") or []:
            pkg = a.get("package") or {}
            if pkg.get("ecosystem") != "PyPI" or pkg.get("name", "").lower().replace("_", "-") != name:
                continue
            listed = any(x == version or (v is not None and parse(x) is not None and parse(x) == v)
                         for x in a.get("versions") or [])
            inside = False
            fixed = set()
            for rng in a.get("ranges") or []:
                if rng.get("type") != "ECOSYSTEM":
                    continue
                for e in rng.get("events") or []:
                    if "fixed" in e and parse(e["fixed"]) is not None:
                        fixed.add(e["fixed"])
                spans = intervals(rng.get("events") or [])
                if spans is None or v is None:
                    continue
                for start, end, inclusive in spans:
                    if (start is None or v >= start) and (end is None or (v <= end if inclusive else v < end)):
                        inside = True
            if listed or inside:
                found[r["id"]] = sorted(fixed, key=Version)
                break
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    root = Path(args.fixtures) / "corpora" / "osv-pypi" / "vulns"
    records = [yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) for p in sorted(root.rglob("*.yaml"))]

    queries = []
    for name in sorted({(a.get("package") or {}).get("name") for r in records for a in r.get("affected") or []}):
        versions = set()
        for r in records:
            for a in r.get("affected") or []:
                if (a.get("package") or {}).get("name") != name:
                    continue
                versions.update(a.get("versions") or [])
                for rng in a.get("ranges") or []:
                    if rng.get("type") != "ECOSYSTEM":
                        continue
                    for e in rng.get("events") or []:
                        (_, value), = e.items()
                        versions.add(value)
                        if parse(value) is not None and value != "0":
                            versions.update({value + ".post1", value + ".dev0", value + "rc1"})
        queries.extend((name, v) for v in sorted(versions))

    probe = subprocess.run([args.probe, str(root)], input="".join(f"{n} {v}\n" for n, v in queries),
                           capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        print(f"probe failed: {probe.stderr}")
        return 1
    answers = [json.loads(line) for line in probe.stdout.splitlines()]
    if len(answers) != len(queries):
        print(f"probe gave {len(answers)} answers to {len(queries)} queries")
        return 1
    by_name = {}
    for r in records:
        for a in r.get("affected") or []:
            by_name.setdefault((a.get("package") or {}).get("name", "").lower().replace("_", "-"), []).append(r)
    failures = 0
    affected_pairs = 0
    for (name, version), answer in zip(queries, answers):
        expected = reference_match(by_name.get(name, []), name, version)
        got = {i: answer["fixed"][i] for i in answer["ids"]}
        affected_pairs += bool(expected)
        if got != expected:
            failures += 1
            if failures <= 20:
                print(f"DIFF {name}=={version}: wheelhouse {got} reference {expected}")
    print(f"{len(queries)} package versions of {len(records)} advisories compared "
          f"({affected_pairs} affected by at least one): {failures} disagreements")
    print(f"{len(queries) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
