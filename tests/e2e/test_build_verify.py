#!/usr/bin/env python3
"""`wheelhouse build` and `wheelhouse verify` from a local find-links folder (no server):

- a good build verifies (exit 0, --json ok);
- each broken bundle fails verify with exit 4 and names its problem: a missing transitive wheel, a wheel for
  the wrong platform, one for the wrong Python, one whose Requires-Python excludes the target, an sdist, a
  constraint URL, a `--constraint=` line, no --no-index, a hash that differs from the report;
- a failing build writes nothing (size guard), and leaves the previous outputs untouched;
- reproducibility: clean cache and warm cache builds, at different times, give the same plugins.zip bytes;
  SOURCE_DATE_EPOCH changes the timestamps and nothing else;
- `cache info|prune|clean`.

    test_build_verify.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, tally  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, env=None):
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=300)


def rewrite_zip(src, dst, drop=(), add=()):
    """Copies a zip, leaving out members whose name is in `drop` and adding (name, bytes) pairs."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            zout.writestr(info, zin.read(info.filename))
        for name, data in add:
            zout.writestr(name, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()
    demo = Path(args.fixtures).resolve() / "demo"

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-verify-") as tmp_name:
        tmp = Path(tmp_name)
        index = tmp / "index"
        r = run([sys.executable, ROOT / "tests" / "support" / "make_index.py", demo / "packages.json", index])
        assert r.returncode == 0, r.stderr
        files = index / "files"
        env = dict(os.environ, WHEELHOUSE_CACHE_DIR=str(tmp / "cache-a"))
        env.pop("SOURCE_DATE_EPOCH", None)
        target = "mwaa-2.10.3"

        def build(out, extra_env=None, extra=()):
            e = dict(env, **(extra_env or {}))
            return run([wh, "build", "-r", demo / "requirements.txt", "--target", target, "--airflow-constraints",
                        demo / "airflow-constraints.txt", "--no-index", "-f", files, "--plugins-dir",
                        demo / "plugins", "-o", out, *extra], env=e)

        # A good build verifies.
        dist = tmp / "dist"
        r = build(dist)
        print(r.stdout, r.stderr, flush=True)
        if not check(r.returncode == 0, f"build failed: {r.stderr}"):
            return 1
        report = json.loads((dist / "build-report.json").read_text())
        names = {p["name"]: p for p in report["packages"]}
        check("tomli-lite" in names, "snowlake-connector's tomli-lite (python_version < 3.12) is missing")
        check("aiohttp-lite" in names and "pysocks-lite" in names, "extras [async]/[socks] were not followed")
        check(names.get("requests-lite", {}).get("version") == "2.31.0", "the Airflow constraint was not applied")
        check("pywin32-lite" not in names, "a win32-only dependency was bundled")
        check(sorted(report["packages"][0].keys()) ==
              sorted(["name", "version", "filename", "url", "sha256", "size", "kind", "extras", "required_by",
                      "origin"]), f"report package fields: {sorted(report['packages'][0].keys())}")
        req_text = (dist / "requirements.txt").read_text()
        check("--no-index" in req_text and "--find-links /usr/local/airflow/plugins" in req_text and
              '--constraint "/usr/local/airflow/plugins/constraints.txt"' in req_text, f"requirements: {req_text}")
        check("tomli-lite" not in req_text, "a requirement whose marker is false was pinned")
        r = run([wh, "verify", dist, "--target", target, "--json"])
        doc = json.loads(r.stdout) if r.stdout.strip() else {}
        check(r.returncode == 0 and doc.get("ok") is True, f"verify of a good bundle: {r.returncode} {r.stdout}")
        check(sorted(doc.get("installs", [])) == sorted(f"{n}=={p['version']}" for n, p in names.items()),
              f"verify's install set differs from the report: {doc.get('installs')}")
        r = run([wh, "verify", dist])  # target from the report
        check(r.returncode == 0, f"verify without --target: {r.returncode} {r.stdout} {r.stderr}")

        # dist/ must be one build: a build killed between its renames leaves the new report and requirements.txt
        # next to the old plugins.zip; verify refuses that before anything else (exit 4, the file named).
        import shutil
        mixed = tmp / "dist-mixed"
        shutil.copytree(dist, mixed)
        (mixed / "requirements.txt").write_text(req_text.replace("==", "==9") if "==" in req_text else req_text + "x\n")
        r = run([wh, "verify", mixed, "--target", target, "--json"])
        doc = json.loads(r.stdout) if r.stdout.strip() else {}
        kinds = [(p["kind"], p["file"]) for p in doc.get("problems", [])]
        check(r.returncode == 4 and kinds == [("hash_mismatch", "requirements.txt")],
              f"verify of a mixed dist/: exit {r.returncode}, problems {kinds}")
        # A killed build's staging folder (no live build holds its lock) is removed by the next build.
        stale = dist / ".wheelhouse-build-killed"
        stale.mkdir()
        (stale / "plugins.zip").write_bytes(b"half a zip")
        r = build(dist)
        check(r.returncode == 0 and not stale.exists(),
              f"a rebuild left the stale staging folder: exit {r.returncode}, exists {stale.exists()}")
        check(not [p.name for p in dist.iterdir() if p.name.startswith(".")], "hidden files left in dist/")

        wheel_of = {p["name"]: p["filename"] for p in report["packages"]}

        # pip's hash-checking mode: --hash lines name the only acceptable files, dependencies included; a warm
        # cache must not stand in for a digest the user did not allow.
        def hashed_requirements(name, skip=(), wrong=(), unpinned=()):
            lines = []
            for p in report["packages"]:
                if p["name"] in skip:
                    continue
                digest = "0" * 64 if p["name"] in wrong else p["sha256"]
                pin = ">=" if p["name"] in unpinned else "=="
                lines.append(f"{p['name']}{pin}{p['version']} --hash=sha256:{digest}")
            path = tmp / name
            path.write_text("\n".join(lines) + "\n")
            return path

        def build_from(req, out, *extra):
            return run([wh, "build", "-r", req, "--target", target, "--airflow-constraints",
                        demo / "airflow-constraints.txt", "--no-index", "-f", files, "-o", out, *extra], env=env)

        dep = report["packages"][-1]["name"]
        r = build_from(hashed_requirements("hashed-ok.txt"), tmp / "dist-hashed")
        check(r.returncode == 0, f"hash-checking build with every digest: {r.returncode} {r.stderr}")
        if r.returncode == 0:
            rep = json.loads((tmp / "dist-hashed" / "build-report.json").read_text())
            check({p["name"]: p["sha256"] for p in rep["packages"]} == {n: p["sha256"] for n, p in names.items()},
                  "hash-checking build bundled other files")
        for label, req, code, words in (
                ("a wrong digest", hashed_requirements("hashed-wrong.txt", wrong=[dep]), 4, "--hash"),
                ("a dependency without --hash", hashed_requirements("hashed-missing.txt", skip=[dep]), 4, dep),
                ("an unpinned line", hashed_requirements("hashed-unpinned.txt", unpinned=[dep]), 1, "pinned")):
            out = tmp / f"dist-{label.replace(' ', '-')}"
            r = build_from(req, out)
            ok = check(r.returncode == code and words in r.stderr,
                       f"hash-checking build with {label}: expected exit {code} naming '{words}', got "
                       f"{r.returncode} {r.stderr}")
            ok = check(not out.exists() or not any(out.iterdir()), f"hash-checking build with {label} wrote {out}") and ok
            if ok:
                print(f"ok   hash-checking mode, {label}: exit {r.returncode}", flush=True)
        # lock applies the same mode: only the user's digests count, dependencies included.
        def lock_from(req, out):
            return run([wh, "lock", "-r", req, "--target", target, "--airflow-constraints",
                        demo / "airflow-constraints.txt", "--no-index", "-f", files, "-o", out], env=env)

        r = lock_from(tmp / "hashed-ok.txt", tmp / "hashed.lock.json")
        locked = json.loads((tmp / "hashed.lock.json").read_text()) if r.returncode == 0 else {}
        check({p["name"]: p["sha256"] for p in locked.get("packages", [])} ==
              {n: p["sha256"] for n, p in names.items()}, f"hash-checking lock: {r.returncode} {r.stderr}")
        for label, req, words in (("a wrong digest", tmp / "hashed-wrong.txt", "--hash"),
                                  ("a dependency without --hash", tmp / "hashed-missing.txt", dep)):
            out = tmp / f"lock-{label.replace(' ', '-')}.json"
            r = lock_from(req, out)
            check(r.returncode == 4 and words in r.stderr and not out.exists(),
                  f"hash-checking lock with {label}: expected exit 4 naming '{words}' and no lock file, got "
                  f"{r.returncode} {r.stderr}")
        r = build(tmp / "dist-require-hashes", extra=["--require-hashes"])
        check(r.returncode == 1 and "pinned" in r.stderr,
              f"--require-hashes with unpinned requirements: {r.returncode} {r.stderr}")

        def broken(label, kind, zip_drop=(), zip_add=(), requirements=None, keep_report=False, report_edit=None):
            d = tmp / f"broken-{label}"
            d.mkdir()
            rewrite_zip(dist / "plugins.zip", d / "plugins.zip", zip_drop, zip_add)
            (d / "requirements.txt").write_text(requirements if requirements is not None else req_text)
            if keep_report or report_edit:
                rep = json.loads((dist / "build-report.json").read_text())
                if report_edit:
                    report_edit(rep)
                (d / "build-report.json").write_text(json.dumps(rep))
            r = run([wh, "verify", d, "--target", target, "--json"])
            doc = json.loads(r.stdout) if r.stdout.strip() else {}
            kinds = [p["kind"] for p in doc.get("problems", [])]
            ok = check(r.returncode == 4 and kind in kinds,
                       f"{label}: expected exit 4 with '{kind}', got {r.returncode} {kinds} {r.stderr}")
            if ok:
                msg = next(p["message"] for p in doc["problems"] if p["kind"] == kind)
                print(f"ok   {label}: {kind}: {msg}", flush=True)
            # The human output names it too.
            r = run([wh, "verify", d, "--target", target])
            check(r.returncode == 4 and kind in r.stdout, f"{label}: human output lacks '{kind}': {r.stdout}")

        broken("missing-transitive", "missing_dependency", zip_drop={wheel_of["idna-lite"]})
        aarch = "snowlake_connector-3.6.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
        broken("wrong-platform", "incompatible_wheel", zip_drop={wheel_of["snowlake-connector"]},
               zip_add=[(aarch, (files / aarch).read_bytes())])
        py312 = "multidict_lite-6.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        broken("wrong-python", "incompatible_wheel", zip_drop={wheel_of["multidict-lite"]},
               zip_add=[(py312, (files / py312).read_bytes())])
        newer = "acme_common_sql-1.15.0-py3-none-any.whl"
        broken("requires-python", "requires_python", zip_drop={wheel_of["acme-common-sql"]},
               zip_add=[(newer, (files / newer).read_bytes())])
        broken("sdist", "sdist", zip_add=[("legacy_pkg-1.0.tar.gz", b"\x1f\x8b not really")])
        url_line = "--constraint https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt"
        broken("constraint-url", "constraint_url",
               requirements=req_text.replace('--constraint "/usr/local/airflow/plugins/constraints.txt"', url_line))
        broken("constraint-equals", "constraint_not_recognised",
               requirements=req_text.replace('--constraint "/usr/local/airflow/plugins/constraints.txt"',
                                             "--constraint=/usr/local/airflow/plugins/constraints.txt"))
        broken("no-index", "no_index", requirements=req_text.replace("--no-index\n", ""))
        broken("find-links", "find_links",
               requirements=req_text.replace("--find-links /usr/local/airflow/plugins", "--find-links /tmp/wheels"))

        def flip_hash(rep):
            rep["packages"][0]["sha256"] = "0" * 64

        broken("hash", "hash_mismatch", report_edit=flip_hash)
        broken("unsatisfiable-pin", "unsatisfiable",
               requirements=req_text.replace("requests-lite[socks]==2.31.0", "requests-lite[socks]==2.32.3"))

        # A failing build writes nothing and keeps the previous outputs as they were.
        before = {p.name: p.read_bytes() for p in dist.iterdir()}
        r = build(dist, extra=["--max-size", "10K"])
        check(r.returncode == 1 and "largest" in (r.stderr + r.stdout).lower(),
              f"size guard: exit {r.returncode}: {r.stderr}")
        after = {p.name: p.read_bytes() for p in dist.iterdir()}
        check(before == after, f"a failed build changed {sorted(set(after) ^ set(before))} or contents")
        fresh = tmp / "dist-failed"
        r = build(fresh, extra=["--max-size", "10K"])
        leftovers = sorted(p.name for p in fresh.iterdir()) if fresh.exists() else []
        check(r.returncode != 0 and leftovers == [], f"a failed build left {leftovers}")

        # Reproducibility: clean cache now, warm cache later, another clean cache later: same bytes.
        zip_a = (dist / "plugins.zip").read_bytes()
        time.sleep(1.2)
        r = build(tmp / "dist-warm")
        check(r.returncode == 0, f"warm build: {r.stderr}")
        warm = json.loads((tmp / "dist-warm" / "build-report.json").read_text())
        check(warm["fetch"]["downloaded"] == 0, f"warm build downloaded: {warm['fetch']}")
        check((tmp / "dist-warm" / "plugins.zip").read_bytes() == zip_a, "warm-cache build differs from the first")
        r = build(tmp / "dist-clean", extra_env={"WHEELHOUSE_CACHE_DIR": str(tmp / "cache-b")})
        check(r.returncode == 0, f"clean build: {r.stderr}")
        check((tmp / "dist-clean" / "plugins.zip").read_bytes() == zip_a, "clean-cache build differs from the first")
        r = build(tmp / "dist-nocache", extra=["--no-cache"])
        check(r.returncode == 0 and (tmp / "dist-nocache" / "plugins.zip").read_bytes() == zip_a,
              f"--no-cache build differs or failed: {r.stderr}")
        r = build(tmp / "dist-epoch", extra_env={"SOURCE_DATE_EPOCH": "1700000000"})
        check(r.returncode == 0, f"SOURCE_DATE_EPOCH build: {r.stderr}")
        zip_e = (tmp / "dist-epoch" / "plugins.zip").read_bytes()
        check(zip_e != zip_a, "SOURCE_DATE_EPOCH did not change the bytes")
        with zipfile.ZipFile(dist / "plugins.zip") as za, zipfile.ZipFile(tmp / "dist-epoch" / "plugins.zip") as ze:
            ia, ie = za.infolist(), ze.infolist()
            check([i.filename for i in ia] == [i.filename for i in ie], "member names differ with SOURCE_DATE_EPOCH")
            check([i.filename for i in ia] == sorted(i.filename for i in ia), "members are not sorted")
            for a, e in zip(ia, ie):
                check(za.read(a.filename) == ze.read(e.filename) and a.external_attr == e.external_attr and
                      a.compress_type == e.compress_type, f"{a.filename}: more than the timestamp changed")
            check(ie[0].date_time == (2023, 11, 14, 22, 13, 20), f"timestamp {ie[0].date_time} is not the epoch's")
            check(all(i.compress_type == zipfile.ZIP_STORED for i in ia if i.filename.endswith(".whl")),
                  "wheels were recompressed")
        r = build(tmp / "dist-epoch2", extra_env={"SOURCE_DATE_EPOCH": "1700000000", "TZ": "America/New_York"})
        check(r.returncode == 0 and (tmp / "dist-epoch2" / "plugins.zip").read_bytes() == zip_e,
              "the host's TZ changed the bytes")

        # build --locked from `wheelhouse lock`: the same wheels, and it verifies.
        lock = tmp / "wheelhouse.lock.json"
        r = run([wh, "lock", "-r", demo / "requirements.txt", "--target", target, "--airflow-constraints",
                 demo / "airflow-constraints.txt", "--no-index", "-f", files, "-o", lock], env=env)
        if check(r.returncode == 0, f"lock failed: {r.stderr}"):
            r = run([wh, "build", "--locked", lock, "--target", target, "-o", tmp / "dist-locked", "--offline"],
                    env=env)
            if check(r.returncode == 0, f"build --locked --offline failed: {r.stderr}"):
                locked = json.loads((tmp / "dist-locked" / "build-report.json").read_text())
                check(sorted((p["filename"], p["sha256"]) for p in locked["packages"]) ==
                      sorted((p["filename"], p["sha256"]) for p in report["packages"]),
                      "build --locked bundled other wheels")
                r = run([wh, "verify", tmp / "dist-locked", "--target", target])
                check(r.returncode == 0, f"verify of the --locked build: {r.stdout}")
            r = run([wh, "build", "--locked", lock, "--target", "mwaa-2.11.0", "-o", tmp / "dist-x"], env=env)
            check(r.returncode == 1, f"--locked with another target: exit {r.returncode}")

        # --offline with an empty cache names the missing wheels.
        r = run([wh, "build", "--locked", lock, "--target", target, "-o", tmp / "dist-off", "--offline"],
                env=dict(env, WHEELHOUSE_CACHE_DIR=str(tmp / "cache-empty")))
        # Local find-links wheels need no download, so this works even offline.
        check(r.returncode == 0, f"offline build from a local lock: {r.returncode} {r.stderr}")

        # cache info / prune / clean
        r = run([wh, "cache", "info", "--json"], env=env)
        info = json.loads(r.stdout) if r.returncode == 0 else {}
        check(info.get("entries", 0) == len(report["packages"]), f"cache info: {r.stdout} {r.stderr}")
        # --cache-dir (pip's spelling) names the folder on the command line, over WHEELHOUSE_CACHE_DIR.
        flag_cache = tmp / "cache-flag"
        r = build(tmp / "dist-flag", extra=("--cache-dir", flag_cache))
        check(r.returncode == 0, f"build --cache-dir: {r.returncode} {r.stderr}")
        r = run([wh, "cache", "info", "--cache-dir", flag_cache, "--json"], env=env)
        flag_info = json.loads(r.stdout) if r.returncode == 0 else {}
        check(flag_info.get("entries", 0) == len(report["packages"]) and
              (tmp / "dist-flag" / "plugins.zip").read_bytes() == (dist / "plugins.zip").read_bytes(),
              f"--cache-dir: {r.stdout} {r.stderr}")
        r = run([wh, "cache", "prune", "--older-than", "1"], env=env)
        check(r.returncode == 0 and "removed 0" in r.stdout, f"cache prune: {r.stdout} {r.stderr}")
        page = Path(env["WHEELHOUSE_CACHE_DIR"]) / "http-v1" / "ab" / "cdef.page"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("a stored index page\n")
        r = run([wh, "cache", "info", "--json"], env=env)
        check(r.returncode == 0 and json.loads(r.stdout).get("index_files", 0) >= 1,
              f"cache info does not count index pages: {r.stdout} {r.stderr}")
        r = run([wh, "cache", "clean", "--json"], env=env)
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
        check(doc.get("removed_entries") == len(report["packages"]) and doc.get("removed_index_files", 0) >= 1,
              f"cache clean: {r.stdout} {r.stderr}")
        check(not page.exists(), "cache clean left the index pages")

    print(f"{tally.count} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
