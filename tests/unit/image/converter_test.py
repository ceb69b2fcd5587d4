"""scripts/mwaa-image-data on the trimmed image files in fixtures/corpora/mwaa-images (no ../shared needed)."""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
VERSION = "2.10.3"


def run_converter(source, out, *extra):
    return subprocess.run([sys.executable, ARGS.script, "--source", source, "--out", out, *extra],
                          capture_output=True, text=True, timeout=60)


def fixture():
    return os.path.join(ARGS.fixtures, "corpora", "mwaa-images")


def image_file(*parts):
    return os.path.join(fixture(), "images", "airflow", VERSION, *parts)


class Converter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "data")
        cls.result = run_converter(fixture(), cls.out)
        assert cls.result.returncode == 0, cls.result.stderr
        with open(os.path.join(cls.out, f"mwaa-{VERSION}.json"), encoding="utf-8") as f:
            cls.data = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_writes_one_file_per_version_and_the_attribution(self):
        self.assertEqual(sorted(os.listdir(self.out)), sorted([
            "LICENSE.amazon-mwaa-docker-images", "LICENSE.aws-mwaa-local-runner", "NOTICE.amazon-mwaa-docker-images",
            "README.md", "mwaa-2.10.3.json", "mwaa-2.4.3.json", "mwaa-2.5.1.json", "mwaa-2.6.3.json",
            "mwaa-2.7.2.json", "mwaa-2.8.1.json"]))
        with open(os.path.join(self.out, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn("9d2bebb5c7858e27a1c6afb20b7827840217e3a0", readme)
        self.assertIn("Apache License 2.0", readme)
        self.assertIn("MIT No Attribution", readme)

    def test_reads_every_package_of_the_bill_of_materials_across_blank_lines(self):
        # The excerpt's licence and notice texts hold about 90 blank lines; packages are found by their structure.
        with open(image_file("BillOfMaterials", VERSION, "Python-Packages-BOM.txt"), encoding="utf-8") as f:
            self.assertGreater(f.read().count("\n\n"), 90)
        installed = self.data["installed"]
        self.assertEqual(installed["bom_count"], 7)
        from_bom = [(p["name"], p["version"]) for p in installed["packages"] if p["from"] == "bom"]
        self.assertEqual(from_bom, [("apache-airflow", "2.10.3"), ("boto3", "1.35.36"), ("Deprecated", "1.2.14"),
                                    ("Flask-Caching", "2.3.0"), ("lockfile", "0.12.2"),
                                    ("prompt_toolkit", "3.0.48"), ("zipp", "3.20.2")])
        self.assertIn(f"{VERSION}: Python 3.11.9, 7 packages in the BOM, 11 installed", self.result.stdout)

    def test_adds_what_the_bom_leaves_out(self):
        added = {p["name"]: (p["version"], p["from"]) for p in self.data["installed"]["packages"] if p["from"] != "bom"}
        self.assertEqual(added, {"wcwidth": ("0.2.13", "airflow-constraints"), "pip": (None, "not-in-bom"),
                                 "setuptools": (None, "not-in-bom"), "wheel": (None, "not-in-bom")})

    def test_image_facts(self):
        d = self.data
        self.assertEqual(d["python_version"], "3.11.9")
        self.assertEqual((d["base_os"], d["glibc"], d["arch"], d["platform_tag"]),
                         ("Amazon Linux 2023", "2.34", "x86_64", "manylinux_2_34_x86_64"))
        self.assertEqual(d["paths"], {
            "user_site": "/usr/local/airflow/.local/lib/python3.11/site-packages",
            "airflow_constraints": "/usr/local/airflow/.local/etc/airflow_constraints.txt",
            "essential_constraints": "/usr/local/airflow/.local/etc/mwaa_essential_constraints.txt"})
        self.assertEqual(d["base_requirements"]["requirements"][:2],
                         ["apache-airflow-providers-amazon[aiobotocore]", "apache-airflow[celery,statsd]==2.10.3"])
        self.assertEqual(len(d["base_requirements"]["requirements"]), 11)
        self.assertEqual(d["source"], {"kind": "image", "repository": "aws/amazon-mwaa-docker-images",
                                       "commit": "9d2bebb5c7858e27a1c6afb20b7827840217e3a0",
                                       "path": "images/airflow/2.10.3", "license": "Apache-2.0"})

    def test_constraint_files_are_kept_byte_for_byte(self):
        for field, name in (("airflow_constraints", "airflow_constraints.txt"),
                            ("essential_constraints", "mwaa_essential_constraints.txt")):
            with open(image_file("etc", name), "rb") as f:
                raw = f.read()
            self.assertEqual("\n".join(self.data[field]["lines"]).encode("utf-8"), raw, field)
            self.assertEqual(self.data[field]["sha256"], hashlib.sha256(raw).hexdigest(), field)
            self.assertEqual(self.data[field]["file"], "etc/" + name)
        self.assertEqual(self.data["airflow_constraints"]["url"],
                         "https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt")

    def test_older_versions(self):
        with open(os.path.join(self.out, "mwaa-2.7.2.json"), encoding="utf-8") as f:
            local = json.load(f)
        self.assertIsNone(local["installed"])
        self.assertEqual(local["source"]["repository"], "aws/aws-mwaa-local-runner")
        self.assertEqual(local["source"]["license"], "MIT-0")
        self.assertEqual(local["base_requirements"]["requirements"],
                         ["apache-airflow-providers-amazon==8.7.1", "apache-airflow-providers-celery==3.3.4",
                          "apache-airflow-providers-common-sql==1.7.2"])
        self.assertIn("boto3==1.28.17", local["airflow_constraints"]["lines"])
        with open(os.path.join(self.out, "mwaa-2.5.1.json"), encoding="utf-8") as f:
            old = json.load(f)
        self.assertEqual((old["python_version"], old["base_os"], old["glibc"]), ("3.10.13", "Amazon Linux 2", "2.26"))
        self.assertIsNone(old["airflow_constraints"]["lines"])
        self.assertIsNone(old["installed"])
        self.assertTrue(old["airflow_constraints"]["url"].endswith("constraints-2.5.1/constraints-3.10.txt"))


class Sources(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.source = os.path.join(self.tmp.name, "checkout")
        shutil.copytree(fixture(), self.source)
        self.out = os.path.join(self.tmp.name, "data")

    def tearDown(self):
        self.tmp.cleanup()

    def edit(self, relative, change):
        path = os.path.join(self.source, "images", "airflow", VERSION, relative)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        os.chmod(path, 0o644)
        with open(path, "w", encoding="utf-8") as f:
            f.write(change(text))

    def test_commit_from_git_when_there_is_no_commit_file(self):
        os.remove(os.path.join(self.source, "COMMIT"))
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@example.invalid")
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
            subprocess.run(["git", "-C", self.source, *cmd], check=True, env=env, capture_output=True)
        head = subprocess.run(["git", "-C", self.source, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        r = run_converter(self.source, self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out, f"mwaa-{VERSION}.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["source"]["commit"], head)

    def test_refuses_a_licence_file_of_another_package(self):
        self.edit(f"BillOfMaterials/{VERSION}/Python-Packages-BOM.txt",
                  lambda t: t.replace("site-packages/zipp-3.20.2.dist-info", "site-packages/zipp-3.20.1.dist-info"))
        r = run_converter(self.source, self.out)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"Python-Packages-BOM\.txt:\d+: zipp 3\.20\.2 has the licence file of another")
        self.assertFalse(os.path.exists(self.out) and os.listdir(self.out), "nothing written on an error")

    def test_refuses_an_essential_file_that_pins_another_airflow(self):
        self.edit("etc/mwaa_essential_constraints.txt", lambda t: t.replace("apache-airflow==2.10.3",
                                                                            "apache-airflow==2.10.1"))
        r = run_converter(self.source, self.out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pins apache-airflow to", r.stderr)

    def test_a_package_counted_once_even_if_a_licence_text_looks_like_a_header(self):
        # A licence paragraph after a blank line that starts with a word and a number is not a package: the
        # next lines are not a licence, URL and licence file.
        self.edit(f"BillOfMaterials/{VERSION}/Python-Packages-BOM.txt",
                  lambda t: t.replace("The MIT License (MIT)\n", "The MIT License (MIT)\n\nVersion\n2.0\n", 1))
        r = run_converter(self.source, self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("7 packages in the BOM", r.stdout)

    def test_needs_the_local_runner_files_for_272_and_281(self):
        shutil.rmtree(os.path.join(self.source, "local-runner"))
        r = run_converter(self.source, self.out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--local-runner", r.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--script", required=True)
    parser.add_argument("--fixtures", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
