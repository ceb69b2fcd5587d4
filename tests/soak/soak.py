#!/usr/bin/env python3
"""Chaos soak: many builds and deploys through random network faults and random SIGKILLs.

    soak.py --wheelhouse PATH --fixtures DIR [--builds N] [--deploys M] [--seed S] [--json-out FILE]

Builds read the demo index (tests/support/make_index.py) from Python's http.server behind
tests/support/fault_proxy.py; deploys go to the Ceph RGW that WHEELHOUSE_S3_SERVER describes, behind a second
fault proxy. Each round picks a fault (reset, stall, truncation, 500/503, slow drip, 403, reset mid-body, or none)
and, in some rounds, kills wheelhouse with SIGKILL at a random moment and runs it again without a fault. After
every round:
  - the cache passes a full integrity check (every wheel and metadata entry hashes to its name);
  - dist/ is the previous complete set or the new one (its files match its build-report.json), never a mix
    that verify would accept;
  - the bucket holds no unfinished multipart upload and every object is one of the files deployed, whole;
  - a failure was a documented exit code (1-5) with exactly one "error:" line.
Deploys need the RGW lock (flock /tmp/wheelhouse-rgw.lock) when the script starts RGW itself: scripts run it
under the lock; the CTest variant uses the s3_rgw fixture. Prints one line per 50 rounds and a summary; exit 1 on
any violation. Not in the default CI run: CI runs a short variant (e2e.soak_short).
"""
import argparse
import collections
import functools
import hashlib
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "tests" / "support"
sys.path.insert(0, str(SUPPORT))
from e2e_support import free_port, wait_port  # noqa: E402

DOCUMENTED = {1, 2, 3, 4, 5}
BUILD_FAULTS = ["", "reset,times=2", "stall,times=1", "truncate,times=2", "status=500,times=2",
                "status=503,retry-after=0,times=3", "drip=40000", "status=403", "reset-body,times=2",
                "status=500", "reset,suffix=.whl,times=1", "truncate,suffix=.metadata,times=1",
                "stall-body,suffix=.whl,times=1", "status=403,suffix=.whl"]
