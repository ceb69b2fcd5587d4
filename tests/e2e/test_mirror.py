#!/usr/bin/env python3
"""`wheelhouse mirror` end to end: a static index that pip and wheelhouse itself install and lock from.

Folder mode (default):
  1. a source index (scripts/index-server, fixtures/demo/packages.json) on loopback;
  2. mirror set 1 for two targets into a folder; serve the folder with nginx (HTML/JSON negotiation);
     pip (fresh Python 3.11 venv, PIP_* cleared, --index-url only) installs set 1 from it;
  3. mirror set 2 (overlapping): the report shows that only new files were written; pip installs the union;
  4. `wheelhouse lock` against the served mirror, JSON (/simple/) and HTML only (/html/simple/): the lock
     equals what was mirrored and nginx's access log shows .metadata requests and no wheel download;
  5. mirror runs killed (SIGKILL) as soon as their first new file appears: after each, every page names
     only files that exist and match their hashes (the checker); a rerun then completes.
S3 mode (--s3, with WHEELHOUSE_S3_SERVER naming the RGW fixture's server.json; Debian's python for botocore):
  the same two runs to s3://bucket/pypi with SSE-KMS; the second uploads only new objects (report, listing,
  HEAD: old objects keep their ETag and Last-Modified), and the checker passes on the bucket.

    test_mirror.py --wheelhouse PATH --fixtures DIR [--s3]
"""

import argparse
import hashlib
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PYTHON311 = "/root/.pyenv/versions/3.11.7/bin/python3"
SET1 = "acme-airflow-providers-snowlake==5.8.0\n"
SET2 = "acme-airflow-providers-snowlake==5.8.0\nacme-airflow-providers-http[async]>=4.9\nrequests-lite[socks]>=2.28\n"


def run(cmd, env=None, cwd=None, timeout=600):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- The checker: every page names only files that exist and match its hashes ----

class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))


def check_tree(get, label):
    """get(key) -> bytes or None. Returns the number of files checked; records failures."""
    problems = []
    root = get("simple/index.json")
    if root is None:
        if get("simple/index.html") is not None:
            problems.append("simple/index.html without simple/index.json")
        for p in problems:
            check(False, f"{label}: {p}")
        return 0
    projects = [p["name"] for p in json.loads(root)["projects"]]
    root_html = Links()
    root_html.feed((get("simple/index.html") or b"").decode())
    html_projects = sorted(a["href"].rstrip("/") for a in root_html.links)
    if sorted(projects) != html_projects:
        problems.append(f"root pages disagree: {projects} vs {html_projects}")
    checked = set()
    cache = {}

    def content(key):
        if key not in cache:
            cache[key] = get(key)
        return cache[key]

    for project in projects:
        page_json = content(f"simple/{project}/index.json")
        page_html = content(f"simple/{project}/index.html")
        if page_json is None or page_html is None:
            problems.append(f"root lists {project} but its pages are missing")
            continue
        doc = json.loads(page_json)
        entries = []
        for f in doc["files"]:
            meta = f.get("core-metadata")
            entries.append((f["filename"], f["url"], f["hashes"]["sha256"],
                            meta["sha256"] if isinstance(meta, dict) else None, f.get("size")))
        links = Links()
        links.feed(page_html.decode())
        for a in links.links:
            href, _, frag = a["href"].partition("#")
            meta = a.get("data-core-metadata") or ""
            entries.append((urllib.parse.unquote(href.rsplit("/", 1)[-1]), href, frag.partition("=")[2],
                            meta.partition("=")[2] or None, None))
        if len(links.links) != len(doc["files"]):
            problems.append(f"{project}: HTML lists {len(links.links)} files, JSON {len(doc['files'])}")
        for filename, url, sha, meta_sha, size in entries:
            if not url.startswith("../../files/"):
                problems.append(f"{project}: {filename}: url {url} is not ../../files/...")
                continue
            key = "files/" + filename
            data = content(key)
            if data is None:
                problems.append(f"{project}: names {filename}, which does not exist")
                continue
            if hashlib.sha256(data).hexdigest() != sha:
                problems.append(f"{project}: {filename} does not match its sha256")
            if size is not None and size != len(data):
                problems.append(f"{project}: {filename} size {len(data)} != {size}")
            if meta_sha:
                meta_data = content(key + ".metadata")
                if meta_data is None:
                    problems.append(f"{project}: {filename}.metadata is missing")
                elif hashlib.sha256(meta_data).hexdigest() != meta_sha:
                    problems.append(f"{project}: {filename}.metadata does not match its sha256")
            checked.add(filename)
    for p in problems:
        check(False, f"{label}: {p}")
    return len(checked)


