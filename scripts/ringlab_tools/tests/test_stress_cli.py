"""Tests of the stress command line the driver calls (cli/stress.py)."""
import json
import os
import pathlib
import stat
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parents[2]


def stress_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(SCRIPTS))
    return subprocess.run([sys.executable, "-m", "ringlab_tools.cli.stress", *map(str, args)],
                          capture_output=True, text=True, env=env, check=False)


class Summary(unittest.TestCase):
    def test_one_line_per_run_or_a_note_that_there_is_none(self):
        with tempfile.TemporaryDirectory() as tmp:
            build = pathlib.Path(tmp)
            done = stress_cli("summary", build, "tsan")
            self.assertEqual(done.stdout, "  tsan: no stress results\n")
            (build / "harness" / "stress").mkdir(parents=True)
            run = {"variant": "a-ring", "frames_checked": 500000, "torn": 0, "regressions": 0,
                   "loss_exact": True, "passed": False, "seconds": 2.25}
            (build / "harness" / "stress" / "stress.a-ring.laps.json").write_text(json.dumps(run))
            done = stress_cli("summary", build, "release")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "  release  a-ring              laps         500000 frames "
                         "checked, 0 torn, 0 regressions, loss exact: True, 2.2 s: FAIL\n")


class Variants(unittest.TestCase):
    def test_names_or_each_storage_once(self):
        listed = [{"name": n, "writers": "multi", "lossless": False, "waits": "poll",
                   "shareable": True, "role": "targeted", "storage": s}
                  for n, s in (("a", "s1"), ("b", "s2"), ("c", "s1"))]
        with tempfile.TemporaryDirectory() as tmp:
            binary = pathlib.Path(tmp) / "ringlab_stress"
            binary.write_text(f"#!/bin/sh\necho '{json.dumps(listed)}'\n")
            binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
            names = stress_cli("variants", "--stress-binary", binary)
            storages = stress_cli("variants", "--field", "storage", "--stress-binary", binary)
            missing = stress_cli("variants", "--stress-binary", f"{tmp}/none")
        self.assertEqual(names.stdout.split(), ["a", "b", "c"])
        self.assertEqual(storages.stdout.split(), ["s1", "s2"])
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no stress binary", missing.stderr)

    def test_usage_errors_exit_2(self):
        done = stress_cli("frobnicate")
        self.assertEqual(done.returncode, 2)
        self.assertIn("(see --help)", done.stderr)


if __name__ == "__main__":
    unittest.main()
