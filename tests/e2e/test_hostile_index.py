#!/usr/bin/env python3
"""A hostile extra index against the core-metadata paths (nginx, trees from tests/support/make_index.py):

- cache poisoning: an index lists a real wheel's sha256 but serves a crafted zip, so the METADATA read by
  range requests (with an injected Requires-Dist) would be stored under the real wheel's digest. A later build
  that shares the cache and uses only the honest index must resolve from the honest metadata: from its
  PEP 658 file where it has one, from the wheel itself where it has none;
- the check after the download: an index that serves the real wheel bytes (right digest) with a crafted
  PEP 658 file (whose own digest the page gives) makes the resolution use metadata the wheel does not have;
  the build must fail with exit 4, naming the wheel, the field and both sources, and bundle nothing.

    test_hostile_index.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import base64
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, tally  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET = "mwaa-2.10.3"
FIXED_DATE = (2020, 1, 1, 0, 0, 0)


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def metadata(name, version, requires=()):
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return ("\n".join(lines) + "\n").encode()


def write_wheel(path, name, version, requires=()):
    """A valid pure-Python wheel (RECORD right), with the Requires-Dist given."""
    part = name.replace("-", "_")
    dist = f"{part}-{version}.dist-info"
    members = [(f"{part}/__init__.py", b"VALUE = 'crafted'\n"), (f"{dist}/METADATA", metadata(name, version, requires)),
               (f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")]
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d in members) + f"{dist}/RECORD,,\n"
    members.append((f"{dist}/RECORD", record.encode()))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, d in members:
            z.writestr(zipfile.ZipInfo(n, FIXED_DATE), d)


def page(folder, links):
    """A PEP 503 project page; links are (filename, sha256, core-metadata sha256 or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    anchors = []
    for filename, sha, meta_sha in links:
        extra = f' data-core-metadata="sha256={meta_sha}"' if meta_sha else ""
        anchors.append(f'<a href="../../files/{html.escape(filename)}#sha256={sha}"{extra}>{html.escape(filename)}</a>')
    (folder / "index.html").write_text("<!DOCTYPE html><html><body>" + "<br/>".join(anchors) + "</body></html>\n")


def run(cmd, env):
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=300)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "WHEELHOUSE_"))}
        env["NO_COLOR"] = "1"

        # The honest index: "victim" with a PEP 658 file, "victim-nometa" without (range requests), "evil-payload"
        # exists only on the hostile indexes.
        tree = tmp / "tree"
        description = tmp / "packages.json"
        description.write_text(json.dumps({"packages": [
            {"name": "victim", "versions": [{"version": "1.0"}]},
            {"name": "victim-nometa", "versions": [{"version": "1.0", "metadata_file": False}]},
        ]}))
        r = subprocess.run([sys.executable, ROOT / "tests" / "support" / "make_index.py", description, tree],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        manifest = json.loads((tree / "manifest.json").read_text())["files"]
        real = {f: manifest[f]["sha256"] for f in ("victim-1.0-py3-none-any.whl", "victim_nometa-1.0-py3-none-any.whl")}

        # Hostile index 1 (/evil/): the real digests, crafted zips behind them (read by range requests), no
        # PEP 658 files; evil-payload is what the crafted METADATA asks for.
        evil = tree / "evil"
        (evil / "files").mkdir(parents=True)
        write_wheel(evil / "files" / "victim-1.0-py3-none-any.whl", "victim", "1.0", ["evil-payload"])
        write_wheel(evil / "files" / "victim_nometa-1.0-py3-none-any.whl", "victim-nometa", "1.0", ["evil-payload"])
        payload = evil / "files" / "evil_payload-1.0-py3-none-any.whl"
        write_wheel(payload, "evil-payload", "1.0")
        payload_sha = hashlib.sha256(payload.read_bytes()).hexdigest()
        page(evil / "simple" / "victim", [("victim-1.0-py3-none-any.whl", real["victim-1.0-py3-none-any.whl"], None)])
        page(evil / "simple" / "victim-nometa",
             [("victim_nometa-1.0-py3-none-any.whl", real["victim_nometa-1.0-py3-none-any.whl"], None)])
        page(evil / "simple" / "evil-payload", [("evil_payload-1.0-py3-none-any.whl", payload_sha, None)])

        # Hostile index 2 (/evil658/): the real wheel bytes (so the digest holds) with a crafted PEP 658 file
        # whose own digest the page gives.
        e658 = tree / "evil658"
        (e658 / "files").mkdir(parents=True)
        shutil.copy(tree / "files" / "victim-1.0-py3-none-any.whl", e658 / "files")
        crafted = metadata("victim", "1.0", ["evil-payload"])
        (e658 / "files" / "victim-1.0-py3-none-any.whl.metadata").write_bytes(crafted)
        shutil.copy(payload, e658 / "files")
        page(e658 / "simple" / "victim", [("victim-1.0-py3-none-any.whl", real["victim-1.0-py3-none-any.whl"],
                                           hashlib.sha256(crafted).hexdigest())])
        page(e658 / "simple" / "evil-payload", [("evil_payload-1.0-py3-none-any.whl", payload_sha, None)])

        state = tmp / "index-state"
        r = subprocess.run(["bash", ROOT / "scripts" / "index-server", "start", state],
                           env=dict(os.environ, WHEELHOUSE_INDEX_TREE=str(tree)), capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            return 1
        port = json.loads((state / "servers.json").read_text())["http_port"]
        base = f"http://127.0.0.1:{port}"
        try:
            req = tmp / "requirements.txt"
            req.write_text("victim\nvictim-nometa\n")
            cache = tmp / "shared-cache"

            def build(index, out, cache_dir, reqs=req):
                return run([wh, "build", "-r", reqs, "--target", TARGET, "--no-airflow-constraints", "--index-url",
                            index, "--trusted-host", "127.0.0.1", "--cache-dir", cache_dir, "-o", out, "-v"], env)

            # 1. A build against the hostile index fills the shared cache (it fails: the crafted zips are not
            #    the wheels the digests name).
            r = build(f"{base}/evil/simple/", tmp / "dist-evil", cache)
            print("hostile build:", r.returncode, r.stderr[-600:], flush=True)
            check(r.returncode != 0, "the build from the hostile index succeeded")
            check(not (tmp / "dist-evil" / "plugins.zip").exists(), "the hostile build wrote a bundle")

            # 2. The next build shares the cache and uses only the honest index: the honest metadata decides.
            out = tmp / "dist-honest"
            r = build(f"{base}/simple/", out, cache)
            print("honest build:", r.returncode, r.stderr[-1500:], flush=True)
            if check(r.returncode == 0, f"the honest build failed after the hostile one (poisoned cache?):\n{r.stderr}"):
                report = json.loads((out / "build-report.json").read_text())
                names = sorted(p["name"] for p in report["packages"])
                check(names == ["victim", "victim-nometa"], f"the honest build bundles {names}")
                reqs = (out / "requirements.txt").read_text()
                check("evil" not in reqs and "evil" not in (out / "constraints.txt").read_text(),
                      f"evil-payload reached the outputs: {reqs}")

            # 3. The real wheel behind a crafted PEP 658 file: the wheel's own METADATA decides, exit 4.
            only_victim = tmp / "victim.txt"
            only_victim.write_text("victim\n")
            out = tmp / "dist-658"
            r = build(f"{base}/evil658/simple/", out, tmp / "cache-658", only_victim)
            err = r.stderr
            print("crafted PEP 658 build:", r.returncode, err[-1500:], flush=True)
            check(r.returncode == 4, f"a wheel whose METADATA differs from the PEP 658 file: exit {r.returncode}, "
                                     f"want 4\n{err}")
            error = next((l for l in err.splitlines() if l.startswith("error:")), "")
            for want in ("victim-1.0-py3-none-any.whl", "METADATA", "Requires-Dist", "evil-payload",
                         f"{base}/evil658/files/victim-1.0-py3-none-any.whl.metadata"):
                check(want in error, f"the error does not name {want!r}: {error}")
            check(not (out / "plugins.zip").exists(), "a bundle was written despite the mismatch")
            check(len([l for l in err.splitlines() if l.startswith("error:")]) == 1, f"not one error line:\n{err}")
        finally:
            subprocess.run(["bash", ROOT / "scripts" / "index-server", "stop", state], capture_output=True, timeout=60)

    print(f"\n{tally.count} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
