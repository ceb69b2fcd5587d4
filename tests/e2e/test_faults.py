#!/usr/bin/env python3
"""The fault matrix: every network path of `wheelhouse build` and `wheelhouse deploy` under every fault.

Paths (columns):  index pages (/simple/<project>/), PEP 658 .metadata files, wheel downloads, S3 PutObject (a
small bundle), S3 multipart (a bundle above the 16 MiB threshold), and the credential endpoints: container
credentials, IMDSv2, STS AssumeRoleWithWebIdentity (tests/support/aws_metadata_server.py, the CTest fixture).
Faults (rows):  connection refused, reset mid-body, stall past --timeout, truncated body, truncated on every
attempt, Content-Length larger / smaller than the body, a 503 storm shorter than the retry budget, 500 on every
attempt, 403, slow drip.

Every (fault, path) cell runs the real CLI with a private fault proxy in front of one real server
(tests/support/fault_proxy.py, in process: one asyncio listener per cell, so that the cells run in parallel and
S3's SigV4 signatures stay valid: the proxy forwards the Host and the path untouched). The cell's outcome is
the exit code ("ok" for 0, with "(retry)" when the proxy saw the same request more than once), and must be the
expected one; a failure must name what failed. Whatever the outcome:
  - build: the cache holds no corrupt entry (every wheel under wheels/sha256 hashes to its folder name, partial
    downloads are prefixes of the real file, no temporary download is left, every cached page is the server's
    page) and the output folder holds the previous complete output or a new complete one, never a mix, and no
    temporary file;
  - deploy: the bucket holds no object whose bytes differ from the local file, and no multipart upload.
The matrix is printed (fault x path -> outcome); the number of cells is asserted.

    test_faults.py --wheelhouse PATH --fixtures DIR --support DIR
Needs WHEELHOUSE_S3_SERVER (scripts/s3-server's server.json: the RGW fixture) and WHEELHOUSE_AWS_METADATA (the
aws_metadata fixture's metadata.json); runs under /usr/bin/python3 (python3-botocore).
"""
import argparse
import asyncio
import concurrent.futures
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import botocore.session
from botocore.config import Config

ARGS = None
SERVER = None
METADATA = None
TIMEOUT = 2  # --timeout: seconds of no progress before a transfer counts as stalled

# (row name, fault spec applied to the path's requests, or None for "connection refused")
FAULTS = [
    ("refused", None),
    ("reset-mid-body", "reset-body,times=1"),
    ("stall", "stall,times=1"),
    ("truncate", "truncate,times=1"),
    ("truncate-always", "truncate"),
    ("length-too-big", "bad-length=100,times=1"),
    ("length-too-small", "bad-length=-9,times=1"),
    ("503-storm", "status=503,times=2"),
    ("500-always", "status=500"),
    ("403", "status=403"),
    ("slow-drip", "drip=6000"),
]

# (column name, which requests of the path the fault targets)
PATHS = [
    ("index", "suffix=/"),
    ("metadata", "suffix=.metadata"),
    ("wheel", "suffix=.whl"),
    ("s3-put", "method=PUT,match=plugins.zip"),
    ("s3-multipart", "method=PUT,match=partNumber=2"),
    ("creds-container", "match=/container/credentials"),
    ("creds-imds", "match=/latest/"),
    ("creds-sts", "method=POST"),
]

# Expected outcome per cell: "ok" (exit 0, after retrying if needed) or "exitN". Rows not listed here expect
# "ok" everywhere.
BUILD_FAIL = "exit3"  # network error after retries
EXPECTED = {
    "refused": {"index": BUILD_FAIL, "metadata": BUILD_FAIL, "wheel": BUILD_FAIL, "s3-put": "exit3",
                "s3-multipart": "exit3", "creds-container": "exit5", "creds-imds": "exit5", "creds-sts": "exit5"},
    "truncate-always": {"index": BUILD_FAIL, "metadata": BUILD_FAIL, "wheel": BUILD_FAIL, "s3-put": "ok",
                        "s3-multipart": "ok", "creds-container": "exit5", "creds-imds": "exit5",
                        "creds-sts": "exit5"},
    "500-always": {"index": BUILD_FAIL, "metadata": BUILD_FAIL, "wheel": BUILD_FAIL, "s3-put": "exit5",
                   "s3-multipart": "exit5", "creds-container": "exit5", "creds-imds": "exit5", "creds-sts": "exit5"},
    # A body shorter than the server says is invisible to HTTP (the Content-Length frames it): the index page
    # is cut inside its closing tags and parses; the .metadata file and the wheel fail their sha256 from the
    # page, which is a verification error (4), never a cached or bundled file.
    # The credential documents cut short do not parse (the IMDS session token cut short is refused): exit 5.
    "length-too-small": {"metadata": "exit4", "wheel": "exit4", "creds-container": "exit5", "creds-imds": "exit5",
                         "creds-sts": "exit5"},
    "403": {"index": BUILD_FAIL, "metadata": BUILD_FAIL, "wheel": BUILD_FAIL, "s3-put": "exit5",
            "s3-multipart": "exit5", "creds-container": "exit5", "creds-imds": "exit5", "creds-sts": "exit5"},
}
# An S3 PUT answer has an empty body: truncating it changes nothing, so "truncate-always" succeeds there.


