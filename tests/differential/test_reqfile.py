"""Differential test: wheelhouse's requirements-file parser against pip's own parser.

Every fixture in fixtures/reqfiles/*.txt, and generated files built from a pool of tricky lines,
are read by pip (pip._internal.req.req_file.parse_requirements with a PipSession, a PackageFinder
to collect the options, and install_req_from_parsed_requirement for each line) and by
probe_reqfile. Where both accept, requirement strings, hashes, per-requirement options, origins
(file:line) and the collected options must match; a fixture named bad_* must be rejected by both;
unsupported_* (and generated lines of those kinds) are accepted by pip and rejected by us on
purpose, with a hint. Also checks the MWAA requirements file written by the bundle rewrite
(fixtures/bundle/mwaa_requirements.txt, which tests/unit/bundle asserts is the rewrite's exact
output): pip must parse it and see --no-index, the find-links path and the constraints path.

Usage: python test_reqfile.py --probe PATH --fixtures DIR
Env: WHEELHOUSE_DIFF_SEED, WHEELHOUSE_DIFF_COUNT (generated files, default 1500).
"""

import argparse
import contextlib
import io
import json
import logging
import optparse
import os
import random
import re
import subprocess
import sys
import tempfile

if not sys.flags.utf8_mode:
    # pip decodes files with the locale's encoding; make that UTF-8 whatever the CI locale is.
    os.execv(sys.executable, [sys.executable, "-X", "utf8"] + sys.argv)

from pip._internal.cli import cmdoptions  # noqa: E402
from pip._internal.index.collector import LinkCollector  # noqa: E402
from pip._internal.index.package_finder import PackageFinder  # noqa: E402
from pip._internal.models.search_scope import SearchScope  # noqa: E402
from pip._internal.models.selection_prefs import SelectionPreferences  # noqa: E402
from pip._internal.network.session import PipSession  # noqa: E402
from pip._internal.req import req_file  # noqa: E402
from pip._internal.req.constructors import install_req_from_parsed_requirement  # noqa: E402
from pip._internal.utils.misc import parse_netloc  # noqa: E402
from pip._internal.utils.urls import url_to_path  # noqa: E402
from pip._vendor.packaging.requirements import Requirement  # noqa: E402
from pip._vendor.requests.adapters import BaseAdapter  # noqa: E402
from pip._vendor.requests.models import Response  # noqa: E402

PYPI = "https://pypi.org/simple"
ENV = {
    "WH_INDEX_HOST": "pypi.example.org",
    "WH_USER": "deploy",
    "WH_TOKEN": "s3cr3t",
    "WH_VERSION": "2.31.0",
    "WH_EMPTY": "",
}
UNSUPPORTED = ("not supported", "must point to a wheel", "hexadecimal digits", "UTF-16")


class LocalAdapter(BaseAdapter):
    """Serves https://HOST/PATH from REMOTE/HOST/PATH, as the probe's fetcher does."""

    def __init__(self, root):
        super().__init__()
        self.root = root

    def send(self, request, **kwargs):
        resp = Response()
        resp.url = request.url
        resp.request = request
        rest = request.url.split("://", 1)[1]
        path = os.path.join(self.root, rest)
        try:
            with open(path, "rb") as f:
                resp._content = f.read()
            resp.status_code = 200
        except OSError:
            resp._content = b""
            resp.status_code = 404
        resp.encoding = "utf-8"
        return resp

    def close(self):
        pass


