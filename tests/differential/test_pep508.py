"""Differential test of pep508 markers and requirements against pip's vendored packaging.

Generates random marker expressions (evaluated against random environments and extras) and
random requirement strings (valid and mutated), asks the reference and the probe, and compares
validity, canonical strings and evaluation results.

Documented exceptions: the reference is packaging 24.1 (pip 24.2) while the project follows the
26-era behaviour of the pinned pypa/packaging corpus. Where those two releases differ by design,
the case is counted as an exception by class (printed in the summary), not compared:
  order-on-string    `<`, `<=`, `>=`, `>`, `~=`, `===` on a non-version variable: 24.1 compares
                     as versions when the literal parses as one and otherwise lexicographically
                     (or raises); 26 only compares python_version, python_full_version,
                     implementation_version and platform_release as versions, and for plain
                     strings `<`/`>` are false, `<=`/`>=` mean equality, `~=`/`===` are undefined.
  order-non-spec     the same operators on a version variable whose literal is not a valid
                     specifier: 24.1 compares lexicographically, 26 as plain strings (above).
  non-version-value  a version variable whose value is not a PEP 440 version, compared with a
                     valid specifier: 24.1 raises InvalidVersion, 26 answers false.
  extra-as-version   `extra` compared with a literal that makes a valid specifier: 24.1 compares
                     them as versions (issue #938), 26 as normalised names.
  extra-normalisation  24.1 normalises only the first top-level `extra` literal when printing,
                     and turns a variable compared with `extra` into a string; 26 normalises
                     every literal and leaves variables alone. Handled by printing the reference's
                     raw parse tree with 26's rule (normalised_26), so it is still compared.
  double-quote-literal  a literal containing '"': 24.1 prints it inside double quotes anyway
                     (unparseable), 26 switches to single quotes (only str is affected).
  double-parens      a group nested in redundant parentheses: 24.1 prints it without them
                     (changing precedence), 26 keeps one pair (only str is affected).
  untagged-python    python_full_version ending in "+": 26 repairs it to "+local", 24.1 raises.
  less-than-post-release, greater-than-post-or-local, compatible-text-prefix
                     a version comparison that falls in one of the pep440 classes documented in
                     test_pep440.py (e.g. `python_full_version < "3.12.0.post1"` with 3.12.0a5).
  url-spacing        str(Requirement) with a URL: 24.1 prints "name@ url", 26 "name @ url"
                     (only the str comparison is adjusted; name/url/marker are compared as is).
Inputs that the two releases treat differently and that the generators therefore never produce:
backslashes in quoted strings (26 rejects what 24.1 decodes as Python escapes; the project
rejects all), trailing line breaks (24.1 accepts them), and the lock-file variables `extras`/`dependency_groups`
(not known to 24.1).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading

from pip._vendor.packaging._parser import Value as RawValue
from pip._vendor.packaging._parser import Variable as RawVariable
from pip._vendor.packaging._parser import parse_marker as raw_parse_marker
from pip._vendor.packaging._parser import parse_requirement as raw_parse_requirement
from pip._vendor.packaging.markers import Marker, _format_marker
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import InvalidSpecifier, Specifier
from pip._vendor.packaging.utils import canonicalize_name
from pip._vendor.packaging.version import InvalidVersion, Version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_pep440 import skipped_class as pep440_difference  # noqa: E402  (same documented classes)
from pip._vendor.packaging.specifiers import SpecifierSet  # noqa: E402

VERSION_VARS = ["python_version", "python_full_version", "implementation_version", "platform_release"]
STRING_VARS = [
    "os_name",
    "sys_platform",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
]
LEGACY = {
    "os.name": "os_name",
    "sys.platform": "sys_platform",
    "platform.version": "platform_version",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    "python_implementation": "platform_python_implementation",
}
OPS = ["<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in"]
VERSION_LITERALS = [
    "3", "3.8", "3.11", "3.11.9", "3.12", "2.7", "3.7.0", "3.10.*", "3.*", "1.0a1", "3.11.0rc1",
    "3.12.0.post1", "3.9.dev0", "1!2.0", "3.11+local", "5.10", "6.1.0", "3.1O", "abc", "", "3.11.9.0",
]
STRING_LITERALS = [
    "posix", "nt", "linux", "win32", "darwin", "Linux", "Windows", "x86_64", "aarch64", "CPython",
    "PyPy", "cpython", "pypy", "#1 SMP", "lin", "ux", "", "posix nt", "3.8", "a'b", "o",
]
EXTRA_LITERALS = ["security", "s3", "foo-bar", "tests", "", "a b", "S3", "Foo_Bar", "foo.bar", "v2"]
WS = ["", " ", "  ", "\t"]


def rand_env(rng: random.Random) -> dict[str, str]:
    minor = rng.choice([7, 8, 9, 10, 11, 12, 13])
    micro = rng.randint(0, 12)
    full = f"3.{minor}.{micro}" + rng.choice(["", "", "", "rc1", "a5", "+"])
    return {
        "python_version": f"3.{minor}",
        "python_full_version": full,
        "implementation_version": full if rng.random() < 0.7 else f"7.3.{micro}",
        "platform_release": rng.choice(["5.10.0", "6.1.0", "5.15", "", "NT", "5.10.0-1057-aws"]),
        "os_name": rng.choice(["posix", "nt"]),
        "sys_platform": rng.choice(["linux", "win32", "darwin"]),
        "platform_system": rng.choice(["Linux", "Windows", "Darwin"]),
        "platform_version": rng.choice(["", "#1 SMP", "10.0.19041"]),
        "platform_machine": rng.choice(["x86_64", "aarch64", "AMD64"]),
        "platform_python_implementation": rng.choice(["CPython", "PyPy"]),
        "implementation_name": rng.choice(["cpython", "pypy"]),
    }


class MarkerGen:
    """Builds marker text and remembers its comparisons for classifying exceptions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def quote(self, value: str) -> str:
        # A literal holding a single quote must use double quotes (and vice versa).
        q = '"' if "'" in value else self.rng.choice(["'", '"'])
        return f"{q}{value}{q}"

    def atom(self, atoms: list) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            var = rng.choice(VERSION_VARS)
            op = rng.choice(OPS) if rng.random() < 0.5 else rng.choice(["<", "<=", "==", "!=", ">=", ">", "~="])
            value = rng.choice(VERSION_LITERALS)
        elif roll < 0.8:
            var = rng.choice(STRING_VARS + list(LEGACY))
            op = rng.choice(["==", "!=", "in", "not in"]) if rng.random() < 0.85 else rng.choice(OPS)
            value = rng.choice(STRING_LITERALS)
        elif roll < 0.97:
            var = "extra"
            op = rng.choice(["==", "!=", "==", "in", "not in"])
            value = rng.choice(EXTRA_LITERALS[:6] if rng.random() < 0.8 else EXTRA_LITERALS)
        else:
            a, b = rng.sample(STRING_VARS + ["extra"], 2)
            atoms.append(("varvar", a, rng.choice(["==", "!="]), b))
            return f"{a}{rng.choice(WS)} {atoms[-1][2]} {rng.choice(WS)}{b}"
        key = LEGACY.get(var, var)
        flipped = rng.random() < 0.25
        atoms.append(("item", key, op, value, flipped))
        ws1, ws2 = rng.choice(WS), rng.choice(WS)
        if op in ("in", "not in"):
            ws1, ws2 = ws1 or " ", ws2 or " "
        lit = self.quote(value)
        if flipped:
            return f"{lit}{ws1}{op}{ws2}{var}"
        return f"{var}{ws1}{op}{ws2}{lit}"

    def expr(self, depth: int, atoms: list) -> str:
        rng = self.rng
        parts = []
        for i in range(rng.randint(1, 3 if depth < 2 else 1)):
            if i:
                parts.append(f"{rng.choice(WS) or ' '}{rng.choice(['and', 'or'])}{rng.choice(WS) or ' '}")
            if depth < 2 and rng.random() < 0.3:
                parts.append("(" + rng.choice(WS) + self.expr(depth + 1, atoms) + rng.choice(WS) + ")")
            else:
                parts.append(self.atom(atoms))
        return "".join(parts)