def local_getter(root):
    def get(key):
        path = Path(root) / key
        return path.read_bytes() if path.is_file() else None
    return get


# ---- Servers ----

class IndexServer:
    def __init__(self, state, packages=None, tree=None):
        self.state = Path(state)
        self.packages = packages
        self.tree = tree

    def __enter__(self):
        env = dict(os.environ)
        if self.tree:
            env["WHEELHOUSE_INDEX_TREE"] = str(self.tree)
        cmd = [ROOT / "scripts" / "index-server", "start", self.state, "0"]
        if self.packages:
            cmd.append(self.packages)
        r = run(cmd, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"index-server failed: {r.stderr}")
        self.servers = json.loads((self.state / "servers.json").read_text())
        self.base = f"http://127.0.0.1:{self.servers['http_port']}"
        return self

    def __exit__(self, *exc):
        run([ROOT / "scripts" / "index-server", "stop", self.state])

    def log_lines(self):
        path = Path(self.servers["access_log"])
        return path.read_text().splitlines() if path.exists() else []


def mirror_cmd(args, reqs, dest, source, demo, *extra, targets=("mwaa-2.10.3", "mwaa-2.11.0")):
    cmd = [args.wheelhouse, "mirror", "-r", reqs, "--dest", dest, "-i", source + "/simple/",
           "--trusted-host", "127.0.0.1", "--airflow-constraints", demo / "airflow-constraints.txt", "--json"]
    for t in targets:
        cmd += ["--target", t]
    return cmd + list(extra)


def mirror_json(cmd, env):
    r = run(cmd, env=env)
    if not check(r.returncode == 0, f"mirror failed (exit {r.returncode}): {r.stderr[-3000:]}"):
        return None
    return json.loads(r.stdout)


def pip_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and not k.lower().endswith("_proxy")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1",
                "NO_PROXY": "*", "no_proxy": "*"})
    return env


def pip_install(tmp, name, index_url, reqs_text, expected):
    venv = tmp / f"venv-{name}"
    r = run([PYTHON311, "-m", "venv", venv])
    if not check(r.returncode == 0, f"{name}: venv failed: {r.stderr}"):
        return
    reqs = tmp / f"pip-{name}.txt"
    reqs.write_text(reqs_text)
    r = run([venv / "bin" / "python", "-m", "pip", "install", "--index-url", index_url, "--trusted-host",
             "127.0.0.1", "-r", reqs], env=pip_env(), cwd=tmp)
    print(r.stdout[-2500:], r.stderr[-2500:], flush=True)
    if not check(r.returncode == 0, f"{name}: pip install from the mirror failed: {r.stderr[-2000:]}"):
        return
    r = run([venv / "bin" / "python", "-c",
             "import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version "
             "for d in m.distributions()}))"], env=pip_env())
    installed = {normalize(k): v for k, v in json.loads(r.stdout).items() if k not in ("pip", "setuptools", "wheel")}
    check(set(expected) <= set(installed), f"{name}: not installed: {sorted(set(expected) - set(installed))}")
    print(f"{name}: pip installed {sorted(installed.items())}", flush=True)


# ---- Folder mode ----

