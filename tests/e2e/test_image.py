#!/usr/bin/env python3
"""The decisive test against the MWAA image: the bundle holds exactly what pip, run as MWAA runs it on the image,
installs.

For a Python 3.11 target (mwaa-2.10.3) and a Python 3.12 one (mwaa-3.3.1):
  1. a generated index (tests/support/make_index.py, served by nginx on loopback) where every package of the
     image's installed set (from `wheelhouse targets show --json`) exists at its image version and at a newer
     one, the newer one asking for newer versions of other image packages; plus a provider-like project that is
     not in the image and needs image packages (satisfied by the image), two projects that are not, an extra,
     and one image package at a version newer than the image's (which MWAA must replace);
  2. `wheelhouse build --target T` (image-aware) and `--full-bundle` (the whole closure), `lock` + `build
     --locked`, and `verify`;
  3. an image-like venv of the target's Python into which the image's package set was installed first (stub
     wheels at the image's versions), the bundle unzipped at /usr/local/airflow/plugins, then MWAA's own command,
     `pip install --constraint <essential> -r requirements.txt`, offline: it must succeed and pip's --report
     install list must equal the bundle's wheels exactly; the full closure installs the same (pip keeps the
     image's versions) and leaves its other wheels unused, which `verify` reports;
  4. the new messages: the warning that MWAA replaces an image package (naming who asks for it), the
     resolution error against an essential pin (naming the pin's file and line), and verify's unused-wheel
     warning with its size.
It prints the figures of the README's table: wheels, size and pip's install time of each bundle.

    test_image.py --wheelhouse PATH --fixtures DIR [--targets mwaa-2.10.3,mwaa-3.3.1]
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import MWAA_PLUGINS, PluginsFolder, check, failures  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = {
    "mwaa-2.10.3": "/root/.pyenv/versions/3.11.7/bin/python3",
    "mwaa-3.3.1": "/root/.pyenv/versions/3.12.1/bin/python3",
}


def run(cmd, env=None, cwd=None, quiet=False):
    if not quiet:
        print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=900)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def newer(version):
    """A version newer than `version`: its release with the last number raised, any suffix dropped."""
    release = re.match(r"\d+(\.\d+)*", version).group(0).split(".")
    release[-1] = str(int(release[-1]) + 1)
    return ".".join(release)


def offline_env():
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("PIP_")}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1",
                "NO_PROXY": "*", "no_proxy": "*"})
    return env


def image_facts(wheelhouse, target):
    r = run([wheelhouse, "targets", "show", target, "--json"], quiet=True)
    facts = json.loads(r.stdout)
    data = json.loads((ROOT / "src" / "image" / "data" / f"{target}.json").read_text())
    pinned = {normalize(line.split("==")[0]) for line in data["airflow_constraints"]["lines"] if "==" in line}
    essential = {normalize(p.split("==")[0]) for p in facts["essential_pins"]}
    return facts, pinned, essential


def make_description(target, facts, pinned, essential, sizes=False):
    """The index: the image's packages at their version and a newer one, and the provider-like projects. As in the
    real image, apache-airflow's closure is (almost) the whole image: its stub requires every other package. With
    `sizes`, each image wheel carries a payload drawn from a log-normal distribution (median 150 KB) so that the
    bundles have sizes like real ones."""
    rng = random.Random(target)
    known = [p for p in facts["installed"] if p["version"] is not None]
    by_name = {p["name"]: p for p in known}
    names = sorted(by_name)
    # The image package MWAA must replace: one the Airflow constraints and the essential pins leave free.
    free = [n for n in names if n not in pinned and n not in essential]
    replaced = by_name[sorted(free)[0]]
    wanted = newer(replaced["version"])
    packages = []
    for name in names:
        p = by_name[name]
        others = [n for n in rng.sample(names, 3) if n != name][:rng.choice([0, 0, 1, 2])]
        image_deps = [f"{by_name[o]['display_name']}>={by_name[o]['version']}" for o in others]
        newer_deps = [] if name == replaced["name"] else [
            f"{by_name[o]['display_name']}>{by_name[o]['version']}" for o in others]
        if name == "apache-airflow":
            image_deps = [f"{by_name[o]['display_name']}>={by_name[o]['version']}" for o in names if o != name]
        payload = min(int(rng.lognormvariate(11.9, 1.5)), 40_000_000) if sizes else 0
        packages.append({"name": p["display_name"], "versions": [
            {"version": p["version"], "requires_dist": image_deps, "payload_bytes": payload},
            {"version": newer(p["version"]), "requires_dist": newer_deps, "payload_bytes": payload}]})
    requests = by_name.get("requests") or by_name[names[0]]
    airflow = by_name["apache-airflow"]
    provider = [f"apache-airflow>={airflow['version']}", f"{requests['display_name']}>=1.0", "acme-client>=1.0",
                f"{replaced['display_name']}>={wanted}", "boto3"]
    packages += [
        {"name": "acme-provider", "versions": [
            {"version": "1.0", "requires_dist": ["apache-airflow>=2.0"]},
            {"version": "2.0", "requires_dist": provider, "extras": {"msg": ["msgpack>=1.0", "acme-util"]}}]},
        {"name": "acme-client", "versions": [{"version": "1.0", "requires_dist": ["urllib3>=1.26", "acme-util"]}]},
        {"name": "acme-util", "versions": [{"version": "0.9"}, {"version": "1.0"}]},
        # Needs a celery the essential pins forbid.
        {"name": "acme-celery-plugin", "versions": [
            {"version": "1.0", "requires_dist": [f"celery>{by_name['celery']['version']}"]}]},
    ]
    expected = {"acme-provider": "2.0", "acme-client": "1.0", "acme-util": "1.0",
                replaced["name"]: wanted}
    return {"packages": packages}, expected, replaced


def bundle_wheels(dist):
    with zipfile.ZipFile(dist / "plugins.zip") as zf:
        names = [n for n in zf.namelist() if n.endswith(".whl")]
    out = {}
    for n in names:
        parts = Path(n).name.split("-")
        out[normalize(parts[0])] = parts[1]
    return out


def image_venv(target, facts, tmp, files):
    """A fresh venv of the target's Python with the image's packages installed (stub wheels at their versions)."""
    venv = tmp / f"venv-{target}"
    r = run([PYTHONS[target], "-m", "venv", venv])
    if not check(r.returncode == 0, f"{target}: venv failed: {r.stderr}"):
        return None
    pins = [f"{p['name']}=={p['version']}" for p in facts["installed"] if p["version"] is not None]
    r = run([venv / "bin" / "python", "-m", "pip", "install", "--no-index", "--no-deps", "--find-links", files,
             "--quiet"] + pins, env=offline_env())
    if not check(r.returncode == 0, f"{target}: installing the image's set failed: {r.stderr[-2000:]}"):
        return None
    return venv


def mwaa_install(target, venv, dist, essential_file, tmp, label):
    """MWAA's command on the image-like venv, offline; returns (pip's install list, seconds) or None."""
    with PluginsFolder(tmp / f"plugins-{label}") as plugins:
        unzip_started = time.time()
        with zipfile.ZipFile(dist / "plugins.zip") as zf:
            zf.extractall(plugins.path)
        unzip_seconds = time.time() - unzip_started
        requirements = (dist / "requirements.txt").read_text()
        if not plugins.real:
            requirements = requirements.replace(str(MWAA_PLUGINS), str(plugins.path))
        req_file = tmp / f"requirements-{label}.txt"
        req_file.write_text(requirements)
        report = tmp / f"report-{label}.json"
        # The environment is changed by the install: a copy per run keeps the next one on the pristine image.
        copy = tmp / f"venv-{label}"
        run(["cp", "-a", venv, copy], quiet=True)
        fix_venv_paths(venv, copy)
        started = time.time()
        r = run([copy / "bin" / "python", "-m", "pip", "install", "--report", report, "--constraint", essential_file,
                 "-r", req_file], env=offline_env(), cwd=tmp)
        seconds = time.time() - started
        print(r.stdout[-1500:], r.stderr[-1500:], flush=True)
        if not check(r.returncode == 0, f"{target} {label}: pip install failed (exit {r.returncode}): "
                                        f"{r.stderr[-2000:]}"):
            return None
        installed = {normalize(i["metadata"]["name"]): i["metadata"]["version"]
                     for i in json.loads(report.read_text())["install"]}
        return installed, seconds, unzip_seconds


def fix_venv_paths(old, new):
    """A copied venv still points at the old folder in its scripts and pyvenv.cfg: point them at the copy."""
    for path in [new / "pyvenv.cfg"] + list((new / "bin").iterdir()):
        if path.is_file() and not path.is_symlink():
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                continue
            if str(old) in text:
                path.write_text(text.replace(str(old), str(new)))


def size_of(dist):
    return (dist / "plugins.zip").stat().st_size


def test_target(wheelhouse, target, base, tmp, table, sizes):
    facts, pinned, essential = image_facts(wheelhouse, target)
    check(facts["has_installed_set"] and len(facts["installed"]) > 150,
          f"{target}: no installed set in the image data: {facts.get('image')}")
    description, expected, replaced = make_description(target, facts, pinned, essential, sizes)
    work = tmp / target
    work.mkdir()
    desc = work / "description.json"
    desc.write_text(json.dumps(description))
    tree = base["tree"] / target
    r = run([sys.executable, ROOT / "tests" / "support" / "make_index.py", desc, tree], quiet=True)
    if not check(r.returncode == 0, f"{target}: make_index failed: {r.stderr}"):
        return
    index = f"{base['url']}/{target}/simple"
    env = dict(os.environ, WHEELHOUSE_CACHE_DIR=str(tmp / "cache"))
    (work / "requirements.txt").write_text("acme-provider[msg]\npackaging>=20\n")
    common = ["-r", work / "requirements.txt", "--target", target, "-i", index, "--trusted-host", "127.0.0.1"]

    # The image-aware bundle.
    dist = work / "dist"
    r = run([wheelhouse, "build", *common, "-o", dist], env=env)
    print(r.stdout, r.stderr, flush=True)
    if not check(r.returncode == 0, f"{target}: build failed (exit {r.returncode}): {r.stderr}"):
        return
    wheels = bundle_wheels(dist)
    check(wheels == expected, f"{target}: the bundle holds {sorted(wheels.items())}, expected {sorted(expected.items())}")
    warning = (f"MWAA will replace the image's {replaced['name']} {replaced['version']} with the bundled "
               f"{expected[replaced['name']]} (required by acme-provider 2.0")
    check(warning in r.stderr, f"{target}: no replacement warning naming who asks for it: {r.stderr}")
    report = json.loads((dist / "build-report.json").read_text())
    image = report.get("image") or {}
    check(image.get("preset") == target and len(image.get("installed", [])) == len(facts["installed"]),
          f"{target}: build-report.json has no image section for the target: {list(report)}")
    provided = {p["name"] for p in image.get("provided", [])}
    for name in ("apache-airflow", "boto3", "urllib3", "packaging", "msgpack"):
        check(name in provided, f"{target}: {name} is not recorded as provided by the image: {sorted(provided)}")
    check([x["name"] for x in image.get("replaced", [])] == [replaced["name"]],
          f"{target}: the report's replaced list is {image.get('replaced')}")
    check("left out" in r.stdout and f"the {target} image" in r.stdout,
          f"{target}: build does not say what it left out: {r.stdout}")
    sbom = json.loads((dist / "sbom.cdx.json").read_text())
    containers = [c for c in sbom.get("components", []) if c.get("type") == "container"]
    check(containers and len(containers[0].get("components", [])) == len(facts["installed"]),
          f"{target}: the SBOM does not list the image's packages as the environment's")

    r = run([wheelhouse, "verify", dist, "--target", target, "--json"], env=env)
    result = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    check(r.returncode == 0 and result.get("ok"), f"{target}: verify failed: {r.stdout} {r.stderr}")
    check(not [w for w in result.get("warnings", []) if w["kind"] == "unused_wheel"],
          f"{target}: verify finds unused wheels in the image-aware bundle: {result.get('warnings')}")
    check(sorted(result.get("installs", [])) == sorted(f"{n}=={v}" for n, v in expected.items()),
          f"{target}: verify says pip installs {result.get('installs')}")

    # The lock marks what the image provides; build --locked bundles the same wheels.
    lock = work / "wheelhouse.lock.json"
    r = run([wheelhouse, "lock", *common, "-o", lock], env=env)
    check(r.returncode == 0, f"{target}: lock failed: {r.stderr}")
    if r.returncode == 0:
        doc = json.loads(lock.read_text())
        marked = {p["name"] for p in doc["packages"] if p.get("provided_by") == "image"}
        check({"apache-airflow", "boto3", "urllib3"} <= marked and not (marked & set(expected)),
              f"{target}: the lock marks {sorted(marked)} as provided by the image")
        locked_dist = work / "dist-locked"
        r = run([wheelhouse, "build", "--locked", lock, "--target", target, "-i", index, "--trusted-host",
                 "127.0.0.1", "-o", locked_dist], env=env)
        check(r.returncode == 0 and bundle_wheels(locked_dist) == expected,
              f"{target}: build --locked gives {bundle_wheels(locked_dist) if r.returncode == 0 else r.stderr}")

    # The whole closure, as before the image model.
    full = work / "dist-full"
    r = run([wheelhouse, "build", *common, "--full-bundle", "-o", full], env=env)
    check(r.returncode == 0, f"{target}: --full-bundle build failed: {r.stderr}")
    full_wheels = bundle_wheels(full) if r.returncode == 0 else {}
    image_known = [p for p in facts["installed"] if p["version"] is not None]
    check(set(expected) < set(full_wheels) and len(full_wheels) >= len(image_known) - 5,
          f"{target}: the full closure has {len(full_wheels)} wheels, not about the image's {len(image_known)}")
    r = run([wheelhouse, "verify", full, "--target", target, "--json"], env=env)
    result = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    unused = [w for w in result.get("warnings", []) if w["kind"] == "unused_wheel"]
    check(r.returncode == 0 and len(unused) == len(full_wheels) - len(expected),
          f"{target}: verify of the full closure: exit {r.returncode}, {len(unused)} unused-wheel warnings for "
          f"{len(full_wheels) - len(expected)} wheels pip would not install")
    airflow_unused = [w for w in unused if w.get("file", "").startswith("apache_airflow-")]
    check(airflow_unused and re.search(r"\(\d+(\.\d+)? (B|KiB|MiB)\)", airflow_unused[0]["message"]),
          f"{target}: the unused apache-airflow wheel is not reported with its size: {unused[:2]}")
    r = run([wheelhouse, "verify", full, "--target", target], env=env)
    check(r.returncode == 0 and "is not installed by pip on" in r.stderr,
          f"{target}: plain verify does not warn about unused wheels: {r.stderr[:500]}")

    # A requirement against an essential pin: a resolution error naming the pin and where it is written.
    (work / "bad.txt").write_text("acme-celery-plugin\n")
    r = run([wheelhouse, "build", "-r", work / "bad.txt", "--target", target, "-i", index, "--trusted-host",
             "127.0.0.1", "-o", work / "dist-bad"], env=env)
    check(r.returncode == 2 and "MWAA essential pin" in r.stderr and "mwaa_essential_constraints.txt:" in r.stderr
          and "users cannot override them" in r.stderr,
          f"{target}: an essential-pin conflict gives exit {r.returncode}: {r.stderr}")
    check(not (work / "dist-bad").exists() or not any((work / "dist-bad").iterdir()),
          f"{target}: a failed build left files behind")

    # pip as MWAA runs it, on the image-like venv, offline.
    venv = image_venv(target, facts, tmp, tree / "files")
    if venv is None:
        return
    essential_file = tmp / f"essential-{target}.txt"
    essential_file.write_text("".join(p + "\n" for p in facts["essential_pins"]))
    image_aware = mwaa_install(target, venv, dist, essential_file, tmp, f"{target}-image")
    if image_aware:
        installed, seconds, unzip = image_aware
        check(installed == wheels, f"{target}: pip installed {sorted(installed.items())}, the bundle holds "
                                   f"{sorted(wheels.items())}")
        table.append((target, "image-aware", len(wheels), size_of(dist), unzip, seconds))
    whole = mwaa_install(target, venv, full, essential_file, tmp, f"{target}-full")
    if whole:
        installed, seconds, unzip = whole
        check(installed == wheels, f"{target}: from the full closure pip installed {sorted(installed.items())}")
        table.append((target, "full closure", len(full_wheels), size_of(full), unzip, seconds))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--targets", default=",".join(PYTHONS))
    parser.add_argument("--sizes", action="store_true", help="wheels with realistic sizes (bench/image)")
    args = parser.parse_args()
    wheelhouse = Path(args.wheelhouse).resolve()
    targets = [t for t in args.targets.split(",") if t]
    for target in targets:
        if not Path(PYTHONS[target]).exists():
            print(f"FAIL: {PYTHONS[target]} (for {target}) is missing: install it with pyenv", flush=True)
            return 1
    table = []
    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-image-") as tmp_name:
        tmp = Path(tmp_name)
        state = tmp / "index-server"
        r = run([ROOT / "scripts" / "index-server", "start", state, "0"])
        if r.returncode != 0:
            print("FAIL: the index server did not start:", r.stderr, flush=True)
            return 1
        try:
            servers = json.loads((state / "servers.json").read_text())
            base = {"tree": Path(servers["tree"]), "url": f"http://127.0.0.1:{servers['http_port']}"}
            for target in targets:
                test_target(wheelhouse, target, base, tmp, table, args.sizes)
        finally:
            run([ROOT / "scripts" / "index-server", "stop", state])
    print("| target | bundle | wheels | plugins.zip | unzip | pip install on the image-like venv |")
    for target, kind, count, size, unzip, seconds in table:
        print(f"| {target} | {kind} | {count} | {size / 1e6:.2f} MB | {unzip:.2f} s | {seconds:.1f} s |")
    check(len(table) == 2 * len(targets), f"only {len(table)} of {2 * len(targets)} installs ran")
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: pip on the image-like venv installs exactly the image-aware bundle's wheels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
