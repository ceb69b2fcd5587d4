#!/usr/bin/env python3
"""The bad-input corpus: every kind of malformed input a user, an index, a mirror or an S3 endpoint can hand
wheelhouse, each run through the CLI as a user would, and each must end in ONE clear error:

- the documented exit code (1 input, 3 network, 4 verification, 5 AWS), no crash, no sanitizer report, no hang;
- the error names what and where (the file and line, the URL, the wheel and its member, the endpoint);
- it says what to do: a hint specific to the problem (not the generic one of its category);
- it is printed once (no line of stderr twice), and --json gives the same error as a document;
- nothing is left behind: no output folder, no temporary file in it or in the cache.

Kinds: requirement and constraints files (syntax, invalid UTF-8, NUL, huge lines, include cycles), lock files
(JSON syntax, schema, huge fields), index pages served by nginx (JSON and HTML: syntax, wrong types, huge
fields, invalid UTF-8, bad hashes), core metadata (garbage, wrong name, bad Requires-Dist), wheels (not a zip,
zip bomb, path traversal, absolute path, symlink, duplicate entries, RECORD mismatch, invalid UTF-8 metadata),
bundles given to verify (not a zip, traversal, bad report), AWS config files and S3 answers (HTML instead of
XML, truncated XML, huge XML, invalid UTF-8, a DOCTYPE with an entity bomb). Hostile sources: a page from the
network that links to file: URLs (directly or through <base href>), a file name that is a path, metadata, zip
fields and a remote requirements file over their size limits, a cache folder another user owns, container
credentials over plain http to a host name that only looks like loopback, a web identity token file that is a
device.

    test_bad_input.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import base64
import hashlib
import http.server
import io
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, tally  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET = "mwaa-2.10.3"
FIXED_DATE = (2020, 1, 1, 0, 0, 0)

# The CLI's per-category fallbacks (src/cli/terminal.cpp fallback_hint): an input error must do better.
GENERIC_HINT_STARTS = (
    "correct the input at the place shown",
    "see the command's --help",
    "check the path or name shown",
    "check that the folder shown exists",
    "change the requirements or constraints shown",
    "check the URL, the network and the proxy settings",
    "the bytes are not the ones expected",
    "check the credentials ('aws sts get-caller-identity')",
    "this is a bug in wheelhouse",
)
CRASH_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "terminate called", "Segmentation fault",
                 "Traceback", "Assertion", "core dumped")


def clean_env(tmp):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "AWS_", "WHEELHOUSE_"))}
    env["AWS_CONFIG_FILE"] = str(tmp / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp / "no-aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["NO_COLOR"] = "1"
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


# ---------------------------------------------------------------------------------------------------------------
# Wheels, written byte by byte where zipfile would refuse.

def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def metadata_text(name, version, requires=()):
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return ("\n".join(lines) + "\n").encode()


def wheel_members(name, version, requires=(), metadata=None):
    """The members of a valid pure-Python wheel, as (name, bytes) pairs, RECORD last."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    pkg = name.replace("-", "_")
    members = [
        (f"{pkg}/__init__.py", b"VALUE = 1\n"),
        (f"{dist}/METADATA", metadata if metadata is not None else metadata_text(name, version, requires)),
        (f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d in members) + f"{dist}/RECORD,,\n"
    members.append((f"{dist}/RECORD", record.encode()))
    return members


def write_zip(path, members, symlinks=(), compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = compress
            z.writestr(info, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)


def write_zip_with_duplicate(path, members, duplicate):
    """zipfile warns on a duplicate name but writes it: two members with the same name."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in members:
                z.writestr(zipfile.ZipInfo(name, FIXED_DATE), data)
            z.writestr(zipfile.ZipInfo(duplicate[0], FIXED_DATE), duplicate[1])


def write_zip_bomb(path, name, version, member_bytes):
    """A valid-looking wheel with one member of `member_bytes` zeros (deflated to about 1/1000)."""
    members = wheel_members(name, version)
    pkg = name.replace("-", "_")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, d in members:
            z.writestr(zipfile.ZipInfo(n, FIXED_DATE), d)
        info = zipfile.ZipInfo(f"{pkg}/data.bin", FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as out:
            chunk = bytes(1 << 20)
            for _ in range(member_bytes >> 20):
                out.write(chunk)


def with_central_sizes(data, member, size):
    """The zip bytes with the central directory's compressed and uncompressed sizes of `member` set to `size`
    (what a hostile server's zip claims; the local header and the data stay as they were)."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = int.from_bytes(out[pos + 28:pos + 30], "little")
        if out[pos + 46:pos + 46 + name_len].decode() == member:
            out[pos + 20:pos + 24] = size.to_bytes(4, "little")
            out[pos + 24:pos + 28] = size.to_bytes(4, "little")
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def entity_bomb(levels):
    """An XML answer whose Status text expands to 10**levels bytes when read (billion laughs)."""
    decls = ['<!ENTITY l0 "aaaaaaaaaa">'] + [f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?><!DOCTYPE VersioningConfiguration [{"".join(decls)}]>'
            f"<VersioningConfiguration><Status>&l{levels - 1};</Status></VersioningConfiguration>").encode()


# ---------------------------------------------------------------------------------------------------------------
# A static index tree served by nginx (scripts/index-server with WHEELHOUSE_INDEX_TREE).

class Tree:
    def __init__(self, root):
        self.root = root
        (root / "simple").mkdir(parents=True)
        (root / "files").mkdir()
        self.projects = []

    def add_wheel(self, project, filename, data, metadata=None, json_page=None, html_page=None):
        """Publishes one file for `project` with a correct sha256 (unless the page is given whole)."""
        (self.root / "files" / filename).write_bytes(data)
        if metadata is not None:
            (self.root / "files" / (filename + ".metadata")).write_bytes(metadata)
        digest = hashlib.sha256(data).hexdigest()
        entry = {"filename": filename, "url": f"../../files/{filename}", "hashes": {"sha256": digest}}
        if metadata is not None:
            entry["core-metadata"] = {"sha256": hashlib.sha256(metadata).hexdigest()}
        page = json_page if json_page is not None else json.dumps(
            {"meta": {"api-version": "1.1"}, "name": project, "files": [entry]}).encode()
        self.write_pages(project, page, html_page if html_page is not None else (
            f'<!DOCTYPE html><html><body><a href="../../files/{filename}#sha256={digest}">{filename}</a>'
            f"</body></html>").encode())

    def write_pages(self, project, json_bytes, html_bytes):
        folder = self.root / "simple" / normalize(project)
        folder.mkdir(exist_ok=True)
        (folder / "index.json").write_bytes(json_bytes)
        (folder / "index.html").write_bytes(html_bytes)
        self.projects.append(project)


def start_index(tree_root, state):
    env = dict(os.environ, WHEELHOUSE_INDEX_TREE=str(tree_root))
    r = subprocess.run(["bash", str(ROOT / "scripts" / "index-server"), "start", str(state)], env=env,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"index-server start failed: {r.stdout} {r.stderr}")
    return json.loads((state / "servers.json").read_text())


def stop_index(state):
    subprocess.run(["bash", str(ROOT / "scripts" / "index-server"), "stop", str(state)], capture_output=True,
                   timeout=60)


# ---------------------------------------------------------------------------------------------------------------
# An S3 endpoint that answers every request with one fixed, malformed answer (what a captive portal, a wrong
# --endpoint-url or a broken proxy gives). Only for answers no real S3 server gives.

class FixedAnswer(http.server.BaseHTTPRequestHandler):
    answer = (200, "application/xml", b"")

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, ctype, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a client that refuses an answer over its size limit hangs up early

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _reply

    def log_message(self, *args):
        pass


def start_fixed_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixedAnswer)
    server.answer = (200, "application/xml", b"")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------------------------------------------------------

def leftovers(folder):
    """Temporary or partial files a failed run must not leave (names the writers use for work in progress)."""
    if not folder.exists():
        return []
    return [str(p) for p in folder.rglob("*") if re.search(r"(\.tmp|\.part|\.partial|\.incomplete)", p.name)
            or p.name.startswith((".wheelhouse-", ".tmp"))]


def run_case(wh, case, tmp, env):
    """Runs one case twice (text and --json) and checks everything the module docstring promises."""
    name, argv, want_exit, where = case["name"], case["argv"], case["exit"], case["where"]
    results = {}
    for mode in ("text", "json"):
        cache = tmp / "cache" / f"{name}-{mode}"
        out = tmp / "out" / f"{name}-{mode}"
        e = dict(env, WHEELHOUSE_CACHE_DIR=str(cache), **case.get("env", {}))
        cmd = [str(wh), *[str(a).replace("{OUT}", str(out)) for a in argv]] + (["--json"] if mode == "json" else [])
        start = time.monotonic()
        try:
            r = subprocess.run(cmd, env=e, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            check(False, f"{name} [{mode}]: no answer within 120 s (hang)")
            return None
        took = time.monotonic() - start
        stdout = r.stdout.decode("utf-8", "replace")
        stderr = r.stderr.decode("utf-8", "replace")
        results[mode] = (r.returncode, stdout, stderr)
        check(r.returncode == want_exit, f"{name} [{mode}]: exit {r.returncode}, want {want_exit}\n{stderr[-2000:]}")
        check(not any(m in stderr or m in stdout for m in CRASH_MARKERS), f"{name} [{mode}]: crash output\n{stderr}")
        error_lines = [l for l in stderr.splitlines() if l.startswith("error:")]
        if case.get("verify"):
            # verify's finding is its result: the problem list on stdout (exit 4), not an error.
            check(not error_lines, f"{name} [{mode}]: verify printed an error\n{stderr}")
            if mode == "text":
                check(any(w in stdout for w in where) and "hint: " in stdout,
                      f"{name}: verify's output does not name {where} or say what to do: {stdout}")
            else:
                try:
                    doc = json.loads(stdout)
                except ValueError:
                    doc = {}
                problems = doc.get("problems", []) if isinstance(doc, dict) else []
                check(doc.get("ok") is False and problems and all(p.get("message") for p in problems) and
                      any(any(w in p.get("message", "") or w == p.get("file") for w in where) for p in problems),
                      f"{name} [json]: problems do not name {where}: {stdout[:1000]}")
            continue
        check(len(error_lines) == 1, f"{name} [{mode}]: {len(error_lines)} error lines\n{stderr}")
        lines = [l for l in stderr.splitlines() if l.strip()]
        dup = {l for l in lines if lines.count(l) > 1}
        check(not dup, f"{name} [{mode}]: printed twice: {dup}")
        check(not out.exists() or not any(out.iterdir()), f"{name} [{mode}]: output left in {out}: "
                                                           f"{list(out.iterdir()) if out.exists() else ''}")
        check(not leftovers(cache), f"{name} [{mode}]: temporary files left in the cache: {leftovers(cache)}")
        check(took < 60, f"{name} [{mode}]: took {took:.1f} s")
        if mode == "text" and error_lines:
            block = stderr[stderr.index("error:"):]
            check(any(w in block for w in where), f"{name}: the error does not say where ({where}): {block}")
            hint = re.search(r"\(hint: (.*)\)\s*$", block, re.S)
            check(hint is not None, f"{name}: no hint: {block}")
            if hint:
                check(not hint.group(1).startswith(GENERIC_HINT_STARTS), f"{name}: only the generic hint: {block}")
        if mode == "json":
            try:
                doc = json.loads(stdout)
            except ValueError:
                check(False, f"{name} [json]: stdout is not JSON: {stdout[:500]!r}")
                continue
            err = doc.get("error", {}) if isinstance(doc, dict) else {}
            check(err.get("exit_code") == want_exit and err.get("message") and err.get("hint"),
                  f"{name} [json]: error document {err}")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-bad-") as tmp_name:
        tmp = Path(tmp_name)
        env = clean_env(tmp)
        inp = tmp / "inputs"
        inp.mkdir()
        cases = []

        def case(name, argv, want_exit, where, **extra):
            cases.append(dict(name=name, argv=argv, exit=want_exit, where=where, **extra))

        # --- index tree: one good project, one bad project per case -------------------------------------------
        tree = Tree(tmp / "tree")
        good = wheel_members("good-lib", "1.0")
        buf = io.BytesIO()
        write_zip(buf, good)
        tree.add_wheel("good-lib", "good_lib-1.0-py3-none-any.whl", buf.getvalue(),
                       metadata=metadata_text("good-lib", "1.0"))

        def wheel_bytes(members, **kw):
            b = io.BytesIO()
            write_zip(b, members, **kw)
            return b.getvalue()

        def project(name, **kw):
            """A project whose page lists one wheel; kw overrides the page, metadata or wheel bytes."""
            filename = f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
            data = kw.pop("data", None) or wheel_bytes(wheel_members(name, "1.0"))
            metadata = kw.pop("metadata", metadata_text(name, "1.0"))
            tree.add_wheel(name, filename, data, metadata=metadata, **kw)
            return filename

        # Pages.
        project("page-not-json", json_page=b'{"meta": {"api-version": "1.1"}, "files": [{"filename": ')
        project("page-wrong-types", json_page=json.dumps({"meta": {"api-version": "1.1"}, "name": "page-wrong-types",
                                                          "files": "all of them"}).encode())
        project("page-bad-utf8", json_page=b'{"meta": {"api-version": "1.1"}, "name": "page-bad-utf8", "files": '
                                           b'[{"filename": "x\xff\xfe.whl", "url": "x.whl", "hashes": {}}]}')
        project("page-huge-field", json_page=json.dumps({"meta": {"api-version": "1.1"}, "name": "page-huge-field",
                                                         "files": [{"filename": "a" * (8 << 20) + ".whl",
                                                                    "url": "x", "hashes": {}}]}).encode())
        project("page-bad-api", json_page=json.dumps({"meta": {"api-version": "7.0"}, "name": "page-bad-api",
                                                      "files": []}).encode())
        project("page-html-garbage", html_page=b"<html><body><a href=\"\x00\xff<<<>>></a", json_page=None)
        fn = project("page-bad-hash")
        bad_hash_page = json.dumps({"meta": {"api-version": "1.1"}, "name": "page-bad-hash", "files": [
            {"filename": fn, "url": f"../../files/{fn}", "hashes": {"sha256": "0" * 64}}]}).encode()
        tree.write_pages("page-bad-hash", bad_hash_page, b"")
        # Metadata.
        project("meta-garbage", metadata=bytes(range(256)) * 64)
        project("meta-wrong-name", metadata=metadata_text("someone-else", "1.0"))
        project("meta-bad-requires", metadata=metadata_text("meta-bad-requires", "1.0", ["numpy >=> 1"]))
        project("meta-bad-utf8", metadata=b"Metadata-Version: 2.1\nName: meta-bad-utf8\nVersion: 1.0\n"
                                          b"Summary: \xff\xfe\n")
        # Wheels (metadata from the page is fine, the file is not).
        project("whl-not-zip", data=b"this is not a zip archive\n" * 100)
        project("whl-traversal", data=wheel_bytes(wheel_members("whl-traversal", "1.0") +
                                                  [("../../evil.py", b"print('owned')\n")]))
        project("whl-absolute", data=wheel_bytes(wheel_members("whl-absolute", "1.0") +
                                                 [("/etc/cron.d/evil", b"* * * * * root true\n")]))
        project("whl-symlink", data=wheel_bytes(wheel_members("whl-symlink", "1.0"),
                                                symlinks=[("whl_symlink/link.py", "/etc/passwd")]))
        dup = io.BytesIO()
        members = wheel_members("whl-duplicate", "1.0")
        write_zip_with_duplicate(dup, members, ("whl_duplicate/__init__.py", b"VALUE = 2\n"))
        project("whl-duplicate", data=dup.getvalue())
        tampered = [(n, b"VALUE = 666\n" if n.endswith("__init__.py") else d)
                    for n, d in wheel_members("whl-record", "1.0")]
        project("whl-record", data=wheel_bytes(tampered))
        bomb = tmp / "bomb.whl"
        write_zip_bomb(bomb, "whl-bomb", "1.0", 600 << 20)
        project("whl-bomb", data=bomb.read_bytes())
        bomb.unlink()
        # Hostile pages and sizes (a page from the network pointing at local files, a <base href> doing it for
        # every link, a file name that is a path, metadata and zip fields far over what such a file holds).
        fn = project("page-file-link")
        tree.write_pages("page-file-link", json.dumps({"meta": {"api-version": "1.1"}, "name": "page-file-link",
                                                       "files": [{"filename": fn, "url": f"file:///etc/{fn}",
                                                                  "hashes": {}}]}).encode(), b"")
        fn = project("page-base-file")
        tree.write_pages("page-base-file", b"", f'<html><head><base href="file:///home/"></head><body>'
                                                f'<a href="{fn}">{fn}</a></body></html>'.encode())
        fn = project("page-slash")
        tree.write_pages("page-slash", json.dumps({"meta": {"api-version": "1.1"}, "name": "page-slash", "files": [
            {"filename": "page_slash-1.0-1/../x-py3-none-any.whl", "url": f"../../files/{fn}", "hashes": {}}]}).encode(),
                         b"")
        project("meta-huge", metadata=metadata_text("meta-huge", "1.0") + b"\n" + b"x" * (17 << 20))
        sized = wheel_bytes(wheel_members("whl-zip-sizes", "1.0"))
        project("whl-zip-sizes", data=with_central_sizes(sized, "whl_zip_sizes-1.0.dist-info/METADATA", 1 << 30),
                metadata=None)
        (tree.root / "files" / "huge-requirements.txt").write_bytes(b"good-lib\n" + b"# padding\n" * (2 << 20))

        index_state = tmp / "index-state"
        servers = start_index(tree.root, index_state)
        base = f"http://127.0.0.1:{servers['http_port']}"
        try:
            index = f"{base}/simple/"
            html_index = f"{base}/html/simple/"

            def index_case(name, project_name, want_exit, where, url=index):
                req = inp / f"{name}.txt"
                req.write_text(f"good-lib\n{project_name}\n")
                case(name, ["build", "-r", req, "--target", TARGET, "--no-airflow-constraints", "--index-url", url,
                            "--trusted-host", "127.0.0.1", "-o", "{OUT}"], want_exit, where)

            index_case("page: truncated JSON", "page-not-json", 3, ["/simple/page-not-json/"])
            index_case("page: JSON with wrong types", "page-wrong-types", 3, ["/simple/page-wrong-types/"])
            index_case("page: invalid UTF-8 in JSON", "page-bad-utf8", 3, ["/simple/page-bad-utf8/"])
            index_case("page: huge field", "page-huge-field", 2, ["page-huge-field is on the index, but none"])
            index_case("page: unsupported API version", "page-bad-api", 3, ["/simple/page-bad-api/"])
            index_case("page: HTML garbage", "page-html-garbage", 2, ["page-html-garbage"], url=html_index)
            index_case("page: wrong sha256", "page-bad-hash", 4, ["page_bad_hash-1.0-py3-none-any.whl"])
            # pip's rule: a version whose metadata is broken is discarded, and the resolution says why.
            index_case("metadata: binary garbage", "meta-garbage", 2, ["meta-garbage 1.0: has unreadable metadata"])
            index_case("metadata: another project's", "meta-wrong-name", 4, ["meta_wrong_name-1.0-py3-none-any.whl"])
            index_case("metadata: bad Requires-Dist", "meta-bad-requires", 2,
                       ["meta-bad-requires 1.0: has unusable metadata: invalid Requires-Dist"])
            index_case("metadata: invalid UTF-8", "meta-bad-utf8", 2, ["meta-bad-utf8 1.0: has unreadable metadata"])
            index_case("wheel: not a zip", "whl-not-zip", 4, ["whl_not_zip-1.0-py3-none-any.whl"])
            index_case("wheel: path traversal", "whl-traversal", 4, ["../../evil.py"])
            index_case("wheel: absolute path", "whl-absolute", 4, ["/etc/cron.d/evil"])
            index_case("wheel: symlink", "whl-symlink", 4, ["whl_symlink/link.py"])
            index_case("wheel: duplicate entries", "whl-duplicate", 4, ["whl_duplicate/__init__.py"])
            index_case("wheel: RECORD mismatch", "whl-record", 4, ["whl_record/__init__.py"])
            index_case("wheel: zip bomb", "whl-bomb", 4, ["whl_bomb/data.bin"])
            index_case("page: file: link on a remote page", "page-file-link", 3, ["file:///etc/"])
            index_case("page: <base href> to file:", "page-base-file", 3, ["file:///home/"], url=html_index)
            index_case("page: file name with a path separator", "page-slash", 2,
                       ["page-slash is on the index, but none"])
            index_case("metadata: over the size limit", "meta-huge", 3, ["meta_huge-1.0-py3-none-any.whl.metadata"])
            index_case("wheel: zip fields claim a huge METADATA", "whl-zip-sizes", 3, ["whl_zip_sizes-1.0.dist-info"])
            case("requirements: remote file over the size limit",
                 ["build", "-r", f"{base}/files/huge-requirements.txt", "--target", TARGET, "--no-airflow-constraints",
                  "--index-url", index, "--trusted-host", "127.0.0.1", "-o", "{OUT}"], 3, ["huge-requirements.txt"])
            foreign = tmp / "foreign-cache"
            foreign.mkdir()
            if os.geteuid() == 0:
                os.chown(foreign, 65534, 65534)
            else:
                foreign = Path("/")  # owned by root
            (inp / "good-cache.txt").write_text("good-lib\n")
            case("cache: folder owned by another user",
                 ["build", "-r", inp / "good-cache.txt", "--target", TARGET, "--no-airflow-constraints", "--index-url",
                  index, "--trusted-host", "127.0.0.1", "--cache-dir", foreign, "-o", "{OUT}"], 1,
                 ["belongs to another user"])

            # --- find-links folder: wheels read without an index ------------------------------------------------
            links = tmp / "links"
            links.mkdir()
            (links / "fl_garbage-1.0-py3-none-any.whl").write_bytes(b"\x00" * 4096)
            req = inp / "fl-garbage.txt"
            req.write_text("fl-garbage\n")
            case("find-links: wheel that is not a zip", ["build", "-r", req, "--target", TARGET,
                                                         "--no-airflow-constraints", "--no-index", "-f", links,
                                                         "-o", "{OUT}"], 4, ["fl_garbage-1.0-py3-none-any.whl"])

            # --- requirement and constraints files -------------------------------------------------------------
            def req_case(name, content, want_where=None, constraint=False, want_exit=1):
                path = inp / (re.sub(r"\W+", "-", name).strip("-") + ".txt")
                path.write_bytes(content)
                good_req = inp / "good.txt"
                good_req.write_text("good-lib\n")
                argv = ["build", "-r", good_req if constraint else path, "--target", TARGET,
                        "--no-airflow-constraints", "--index-url", index, "--trusted-host", "127.0.0.1", "-o", "{OUT}"]
                if constraint:
                    argv += ["-c", path]
                case(name, argv, want_exit, want_where or [f"{path}:"])

            req_case("requirements: bad specifier", b"good-lib\nbar>=\n", [f"{inp}/requirements-bad-specifier.txt:2"])
            req_case("requirements: bad marker", b"good-lib; python_version >< '3'\n")
            req_case("requirements: invalid UTF-8", b"good-lib\nna\xffme==1.0\n")
            req_case("requirements: NUL byte", b"good-lib\x00==1.0\n")
            # PEP 508 sets no length limit, but no server serves such a page (HTTP 414): refused before asking.
            req_case("requirements: huge name", b"a" * (4 << 20) + b"==1.0\n", ["/simple/aaaa", "bytes long"])
            req_case("requirements: huge marker", b"good-lib ; python_version == '" + b"3" * (4 << 20) + b"' and\n")
            req_case("requirements: unknown option", b"--frobnicate\ngood-lib\n")
            req_case("requirements: unclosed quote", b"good-lib; python_version == '3.11\n")
            cycle = inp / "requirements-include-cycle.txt"
            req_case("requirements: include cycle", f"-r {cycle}\n".encode(), [str(cycle)])
            req_case("requirements: missing include", b"-r does-not-exist.txt\n", ["does-not-exist.txt"])
            req_case("constraints: bad line", b"good-lib >= 1.0 junk\n", constraint=True)
            req_case("constraints: with extras", b"good-lib[cli]==1.0\n", constraint=True)
            case("requirements: file is missing", ["build", "-r", inp / "nope.txt", "--target", TARGET, "-o", "{OUT}"],
                 1, [str(inp / "nope.txt")])
            case("requirements: a folder", ["build", "-r", inp, "--target", TARGET, "-o", "{OUT}"], 1, [str(inp)])

            # --- lock files ----------------------------------------------------------------------------------
            lock_path = inp / "good.lock.json"
            r = subprocess.run([str(wh), "lock", "-r", inp / "good.txt", "--target", TARGET, "--no-airflow-constraints",
                                "--index-url", index, "--trusted-host", "127.0.0.1", "-o", lock_path],
                               env=dict(env, WHEELHOUSE_CACHE_DIR=str(tmp / "cache-lock")), capture_output=True,
                               text=True, timeout=120)
            check(r.returncode == 0, f"lock of the good project failed: {r.stderr}")
            lock_text = lock_path.read_text() if lock_path.exists() else "{}"

            def lock_case(name, content, where=None):
                path = inp / (re.sub(r"\W+", "-", name).strip("-") + ".json")
                path.write_bytes(content)
                case(name, ["build", "--locked", path, "--target", TARGET, "--index-url", index, "--trusted-host",
                            "127.0.0.1", "-o", "{OUT}"], 1, where or [str(path)])

            def mutated(change):
                doc = json.loads(lock_text)
                change(doc)
                return json.dumps(doc).encode()

            lock_case("lock: truncated JSON", lock_text[: len(lock_text) // 2].encode())
            lock_case("lock: packages not a list", mutated(lambda d: d.update(packages={"good-lib": "1.0"})))
            lock_case("lock: invalid UTF-8", lock_text.replace("good-lib", "good-\udcff", 1)
                      .encode("utf-8", "surrogateescape"))
            lock_case("lock: huge field", mutated(lambda d: d["packages"][0].update(name="x" * (4 << 20))))
            lock_case("lock: package without a version", mutated(lambda d: d["packages"][0].pop("version")))
            lock_case("lock: bad sha256", mutated(lambda d: d["packages"][0].update(sha256="not-a-digest")))
            lock_case("lock: another lock version", mutated(lambda d: d.update(lock_version=99)))

            # --- bundles given to verify ---------------------------------------------------------------------
            def verify_case(name, plugins=None, report=None, want_exit=4, where=None):
                dist = inp / ("dist-" + re.sub(r"\W+", "-", name).strip("-"))
                dist.mkdir()
                (dist / "requirements.txt").write_text(
                    '--no-index\n--find-links /usr/local/airflow/plugins\n'
                    '--constraint "/usr/local/airflow/plugins/constraints.txt"\ngood-lib==1.0\n')
                (dist / "constraints.txt").write_text("good-lib==1.0\n")
                if plugins is not None:
                    (dist / "plugins.zip").write_bytes(plugins)
                if report is not None:
                    try:
                        doc = json.loads(report)
                    except ValueError:
                        doc = None
                    if isinstance(doc, dict) and plugins is not None:
                        # The digests build records, so that verify looks past "is this one build" into the bundle.
                        doc.update({"bundle": {"sha256": hashlib.sha256(plugins).hexdigest(), "size": len(plugins)},
                                    "requirements_sha256": hashlib.sha256(
                                        (dist / "requirements.txt").read_bytes()).hexdigest(),
                                    "constraints_sha256": hashlib.sha256(
                                        (dist / "constraints.txt").read_bytes()).hexdigest()})
                        report = json.dumps(doc).encode()
                    (dist / "build-report.json").write_bytes(report)
                case(name, ["verify", dist, "--target", TARGET], want_exit, where or [str(dist)], verify=True)

            good_whl = wheel_bytes(wheel_members("good-lib", "1.0"))
            ok_report = json.dumps({"target": TARGET, "packages": []}).encode()
            verify_case("bundle: plugins.zip not a zip", b"PK\x03\x04 and then nothing", ok_report,
                        where=["plugins.zip"])
            verify_case("bundle: traversal in plugins.zip",
                        wheel_bytes([("good_lib-1.0-py3-none-any.whl", good_whl), ("../outside.py", b"x = 1\n")]),
                        ok_report, where=["../outside.py"])
            verify_case("bundle: report not JSON", wheel_bytes([("good_lib-1.0-py3-none-any.whl", good_whl)]),
                        b"{\"target\": ", where=["build-report.json"])

            # --- AWS config and S3 answers -------------------------------------------------------------------
            dist_ok = inp / "dist-ok"
            dist_ok.mkdir()
            r = subprocess.run([str(wh), "build", "-r", inp / "good.txt", "--target", TARGET,
                                "--no-airflow-constraints", "--index-url", index, "--trusted-host", "127.0.0.1",
                                "-o", dist_ok],
                               env=dict(env, WHEELHOUSE_CACHE_DIR=str(tmp / "cache-ok")), capture_output=True,
                               text=True, timeout=120)
            check(r.returncode == 0, f"the good build failed: {r.stderr}")

            def config_case(name, content, where_line, want_exit=1):
                path = inp / (re.sub(r"\W+", "-", name).strip("-") + ".ini")
                path.write_bytes(content)
                case(name, ["deploy", dist_ok, "--bucket", "b", "--region", "us-east-1", "--endpoint-url",
                            "http://127.0.0.1:9"], want_exit, [f"{path}:{where_line}" if where_line else str(path)],
                     env={"AWS_CONFIG_FILE": str(path), "AWS_PROFILE": "ci"})

            # A malformed file is an input error (exit 1); a missing profile is AWS's (exit 5).
            config_case("aws config: line outside a section", b"region = us-east-1\n[profile ci]\n", 1)
            config_case("aws config: unclosed section", b"[profile ci\nregion = us-east-1\n", 1)
            config_case("aws config: invalid UTF-8", b"[profile ci]\naws_access_key_id = \xff\xfe\naws_secret_access_key = x\n", 2)
            config_case("aws config: profile missing", b"[profile other]\nregion = us-east-1\n", None, 5)
            # Credential sources a hostile environment can point elsewhere.
            for name, extra, where in (
                    ("aws: container credentials over plain http to a look-alike name",
                     {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1.nip.io:9/creds",
                      "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token-bad-input"}, ["plain http"]),
                    ("aws: web identity token file is a device",
                     {"AWS_WEB_IDENTITY_TOKEN_FILE": "/dev/zero", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"},
                     ["/dev/zero' is not a regular file"])):
                case(name, ["deploy", dist_ok, "--bucket", "b", "--region", "us-east-1", "--endpoint-url",
                            "http://127.0.0.1:9"], 5, where, env=extra)

            # --- advisory records and licence policy files (audit, licenses) ---------------------------------
            def advisory_case(name, filename, content, where):
                folder = inp / re.sub(r"\W+", "-", name).strip("-")
                folder.mkdir()
                (folder / filename).write_bytes(content)
                case(name, ["audit", dist_ok, "--advisories", folder], 1, [str(folder / filename), *where])

            advisory_case("advisories: bad YAML", "PYSEC-X.yaml", b"id: PYSEC-X\naffected: [\n  - package\n",
                          [":4:"])
            advisory_case("advisories: bad JSON", "GHSA-x.json", b"{\"id\": \"GHSA-x\", \"affected\": [", [])
            advisory_case("advisories: affected not a list", "PYSEC-Y.yaml", b"id: PYSEC-Y\naffected: nope\n",
                          ["affected"])
            advisory_case("advisories: unknown event", "PYSEC-Z.yaml",
                          b"id: PYSEC-Z\naffected:\n- package: {name: good-lib, ecosystem: PyPI}\n  ranges:\n"
                          b"  - type: ECOSYSTEM\n    events:\n    - since: '1.0'\n", ["events[0]"])
            advisory_case("advisories: binary file", "PYSEC-B.yaml", b"\x00\xff\xfe garbage", [])
            case("advisories: no such path", ["audit", dist_ok, "--advisories", inp / "no-such-db"], 1,
                 [str(inp / "no-such-db")])
            policy = inp / "bad-policy.toml"
            policy.write_bytes(b"[tool.wheelhouse.licenses]\nallow = [\"MIT\",\n  \"Apache2\"]\n")
            case("licence policy: unknown id", ["licenses", dist_ok, "--license-policy", policy], 1, [f"{policy}:3"])
            policy_syntax = inp / "bad-syntax.toml"
            policy_syntax.write_bytes(b"[tool.wheelhouse.licenses\nallow = 1\n")
            case("licence policy: not TOML", ["licenses", dist_ok, "--license-policy", policy_syntax], 1,
                 [f"{policy_syntax}:1"])

            s3 = start_fixed_server()
            endpoint = f"http://127.0.0.1:{s3.server_address[1]}"
            creds = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLEBADINPUT", "AWS_SECRET_ACCESS_KEY": "bad-input-secret-key"}
            s3_answers = {
                "s3: HTML instead of XML": (200, "text/html", b"<html><body><h1>Welcome to the hotel Wi-Fi</h1>"),
                "s3: truncated XML": (200, "application/xml",
                                      b'<?xml version="1.0"?><VersioningConfiguration><Status>Enab'),
                "s3: invalid UTF-8 XML": (200, "application/xml",
                                          b'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration>'
                                          b"<Status>\xff\xfe</Status></VersioningConfiguration>"),
                "s3: huge XML": (200, "application/xml", b'<?xml version="1.0"?><VersioningConfiguration><Status>' +
                                 b"E" * (16 << 20) + b"</Status></VersioningConfiguration>"),
                "s3: error without XML": (403, "text/plain", b"Forbidden\n"),
                "s3: XML with a DOCTYPE (entity expansion)": (200, "application/xml", entity_bomb(8)),
            }
            # An answer over the size limit is the server's failure (exit 3), whatever the document.
            s3_exit = {"s3: huge XML": 3}
            s3_where = {"s3: XML with a DOCTYPE (entity expansion)": ["DOCTYPE"]}
            results_s3 = {}
            try:
                for name, answer in s3_answers.items():
                    s3.answer = answer
                    c = dict(name=name, argv=["deploy", dist_ok, "--bucket", "mwaa-bucket", "--region", "us-east-1",
                                              "--endpoint-url", endpoint], exit=s3_exit.get(name, 5),
                             where=s3_where.get(name, [endpoint, "mwaa-bucket"]), env=creds)
                    results_s3[name] = run_case(wh, c, tmp, env)
            finally:
                s3.shutdown()

            # --- run everything ------------------------------------------------------------------------------
            table = []
            for c in cases:
                res = run_case(wh, c, tmp, env)
                table.append((c["name"], res))
            table += list(results_s3.items())
        finally:
            stop_index(index_state)

        print(f"\n{'case':<42} exit  error")
        for name, res in table:
            if res is None:
                print(f"{name:<42} hang")
                continue
            code, stdout, stderr = res["text"]
            line = next((l for l in stderr.splitlines() if l.startswith("error:")), "") or \
                next((l.strip() for l in stdout.splitlines() if l.strip()), "")
            print(f"{name:<42} {code:>4}  {line[:160]}")
        total = len(cases) + len(s3_answers)
        check(len(table) == total and total >= 45, f"{len(table)} of {total} cases ran (the corpus has 45 or more)")

    print(f"\n{tally.count} checks over {len(table)} bad inputs, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