# The credential endpoints get 2 attempts with a 1 s timeout (as the AWS CLI's fetchers: "no credentials" must be
# quick where there is no such endpoint), so their storm is one 503.
SPEC_OVERRIDES = {("503-storm", c): "status=503,times=1" for c in ("creds-container", "creds-imds", "creds-sts")}


def expected(row, col):
    return EXPECTED.get(row, {}).get(col, "ok")


# ------------------------------------------------------------------------------------------------ fault proxies
class Proxies:
    """fault_proxy.Proxy listeners on one asyncio loop in a background thread."""

    def __init__(self, support):
        sys.path.insert(0, support)
        import fault_proxy  # noqa: E402 (tests/support)
        self.module = fault_proxy
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def add(self, upstream, spec):
        proxy = self.module.Proxy(upstream, spec)

        async def start():
            server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0, limit=1 << 20)
            return server.sockets[0].getsockname()[1]

        port = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return port, proxy

    @staticmethod
    def repeated(proxy):
        """True if the proxy saw one request target more than once (the client retried)."""
        return any(n > 1 for n in list(proxy.counters.values()))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more: connecting is refused
    return port


# ------------------------------------------------------------------------------------------------ package index
class IndexHandler(http.server.BaseHTTPRequestHandler):
    """A static index tree (make_index.py) with byte ranges. "/links-PORT/simple/..." serves the project pages
    with their file links made absolute to http://127.0.0.1:PORT/ (a refused port for the file cells);
    "/links-PORT-nometa/..." also drops the PEP 658 attributes."""

    protocol_version = "HTTP/1.1"
    tree = None

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        links = None
        m = re.match(r"^/links-(\d+(?:-nometa)?)(/.*)$", path)
        if m:
            links, path = m.group(1), m.group(2)
        body, ctype = page_bytes(self.tree, path, links)
        if body is None:
            self.send(404, b"not found\n", "text/plain")
            return
        rng = self.headers.get("Range")
        m = re.match(r"^bytes=(\d+)-(\d*)$", rng or "")
        if m and ctype == "application/octet-stream":
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else len(body) - 1
            if start >= len(body):
                self.send(416, b"", "text/plain", [("Content-Range", "bytes */%d" % len(body))])
                return
            end = min(end, len(body) - 1)
            self.send(206, body[start:end + 1], ctype, [("Content-Range", "bytes %d-%d/%d" % (start, end, len(body)))])
            return
        self.send(200, body, ctype, [("Accept-Ranges", "bytes")])


def page_bytes(tree, path, links=None):
    """What the index serves at `path` (and the links-PORT variant): (bytes, content type) or (None, None)."""
    if path.startswith("/simple/") and path.endswith("/"):
        f = tree / path.lstrip("/") / "index.html"
        if not f.is_file():
            return None, None
        body = f.read_bytes()
        if links is not None:
            port, _, nometa = links.partition("-")
            body = body.replace(b'href="../../files/', b'href="http://127.0.0.1:%s/files/' % port.encode())
            if nometa:  # no PEP 658 metadata: the client must read it from the wheel
                body = re.sub(rb' data-(?:dist-info|core)-metadata="[^"]*"', b"", body)
        return body, "text/html"
    if path.startswith("/files/") and "/" not in path[len("/files/"):]:
        f = tree / "files" / path[len("/files/"):]
        if f.is_file():
            return f.read_bytes(), "application/octet-stream"
    return None, None


# ------------------------------------------------------------------------------------------------ checks
def sha256(data):
    return hashlib.sha256(data).hexdigest()


