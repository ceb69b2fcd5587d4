#!/usr/bin/env python3
"""Build valid wheels and a static package index tree from a small JSON description (stdlib only).

    make_index.py DESCRIPTION.json OUT_DIR

DESCRIPTION:
    {"packages": [
        {"name": "Demo-Pkg",
         "versions": [
            {"version": "1.0",
             "tags": ["py3-none-any"],            # one wheel per tag (default py3-none-any)
             "requires_python": ">=3.8",          # optional
             "requires_dist": ["six>=1.0"],       # optional
             "extras": {"cli": ["click"]},        # optional: Provides-Extra + marker-qualified Requires-Dist
             "yanked": "broken build",            # optional: true or a reason
             "metadata_file": true,               # optional (default true): publish PEP 658 .metadata
             "payload_bytes": 0,                  # optional: extra pseudo-random data file in the wheel
             "payload_by_tag": {"py3-none-any": 0},  # optional: payload_bytes for the wheel of one tag
             "license": "Apache 2.0",              # optional: License, License-Expression and Classifier
             "license_expression": "MIT",          #   headers (Metadata-Version 2.4 with an expression)
             "classifiers": ["License :: OSI Approved :: MIT License"]}
         ]}]}

OUT_DIR gets:
    simple/index.html, simple/index.json                    project lists (PEP 503 / PEP 691)
    simple/<normalized>/index.html, index.json              project pages with #sha256=, data-requires-python,
                                                            data-dist-info-metadata / data-core-metadata,
                                                            data-yanked (PEP 503/592/658/714/691)
    files/<wheel>, files/<wheel>.metadata                   wheels and their core metadata
    manifest.json                                           {"files": {filename: {"sha256", "size", "project"}}}
"""

import base64
import hashlib
import html
import json
import random
import re
import sys
import zipfile
from pathlib import Path

FIXED_DATE = (2020, 1, 1, 0, 0, 0)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name_part(name):
    return re.sub(r"[-_.]+", "_", name)


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def expand_tag(tag):
    """A compressed tag set (py2.py3-none-any, cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64) as the
    single tags the WHEEL file lists, one per line."""
    parts = tag.split("-", 2)
    if len(parts) != 3:
        return [tag]  # not a tag triple: tests of malformed wheels write it as given
    interpreters, abis, platforms = parts
    return [f"{i}-{a}-{p}" for i in interpreters.split(".") for a in abis.split(".") for p in platforms.split(".")]


