"""What a user installs: --help examples, bash/zsh completion, the man page, `cmake --install` and the .deb.

The completion scripts and the man page are generated from the binary's own option definitions; these tests
check them against what `--help` prints, so a new option that one of them misses fails here.
The install and package checks need the build folder: --build-dir, else the folder above the binary that holds
CMakeCache.txt.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
COMMANDS = ["targets", "inspect", "lock", "deploy", "build", "verify", "cache", "mirror", "completion"]


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.pop("NO_COLOR", None)
    return env


def run(*args):
    p = subprocess.run([ARGS.wheelhouse, *args], capture_output=True, text=True, env=clean_env(), timeout=60)
    return p.returncode, p.stdout, p.stderr


def long_options(help_text):
    """The --long options --help lists (each option line starts with spaces and a dash)."""
    found = set()
    for line in help_text.splitlines():
        m = re.match(r"^\s+(-\w,)?\s*(--[\w-]+)", line)
        if m:
            found.add(m.group(2))
    return found


def presets():
    code, out, _ = run("targets", "--json")
    assert code == 0
    import json
    return [t["name"] for t in json.loads(out)]


def build_dir():
    if ARGS.build_dir:
        return ARGS.build_dir
    folder = os.path.dirname(os.path.abspath(ARGS.wheelhouse))
    while folder != os.path.dirname(folder):
        if os.path.exists(os.path.join(folder, "CMakeCache.txt")):
            return folder
        folder = os.path.dirname(folder)
    return None


class Help(unittest.TestCase):
    def test_every_command_help_has_examples(self):
        for command in COMMANDS:
            code, out, _ = run(command, "--help")
            self.assertEqual(code, 0, command)
            self.assertRegex(out, r"Examples:\n  wheelhouse ", command)

    def test_root_help_lists_every_command_but_not_the_hidden_man(self):
        _, out, _ = run("--help")
        for command in COMMANDS:
            self.assertRegex(out, rf"\n  {command} ", command)
        self.assertNotRegex(out, r"\n  man ")


class BashCompletion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        code, cls.script, err = run("completion", "bash")
        assert code == 0, err
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, "wheelhouse.bash")
        with open(cls.path, "w") as f:
            f.write(cls.script)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def complete(self, *words):
        """COMPREPLY for `wheelhouse WORDS...`, the last word being the one under the cursor."""
        quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ("wheelhouse", *words))
        program = (f"source '{self.path}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; "
                   "_wheelhouse; printf '%s\\n' \"${COMPREPLY[@]}\"")
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        return [line for line in p.stdout.splitlines() if line]

    def test_registers_the_function_for_wheelhouse(self):
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", f"source '{self.path}'; complete -p wheelhouse"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.stdout.strip(), "complete -F _wheelhouse wheelhouse")

    def test_completes_commands(self):
        self.assertEqual(self.complete("bu"), ["build"])
        self.assertEqual(self.complete("ca"), ["cache"])
        everything = self.complete("")
        for command in COMMANDS:
            self.assertIn(command, everything)
        self.assertNotIn("man", everything)

    def test_completes_options_of_the_command(self):
        self.assertEqual(self.complete("build", "--ta"), ["--target"])
        self.assertEqual(self.complete("deploy", "--kms"), ["--kms-key-id"])
        self.assertIn("--older-than", self.complete("cache", "prune", "--"))
        self.assertEqual(sorted(self.complete("cache", "")), sorted(
            ["info", "clean", "prune", "-h", "--help", "--json", "-q", "--quiet", "-v", "--verbose", "--no-color",
             "--cache-dir"]))

    def test_offers_every_long_option_that_help_lists(self):
        for command in COMMANDS:
            _, out, _ = run(command, "--help")
            expected = long_options(out)
            self.assertIn("--help", expected, command)
            offered = set(self.complete(command, "--"))
            self.assertEqual(expected - offered, set(), command)

    def test_target_values_are_the_presets(self):
        names = presets()
        line = [n for n in names if n.startswith("mwaa-2.10.")]
        self.assertGreater(len(line), 0)
        got = self.complete("build", "--target", "mwaa-2.10")
        for name in line:
            self.assertIn(name, got)
        self.assertTrue(all(v.startswith("mwaa-2.10") for v in got), got)
        self.assertEqual(set(self.complete("mirror", "--target", "")) >= set(names), True)
        # --target=VALUE: bash splits the word at '='.
        self.assertEqual(set(self.complete("lock", "--target", "=", "mwaa-2.10")), set(got))
        self.assertEqual(set(self.complete("verify", "--target", "=")) >= set(names), True)

    def test_files_and_folders_complete_as_paths(self):
        with tempfile.TemporaryDirectory() as tmp:
            open(os.path.join(tmp, "requirements.txt"), "w").close()
            os.mkdir(os.path.join(tmp, "dist"))
            self.assertEqual(self.complete("build", "-r", os.path.join(tmp, "req")),
                             [os.path.join(tmp, "requirements.txt")])
            self.assertEqual(self.complete("lock", "--constraint", os.path.join(tmp, "req")),
                             [os.path.join(tmp, "requirements.txt")])
            self.assertEqual(self.complete("build", "-o", os.path.join(tmp, "")), [os.path.join(tmp, "dist")])
            self.assertEqual(self.complete("verify", os.path.join(tmp, "d")), [os.path.join(tmp, "dist")])
            self.assertEqual(self.complete("inspect", os.path.join(tmp, "r")),
                             [os.path.join(tmp, "requirements.txt")])

    def test_values_only_the_user_knows_offer_nothing(self):
        self.assertEqual(self.complete("build", "--index-url", ""), [])
        self.assertEqual(self.complete("deploy", "--bucket", ""), [])

    def test_completion_shell_argument(self):
        self.assertEqual(self.complete("completion", ""), ["bash", "zsh"])


@unittest.skipUnless(shutil.which("zsh"), "zsh is not installed (scripts/setup installs it)")
class ZshCompletion(unittest.TestCase):
    def test_script_parses_and_registers(self):
        code, script, err = run("completion", "zsh")
        self.assertEqual(code, 0, err)
        self.assertTrue(script.startswith("#compdef wheelhouse\n"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "_wheelhouse")
            with open(path, "w") as f:
                f.write(script)
            p = subprocess.run(["zsh", "-n", path], capture_output=True, text=True, timeout=30)
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            # Sourced after compinit, as ~/.zshrc does with `source <(wheelhouse completion zsh)`.
            program = (f"autoload -Uz compinit; compinit -u -d '{tmp}/zcompdump'; source '{path}'; "
                       "print -r -- $_comps[wheelhouse]; whence -w _wheelhouse_cache_prune")
            p = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=30,
                               env={**clean_env(), "HOME": tmp})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.split(), ["_wheelhouse", "_wheelhouse_cache_prune:", "function"])

    def test_zsh_offers_options_and_presets_in_a_terminal(self):
        # zsh completes only in an interactive line editor: drive one in a pseudo-terminal (zsh/zpty).
        code, script, _ = run("completion", "zsh")
        driver = r"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='>'; autoload -Uz compinit; compinit -u -d $1/zcompdump; source $1/_wheelhouse; setopt nobeep"
zpty -w -n z "$2"$'\t'
local out="" line
for i in {1..50}; do
  while zpty -r -t z line; do out+="$line"; done
  [[ "$out" == *"$3"* ]] && break
  sleep 0.1
done
zpty -d z
print -r -- "$out"
"""
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "_wheelhouse"), "w") as f:
                f.write(script)
            with open(os.path.join(tmp, "driver.zsh"), "w") as f:
                f.write(driver)
            for line, expected in (("wheelhouse bu", "wheelhouse build"),
                                   ("wheelhouse build --ta", "--target="),
                                   ("wheelhouse build --target mwaa-2.1", "mwaa-2.10.3")):
                p = subprocess.run(["zsh", "-f", os.path.join(tmp, "driver.zsh"), tmp, line, expected],
                                   capture_output=True, text=True, timeout=30, env={**clean_env(), "HOME": tmp})
                self.assertIn(expected, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", p.stdout), line)

    def test_every_long_option_is_in_the_script(self):
        _, script, _ = run("completion", "zsh")
        for command in COMMANDS:
            _, out, _ = run(command, "--help")
            body = script.split(f"\n_wheelhouse_{command}() {{\n", 1)[1].split("\n}\n", 1)[0]
            for option in long_options(out):
                self.assertRegex(body, re.escape(option) + r"[=\[},]", f"{command} {option}")


class ManPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        code, cls.page, err = run("man")
        assert code == 0, err

    def test_renders_without_warnings(self):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=self.page, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_man_reads_it_and_it_documents_every_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "wheelhouse.1")
            with open(path, "w") as f:
                f.write(self.page)
            p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True, timeout=30,
                               env={**clean_env(), "MANPAGER": "cat", "MANWIDTH": "100", "LC_ALL": "C.UTF-8"})
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        text = re.sub(r".\x08", "", p.stdout)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES",
                        "EXAMPLES"):
            self.assertRegex(text, rf"\n{section}\n", section)
        for command in COMMANDS + ["cache info", "cache clean", "cache prune"]:
            self.assertIn(f"wheelhouse {command}", text)
        for code in range(6):
            self.assertRegex(text, rf"\n\s+{code}\s+\w")
        for variable in ("WHEELHOUSE_CACHE_DIR", "PIP_INDEX_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"):
            self.assertIn(variable, text)
        self.assertIn("wheelhouse build -r requirements.txt --target mwaa-2.10.3", text)

    def test_documents_every_option(self):
        for command in COMMANDS:
            _, out, _ = run(command, "--help")
            for option in long_options(out) - {"--help"}:
                self.assertIn(option.replace("-", "\\-"), self.page, f"{command} {option}")