def check_cache(cache, tree, short_pages=False):
    """Problems in a build's cache folder: corrupt or partial entries, leftovers."""
    problems = []
    wheels = cache / "wheels"
    files = {p.name: p.read_bytes() for p in (tree / "files").iterdir()}
    for f in (wheels / "sha256").rglob("*") if (wheels / "sha256").exists() else []:
        if f.is_file():
            data = f.read_bytes()
            if sha256(data) != f.parent.name:
                problems.append("cache entry %s does not hash to its name" % f.relative_to(cache))
            elif files.get(f.name) != data:
                problems.append("cache entry %s differs from the server's file" % f.relative_to(cache))
    tmp = wheels / "tmp"
    if tmp.exists() and any(tmp.iterdir()):
        problems.append("temporary downloads left in %s: %s" % (tmp, [str(p) for p in tmp.rglob("*")]))
    for f in (wheels / "partial").rglob("*") if (wheels / "partial").exists() else []:
        if f.is_file() and not f.name.startswith(".") and f.name in files and not files[f.name].startswith(
                f.read_bytes()):
            problems.append("partial download %s is not a prefix of the file" % f.relative_to(cache))
    known = {sha256(d) for d in files.values()}
    for f in (wheels / "urls").rglob("*") if (wheels / "urls").exists() else []:
        if f.is_file() and f.read_text().strip() not in known:
            problems.append("URL record %s names a digest no file has" % f.relative_to(cache))
    for f in cache.rglob("*"):
        if f.is_file() and "http-v1" in f.parts:
            data = f.read_bytes()
            head, sep, body = data.partition(b"\n\n")
            fields = dict(line.split(": ", 1) for line in head.decode("utf-8", "replace").split("\n")[1:]
                          if ": " in line)
            if not sep or int(fields.get("body-size", -1)) != len(body):
                problems.append("cached page %s is damaged" % f.relative_to(cache))
                continue
            m = re.match(r"^https?://[^/]+(?:/links-(\d+(?:-nometa)?))?(/.*)$", fields.get("url", ""))
            want = page_bytes(tree, m.group(2), m.group(1))[0] if m else None
            if short_pages and want is not None and want.startswith(body):
                continue  # what a Content-Length smaller than the page delivers (see EXPECTED)
            if want != body:
                problems.append("cached page %s (%s) is not the server's page" % (f.relative_to(cache),
                                                                                  fields.get("url")))
        elif f.is_file() and (".tmp" in f.name or f.name.startswith(".tmp")):
            problems.append("temporary file left in the cache: %s" % f.relative_to(cache))
    return problems


# What one complete build writes (build.cpp's output set: the bundle, the two requirement files, the report
# and the CycloneDX SBOM).
BUILD_OUTPUTS = ("plugins.zip", "requirements.txt", "constraints.txt", "build-report.json", "sbom.cdx.json")


def check_output(out, before, tree):
    """The output folder holds its previous files (`before`: name -> bytes) or a complete new build."""
    problems = []
    names = sorted(p.name for p in out.iterdir()) if out.exists() else []
    now = {n: (out / n).read_bytes() for n in names if (out / n).is_file()}
    stray = [n for n in names if n not in BUILD_OUTPUTS]
    if stray:
        problems.append("unexpected files in the output folder: %s" % stray)
    for p in out.parent.iterdir():
        if p != out and p.name.startswith(out.name) and p.name != out.name + "-cache":
            problems.append("leftover next to the output folder: %s" % p.name)
    if now == before:
        return problems
    if set(now) != set(BUILD_OUTPUTS):
        return problems + ["the output is incomplete: %s" % sorted(now)]
    files = {p.name: p.read_bytes() for p in (tree / "files").iterdir()}
    try:
        with zipfile.ZipFile(out / "plugins.zip") as z:
            wheels = [n for n in z.namelist() if n.endswith(".whl")]
            for n in wheels:
                if z.read(n) != files.get(n):
                    problems.append("plugins.zip holds a wrong %s" % n)
    except zipfile.BadZipFile as e:
        return problems + ["plugins.zip is not a zip: %s" % e]
    if sorted(wheels) != sorted(n for n in files if n.endswith(".whl")):
        problems.append("plugins.zip holds %s" % wheels)
    return problems


_s3 = []


def s3():
    if not _s3:
        _s3.append(botocore.session.get_session().create_client(
            "s3", endpoint_url=SERVER["endpoint"], region_name=SERVER.get("region", "us-east-1"),
            aws_access_key_id=SERVER["access_key"], aws_secret_access_key=SERVER["secret_key"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                          max_pool_connections=20)))
    return _s3[0]