def core_metadata(project, version):
    metadata_version = "2.4" if version.get("license_expression") else "2.1"
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {project['name']}", f"Version: {version['version']}"]
    if version.get("license"):
        lines.append(f"License: {version['license']}")
    if version.get("license_expression"):
        lines.append(f"License-Expression: {version['license_expression']}")
    for classifier in version.get("classifiers", []):
        lines.append(f"Classifier: {classifier}")
    if version.get("requires_python"):
        lines.append(f"Requires-Python: {version['requires_python']}")
    for req in version.get("requires_dist", []):
        lines.append(f"Requires-Dist: {req}")
    for extra, reqs in sorted(version.get("extras", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            joiner = " and " if ";" in req else "; "
            lines.append(f"Requires-Dist: {req}{joiner}extra == \"{extra}\"")
    lines.append(f"Summary: generated test package {project['name']}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_wheel(path, project, version, tag):
    dist = f"{wheel_name_part(project['name'])}-{version['version']}"
    dist_info = f"{dist}.dist-info"
    module = wheel_name_part(project["name"]).lower()
    files = {
        f"{module}/__init__.py": f"__version__ = {version['version']!r}\n".encode("utf-8"),
        f"{dist_info}/METADATA": core_metadata(project, version),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: wheelhouse-make-index\nRoot-Is-Purelib: "
            f"{'true' if tag.endswith('-none-any') else 'false'}\n" + "".join(f"Tag: {t}\n" for t in expand_tag(tag))
        ).encode("utf-8"),
    }
    payload = int(version.get("payload_by_tag", {}).get(tag, version.get("payload_bytes", 0)))
    if payload > 0:
        rng = random.Random(f"{project['name']}-{version['version']}-{tag}")
        files[f"{module}/payload.bin"] = rng.randbytes(payload)
    record_lines = [f"{name},{record_hash(data)},{len(data)}" for name, data in files.items()]
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode("utf-8")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".bin") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return files[f"{dist_info}/METADATA"]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    description = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2])
    files_dir = out / "files"
    simple_dir = out / "simple"
    files_dir.mkdir(parents=True, exist_ok=True)
    simple_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"files": {}}
    projects = []
    for project in description["packages"]:
        norm = normalize(project["name"])
        projects.append((project["name"], norm))
        entries = []
        for version in project["versions"]:
            for tag in version.get("tags", ["py3-none-any"]):
                filename = f"{wheel_name_part(project['name'])}-{version['version']}-{tag}.whl"
                wheel_path = files_dir / filename
                metadata = build_wheel(wheel_path, project, version, tag)
                data = wheel_path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                entry = {"filename": filename, "sha256": sha, "size": len(data), "version": version}
                if version.get("metadata_file", True):
                    (files_dir / f"{filename}.metadata").write_bytes(metadata)
                    entry["metadata_sha256"] = hashlib.sha256(metadata).hexdigest()
                manifest["files"][filename] = {"sha256": sha, "size": len(data), "project": norm}
                entries.append(entry)
        page_dir = simple_dir / norm
        page_dir.mkdir(parents=True, exist_ok=True)
        links = []
        json_files = []
        for e in entries:
            v = e["version"]
            attrs = [f'href="../../files/{html.escape(e["filename"])}#sha256={e["sha256"]}"']
            jf = {"filename": e["filename"], "url": f"../../files/{e['filename']}", "hashes": {"sha256": e["sha256"]},
                  "size": e["size"]}
            if v.get("requires_python"):
                attrs.append(f'data-requires-python="{html.escape(v["requires_python"], quote=True)}"')
                jf["requires-python"] = v["requires_python"]
            if "metadata_sha256" in e:
                value = f"sha256={e['metadata_sha256']}"
                attrs.append(f'data-dist-info-metadata="{value}"')
                attrs.append(f'data-core-metadata="{value}"')
                jf["core-metadata"] = {"sha256": e["metadata_sha256"]}
                jf["dist-info-metadata"] = {"sha256": e["metadata_sha256"]}
            else:
                jf["core-metadata"] = False
            yanked = v.get("yanked")
            if yanked:
                reason = "" if yanked is True else str(yanked)
                attrs.append(f'data-yanked="{html.escape(reason, quote=True)}"')
                jf["yanked"] = reason if reason else True
            else:
                jf["yanked"] = False
            links.append(f'    <a {" ".join(attrs)}>{html.escape(e["filename"])}</a><br/>')
            json_files.append(jf)
        (page_dir / "index.html").write_text(
            "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n"
            f"    <title>Links for {html.escape(norm)}</title>\n  </head>\n  <body>\n"
            f"    <h1>Links for {html.escape(norm)}</h1>\n" + "\n".join(links) + "\n  </body>\n</html>\n",
            encoding="utf-8")
        versions = sorted({e["version"]["version"] for e in entries})
        (page_dir / "index.json").write_text(
            json.dumps({"meta": {"api-version": "1.1"}, "name": norm, "versions": versions, "files": json_files},
                       indent=1) + "\n", encoding="utf-8")
    root_links = "\n".join(f'    <a href="{html.escape(n)}/">{html.escape(name)}</a><br/>' for name, n in projects)
    (simple_dir / "index.html").write_text(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n"
        "    <title>Simple index</title>\n  </head>\n  <body>\n" + root_links + "\n  </body>\n</html>\n",
        encoding="utf-8")
    (simple_dir / "index.json").write_text(
        json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": name} for name, _ in projects]}, indent=1)
        + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
