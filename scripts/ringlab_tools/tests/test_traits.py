"""Tests of the package's vocabulary: names, the subject manifest and its traits, and the
variant pairs comparisons derive from traits alone."""
import json
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from ringlab_tools.errors import InputError  # noqa: E402
from ringlab_tools.names import BenchName, base_name  # noqa: E402
from ringlab_tools.sections.comparisons import twin_of, variant_pairs  # noqa: E402
from ringlab_tools.subjects import Selector, Subject, subjects_of  # noqa: E402
from ringlab_tools.targets import TARGETS  # noqa: E402


def ring(name, writers="multi", role="targeted", storage="", detail="", lossless=False):
    return Subject(name, "ring", writers, "broadcast", lossless, role, detail, storage)


class Names(unittest.TestCase):
    def test_one_base_name_rule_for_every_google_benchmark_option(self):
        self.assertEqual(base_name("ring/latency/a/w:1/min_time:0.100/real_time"),
                         "ring/latency/a/w:1")
        self.assertEqual(base_name("peer/transfer/b/payload:64/threads:2/repeats:3"),
                         "peer/transfer/b/payload:64")

    def test_a_name_without_thread_axes_has_one_writer_and_one_reader(self):
        name = BenchName.parse("peer/transfer/q/payload:64/cap:1024")
        self.assertEqual((name.axis("w"), name.axis("r")), (1, 1))
        self.assertTrue(name.matches({"w": 1, "r": 1, "payload": 64}))
        self.assertFalse(name.matches({"w": 2, "r": 1}))  # not the 2-writer benchmark
        self.assertTrue(BenchName.parse("peer/transfer/q/w:2/r:1/payload:64")
                        .matches({"w": 2, "r": 1, "payload": 64}))
        self.assertTrue(BenchName.parse("limit/pingpong/x").matches({"payload": 64}))


class Manifest(unittest.TestCase):
    MANIFEST = json.dumps([
        {"name": "a", "family": "ring", "writers": "single", "readers": "broadcast",
         "lossless": False, "role": "targeted", "detail": "one"},
        {"name": "q", "family": "peer", "writers": "multi", "readers": "multi",
         "lossless": True, "role": "peer", "detail": "a queue"}])

    def test_traits_come_from_the_manifest_in_its_order(self):
        got = subjects_of({"ringlab_subjects": self.MANIFEST},
                          [("q", "peer"), ("a", "ring"), ("z", "ring")], "bench.json")
        self.assertTrue(got.recorded)
        self.assertEqual([s.name for s in got.entries], ["a", "q", "z"])
        self.assertEqual(got.get("a").writers, "single")
        self.assertTrue(got.get("q").lossless)
        self.assertEqual(got.get("z").role, "")  # in the run, not in the manifest: traitless
        self.assertEqual([s.name for s in got.select(Selector(family="peer", writers="multi"))],
                         ["q"])
        self.assertEqual(got.with_storage({"a": "seqlock"}).get("a").storage, "seqlock")

    def test_without_a_manifest_only_the_families_of_the_names_are_known(self):
        got = subjects_of({}, [("p", "peer"), ("r", "ring"), ("p", "peer")], "bench.json")
        self.assertFalse(got.recorded)
        self.assertEqual([(s.name, s.family, s.role, s.writers) for s in got.entries],
                         [("p", "peer", "peer", ""), ("r", "ring", "", "")])

    def test_a_malformed_manifest_is_bad_input(self):
        for value, message in (("[", "not valid JSON"), ('{"a": 1}', "not a JSON array"),
                               ('[{"family": "ring"}]', "without a name"), (3, "string")):
            with self.subTest(value=value), self.assertRaisesRegex(InputError, message):
                subjects_of({"ringlab_subjects": value}, [], "bench.json")


class TraitPairs(unittest.TestCase):
    def test_a_single_writer_variant_meets_its_multi_writer_twin_by_storage(self):
        rings = [ring("m1", storage="s1", detail="x"), ring("m2", storage="s2"),
                 ring("m1b", storage="s1", detail="y"), ring("s", "single", storage="s1",
                                                               detail="y")]
        self.assertEqual(twin_of(rings[3], rings).name, "m1b")  # the same storage and detail
        lossless = ring("g", "single", storage="s1", lossless=True)
        self.assertIsNone(twin_of(lossless, rings))  # no lossless multi-writer twin

    def test_without_a_storage_the_detail_matches(self):
        rings = [ring("m", detail="a ring"), ring("s", "single", detail="a ring")]
        self.assertEqual(twin_of(rings[1], rings).name, "m")
        self.assertIsNone(twin_of(ring("t", "single"), rings))  # no storage, no detail

    def test_baseline_twins_and_storages(self):
        rings = [ring("base", role="baseline", storage="b"), ring("x1", storage="x"),
                 ring("x2", storage="x"), ring("y1", storage="y"),
                 ring("g", storage="y", lossless=True), ring("xs", "single", storage="x")]
        pairs = [(a.name, b.name) for a, b in variant_pairs(rings)]
        self.assertEqual(pairs, [("xs", "x1"), ("base", "x1"), ("x1", "y1")])


class TargetTable(unittest.TestCase):
    def test_each_target_is_named_once_per_kind_of_subject(self):
        seen = [(t.applies, t.label) for t in TARGETS]
        self.assertEqual(len(seen), len(set((repr(a), l) for a, l in seen)))

    def test_bounds_point_the_right_way(self):
        for t in TARGETS:
            with self.subTest(target=t.label):
                self.assertGreater(t.bound, 0)
                # Rates must reach a bound, times stay under one.
                self.assertEqual(t.higher, not t.workload.counter.endswith("_ns"))


if __name__ == "__main__":
    unittest.main()
