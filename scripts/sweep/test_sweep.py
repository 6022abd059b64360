"""Tests of the sweep runner's pure parts (scripts/ringlab_tools/sweep.py) and of its
command line (scripts/sweep/sweep.py)."""
import contextlib
import io
import json
import pathlib
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from ringlab_tools import names, sweep  # noqa: E402
from ringlab_tools.cli import sweep as cli_sweep  # noqa: E402
from ringlab_tools.paths import ROOT  # noqa: E402

SWEEP = pathlib.Path(__file__).parent / "sweep.py"

# A stand-in for ringlab_bench: lists two benchmarks and writes Google
# Benchmark JSON for the one its filter names; the second fails.
FAKE_BENCH = r'''#!/usr/bin/python3
import json, re, sys
names = ["ring/latency/seqlock/w:1/min_time:0.200/real_time", "limit/pingpong/cacheline/min_time:0.200/real_time"]
args = sys.argv[1:]
if "--benchmark_list_tests" in args:
    print("\n".join(names)); sys.exit(0)
flt = next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_filter="))
out = next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_out="))
reps = int(next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_repetitions=")))
name = [n for n in names if re.search(flt, n)]
assert len(name) == 1, (flt, name)
if name[0].startswith("ring/"):
    sys.exit(3)
import os
calls = __file__ + ".calls"  # this process's place in the run: 40, 41, 42 ns ...
n = int(open(calls).read()) if os.path.exists(calls) else 0
open(calls, "w").write(str(n + 1))
rows = [{"name": name[0], "run_name": name[0], "run_type": "iteration", "repetition_index": i,
         "real_time": 100.0, "p50_ns": 40.0 + n, "reps_asked": reps} for i in range(reps)]
json.dump({"context": {"ringlab_stamp_clock": "tsc", "ringlab_stamp_cost_ns": "20.5",
                       "ringlab_pinned": "yes"}, "benchmarks": rows}, open(out, "w"))
'''


class PureParts(unittest.TestCase):
    def test_base_name_drops_run_options(self):
        self.assertEqual(names.base_name("limit/pingpong/cacheline/min_time:0.200/real_time"),
                         "limit/pingpong/cacheline")
        self.assertEqual(names.base_name("ring/latency/x/w:1/threads:2/iterations:10"),
                         "ring/latency/x/w:1")

    def test_the_pingpong_limit_always_runs_whatever_its_subject(self):
        self.assertTrue(sweep.is_limit("limit/pingpong/cacheline/min_time:0.200/real_time"))
        self.assertTrue(sweep.is_limit("limit/pingpong/other-line"))
        self.assertFalse(sweep.is_limit("limit/memcpy/memcpy/payload:64"))
        self.assertFalse(sweep.is_limit("ring/pingpong/x"))

    def test_exact_filter_matches_only_its_name(self):
        name = "ring/latency/disruptor-spin/w:1/r:1/min_time:0.200/real_time"
        pattern = names.exact_filter(name)
        self.assertRegex(name, pattern)
        self.assertIsNone(re.search(pattern, name.replace("r:1", "r:12")))
        self.assertIsNone(re.search(pattern, "x" + name))
        self.assertNotIn(r"\-", pattern)  # not special in POSIX ERE; '\-' is undefined there

    def test_pingpong_limit_is_the_median_p50_of_iterations(self):
        rows = [{"run_name": "limit/pingpong/cacheline/real_time", "run_type": "iteration",
                 "p50_ns": v} for v in (50, 70, 60)]
        rows.append({"run_name": "limit/pingpong/cacheline/real_time", "run_type": "aggregate",
                     "p50_ns": 1000})
        self.assertEqual(sweep.pingpong_one_way(rows), 60)

    def test_progress_eta_follows_the_rate_so_far(self):
        p = sweep.Progress(10)
        p.tty = False
        p.started -= 20  # two benchmarks took 20 s: eight more take 80 s
        err = io.StringIO()
        old, sys.stderr = sys.stderr, err
        try:
            p.show(2, "x")
        finally:
            sys.stderr = old
        self.assertIn("2/10", err.getvalue())
        self.assertIn("ETA 1:20", err.getvalue())


