"""Tests of the evidence collector (scripts/ringlab_tools/evidence.py): how it reads the
model checker's, ctest's and the stress harness's output, the one rule that charges a test
to a variant, and the variant list it takes from the stress binary."""
import json
import pathlib
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from ringlab_tools import evidence  # noqa: E402
from ringlab_tools.errors import InputError  # noqa: E402
from ringlab_tools.evidence_data import evidence_from_json  # noqa: E402
from ringlab_tools.stress import StressRun, StressVariant, list_variants, stress_runs  # noqa: E402

SCRIPT = HERE / "evidence.py"
Case = evidence.TestCase

# Lines in the shape models/model_runner.hpp and models/mutation.hpp print.
MODEL_OUTPUT = """\
ok   SeqlockOrders: expectation list covers exactly the 13 sites of the table
ok   SeqlockOrders.single_writer: expectation list covers exactly the 13 sites of the table
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

# Two storages, three variants, as `ringlab_stress --list-variants=json` prints them.
VARIANTS_JSON = json.dumps([
    {"name": "seqlock", "writers": "multi", "lossless": False, "waits": "poll",
     "shareable": True, "role": "targeted", "storage": "seqlock"},
    {"name": "disruptor-spin", "writers": "multi", "lossless": False, "waits": "spin",
     "shareable": True, "role": "targeted", "storage": "disruptor"},
    {"name": "disruptor-gated", "writers": "multi", "lossless": True, "waits": "spin",
     "shareable": True, "role": "targeted", "storage": "disruptor"},
])
VARIANTS = [v["name"] for v in json.loads(VARIANTS_JSON)]


def fake_binary(directory: pathlib.Path, script: str) -> pathlib.Path:
    path = directory / "ringlab_stress"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


class ModelOutput(unittest.TestCase):
    def setUp(self):
        self.found = evidence.parse_model_output(MODEL_OUTPUT)

    def test_a_scenario_passes_only_if_every_scheduler_passed(self):
        self.assertEqual(self.found.scenarios, {"seqlock.lapped_writers_cap1": True,
                                                "seqlock.poll_wrap": False})

    def test_mutants_are_keyed_without_the_scenario_that_caught_them(self):
        self.assertEqual(self.found.mutants,
                         {"mutant.SeqlockOrders.slot.writer_fence-P4.relaxed": True,
                          "mutant.SeqlockOrders.slot.commit-P6.relaxed": False})
        summary = self.found.summary("seqlock")
        self.assertEqual((summary.mutants_caught, summary.mutants_expected), (1, 2))
        self.assertTrue(summary.problem)

    def test_a_failed_expectation_list_is_a_failure_not_a_scenario_name(self):
        found = evidence.parse_model_output(
            "FAIL SeqlockOrders.single_writer: 20 sites in the table, 15 in the expectation list\n")
        self.assertEqual(found.scenarios, {"SeqlockOrders.single_writer (expectation list)": False})

    def test_known_bad_designs(self):
        self.assertEqual(self.found.known_bad, {"known_bad.seed_ordering.wrap_readers": True,
                                                "known_bad.lapped_tear.lapped_writers_cap1": False})


class NamingRule(unittest.TestCase):
    def test_a_per_variant_suite_names_its_variant_with_underscores(self):
        known = set(VARIANTS)
        for name, variant in (("Conformance/seqlock.SeedWraparound", "seqlock"),
                              ("LappedWriterTest/disruptor_spin.NewerLapWins", "disruptor-spin"),
                              ("Typed/Wait/disruptor_gated.Wakes", "disruptor-gated"),
                              ("stress.disruptor-spin.xproc", "disruptor-spin"),
                              ("Conformance/rwlock.SeedWraparound", None),  # not listed
                              ("NetId.Accessors", None),
                              ("Params/Suite.Test/3", None),
                              ("stress.known-bad-plain-payload.tsan-reports-race", None)):
            with self.subTest(name=name):
                self.assertEqual(evidence.variant_of_test(name, known), variant)

    def test_tests_are_counted_for_the_variants_they_exercise(self):
        cases = [Case("Conformance/seqlock.SeedWraparound", True),
                 Case("LappedWriterTest/seqlock.NewerLapWins", False),
                 Case("Conformance/disruptor_spin.SeedWraparound", True),
                 Case("DisruptorWait/disruptor_spin.WakesEveryReader", True),
                 Case("NetId.Accessors", True)]
        got = evidence.conformance_of(cases, VARIANTS)
        self.assertEqual((got["seqlock"].passed, got["seqlock"].failed), (1, 1))
        self.assertEqual((got["disruptor-spin"].passed, got["disruptor-spin"].failed), (2, 0))
        self.assertIsNone(got["disruptor-gated"])

    def test_tsan_reports_are_charged_to_their_variant_and_known_bad_kept_apart(self):
        cases = [Case("stress.seqlock.laps", False,
                      "WARNING: ThreadSanitizer: data race\n... WARNING: ThreadSanitizer: x"),
                 Case("Conformance/disruptor_spin.Laps", False,
                      "WARNING: ThreadSanitizer: data race"),
                 Case("stress.known-bad-plain-payload.tsan-reports-race", True,
                      "WARNING: ThreadSanitizer: data race")]
        per_variant, known_bad = evidence.tsan_reports_of(cases, VARIANTS)
        self.assertEqual(per_variant, {"seqlock": 2, "disruptor-spin": 1, "disruptor-gated": 0})
        self.assertEqual([c.name for c in known_bad],
                         ["stress.known-bad-plain-payload.tsan-reports-race"])


class Stress(unittest.TestCase):
    # The fields of harness/stress/stress.cpp's JSON that the reader takes.
    RUN = {"variant": "seqlock", "frames_checked": 10, "torn": 0, "regressions": 0,
           "loss_exact": True, "passed": True, "seconds": 1.5}

    def runs_of(self, files):
        with tempfile.TemporaryDirectory() as root:
            stress_dir = pathlib.Path(root) / "harness" / "stress"
            stress_dir.mkdir(parents=True)
            for name, run in files.items():
                (stress_dir / name).write_text(run if isinstance(run, str) else json.dumps(run))
            return stress_runs(pathlib.Path(root), "release")

    def test_cross_process_runs_are_told_apart_from_in_process_ones(self):
        runs = self.runs_of({
            "stress.seqlock.cursors.json": self.RUN,  # written before --processes existed
            "stress.seqlock.xproc.json": dict(self.RUN, processes=True),
            "stress.disruptor-gated.xproc.json": dict(self.RUN, variant="disruptor-gated",
                                                      processes=True),
        })
        got = {(r.variant, r.shape): r.processes for r in runs}
        self.assertEqual(got, {("seqlock", "cursors"): False, ("seqlock", "xproc"): True,
                               ("disruptor-gated", "xproc"): True})
        cursors = next(r for r in runs if r.shape == "cursors")
        self.assertIn("release  seqlock             cursors          10 frames checked",
                      cursors.summary())

    def test_an_unreadable_run_is_bad_input(self):
        with self.assertRaisesRegex(InputError, "unreadable stress result"):
            self.runs_of({"stress.seqlock.laps.json": "{"})
        with self.assertRaisesRegex(InputError, "frames_checked"):
            self.runs_of({"stress.seqlock.laps.json": {"variant": "seqlock"}})


class VariantList(unittest.TestCase):
    def test_the_variants_and_their_storages_come_from_the_binary(self):
        with tempfile.TemporaryDirectory() as tmp:
            binary = fake_binary(pathlib.Path(tmp), f"echo '{VARIANTS_JSON}'\n")
            found = list_variants(binary)
        self.assertEqual([v.name for v in found], VARIANTS)
        self.assertEqual(evidence.model_names(found), ["seqlock", "disruptor", "known_bad"])
        self.assertTrue(found[2].lossless)

    def test_a_missing_or_failing_binary_is_one_clear_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(InputError, "no stress binary at .*ringlab_stress"):
                list_variants(pathlib.Path(tmp) / "ringlab_stress")
            binary = fake_binary(pathlib.Path(tmp), "echo 'unknown flag' >&2; exit 1\n")
            with self.assertRaisesRegex(InputError, "failed \\(exit 1\\): unknown flag"):
                list_variants(binary)
            binary = fake_binary(pathlib.Path(tmp), "echo '{\"name\": 1}'\n")
            with self.assertRaisesRegex(InputError, "gave no variant list"):
                list_variants(binary)

    def test_the_command_line_says_so_and_exits_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, str(SCRIPT), "--out", f"{tmp}/e.json",
                                   "--stress-binary", f"{tmp}/missing"],
                                  capture_output=True, text=True, check=False)
        self.assertEqual(done.returncode, 2)
        self.assertIn("ringlab evidence: no stress binary", done.stderr)
        self.assertNotIn("Traceback", done.stderr)


class Assemble(unittest.TestCase):
    def test_evidence_per_variant_reads_back_as_written(self):
        variants = [StressVariant(**v) for v in json.loads(VARIANTS_JSON)]
        stress = [StressRun("release", "seqlock", "laps", False, 10, 0, 0, True, True, 1.0),
                  StressRun("release", "disruptor-gated", "laps", False, 10, 0, 0, True, False,
                            1.0)]
        models = {"seqlock": evidence.parse_model_output(MODEL_OUTPUT),
                  "disruptor": evidence.ModelRun(scenarios={"d.a": True}),
                  "known_bad": evidence.parse_model_output(MODEL_OUTPUT)}
        conformance = [Case("Conformance/disruptor_gated.Gates", True)]
        tsan = [Case("stress.known-bad-plain-payload.tsan-reports-race", True,
                     "WARNING: ThreadSanitizer: data race")]
        collected = evidence.assemble(variants, conformance, tsan, stress, models, "abc",
                                      {"tsan": "ctest --preset tsan"})
        got = collected.evidence
        gated = got.variants["disruptor-gated"]
        self.assertEqual(gated.storage, "disruptor")
        self.assertEqual(gated.models.scenarios_passed, 1)
        self.assertEqual((gated.conformance.passed, gated.tsan_reports), (1, 0))
        self.assertEqual(gated.problems(), ["stress"])
        self.assertEqual(got.variants["seqlock"].models.scenarios_failed, 1)
        self.assertIsNone(got.variants["seqlock"].conformance)
        self.assertEqual([(k.name, k.caught, k.by) for k in got.known_bad],
                         [("known_bad.lapped_tear.lapped_writers_cap1", False, "Relacy"),
                          ("known_bad.seed_ordering.wrap_readers", True, "Relacy"),
                          ("stress.known-bad-plain-payload.tsan-reports-race", True,
                           "ThreadSanitizer")])
        self.assertIn("stress release disruptor-gated laps", collected.failed)
        round_trip = evidence_from_json(json.loads(json.dumps(got.to_json())), "test")
        self.assertEqual(round_trip, got)
        self.assertEqual(round_trip.storage_of()["disruptor-spin"], "disruptor")


if __name__ == "__main__":
    unittest.main()
