"""Tests of ringlab compare (scripts/ringlab_tools/compare): its statistics, its reading
of two run directories (fixtures/run-a and run-b: two benchmarks' rows of two committed
quick runs, trimmed), the interleaving of two binaries, and its handling of bad input."""
import contextlib
import io
import json
import os
import pathlib
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from ringlab_tools.compare import builds, cli, sources, statistics  # noqa: E402
from ringlab_tools.compare.statistics import FASTER, NO_DIFFERENCE, SLOWER, Row  # noqa: E402
from ringlab_tools.errors import InputError  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
WRITE_ONLY = "ring/write_only/seqlock/payload:64/cap:1024"
LATENCY = "ring/latency/seqlock/w:1/r:1/payload:64/cap:1024"

BASE = [100.0, 103.0, 98.0, 101.0, 99.0, 104.0, 97.0, 102.0, 100.5]


def verdicts(rows):
    return {(r.benchmark, r.counter): r.verdict for r in rows}


class Statistics(unittest.TestCase):
    def test_identical_samples_show_no_difference(self):
        same = {"x": {c: list(BASE) for c in statistics.COMPARED}}
        rows = statistics.compare(same, same, 0.05)
        self.assertEqual(len(rows), len(statistics.COMPARED))
        for row in rows:
            self.assertEqual(row.verdict, NO_DIFFERENCE, row.counter)
            self.assertAlmostEqual(row.ratio, 1.0)
            self.assertLess(row.ci[0], 1.0)
            self.assertGreater(row.ci[1], 1.0)

    def test_a_clear_shift_is_called_the_right_way_per_counter(self):
        doubled = [2 * v for v in BASE]
        halved = [v / 2 for v in BASE]
        a = {"x": {"p50_ns": BASE, "frames_per_s": BASE, "loss_rate": BASE,
                   "delivered_per_s": BASE, "p99_ns": BASE}}
        b = {"x": {"p50_ns": doubled, "frames_per_s": doubled, "loss_rate": halved,
                   "delivered_per_s": halved, "p99_ns": halved}}
        got = verdicts(statistics.compare(a, b, 0.05))
        self.assertEqual(got[("x", "p50_ns")], SLOWER)           # latency up: worse
        self.assertEqual(got[("x", "frames_per_s")], FASTER)     # rate up: better
        self.assertEqual(got[("x", "loss_rate")], FASTER)        # loss down: better
        self.assertEqual(got[("x", "delivered_per_s")], SLOWER)  # rate down: worse
        self.assertEqual(got[("x", "p99_ns")], FASTER)           # latency down: better
        row = next(r for r in statistics.compare(a, b, 0.05) if r.counter == "p50_ns")
        self.assertAlmostEqual(row.ratio, 2.0)
        self.assertGreater(row.ci[0], 1.0)
        self.assertLess(row.p_holm, 0.05)

    def test_holm_on_known_p_values(self):
        adjusted = statistics.holm([0.01, 0.04, 0.03, 0.005])
        for got, want in zip(adjusted, [0.03, 0.06, 0.06, 0.02]):
            self.assertAlmostEqual(got, want)
        self.assertEqual(statistics.holm([0.5, 0.9]), [1.0, 1.0])
        self.assertEqual(statistics.holm([]), [])

    def test_holm_takes_back_a_call_among_many_tests(self):
        # A shift that one test calls is not called once eleven more tests share alpha.
        a, b = [1.0, 2, 3, 4, 5, 6], [4.0, 5, 6, 7, 8, 9]
        alone = statistics.compare({"x": {"p50_ns": a}}, {"x": {"p50_ns": b}}, 0.05)
        self.assertEqual(alone[0].verdict, SLOWER)
        many_a = {f"x{i}": {"p50_ns": a, "p99_ns": a} for i in range(6)}
        many_b = {f"x{i}": {"p50_ns": b, "p99_ns": b} for i in range(6)}
        rows = statistics.compare(many_a, many_b, 0.05)
        self.assertEqual(len(rows), 12)
        self.assertTrue(all(r.verdict == NO_DIFFERENCE for r in rows))
        self.assertTrue(all(r.p < 0.05 <= r.p_holm for r in rows))

    def test_a_small_p_without_an_interval_excluding_one_is_no_call(self):
        row = Row("x", "p50_ns", [1.0], [1.0], p_holm=0.001, ci=(0.9, 1.2))
        self.assertEqual(statistics.verdict(row, 0.05), NO_DIFFERENCE)
        row.ci = (1.1, 1.2)
        self.assertEqual(statistics.verdict(row, 0.05), SLOWER)
        row.p_holm = 0.2
        self.assertEqual(statistics.verdict(row, 0.05), NO_DIFFERENCE)

    def test_constant_and_missing_counters_are_said_not_crashed_on(self):
        a = {"x": {"loss_rate": [0.0] * 9, "p50_ns": [30.0] * 9, "frames_per_s": BASE}}
        b = {"x": {"loss_rate": [0.0] * 9, "p50_ns": [60.0] * 9}}
        rows = {r.counter: r for r in statistics.compare(a, b, 0.05)}
        self.assertIn("constant on both sides (0)", rows["loss_rate"].notes)
        self.assertIsNone(rows["loss_rate"].p)
        self.assertEqual(rows["frames_per_s"].notes, ["missing in B"])
        self.assertEqual(rows["frames_per_s"].verdict, NO_DIFFERENCE)
        # Constant on each side but not the same: a difference all the same.
        self.assertEqual(rows["p50_ns"].verdict, SLOWER)
        self.assertEqual(rows["p50_ns"].ci, (2.0, 2.0))

    def test_a_zero_median_in_a_gives_no_ratio_and_no_call(self):
        rows = statistics.compare({"x": {"loss_rate": [0.0] * 9}},
                                  {"x": {"loss_rate": [0.1] * 9}}, 0.05)
        self.assertIsNone(rows[0].ratio)
        self.assertEqual(rows[0].verdict, NO_DIFFERENCE)
        self.assertIn("A's median is 0: no ratio", rows[0].notes)

    def test_smallest_p_of_the_exact_test(self):
        self.assertAlmostEqual(statistics.smallest_p(4, 4), 2 / 70)
        self.assertGreater(statistics.smallest_p(4, 4) * 6, 0.05)
        self.assertLess(statistics.smallest_p(cli.MIN_REPETITIONS, cli.MIN_REPETITIONS) * 6,
                        0.05)