DEPLOY_FAULTS = ["", "reset,times=2", "stall,times=1", "truncate,times=2", "status=500,times=2",
                 "status=503,times=3", "upload-drip=2000000", "status=403", "reset-body,times=2", "status=500",
                 "reset,match=partNumber=2,times=1", "status=500,match=partNumber=1,times=2",
                 "stall,match=uploadId,method=POST,times=1", "status=403,method=PUT", "reset,method=HEAD,times=1"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def control(port, spec):
    req = urllib.request.Request("http://127.0.0.1:%d/_control/fault" % port, data=spec.encode(), method="PUT")
    urllib.request.urlopen(req, timeout=10).read()


def start_proxy(upstream, log_dir, name):
    port = free_port()
    p = subprocess.Popen([sys.executable, SUPPORT / "fault_proxy.py", "--listen", "127.0.0.1:%d" % port,
                          "--upstream", upstream], stdout=subprocess.DEVNULL,
                         stderr=open(log_dir / ("%s.log" % name), "w"))
    if not wait_port(port):
        raise RuntimeError("fault proxy %s did not start" % name)
    return port, p


class Soak:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.rng = random.Random(args.seed)
        self.stats = collections.Counter()
        self.violations = []
        self.exit_codes = collections.Counter()
        self.lock = threading.Lock()

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def violation(self, what):
        with self.lock:
            self.violations.append(what)
        print("VIOLATION:", what, flush=True)

    def run_cli(self, cmd, env, kill_after=None, timeout=300):
        """Runs wheelhouse; with kill_after, SIGKILLs it after that many seconds (if still running)."""
        p = subprocess.Popen([str(c) for c in cmd], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        killed = False
        if kill_after is not None:
            try:
                p.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                killed = True
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.violation("%s did not end within %d s" % (cmd[1], timeout))
        return p.returncode, out, err, killed

    def check_failure(self, label, code, err):
        with self.lock:
            self.exit_codes[code] += 1
        if code == 0:
            return
        if code not in DOCUMENTED:
            self.violation("%s: exit %d is not a documented exit code; stderr: %s" % (label, code, err[-500:]))
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        if len(errors) != 1:
            self.violation("%s: %d error lines (exit %d): %s" % (label, len(errors), code, err[-800:]))

    # ---------------------------------------------------------------- builds

    def cache_problems(self, cache):
        problems = []
        store = cache / "wheels" / "sha256"
        for p in store.rglob("*") if store.exists() else []:
            if p.is_file() and p.name.endswith(".whl") and sha256_file(p) != p.parent.name:
                problems.append("cache entry %s does not hash to its name" % p)
        return problems

    def dist_state(self, dist):
        """(complete?, digest of the whole set) of a dist/ folder; complete means it matches its own report."""
        names = ("plugins.zip", "requirements.txt", "constraints.txt", "build-report.json")
        if not all((dist / n).exists() for n in names):
            return (not any((dist / n).exists() for n in names)), None
        report = json.loads((dist / "build-report.json").read_text())
        complete = (report["bundle"]["sha256"] == sha256_file(dist / "plugins.zip") and
                    report["requirements_sha256"] == sha256_file(dist / "requirements.txt") and
                    report["constraints_sha256"] == sha256_file(dist / "constraints.txt"))
        whole = hashlib.sha256("".join(sha256_file(dist / n) for n in names).encode()).hexdigest()
        return complete, whole

    def builds(self, n):
        demo = Path(self.args.fixtures).resolve() / "demo"
        index = self.tmp / "index"
        r = subprocess.run([sys.executable, SUPPORT / "make_index.py", demo / "packages.json", index],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(index)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        upstream = "127.0.0.1:%d" % server.server_address[1]
        # Two requirement sets, so that a build changes what dist/ holds.
        reqs = [demo / "requirements.txt", self.tmp / "requirements-b.txt"]
        lines = [l for l in (demo / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
        reqs[1].write_text("\n".join(lines[:-1] or lines) + "\n")
        cache = self.tmp / "cache"  # shared by the workers: concurrent builds must keep it whole too
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.pop("SOURCE_DATE_EPOCH", None)
        env["WHEELHOUSE_CACHE_DIR"] = str(cache)
        workers = max(1, min(self.args.workers, n))
        shares = [n // workers + (1 if w < n % workers else 0) for w in range(workers)]
        threads = [threading.Thread(target=self.build_worker, args=(w, shares[w], upstream, reqs, env, cache, demo))
                   for w in range(workers)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            server.shutdown()

    def build_worker(self, w, n, upstream, reqs, env, cache, demo):
        rng = random.Random(self.args.seed * 1000 + w)
        port, proxy = start_proxy(upstream, self.tmp, "build-proxy-%d" % w)
        dist = self.tmp / ("dist-%d" % w)

        def cmd(req):
            return [self.args.wheelhouse, "build", "-r", req, "--target", "mwaa-2.10.3", "--airflow-constraints",
                    demo / "airflow-constraints.txt", "-i", "http://127.0.0.1:%d/simple/" % port,
                    "--trusted-host", "127.0.0.1", "--plugins-dir", demo / "plugins", "-o", dist, "--timeout", "2"]

        good = set()  # digests of complete sets a build produced
        try:
            for i in range(n):
                fault = rng.choice(BUILD_FAULTS)
                req = rng.choice(reqs)
                control(port, fault)
                before = self.dist_state(dist)
                kill = rng.uniform(0.05, 2.5) if rng.random() < 0.35 else None
                code, out, err, killed = self.run_cli(cmd(req), env, kill_after=kill)
                label = "build %d.%d (fault '%s'%s)" % (w, i, fault, ", killed" if killed else "")
                self.count("builds")
                if killed:
                    self.count("builds_killed")
                else:
                    self.check_failure(label, code, err)
                    self.count("builds_ok" if code == 0 else "builds_failed")
                after = self.dist_state(dist)
                self.check_dist(label, dist, before, after, code == 0 and not killed, good)
                if killed or code != 0:
                    # The rerun, without a fault, must succeed from whatever was left.
                    control(port, "")
                    code, out, err, _ = self.run_cli(cmd(req), env)
                    self.count("build_reruns")
                    self.check_failure(label + " rerun", code, err)
                    if code != 0:
                        self.violation("%s: the rerun without a fault failed: %s" % (label, err[-800:]))
                    self.check_dist(label + " rerun", dist, after, self.dist_state(dist), code == 0, good)
                leftovers = [p.name for p in dist.iterdir() if p.name.startswith(".")] if dist.exists() else []
                if leftovers:
                    self.violation("%s: staging left in dist/ after the rerun: %s" % (label, leftovers))
                for problem in self.cache_problems(cache):
                    self.violation("%s: %s" % (label, problem))
                with self.lock:
                    done = self.stats["builds"]
                if done % 50 == 0:
                    print("builds: %d done (%s)" % (done, dict(self.stats)), flush=True)
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)

    def check_dist(self, label, dist, before, after, succeeded, good):
        complete, digest = after
        if succeeded:
            if not complete or digest is None:
                self.violation("%s: a successful build left an incomplete dist/" % label)
            else:
                good.add(digest)
            return
        if complete:
            # A failed or killed build leaves the previous set or (killed after its last rename) the new one: either
            # way the files match their report, so deploy and verify take them.
            if digest is not None and digest != before[1] and digest not in good:
                self.count("dist_new_from_killed_build")
                good.add(digest)
            return
        # A mix: only a kill between two renames can make one, and verify must refuse it.
        self.count("dist_mixed")
        r = subprocess.run([self.args.wheelhouse, "verify", dist, "--target", "mwaa-2.10.3"],
                           capture_output=True, text=True)
        if r.returncode != 4:
            self.violation("%s: dist/ is a mix of two builds and verify exits %d" % (label, r.returncode))

    # ---------------------------------------------------------------- deploys

    def deploys(self, m):
        import botocore.session
        from botocore.config import Config
        server = json.load(open(os.environ["WHEELHOUSE_S3_SERVER"]))
        s3 = botocore.session.get_session().create_client(
            "s3", endpoint_url=server["endpoint"], region_name=server.get("region", "us-east-1"),
            aws_access_key_id=server["access_key"], aws_secret_access_key=server["secret_key"],
            config=Config(s3={"addressing_style": "path"}))
        bucket = "soak-%d-%04x" % (os.getpid(), self.rng.randrange(1 << 16))
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        port, proxy = start_proxy(server["endpoint"].split("//", 1)[1], self.tmp, "deploy-proxy")
        # Two dists: a small one (single PUTs) and one whose plugins.zip goes multipart (3 parts).
        files = {}
        dists = []
        for name, size in (("small", 200_000), ("multipart", 40 * 1024 * 1024 + 12345)):
            d = self.tmp / ("deploy-" + name)
            d.mkdir()
            with open(d / "plugins.zip", "wb") as f:
                f.write(os.urandom(size))
            (d / "requirements.txt").write_text("--no-index\nfoo==%s\n" % name)
            (d / "constraints.txt").write_text("foo==1\n")
            report = {"bundle": {"sha256": sha256_file(d / "plugins.zip"), "size": size},
                      "requirements_sha256": sha256_file(d / "requirements.txt"),
                      "constraints_sha256": sha256_file(d / "constraints.txt")}
            (d / "build-report.json").write_text(json.dumps(report))
            for n in ("plugins.zip", "requirements.txt"):
                files.setdefault(n, {})[sha256_file(d / n)] = os.path.getsize(d / n)
            dists.append(d)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"],
                   AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % port, AWS_REGION=server.get("region", "us-east-1"),
                   AWS_CONFIG_FILE="/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/c",
                   AWS_EC2_METADATA_DISABLED="true")

        def cmd(d):
            return [self.args.wheelhouse, "deploy", d, "--bucket", bucket, "--force", "--kms-key-id",
                    server["kms_key_id"], "--timeout", "3"]

        try:
            for i in range(m):
                fault = self.rng.choice(DEPLOY_FAULTS)
                d = self.rng.choice(dists)
                control(port, fault)
                kill = self.rng.uniform(0.1, 4.0) if self.rng.random() < 0.35 else None
                code, out, err, killed = self.run_cli(cmd(d), env, kill_after=kill)
                label = "deploy %d (%s, fault '%s'%s)" % (i, d.name, fault, ", killed" if killed else "")
                self.count("deploys")
                if killed:
                    self.count("deploys_killed")
                else:
                    self.check_failure(label, code, err)
                    self.count("deploys_ok" if code == 0 else "deploys_failed")
                if killed or code != 0:
                    control(port, "")
                    code, out, err, _ = self.run_cli(cmd(d), env)
                    self.count("deploy_reruns")
                    self.check_failure(label + " rerun", code, err)
                    if code != 0:
                        self.violation("%s: the rerun without a fault failed: %s" % (label, err[-800:]))
                control(port, "")
                uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
                if uploads:
                    self.violation("%s: unfinished multipart uploads: %s" % (label, [u["Key"] for u in uploads]))
                    for u in uploads:
                        s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
                for key, known in files.items():
                    try:
                        head = s3.head_object(Bucket=bucket, Key=key)
                    except Exception:  # noqa: BLE001 - before the first successful deploy
                        continue
                    sha = head["Metadata"].get("sha256")
                    if known.get(sha) != head["ContentLength"]:
                        self.violation("%s: s3://%s/%s is %d bytes with sha256 %s: not a file that was deployed"
                                       % (label, bucket, key, head["ContentLength"], sha))
                    elif i % 10 == 0:
                        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
                        h = hashlib.sha256()
                        for chunk in iter(lambda: body.read(1 << 22), b""):
                            h.update(chunk)
                        if h.hexdigest() != sha:
                            self.violation("%s: s3://%s/%s's bytes do not match its sha256" % (label, bucket, key))
                if (i + 1) % 50 == 0:
                    print("deploys: %d done (%s)" % (i + 1, dict(self.stats)), flush=True)
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--builds", type=int, default=1000)
    parser.add_argument("--deploys", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json-out")
    parser.add_argument("--workers", type=int, default=4, help="builds run this many at a time (shared cache)")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    args.wheelhouse = str(Path(args.wheelhouse).resolve())
    print("soak: %d builds, %d deploys, seed %d" % (args.builds, args.deploys, args.seed), flush=True)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="wheelhouse-soak-") as tmp_name:
        soak = Soak(args, Path(tmp_name))
        if args.builds:
            soak.builds(args.builds)
        t_builds = time.time() - started
        if args.deploys:
            if not os.environ.get("WHEELHOUSE_S3_SERVER"):
                sys.exit("deploys need WHEELHOUSE_S3_SERVER (the server.json of a running RGW)")
            soak.deploys(args.deploys)
        took = time.time() - started
    summary = {"seed": args.seed, "seconds": round(took), "build_seconds": round(t_builds),
               "stats": dict(soak.stats), "exit_codes": {str(k): v for k, v in soak.exit_codes.items()},
               "violations": soak.violations}
    print(json.dumps(summary, indent=2), flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2) + "\n")
    print("%d rounds, %d violations" % (soak.stats["builds"] + soak.stats["deploys"], len(soak.violations)))
    return 1 if soak.violations else 0


if __name__ == "__main__":
    sys.exit(main())