def mutate(rng: random.Random, text: str) -> str:
    if not text:
        return rng.choice(["(", "'", "x", "@"])
    i = rng.randrange(len(text) + 1)
    action = rng.random()
    junk = rng.choice(list("()[];,@'\"=<>!~* \tax.-_1#") + ["and", "or", "not", "in", " in "])
    if action < 0.4:
        return text[:i] + junk + text[i:]
    if action < 0.7:
        return text[:i] + text[i + 1 :]
    j = rng.randrange(len(text) + 1)
    i, j = min(i, j), max(i, j)
    return text[:i] + text[j:]


def divergent_atom(atom: tuple, env: dict[str, str], extras: list[str]) -> str | None:
    """The documented-exception class of one comparison under env, or None when 24.1 and 26 agree."""
    if atom[0] == "varvar":
        return "extra-normalisation" if "extra" in (atom[1], atom[3]) else None
    if atom[0] == "valval":
        return None  # both releases look the right-hand text up as a variable name
    _, key, op, value, flipped = atom
    if key == "python_full_version" and env[key].endswith("+"):
        return "untagged-python"  # also for in / not in: 26 compares against the repaired "+local" text
    if op in ("in", "not in"):
        return None
    if key == "extra":
        # 24.1 compares extras as versions when the literal makes a valid specifier (issue #938).
        for extra in extras or [""]:
            try:
                spec = Specifier(op + canonicalize_name(extra if flipped else value))
            except InvalidSpecifier:
                continue
            return "extra-as-version" if spec is not None else None
        # Otherwise 24.1 falls back to comparing the strings, which 26 does only for == and != (as for any
        # non-version variable): `extra < "6.1.0"` (literal normalised to "6-1-0", not a version) is order-on-string.
        return None if op in ("==", "!=") else "order-on-string"
    if key == "python_full_version" and env[key].endswith("+"):
        return "untagged-python"
    if key not in VERSION_VARS:
        if op in ("==", "!="):
            # 24.1 tries a version specifier first: equal versions spelled differently would differ.
            try:
                Specifier(op + (env[key] if flipped else value))
                return "order-on-string"
            except InvalidSpecifier:
                return None
        return "order-on-string"
    lhs, rhs = (value, env[key]) if flipped else (env[key], value)
    try:
        Specifier(op + rhs)
    except InvalidSpecifier:
        return "order-non-spec" if op in ("<", "<=", ">=", ">") else None
    if op == "===":
        return "order-on-string"
    try:
        candidate = Version(lhs)
    except InvalidVersion:
        return "non-version-value"
    # Version comparisons inherit the documented pep440 differences (see test_pep440.py).
    return pep440_difference(SpecifierSet(op + rhs), candidate)