def pip_model(name, remote_root):
    # pip's --use-feature option shares one default list between parser instances, and values
    # appended to it leak into later parses in the same process: start each file clean.
    cmdoptions.use_new_feature().default.clear()
    session = PipSession()
    adapter = LocalAdapter(remote_root)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    scope = SearchScope.create(find_links=[], index_urls=[PYPI], no_index=False)
    finder = PackageFinder.create(
        link_collector=LinkCollector(session=session, search_scope=scope),
        selection_prefs=SelectionPreferences(allow_yanked=True),
    )
    options = optparse.Values({"require_hashes": False, "features_enabled": []})
    reqs, cons = [], []
    for pr in req_file.parse_requirements(name, session, finder=finder, options=options):
        if pr.is_editable:
            return {"accepted_unsupported": "editable"}
        ireq = install_req_from_parsed_requirement(pr)
        if ireq.req is None:
            return {"accepted_unsupported": "unnamed requirement " + pr.requirement}
        if ireq.link is not None and (ireq.link.is_vcs or not ireq.link.is_wheel):
            return {"accepted_unsupported": "not a wheel: " + pr.requirement}
        r = Requirement(str(ireq.req))
        if ireq.markers is not None:
            r.marker = ireq.markers
        kind = "named"
        location = None
        if ireq.req.url is None and ireq.link is not None:
            r.extras = set(ireq.extras)
            first = pr.requirement.split("; ")[0].strip()
            if req_file.SCHEME_RE.search(first) or first.lower().startswith("ftp:"):
                kind = "wheel_url"
                location = ireq.link.url
            else:
                kind = "wheel_path"
                location = url_to_path(ireq.link.url)
        m = re.match(r"^-([rc]) (.*) \(line (\d+)\)$", pr.comes_from)
        opts = pr.options or {}
        cs = {}
        for k, v in (opts.get("config_settings") or {}).items():
            cs[k] = v if isinstance(v, list) else [v]
        entry = {
            "kind": kind,
            "text": pr.requirement,
            "requirement": str(r),
            "location": location,
            "hashes": opts.get("hashes", {}),
            "global_options": opts.get("global_options", []),
            "config_settings": cs,
            "origin": f"{m.group(2)}:{m.group(3)}",
            "constraint": pr.constraint,
        }
        (cons if pr.constraint else reqs).append(entry)
    fc = finder.format_control
    return {
        "requirements": reqs,
        "constraints": cons,
        "options": {
            "index_urls": list(finder.index_urls),
            "no_index": finder.search_scope.no_index,
            "find_links": list(finder.find_links),
            "trusted_hosts": [list(t) for t in session.pip_trusted_origins],
            "pre": finder.allow_all_prereleases,
            "prefer_binary": finder.prefer_binary,
            "require_hashes": bool(options.require_hashes),
            "no_binary": sorted(fc.no_binary),
            "only_binary": sorted(fc.only_binary),
            "features_enabled": list(options.features_enabled),
        },
    }


def normalized(text):
    """Our canonical text through packaging, so that spelling quirks of the reference's str()
    (packaging 24.1 prints `name@ url`) do not count: the requirement must be the same."""
    try:
        return str(Requirement(text))
    except Exception:  # noqa: BLE001
        return text


def our_model(ours):
    def entry(e):
        loc = e.get("location")
        if e["kind"] == "wheel_path":
            loc = os.path.normpath(os.path.abspath(loc))
        return {
            "kind": e["kind"],
            "text": e["text"],
            "requirement": normalized(e["requirement"]),
            "location": loc,
            "hashes": e["hashes"],
            "global_options": e.get("global_options", []),
            "config_settings": e.get("config_settings", {}),
            "origin": e["origin"],
            "constraint": e["constraint"],
        }

    o = ours["options"]
    trusted = []
    for h in o["trusted_hosts"]:
        t = list(parse_netloc(h))
        if t not in trusted:
            trusted.append(t)
    return {
        "requirements": [entry(e) for e in ours["requirements"]],
        "constraints": [entry(e) for e in ours["constraints"]],
        "options": {
            "index_urls": o["index_urls"],
            "no_index": o["no_index"],
            "find_links": o["find_links"],
            "trusted_hosts": trusted,
            "pre": o["pre"],
            "prefer_binary": o["prefer_binary"],
            "require_hashes": o["require_hashes"],
            "no_binary": sorted(o["no_binary"]),
            "only_binary": sorted(o["only_binary"]),
            "features_enabled": o["features_enabled"],
        },
    }


class Probe:
    def __init__(self, path, cwd, remote_root):
        env = dict(os.environ)
        self.p = subprocess.Popen(
            [path, remote_root], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env, text=True,
            encoding="utf-8",
        )

    def ask(self, names):
        # Batched: write a chunk of queries, then read its answers (the probe flushes each line).
        # Chunks stay well under the pipe buffers so neither side can block the other.
        out = []
        for i in range(0, len(names), 200):
            chunk = names[i : i + 200]
            self.p.stdin.write("".join(n + "\n" for n in chunk))
            self.p.stdin.flush()
            out.extend(json.loads(self.p.stdout.readline()) for _ in chunk)
        return out

    def close(self):
        self.p.stdin.close()
        return self.p.wait()


