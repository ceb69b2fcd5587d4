"""`wheelhouse deploy` as a user runs it, against a real S3 server (scripts/s3-server: Ceph RGW or Swift s3api).

Run by CTest with the server fixture of tests/integration (WHEELHOUSE_S3_SERVER names its server.json). The
server's state is checked with botocore (Debian python3-botocore), an independent client: version ids, SSE
headers, object bytes, multipart leftovers. Needs /usr/bin/python3 (where Debian's botocore lives).
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import botocore.session
from botocore.config import Config
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import crc64nvme_header, free_port, wait_port  # noqa: E402

ARGS = None
SERVER = None
HERE = os.path.dirname(os.path.abspath(__file__))


def is_rgw():
    return SERVER["kind"] == "rgw"


_client = []


def s3():
    if _client:
        return _client[0]
    session = botocore.session.get_session()
    _client.append(session.create_client(
        "s3", endpoint_url=SERVER["endpoint"], region_name=SERVER.get("region", "us-east-1"),
        aws_access_key_id=SERVER["access_key"], aws_secret_access_key=SERVER["secret_key"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})))
    return _client[0]


def clean_env(**extra):
    """The process environment without any AWS setting of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("NO_COLOR", None)
    env["AWS_CONFIG_FILE"] = "/nonexistent/wheelhouse-test/config"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/wheelhouse-test/credentials"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


def server_env(**extra):
    env = {"AWS_ACCESS_KEY_ID": SERVER["access_key"], "AWS_SECRET_ACCESS_KEY": SERVER["secret_key"],
           "AWS_ENDPOINT_URL_S3": SERVER["endpoint"], "AWS_REGION": SERVER.get("region", "us-east-1")}
    env.update(extra)
    return clean_env(**env)


