#!/usr/bin/env python3
"""What is in the bundle: `build` writes dist/sbom.cdx.json, `sbom`, `licenses` and `audit` on a bundle and a lock.

- every SBOM produced here (the demo bundle, a bundle with real package names and licences, a lock, a bundle and a
  lock with the MWAA image's packages) validates against the official CycloneDX 1.6 schema, offline (Debian's
  python3-jsonschema, as fixtures/corpora/cyclonedx/README.md shows);
- byte-identical across rebuilds (another cache, another time), and `sbom dist/` writes the same bytes as build;
  SOURCE_DATE_EPOCH sets the timestamp; build-report.json lists the SBOM with its digest;
- licences: expression, classifier, field and unknown sources; --deny / --allow / a policy file make `licenses`,
  `build` and `verify` exit 10 naming the package and who pulled it in (build then writes nothing);
- audit (the committed PyPA advisory corpus): findings, aliases, fixed versions and whether the target's
  constraints allow them; exit 11, --fail-on none, --ignore; the same from an OSV export zip; the image's packages
  labelled as the environment's; `build --advisories`; `mirror --advisories` copies the records next to the index.

    test_sbom.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, tally  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"

# Real project names and licence metadata as their wheels declare them (versions the advisory corpus knows).
PACKAGES = {"packages": [
    {"name": "requests", "versions": [{"version": "2.30.0", "license": "Apache 2.0",
                                       "classifiers": ["License :: OSI Approved :: Apache Software License"],
                                       "requires_dist": ["urllib3>=1.21.1,<3", "certifi>=2017.4.17"]}]},
    {"name": "urllib3", "versions": [{"version": "1.26.16", "classifiers": ["License :: OSI Approved :: MIT License"]},
                                     {"version": "1.26.18", "classifiers": ["License :: OSI Approved :: MIT License"]}]},
    {"name": "certifi", "versions": [{"version": "2022.9.24", "license_expression": "MPL-2.0"}]},
    {"name": "copyleft-thing", "versions": [{"version": "1.0", "license_expression": "GPL-3.0-only"}]},
    {"name": "mystery", "versions": [{"version": "0.1"}]},
]}

VALIDATE = r"""
import sys, json, glob, jsonschema as J
S, F = sys.argv[1:3]
st = {s["$id"]: s for s in (json.load(open(p)) for p in glob.glob(S + "/*.schema.json"))}
d = json.load(open(F))
s = st["http://cyclonedx.org/schema/bom-%s.schema.json" % d["specVersion"]]
e = [x.message for x in J.Draft7Validator(s, resolver=J.RefResolver.from_schema(s, store=st)).iter_errors(d)]
print(F + ": " + ("INVALID: " + " | ".join(e[:3]) if e else "valid"))
sys.exit(1 if e else 0)
"""


def run(cmd, env=None, timeout=300):
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()
    fixtures = Path(args.fixtures).resolve()
    schema = fixtures / "corpora" / "cyclonedx" / "schema"
    osv = fixtures / "corpora" / "osv-pypi" / "vulns"
    demo = fixtures / "demo"

    def valid(path, label):
        r = run([SYSTEM_PYTHON, "-c", VALIDATE, schema, path])
        return check(r.returncode == 0, f"{label}: {r.stdout} {r.stderr}")

    # The validator itself: the corpus's valid and invalid examples (so a broken setup cannot pass everything).
    for example in sorted(glob.glob(str(fixtures / "corpora" / "cyclonedx" / "examples" / "*.json"))):
        r = run([SYSTEM_PYTHON, "-c", VALIDATE, schema, example])
        expected = 0 if Path(example).name.startswith("valid-") else 1
        check(r.returncode == expected, f"validator on {Path(example).name}: exit {r.returncode}, want {expected}")

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-sbom-") as tmp_name:
        tmp = Path(tmp_name)
        base_env = dict(os.environ)
        base_env.pop("SOURCE_DATE_EPOCH", None)

        # ---- the demo bundle: SBOM valid, reproducible, listed in the report ----
        r = run([sys.executable, ROOT / "tests" / "support" / "make_index.py", demo / "packages.json", tmp / "demo"])
        assert r.returncode == 0, r.stderr

        def demo_build(out, cache, extra_env=None):
            env = dict(base_env, WHEELHOUSE_CACHE_DIR=str(tmp / cache), **(extra_env or {}))
            return run([wh, "build", "-r", demo / "requirements.txt", "--target", "mwaa-2.10.3",
                        "--airflow-constraints", demo / "airflow-constraints.txt", "--no-index", "-f",
                        tmp / "demo" / "files", "--plugins-dir", demo / "plugins", "-o", out], env=env)

        r = demo_build(tmp / "dist-a", "cache-a")
        check(r.returncode == 0, f"demo build: {r.stderr}")
        sbom_a = (tmp / "dist-a" / "sbom.cdx.json").read_bytes()
        valid(tmp / "dist-a" / "sbom.cdx.json", "demo SBOM")
        report = json.loads((tmp / "dist-a" / "build-report.json").read_text())
        check(report.get("sbom", {}).get("sha256") == hashlib.sha256(sbom_a).hexdigest() and
              report["sbom"].get("file") == "sbom.cdx.json", f"report's sbom entry: {report.get('sbom')}")
        doc = json.loads(sbom_a)
        check(doc["metadata"]["timestamp"] == "1980-01-01T00:00:00Z", f"timestamp {doc['metadata']['timestamp']}")
        names = {c["name"] for c in doc["components"] if c["type"] == "library"}
        check(names == {p["name"] for p in report["packages"]}, "SBOM components differ from the bundled wheels")
        check({c["name"] for c in doc["components"] if c["type"] == "file"} ==
              {"plugins.zip", "requirements.txt", "constraints.txt"}, "bundle files are missing from the SBOM")
        for c in doc["components"]:
            if c["type"] == "library":
                check(c["purl"].startswith(f"pkg:pypi/{c['name']}@{c['version']}?file_name="), f"purl {c['purl']}")
        refs = {d["ref"] for d in doc["dependencies"]}
        check({c["bom-ref"] for c in doc["components"] if c["type"] == "library"} <= refs,
              "a bundled package is missing from the dependency graph")
        r = demo_build(tmp / "dist-b", "cache-b")
        check(r.returncode == 0 and (tmp / "dist-b" / "sbom.cdx.json").read_bytes() == sbom_a,
              "a rebuild with another cache gave another SBOM")
        r = run([wh, "sbom", tmp / "dist-a", "-o", tmp / "again.json"])
        check(r.returncode == 0 and (tmp / "again.json").read_bytes() == sbom_a,
              f"`sbom dist/` differs from what build wrote: {r.stderr}")
        r = demo_build(tmp / "dist-epoch", "cache-a", {"SOURCE_DATE_EPOCH": "1700000000"})
        epoch_doc = json.loads((tmp / "dist-epoch" / "sbom.cdx.json").read_text()) if r.returncode == 0 else {}
        check(epoch_doc.get("metadata", {}).get("timestamp") == "2023-11-14T22:13:20Z" and
              epoch_doc.get("serialNumber") != doc["serialNumber"], "SOURCE_DATE_EPOCH did not set the timestamp")
        valid(tmp / "dist-epoch" / "sbom.cdx.json", "SBOM with SOURCE_DATE_EPOCH")

        # ---- real names, licences and advisories ----
        (tmp / "real.json").write_text(json.dumps(PACKAGES))
        r = run([sys.executable, ROOT / "tests" / "support" / "make_index.py", tmp / "real.json", tmp / "real"])
        assert r.returncode == 0, r.stderr
        (tmp / "req.txt").write_text("requests==2.30.0\ncopyleft-thing==1.0\nmystery\n")
        (tmp / "airflow.txt").write_text("urllib3==1.26.16\n")
        env = dict(base_env, WHEELHOUSE_CACHE_DIR=str(tmp / "cache-real"))
        # The whole closure: this index is not the image's (its certifi and urllib3 would be kept from the image).
        common = ["-r", tmp / "req.txt", "--target", "mwaa-2.10.3", "--airflow-constraints", tmp / "airflow.txt",
                  "--no-index", "-f", tmp / "real" / "files", "--full-bundle"]
        dist = tmp / "dist-real"
        r = run([wh, "build", *common, "-o", dist], env=env)
        check(r.returncode == 0, f"build: {r.stderr}")
        valid(dist / "sbom.cdx.json", "bundle SBOM")
        doc = json.loads((dist / "sbom.cdx.json").read_text())
        by_name = {c["name"]: c for c in doc["components"] if c["type"] == "library"}
        check(by_name["certifi"]["licenses"] == [{"license": {"id": "MPL-2.0", "acknowledgement": "declared"}}],
              f"certifi licence {by_name['certifi'].get('licenses')}")
        check(by_name["requests"]["licenses"][0]["license"].get("id") == "Apache-2.0", "requests licence")
        check("licenses" not in by_name["mystery"], "an unknown licence was written")
        dep = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
        check(by_name["urllib3"]["bom-ref"] in dep[by_name["requests"]["bom-ref"]], "requests -> urllib3 edge missing")

        r = run([wh, "licenses", dist, "--json"])
        rows = {p["name"]: p for p in json.loads(r.stdout)["packages"]} if r.returncode == 0 else {}
        check({n: (p["license"], p["source"]) for n, p in rows.items()} == {
            "certifi": ("MPL-2.0", "expression"), "copyleft-thing": ("GPL-3.0-only", "expression"),
            "mystery": ("unknown", "unknown"), "requests": ("Apache-2.0", "field"),
            "urllib3": ("MIT", "classifier")}, f"licences: {rows}")
        r = run([wh, "licenses", dist])
        check(r.returncode == 0 and "copyleft-thing" in r.stdout and "source" in r.stdout, f"table: {r.stdout}")
        print(r.stdout, flush=True)
        for label, flags in (("--deny", ["--deny", "GPL-3.0-only"]),
                             ("--allow", ["--allow", "MIT,Apache-2.0,MPL-2.0"])):
            r = run([wh, "licenses", dist, *flags])
            check(r.returncode == 10 and "copyleft-thing 1.0" in r.stderr and "req.txt:2" in r.stderr,
                  f"licenses {label}: {r.returncode} {r.stderr}")
        policy = tmp / "pyproject.toml"
        policy.write_text('[tool.wheelhouse.licenses]\ndeny = ["GPL-3.0-only"]\n')
        r = run([wh, "verify", dist, "--license-policy", policy])
        check(r.returncode == 10 and "copyleft-thing" in r.stderr, f"verify with a policy: {r.returncode} {r.stderr}")
        r = run([wh, "verify", dist, "--deny", "AGPL-3.0-only"])
        check(r.returncode == 0, f"verify with a policy nothing breaks: {r.returncode} {r.stderr}")
        r = run([wh, "build", *common, "-o", tmp / "dist-denied", "--deny", "GPL-3.0-only"], env=env)
        check(r.returncode == 10 and not (tmp / "dist-denied" / "plugins.zip").exists(),
              f"build --deny: {r.returncode} {r.stderr}")
        r = run([wh, "licenses", dist, "--deny", "GPL3"])
        check(r.returncode == 1 and "GPL3" in r.stderr, f"a policy typo: {r.returncode} {r.stderr}")

        # audit
        r = run([wh, "audit", dist, "--advisories", osv, "--json"])
        audit = json.loads(r.stdout) if r.stdout.strip() else {}
        found = {(f["package"], f["id"]) for f in audit.get("findings", [])}
        check(r.returncode == 11 and found == {
            ("requests", "PYSEC-2023-74"), ("urllib3", "PYSEC-2023-192"), ("urllib3", "PYSEC-2023-212"),
            ("certifi", "PYSEC-2022-42986"), ("certifi", "PYSEC-2023-135")}, f"audit: {r.returncode} {found}")
        for f in audit.get("findings", []):
            if f["id"] == "PYSEC-2023-192":
                check(f["aliases"] == ["CVE-2023-43804", "GHSA-v845-jxx5-vc9f"] and
                      [x["version"] for x in f["fixes"]] == ["1.26.17", "2.0.6"] and
                      not any(x["allowed"] for x in f["fixes"]) and
                      "constraints.txt" in f["fixes"][0]["blocked_by"][0], f"urllib3 fix status: {f}")
            if f["id"] == "PYSEC-2023-74":
                check(f["fixes"] == [{"version": "2.31.0", "allowed": True, "blocked_by": []}], f"requests fix: {f}")
        r = run([wh, "audit", dist, "--advisories", osv])
        print(r.stdout, flush=True)
        check(r.returncode == 11 and "NOT allowed on mwaa-2.10.3" in r.stdout, f"audit text: {r.stdout}")
        r = run([wh, "audit", dist, "--advisories", osv, "--fail-on", "none", "--ignore", "CVE-2023-32681"])
        check(r.returncode == 0 and "PYSEC-2023-74" not in r.stdout.split("ignored")[0],
              f"--fail-on none --ignore: {r.returncode} {r.stdout}")
        # The same records as an OSV export zip (JSON members).
        import yaml  # Debian's python3-yaml, for the test's own conversion
        with zipfile.ZipFile(tmp / "all.zip", "w") as z:
            for path in sorted(osv.rglob("*.yaml")):
                record = yaml.load(path.read_text(), Loader=yaml.BaseLoader)
                z.writestr(path.stem + ".json", json.dumps(record))
        r = run([wh, "audit", dist, "--advisories", tmp / "all.zip", "--json"])
        zfound = {(f["package"], f["id"]) for f in json.loads(r.stdout).get("findings", [])} if r.stdout else set()
        check(r.returncode == 11 and zfound == found, f"audit from all.zip: {zfound}")
        r = run([wh, "build", *common, "-o", tmp / "dist-audited", "--advisories", osv], env=env)
        check(r.returncode == 11 and "PYSEC-2023-192" in r.stderr and not (tmp / "dist-audited").exists() or
              not (tmp / "dist-audited" / "plugins.zip").exists(), f"build --advisories: {r.returncode} {r.stderr}")
        r = run([wh, "build", *common, "-o", tmp / "dist-audited", "--advisories", osv, "--fail-on", "none"], env=env)
        rep = json.loads((tmp / "dist-audited" / "build-report.json").read_text()) if r.returncode == 0 else {}
        check(len(rep.get("audit", {}).get("findings", [])) == 5, f"build --fail-on none: {r.returncode} {r.stderr}")

        # ---- a lock: SBOM valid, licences from the cache; with the image's packages ----
        lock = tmp / "wheelhouse.lock.json"
        r = run([wh, "lock", *common, "-o", lock], env=env)
        check(r.returncode == 0, f"lock: {r.stderr}")
        r = run([wh, "sbom", lock, "-o", tmp / "lock.cdx.json"], env=env)
        check(r.returncode == 0, f"sbom LOCK: {r.stderr}")
        valid(tmp / "lock.cdx.json", "lock SBOM")
        ldoc = json.loads((tmp / "lock.cdx.json").read_text())
        lnames = {c["name"]: c for c in ldoc["components"] if c["type"] == "library"}
        check(lnames.get("certifi", {}).get("licenses") == by_name["certifi"]["licenses"],
              "the lock's SBOM did not read the licence from the cached wheel")
        locked = json.loads(lock.read_text())
        locked["image"] = {"preset": "mwaa-2.10.3",
                           "source": "aws/amazon-mwaa-docker-images 9d2bebb5c785 images/airflow/2.10.3",
                           "installed": [{"name": "apache-airflow", "version": "2.8.2"}, {"name": "pip", "version": None},
                                         {"name": "idna", "version": "3.6"}]}
        for p in locked["packages"]:
            if p["name"] == "certifi":
                p["provided_by"] = "image"
        (tmp / "image.lock.json").write_text(json.dumps(locked, indent=2))
        r = run([wh, "sbom", tmp / "image.lock.json", "-o", tmp / "image.cdx.json"], env=env)
        check(r.returncode == 0, f"sbom of a lock with an image: {r.stderr}")
        valid(tmp / "image.cdx.json", "SBOM with the image's packages")
        idoc = json.loads((tmp / "image.cdx.json").read_text())
        container = [c for c in idoc["components"] if c["type"] == "container"]
        inner = {c["name"]: c for c in container[0].get("components", [])} if container else {}
        check(set(inner) == {"apache-airflow", "pip", "idna", "certifi"} and
              {"name": "wheelhouse:provided-by", "value": "environment"} in inner["idna"]["properties"] and
              "certifi" not in {c["name"] for c in idoc["components"] if c["type"] == "library"},
              f"image packages in the SBOM: {sorted(inner)}")
        r = run([wh, "audit", tmp / "image.lock.json", "--advisories", osv, "--json"], env=env)
        ifound = {(f["package"], f["id"], f["environment"]) for f in json.loads(r.stdout).get("findings", [])}
        check(("apache-airflow", "PYSEC-2024-46", True) in ifound and ("idna", "PYSEC-2024-60", True) in ifound and
              ("requests", "PYSEC-2023-74", False) in ifound, f"environment findings: {ifound}")
        # A report with the image (as image-aware builds write it): `sbom dist/` shows the environment too.
        image_dist = tmp / "dist-image"
        subprocess.run(["cp", "-r", str(dist), str(image_dist)], check=True)
        rep = json.loads((image_dist / "build-report.json").read_text())
        rep["image"] = dict(locked["image"], provided=[], replaced=[{"name": "urllib3", "image_version": "1.26.15",
                                                                     "version": "1.26.16", "required_by": []}])
        (image_dist / "build-report.json").write_text(json.dumps(rep, indent=2))
        r = run([wh, "sbom", image_dist, "-o", tmp / "dist-image.cdx.json"])
        check(r.returncode == 0, f"sbom of a report with an image: {r.stderr}")
        valid(tmp / "dist-image.cdx.json", "bundle SBOM with the image")
        ddoc = json.loads((tmp / "dist-image.cdx.json").read_text())
        u3 = [c for c in ddoc["components"] if c["name"] == "urllib3"]
        check(u3 and {"name": "wheelhouse:replaces-image-version", "value": "1.26.15"} in u3[0]["properties"],
              "the replaced image version is not recorded")

        # ---- mirror --advisories ----
        mirror = tmp / "mirror"
        r = run([wh, "mirror", "-r", tmp / "req.txt", "--target", "mwaa-2.10.3", "--airflow-constraints",
                 tmp / "airflow.txt", "--no-index", "-f", tmp / "real" / "files", "--dest", mirror,
                 "--advisories", osv], env=env)
        check(r.returncode == 0 and (mirror / "advisories" / "requests" / "PYSEC-2023-74.yaml").read_bytes() ==
              (osv / "requests" / "PYSEC-2023-74.yaml").read_bytes() and (mirror / "simple" / "index.html").exists(),
              f"mirror --advisories: {r.returncode} {r.stderr}")
        r = run([wh, "audit", dist, "--advisories", mirror / "advisories", "--json"])
        check(r.returncode == 11 and {(f["package"], f["id"]) for f in json.loads(r.stdout)["findings"]} == found,
              "the mirrored advisories give other findings")
        (tmp / "broken").mkdir()
        (tmp / "broken" / "X.yaml").write_text("id: X\naffected: [\n")
        r = run([wh, "mirror", "-r", tmp / "req.txt", "--target", "mwaa-2.10.3", "--airflow-constraints",
                 tmp / "airflow.txt", "--no-index", "-f", tmp / "real" / "files", "--dest", tmp / "mirror2",
                 "--advisories", tmp / "broken"], env=env)
        check(r.returncode == 1 and "X.yaml" in r.stderr and not (tmp / "mirror2" / "advisories").exists(),
              f"mirror with broken advisories: {r.returncode} {r.stderr}")
    print(f"{tally.count} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
