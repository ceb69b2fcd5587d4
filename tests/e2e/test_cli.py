"""The CLI's contract for scripts: --version, targets, inspect, --json field names, exit codes."""
import argparse
import json
import os
import subprocess
import sys
import unittest

ARGS = None


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    p = subprocess.run([ARGS.wheelhouse, *args], capture_output=True, text=True, env=full_env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def wheel(name):
    return os.path.join(ARGS.fixtures, "wheels", name)


NATIVE = "native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
DEMO = "demo_pkg-1.0.0-py3-none-any.whl"


class Cli(unittest.TestCase):
    def test_version_prints_name_and_semver(self):
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out.strip(), r"^wheelhouse \d+\.\d+\.\d+$")

    def test_help_documents_exit_codes_for_every_command(self):
        for cmd in ([], ["targets"], ["inspect"]):
            code, out, _ = run(*cmd, "--help")
            self.assertEqual(code, 0, cmd)
            for line in ("0  success", "2  resolution impossible", "4  verification failed", "5  S3 / AWS error"):
                self.assertIn(line, out, cmd)

    def test_unknown_option_is_a_usage_error(self):
        code, _, err = run("targets", "--bogus")
        self.assertEqual(code, 1)
        self.assertIn("--bogus", err)

    def test_targets_json_lists_presets_with_python_and_platforms(self):
        code, out, _ = run("targets", "--json")
        self.assertEqual(code, 0)
        targets = {t["name"]: t for t in json.loads(out)}
        self.assertEqual(targets["mwaa-2.10.3"]["python_version"], "3.11")
        self.assertEqual(targets["mwaa-2.11.0"]["python_version"], "3.12")
        self.assertEqual(targets["mwaa-2.6.3"]["python_version"], "3.10")
        plats = targets["mwaa-2.10.3"]["platforms"]
        self.assertEqual(plats[0], "manylinux_2_34_x86_64")
        self.assertIn("manylinux2014_x86_64", plats)
        self.assertEqual(plats[-1], "linux_x86_64")
        self.assertTrue(targets["mwaa-2.10.3"]["constraints_url"].endswith("constraints-2.10.3/constraints-3.11.txt"))

    def test_targets_table_is_plain_text_without_a_terminal(self):
        code, out, _ = run("targets")
        self.assertEqual(code, 0)
        self.assertIn("mwaa-2.10.3", out)
        self.assertNotIn("\x1b[", out)

    def test_targets_table_says_which_presets_have_image_data(self):
        code, out, _ = run("targets")
        self.assertEqual(code, 0)
        rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("mwaa-")}
        self.assertEqual(len(rows), 13)
        self.assertRegex(rows["mwaa-2.10.3"], r"2\.10\.3\s+3\.11\.9\s+Amazon Linux 2023\s+2\.34\s+"
                                             r"manylinux_2_34_x86_64\s+192 packages$")
        self.assertRegex(rows["mwaa-3.3.1"], r"3\.12\.13 .* 218 packages$")
        self.assertRegex(rows["mwaa-2.11.2"], r"3\.12\.10 .* 192 packages$")
        self.assertRegex(rows["mwaa-3.2.1"], r"3\.12\.13 .* 214 packages$")
        for old in ("mwaa-2.4.3", "mwaa-2.6.3", "mwaa-2.7.2", "mwaa-2.8.1"):
            self.assertTrue(rows[old].endswith("no installed-set data"), rows[old])

    def test_targets_json_has_the_image_data_of_each_preset(self):
        code, out, _ = run("targets", "--json")
        self.assertEqual(code, 0)
        targets = {t["name"]: t for t in json.loads(out)}
        t = targets["mwaa-2.10.3"]
        self.assertEqual((t["has_installed_set"], t["installed_count"], t["constraints_source"]),
                         (True, 192, "embedded"))
        self.assertEqual(t["source"], "aws/amazon-mwaa-docker-images 9d2bebb5c785 images/airflow/2.10.3")
        self.assertEqual(targets["mwaa-3.3.1"]["python_full_version"], "3.12.13")
        old = targets["mwaa-2.6.3"]
        self.assertEqual((old["has_installed_set"], old["installed_count"], old["constraints_source"], old["image"]),
                         (False, None, "download", "no installed-set data"))
        self.assertEqual(targets["mwaa-2.7.2"]["constraints_source"], "embedded")

    def test_targets_show_prints_the_image(self):
        code, out, err = run("targets", "show", "mwaa-2.10.3")
        self.assertEqual(code, 0, err)
        for expected in ("CPython 3.11.9 (cp311)", "Amazon Linux 2023 (glibc 2.34), x86_64",
                         "manylinux_2_34_x86_64 newest, 34 platforms, 864 tags",
                         "/usr/local/airflow/.local/lib/python3.11/site-packages",
                         "726 pins, embedded: mwaa-2.10.3 image etc/airflow_constraints.txt",
                         "apache-airflow==2.10.3", "apache-airflow[celery,statsd]==2.10.3",
                         "aws/amazon-mwaa-docker-images 9d2bebb5c785 images/airflow/2.10.3 (Apache-2.0)",
                         "Installed packages (192: 188 in the bill of materials, + pip, setuptools, wcwidth, wheel)"):
            self.assertIn(expected, out)
        self.assertRegex(out, r"\n  wcwidth +0\.2\.13\n")
        self.assertRegex(out, r"\n  pip +unknown\n")
        self.assertRegex(out, r"\n  apache-airflow +2\.10\.3\n")
        code, out, _ = run("targets", "show", "mwaa-2.6.3")
        self.assertEqual(code, 0)
        self.assertIn("no installed-set data", out)
        self.assertIn("downloaded at build time from https://raw.githubusercontent.com/apache/airflow/"
                      "constraints-2.6.3/constraints-3.10.txt", out)

    def test_targets_show_json_takes_an_alias(self):
        code, out, err = run("targets", "show", "mwaa-3.x", "--json")
        self.assertEqual(code, 0, err)
        t = json.loads(out)
        self.assertEqual((t["name"], t["python_full_version"], t["newest_platform"]), ("mwaa-3.3.1", "3.12.13",
                                                                                      "manylinux_2_34_x86_64"))
        installed = {p["name"]: p["version"] for p in t["installed"]}
        self.assertEqual(len(installed), 218)
        self.assertEqual(t["bom_count"], 214)
        self.assertIsNone(installed["pip"])
        self.assertEqual(installed["wcwidth"], "0.8.2")
        self.assertEqual(installed["apache-airflow"], "3.3.1")
        self.assertEqual(t["airflow_constraints"]["source"], "embedded")
        self.assertEqual(t["airflow_constraints"]["count"], 696)
        self.assertEqual(t["essential_pins"][0], "apache-airflow==3.3.1")
        self.assertEqual(t["paths"]["essential_constraints"],
                         "/usr/local/airflow/.local/etc/mwaa_essential_constraints.txt")
        self.assertEqual(t["data_source"]["commit"], "9d2bebb5c7858e27a1c6afb20b7827840217e3a0")
        self.assertIn("apache-airflow-providers-standard", t["base_requirements"])

    def test_targets_show_unknown_name_is_exit_1_with_the_presets(self):
        code, _, err = run("targets", "show", "mwaa-1.10.12")
        self.assertEqual(code, 1)
        self.assertIn("unknown target 'mwaa-1.10.12'", err)
        for name in ("mwaa-2.4.3", "mwaa-2.10.3", "mwaa-3.3.1"):
            self.assertIn(name, err)
        code, out, _ = run("targets", "show", "nope", "--json")
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out)["error"]["exit_code"], 1)
        code, _, err = run("targets", "show")
        self.assertEqual(code, 1, "a name is required")

    def test_inspect_json_has_the_documented_fields(self):
        code, out, _ = run("inspect", wheel(DEMO), "--json")
        self.assertEqual(code, 0)
        j = json.loads(out)
        self.assertEqual(j["name"], "demo-pkg")
        self.assertEqual(j["version"], "1.0.0")
        self.assertEqual(j["tags"], ["py3-none-any"])
        self.assertIn('pytest>=7; extra == "test"', j["requires_dist"])
        self.assertNotIn("compatible", j)

    def test_inspect_with_target_reports_compatibility(self):
        code, out, _ = run("inspect", wheel(NATIVE), "--target", "mwaa-2.10.3", "--json")
        self.assertEqual(code, 0)
        j = json.loads(out)
        self.assertTrue(j["compatible"])
        self.assertNotIn("reason", j)

    def test_inspect_wrong_python_is_incompatible_with_reason_and_exit_4(self):
        code, out, _ = run("inspect", wheel(NATIVE), "--target", "mwaa-2.11.0", "--json")
        self.assertEqual(code, 4)
        j = json.loads(out)
        self.assertFalse(j["compatible"])
        self.assertIn("cp311", j["reason"])

    def test_inspect_wrong_architecture_names_it(self):
        code, out, _ = run("inspect", wheel(NATIVE), "--python-version", "3.11", "--platform",
                           "manylinux_2_28_aarch64", "--json")
        self.assertEqual(code, 4)
        self.assertIn("aarch64", json.loads(out)["reason"])

    def test_inspect_runs_the_downloaded_wheel_checks(self):
        # RECORD digests and symlinks are what `build` refuses in a wheel; inspect says so before a build does.
        for name, words in (("badrecord_pkg-1.0-py3-none-any.whl", "RECORD"),
                            ("link_pkg-1.0-py3-none-any.whl", "link")):
            code, out, _ = run("inspect", wheel(name), "--json")
            self.assertEqual(code, 4, name)
            problems = json.loads(out)["problems"]
            self.assertTrue(any(words.lower() in p.lower() for p in problems), f"{name}: {problems}")
        code, out, _ = run("inspect", wheel(DEMO), "--json")
        self.assertEqual((code, json.loads(out)["problems"]), (0, []))

    def test_inspect_unknown_target_is_input_error_with_hint(self):
        code, _, err = run("inspect", wheel(DEMO), "--target", "mwaa-9.9.9")
        self.assertEqual(code, 1)
        self.assertIn("mwaa-2.10.3", err)

    def test_inspect_unsafe_or_corrupt_wheels_fail_verification(self):
        for name, needle in (("evil_pkg-1.0-py3-none-any.whl", "../evil"),
                             ("truncated_pkg-1.0-py3-none-any.whl", "zip"),
                             ("nodistinfo_pkg-1.0-py3-none-any.whl", "dist-info")):
            code, out, err = run("inspect", wheel(name), "--json")
            self.assertEqual(code, 4, name)
            self.assertIn(needle, err, name)
            self.assertIn("error", json.loads(out), name)

    def test_inspect_non_wheel_name_is_input_error(self):
        import tempfile
        with tempfile.NamedTemporaryFile(suffix=".txt") as f:
            code, _, err = run("inspect", f.name)
        self.assertEqual(code, 1)
        self.assertIn(".whl", err)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])