def folder_mode(args, tmp):
    demo = Path(args.fixtures) / "demo"
    env = dict(os.environ, WHEELHOUSE_CACHE_DIR=str(tmp / "cache"))
    env.pop("NO_COLOR", None)
    dest = tmp / "mirror"
    (tmp / "set1.txt").write_text(SET1)
    (tmp / "set2.txt").write_text(SET2)
    with IndexServer(tmp / "source", packages=demo / "packages.json") as source:
        first = mirror_json(mirror_cmd(args, tmp / "set1.txt", dest, source.base, demo), env)
        if first is None:
            return
        print("run 1:", json.dumps({k: first[k] for k in ("written", "skipped", "pages")}, indent=1), flush=True)
        files1 = {f["filename"] for f in first["files"]}
        check(any("cp311" in f for f in files1) and any("cp312" in f for f in files1),
              f"two targets: expected cp311 and cp312 wheels, got {sorted(files1)}")
        check(sorted(first["written"]) == sorted([f"files/{n}" for n in files1] + [f"files/{n}.metadata" for n in files1]),
              f"run 1 should write every file and its .metadata: {first['written']}")
        check(first["skipped"] == [], f"run 1 skipped {first['skipped']}")
        check(check_tree(local_getter(dest), "after run 1") == len(files1), "run 1: checker count")
        snapshot = tmp / "after-run1"
        shutil.copytree(dest, snapshot, symlinks=True)

        with IndexServer(tmp / "served", tree=dest) as served:
            pip_install(tmp, "set1", served.base + "/simple/", SET1, {"acme-airflow-providers-snowlake", "snowlake-connector", "acme-common-sql"})

            # Run 2: overlapping set; only new files are written.
            mtimes = {p.name: p.stat().st_mtime_ns for p in (dest / "files").iterdir()}
            second = mirror_json(mirror_cmd(args, tmp / "set2.txt", dest, source.base, demo), env)
            if second is None:
                return
            print("run 2:", json.dumps({k: second[k] for k in ("written", "skipped", "pages")}, indent=1), flush=True)
            files2 = {f["filename"] for f in second["files"]}
            new = files2 - files1
            check(bool(new) and bool(files1 & files2), f"sets should overlap and differ: {files1} / {files2}")
            check(sorted(second["written"]) == sorted([f"files/{n}" for n in new] + [f"files/{n}.metadata" for n in new]),
                  f"run 2 must write only the new files: wrote {second['written']}, new {sorted(new)}")
            check(sorted(second["skipped"]) == sorted([f"files/{n}" for n in files1 & files2] +
                                                      [f"files/{n}.metadata" for n in files1 & files2]),
                  f"run 2 skipped {second['skipped']}")
            for name, mtime in mtimes.items():
                check((dest / "files" / name).stat().st_mtime_ns == mtime, f"run 2 rewrote {name}")
            listed = {f["filename"] for p in (dest / "simple").glob("*/index.json")
                      for f in json.loads(p.read_text())["files"]}
            check(listed == files1 | files2, f"pages should list the union: {sorted(listed ^ (files1 | files2))}")
            check(check_tree(local_getter(dest), "after run 2") == len(files1 | files2), "run 2: checker count")
            union = {f["project"] for f in first["files"]} | {f["project"] for f in second["files"]}
            pip_install(tmp, "union", served.base + "/simple/", SET2 + SET1,
                        {"acme-airflow-providers-snowlake", "acme-airflow-providers-http", "requests-lite",
                         "pysocks-lite", "aiohttp-lite", "snowlake-connector"} & union)

            # wheelhouse locks from the mirror (JSON and HTML), with PEP 658 metadata only.
            for label, path in (("json", "/simple/"), ("html", "/html/simple/")):
                before = len(served.log_lines())
                lock_env = dict(env, WHEELHOUSE_CACHE_DIR=str(tmp / f"cache-lock-{label}"))
                out = tmp / f"lock-{label}.json"
                r = run([args.wheelhouse, "lock", "-r", tmp / "set2.txt", "--target", "mwaa-2.10.3", "-i",
                         served.base + path, "--trusted-host", "127.0.0.1", "--airflow-constraints",
                         demo / "airflow-constraints.txt", "-o", out], env=lock_env)
                if not check(r.returncode == 0, f"lock from the mirror ({label}) failed: {r.stderr[-2000:]}"):
                    continue
                lines = served.log_lines()[before:]
                wheels = [l for l in lines if re.search(r'"GET [^ ]*\.whl ', l)]
                metas = [l for l in lines if re.search(r'"GET [^ ]*\.whl\.metadata ', l) and '" 200 ' in l]
                pages = [l for l in lines if re.search(r'"GET ' + re.escape(path) + r'[^ ]+/ ', l) and '" 200 ' in l]
                print(f"lock via {label}: {len(pages)} pages, {len(metas)} .metadata, {len(wheels)} wheel GETs",
                      flush=True)
                check(wheels == [], f"lock ({label}) downloaded wheels: {wheels}")
                check(len(metas) > 0, f"lock ({label}) did not use PEP 658 metadata: {lines}")
                if label == "json":
                    check(any("vnd.pypi.simple.v1+json" in l for l in pages), "JSON pages were not negotiated")
                locked = json.loads(out.read_text())
                locked_files = {p["filename"] for p in locked["packages"]}
                check(locked_files <= files2, f"lock ({label}) picked files not mirrored: {locked_files - files2}")
                check(all(p["url"].startswith(served.base + path.replace("/simple/", "/files/"))
                          or p["url"].startswith(served.base + "/files/") for p in locked["packages"]),
                      f"lock ({label}) urls: {[p['url'] for p in locked['packages']]}")
                check(len(locked_files) >= 5, f"lock ({label}) too small: {locked_files}")

        # Interrupted runs: SIGKILL as soon as the first new file lands; the tree stays consistent.
        demo_reqs = demo / "requirements.txt"
        killed_mid = 0
        for attempt in range(6):
            kdest = tmp / f"killed-{attempt}"
            shutil.copytree(snapshot, kdest, symlinks=True) if attempt % 2 else kdest.mkdir()
            before = set(os.listdir(kdest / "files")) if (kdest / "files").exists() else set()
            kenv = dict(env, WHEELHOUSE_CACHE_DIR=str(tmp / f"cache-kill-{attempt}"))
            cmd = mirror_cmd(args, demo_reqs, kdest, source.base, demo, "-j", "1")
            proc = subprocess.Popen([str(c) for c in cmd], env=kenv, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            seen = False
            while time.time() < deadline and proc.poll() is None:
                files_dir = kdest / "files"
                if files_dir.exists() and set(os.listdir(files_dir)) - before:
                    seen = True
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.0005)
            proc.wait()
            finished = proc.returncode == 0
            pages_now = sorted(p.parent.name for p in (kdest / "simple").glob("*/index.json")) \
                if (kdest / "simple").exists() else []
            print(f"attempt {attempt}: killed={seen and not finished} exit={proc.returncode} "
                  f"files={len(os.listdir(kdest / 'files')) if (kdest / 'files').exists() else 0} pages={pages_now}",
                  flush=True)
            if seen and not finished:
                killed_mid += 1
            check_tree(local_getter(kdest), f"after SIGKILL attempt {attempt}")
            # A rerun completes and leaves a consistent, complete tree.
            again = mirror_json(mirror_cmd(args, demo_reqs, kdest, source.base, demo), kenv)
            if again is not None:
                n = check_tree(local_getter(kdest), f"rerun after attempt {attempt}")
                check(n >= len(again["files"]), f"rerun {attempt}: checker saw {n} < {len(again['files'])}")
                leftovers = [p for p in (kdest / "files").iterdir() if "tmp" in p.name]
                check(leftovers == [], f"temporaries left after the rerun: {leftovers}")
        check(killed_mid >= 4, f"only {killed_mid} runs were killed mid-way; the interruption was not exercised")


