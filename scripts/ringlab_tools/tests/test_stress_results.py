"""Tests of what the driver reads from the stress harness (stress.py): the per-run JSON,
summarised one line a run, and the variant list, where the model and audit steps learn
which storages exist."""
import json
import pathlib
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from ringlab_tools.errors import InputError  # noqa: E402
from ringlab_tools.stress import list_variants, storages, stress_runs  # noqa: E402


class Summary(unittest.TestCase):
    def test_one_line_per_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            build = pathlib.Path(tmp)
            self.assertEqual(stress_runs(build, "tsan"), [])
            (build / "harness" / "stress").mkdir(parents=True)
            run = {"variant": "a-ring", "frames_checked": 500000, "torn": 0, "regressions": 0,
                   "loss_exact": True, "passed": False, "seconds": 2.25}
            (build / "harness" / "stress" / "stress.a-ring.laps.json").write_text(json.dumps(run))
            runs = stress_runs(build, "release")
        self.assertEqual([r.summary() for r in runs],
                         ["release  a-ring              laps         500000 frames "
                          "checked, 0 torn, 0 regressions, loss exact: True, 2.2 s: FAIL"])


class Variants(unittest.TestCase):
    def test_names_and_each_storage_once(self):
        listed = [{"name": n, "writers": "multi", "lossless": False, "waits": "poll",
                   "shareable": True, "role": "targeted", "storage": s}
                  for n, s in (("a", "s1"), ("b", "s2"), ("c", "s1"))]
        with tempfile.TemporaryDirectory() as tmp:
            binary = pathlib.Path(tmp) / "ringlab_stress"
            binary.write_text(f"#!/bin/sh\necho '{json.dumps(listed)}'\n")
            binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
            found = list_variants(binary)
            with self.assertRaisesRegex(InputError, "no stress binary"):
                list_variants(pathlib.Path(tmp) / "none")
        self.assertEqual([v.name for v in found], ["a", "b", "c"])
        self.assertEqual(storages(found), ["s1", "s2"])


if __name__ == "__main__":
    unittest.main()
