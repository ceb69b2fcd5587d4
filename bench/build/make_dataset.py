#!/usr/bin/env python3
"""Seeded generator of the build benchmark's data set (stdlib only; not a test).

    make_dataset.py OUT_DIR [--seed 1] [--projects 170] [--total-mb 400] [--big 4] [--big-mb 40:80]

Writes OUT_DIR/packages.json (the description tests/support/make_index.py turns into wheels and a PEP 503/691
index with PEP 658 metadata), OUT_DIR/requirements.txt (the few top-level requirements a user writes) and
OUT_DIR/expected.json (the projects the requirements must pull in, and the version this generator meant each
to resolve to: a sanity check of the data, not of the tools).

The data set looks like a real MWAA requirements file's closure:
- a handful of top-level projects (one asked for with extras) pull in everything else through Requires-Dist,
  over a layered graph (depth up to 5) in which a few "hub" leaves are required by many;
- wheel sizes are log-normal, plus --big large native wheels of --big-mb MB; payloads are incompressible;
- about a third of the projects are native (cp311 manylinux wheels, some abi3), the rest pure; native projects
  also publish wheels the target cannot use (other Pythons, musllinux, Windows, macOS, aarch64, a manylinux
  level newer than the target's glibc), some both a manylinux_2_28 and an older manylinux2014 wheel, some a
  pure fallback beside the native one, so choosing the file is a real choice;
- some projects have several versions: a cap in one dependent ("<X"), a newest release that needs Python 3.12,
  or a yanked newest release makes the newest one the wrong pick;
- markers that are true for the target (python_version < "3.12"), false ones (python_version < "3.11",
  sys_platform == "win32") and an extra nobody asks for lead to a few projects that must stay out.
Files the tools do not pick (older versions, foreign platforms) get small payloads: only their metadata and
their listing matter, and the data set stays near --total-mb on disk.
"""

import argparse
import json
import math
import random
import sys
from pathlib import Path

SYLLABLES = ["al", "bor", "cas", "dra", "el", "fen", "gal", "hox", "is", "jun", "kel", "lum", "mar", "nex", "or",
             "pra", "quil", "ros", "syn", "tor", "ul", "vex", "wyn", "xan", "yor", "zel", "ka", "lo", "mi", "ne",
             "pi", "ru", "sa", "te", "vo", "ti", "da", "go", "ha", "be"]
SUFFIXES = ["", "", "", "", "-core", "-client", "-utils", "-sdk", "-io", "_ext", "-plugin", ".api", "-common", "py"]

PLATFORM_2014 = "manylinux_2_17_x86_64.manylinux2014_x86_64"
FOREIGN_TAGS = ["cp310-cp310-" + PLATFORM_2014, "cp312-cp312-" + PLATFORM_2014, "cp311-cp311-musllinux_1_1_x86_64",
                "cp311-cp311-win_amd64", "cp311-cp311-macosx_11_0_arm64",
                "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64"]
SMALL_PAYLOAD = 16 * 1024


def make_names(rng, count):
    names, seen = [], set()
    while len(names) < count:
        base = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 2, 3])))
        name = base + rng.choice(SUFFIXES)
        if rng.random() < 0.1:
            name = name.capitalize()
        key = name.lower().replace("_", "-").replace(".", "-")
        if key in seen:
            continue
        seen.add(key)
        names.append(name)
    return names


def version_string(rng):
    return f"{rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 7, 12, 23, 24])}.{rng.randrange(0, 20)}.{rng.randrange(0, 10)}"


def versions_after(rng, first, count):
    major, minor, patch = (int(x) for x in first.split("."))
    out = [first]
    for _ in range(count - 1):
        step = rng.random()
        if step < 0.4:
            patch += 1
        elif step < 0.8:
            minor, patch = minor + 1, 0
        else:
            major, minor, patch = major + 1, 0, 0
        out.append(f"{major}.{minor}.{patch}")
    return out


