"""Tests of how evidence.py reads the model checker's, ctest's and the stress harness's output."""
import json
import pathlib
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import evidence  # noqa: E402

# Lines in the shape models/model_runner.hpp and models/mutation.hpp print.
MODEL_OUTPUT = """\
ok   SeqlockOrders: expectation list covers exactly the 13 sites of the table
ok   seqlock.lapped_writers_cap1                                 random            passed                  100000 iterations     296.0 ms
ok   seqlock.lapped_writers_cap1                                 context-bound(1)  passed                   44840 iterations     238.9 ms
ok   seqlock.poll_wrap                                           random            passed                  100000 iterations     438.4 ms
FAIL seqlock.poll_wrap                                           context-bound(1)  USER ASSERT FAILED            8 iterations       0.1 ms
ok   mutant.SeqlockOrders.slot.writer_fence-P4.relaxed.seqlock.lapped_writers_cap1 random            caught                      18 iterations       0.8 ms
     USER ASSERT FAILED; trace: /tmp/x.trace.txt
FAIL mutant.SeqlockOrders.slot.commit-P6.relaxed                 not caught by any scenario (5 scenarios x 2 schedulers, 12.0 ms)
ok   known_bad.seed_ordering.wrap_readers                        random            caught                      40 iterations       1.0 ms
--   known_bad.lapped_tear.lapped_writers_cap1                   random            NOT CAUGHT              100000 iterations     300.0 ms
FAIL known_bad.lapped_tear.lapped_writers_cap1: not caught by any scheduler
MODEL CHECKS FAILED
"""


class ModelOutput(unittest.TestCase):
    def setUp(self):
        self.scenarios, self.mutants, self.known_bad = evidence.parse_model_output(MODEL_OUTPUT)

    def test_a_scenario_passes_only_if_every_scheduler_passed(self):
        self.assertEqual(self.scenarios, {"seqlock.lapped_writers_cap1": True,
                                          "seqlock.poll_wrap": False})

    def test_mutants_are_keyed_without_the_scenario_that_caught_them(self):
        self.assertEqual(self.mutants, {"mutant.SeqlockOrders.slot.writer_fence-P4.relaxed": True,
                                        "mutant.SeqlockOrders.slot.commit-P6.relaxed": False})

    def test_known_bad_designs(self):
        self.assertEqual(self.known_bad, {"known_bad.seed_ordering.wrap_readers": True,
                                          "known_bad.lapped_tear.lapped_writers_cap1": False})


class Conformance(unittest.TestCase):
    def test_tests_are_counted_for_the_variants_they_exercise(self):
        cases = [
            {"name": "Conformance/Seqlock.SeedWraparound", "passed": True, "output": ""},
            {"name": "LappedWriterTest/seqlock.NewerLapWins", "passed": False, "output": ""},
            {"name": "Conformance/DisruptorSpin.SeedWraparound", "passed": True, "output": ""},
            {"name": "DisruptorGated.WritersWaitForReaders", "passed": True, "output": ""},
            {"name": "NetId.Accessors", "passed": True, "output": ""},
        ]
        got = evidence.conformance_of(cases)
        self.assertEqual(got["seqlock"], {"passed": 1, "failed": 1})
        self.assertEqual(got["disruptor-spin"], {"passed": 1, "failed": 0})
        self.assertEqual(got["disruptor-gated"], {"passed": 1, "failed": 0})
        self.assertIsNone(got["rwlock"])

    def test_tsan_reports_are_charged_to_their_variant_and_known_bad_kept_apart(self):
        cases = [
            {"name": "stress.seqlock.laps", "passed": False,
             "output": "WARNING: ThreadSanitizer: data race\n... WARNING: ThreadSanitizer: x"},
            {"name": "stress.disruptor-spin.xproc", "passed": False,
             "output": "WARNING: ThreadSanitizer: data race"},
            {"name": "stress.known-bad-plain-payload.tsan-reports-race", "passed": True,
             "output": "WARNING: ThreadSanitizer: data race"},
        ]
        per_variant, known_bad = evidence.tsan_reports_of(cases)
        self.assertEqual(per_variant["seqlock"], 2)
        self.assertEqual(per_variant["rwlock"], 0)
        self.assertEqual(per_variant["disruptor-spin"], 1)
        self.assertEqual([c["name"] for c in known_bad],
                         ["stress.known-bad-plain-payload.tsan-reports-race"])


class Stress(unittest.TestCase):
    # The fields of harness/stress/stress.cpp's JSON that evidence.py reads.
    RUN = {"variant": "seqlock", "frames_checked": 10, "torn": 0, "regressions": 0,
           "loss_exact": True, "passed": True, "seconds": 1.5}

    def runs_of(self, files):
        with tempfile.TemporaryDirectory() as root:
            stress_dir = pathlib.Path(root) / "build" / "release" / "harness" / "stress"
            stress_dir.mkdir(parents=True)
            for name, run in files.items():
                (stress_dir / name).write_text(json.dumps(run))
            with mock.patch.object(evidence, "ROOT", pathlib.Path(root)):
                return evidence.stress_of("release")

    def test_cross_process_runs_are_told_apart_from_in_process_ones(self):
        runs = self.runs_of({
            "stress.seqlock.cursors.json": self.RUN,  # written before --processes existed
            "stress.seqlock.xproc.json": dict(self.RUN, processes=True),
            "stress.disruptor-gated.xproc.json": dict(self.RUN, variant="disruptor-gated",
                                                      processes=True),
        })
        got = {(r["variant"], r["shape"]): r["processes"] for r in runs}
        self.assertEqual(got, {("seqlock", "cursors"): False, ("seqlock", "xproc"): True,
                               ("disruptor-gated", "xproc"): True})


if __name__ == "__main__":
    unittest.main()
