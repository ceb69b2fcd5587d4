#!/usr/bin/env python3
"""No secret ever leaves wheelhouse: every command, verbose and --json, in success paths and with failures forced.

Known fake secrets are handed to wheelhouse through every channel it reads: AWS secret keys and session tokens
(environment, shared credentials file, credential_process, web identity through the STS mock, container
credentials with an Authorization token, IMDSv2 through the metadata mock), and index passwords (in -i,
--extra-index-url, -f, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, a requirements file's -i line, ${VAR} expansion in
it, a -r URL, ~/.netrc). Each command runs with `-v --json` and with `-vv`, against the real servers:
nginx with basic auth (scripts/index-server, a password that needs URL encoding), Ceph RGW, the AWS metadata
mock, and fault proxies forcing failures (401, 403, 500, connection refused, reset, a stalled credential
endpoint, an unknown CA, a wrong secret, a missing bucket, a hash mismatch, a bad requirements file).

Every byte the run produced is searched for every secret, raw and in the forms a leak takes (URL-encoded,
JSON-escaped, base64, and base64 of "user:password" as in a Basic authorization header): stdout, stderr, every
file written under the run's folder (dist/, lock files, the pinned file, the mirror tree, HOME) and the whole
cache folder (the page cache stores URLs), and the objects `mirror` wrote to S3. Files written (lock files,
build-report.json, the pinned file, the cache) must not even hold the index user name ("user:***@" is for
messages). Tokens also travel in URL queries (a find-links page and a requirements file with ?token=, presigned
file links), and a failing credential_process's stderr is shown only with -v, redacted. Zero hits passes; the matrix
(command x scenario x output mode -> exit code, hits) is printed; each scenario must end with its expected exit
code, and the number of runs is asserted so that the test cannot pass vacuously.

Run by CTest with the s3_rgw and aws_metadata fixtures (WHEELHOUSE_S3_SERVER, WHEELHOUSE_AWS_METADATA name
their state files); starts its own index server. Needs /usr/bin/python3 (botocore creates the buckets).

    test_secrets.py --wheelhouse PATH --fixtures DIR [--support DIR]
"""

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import free_port, wait_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET = "mwaa-2.10.3"
USER = "alice"
# The index password: ':', '@', '/', '+' and '%' must be URL-encoded in a URL, so a leak of either form shows.
INDEX_PASSWORD = "Idx:Pw@s3cr3t/8f1e+a%7"
WRONG_PASSWORD = "Wr0ng:IdxPw@2b9c/e+d"
FIND_LINKS_PASSWORD = "FlPw-fake-4a1d7e"  # only in URLs that fail
# AWS: fake keys that no server knows.
FAKE_ACCESS_KEY = "AKIAWHEELHOUSEFAKE01"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYFAKESECRET01"
FAKE_SESSION = "IQoJb3JpZ2luX2VjEFAKE/SESSION+TOKEN=whlhs0001"
PROCESS_SECRET = "prc/SECRET+fake/K7MDENGbPxRfiCY0000002"
PROCESS_SESSION = "prc-SESSION/TOKEN+fake=0000003"
WRONG_JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.eyJzdWIiOiJmYWtlLXdoZWVsaG91c2UifQ.ZmFrZS1zaWduYXR1cmU"
WRONG_CONTAINER_TOKEN = "Bearer fake-container-token/0004+x"
# Tokens that travel in URL queries: a find-links page or requirements file shared with "?token=", and the
# signature and session token of presigned file links on an index page.
QUERY_TOKEN = "qtok-fake-5e2b9c01d7"
PRESIGNED_SIGNATURE = "5f1c0ffee0ddba11fake9a7b3c2d1e0f5f1c0ffee0ddba11fake9a7b3c2d1e0f"
PRESIGNED_SESSION = "FQoGZXIvYXdzEPresignedFakeSession0005"
# What a failing credential_process prints on stderr: shown only with -v, and then redacted.
PROCESS_STDERR_PASSWORD = "idp-pw-fake-0006"
PROCESS_STDERR_TOKEN = "idp-token-fake-0007"

HERE = Path(__file__).resolve().parent


def q(text):
    return urllib.parse.quote(text, safe="")