class ReproduceCommand(unittest.TestCase):
    def settings(self, **kw):
        return sweep.SweepSettings(str(sweep.BENCH_BINARY), "full", False, **kw)

    def test_the_driver_runs_one_benchmark_in_rounds(self):
        name = "ring/latency/disruptor-spin/w:1/r:1/min_time:0.200/real_time"
        command = sweep.reproduce_command(self.settings(), name, 7)
        self.assertEqual(shlex.split(command)[:2], ["scripts/ringlab", "bench"])
        args = cli_sweep.parse_args(shlex.split(command)[2:])
        self.assertEqual((args.config, args.repetitions, args.no_pin), ("full", 7, False))
        self.assertRegex(name, args.filter)
        self.assertNotRegex(name.replace("r:1", "r:12"), args.filter)
        self.assertNotIn("--bench", command)  # the default binary goes unsaid
        unpinned = sweep.SweepSettings("/elsewhere/ringlab_bench", "quick", True)
        args = cli_sweep.parse_args(shlex.split(sweep.reproduce_command(unpinned, name, 2))[2:])
        self.assertTrue(args.no_pin)
        self.assertEqual(args.bench and pathlib.Path(args.bench).name, "ringlab_bench")


class CommandLine(unittest.TestCase):
    def run_sweep(self, *args):
        return subprocess.run([sys.executable, str(SWEEP), *args], capture_output=True, text=True)

    def test_bad_arguments_exit_2_with_a_message(self):
        for args in (["--config", "nope"], ["--repetitions", "0"], ["--filter", "("],
                     ["--bogus"]):
            with self.subTest(args=args):
                r = self.run_sweep(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn("error", r.stderr)
                self.assertNotIn("Traceback", r.stderr)

    def test_missing_binary_is_one_line_not_a_traceback(self):
        r = self.run_sweep("--bench", "/nonexistent/ringlab_bench")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no benchmark binary", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_a_run_keeps_what_succeeded_and_names_what_failed(self):
        with tempfile.TemporaryDirectory() as tmp:
            bench = pathlib.Path(tmp) / "fake_bench"
            bench.write_text(FAKE_BENCH)
            bench.chmod(bench.stat().st_mode | stat.S_IEXEC)
            r = self.run_sweep("--bench", str(bench), "--results", tmp, "--run-id", "t",
                               "--repetitions", "3", "--label", "test box")
            self.assertEqual(r.returncode, 1, r.stderr)  # one benchmark failed
            run = pathlib.Path(tmp) / "t"
            context = json.loads((run / "context.json").read_text())
            bench_json = json.loads((run / "bench.json").read_text())
            rows = bench_json["benchmarks"]
            self.assertEqual(len(rows), 3)
            # One process per repetition, in rounds; rows say which round they are.
            self.assertEqual([r["reps_asked"] for r in rows], [1, 1, 1])
            self.assertEqual([r["repetition_index"] for r in rows], [0, 1, 2])
            self.assertEqual({r["repetitions"] for r in rows}, {3})
            self.assertEqual(context["pingpong_one_way_ns"], 41.0)
            self.assertEqual(context["label"], "test box")
            self.assertEqual(context["stamp_cost_ns"], 20.5)
            failed = "ring/latency/seqlock/w:1/min_time:0.200/real_time"
            self.assertIn("exit 3", context["failures"][failed])
            # Rerun through the driver, in rounds, as the sweep ran it.
            command = shlex.split(context["reproduce"][failed])
            self.assertEqual(command[:2], ["scripts/ringlab", "bench"])
            with contextlib.chdir(ROOT):  # where the command is given to be run
                args = cli_sweep.parse_args(command[2:])
            self.assertEqual((args.config, args.repetitions), ("quick", 3))
            self.assertEqual(pathlib.Path(args.bench).resolve(), bench.resolve())
            self.assertRegex(failed, args.filter)
            self.assertNotRegex(failed.replace("w:1", "w:12"), args.filter)
            self.assertNotIn("--benchmark_repetitions", context["reproduce"][failed])
            self.assertFalse((run / ".scratch").exists())
            # The limit ran first.
            self.assertIn("limit/pingpong", r.stderr.split("ring/latency")[0])
            again = self.run_sweep("--bench", str(bench), "--results", tmp, "--run-id", "t")
            self.assertEqual(again.returncode, 2)
            self.assertIn("exists", again.stderr)


if __name__ == "__main__":
    unittest.main()