def atoms_of(tree) -> list:
    """The comparisons of a raw (un-normalised) 24.1 marker tree, in the generator's atom shape."""
    out = []
    for item in tree:
        if isinstance(item, list):
            out.extend(atoms_of(item))
        elif isinstance(item, tuple):
            lhs, op, rhs = item
            if isinstance(lhs, RawVariable) and isinstance(rhs, RawVariable):
                out.append(("varvar", lhs.value, op.value, rhs.value))
            elif isinstance(lhs, RawVariable):
                out.append(("item", lhs.value, op.value, rhs.value, False))
            elif isinstance(rhs, RawVariable):
                out.append(("item", rhs.value, op.value, lhs.value, True))
            else:
                out.append(("valval",))
    return out


def normalised_26(tree):
    """A raw 24.1 tree with every `extra` literal normalised, as 26 prints it."""
    out = []
    for item in tree:
        if isinstance(item, list):
            out.append(normalised_26(item))
        elif isinstance(item, tuple):
            lhs, op, rhs = item
            if isinstance(lhs, RawVariable) and lhs.value == "extra" and isinstance(rhs, RawValue):
                rhs = RawValue(canonicalize_name(rhs.value))
            elif isinstance(rhs, RawVariable) and rhs.value == "extra" and isinstance(lhs, RawValue):
                lhs = RawValue(canonicalize_name(lhs.value))
            out.append((lhs, op, rhs))
        else:
            out.append(item)
    return out