def pip_result(name, remote_root):
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # optparse prints its usage line on errors
            return ("ok", pip_model(name, remote_root))
    except Exception as e:  # noqa: BLE001 - any pip failure is a rejection
        return ("error", f"{type(e).__name__}: {e}")


LOCATION_RE = re.compile(r"^.+:\d+:\d+$")


def compare(name, category, pip, ours):
    """Returns None when they agree, else a description."""
    status, model = pip
    if "error" in ours:
        err = ours["error"]
        if not LOCATION_RE.match(err["location"] or ""):
            if not (err["location"] and err["location"].split(":")[0]):
                return f"our error has no file:line:col: {err}"
        if status == "error":
            return None if category in ("bad", "generated") else f"pip rejects, expected accept: {model}"
        # pip accepts: only our deliberate refusals may differ.
        if any(u in err["message"] for u in UNSUPPORTED):
            if category in ("unsupported", "generated"):
                return None
            return f"we refuse a fixture that is not marked unsupported: {err['message']}"
        return f"pip accepts, we reject: {err['location']}: {err['message']} (pip: {model})"
    if status == "error":
        return f"we accept, pip rejects: {model}"
    if "accepted_unsupported" in model:
        return f"we accept what we should refuse ({model['accepted_unsupported']})"
    if category in ("bad", "unsupported"):
        return "both accept a fixture marked " + category
    mine = our_model(ours)
    if mine != model:
        for key in ("requirements", "constraints", "options"):
            if mine[key] != model[key]:
                return f"{key} differ:\n   ours: {json.dumps(mine[key])}\n   pip:  {json.dumps(model[key])}"
    return None


# Pieces for generated files: each a line (or a continued fragment) that pip and we must agree on.
POOL = [
    "foo", "Foo_Bar==1.0", "foo>=1.0,<2", "foo [x,y] ==1.*", "foo;python_version<'3'", "foo ; ", "foo==1.0 ;os_name=='nt'",
    "foo @ https://e.org/foo-1.0-py3-none-any.whl", "foo@https://e.org/f.whl", "https://e.org/p-1.0-py3-none-any.whl",
    "https://e.org/p-1.0-py3-none-any.whl; python_version>'3'", "./wheels/pkg_a-2.0.1-py3-none-any.whl",
    "wheels/pkg_a-2.0.1-py3-none-any.whl[a]", "x-1-py3-none-any.whl", "bar==1.0 --hash=sha256:" + "b" * 64,
    "bar --hash sha512:" + "c" * 128, "--hash=sha256:" + "d" * 64, "--pre", "--prefer-binary", "--no-index",
    "--require-hashes", "-i https://i.example/simple", "--index-url=https://j.example/simple", "-ihttps://k.example/s",
    "--extra-index-url https://x.example/simple", "--extra https://y.example/simple", "-f ./wheels", "-f https://f.example/",
    "--find-links=/abs/path", "--trusted-host h.example", "--trusted-host h.example:81", "--no-binary :all:",
    "--only-binary foo,bar", "--no-binary=:none:", "--only-binary :all:,:none:,z", "--use-feature fast-deps",
    "--global-option=--x", "baz -C k=v -C k=w", "--no", "--pr", "--frob", "-x", "-i", "--pre=1", "--hash=md5:00",
    "--hash=nocolon", "foo bar", "foo=1", "foo>=1.0.*", "foo;", "foo; python_version >>> '3'", "'quoted'", "\"unclosed",
    "--index-url 'a b'", "--index-url \"unclosed", "foo==${WH_VERSION}", "${WH_INDEX_HOST}", "foo==$WH_VERSION",
    "-r inc/diamond_common.txt", "-c inc/diamond_common.txt", "-r inc/nope.txt", "-e ./project", "git+https://g.example/r",
    "r @ git+https://g.example/r", "./dist/foo-1.0.tar.gz", "# comment", "  # indented comment", "foo # trailing",
    "foo#notcomment", "", "   ", "\t", "foo \\", "--pre \\", "\\", "\\\\", "x\\\\", "foo -- bar", "--pre bar", "--",
    "-", "foo\tbar", "foo \u00a0#nbsp", "caf\u00e9", "foo===1.0[x]", "foo --pre", "foo -r other.txt",
]


