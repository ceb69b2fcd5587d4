"""A build for a preset needs no network beyond the package index.

The index is nginx on loopback (scripts/index-server); every other route is closed: HTTPS_PROXY / HTTP_PROXY point
at a loopback port nothing listens on, NO_PROXY lets only 127.0.0.1 through. Without --airflow-constraints or
--no-airflow-constraints:
  - `build --target mwaa-2.10.3` (Python 3.11) and `--target mwaa-3.3.1` (3.12) succeed, and the image's embedded
    Airflow constraints decide: the index has apache-airflow-providers-snowflake and snowflake-connector-python at
    each image's pin and newer, and the bundle holds the pinned versions;
  - `lock` records the image file as its Airflow-constraints input;
  - a requirement against a pin fails naming the image file and line of the pin;
  - a preset without embedded constraints (mwaa-2.6.3) still downloads them, which this closed network refuses
    (so the closed routes are real), and --no-airflow-constraints takes the newest versions (so the pins are).

    test_preset_offline.py --wheelhouse PATH --fixtures DIR
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from e2e_support import check, failures, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "apache-airflow-providers-snowflake"
CONNECTOR = "snowflake-connector-python"
# The pins of each image's etc/airflow_constraints.txt (and their lines), and a newer release of each.
PINS = {
    "mwaa-2.10.3": {PROVIDER: ("5.8.0", 183), CONNECTOR: ("3.12.3", 655)},
    "mwaa-3.3.1": {PROVIDER: ("6.16.0", 187), CONNECTOR: ("4.7.2", 651)},
}
NEWEST = {PROVIDER: "6.17.0", CONNECTOR: "4.8.0"}


def index_description():
    versions = {name: sorted({pins[name][0] for pins in PINS.values()} | {NEWEST[name]},
                             key=lambda v: [int(x) for x in v.split(".")]) for name in (PROVIDER, CONNECTOR)}
    return {"packages": [
        {"name": PROVIDER, "versions": [{"version": v, "requires_dist": [f"{CONNECTOR}>=3.0"]}
                                        for v in versions[PROVIDER]]},
        {"name": CONNECTOR, "versions": [{"version": v} for v in versions[CONNECTOR]]},
    ]}


def run(cmd, env):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=300)


def closed_env(tmp):
    """Only loopback is reachable: any other request goes to a proxy port nothing listens on."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("PIP_")}
    closed = f"http://127.0.0.1:{free_port()}"
    env.update({"HTTPS_PROXY": closed, "https_proxy": closed, "HTTP_PROXY": closed, "http_proxy": closed,
                "ALL_PROXY": closed, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                "WHEELHOUSE_CACHE_DIR": str(tmp / "cache")})
    return env


def bundled(dist):
    report = json.loads((dist / "build-report.json").read_text())
    return {p["name"]: p["version"] for p in report["packages"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    wh = Path(args.wheelhouse).resolve()

    with tempfile.TemporaryDirectory(prefix="wheelhouse-e2e-offline-") as tmp_name:
        tmp = Path(tmp_name)
        description = tmp / "packages.json"
        description.write_text(json.dumps(index_description()))
        requirements = tmp / "requirements.txt"
        requirements.write_text(f"{PROVIDER}\n")
        state = tmp / "index-server"
        r = subprocess.run([str(ROOT / "scripts" / "index-server"), "start", str(state), "0", str(description)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print("FAIL: the index server did not start:", r.stderr, flush=True)
            return 1
        try:
            servers = json.loads((state / "servers.json").read_text())
            index = ["-i", f"http://127.0.0.1:{servers['http_port']}/simple", "--trusted-host", "127.0.0.1"]
            env = closed_env(tmp)

            for target, pins in PINS.items():
                dist = tmp / f"dist-{target}"
                r = run([wh, "build", "-r", requirements, "--target", target, *index, "-o", dist], env)
                print(r.stdout, r.stderr, flush=True)
                if not check(r.returncode == 0, f"{target}: build failed (exit {r.returncode}): {r.stderr}"):
                    continue
                got = bundled(dist)
                want = {name: version for name, (version, _) in pins.items()}
                check(got == want, f"{target}: the bundle holds {got}, the image's constraints pin {want}")

                lock = tmp / f"{target}.lock.json"
                r = run([wh, "lock", "-r", requirements, "--target", target, *index, "-o", lock], env)
                if check(r.returncode == 0, f"{target}: lock failed (exit {r.returncode}): {r.stderr}"):
                    inputs = json.loads(lock.read_text())["inputs"]
                    airflow = [i for i in inputs if i["kind"] == "airflow-constraints"]
                    check([i["location"] for i in airflow] == [f"{target} image etc/airflow_constraints.txt"],
                          f"{target}: the lock's Airflow-constraints input is {airflow}")

                # A requirement against a pin: the error names the image file and the pin's line.
                against = tmp / f"against-{target}.txt"
                against.write_text(f"{PROVIDER}=={NEWEST[PROVIDER]}\n")
                r = run([wh, "lock", "-r", against, "--target", target, *index, "-o", tmp / "x.json"], env)
                where = f"{target} image etc/airflow_constraints.txt:{pins[PROVIDER][1]}"
                check(r.returncode == 2 and where in r.stderr,
                      f"{target}: a requirement against the pin: exit {r.returncode}, expected exit 2 naming "
                      f"{where}: {r.stderr}")

            # The controls: the closed network is real, and the pins are what chose the versions above.
            r = run([wh, "build", "-r", requirements, "--target", "mwaa-2.6.3", *index, "-o", tmp / "dist-2.6.3"],
                    env)
            check(r.returncode == 3 and "cannot download the Airflow constraints" in r.stderr,
                  f"mwaa-2.6.3 has no embedded constraints: the download must fail on this closed network, got exit "
                  f"{r.returncode}: {r.stderr}")
            r = run([wh, "build", "-r", requirements, "--target", "mwaa-2.10.3", "--no-airflow-constraints", *index,
                     "-o", tmp / "dist-free"], env)
            if check(r.returncode == 0, f"--no-airflow-constraints build failed: {r.stderr}"):
                got = bundled(tmp / "dist-free")
                check(got == NEWEST, f"without the Airflow constraints the newest versions win: got {got}")
        finally:
            subprocess.run([str(ROOT / "scripts" / "index-server"), "stop", str(state)], capture_output=True,
                           timeout=60)

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: preset builds needed nothing beyond the loopback index and applied the image's constraints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
