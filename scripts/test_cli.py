#!/usr/bin/python3
"""The driver's command line (scripts/ringlab): every command answers --help with its own
usage and exit status 0; a bad argument gets that command's usage, one line saying what is
wrong and exit status 2, before anything is installed or built; paths are the caller's."""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RINGLAB = HERE / "ringlab"
FIXTURE = HERE / "report" / "fixtures" / "20261130-100000-quick"
COMMANDS = ["setup", "build", "test", "stress", "soak", "model", "bench", "report", "compare", "shm",
            "help"]


def ringlab(*args, cwd=None, timeout=120, env=None):
    return subprocess.run([str(RINGLAB), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, check=False, env=env)


class Help(unittest.TestCase):
    def test_every_command_prints_its_own_usage(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                out = ringlab(command, "--help")
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn(f"usage: ringlab {command}", out.stdout)

    def test_help_topic_is_that_commands_help(self):
        out = ringlab("help", "model")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("usage: ringlab model", out.stdout)

    def test_no_command_is_a_usage_error(self):
        out = ringlab()
        self.assertEqual(out.returncode, 2)
        self.assertIn("usage: ringlab", out.stderr)

    def test_version_is_the_projects(self):
        """CMake's PROJECT_VERSION under ctest (read from version.hpp by the build)."""
        expected = os.environ.get("RINGLAB_PROJECT_VERSION")
        if not expected:
            self.skipTest("RINGLAB_PROJECT_VERSION not set (ctest sets it)")
        out = ringlab("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), f"ringlab {expected}")

    def test_stress_and_soak_help_build_nothing(self):
        """cmake is a stand-in on PATH that leaves a mark if anything calls it."""
        for command in ("stress", "soak"):
            with self.subTest(command=command), tempfile.TemporaryDirectory() as tmp:
                mark = Path(tmp) / "cmake-called"
                stand_in = Path(tmp) / "cmake"
                stand_in.write_text(f"#!/bin/sh\ntouch {mark}\nexit 1\n")
                stand_in.chmod(0o755)
                env = dict(os.environ, PATH=f"{tmp}:{os.environ.get('PATH', '')}")
                out = ringlab(command, "--help", env=env)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertNotIn("configure and build", out.stdout + out.stderr)
                self.assertFalse(mark.exists())


class BadArguments(unittest.TestCase):
    """Each case: the arguments, and what the error line must say."""
    CASES = [
        (["frobnicate"], "invalid choice"),
        (["setup", "extra"], "unrecognized arguments"),
        (["build", "nope"], "invalid choice"),
        (["test", "--bogus"], "unrecognized arguments"),
        (["model", "--bogus"], "unrecognized arguments"),
        (["model", "--iterations"], "expected one argument"),
        (["model", "--iterations", "0"], "below 1"),
        (["stress", "--bogus"], "unrecognized arguments"),
        (["stress", "--capacity=abc"], "not a number"),
        (["stress", "--preempt_sleepers", "--processes"], "one process"),
        (["stress", "--list-variants", "--writers=2"], "no other option"),
        (["soak", "--bogus"], "unrecognized arguments"),
        (["soak", "--minutes", "0"], "not above 0"),
        (["soak", "--minutes", "-1"], "not above 0"),
        (["soak", "--minutes", "abc"], "not a number"),
        (["soak", "--minutes"], "expected one argument"),
        (["soak", "--variant", "("], "not a regular expression"),
        (["soak", "--seed", "x"], "not a whole number"),
        (["soak", "--results", "/proc/nope"], "cannot write there"),
        (["bench", "--config", "nope"], "invalid choice"),
        (["bench", "--repetitions", "0"], "at least 1"),
        (["bench", "--filter", "("], "not a regular expression"),
        (["bench", "--run-id", "a/b"], "use letters"),
        (["bench", "--run-id", "20261202T061232Z-quick"], "exists"),
        (["report", "--bogus"], "unrecognized arguments"),
        (["report", "--config"], "expected one argument"),
        (["report", "--config", "nope"], "invalid choice"),
        (["report", "--render", "/nonexistent/run"], "no run directory"),
        (["report", "--results", "/proc/nope"], "cannot write there"),
        (["report", "--results", "/proc"], "cannot write there"),
        (["bench", "--results", str(RINGLAB)], "not a directory"),
        (["compare", "a"], "required: B"),
        (["compare", "HEAD", "HEAD", "--repetitions", "2"], "at least 5"),
        (["compare", "HEAD", "HEAD", "--id", "x/y"], "no '/'"),
        (["shm"], "required"),
        (["shm", "show"], "NAME"),
        (["shm", "tail", "x", "--count", "99999"], "outside 0..4096"),
        (["shm", "list", "a", "b"], "unrecognized arguments"),
    ]

    def test_each_gets_its_commands_usage_and_exit_2(self):
        for args, message in self.CASES:
            with self.subTest(args=args):
                out = ringlab(*args, timeout=30)
                self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
                self.assertIn(message, out.stderr)
                command = args[0] if args[0] in COMMANDS else ""
                self.assertIn(f"usage: ringlab {command}".rstrip(), out.stderr)
                self.assertNotIn("Traceback", out.stderr)
                self.assertNotIn("configure and build", out.stdout + out.stderr)


class Paths(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="ringlab-cli-"))
        self.addCleanup(shutil.rmtree, self.tmp)

    def test_render_resolves_against_the_callers_directory_and_leaves_the_index(self):
        index = ROOT / "results" / "README.md"
        before = hashlib.sha256(index.read_bytes()).hexdigest()
        shutil.copytree(FIXTURE, self.tmp / "copyrun")
        out = ringlab("report", "--render", "copyrun", cwd=self.tmp, timeout=300)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertTrue((self.tmp / "copyrun" / "report.md").is_file())
        self.assertEqual(hashlib.sha256(index.read_bytes()).hexdigest(), before)
        self.assertFalse((self.tmp / "README.md").exists())

    def test_render_inside_its_results_directory_rewrites_that_index(self):
        shutil.copytree(FIXTURE, self.tmp / "results" / "run1")
        out = ringlab("report", "--render", "results/run1", "--results", "results",
                      cwd=self.tmp, timeout=300)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("run1", (self.tmp / "results" / "README.md").read_text())

    def test_an_existing_run_id_is_refused_in_the_callers_results(self):
        (self.tmp / "res" / "taken").mkdir(parents=True)
        out = ringlab("bench", "--results", "res", "--run-id", "taken", cwd=self.tmp)
        self.assertEqual(out.returncode, 2)
        self.assertIn(str(self.tmp / "res" / "taken"), out.stderr)


class StressFlags(unittest.TestCase):
    def test_the_driver_knows_every_flag_the_binary_takes(self):
        binary = os.environ.get("RINGLAB_STRESS_BINARY")
        if not binary:
            self.skipTest("RINGLAB_STRESS_BINARY not set (ctest sets it)")
        text = subprocess.run([binary, "--help"], capture_output=True, text=True,
                              check=False).stdout
        block = text.split("Flags from", 1)[1]
        binary_flags = set(re.findall(r"^\s+--(\w+) \(", block, re.M))
        self.assertGreater(len(binary_flags), 5)
        help_text = ringlab("stress", "--help").stdout
        for flag in binary_flags:
            self.assertIn(f"--{flag}", help_text)


if __name__ == "__main__":
    unittest.main()