def str_exception(tree) -> str | None:
    if has_double_parens(tree):
        return "double-parens"
    for item in tree:
        if isinstance(item, list) and str_exception(item):
            return str_exception(item)
        if isinstance(item, tuple) and any(isinstance(n, RawValue) and '"' in n.value for n in item):
            return "double-quote-literal"
    return None


def has_double_parens(tree, top: bool = True) -> bool:
    for item in tree:
        if isinstance(item, list):
            if not top and len(tree) == 1:
                return True
            if has_double_parens(item, False):
                return True
    return False


def reference_marker(text: str, cases: list) -> dict:
    try:
        m = Marker(text)
        tree = raw_parse_marker(text)
    except Exception:  # noqa: BLE001 - any failure means "invalid" for the comparison
        return {"ok": False}
    results = []
    for case in cases:
        extras = case["extras"]
        try:
            if not extras:
                results.append(m.evaluate(dict(case["env"])))
            else:
                results.append(any(m.evaluate(dict(case["env"], extra=e)) for e in extras))
        except Exception:  # noqa: BLE001
            results.append("error")
    return {"ok": True, "str": _format_marker(normalised_26(tree)), "results": results, "tree": tree}


class Probe:
    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen(
            [path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )

    def ask_all(self, queries: list[dict]) -> list[dict]:
        # A writer thread keeps feeding stdin while this thread drains stdout, so neither pipe can
        # fill up and block the other side.
        def write() -> None:
            for q in queries:
                self.proc.stdin.write(json.dumps(q) + "\n")
            self.proc.stdin.flush()

        writer = threading.Thread(target=write)
        writer.start()
        answers = [json.loads(self.proc.stdout.readline()) for _ in queries]
        writer.join()
        return answers

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def gen_requirement(rng: random.Random, mg: MarkerGen) -> tuple[str, list]:
    ws = lambda: rng.choice(WS)  # noqa: E731
    name = rng.choice(["requests", "Django", "foo-bar.quux_baz", "A", "apache-airflow", "x1", "pkg_"])
    parts = [ws(), name, ws()]
    if rng.random() < 0.4:
        extras = rng.sample(["s3", "Security", "tests", "a_b", "all.extras", "x"], rng.randint(0, 3))
        parts.append("[" + ws() + f"{ws()},{ws()}".join(extras) + ws() + "]" + ws())
    atoms: list = []
    roll = rng.random()
    if roll < 0.2:
        url = rng.choice(
            ["https://example.com/p.zip", "git+https://g.example/r.git@v1.0", "file:///tmp/x.whl", "file:.",
             "https://h/x;v=1/?q=a#f"]
        )
        parts.append("@" + ws() + url)
        if rng.random() < 0.5:
            parts.append(rng.choice([" ", "\t"]) + ws() + ";" + ws() + mg.expr(0, atoms) + ws())
    else:
        if roll < 0.85:
            clauses = []
            for _ in range(rng.randint(1, 3)):
                op = rng.choice(["==", "!=", ">=", "<=", ">", "<", "~=", "==="])
                ver = rng.choice(
                    ["1.0", "2.8.1", "2.8.*", "1!3.0.0.rc2", "1.0-alpha", "1.0+local.1", "2", "1.0.post1",
                     "1.0.dev3", "v1.2", "1.0a1", "arbitrary", "1.0.post1.*", "20.*", "1.0_RC.1"]
                )
                clauses.append(op + ws() + ver)
            text = f"{ws()},{ws()}".join(clauses)
            if rng.random() < 0.3:
                text = "(" + ws() + text + ws() + ")"
            parts.append(text + ws())
        if rng.random() < 0.5:
            parts.append(";" + ws() + mg.expr(0, atoms) + ws())
    text = "".join(parts)
    if rng.random() < 0.3:
        text = mutate(rng, text)
        atoms = []
    return text, atoms


def reference_requirement(text: str) -> dict:
    try:
        r = Requirement(text)
    except Exception:  # noqa: BLE001
        return {"ok": False}
    s = str(r)
    if r.url:
        s = s.replace(f"{r.name}{'[' + ','.join(sorted(r.extras)) + ']' if r.extras else ''}@ ", "", 1)
        s = f"{r.name}{'[' + ','.join(sorted(r.extras)) + ']' if r.extras else ''} @ " + s
    tree = raw_parse_requirement(text).marker
    marker = _format_marker(normalised_26(tree)) if tree is not None else None
    if marker is not None:
        s = s[: s.rindex("; ") + 2] + marker
    return {
        "ok": True,
        "tree": tree,
        "name": r.name,
        "extras": sorted(r.extras),
        "specifier": str(r.specifier),
        "url": r.url,
        "marker": marker,
        "str": s,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--fixtures", required=False)
    args = parser.parse_args()

    seed = int(os.environ.get("WHEELHOUSE_DIFF_SEED", random.SystemRandom().randrange(2**32)))
    count = int(os.environ.get("WHEELHOUSE_DIFF_COUNT", "12000"))
    print(f"seed {seed} (set WHEELHOUSE_DIFF_SEED to reproduce), {count} markers, {count // 2} requirements")
    rng = random.Random(seed)
    mg = MarkerGen(rng)

    queries, meta = [], []
    for _ in range(count):
        atoms: list = []
        text = mg.expr(0, atoms)
        if rng.random() < 0.15:
            text, atoms = mutate(rng, text), []
        cases = []
        for _ in range(4):
            env = rand_env(rng)
            extras = rng.choice([[], [], [rng.choice(EXTRA_LITERALS)], rng.sample(EXTRA_LITERALS, 2)])
            cases.append({"env": env, "extras": extras})
        queries.append({"kind": "marker", "text": text, "cases": cases})
        meta.append(atoms)
    for _ in range(count // 2):
        text, atoms = gen_requirement(rng, mg)
        queries.append({"kind": "requirement", "text": text})
        meta.append(atoms)

    probe = Probe(args.probe)
    answers = probe.ask_all(queries)
    probe.close()

    compared = 0
    kinds = {"marker texts": 0, "marker evaluations": 0, "requirements": 0}
    exceptions: dict[str, int] = {}
    disagreements = []
    for query, atoms, ours in zip(queries, meta, answers):
        text = query["text"]
        if query["kind"] == "marker":
            ref = reference_marker(text, query["cases"])
            compared += 1
            kinds["marker texts"] += 1
            if ref["ok"] != ours["ok"]:
                disagreements.append(f"marker validity {text!r}: reference {ref['ok']}, probe {ours}")
                continue
            if not ref["ok"]:
                continue
            atoms = atoms_of(ref["tree"])
            if cls := str_exception(ref["tree"]):
                exceptions[cls] = exceptions.get(cls, 0) + 1
            elif ref["str"] != ours["str"]:
                disagreements.append(f"marker str {text!r}: reference {ref['str']!r}, probe {ours['str']!r}")
            else:
                compared += 1
            for case, r, o in zip(query["cases"], ref["results"], ours["results"]):
                classes = {c for a in atoms if (c := divergent_atom(a, case["env"], case["extras"]))}
                if classes:
                    for c in classes:
                        exceptions[c] = exceptions.get(c, 0) + 1
                    continue
                compared += 1
                kinds["marker evaluations"] += 1
                if r != o:
                    disagreements.append(
                        f"marker eval {text!r} env={case['env']} extras={case['extras']}: reference {r}, probe {o}"
                    )
        else:
            ref = reference_requirement(text)
            compared += 1
            kinds["requirements"] += 1
            if ref["ok"] != ours["ok"]:
                disagreements.append(f"requirement validity {text!r}: reference {ref}, probe {ours}")
                continue
            if not ref["ok"]:
                continue
            if ref.get("url"):
                exceptions["url-spacing"] = exceptions.get("url-spacing", 0) + 1
            fields = ["name", "extras", "specifier", "url", "marker", "str"]
            if ref["tree"] is not None and (cls := str_exception(ref["tree"])):
                exceptions[cls] = exceptions.get(cls, 0) + 1
                fields = fields[:4]
            for field in fields:
                if ref[field] != ours[field]:
                    disagreements.append(
                        f"requirement {field} {text!r}: reference {ref[field]!r}, probe {ours[field]!r}"
                    )

    print(f"documented exceptions (not compared): {json.dumps(exceptions, sort_keys=True)}")
    print("compared by kind: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    print(f"{compared} compared, {len(disagreements)} disagreements")
    for line in disagreements[:20]:
        print("  " + line)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