def run(*args, env=None, timeout=600):
    p = subprocess.run([ARGS.wheelhouse, "deploy", *args], capture_output=True, text=True,
                       env=server_env() if env is None else env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def encryption_flags():
    # Swift s3api answers 501 to SSE-KMS: there the deploy has to opt out explicitly.
    return ["--kms-key-id", SERVER["kms_key_id"]] if is_rgw() else ["--no-encryption"]


_counter = [0]


def unique_bucket(stem):
    _counter[0] += 1
    return "%s-%d-%d-%04x" % (stem, os.getpid(), _counter[0], random.randrange(1 << 16))


def make_bucket(stem, versioning=True, block=None):
    c = s3()
    name = unique_bucket(stem)
    c.create_bucket(Bucket=name)
    if versioning:
        c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if block is not None and is_rgw():  # Swift s3api has no public access block
        c.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    return name


# RGW 16.2: BlockPublicAcls=true makes even the owner's PutObject fail (see scripts/s3-server), so the buckets
# the tests write to carry the other three, and the preflight must then insist on --force.
THREE_BLOCKED = {"BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                 "RestrictPublicBuckets": True}
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_report(dist):
    """build-report.json with the digests of the files as they are now (what `wheelhouse build` records)."""
    report = {"report_version": 1,
              "bundle": {"file": "plugins.zip", "sha256": file_sha256(os.path.join(dist, "plugins.zip")),
                         "size": os.path.getsize(os.path.join(dist, "plugins.zip"))},
              "requirements_sha256": file_sha256(os.path.join(dist, "requirements.txt")),
              "constraints_sha256": file_sha256(os.path.join(dist, "constraints.txt"))}
    write(os.path.join(dist, "build-report.json"), json.dumps(report, indent=2) + "\n")


def write_dist_file(dist, name, data):
    """A new build's file: written with the report that describes it."""
    write(os.path.join(dist, name), data)
    write_report(dist)


def make_dist(root, plugins=b"PK\x05\x06" + b"\0" * 18, requirements="--no-index\nfoo==1.0\n"):
    dist = os.path.join(root, "dist")
    write(os.path.join(dist, "plugins.zip"), plugins)
    write(os.path.join(dist, "requirements.txt"), requirements)
    write(os.path.join(dist, "constraints.txt"), "foo==1.0\n")
    write_report(dist)
    return dist


def all_keys(bucket):
    out = s3().list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in out.get("Contents", []))


def version_count(bucket):
    out = s3().list_object_versions(Bucket=bucket)
    return len(out.get("Versions", [])) + len(out.get("DeleteMarkers", []))


def sha256(data):
    return hashlib.sha256(data).hexdigest()



class Proxy:
    """tests/support/fault_proxy.py in front of the server, for one test: faults, and a log of checksum headers."""

    def __init__(self, tmp, fault=""):
        self.port = free_port()
        self.log = os.path.join(tmp, "proxy-requests.jsonl")
        upstream = SERVER["endpoint"].split("//", 1)[1]
        self.process = subprocess.Popen([sys.executable, os.path.join(ARGS.support, "fault_proxy.py"), "--listen",
                                         "127.0.0.1:%d" % self.port, "--upstream", upstream, "--fault", fault,
                                         "--log-requests", self.log],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            self.close()
            raise RuntimeError("fault proxy did not start")

    def env(self, **extra):
        return server_env(AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % self.port, **extra)

    def set_fault(self, spec):
        import urllib.request
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/_control/fault" % self.port,
                                                      data=spec.encode(), method="PUT"), timeout=10).read()

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Deploy(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wh-deploy-e2e-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deploy_json(self, *args, env=None):
        code, out, err = run(*args, "--json", env=env)
        self.assertEqual(code, 0, "stdout:\n%s\nstderr:\n%s" % (out, err))
        return json.loads(out), err

    def assert_no_secret(self, *texts):
        for secret in (SERVER["secret_key"],):
            for t in texts:
                self.assertNotIn(secret, t)

    def test_round_trip_uploads_only_the_artifacts_with_sse_and_the_printed_version_ids_are_the_servers(self):
        bucket = make_bucket("roundtrip", block=THREE_BLOCKED)
        plugins = os.urandom(200_000)
        requirements = "--find-links /usr/local/airflow/plugins\n--no-index\nfoo==1.0\n"
        dist = make_dist(self.tmp, plugins, requirements)
        if is_rgw():
            # Public access only partly blocked: the preflight refuses without --force, and writes nothing.
            code, out, err = run(dist, "--bucket", bucket, *encryption_flags())
            self.assertEqual(code, 5, err)
            self.assertIn("BlockPublicAcls", err)
            self.assertIn("--force", err)
            self.assertEqual(all_keys(bucket), [])
        doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(),
                                    "--environment-name", "my-env")
        self.assertEqual(doc["bucket"], bucket)
        self.assertEqual(sorted(doc["uploaded"]), ["plugins.zip", "requirements.txt"])
        self.assertEqual(doc["skipped"], [])
        self.assertEqual(doc["deleted"], [])
        # constraints.txt travels inside plugins.zip; build-report.json is local.
        self.assertEqual(all_keys(bucket), ["plugins.zip", "requirements.txt"])
        c = s3()
        for key, body, name in (("plugins.zip", plugins, "plugins"), ("requirements.txt", requirements.encode(),
                                                                      "requirements")):
            head = c.head_object(Bucket=bucket, Key=key)
            self.assertEqual(doc["version_ids"][name], head["VersionId"], key)
            self.assertEqual(head["Metadata"].get("sha256"), sha256(body), key)
            got = c.get_object(Bucket=bucket, Key=key, VersionId=doc["version_ids"][name])["Body"].read()
            self.assertEqual(got, body, key)
            if is_rgw():
                self.assertEqual(head.get("ServerSideEncryption"), "aws:kms", key)
                self.assertEqual(head.get("SSEKMSKeyId"), SERVER["kms_key_id"], key)
                self.assertEqual(doc["objects"][name]["sse"], "aws:kms")
        argv = doc["update_environment"]
        self.assertEqual(argv[:5], ["aws", "mwaa", "update-environment", "--name", "my-env"])
        self.assertEqual(argv[argv.index("--plugins-s3-object-version") + 1], doc["version_ids"]["plugins"])
        self.assertEqual(argv[argv.index("--requirements-s3-object-version") + 1], doc["version_ids"]["requirements"])
        self.assertEqual(argv[argv.index("--plugins-s3-path") + 1], "plugins.zip")
        self.assert_no_secret(json.dumps(doc), err)

        # The human output prints the same ids and the command.
        code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), "--environment-name", "my-env")
        self.assertEqual(code, 0, err)
        self.assertIn("--plugins-s3-object-version %s" % doc["version_ids"]["plugins"], out)
        self.assertIn("--requirements-s3-object-version %s" % doc["version_ids"]["requirements"], out)
        self.assert_no_secret(out, err)

    def test_second_deploy_uploads_nothing_and_keeps_the_version_ids_then_a_change_uploads_only_that_file(self):
        bucket = make_bucket("skip", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(50_000))
        first, _ = self.deploy_json(dist, "--bucket", bucket, "--prefix", "env1", "--force", *encryption_flags())
        self.assertEqual(sorted(first["uploaded"]), ["env1/plugins.zip", "env1/requirements.txt"])
        versions = version_count(bucket)
        second, _ = self.deploy_json(dist, "--bucket", bucket, "--prefix", "env1/", "--force", *encryption_flags())
        self.assertEqual(second["uploaded"], [])
        self.assertEqual(sorted(second["skipped"]), ["env1/plugins.zip", "env1/requirements.txt"])
        self.assertEqual(second["version_ids"], first["version_ids"])
        self.assertEqual(version_count(bucket), versions)
        argv = second["update_environment"]
        self.assertEqual(argv[argv.index("--plugins-s3-path") + 1], "env1/plugins.zip")

        write_dist_file(dist, "requirements.txt", "--no-index\nfoo==2.0\n")
        third, _ = self.deploy_json(dist, "--bucket", bucket, "--prefix", "env1", "--force", *encryption_flags())
        self.assertEqual(third["uploaded"], ["env1/requirements.txt"])
        self.assertEqual(third["skipped"], ["env1/plugins.zip"])
        self.assertEqual(third["version_ids"]["plugins"], first["version_ids"]["plugins"])
        self.assertNotEqual(third["version_ids"]["requirements"], first["version_ids"]["requirements"])
        head = s3().head_object(Bucket=bucket, Key="env1/requirements.txt")
        self.assertEqual(head["VersionId"], third["version_ids"]["requirements"])

    def test_dags_sync_uploads_new_and_changed_and_delete_removes_what_is_gone(self):
        bucket = make_bucket("dags", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        dags = os.path.join(self.tmp, "dags")
        write(os.path.join(dags, "a.py"), "a = 1\n")
        write(os.path.join(dags, "sub", "b.py"), "b = 1\n")
        write(os.path.join(dags, "sub", "c d+é.py"), "odd name\n")
        write(os.path.join(dags, "__pycache__", "a.cpython-311.pyc"), b"\0\0")
        common = ["--bucket", bucket, "--force", *encryption_flags(), "--dags", dags]
        first, _ = self.deploy_json(dist, *common)
        self.assertEqual(sorted(first["uploaded"]),
                         ["dags/a.py", "dags/sub/b.py", "dags/sub/c d+é.py", "plugins.zip", "requirements.txt"])
        argv = first["update_environment"]
        self.assertEqual(argv[argv.index("--dag-s3-path") + 1], "dags")

        write(os.path.join(dags, "a.py"), "a = 2\n")  # same size, other content
        os.remove(os.path.join(dags, "sub", "b.py"))
        write(os.path.join(dags, "new.py"), "new\n")
        # Without --delete the object of a removed file stays.
        kept, _ = self.deploy_json(dist, *common)
        self.assertEqual(sorted(kept["uploaded"]), ["dags/a.py", "dags/new.py"])
        self.assertEqual(kept["deleted"], [])
        self.assertIn("dags/sub/b.py", all_keys(bucket))
        self.assertEqual(s3().get_object(Bucket=bucket, Key="dags/a.py")["Body"].read(), b"a = 2\n")

        synced, _ = self.deploy_json(dist, *common, "--delete")
        self.assertEqual(synced["uploaded"], [])
        self.assertEqual(synced["deleted"], ["dags/sub/b.py"])
        self.assertEqual(all_keys(bucket), ["dags/a.py", "dags/new.py", "dags/sub/c d+é.py", "plugins.zip",
                                            "requirements.txt"])

    def test_dags_sync_keeps_dotfiles_and_links_out_of_the_folder_local_and_never_deletes_for_a_broken_link(self):
        bucket = make_bucket("dagpolicy", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        dags = os.path.join(self.tmp, "dags")
        secret_dir = os.path.join(self.tmp, "home", ".aws")
        write(os.path.join(secret_dir, "credentials"), "[default]\naws_secret_access_key = do-not-upload\n")
        write(os.path.join(dags, "a.py"), "a = 1\n")
        write(os.path.join(dags, ".airflowignore"), "scratch/\n")
        write(os.path.join(dags, ".env"), "TOKEN=ci-token\n")
        write(os.path.join(dags, ".git", "config"), "[remote \"origin\"]\nurl = https://ci:token@git.test/x\n")
        write(os.path.join(dags, "sub", "b.py"), "b = 1\n")
        write(os.path.join(dags, "sub", "__pycache__", "b.cpython-311.pyc"), b"\0")
        write(os.path.join(dags, "c.pyc"), b"\0")
        os.symlink(secret_dir, os.path.join(dags, ".aws"))  # hidden: left out before it is followed
        os.symlink("a.py", os.path.join(dags, "alias.py"))  # a link inside the folder is read through
        common = ["--bucket", bucket, "--force", *encryption_flags(), "--dags", dags]
        first, _ = self.deploy_json(dist, *common)
        self.assertEqual(all_keys(bucket), ["dags/.airflowignore", "dags/a.py", "dags/alias.py", "dags/sub/b.py",
                                            "plugins.zip", "requirements.txt"])
        self.assertEqual(first["ignored"], [".aws", ".env", ".git/", "c.pyc", "sub/__pycache__/"])
        self.assertEqual(s3().get_object(Bucket=bucket, Key="dags/alias.py")["Body"].read(), b"a = 1\n")

        # A link to a file outside the folder (here ~/.aws/credentials) is refused before anything is written.
        versions = version_count(bucket)
        os.symlink(os.path.join(secret_dir, "credentials"), os.path.join(dags, "creds.py"))
        code, out, err = run(dist, *common, "--delete")
        self.assertEqual(code, 1, out + err)
        self.assertIn("outside", err)
        self.assertIn("creds.py", err)
        self.assertEqual(version_count(bucket), versions)
        os.remove(os.path.join(dags, "creds.py"))

        # A file that became a broken link (an unmounted share) is an error, never a deletion; so is a loop.
        os.remove(os.path.join(dags, "sub", "b.py"))
        os.symlink("/nonexistent/wheelhouse-test/b.py", os.path.join(dags, "sub", "b.py"))
        code, out, err = run(dist, *common, "--delete")
        self.assertEqual(code, 1, out + err)
        self.assertIn("points nowhere", err)
        self.assertIn("dags/sub/b.py", all_keys(bucket))
        self.assertEqual(version_count(bucket), versions)
        os.remove(os.path.join(dags, "sub", "b.py"))
        write(os.path.join(dags, "sub", "b.py"), "b = 1\n")
        os.symlink("loop2.py", os.path.join(dags, "loop1.py"))
        os.symlink("loop1.py", os.path.join(dags, "loop2.py"))
        code, out, err = run(dist, *common, "--delete")
        self.assertEqual(code, 1, out + err)
        self.assertIn("loop", err)
        self.assertEqual(version_count(bucket), versions)
        os.remove(os.path.join(dags, "loop1.py"))
        os.remove(os.path.join(dags, "loop2.py"))

        # --include-hidden is the opt-in for dotfiles and byte code (links still obey the folder rule).
        os.remove(os.path.join(dags, ".aws"))
        doc, _ = self.deploy_json(dist, *common, "--include-hidden")
        self.assertEqual(sorted(doc["uploaded"]), ["dags/.env", "dags/.git/config", "dags/c.pyc",
                                                   "dags/sub/__pycache__/b.cpython-311.pyc"])
        self.assertEqual(doc["ignored"], [])

    def test_a_dist_folder_mixed_by_an_interrupted_build_is_refused_before_any_request_writes(self):
        bucket = make_bucket("mixed", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(10_000), "--no-index\nfoo==1.0\n")
        first, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags())
        versions = version_count(bucket)
        # A build killed between its renames: the new report and requirements.txt are in, plugins.zip is the old.
        new_zip = os.urandom(10_000)
        write(os.path.join(dist, "plugins.zip"), new_zip)
        write_dist_file(dist, "requirements.txt", "--no-index\nfoo==2.0\n")
        write(os.path.join(dist, "plugins.zip"), b"old zip of the build before")
        for json_flag in ([], ["--json"]):
            code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), *json_flag)
            self.assertEqual(code, 4, out + err)
            self.assertIn("plugins.zip", err)
            self.assertIn("build-report.json", err)
            self.assertEqual(len([l for l in err.splitlines() if l.startswith("error")]), 1, err)
        self.assertEqual(version_count(bucket), versions)
        head = s3().head_object(Bucket=bucket, Key="requirements.txt")
        self.assertEqual(head["VersionId"], first["version_ids"]["requirements"])
        # A missing constraints.txt that the report lists is refused too; a folder without any report is
        # deployed with a warning (it was not made by `wheelhouse build`).
        write(os.path.join(dist, "plugins.zip"), new_zip)
        os.remove(os.path.join(dist, "constraints.txt"))
        code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags())
        self.assertEqual(code, 4, out + err)
        self.assertIn("constraints.txt", err)
        os.remove(os.path.join(dist, "build-report.json"))
        doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags())
        self.assertEqual(sorted(doc["uploaded"]), ["plugins.zip", "requirements.txt"])
        self.assertEqual({c["name"]: c["status"] for c in doc["checks"]}["dist"], "warning")
        self.assertIn("no build-report.json", err)

    def test_dry_run_shows_the_plan_and_writes_nothing(self):
        bucket = make_bucket("dryrun", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        dags = os.path.join(self.tmp, "dags")
        write(os.path.join(dags, "a.py"), "a\n")
        doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--dags", dags,
                                  "--dry-run")
        self.assertTrue(doc["dry_run"])
        self.assertEqual(doc["uploaded"], [])
        self.assertEqual(sorted(e["key"] for e in doc["plan"]["upload"]),
                         ["dags/a.py", "plugins.zip", "requirements.txt"])
        self.assertEqual(version_count(bucket), 0)
        self.assertEqual(s3().list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])

        # After a real deploy, a dry run with a change and a deletion pending still writes nothing.
        self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--dags", dags)
        before = version_count(bucket)
        os.remove(os.path.join(dags, "a.py"))
        write_dist_file(dist, "requirements.txt", "changed\n")
        code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), "--dags", dags, "--delete",
                             "--dry-run")
        self.assertEqual(code, 0, err)
        self.assertIn("dry run", out)
        self.assertIn("upload  requirements.txt", err)
        self.assertIn("delete  dags/a.py", err)
        self.assertEqual(version_count(bucket), before)
        self.assertIn("dags/a.py", all_keys(bucket))

    def test_wrong_secret_exits_5_with_the_servers_error_and_never_prints_a_secret(self):
        bucket = make_bucket("secret", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        wrong = "WRONGsecret" + SERVER["secret_key"][::-1]
        for token in (None, "FwoGZXIvYXdzEXAMPLESESSIONTOKENwheelhouse0123456789"):
            extra = {"AWS_SECRET_ACCESS_KEY": wrong}
            if token:
                extra["AWS_SESSION_TOKEN"] = token
            env = server_env(**extra)
            for json_flag in ([], ["--json"]):
                code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), "-v", *json_flag,
                                     env=env)
                self.assertEqual(code, 5, out + err)
                # The server's error code and its request id are shown.
                self.assertRegex(err, r"SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|InvalidToken")
                self.assertRegex(err, r"request id \S+")
                for secret in (wrong, SERVER["secret_key"], token):
                    if secret:
                        self.assertNotIn(secret, out)
                        self.assertNotIn(secret, err)
                if json_flag:
                    self.assertEqual(json.loads(out)["error"]["exit_code"], 5)
        self.assertEqual(all_keys(bucket), [])

    def test_versioning_disabled_fails_the_preflight_even_with_force(self):
        dist = make_dist(self.tmp)
        never = make_bucket("unversioned", versioning=False, block=THREE_BLOCKED)
        suspended = make_bucket("suspended", block=THREE_BLOCKED)
        s3().put_bucket_versioning(Bucket=suspended, VersioningConfiguration={"Status": "Suspended"})
        for bucket, word in ((never, "not enabled"), (suspended, "Suspended")):
            code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags())
            self.assertEqual(code, 5, err)
            self.assertIn("versioning is %s" % word, err)
            self.assertIn("MWAA needs object version ids", err)
            self.assertEqual(all_keys(bucket), [])

    def test_missing_bucket_is_an_aws_error_with_the_server_code(self):
        dist = make_dist(self.tmp)
        code, _, err = run(dist, "--bucket", unique_bucket("absent"), "--force", *encryption_flags())
        self.assertEqual(code, 5, err)
        self.assertIn("NoSuchBucket", err)

    def test_missing_dist_file_is_an_input_error(self):
        os.makedirs(os.path.join(self.tmp, "empty"))
        code, _, err = run(os.path.join(self.tmp, "empty"), "--bucket", "whatever", *encryption_flags())
        self.assertEqual(code, 1, err)
        self.assertIn("plugins.zip", err)

    def test_public_access_fully_blocked_passes_the_check_in_a_dry_run(self):
        # Swift s3api has no public access block: there the check must say so (a warning), not pass or fail.
        bucket = make_bucket("blocked", block=ALL_BLOCKED)
        dist = make_dist(self.tmp)
        doc, _ = self.deploy_json(dist, "--bucket", bucket, *encryption_flags(), "--dry-run")
        checks = {c["name"]: c["status"] for c in doc["checks"]}
        self.assertEqual(checks["public_access_block"], "passed" if is_rgw() else "warning")
        if not is_rgw():
            return
        self.assertEqual(checks["versioning"], "passed")
        # RGW answers GetBucketEncryption with a listing: reported, never mistaken for "configured".
        self.assertEqual(checks["encryption"], "warning")

    def test_six_hundred_megabyte_plugins_zip_goes_multipart_and_leaves_no_upload_behind(self):
        bucket = make_bucket("multipart", block=THREE_BLOCKED)
        size = 600 * 1024 * 1024
        dist = make_dist(self.tmp)
        # Written and hashed in chunks: the test itself stays small in memory.
        digest = hashlib.sha256()
        with open(os.path.join(dist, "plugins.zip"), "wb") as f:
            block = os.urandom(8 * 1024 * 1024)
            for i in range(size // len(block)):
                chunk = block[:-8] + i.to_bytes(8, "big")  # every chunk differs
                digest.update(chunk)
                f.write(chunk)
        expected = digest.hexdigest()
        write_report(dist)
        doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags())
        self.assertGreater(doc["objects"]["plugins"]["parts"], 1)
        c = s3()
        head = c.head_object(Bucket=bucket, Key="plugins.zip")
        self.assertEqual(head["ContentLength"], size)
        self.assertEqual(head["VersionId"], doc["version_ids"]["plugins"])
        self.assertEqual(head["Metadata"].get("sha256"), expected)
        if is_rgw():
            self.assertEqual(head.get("ServerSideEncryption"), "aws:kms")
        body = c.get_object(Bucket=bucket, Key="plugins.zip")["Body"]
        got = hashlib.sha256()
        for chunk in iter(lambda: body.read(8 * 1024 * 1024), b""):
            got.update(chunk)
        self.assertEqual(got.hexdigest(), expected)
        self.assertEqual(c.list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])

    def test_interrupt_during_a_multipart_upload_aborts_it_and_exits_130(self):
        bucket = make_bucket("interrupt", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(80 * 1024 * 1024))
        # A private fault proxy slows every request down so that the signal lands between part waves.
        port = free_port()
        upstream = SERVER["endpoint"].split("//", 1)[1]
        proxy = subprocess.Popen([sys.executable, os.path.join(ARGS.support, "fault_proxy.py"), "--listen",
                                  "127.0.0.1:%d" % port, "--upstream", upstream, "--fault", "latency=700"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_port(port):
                raise RuntimeError("fault proxy did not start")
            env = server_env(AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % port)
            p = subprocess.Popen([ARGS.wheelhouse, "deploy", dist, "--bucket", bucket, "--force",
                                  *encryption_flags(), "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            # Wait until the multipart upload exists on the server, then interrupt.
            c = s3()
            deadline = time.time() + 60
            while time.time() < deadline and not c.list_multipart_uploads(Bucket=bucket).get("Uploads"):
                time.sleep(0.1)
            self.assertTrue(c.list_multipart_uploads(Bucket=bucket).get("Uploads"), "no multipart upload started")
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 130, out + err)
            self.assertIn("interrupted", err)
            self.assertEqual(c.list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])
            self.assertNotIn("plugins.zip", all_keys(bucket))
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)

    def test_every_upload_carries_a_crc64nvme_full_object_checksum_and_a_signed_payload(self):
        bucket = make_bucket("checksum", block=THREE_BLOCKED)
        part = 16 * 1024 * 1024
        plugins = os.urandom(part + 1000)  # two parts: 16 MiB and 1000 bytes
        requirements = "--no-index\nfoo==1.0\n"
        dist = make_dist(self.tmp, plugins, requirements)
        proxy = Proxy(self.tmp)
        try:
            doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), env=proxy.env())
            requests = proxy.requests()
        finally:
            proxy.close()
        self.assertEqual(doc["objects"]["plugins"]["parts"], 2)
        self.assertEqual(doc["objects"]["plugins"]["crc64nvme"], crc64nvme_header(plugins))
        # RGW 16 and Swift 2.30 keep no checksum: nothing the server showed confirmed it.
        self.assertFalse(doc["objects"]["plugins"]["checksum_confirmed"])

        def one(method, match):
            found = [r for r in requests if r["method"] == method and match(r["target"])]
            self.assertEqual(len(found), 1, "%s %s: %s" % (method, match, found))
            return found[0]["headers"]

        put = one("PUT", lambda t: t.endswith("/requirements.txt"))
        self.assertEqual(put.get("x-amz-checksum-crc64nvme"), crc64nvme_header(requirements.encode()))
        self.assertEqual(put.get("x-amz-content-sha256"), sha256(requirements.encode()),
                         "plain http to a server that does not check flexible checksums: the payload is signed")
        create = one("POST", lambda t: "uploads" in t and "uploadId" not in t)
        self.assertEqual(create.get("x-amz-checksum-algorithm"), "CRC64NVME")
        self.assertEqual(create.get("x-amz-checksum-type"), "FULL_OBJECT")
        for number, data in ((1, plugins[:part]), (2, plugins[part:])):
            h = one("PUT", lambda t, n=number: "partNumber=%d&" % n in t or t.endswith("partNumber=%d" % n))
            self.assertEqual(h.get("x-amz-checksum-crc64nvme"), crc64nvme_header(data), "part %d" % number)
            self.assertEqual(h.get("x-amz-content-sha256"), sha256(data), "part %d" % number)
        complete = one("POST", lambda t: "uploadId" in t)
        self.assertEqual(complete.get("x-amz-checksum-crc64nvme"), crc64nvme_header(plugins))
        self.assertEqual(complete.get("x-amz-checksum-type"), "FULL_OBJECT")
        # The version ids are reported after a HEAD with checksum mode on: of exactly the version written where
        # the upload's answer named it (Swift's CompleteMultipartUpload names none: the latest, then).
        for key in ("plugins.zip", "requirements.txt"):
            last = [r for r in requests if r["target"].split("?")[0].endswith("/" + key)][-1]
            self.assertEqual(last["method"], "HEAD", key)
            self.assertEqual(last["headers"].get("x-amz-checksum-mode"), "ENABLED", key)
            if is_rgw() or key == "requirements.txt":
                self.assertIn("versionId=%s" % doc["objects"][key.split(".")[0]]["version_id"], last["target"])

    def test_an_object_the_server_reports_differently_after_the_upload_is_refused_and_its_version_removed(self):
        bucket = make_bucket("verify", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(30_000))
        first, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags())
        write_dist_file(dist, "requirements.txt", "--no-index\nfoo==2.0\n")
        # After the upload the server reports a checksum of other bytes (as S3 would for an object that is not
        # what was sent): the deploy fails with exit 4 and the previous version stays current.
        proxy = Proxy(self.tmp, "method=HEAD,match=requirements.txt,add-header=x-amz-checksum-crc64nvme:AAAAAAAAAAA=")
        try:
            code, out, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), env=proxy.env())
        finally:
            proxy.close()
        self.assertEqual(code, 4, out + err)
        self.assertIn("requirements.txt", err)
        self.assertIn("CRC64NVME", err)
        head = s3().head_object(Bucket=bucket, Key="requirements.txt")
        self.assertEqual(head["VersionId"], first["version_ids"]["requirements"])

    def test_unchanged_needs_the_servers_own_checksum_to_agree_where_the_server_keeps_one(self):
        bucket = make_bucket("skipcrc", block=THREE_BLOCKED)
        plugins = os.urandom(40_000)
        dist = make_dist(self.tmp, plugins)
        first, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags())
        # A server that keeps checksums (AWS) reports one with every HEAD: the same CRC keeps the object...
        proxy = Proxy(self.tmp, "method=HEAD,match=plugins.zip,add-header=x-amz-checksum-crc64nvme:%s"
                      % crc64nvme_header(plugins))
        try:
            same, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), env=proxy.env())
            self.assertEqual(same["uploaded"], [])
            self.assertTrue(same["objects"]["plugins"]["checksum_confirmed"])
            # ... another CRC means other bytes, whatever x-amz-meta-sha256 claims: planned for upload again.
            proxy.set_fault("method=HEAD,match=plugins.zip,add-header=x-amz-checksum-crc64nvme:AAAAAAAAAAA=")
            again, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--dry-run",
                                          env=proxy.env())
        finally:
            proxy.close()
        self.assertEqual([(e["key"], e["reason"]) for e in again["plan"]["upload"]],
                         [("plugins.zip", "S3's checksum of the object differs")])
        self.assertEqual(same["version_ids"], first["version_ids"])

    def test_preflight_warns_without_a_lifecycle_rule_that_aborts_incomplete_uploads(self):
        bucket = make_bucket("lifecycle", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--prefix", "env1",
                                    "--dry-run")
        checks = {c["name"]: c for c in doc["checks"]}
        self.assertEqual(checks["lifecycle"]["status"], "warning")
        if not is_rgw():
            # Swift s3api answers ?lifecycle with a bucket listing.
            self.assertIn("does not report lifecycle rules", checks["lifecycle"]["message"])
            return
        self.assertIn("AbortIncompleteMultipartUpload", checks["lifecycle"]["message"])
        self.assertIn("preflight lifecycle", err)
        s3().put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "other-prefix", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
        doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--prefix", "env1",
                                  "--dry-run")
        self.assertEqual({c["name"]: c["status"] for c in doc["checks"]}["lifecycle"], "warning")
        s3().put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "abort-incomplete", "Status": "Enabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
        doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--prefix", "env1",
                                  "--dry-run")
        checks = {c["name"]: c for c in doc["checks"]}
        self.assertEqual(checks["lifecycle"]["status"], "passed", checks["lifecycle"])
        self.assertIn("abort-incomplete", checks["lifecycle"]["message"])

    def test_a_second_ctrl_c_still_aborts_the_multipart_upload_before_exit(self):
        bucket = make_bucket("twice", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(40 * 1024 * 1024))
        # Every answer is held 1.5 s, the abort's too, so that the second SIGINT lands while the abort is under way.
        proxy = Proxy(self.tmp, "latency=1500")
        try:
            p = subprocess.Popen([ARGS.wheelhouse, "deploy", dist, "--bucket", bucket, "--force",
                                  *encryption_flags(), "--jobs", "1"], env=proxy.env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            c = s3()
            deadline = time.time() + 60
            while time.time() < deadline and not c.list_multipart_uploads(Bucket=bucket).get("Uploads"):
                time.sleep(0.1)
            self.assertTrue(c.list_multipart_uploads(Bucket=bucket).get("Uploads"), "no multipart upload started")
            p.send_signal(signal.SIGINT)
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=120)
            aborts = [r for r in proxy.requests() if r["method"] == "DELETE" and "uploadId=" in r["target"]]
        finally:
            proxy.close()
        self.assertEqual(p.returncode, 130, out + err)
        self.assertIn("interrupted", err)
        self.assertEqual(len(aborts), 1, "the abort was sent once")
        self.assertEqual(c.list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])
        self.assertNotIn("plugins.zip", all_keys(bucket))

    def test_a_lost_create_answer_leaves_no_unfinished_multipart_upload(self):
        bucket = make_bucket("lostcreate", block=THREE_BLOCKED)
        dist = make_dist(self.tmp, os.urandom(17 * 1024 * 1024))
        # The server creates the upload, its answer is cut short, the engine asks again: the first upload is one
        # the client never heard of (found by the chaos soak).
        proxy = Proxy(self.tmp, "truncate,method=POST,match=uploads=,times=1")
        try:
            doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), env=proxy.env())
        finally:
            proxy.close()
        self.assertEqual(doc["objects"]["plugins"]["parts"], 2)
        self.assertEqual(s3().list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])
        self.assertIn("unfinished_uploads", [c["name"] for c in doc["checks"]])

    def test_credentials_from_a_profile_in_the_shared_files(self):
        bucket = make_bucket("profile", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        config = os.path.join(self.tmp, "aws", "config")
        credentials = os.path.join(self.tmp, "aws", "credentials")
        write(config, "[default]\nregion = eu-west-3\n\n[profile deployer]\nregion = %s\nendpoint_url = %s\n"
              % (SERVER.get("region", "us-east-1"), SERVER["endpoint"]))
        write(credentials, "[default]\naws_access_key_id = AKIADEFAULTWRONG\naws_secret_access_key = nope\n\n"
              "[deployer]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
              % (SERVER["access_key"], SERVER["secret_key"]))
        files = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
        # --profile, with the endpoint from the profile itself.
        doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--profile",
                                    "deployer", "-v", env=clean_env(**files))
        self.assertEqual(sorted(doc["uploaded"]), ["plugins.zip", "requirements.txt"])
        self.assertIn("credentials from", err)
        self.assert_no_secret(json.dumps(doc), err)
        # AWS_PROFILE and --endpoint-url.
        doc, _ = self.deploy_json(dist, "--bucket", bucket, "--force", *encryption_flags(), "--endpoint-url",
                                  SERVER["endpoint"], env=clean_env(AWS_PROFILE="deployer", **files))
        self.assertEqual(doc["uploaded"], [])
        # The default profile's wrong key is an S3 error; a profile that does not exist is refused.
        code, _, err = run(dist, "--bucket", bucket, "--force", *encryption_flags(), "--endpoint-url",
                           SERVER["endpoint"], "--region", "us-east-1", env=clean_env(**files))
        self.assertEqual(code, 5, err)
        self.assertRegex(err, r"InvalidAccessKeyId|SignatureDoesNotMatch")
        self.assertIn("AKIADEFAULTWRONG", err)  # the key id names the key; it is not a secret
        self.assertNotIn(SERVER["secret_key"], err)
        code, _, err = run(dist, "--bucket", bucket, "--profile", "nosuch", env=clean_env(**files))
        self.assertNotEqual(code, 0)
        self.assertIn("nosuch", err)

    def test_no_encryption_must_be_explicit_and_uploads_without_sse(self):
        bucket = make_bucket("plain", block=THREE_BLOCKED)
        dist = make_dist(self.tmp)
        doc, err = self.deploy_json(dist, "--bucket", bucket, "--force", "--no-encryption")
        self.assertIn("--no-encryption", err)
        head = s3().head_object(Bucket=bucket, Key="plugins.zip")
        self.assertIsNone(head.get("ServerSideEncryption"))
        if is_rgw():
            # Without --kms-key-id and without --no-encryption the upload asks for SSE-KMS with the bucket's
            # default key; RGW's testing backend has no default key, so it must fail, never fall back to plain.
            write_dist_file(dist, "requirements.txt", "changed\n")
            code, out, err = run(dist, "--bucket", bucket, "--force")
            self.assertEqual(code, 5, out + err)
            head = s3().head_object(Bucket=bucket, Key="requirements.txt")
            self.assertEqual(head["VersionId"], doc["version_ids"]["requirements"])


def main():
    global ARGS, SERVER
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--support", default=os.path.join(HERE, "..", "support"))
    ARGS, rest = parser.parse_known_args()
    path = os.environ.get("WHEELHOUSE_S3_SERVER")
    if not path or not os.path.exists(path):
        sys.exit("WHEELHOUSE_S3_SERVER must name the server.json written by scripts/s3-server (ctest starts it)")
    with open(path) as f:
        SERVER = json.load(f)
    print("deploy e2e against %s at %s" % (SERVER["kind"], SERVER["endpoint"]), flush=True)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