def run_main(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main([str(a) for a in argv])
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


class WithResults(unittest.TestCase):
    """A results directory of its own per test."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()


class RunDirectories(WithResults):

    def compare(self, a, b, *more, compare_id="c"):
        rc, out, err = run_main(a, b, "--results", self.results, "--id", compare_id, *more)
        return rc, out, err, self.results / compare_id

    def test_two_committed_runs_compared(self):
        rc, out, err, where = self.compare(FIXTURES / "run-a", FIXTURES / "run-b")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), str(where / "compare.md"))
        data = json.loads((where / "compare.json").read_text())
        rows = {(r["benchmark"], r["counter"]): r for r in data["rows"]}
        # The later run's seqlock writes 1.4x as fast: all seven repetitions above.
        write = rows[(WRITE_ONLY, "frames_per_s")]
        self.assertEqual(write["verdict"], FASTER)
        self.assertAlmostEqual(write["ratio"], 75.6e6 / 53.8e6, delta=0.01)
        self.assertEqual((write["n_a"], write["n_b"]), (7, 7))
        self.assertEqual(rows[(LATENCY, "loss_rate")]["notes"],
                         ["constant on both sides (0)"])
        self.assertEqual(set(data["summary"]), {FASTER, SLOWER, NO_DIFFERENCE})
        self.assertEqual(data["a"]["run_id"], "20261129T135940Z-quick")
        md = (where / "compare.md").read_text()
        self.assertIn("**Summary: B is faster in", md)
        self.assertIn("Holm", md)
        self.assertIn("20261202T061232Z-quick", md)
        svg = (where / "compare.svg").read_text()
        self.assertIn("<text", svg)  # svg.fonttype none: labels are text, not paths
        self.assertIn("ring/write_only/seqlock", svg)

    def test_a_run_against_itself_shows_no_difference(self):
        rc, _, err, where = self.compare(FIXTURES / "run-a", FIXTURES / "run-a")
        self.assertEqual(rc, 0, err)
        rows = json.loads((where / "compare.json").read_text())["rows"]
        self.assertTrue(rows)
        self.assertEqual({r["verdict"] for r in rows}, {NO_DIFFERENCE})

    def test_paths_are_the_callers_and_a_regression_can_fail_the_command(self):
        old = os.getcwd()
        os.chdir(FIXTURES)
        try:
            rc, _, err, _ = self.compare("run-b", "run-a", "--filter", "write_only")
            self.assertEqual(rc, 0, err)  # slower, but exit 0 without the option
            rc, _, err, where = self.compare("run-b", "run-a", "--filter", "write_only",
                                             "--fail-on-regression", compare_id="d")
        finally:
            os.chdir(old)
        self.assertEqual(rc, 1, err)
        rows = json.loads((where / "compare.json").read_text())["rows"]
        self.assertEqual({r["benchmark"] for r in rows}, {WRITE_ONLY})
        self.assertEqual(rows[0]["verdict"], SLOWER)


# A stand-in for ringlab_bench: lists a ring benchmark and the ping-pong limit, and
# writes Google Benchmark JSON for the one its filter names, with p50 = P50 (+ noise);
# each run appends TAG to a log beside it, so the test sees the order of the runs.
FAKE_BENCH = r'''#!/usr/bin/python3
import json, pathlib, random, re, sys
TAG, P50 = "{tag}", {p50}
names = ["ring/latency/x/w:1/r:1/min_time:0.010/real_time",
         "limit/pingpong/cacheline/min_time:0.010/real_time"]
args = sys.argv[1:]
if "--benchmark_list_tests" in args:
    print("\n".join(names)); sys.exit(0)
flt = next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_filter="))
out = next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_out="))
name = [n for n in names if re.search(flt, n)][0]
with open(pathlib.Path(__file__).with_name("runs.log"), "a") as log:
    log.write(TAG + " " + name.split("/")[0] + "\n")
row = {{"name": name, "run_name": name, "run_type": "iteration", "repetition_index": 0,
       "p50_ns": P50 + random.random(), "loss_rate": 0.0}}
json.dump({{"context": {{"ringlab_compiler": "fake"}}, "benchmarks": [row]}}, open(out, "w"))
'''


class SideBySide(unittest.TestCase):
    def test_two_binaries_run_interleaved_and_a_slowdown_is_found(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            for tag, p50 in (("A", 40), ("B", 80)):
                fake = tmp / f"bench-{tag}"
                fake.write_text(FAKE_BENCH.format(tag=tag, p50=p50))
                fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
            rc, out, err = run_main(tmp / "bench-A", tmp / "bench-B", "--repetitions", "6",
                                    "--results", tmp / "results", "--id", "x")
            self.assertEqual(rc, 0, err)
            runs = (tmp / "runs.log").read_text().split()
            # Only the ring benchmark (the limit is not compared), A first in odd rounds.
            self.assertEqual(runs[1::2], ["ring"] * 12)
            self.assertEqual(runs[0::2], ["A", "B", "B", "A"] * 3)
            where = tmp / "results" / "x"
            data = json.loads((where / "compare.json").read_text())
            verdict = {r["counter"]: r["verdict"] for r in data["rows"]}
            self.assertEqual(verdict, {"p50_ns": SLOWER, "loss_rate": NO_DIFFERENCE})
            self.assertEqual(data["how"], "side by side")
            rows_a = json.loads((where / "bench-A.json").read_text())["benchmarks"]
            self.assertEqual([r["repetition_index"] for r in rows_a], list(range(6)))
            self.assertFalse((where / ".scratch").exists())
            self.assertIn("6 per benchmark and side", (where / "compare.md").read_text())


class BadInput(WithResults):
    def args(self, a, b, *more):
        parser = cli.Parser(prog=cli.PROG)
        cli.add_arguments(parser)
        return parser.parse_args([str(a), str(b), "--results", str(self.results),
                                  *map(str, more)])

    def assert_refused(self, message, a, b, *more):
        with self.assertRaises(InputError) as caught:
            cli.run(self.args(a, b, *more))
        self.assertIn(message, str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))

    def test_missing_directory(self):
        self.assert_refused("neither a run directory", self.results / "nope",
                            FIXTURES / "run-a")

    def test_a_directory_without_bench_json(self):
        self.assert_refused("without bench.json", self.results, FIXTURES / "run-a")

    def test_bad_revision(self):
        self.assert_refused("neither a run directory", "FIXTURES", "no-such-revision-0123")
        self.assert_refused("neither a run directory", "HEAD", "HEAD~100000")
        self.assertIsNone(sources.revision("--output=x"))  # never taken for an option

    def test_existing_id(self):
        (self.results / "taken").mkdir()
        self.assert_refused("exists", FIXTURES / "run-a", FIXTURES / "run-b", "--id", "taken")

    def test_bad_id(self):
        for bad in ("a/b", "..", ".hidden", ""):
            with self.subTest(bad=bad):
                self.assert_refused("--id", FIXTURES / "run-a", FIXTURES / "run-b",
                                    "--id", bad)

    def test_unwritable_results(self):
        a_file = self.results / "file"
        a_file.write_text("")
        self.assert_refused("not writable", FIXTURES / "run-a", FIXTURES / "run-b",
                            "--results", a_file / "under")
        if os.geteuid() != 0:  # root writes anywhere
            locked = self.results / "locked"
            locked.mkdir(mode=stat.S_IRUSR | stat.S_IXUSR)
            self.assert_refused("not writable", FIXTURES / "run-a", FIXTURES / "run-b",
                                "--results", locked)

    def test_nothing_is_built_before_the_output_is_checked(self):
        (self.results / "taken").mkdir()
        commit = cli.resolve_pair("HEAD", "HEAD")[0].commit
        existed = (builds.BUILDS / f"src-{commit}").exists()
        self.assert_refused("exists", "HEAD", "HEAD", "--id", "taken")
        self.assertEqual((builds.BUILDS / f"src-{commit}").exists(), existed)

    def test_a_run_directory_against_a_binary(self):
        self.assert_refused("run directory but B is a binary", FIXTURES / "run-a",
                            sys.executable)

    def test_a_binary_that_fails_is_refused(self):
        silent = self.results / "silent"
        silent.write_text("#!/bin/sh\nexit 1\n")
        silent.chmod(0o755)
        self.assert_refused("failed (exit 1): no output", silent, silent, "--id", "x")
        self.assertFalse((self.results / "x").exists())  # no half-made comparison

    def test_bad_options(self):
        self.assert_refused("at least", "HEAD", "HEAD", "--repetitions", "2")
        self.assert_refused("--alpha", "HEAD", "HEAD", "--alpha", "1.5")
        self.assert_refused("--filter", "HEAD", "HEAD", "--filter", "(")

    def test_command_line_says_one_line_and_exits_2(self):
        rc, _, err = run_main(self.results / "nope", FIXTURES / "run-a")
        self.assertEqual(rc, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertTrue(err.startswith("ringlab compare: "))
        rc, _, err = run_main("--bogus")
        self.assertEqual(rc, 2)
        rc, out, _ = run_main("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--fail-on-regression", out)


if __name__ == "__main__":
    unittest.main()