@unittest.skipUnless(shutil.which("cmake"), "cmake is not installed")
class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = build_dir()
        if cls.build is None:
            raise unittest.SkipTest("no build folder (pass --build-dir)")
        # The generated files are part of `all`; make sure they are there when only the binary was built.
        p = subprocess.run(["cmake", "--build", cls.build, "--target", "wheelhouse_docs"], capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
        cls.version = run("--version")[1].split()[1]

    def test_cmake_install_places_binary_man_page_completions_and_docs(self):
        with tempfile.TemporaryDirectory() as prefix:
            p = subprocess.run(["cmake", "--install", self.build, "--prefix", prefix], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            for path in ("bin/wheelhouse", "share/man/man1/wheelhouse.1",
                         "share/bash-completion/completions/wheelhouse", "share/zsh/vendor-completions/_wheelhouse",
                         "share/doc/wheelhouse/README.md"):
                self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
            installed = subprocess.run([os.path.join(prefix, "bin/wheelhouse"), "--version"], capture_output=True,
                                       text=True, timeout=30)
            self.assertEqual(installed.stdout.strip(), f"wheelhouse {self.version}")
            # The build-time files are what the binary prints.
            with open(os.path.join(prefix, "share/man/man1/wheelhouse.1")) as f:
                self.assertEqual(f.read(), run("man")[1])
            with open(os.path.join(prefix, "share/bash-completion/completions/wheelhouse")) as f:
                self.assertEqual(f.read(), run("completion", "bash")[1])
            with open(os.path.join(prefix, "share/zsh/vendor-completions/_wheelhouse")) as f:
                self.assertEqual(f.read(), run("completion", "zsh")[1])

    @unittest.skipUnless(shutil.which("cpack") and shutil.which("dpkg-deb"), "cpack or dpkg-deb missing")
    def test_cpack_builds_a_deb_with_dependencies(self):
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.run(["cpack", "--config", os.path.join(self.build, "CPackConfig.cmake"), "-G", "DEB",
                                "-B", out], capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
            deb = os.path.join(out, f"wheelhouse_{self.version}_{arch}.deb")
            self.assertTrue(os.path.isfile(deb), glob.glob(os.path.join(out, "*")))
            listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
            for path in ("./usr/bin/wheelhouse", "./usr/share/man/man1/wheelhouse.1",
                         "./usr/share/bash-completion/completions/wheelhouse",
                         "./usr/share/zsh/vendor-completions/_wheelhouse", "./usr/share/doc/wheelhouse/README.md"):
                self.assertRegex(listing, rf"\s{re.escape(path)}\n", path)
            fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends",
                                     "Maintainer", "Description"], capture_output=True, text=True).stdout
            self.assertIn("Package: wheelhouse\n", fields)
            self.assertIn(f"Version: {self.version}\n", fields)
            self.assertIn("Maintainer: ", fields)
            self.assertIn("Amazon MWAA", fields)
            depends = re.search(r"^Depends: (.*)$", fields, re.M).group(1)
            for library in ("libc6", "libcurl4", "libarchive13", "libxml2", "libssl3"):
                self.assertIn(library, depends)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheelhouse", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--build-dir")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])