def sizes(rng, count, total_bytes, big, big_range):
    big_sizes = [int(rng.uniform(*big_range) * 1024 * 1024) for _ in range(big)]
    rest = max(total_bytes - sum(big_sizes), count * SMALL_PAYLOAD)
    raw = [rng.lognormvariate(0.0, 1.2) for _ in range(count - big)]
    scale = rest / sum(raw)
    return big_sizes, [max(8 * 1024, int(r * scale)) for r in raw]


def generate(seed, projects, total_mb, big, big_range):
    rng = random.Random(seed)
    hidden = 6  # reachable only through false markers or an extra nobody asks for
    names = make_names(rng, projects + hidden)
    top_count = 6
    # Depth 0: the top-level requirements; the others spread over depths 1..5, more of them deeper.
    depth = [0] * top_count + sorted(rng.choices([1, 2, 3, 4, 5], weights=[18, 26, 26, 18, 12], k=projects - top_count))
    order = list(range(projects))
    hubs = set(rng.sample([i for i in order if depth[i] >= 4], 8))

    big_sizes, small_sizes = sizes(rng, projects, total_mb * 1024 * 1024, big, big_range)
    # The big ones are native libraries deep in the graph (numerical, Arrow-like, cloud SDK data files).
    big_ids = rng.sample([i for i in order if depth[i] >= 3 and i not in hubs], big)
    size_of = {}
    it = iter(small_sizes)
    for i in order:
        size_of[i] = big_sizes[big_ids.index(i)] if i in big_ids else next(it)
    native = {i for i in order if i in big_ids or (i >= top_count and rng.random() < 0.33)}

    # Versions: most projects have one; ~20 have several, with a reason for the newest to lose sometimes.
    versions = {}
    chosen = {}
    newest_problem = {}
    multi = set(rng.sample([i for i in order if i not in big_ids], 20))
    for i in range(projects + hidden):
        first = version_string(rng)
        if i in multi:
            versions[i] = versions_after(rng, first, rng.choice([2, 3, 3, 4]))
            newest_problem[i] = rng.choice(["none", "none", "cap", "cap", "python312", "yanked"])
        else:
            versions[i] = [first]
            newest_problem[i] = "none"
        vs = versions[i]
        chosen[i] = len(vs) - 1 if newest_problem[i] == "none" else len(vs) - 2

    # Edges: every non-top project gets a parent one level up (so it is reachable), then extra edges from
    # shallower to deeper projects, hubs preferred.
    deps = {i: [] for i in order}
    by_depth = {}
    for i in order:
        by_depth.setdefault(depth[i], []).append(i)
    for i in order[top_count:]:
        parents = by_depth.get(depth[i] - 1) or by_depth[0]
        deps[rng.choice(parents)].append(i)
    for i in order:
        deeper = [j for j in order if depth[j] > depth[i]]
        if not deeper:
            continue
        k = rng.randint(6, 14) if depth[i] == 0 else rng.choice([0, 1, 1, 2, 2, 3, 4, 5])
        weights = [6 if j in hubs else 1 for j in deeper]
        for j in rng.choices(deeper, weights=weights, k=k):
            if j not in deps[i]:
                deps[i].append(j)
    # Every capped project needs one dependent that caps it: its first parent.
    parents_of = {j: [i for i in order if j in deps[i]] for j in order}

    def spec_for(child, capping):
        vs = versions[child]
        c = vs[chosen[child]]
        if capping:
            return f">={vs[0]},<{vs[-1]}"
        roll = rng.random()
        if roll < 0.3:
            return ""
        if roll < 0.65:
            return f">={rng.choice(vs[:chosen[child] + 1])}"
        if roll < 0.85:
            major = int(c.split(".")[0])
            return f">={vs[0]},<{major + 1}"
        if roll < 0.95 and len(vs) > 1 and chosen[child] > 0:
            return f"!={vs[0]}"
        return f">={c.rsplit('.', 1)[0]}"  # e.g. >=2.3 when 2.3.1 is the pick

    def name_as_written(child):
        n = names[child]
        return n.upper() if rng.random() < 0.03 else n.replace("-", "_") if rng.random() < 0.05 else n

    requires = {i: [] for i in range(projects + hidden)}
    extras = {i: {} for i in range(projects + hidden)}
    speedups = set()
    for j in order:
        capper = parents_of[j][0] if newest_problem[j] == "cap" and parents_of[j] else None
        for p in parents_of[j]:
            spec = spec_for(j, p == capper)
            marker = ""
            if rng.random() < 0.06:
                marker = '; python_version < "3.12"' if rng.random() < 0.5 else '; python_version >= "3.8"'
            requires[p].append((j, spec, marker))

    # Extras: the first top-level project moves some of its edges into extras the requirements ask for; a few
    # mid-level projects get a "speedups" extra that one of their dependents asks for.
    top_extra_names = ["aws", "postgres", "redis"]
    t0 = 0
    movable = [r for r in requires[t0] if len(parents_of[r[0]]) > 0]
    rng.shuffle(movable)
    for name, count in (("aws", 3), ("postgres", 2)):
        for _ in range(count):
            if movable:
                r = movable.pop()
                requires[t0].remove(r)
                extras[t0].setdefault(name, []).append(r)
    for j in rng.sample([i for i in order if 1 <= depth[i] <= 3 and len(requires[i]) >= 2], 3):
        r = requires[j].pop()
        extras[j]["speedups"] = [r]
        speedups.add(j)

    # Hidden projects: behind an extra nobody asks for, a marker false on Linux/3.11, or both.
    hid = list(range(projects, projects + hidden))
    extras[t0]["redis"] = [(hid[0], "", ""), (hid[1], ">=0.1", "")]
    requires[rng.choice(by_depth[1])].append((hid[2], "", '; python_version < "3.11"'))
    requires[rng.choice(by_depth[2])].append((hid[3], "", '; sys_platform == "win32"'))
    requires[rng.choice(by_depth[3])].append((hid[4], "", '; platform_system == "Windows"'))
    requires[rng.choice(by_depth[1])].append((hid[5], "", '; python_version < "3.10"'))
    for h in hid:
        size_of[h] = SMALL_PAYLOAD * 8

    def req_text(child, spec, marker, parent=None):
        extra_part = "[speedups]" if child in speedups and parent is not None and rng.random() < 0.7 else ""
        return f"{name_as_written(child)}{extra_part}{spec}{marker}"

    # Make sure every speedups extra is asked for by someone.
    speedup_askers = {}
    for p in list(requires):
        for (c, s, m) in requires[p]:
            if c in speedups and c not in speedup_askers and not m:
                speedup_askers[c] = p

    packages = []
    tags_chosen = {}
    for i in range(projects + hidden):
        req_lines = []
        for (c, s, m) in requires[i]:
            text = req_text(c, s, m, i)
            if c in speedups and speedup_askers.get(c) == i and "[" not in text:
                text = f"{names[c]}[speedups]{s}{m}"
            req_lines.append(text)
        extra_lines = {e: [f"{names[c]}{s}{m}" for (c, s, m) in rs] for e, rs in extras[i].items()}
        tags, primary = tag_set(rng, i in native)
        tags_chosen[i] = primary
        vlist = []
        rp = rng.choice(["", ">=3.8", ">=3.9", ">=3.7", ">=3.10"])
        for k, v in enumerate(versions[i]):
            is_pick = k == chosen[i]
            entry = {"version": v}
            if is_pick:
                # The file the tools should pick carries the real payload; every other file a small one.
                per_tag = {t: (size_of[i] if t == primary else SMALL_PAYLOAD) for t in tags}
            else:
                per_tag = {t: SMALL_PAYLOAD for t in tags}
            entry["tags"] = tags
            entry["payload_by_tag"] = per_tag
            if rp:
                entry["requires_python"] = rp
            if req_lines:
                entry["requires_dist"] = req_lines
            if extra_lines:
                entry["extras"] = extra_lines
            if k == len(versions[i]) - 1 and newest_problem[i] == "python312":
                entry["requires_python"] = ">=3.12"
            if k == len(versions[i]) - 1 and newest_problem[i] == "yanked":
                entry["yanked"] = "broken build"
            vlist.append(entry)
        packages.append({"name": names[i], "versions": vlist})
    rng.shuffle(packages)

    top_reqs = []
    for t in range(top_count):
        v = versions[t][chosen[t]]
        spec = rng.choice(["", f">={v.rsplit('.', 1)[0]}", f"=={v}", f">={versions[t][0]},<{int(v.split('.')[0]) + 1}"])
        if newest_problem[t] == "cap":
            spec = f">={versions[t][0]},<{versions[t][-1]}"
        extra_part = "[aws,postgres]" if t == t0 else ""
        top_reqs.append(f"{names[t]}{extra_part}{spec}")
    requirements = "# generated by bench/build/make_dataset.py: the top-level requirements\n" + \
        "".join(r + "\n" for r in top_reqs)

    # What the requirements must pull in (reachability over edges whose marker holds on Linux / 3.11).
    def holds(marker):
        return marker in ("", '; python_version < "3.12"', '; python_version >= "3.8"')
    reach, stack = set(), list(range(top_count))
    while stack:
        i = stack.pop()
        if i in reach:
            continue
        reach.add(i)
        edges = [c for (c, s, m) in requires[i] if holds(m)]
        asked = (["aws", "postgres"] if i == t0 else []) + (["speedups"] if i in speedups else [])
        for e in asked:
            edges += [c for (c, s, m) in extras[i].get(e, [])]
        stack += edges
    expected = {"projects": {names[i]: versions[i][chosen[i]] for i in sorted(reach)},
                "files": sorted(wheel_filename(names[i], versions[i][chosen[i]], tags_chosen[i]) for i in reach),
                "hidden": [names[h] for h in hid],
                "bytes_expected": sum(size_of[i] for i in reach)}
    return {"packages": packages}, requirements, expected