def generate(rng):
    lines = []
    for _ in range(rng.randint(1, 8)):
        piece = rng.choice(POOL)
        if rng.random() < 0.15:
            piece = piece + " " + rng.choice(POOL)
        if rng.random() < 0.1:
            piece = " " + piece
        lines.append(piece)
    ends = rng.choice(["\n", "\n", "\r\n", ""])
    return "\n".join(lines) + ends


def check_rewrite(fixtures, failures):
    """pip reads the MWAA file the rewrite writes (golden, asserted equal by the bundle unit test)."""
    path = os.path.join(fixtures, "bundle", "mwaa_requirements.txt")
    constraints = os.path.join(fixtures, "bundle", "mwaa_constraints.txt")
    if not os.path.exists(path):
        failures.append(("rewrite", f"missing {path}"))
        return 0
    seen = []
    original = req_file.get_file_content

    def serve(url, session):
        seen.append(url)
        if url == "/usr/local/airflow/plugins/constraints.txt":
            return original(constraints, session)
        return original(url, session)

    req_file.get_file_content = serve
    try:
        status, model = pip_result(path, "/nonexistent")
    finally:
        req_file.get_file_content = original
    problems = []
    if status != "ok":
        problems.append(f"pip rejects the rewrite output: {model}")
    else:
        o = model["options"]
        if not o["no_index"]:
            problems.append("pip does not see --no-index")
        if o["find_links"] != ["/usr/local/airflow/plugins"]:
            problems.append(f"pip sees find-links {o['find_links']}")
        if "/usr/local/airflow/plugins/constraints.txt" not in seen:
            problems.append(f"pip did not read the constraints path (read {seen})")
        if not model["requirements"] or not model["constraints"]:
            problems.append("pip sees no requirements or no constraints")
        text = open(path, encoding="utf-8").read()
        # MWAA's own check: `-c ` or `--constraint ` followed by a space.
        if not re.search(r"^(-c |--constraint )", text, re.M):
            problems.append("MWAA would not recognise the constraint line")
    for p in problems:
        failures.append(("rewrite", p))
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    args.probe = os.path.abspath(args.probe)
    args.fixtures = os.path.abspath(args.fixtures)
    logging.disable(logging.CRITICAL)
    sys.setrecursionlimit(400)  # a cyclic include fails fast in pip

    seed = int(os.environ.get("WHEELHOUSE_DIFF_SEED", random.randrange(1 << 30)))
    count = int(os.environ.get("WHEELHOUSE_DIFF_COUNT", "1500"))
    print(f"seed {seed}")
    rng = random.Random(seed)

    reqdir = os.path.join(os.path.abspath(args.fixtures), "reqfiles")
    remote = os.path.join(reqdir, "remote")
    os.environ.update(ENV)
    for k in list(os.environ):
        if k.startswith("WH_") and k not in ENV:
            del os.environ[k]
    os.chdir(reqdir)
    probe = Probe(os.path.abspath(args.probe), reqdir, remote)

    failures = []
    compared = 0
    fixtures = sorted(f for f in os.listdir(reqdir) if f.endswith(".txt"))
    answers = probe.ask(fixtures)
    for name, ours in zip(fixtures, answers):
        category = "bad" if name.startswith("bad_") else "unsupported" if name.startswith("unsupported_") else "ok"
        why = compare(name, category, pip_result(name, remote), ours)
        compared += 1
        if why:
            failures.append((name, why))

    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for i in range(count):
            p = os.path.join(tmp, f"gen{i}.txt")
            with open(p, "w", encoding="utf-8", newline="") as f:
                f.write(generate(rng))
            names.append(p)
        answers = probe.ask(names)
        for name, ours in zip(names, answers):
            why = compare(name, "generated", pip_result(name, remote), ours)
            compared += 1
            if why:
                with open(name, encoding="utf-8", newline="") as f:
                    failures.append((name + " " + repr(f.read()), why))

    compared += check_rewrite(os.path.abspath(args.fixtures), failures)
    rc = probe.close()
    if rc != 0:
        failures.append(("probe", f"exit code {rc}"))
    print(f"{compared} compared ({len(fixtures)} fixtures, {count} generated, 1 rewrite), {len(failures)} disagreements")
    for name, why in failures[:20]:
        print(f"- {name}: {why}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
