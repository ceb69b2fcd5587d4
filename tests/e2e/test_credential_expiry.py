"""A deploy that outlives its credentials renews them and finishes (container credentials and IMDSv2).

Against the real Ceph RGW of the s3_rgw fixture: tests/support/aws_metadata_server.py --rgw-state hands out real
RGW keys that live 60 seconds (a new one every 30 s) and removes each from RGW the moment it expires, so RGW itself
refuses a request signed with expired credentials. tests/support/fault_proxy.py in front of RGW reads the upload
parts at a slow uplink's rate (one per deploy, shared by its parallel parts), so that the multipart upload of plugins.zip takes about 80 seconds. Both deploys run
at once, one with AWS_CONTAINER_CREDENTIALS_FULL_URI, one with AWS_EC2_METADATA_SERVICE_ENDPOINT; each must exit
0 with the object whole on the server, no multipart upload left, and more than one key used.
Runs under /usr/bin/python3 (python3-botocore).
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import botocore.session
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, free_port, tally, wait_port  # noqa: E402

SUPPORT = Path(__file__).resolve().parents[2] / "tests" / "support"
LIFETIME = 60
SIZE = 32 * 1024 * 1024  # two parts of 16 MiB, about 40 s each
RATE = 400 * 1024  # bytes per second each part's connection is read at


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    args, _ = parser.parse_known_args()
    server_json = os.environ.get("WHEELHOUSE_S3_SERVER")
    if not server_json or not os.path.exists(server_json):
        sys.exit("WHEELHOUSE_S3_SERVER must name the server.json of a running RGW (ctest starts it)")
    server = json.load(open(server_json))
    if server["kind"] != "rgw":
        sys.exit("needs Ceph RGW (its keys are rotated with radosgw-admin), got " + server["kind"])
    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=server["endpoint"], region_name=server.get("region", "us-east-1"),
        aws_access_key_id=server["access_key"], aws_secret_access_key=server["secret_key"],
        config=Config(s3={"addressing_style": "path"}))

    with tempfile.TemporaryDirectory(prefix="wh-e2e-expiry-") as tmp_name:
        tmp = Path(tmp_name)
        metadata = subprocess.Popen([sys.executable, SUPPORT / "aws_metadata_server.py", "--state", tmp / "meta",
                                     "--rgw-state", os.path.dirname(server_json), "--lifetime", str(LIFETIME)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # One slow uplink per deploy (parts in parallel share it).
        upstream = server["endpoint"].split("//", 1)[1]
        proxies = {}
        for label in ("container", "imds"):
            port = free_port()
            proxies[label] = (port, subprocess.Popen(
                [sys.executable, SUPPORT / "fault_proxy.py", "--listen", "127.0.0.1:%d" % port, "--upstream", upstream,
                 "--fault", "upload-drip=%d,match=partNumber=" % RATE],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            deadline = time.time() + 30
            state_file = tmp / "meta" / "metadata.json"
            while time.time() < deadline and not state_file.exists():
                time.sleep(0.1)
            if not state_file.exists():
                _, err = metadata.communicate(timeout=5) if metadata.poll() is not None else (None, b"")
                raise RuntimeError("the metadata server did not start: %s" % (err or b"").decode()[-500:])
            meta = json.loads(state_file.read_text())
            for port, _ in proxies.values():
                if not wait_port(port):
                    raise RuntimeError("the fault proxy did not start")

            dist = tmp / "dist"
            dist.mkdir()
            digest = hashlib.sha256()
            with open(dist / "plugins.zip", "wb") as f:
                block = os.urandom(1 << 20)
                for i in range(SIZE >> 20):
                    chunk = block[:-4] + i.to_bytes(4, "big")
                    digest.update(chunk)
                    f.write(chunk)
            (dist / "requirements.txt").write_text("--no-index\nfoo==1.0\n")
            (dist / "constraints.txt").write_text("foo==1.0\n")
            report = {"bundle": {"sha256": digest.hexdigest(), "size": SIZE},
                      "requirements_sha256": hashlib.sha256(b"--no-index\nfoo==1.0\n").hexdigest(),
                      "constraints_sha256": hashlib.sha256(b"foo==1.0\n").hexdigest()}
            (dist / "build-report.json").write_text(json.dumps(report))

            base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            base.update(AWS_CONFIG_FILE="/nonexistent/wheelhouse-test/config",
                        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/wheelhouse-test/credentials", AWS_REGION="us-east-1")
            sources = {
                "container": dict(base, AWS_EC2_METADATA_DISABLED="true",
                                  AWS_CONTAINER_CREDENTIALS_FULL_URI=meta["endpoint"] + "/container/credentials",
                                  AWS_CONTAINER_AUTHORIZATION_TOKEN=meta["container_token"]),
                "imds": dict(base, AWS_EC2_METADATA_SERVICE_ENDPOINT=meta["endpoint"]),
            }
            runs = {}
            started = time.time()
            for label, env in sources.items():
                env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:%d" % proxies[label][0]
                bucket = "expiry-%s-%d-%04x" % (label, os.getpid(), random.randrange(1 << 16))
                s3.create_bucket(Bucket=bucket)
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
                p = subprocess.Popen([args.wheelhouse, "deploy", str(dist), "--bucket", bucket, "--force",
                                      "--kms-key-id", server["kms_key_id"], "--timeout", "120",
                                      "--json", "-v"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                runs[label] = (bucket, p)
            for label, (bucket, p) in runs.items():
                try:
                    out, err = p.communicate(timeout=400)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
                took = time.time() - started
                print("%s: exit %d after %.0f s" % (label, p.returncode, took), flush=True)
                check(p.returncode == 0, "%s: exit %d, stderr:\n%s" % (label, p.returncode, err[-3000:]))
                check(took > LIFETIME + 10, "%s: the upload took %.0f s, not longer than the credentials live"
                      % (label, took))
                if p.returncode == 0:
                    doc = json.loads(out)
                    head = s3.head_object(Bucket=bucket, Key="plugins.zip")
                    check(head["VersionId"] == doc["version_ids"]["plugins"], "%s: version id differs" % label)
                    check(head["ContentLength"] == SIZE, "%s: %d bytes on the server" % (label, head["ContentLength"]))
                    check(head["Metadata"].get("sha256") == digest.hexdigest(), "%s: sha256 metadata" % label)
                    got = hashlib.sha256()
                    body = s3.get_object(Bucket=bucket, Key="plugins.zip")["Body"]
                    for chunk in iter(lambda: body.read(1 << 22), b""):
                        got.update(chunk)
                    check(got.hexdigest() == digest.hexdigest(), "%s: the object's bytes differ" % label)
                uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
                check(not uploads, "%s: unfinished multipart uploads left: %s" % (label, uploads))
                for secret_word in ("SecretAccessKey", meta["container_token"]):
                    check(secret_word not in err, "%s: a secret was printed" % label)
            stats = json.loads(subprocess.run(["curl", "-s", meta["endpoint"] + "/_stats"], capture_output=True,
                                              text=True).stdout)
            print("metadata server: %s keys created, %s removed, %d served" %
                  (stats["created"], stats["removed"], len(stats["served"])), flush=True)
            check(len(stats["served"]) >= 2, "the deploys never renewed their credentials")
            check(stats["removed"] >= 1, "no key expired while the deploys ran")
        finally:
            for _, proxy in proxies.values():
                proxy.terminate()
                proxy.wait(timeout=10)
            metadata.terminate()
            metadata.wait(timeout=60)

    print(f"{tally.count} checks, {len(failures)} failed")
    return 1 if failures or tally.count < 10 else 0


if __name__ == "__main__":
    sys.exit(main())