def wheel_filename(name, version, tag):
    import re
    return f"{re.sub(r'[-_.]+', '_', name)}-{version}-{tag}.whl"


def tag_set(rng, is_native):
    """The tags one version publishes, and the one a cp311 manylinux_2_34 x86_64 target must pick."""
    if not is_native:
        primary = rng.choice(["py3-none-any"] * 5 + ["py2.py3-none-any"])
        return [primary], primary
    roll = rng.random()
    if roll < 0.45:
        primary, tags = "cp311-cp311-" + PLATFORM_2014, ["cp311-cp311-" + PLATFORM_2014]
    elif roll < 0.65:
        # A newer manylinux level beside the old one: the newer is the better match.
        primary = "cp311-cp311-manylinux_2_28_x86_64"
        tags = [primary, "cp311-cp311-" + PLATFORM_2014]
    elif roll < 0.8:
        primary, tags = "cp38-abi3-" + PLATFORM_2014, ["cp38-abi3-" + PLATFORM_2014]
    elif roll < 0.9:
        # Too new for the target's glibc 2.34: the 2014 one is the match.
        primary = "cp311-cp311-" + PLATFORM_2014
        tags = ["cp311-cp311-manylinux_2_35_x86_64", primary]
    else:
        primary = "cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64"
        tags = [primary]
    tags = tags + rng.sample(FOREIGN_TAGS, rng.randint(2, len(FOREIGN_TAGS)))
    if rng.random() < 0.15:
        tags.append("py3-none-any")  # a pure fallback: the native wheel wins
    return tags, primary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--projects", type=int, default=170)
    ap.add_argument("--total-mb", type=int, default=400)
    ap.add_argument("--big", type=int, default=4)
    ap.add_argument("--big-mb", default="40:80")
    args = ap.parse_args()
    lo, hi = (float(x) for x in args.big_mb.split(":"))
    if args.projects < 40:
        ap.error("--projects must be at least 40")
    description, requirements, expected = generate(args.seed, args.projects, args.total_mb, args.big, (lo, hi))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "packages.json").write_text(json.dumps(description, indent=1, sort_keys=True) + "\n")
    (out / "requirements.txt").write_text(requirements)
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"{len(expected['files'])} wheels expected, {expected['bytes_expected'] / 1e6:.0f} MB of payload, "
          f"{len(description['packages'])} projects in the index", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