_s3_lock = threading.Lock()


def make_bucket(stem):
    name = "faults-%s-%d-%04x" % (stem, os.getpid(), random.randrange(1 << 16))
    with _s3_lock:
        c = s3()
        c.create_bucket(Bucket=name)
        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        c.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
    return name


def check_bucket(bucket, dist):
    problems = []
    c = s3()
    for key in ("plugins.zip", "requirements.txt"):
        local = (dist / key).read_bytes()
        versions = c.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
        for v in versions:
            if v["Key"] != key:
                continue
            got = c.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
            if got != local:
                problems.append("s3://%s/%s version %s has %d bytes that differ from the local file" %
                                (bucket, key, v["VersionId"], len(got)))
            head = c.head_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
            if head["Metadata"].get("sha256") != sha256(local):
                problems.append("s3://%s/%s: x-amz-meta-sha256 is %s" % (bucket, key, head["Metadata"].get("sha256")))
    uploads = c.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    if uploads:
        problems.append("multipart uploads left in %s: %s" % (bucket, [u["Key"] for u in uploads]))
    return problems


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PIP_"))}
    env.pop("NO_COLOR", None)
    env["AWS_CONFIG_FILE"] = "/nonexistent/wheelhouse-test/config"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/wheelhouse-test/credentials"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------------------ the cells
class Matrix:
    def __init__(self, tmp, proxies, index_upstream, tree, baseline, small_dist, big_dist):
        self.tmp = tmp
        self.proxies = proxies
        self.index_upstream = index_upstream
        self.tree = tree
        self.baseline = baseline  # name -> bytes of a complete earlier build, the "previous output"
        self.small_dist = small_dist
        self.big_dist = big_dist

    def run_cell(self, row, spec, col, scope):
        start = time.time()
        work = self.tmp / ("%s--%s" % (row, col))
        work.mkdir()
        proxy = None
        if spec is not None:
            upstream = {"index": self.index_upstream, "metadata": self.index_upstream, "wheel": self.index_upstream,
                        "s3-put": SERVER["endpoint"].split("//", 1)[1],
                        "s3-multipart": SERVER["endpoint"].split("//", 1)[1]}.get(
                            col, METADATA["endpoint"].split("//", 1)[1])
            port, proxy = self.proxies.add(upstream, spec + "," + scope)
        else:
            port = closed_port()
        if col in ("index", "metadata", "wheel"):
            code, out, err, problems = self.build_cell(work, row, col, port, spec is None)
        else:
            code, out, err, problems = self.deploy_cell(work, col, port)
        outcome = "ok" if code == 0 else "exit%d" % code
        if code == 0 and proxy is not None and Proxies.repeated(proxy):
            outcome += "(retry)"
        if code != 0:
            last = err.strip().splitlines()[-3:] if err.strip() else ["(no message)"]
            if not any(w in err for w in ("error", "Error")):
                problems.append("exit %d without an error message: %s" % (code, err[-500:]))
        else:
            last = []
        return {"row": row, "col": col, "outcome": outcome, "problems": problems, "message": " | ".join(last),
                "seconds": time.time() - start, "stderr": err}

    def build_cell(self, work, row, col, port, refused):
        out = work / "dist"
        out.mkdir()
        for name, data in self.baseline.items():
            (out / name).write_bytes(data)
        req = work / "requirements.txt"
        req.write_text("faultpkg==1.0\n")
        if refused and col == "index":
            index = "http://127.0.0.1:%d/simple/" % port
        elif refused:
            # The project pages link their files to a port where nothing listens; for the wheel cell the pages
            # publish no PEP 658 metadata, so the first request there is for the wheel itself.
            index = "http://%s/links-%d%s/simple/" % (self.index_upstream, port, "-nometa" if col == "wheel" else "")
        else:
            index = "http://127.0.0.1:%d/simple/" % port
        cache = work / "dist-cache"
        env = clean_env(WHEELHOUSE_CACHE_DIR=str(cache))
        cmd = [ARGS.wheelhouse, "build", "-r", str(req), "--target", "mwaa-2.10.3", "--no-airflow-constraints",
               "-i", index, "--trusted-host", "127.0.0.1", "-o", str(out), "--timeout", str(TIMEOUT)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
        problems = check_cache(cache, self.tree, short_pages=row == "length-too-small") + check_output(
            out, self.baseline, self.tree)
        if p.returncode == 4:
            if not re.search(r"faultpkg|faultdep", p.stderr):
                problems.append("the error does not name the file")
        elif p.returncode != 0 and "127.0.0.1" not in p.stderr:
            problems.append("the error does not name the server")
        return p.returncode, p.stdout, p.stderr, problems

    def deploy_cell(self, work, col, port):
        dist = self.big_dist if col == "s3-multipart" else self.small_dist
        bucket = make_bucket(col.replace("s3-", "")[:6]) if col.startswith("s3-") else "faults-creds-never-written"
        args = [ARGS.wheelhouse, "deploy", str(dist), "--bucket", bucket, "--force", "--kms-key-id",
                SERVER["kms_key_id"], "--timeout", str(TIMEOUT), "-v"]
        region = SERVER.get("region", "us-east-1")
        if col.startswith("s3-"):
            env = clean_env(AWS_ACCESS_KEY_ID=SERVER["access_key"], AWS_SECRET_ACCESS_KEY=SERVER["secret_key"],
                            AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % port, AWS_REGION=region)
        elif col == "creds-container":
            env = clean_env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:%d/container/credentials" % port,
                            AWS_CONTAINER_AUTHORIZATION_TOKEN=METADATA["container_token"],
                            AWS_ENDPOINT_URL_S3=SERVER["endpoint"], AWS_REGION=region)
        elif col == "creds-imds":
            env = clean_env(AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d" % port,
                            AWS_ENDPOINT_URL_S3=SERVER["endpoint"], AWS_REGION=region)
            env.pop("AWS_EC2_METADATA_DISABLED")
        else:
            token = work / "token"
            token.write_text(METADATA["web_identity_token"])
            env = clean_env(AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_ROLE_ARN=METADATA["role_arn"],
                            AWS_ENDPOINT_URL_STS="http://127.0.0.1:%d" % port,
                            AWS_ENDPOINT_URL_S3=SERVER["endpoint"], AWS_REGION=region)
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=240)
        problems = []
        code = p.returncode
        if col.startswith("s3-"):
            problems += check_bucket(bucket, dist)
        else:
            # The credentials are fake: RGW refuses them. Getting that far means the credential fetch worked,
            # which is this column's success ("ok"); failing earlier must name the credential source.
            if code == 5 and "credentials from" in p.stderr and re.search(r"InvalidAccessKeyId|AccessDenied|"
                                                                           r"InvalidToken|SignatureDoesNotMatch",
                                                                           p.stderr):
                code = 0
            elif code != 0 and not re.search(r"credential|container|IMDS|instance metadata|AssumeRole",
                                             p.stderr, re.I):
                problems.append("the error does not name the credential source")
            for c in METADATA["credentials"].values():
                for secret in (c["SecretAccessKey"], c["SessionToken"]):
                    if secret in p.stdout or secret in p.stderr:
                        problems.append("a secret was printed")
        return code, p.stdout, p.stderr, problems