# ---- S3 mode ----

def s3_mode(args, tmp):
    import botocore.session
    from botocore.config import Config
    server = json.loads(Path(os.environ["WHEELHOUSE_S3_SERVER"]).read_text())
    session = botocore.session.get_session()
    s3 = session.create_client("s3", endpoint_url=server["endpoint"], region_name=server.get("region", "us-east-1"),
                               aws_access_key_id=server["access_key"], aws_secret_access_key=server["secret_key"],
                               config=Config(s3={"addressing_style": "path"}))
    bucket = f"wh-mirror-{os.getpid()}-{int(time.time())}"
    s3.create_bucket(Bucket=bucket)
    prefix = "pypi/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("NO_COLOR", None)
    env.update({"AWS_CONFIG_FILE": "/nonexistent/wheelhouse-test/config",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/wheelhouse-test/credentials",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": server["access_key"],
                "AWS_SECRET_ACCESS_KEY": server["secret_key"], "AWS_ENDPOINT_URL_S3": server["endpoint"],
                "AWS_REGION": server.get("region", "us-east-1"), "WHEELHOUSE_CACHE_DIR": str(tmp / "cache")})
    enc = ["--kms-key-id", server["kms_key_id"]] if server.get("kms_key_id") else ["--no-encryption"]
    demo = Path(args.fixtures) / "demo"
    (tmp / "set1.txt").write_text(SET1)
    (tmp / "set2.txt").write_text(SET2)
    dest = f"s3://{bucket}/{prefix}"

    def listing():
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"][len(prefix):]] = (o["ETag"], o["LastModified"])
        return out

    def get(key):
        try:
            return s3.get_object(Bucket=bucket, Key=prefix + key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    with IndexServer(tmp / "source", packages=demo / "packages.json") as source:
        first = mirror_json(mirror_cmd(args, tmp / "set1.txt", dest, source.base, demo, *enc), env)
        if first is None:
            return
        files1 = {f["filename"] for f in first["files"]}
        after1 = listing()
        print("run 1 wrote", len(first["written"]), "objects; bucket holds", len(after1), flush=True)
        check(sorted(first["written"]) == sorted([f"files/{n}" for n in files1] + [f"files/{n}.metadata" for n in files1]),
              f"S3 run 1 written: {first['written']}")
        check(check_tree(get, "S3 after run 1") == len(files1), "S3 run 1: checker count")
        head = s3.head_object(Bucket=bucket, Key=prefix + "files/" + sorted(files1)[0])
        if server.get("kms_key_id"):
            check(head.get("ServerSideEncryption") == "aws:kms", f"not SSE-KMS: {head.get('ServerSideEncryption')}")
        check(head["Metadata"].get("sha256") == next(f["sha256"] for f in first["files"]
                                                       if f["filename"] == sorted(files1)[0]), "x-amz-meta-sha256")
        time.sleep(1.1)  # Last-Modified has one-second resolution
        second = mirror_json(mirror_cmd(args, tmp / "set2.txt", dest, source.base, demo, *enc), env)
        if second is None:
            return
        files2 = {f["filename"] for f in second["files"]}
        new = files2 - files1
        after2 = listing()
        print("run 2 wrote", second["written"], "skipped", len(second["skipped"]), flush=True)
        check(bool(new), "set 2 brings no new file")
        check(sorted(second["written"]) == sorted([f"files/{n}" for n in new] + [f"files/{n}.metadata" for n in new]),
              f"S3 run 2 must upload only new objects: {second['written']} (new {sorted(new)})")
        for key, (etag, modified) in after1.items():
            if key.startswith("files/"):
                check(after2.get(key) == (etag, modified), f"S3 run 2 re-uploaded {key}: {after1[key]} -> {after2.get(key)}")
        for n in new:
            check(f"files/{n}" in after2 and f"files/{n}.metadata" in after2, f"S3: {n} not uploaded")
            h = s3.head_object(Bucket=bucket, Key=prefix + "files/" + n)
            check(h["ContentLength"] > 0, f"HEAD {n}")
        check(check_tree(get, "S3 after run 2") == len(files1 | files2), "S3 run 2: checker count")
        root = json.loads(get("simple/index.json"))
        check({p["name"] for p in root["projects"]} == {f["project"] for f in first["files"] + second["files"]},
              f"S3 root projects: {root}")
        ctype = s3.head_object(Bucket=bucket, Key=prefix + "simple/index.json")["ContentType"]
        check(ctype == "application/vnd.pypi.simple.v1+json", f"index.json content type {ctype}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--s3", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wh-e2e-mirror-") as tmp:
        (s3_mode if args.s3 else folder_mode)(args, Path(tmp))
    if failures:
        print(f"{len(failures)} failures", flush=True)
        return 1
    print("all mirror checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
