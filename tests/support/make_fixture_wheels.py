#!/usr/bin/env python3
"""Writes the tiny wheels in fixtures/wheels/ used by the archive unit tests.

Deterministic (fixed timestamps and permissions), standard library only. Run it from anywhere:
    python3 tests/support/make_fixture_wheels.py [OUTPUT_DIR]
The output is committed; re-run only when changing the fixtures, and keep each wheel < 4 KB.
"""

import base64
import hashlib
import pathlib
import sys
import zipfile

DATE = (2024, 1, 2, 3, 4, 6)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build(files, dist_info=None, record_override=None, symlinks=()):
    """files: list of (name, bytes, mode). Returns the wheel as bytes via an in-memory zip.

    With dist_info set, a RECORD listing every file (and itself, without hash) is appended;
    record_override maps a path to the (hash, size) to write instead of the true ones.
    """
    import io

    entries = list(files)
    if dist_info is not None:
        rows = []
        for name, data, _mode in entries:
            h, size = record_hash(data), str(len(data))
            if record_override and name in record_override:
                h, size = record_override[name]
            if "," in name:
                name = '"' + name.replace('"', '""') + '"'
            rows.append(f"{name},{h},{size}")
        rows.append(f"{dist_info}/RECORD,,")
        entries.append((f"{dist_info}/RECORD", ("\n".join(rows) + "\n").encode(), 0o644))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the mode bits are meaningful
            zf.writestr(info, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = (0o120000 | 0o777) << 16
            info.create_system = 3
            zf.writestr(info, target)
    return buffer.getvalue()


def wheel_file(purelib: bool, tags) -> bytes:
    lines = ["Wheel-Version: 1.0", "Generator: make_fixture_wheels.py",
             f"Root-Is-Purelib: {'true' if purelib else 'false'}"]
    lines += [f"Tag: {t}" for t in tags]
    return ("\n".join(lines) + "\n").encode()


DEMO_METADATA = """\
Metadata-Version: 2.1
Name: demo-pkg
Version: 1.0.0
Summary: A tiny pure-Python wheel for tests
Requires-Python: >=3.8
Requires-Dist: requests[socks,security] >=2.28,<3
Requires-Dist: tomli >=1.1.0 ; python_version < "3.11"
Requires-Dist: pywin32 ; sys_platform == "win32"
Requires-Dist: pytest >=7 ; extra == "test"
Provides-Extra: test

Demo package.
"""

NATIVE_METADATA = """\
Metadata-Version: 2.1
Name: native_pkg
Version: 2.1.0
Summary: A wheel with an extension module
Requires-Python: >=3.11
Requires-Dist: numpy >=1.24
"""


def demo_files():
    d = "demo_pkg-1.0.0.dist-info"
    return d, [
        ("demo_pkg/__init__.py", b'__version__ = "1.0.0"\n', 0o644),
        ("demo_pkg/util.py", b"def answer():\n    return 42\n", 0o644),
        (f"{d}/METADATA", DEMO_METADATA.encode(), 0o644),
        (f"{d}/WHEEL", wheel_file(True, ["py3-none-any"]), 0o644),
        (f"{d}/top_level.txt", b"demo_pkg\n", 0o644),
    ]


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
        pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "wheels")
    out.mkdir(parents=True, exist_ok=True)
    wheels = {}

    d, files = demo_files()
    wheels["demo_pkg-1.0.0-py3-none-any.whl"] = build(files, d)

    nd = "native_pkg-2.1.0.dist-info"
    wheels["native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"] = build([
        ("native_pkg/__init__.py", b"from ._speedups import *\n", 0o644),
        ("native_pkg/_speedups.cpython-311-x86_64-linux-gnu.so", b"\x7fELF\x02\x01\x01" + bytes(57), 0o755),
        ("native_pkg/data, with comma.txt", b"quoted in RECORD\n", 0o644),
        (f"{nd}/METADATA", NATIVE_METADATA.encode(), 0o644),
        (f"{nd}/WHEEL", wheel_file(False, ["cp311-cp311-manylinux_2_17_x86_64",
                                          "cp311-cp311-manylinux2014_x86_64"]), 0o644),
    ], nd)

    ed = "evil_pkg-1.0.dist-info"
    wheels["evil_pkg-1.0-py3-none-any.whl"] = build([
        ("evil_pkg/__init__.py", b"", 0o644),
        ("../evil", b"escaped\n", 0o644),
        (f"{ed}/METADATA", b"Metadata-Version: 2.1\nName: evil-pkg\nVersion: 1.0\n", 0o644),
        (f"{ed}/WHEEL", wheel_file(True, ["py3-none-any"]), 0o644),
    ], ed)

    ad = "abs_pkg-1.0.dist-info"
    wheels["abs_pkg-1.0-py3-none-any.whl"] = build([
        ("/tmp/abs_pkg_escape", b"absolute\n", 0o644),
        (f"{ad}/METADATA", b"Metadata-Version: 2.1\nName: abs-pkg\nVersion: 1.0\n", 0o644),
        (f"{ad}/WHEEL", wheel_file(True, ["py3-none-any"]), 0o644),
    ], ad)

    wheels["nodistinfo_pkg-1.0-py3-none-any.whl"] = build([
        ("nodistinfo_pkg/__init__.py", b"", 0o644),
        ("nodistinfo_pkg/METADATA", b"Metadata-Version: 2.1\nName: nodistinfo-pkg\nVersion: 1.0\n", 0o644),
    ])

    bd = "badrecord_pkg-1.0.dist-info"
    wrong = record_hash(b"something else")
    bd_files = [
        ("badrecord_pkg/__init__.py", b"VALUE = 1\n", 0o644),
        ("badrecord_pkg/other.py", b"OTHER = 2\n", 0o644),
        (f"{bd}/METADATA", b"Metadata-Version: 2.1\nName: badrecord-pkg\nVersion: 1.0\n", 0o644),
        (f"{bd}/WHEEL", wheel_file(True, ["py3-none-any"]), 0o644),
    ]
    wheels["badrecord_pkg-1.0-py3-none-any.whl"] = build(bd_files, bd, record_override={
        "badrecord_pkg/__init__.py": (wrong, "10"),
        "badrecord_pkg/other.py": (record_hash(b"OTHER = 2\n"), "999"),
    })

    td, tfiles = demo_files()
    tfiles = [(n.replace("demo_pkg", "truncated_pkg").replace("1.0.0", "1.0"), data, m) for n, data, m in tfiles]
    full = build(tfiles, "truncated_pkg-1.0.dist-info")
    wheels["truncated_pkg-1.0-py3-none-any.whl"] = full[: len(full) // 2]

    ld = "link_pkg-1.0.dist-info"
    wheels["link_pkg-1.0-py3-none-any.whl"] = build([
        ("link_pkg/__init__.py", b"", 0o644),
        (f"{ld}/METADATA", b"Metadata-Version: 2.1\nName: link-pkg\nVersion: 1.0\n", 0o644),
        (f"{ld}/WHEEL", wheel_file(True, ["py3-none-any"]), 0o644),
    ], ld, symlinks=[("link_pkg/alias.py", "__init__.py")])

    for name, data in sorted(wheels.items()):
        assert len(data) < 4096, (name, len(data))
        (out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