def main():
    global ARGS, SERVER, METADATA
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--support", required=True)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("WHEELHOUSE_FAULT_JOBS", "8")))
    parser.add_argument("--only", help="regex over 'row--column' to run a subset (debugging)")
    ARGS = parser.parse_args()
    for var in ("WHEELHOUSE_S3_SERVER", "WHEELHOUSE_AWS_METADATA"):
        if not os.path.exists(os.environ.get(var, "")):
            sys.exit("%s must name the fixture's state file (ctest starts the fixtures)" % var)
    SERVER = json.loads(Path(os.environ["WHEELHOUSE_S3_SERVER"]).read_text())
    METADATA = json.loads(Path(os.environ["WHEELHOUSE_AWS_METADATA"]).read_text())
    started = time.time()

    tmp = Path(tempfile.mkdtemp(prefix="wh-faults-"))
    try:
        # A two-package index: faultpkg needs faultdep (only the .metadata says so), faultdep's wheel is big
        # enough (~40 KB) for a drip and a mid-body fault to land inside it.
        desc = {"packages": [
            {"name": "faultpkg", "versions": [{"version": "1.0", "requires_dist": ["faultdep>=1.0"]}]},
            {"name": "faultdep", "versions": [{"version": "1.0", "payload_bytes": 40000}]}]}
        (tmp / "packages.json").write_text(json.dumps(desc))
        tree = tmp / "index"
        subprocess.run([sys.executable, os.path.join(ARGS.support, "make_index.py"), str(tmp / "packages.json"),
                        str(tree)], check=True, capture_output=True)
        IndexHandler.tree = tree
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), IndexHandler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        index_upstream = "127.0.0.1:%d" % server.server_address[1]
        proxies = Proxies(ARGS.support)

        # The previous complete output every build cell starts from.
        first = tmp / "baseline"
        (tmp / "requirements.txt").write_text("faultpkg==1.0\n")
        p = subprocess.run([ARGS.wheelhouse, "build", "-r", str(tmp / "requirements.txt"), "--target", "mwaa-2.10.3",
                            "--no-airflow-constraints", "-i", "http://%s/simple/" % index_upstream,
                            "--trusted-host", "127.0.0.1", "-o", str(first), "--no-cache"],
                           capture_output=True, text=True, env=clean_env(), timeout=120)
        if p.returncode != 0:
            sys.exit("the fault-free build failed: %s" % p.stderr)
        baseline = {f.name: f.read_bytes() for f in first.iterdir()}
        problems = check_output(first, {}, tree)
        if problems:
            sys.exit("the fault-free build is wrong: %s" % problems)

        def dist(name, size):
            d = tmp / name
            d.mkdir()
            (d / "plugins.zip").write_bytes(os.urandom(size))
            (d / "requirements.txt").write_text("--no-index\nfaultpkg==1.0 # %s\n" % name)
            return d

        small = dist("small-dist", 64 * 1024)
        big = dist("big-dist", 20 * 1024 * 1024)  # above the 16 MiB multipart threshold: two parts
        matrix = Matrix(tmp, proxies, index_upstream, tree, baseline, small, big)

        cells = [(row, SPEC_OVERRIDES.get((row, col), spec), col, scope) for row, spec in FAULTS for col, scope in PATHS
                 if not ARGS.only or re.search(ARGS.only, "%s--%s" % (row, col))]
        print("fault matrix: %d faults x %d paths, %d cells, %d in parallel" % (len(FAULTS), len(PATHS), len(cells),
                                                                                ARGS.jobs), flush=True)
        # The slowest cells (stalls, multipart) first, so that they overlap the rest.
        cells.sort(key=lambda c: (c[2] != "s3-multipart", c[0] != "stall"))
        results = {}
        with concurrent.futures.ThreadPoolExecutor(ARGS.jobs) as pool:
            futures = [pool.submit(matrix.run_cell, *c) for c in cells]
            for f in concurrent.futures.as_completed(futures):
                r = f.result()
                results[(r["row"], r["col"])] = r

        width = max(len(c) for c, _ in PATHS) + 1
        print("\n%-17s" % "fault \\ path" + "".join("%-*s" % (width, c) for c, _ in PATHS))
        failures = []
        for row, _ in FAULTS:
            line = "%-17s" % row
            for col, _ in PATHS:
                r = results.get((row, col))
                if r is None:
                    line += "%-*s" % (width, "-")
                    continue
                want = expected(row, col)
                got = r["outcome"]
                good = got.split("(")[0] == want and not r["problems"]
                line += "%-*s" % (width, got + ("" if good else "!"))
                if not good:
                    failures.append(r)
            print(line)
        print("(! = not the expected outcome or a problem; expected: %s)" % ", ".join(
            "%s/%s=%s" % (row, col, expected(row, col)) for row, _ in FAULTS for col, _ in PATHS
            if expected(row, col) != "ok"))
        print("\nerror messages:")
        for key in sorted(results):
            r = results[key]
            if r["message"]:
                print("  %s / %s: %s" % (r["row"], r["col"], r["message"][:300]))
        slow = sorted(results.values(), key=lambda r: -r["seconds"])[:3]
        print("slowest cells: %s" % ", ".join("%s/%s %.1fs" % (r["row"], r["col"], r["seconds"]) for r in slow))
        for r in failures:
            print("\nFAIL %s / %s: got %s, expected %s" % (r["row"], r["col"], r["outcome"],
                                                         expected(r["row"], r["col"])))
            for prob in r["problems"]:
                print("   problem:", prob)
            print("   stderr:", r["stderr"][-1500:].replace("\n", "\n           "))
        want_cells = len(FAULTS) * len(PATHS) if not ARGS.only else len(cells)
        if len(results) != want_cells:
            failures.append({"row": "-", "col": "-"})
            print("FAIL: %d cells ran, %d expected" % (len(results), want_cells))
        print("\n%d cells, %d failed, %.0f s" % (len(results), len(failures), time.time() - started))
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