class Secrets:
    """name -> value; forms() are what a leak of the value looks like in text."""

    def __init__(self):
        self.values = {}
        self.users = {}

    def add(self, name, value, user=None):
        assert value and len(value) >= 8, name
        self.values[name] = value
        if user:
            self.users[name] = user

    def forms(self):
        out = []
        for name, value in self.values.items():
            variants = {"raw": value, "url-encoded": q(value), "json-escaped": json.dumps(value)[1:-1],
                        "base64": base64.b64encode(value.encode()).decode(),
                        "base64url": base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")}
            if name in self.users:
                pair = f"{self.users[name]}:{value}".encode()
                variants["basic-auth"] = base64.b64encode(pair).decode()
            seen = set()
            for form, text in variants.items():
                if text in seen:
                    continue
                seen.add(text)
                out.append((name, form, text.encode()))
        return out


def outcome(code, out, err):
    """The error the run ended with, as printed (already searched for secrets), for the matrix."""
    if code == 0:
        return ""
    try:
        message = json.loads(out)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        lines = [l for l in err.decode(errors="replace").splitlines() if l.startswith("error")]
        message = lines[0] if lines else ""
    message = message.replace("error: ", "", 1)
    return message if len(message) <= 90 else message[:87] + "..."


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Suite:
    def __init__(self, args, tmp):
        self.wh = str(Path(args.wheelhouse).resolve())
        self.fixtures = Path(args.fixtures).resolve()
        self.support = Path(args.support).resolve()
        self.demo = self.fixtures / "demo"
        self.tmp = tmp
        self.secrets = Secrets()
        self.rows = []  # (command, scenario, mode, expected, code, hits)
        self.hits = []  # (command, scenario, mode, where, secret, form)
        self.bad_exits = []
        self.counter = 0
        self.procs = []
        self.families = {}
        self.s3_server = json.loads(Path(os.environ["WHEELHOUSE_S3_SERVER"]).read_text())
        self.metadata = json.loads(Path(os.environ["WHEELHOUSE_AWS_METADATA"]).read_text())
        self.s3_client = None

    # ------------------------------------------------------------------ helpers
    def base_env(self, home, cache):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PIP_", "AWS_", "WHEELHOUSE_")) and not k.lower().endswith("_proxy")
               and k not in ("NETRC", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SOURCE_DATE_EPOCH")}
        env.update({"HOME": str(home), "WHEELHOUSE_CACHE_DIR": str(cache), "NO_COLOR": "1",
                    "AWS_CONFIG_FILE": str(home / "no-aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
                    "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "*", "no_proxy": "*"})
        return env

    def run(self, command, scenario, argv, expect, *, env=None, setup=None, family="index", modes=("json", "vv"),
            extra_grep=None, timeout=300, check=None):
        """Runs `wheelhouse COMMAND ...argv` once per output mode in a fresh folder and greps what it produced.

        setup(root, env) writes the scenario's inputs (returned paths are not searched unless changed) and may
        edit env; argv and env may use {root}, {home}, {cache} placeholders via callables. check(mode, out, err)
        returns what else is wrong with a run (a list of messages)."""
        for mode in modes:
            self.counter += 1
            root = self.tmp / "runs" / f"{self.counter:03d}-{command.replace(' ', '-')}-{scenario}-{mode}"
            home = root / "home"
            work = root / "work"
            home.mkdir(parents=True)
            work.mkdir()
            cache = self.families.setdefault(family, self.tmp / f"cache-{family}")
            cache.mkdir(exist_ok=True)
            e = self.base_env(home, cache)
            inputs = {}
            if setup:
                for p in setup(root, e) or []:
                    inputs[Path(p)] = sha(Path(p).read_bytes())
            if env:
                e.update(env(root) if callable(env) else env)
            args = argv(root) if callable(argv) else list(argv)
            flags = ["-v", "--json"] if mode == "json" else (["-vv"] if mode == "vv" else [])
            cmd = [self.wh, *command.split(), *args, *flags]
            try:
                p = subprocess.run(cmd, cwd=work, env=e, capture_output=True, timeout=timeout)
                code, out, err = p.returncode, p.stdout, p.stderr
            except subprocess.TimeoutExpired as t:
                code, out, err = "timeout", t.stdout or b"", t.stderr or b""
            blobs = [("stdout", out), ("stderr", err)]
            if mode == "json" and code == 0 and command not in ("--help",) and "--help" not in args:
                try:
                    json.loads(out)
                except ValueError:
                    self.bad_exits.append(f"{command} {scenario} {mode}: --json output is not JSON: {out[:200]!r}")
            for base in (root, cache):
                for path in sorted(base.rglob("*")):
                    if not path.is_file() or path.is_symlink():
                        continue
                    data = path.read_bytes()
                    if path in inputs and inputs[path] == sha(data):
                        continue
                    blobs.append((str(path.relative_to(self.tmp)), data))
            if extra_grep:
                blobs.extend(extra_grep(root))
            found = 0
            user_forms = [f"{USER}:***@".encode(), f"//{USER}@".encode(), f"//{USER}:".encode()]
            for where, data in blobs:
                if where not in ("stdout", "stderr"):
                    for text in user_forms:
                        if text in data:
                            found += 1
                            at = data.index(text)
                            excerpt = data[max(0, at - 80):at + len(text) + 40].decode("utf-8", "replace")
                            self.hits.append((command, scenario, mode, where, "index-user-in-a-file", "user", excerpt))
                for name, form, text in self.secrets.forms():
                    if text in data:
                        found += 1
                        at = data.index(text)
                        excerpt = data[max(0, at - 80):at + len(text) + 40].decode("utf-8", "replace")
                        self.hits.append((command, scenario, mode, where, name, form, excerpt))
            if check:
                for problem in check(mode, out, err):
                    self.bad_exits.append(f"{command} {scenario} [{mode}]: {problem}")
            expected = expect if isinstance(expect, (set, frozenset)) else {expect}
            if code not in expected:
                self.bad_exits.append(f"{command} {scenario} [{mode}]: exit {code}, expected {sorted(expected)}\n"
                                      f"  stdout: {out.decode(errors='replace')[-1500:]}\n"
                                      f"  stderr: {err.decode(errors='replace')[-1500:]}")
            self.rows.append((command, scenario, mode, "|".join(str(x) for x in sorted(expected)), code, found,
                              len(blobs), outcome(code, out, err)))
            # The last run of a scenario is kept for a later step (deploy uses a built dist, verify too).
            self.last_root = root

    def write(self, path, text, mode=0o600):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        os.chmod(path, mode)
        return path

    def start_proxy(self, upstream, spec=""):
        port = free_port()
        p = subprocess.Popen([sys.executable, str(self.support / "fault_proxy.py"), "--listen", f"127.0.0.1:{port}",
                              "--upstream", upstream, "--fault", spec],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        if not wait_port(port):
            raise RuntimeError("fault proxy did not start")
        return port

    def stop(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # ------------------------------------------------------------------ index server
    def start_index(self):
        self.index_state = self.tmp / "index-server"
        env = dict(os.environ, WHEELHOUSE_INDEX_PASSWORD=INDEX_PASSWORD)
        r = subprocess.run([str(ROOT / "scripts" / "index-server"), "start", str(self.index_state), "0",
                            str(self.demo / "packages.json")], env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"index server did not start: {r.stderr}")
        s = json.loads((self.index_state / "servers.json").read_text())
        assert s["password"] == INDEX_PASSWORD, "scripts/index-server ignored WHEELHOUSE_INDEX_PASSWORD"
        self.index = s
        tree = Path(s["tree"])
        # A flat find-links page of every wheel, and a requirements file, both behind basic auth under /private/.
        manifest = json.loads((tree / "manifest.json").read_text())
        links = "".join(f'<a href="files/{f}#sha256={m["sha256"]}">{f}</a>\n' for f, m in sorted(manifest["files"].items())
                        if f.endswith(".whl"))
        (tree / "links.html").write_text(f"<html><body>\n{links}</body></html>\n")
        # The same page with a wrong sha256 for one wheel: the download must fail verification.
        wheel = next(f for f in sorted(manifest["files"]) if f.startswith("requests_lite-2.31.0-"))
        bad = links.replace(manifest["files"][wheel]["sha256"], "0" * 64)
        assert bad != links
        (tree / "badhash.html").write_text(f"<html><body>\n{bad}</body></html>\n")
        # The same links as presigned URLs (nginx serves the files whatever the query says).
        presigned = "".join(
            f'<a href="files/{f}?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential=AKIAFAKE%2F20250101%2Fus-east-1'
            f'%2Fs3%2Faws4_request&amp;X-Amz-Security-Token={q(PRESIGNED_SESSION)}&amp;X-Amz-Signature='
            f'{PRESIGNED_SIGNATURE}#sha256={m["sha256"]}">{f}</a>\n'
            for f, m in sorted(manifest["files"].items()) if f.endswith(".whl"))
        (tree / "presigned.html").write_text(f"<html><body>\n{presigned}</body></html>\n")
        (tree / "reqs").mkdir(exist_ok=True)
        (tree / "reqs" / "requirements.txt").write_text((self.demo / "requirements.txt").read_text())
        self.manifest = manifest

    def stop_index(self):
        subprocess.run([str(ROOT / "scripts" / "index-server"), "stop", str(self.index_state)], capture_output=True)

    def url(self, path, password=INDEX_PASSWORD, port=None, scheme="http", user=USER):
        port = port or (self.index["https_port"] if scheme == "https" else self.index["http_port"])
        auth = f"{q(user)}:{q(password)}@" if password is not None else ""
        return f"{scheme}://{auth}127.0.0.1:{port}{path}"

    # ------------------------------------------------------------------ S3
    def s3(self):
        if self.s3_client is None:
            import botocore.session
            from botocore.config import Config
            session = botocore.session.get_session()
            self.s3_client = session.create_client(
                "s3", endpoint_url=self.s3_server["endpoint"], region_name=self.s3_server.get("region", "us-east-1"),
                aws_access_key_id=self.s3_server["access_key"], aws_secret_access_key=self.s3_server["secret_key"],
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))
        return self.s3_client

    def make_bucket(self, stem):
        name = "%s-%d-%04x" % (stem, os.getpid(), random.randrange(1 << 16))
        c = self.s3()
        c.create_bucket(Bucket=name)
        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        c.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        return name

    def bucket_blobs(self, bucket, prefix=""):
        c = self.s3()
        out = []
        for o in c.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            body = c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            out.append((f"s3://{bucket}/{o['Key']}", body))
        return out


# ---------------------------------------------------------------------- the scenarios

def index_scenarios(s):
    """lock, build and mirror: index passwords through every channel, success and forced failures."""
    demo = s.demo
    http = s.index["http_port"]
    proxy = s.index["proxy_port"]
    refused = free_port()
    ca = s.index["ca_cert"]
    constraints = ["--airflow-constraints", str(demo / "airflow-constraints.txt")]
    trusted = ["--trusted-host", "127.0.0.1"]
    public = f"http://127.0.0.1:{http}/simple"
    # Ambient AWS secrets: an index command must not print them either (e.g. by dumping its environment).
    ambient = {"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
               "AWS_SESSION_TOKEN": FAKE_SESSION}

    def reqs(extra_lines=""):
        def setup(root, env):
            return [s.write(root / "in" / "requirements.txt", extra_lines + (demo / "requirements.txt").read_text())]
        return setup

    def outputs(command, root):
        if command == "lock":
            return ["-o", str(root / "work" / "wheelhouse.lock.json"), "--pinned",
                    str(root / "work" / "requirements.lock.txt")]
        if command == "build":
            return ["-o", str(root / "work" / "dist"), "--plugins-dir", str(demo / "plugins")]
        return ["--dest", str(root / "work" / "mirror")]

    def target(command):
        return ["--target", TARGET]

    def add(command, name, source_args, expect, setup=None, env=None, modes=("json", "vv")):
        def argv(root):
            a = ["-r", str(root / "in" / "requirements.txt")] if (root / "in" / "requirements.txt").exists() else \
                ["-r", str(demo / "requirements.txt")]
            extra = source_args(root) if callable(source_args) else list(source_args)
            if "-r" in extra:  # the scenario names its own requirements
                a = []
            return [*a, *target(command), *constraints, *extra, *outputs(command, root)]
        base_env = dict(ambient)
        if env:
            base_env.update(env)
        s.run(command, name, argv, expect, env=base_env, setup=setup, modes=modes)

    netrc_text = f"machine 127.0.0.1\n  login {USER}\n  password {INDEX_PASSWORD}\n"

    def netrc(root, env):
        return [s.write(Path(env["HOME"]) / ".netrc", netrc_text)]

    for command in ("lock", "build", "mirror"):
        priv = s.url("/private/simple")
        # ---- success paths: the password reaches nginx through each channel
        add(command, "index-url-password", ["-i", priv, *trusted], 0)
        add(command, "https-index-password", ["-i", s.url("/private/simple", scheme="https"), "--cert", ca], 0)
        add(command, "PIP_INDEX_URL-password", trusted, 0, env={"PIP_INDEX_URL": priv})
        add(command, "extra-index-url-password", ["-i", public, "--extra-index-url", priv, *trusted], 0)
        add(command, "PIP_EXTRA_INDEX_URL-password", ["-i", public, *trusted], 0,
            env={"PIP_EXTRA_INDEX_URL": priv})
        add(command, "find-links-password", ["--no-index", "-f", s.url("/private/links.html"), *trusted], 0)
        add(command, "reqfile-i-line-password", trusted, 0, setup=reqs(f"-i {priv}\n"))
        add(command, "reqfile-env-var-password", trusted, 0,
            setup=reqs(f"--index-url http://{USER}:${{WH_TEST_INDEX_PASSWORD}}@127.0.0.1:{http}/private/simple\n"),
            env={"WH_TEST_INDEX_PASSWORD": q(INDEX_PASSWORD)})
        add(command, "requirement-url-password", ["-r", s.url("/private/reqs/requirements.txt"), "-i", priv,
                                                  *trusted], 0)
        wheel = next(f for f, m in sorted(s.manifest["files"].items())
                     if m.get("project") == "requests-lite" and "-2.31.0-" in f and f.endswith(".whl"))
        # Not supported yet (exit 1): the message quotes the line.
        add(command, "direct-url-requirement-password", trusted, 1,
            setup=reqs(f"requests-lite @ {s.url('/private/files/' + wheel)}\n-i {priv}\n"))
        add(command, "netrc-password", ["-i", f"http://127.0.0.1:{http}/private/simple", *trusted], 0,
            setup=netrc)
        # Tokens in URL queries: a find-links page and a requirements file shared with ?token=, presigned links.
        add(command, "find-links-query-token",
            ["--no-index", "-f", f"http://127.0.0.1:{http}/links.html?token={QUERY_TOKEN}", *trusted], 0)
        add(command, "presigned-file-links", ["--no-index", "-f", f"http://127.0.0.1:{http}/presigned.html", *trusted],
            0)
        add(command, "requirement-url-query-token",
            ["-r", f"http://127.0.0.1:{http}/reqs/requirements.txt?token={QUERY_TOKEN}", "-i", public, *trusted], 0)
        # ---- forced failures
        add(command, "wrong-password-401", ["-i", s.url("/private/simple", WRONG_PASSWORD), *trusted], 3)
        add(command, "connection-refused", ["-i", s.url("/simple", WRONG_PASSWORD, port=refused), *trusted], 3)
        for status in (401, 403, 500):
            add(command, f"index-answers-{status}",
                ["-i", s.url(f"/_fault/status={status}/private/simple", WRONG_PASSWORD, port=proxy), *trusted], 3,
                modes=("json",) if status == 500 else ("json", "vv"))
        add(command, "unknown-ca", ["-i", s.url("/private/simple", scheme="https"), "--cert",
                                    s.index["unrelated_ca_cert"]], 3)
        add(command, "find-links-401", ["--no-index", "-f", s.url("/private/links.html", FIND_LINKS_PASSWORD),
                                        *trusted], {2, 3})
        add(command, "requirement-url-404", ["-r", s.url("/private/reqs/missing.txt"), "-i", priv, *trusted],
            {1, 3})
        add(command, "requirement-url-query-token-404",
            ["-r", f"http://127.0.0.1:{http}/reqs/missing.txt?token={QUERY_TOKEN}", "-i", public, *trusted], {1, 3},
            modes=("json",))
        add(command, "presigned-links-403",
            ["--no-index", "-f", f"http://127.0.0.1:{proxy}/_fault/status=403/presigned.html?token={QUERY_TOKEN}",
             *trusted], {2, 3}, modes=("json",))
        add(command, "bad-reqfile-option-after-i", trusted, 1,
            setup=reqs(f"-i {s.url('/private/simple', WRONG_PASSWORD)} --no-such-option\n"))
        add(command, "bad-reqfile-line-after-extra-index", trusted, 1,
            setup=reqs(f"--extra-index-url {s.url('/private/simple', WRONG_PASSWORD)}\nnot a requirement ===\n"))
        add(command, "bad-reqfile-env-var", trusted, 1,
            setup=reqs(f"-i http://{USER}:${{WH_TEST_INDEX_PASSWORD}}@127.0.0.1:{http}/private/simple --bogus\n"),
            env={"WH_TEST_INDEX_PASSWORD": q(WRONG_PASSWORD)})
        # lock reads metadata only (no wheel download, so nothing to verify); build and mirror download.
        add(command, "hash-mismatch", ["--no-index", "-f", s.url("/private/badhash.html"), *trusted],
            {0, 4} if command == "lock" else 4)
        add(command, "malformed-index-url", ["-i", f"ftp://{USER}:{q(WRONG_PASSWORD)}@127.0.0.1/simple"], {1, 3},
            modes=("json",))
    # CLI usage errors that echo the command line back.
    for command in ("lock", "build"):
        s.run(command, "usage-error-unexpected-url",
              ["-r", str(demo / "requirements.txt"), "--target", TARGET, s.url("/private/simple", WRONG_PASSWORD)], 1,
              env=ambient, modes=("json",))
        s.run(command, "usage-error-bad-jobs",
              ["-r", str(demo / "requirements.txt"), "-i", s.url("/private/simple", WRONG_PASSWORD), "--jobs", "0"],
              1, env=ambient, modes=("json",))


def bundle_scenarios(s):
    """verify, inspect, cache, targets and --help, with secrets in the environment they do not need."""
    ambient = {"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
               "AWS_SESSION_TOKEN": FAKE_SESSION, "PIP_INDEX_URL": s.url("/private/simple"),
               "PIP_EXTRA_INDEX_URL": s.url("/private/simple", WRONG_PASSWORD), "PIP_TRUSTED_HOST": "127.0.0.1"}
    # A real bundle, built from the password-protected index (its outputs were searched as the build's).
    dist = s.tmp / "dist"
    r = subprocess.run([s.wh, "build", "-r", str(s.demo / "requirements.txt"), "--target", TARGET,
                        "--airflow-constraints", str(s.demo / "airflow-constraints.txt"), "-i",
                        s.url("/private/simple"), "--trusted-host", "127.0.0.1", "-o", str(dist)],
                       env=dict(s.base_env(s.tmp, s.tmp / "cache-index"), NO_PROXY="*"), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    s.dist = dist
    wheel = next(p for p in sorted((Path(s.index["tree"]) / "files").glob("*.whl")))

    def copy_dist(root, env, tamper=False):
        d = root / "in" / "dist"
        shutil.copytree(dist, d)
        if tamper:
            report = json.loads((d / "build-report.json").read_text())
            report["packages"][0]["sha256"] = "0" * 64
            (d / "build-report.json").write_text(json.dumps(report))
        return [p for p in d.rglob("*") if p.is_file()]

    s.run("verify", "good-bundle", lambda root: [str(root / "in" / "dist"), "--target", TARGET], 0,
          setup=copy_dist, env=ambient, family="bundle")
    s.run("verify", "hash-mismatch", lambda root: [str(root / "in" / "dist"), "--target", TARGET], 4,
          setup=lambda root, env: copy_dist(root, env, tamper=True), env=ambient, family="bundle")
    s.run("inspect", "wheel", [str(wheel), "--target", TARGET], 0, env=ambient, family="bundle")
    s.run("inspect", "not-a-wheel", [str(s.demo / "requirements.txt")], 1, env=ambient, family="bundle",
          modes=("json",))
    s.run("targets", "list", [], 0, env=ambient, family="bundle")
    # The cache that every index scenario wrote: info and prune read it (clean last).
    for sub in ("info", "prune", "clean"):
        s.run(f"cache {sub}", "after-index-runs", [], 0, env=ambient, family="index", modes=("json",))
    for command in ("", "targets", "inspect", "lock", "build", "verify", "deploy", "mirror", "cache"):
        s.run(command or "--help", "help", ["--help"] if command else [], 0, env=ambient, family="bundle",
              modes=("plain",))


def s3_scenarios(s):
    """deploy and mirror --dest s3://: every credential source, success against RGW and forced failures."""
    server = s.s3_server
    meta = s.metadata
    endpoint = server["endpoint"]
    bucket = s.make_bucket("secrets")
    kms = ["--kms-key-id", server["kms_key_id"]]
    deploy_args = lambda root: [str(s.dist), "--bucket", bucket, "--force", *kms]  # noqa: E731
    rgw = {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_REGION": server.get("region", "us-east-1")}
    ambient = {"PIP_INDEX_URL": s.url("/private/simple", WRONG_PASSWORD)}
    env_keys = dict(rgw, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"],
                    **ambient)
    fake_keys = dict(rgw, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=FAKE_SECRET,
                     AWS_SESSION_TOKEN=FAKE_SESSION, **ambient)
    metadata_port = meta["port"]

    helper_stderr = (f"credential helper: GET https://{USER}:{PROCESS_STDERR_PASSWORD}@idp.example/token?token="
                     f"{PROCESS_STDERR_TOKEN} failed")

    def process_profile(secret, session, exit_status=0, version=1, access=None):
        def setup(root, env):
            doc = {"Version": version, "AccessKeyId": access or FAKE_ACCESS_KEY, "SecretAccessKey": secret}
            if session:
                doc["SessionToken"] = session
            script = s.write(root / "in" / "creds.py",
                             "import json, sys\nprint(json.dumps(%r))\n"
                             "sys.stderr.write(%r + '\\n')\nsys.exit(%d)\n"
                             % (doc, helper_stderr, exit_status), 0o700)
            config = s.write(root / "in" / "config",
                             f"[default]\nregion = us-east-1\ncredential_process = {sys.executable} {script}\n")
            env["AWS_CONFIG_FILE"] = str(config)
            return [script, config]
        return setup

    def shared_file(root, env):
        creds = s.write(root / "in" / "credentials",
                        f"[default]\naws_access_key_id = {FAKE_ACCESS_KEY}\naws_secret_access_key = {FAKE_SECRET}\n"
                        f"aws_session_token = {FAKE_SESSION}\n")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(creds)
        return [creds]

    def web_identity(token):
        def setup(root, env):
            f = s.write(root / "in" / "token.jwt", token + "\n")
            env.update({"AWS_WEB_IDENTITY_TOKEN_FILE": str(f), "AWS_ROLE_ARN": meta["role_arn"],
                        "AWS_ENDPOINT_URL_STS": meta["endpoint"]})
            return [f]
        return setup

    def container(token, port=None, via_file=False):
        def setup(root, env):
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"http://127.0.0.1:{port or metadata_port}/container/credentials"
            if via_file:
                f = s.write(root / "in" / "container-token", token)
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(f)
                return [f]
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
            return []
        return setup

    def imds(root, env):
        env["AWS_EC2_METADATA_DISABLED"] = "false"
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = meta["endpoint"]
        return []

    stall_port = s.start_proxy(f"127.0.0.1:{metadata_port}", "stall")
    rgw_host = endpoint.split("://", 1)[1].rstrip("/")
    reset_port = s.start_proxy(rgw_host, "reset")
    busy_port = s.start_proxy(rgw_host, "status=503")
    refused = free_port()

    def dep(name, expect, env, setup=None, args=deploy_args, modes=("json", "vv")):
        s.run("deploy", name, args, expect, env=env, setup=setup, family="s3", modes=modes)

    # ---- success paths
    dep("env-keys", 0, env_keys)
    dep("env-keys-dry-run", 0, env_keys, args=lambda root: [*deploy_args(root), "--dry-run"], modes=("json",))
    dep("credential-process", 0, dict(rgw, **ambient),
        setup=process_profile(server["secret_key"], None, access=server["access_key"]))
    # ---- forced failures
    dep("wrong-secret", 5, fake_keys)
    dep("missing-bucket", 5, env_keys, args=lambda root: [str(s.dist), "--bucket", "no-such-bucket-secrets", *kms])
    dep("shared-credentials-file-fake", 5, dict(rgw, **ambient), setup=shared_file)
    dep("credential-process-fake-keys", 5, dict(rgw, **ambient), setup=process_profile(PROCESS_SECRET, PROCESS_SESSION))
    dep("credential-process-bad-version", 5, dict(rgw, **ambient),
        setup=process_profile(PROCESS_SECRET, PROCESS_SESSION, version=2), modes=("json",))
    def helper_stderr_only_with_v(mode, out, err):
        shown = b"credential helper: GET https://" in out + err
        if mode == "plain" and shown:
            return ["the credential_process's stderr was shown without -v"]
        if mode != "plain" and not shown:
            return ["the credential_process's stderr (redacted) was not shown with -v"]
        return []

    s.run("deploy", "credential-process-exit-1", deploy_args, 5, env=dict(rgw, **ambient),
          setup=process_profile(PROCESS_SECRET, PROCESS_SESSION, exit_status=1), family="s3",
          modes=("json", "vv", "plain"), check=helper_stderr_only_with_v)
    dep("web-identity-sts", 5, dict(rgw, **ambient), setup=web_identity(meta["web_identity_token"]))
    dep("web-identity-wrong-token", 5, dict(rgw, **ambient), setup=web_identity(WRONG_JWT))
    dep("container-token", 5, dict(rgw, **ambient), setup=container(meta["container_token"]))
    dep("container-token-file", 5, dict(rgw, **ambient), setup=container(meta["container_token"], via_file=True),
        modes=("json",))
    dep("container-wrong-token", 5, dict(rgw, **ambient), setup=container(WRONG_CONTAINER_TOKEN))
    dep("container-endpoint-stalls", 5, dict(rgw, **ambient),
        setup=container(meta["container_token"], port=stall_port), modes=("json",))
    dep("imds-v2", 5, dict(rgw, **ambient), setup=imds, modes=("json",))
    dep("s3-connection-reset", {3, 5}, dict(fake_keys, AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{reset_port}"),
        modes=("json",))
    dep("s3-answers-503", {3, 5}, dict(fake_keys, AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{busy_port}"),
        modes=("json",))
    dep("s3-connection-refused", {3, 5}, dict(fake_keys, AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{refused}"),
        modes=("json",))

    # mirror to s3:// on RGW, from the password-protected index.
    def mirror_args(prefix):
        return lambda root: ["-r", str(s.demo / "requirements.txt"), "--target", TARGET, "--airflow-constraints",
                             str(s.demo / "airflow-constraints.txt"), "-i", s.url("/private/simple"),
                             "--trusted-host", "127.0.0.1", "--dest", f"s3://{bucket}/{prefix}", *kms]
    s.run("mirror", "s3-dest-env-keys", mirror_args("mirror-ok"), 0, env=env_keys, family="s3", modes=("json",),
          extra_grep=lambda root: s.bucket_blobs(bucket, "mirror-ok/"))
    s.run("mirror", "s3-dest-wrong-secret", mirror_args("mirror-bad"), 5, env=fake_keys, family="s3",
          modes=("json", "vv"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--support", default=str(HERE.parent / "support"))
    parser.add_argument("--only", default="index,bundle,s3", help="for debugging: families to run (the run "
                        "count then differs, so the test fails)")
    args = parser.parse_args()
    for var in ("WHEELHOUSE_S3_SERVER", "WHEELHOUSE_AWS_METADATA"):
        if not os.environ.get(var) or not Path(os.environ[var]).exists():
            print(f"FAIL: {var} does not name a server state file (run through CTest with the fixtures)")
            return 1

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-secrets-") as tmp_name:
        s = Suite(args, Path(tmp_name))
        meta = s.metadata
        sec = s.secrets
        sec.add("index-password", INDEX_PASSWORD, USER)
        sec.add("wrong-index-password", WRONG_PASSWORD, USER)
        sec.add("find-links-password", FIND_LINKS_PASSWORD, USER)
        sec.add("aws-fake-secret", FAKE_SECRET)
        sec.add("aws-fake-session-token", FAKE_SESSION)
        sec.add("process-secret", PROCESS_SECRET)
        sec.add("process-session-token", PROCESS_SESSION)
        sec.add("rgw-secret", s.s3_server["secret_key"])
        sec.add("web-identity-token", meta["web_identity_token"])
        sec.add("wrong-web-identity-token", WRONG_JWT)
        sec.add("container-token", meta["container_token"])
        sec.add("wrong-container-token", WRONG_CONTAINER_TOKEN)
        sec.add("query-token", QUERY_TOKEN)
        sec.add("presigned-signature", PRESIGNED_SIGNATURE)
        sec.add("presigned-session-token", PRESIGNED_SESSION)
        sec.add("process-stderr-password", PROCESS_STDERR_PASSWORD, USER)
        sec.add("process-stderr-token", PROCESS_STDERR_TOKEN)
        for source, c in meta["credentials"].items():
            sec.add(f"{source}-secret", c["SecretAccessKey"])
            sec.add(f"{source}-session-token", c["SessionToken"])
        try:
            s.start_index()
            only = args.only.split(",")
            if "index" in only:
                index_scenarios(s)
                # The search could fail: nginx logs the Authorization header, where the password's Basic form
                # must be found (it reached the server, so the success paths really used it).
                log = Path(s.index["access_log"]).read_bytes()
                basic = next(t for n, f, t in sec.forms() if n == "index-password" and f == "basic-auth")
                if basic not in log:
                    s.bad_exits.append("the index password's Basic authorization form is not in nginx's log")
            if "bundle" in only or "s3" in only:
                bundle_scenarios(s)
            if "s3" in only:
                s3_scenarios(s)
        finally:
            s.stop_index()
            s.stop()

        print(f"{'command':<12} {'scenario':<36} {'mode':<5} {'expect':<6} {'exit':<4} {'hits':<4} {'files':<5} error")
        for command, scenario, mode, expect, code, found, blobs, what in s.rows:
            print(f"{command:<12} {scenario:<36} {mode:<5} {expect:<6} {str(code):<4} {found:<4} {blobs:<5} {what}")
        print(f"{len(s.rows)} runs, {len(sec.values)} secrets x {len(sec.forms())} forms, "
              f"{len(s.hits)} hits, {len(s.bad_exits)} unexpected exits", flush=True)
        for command, scenario, mode, where, name, form, excerpt in s.hits[:40]:
            print(f"LEAK: {command} {scenario} [{mode}] {where}: {name} ({form}): ...{excerpt}...")
        for line in s.bad_exits[:40]:
            print("FAIL:", line)
        # Fixed by the scenario lists above: a change that drops runs must change this number too.
        expected_runs = 221
        if len(s.rows) != expected_runs:
            print(f"FAIL: {len(s.rows)} runs, expected {expected_runs}")
            return 1
        if s.hits or s.bad_exits:
            return 1
        print("ok: no secret in any output")
        return 0


if __name__ == "__main__":
    sys.exit(main())
