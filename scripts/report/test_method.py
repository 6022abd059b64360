"""Tests of what the report says of its method: how the repetitions ran, the commands that
rerun a benchmark, and the build measured. /usr/bin/python3 -m unittest discover -s
scripts/report

The fixture run's context.json is the sweep's current one: repetitions in rounds, and
driver commands (`scripts/ringlab bench --filter ...`) to rerun each benchmark.
"""

import json
import unittest

from fixture_run import FixtureCopy, section, table_row

OLD_COMMAND = ("build/release/harness/bench/ringlab_bench --config=quick "
               "'--benchmark_filter=^limit/pingpong/cacheline$' --benchmark_repetitions=5")


class Method(FixtureCopy):

    def rewrite_context(self, change):
        path = self.run_dir / "context.json"
        context = json.loads(path.read_text())
        change(context)
        path.write_text(json.dumps(context))

    def test_repetitions_are_said_to_run_in_rounds(self):
        text = self.report()
        reading = section(text, "How to read it")
        self.assertIn("ran in rounds (5 here): each round ran every benchmark once, each in "
                      "its own process", reading)
        self.assertNotIn("in one process", text)

    def test_an_older_run_says_how_it_ran(self):
        self.rewrite_context(lambda c: c.pop("repetitions_in_rounds"))
        reading = section(self.report(), "How to read it")
        self.assertIn("does not say that its repetitions ran in rounds", reading)
        self.assertNotIn("ran in rounds (5 here)", reading)

    def test_reproduce_commands_run_the_driver_in_rounds(self):
        details = section(self.report(), "Detailed results")
        row = next(line for line in details.splitlines()
                   if line.startswith("| <a") and "| seqlock |" in line
                   and "ring/latency/seqlock/" in line)
        self.assertIn("`scripts/ringlab bench --config quick --filter "
                      "'^ring/latency/seqlock/w:1/r:1/payload:64/cap:1024/min_time:0\\.100/"
                      "real_time$' --repetitions 5`", row)
        self.assertNotIn("--benchmark_repetitions", row)
        intro = details.split("\n\n")[1]
        self.assertIn("repetitions in rounds, one process each", intro)
        # The binary alone is offered too, but said not to be the same method.
        self.assertIn("A single process with every repetition inside it, not the same "
                      "method, is `build/release/harness/bench/ringlab_bench --config=quick",
                      intro)

    def test_an_older_runs_single_process_commands_are_labelled(self):
        self.rewrite_context(lambda c: c.update(reproduce={"limit/pingpong/cacheline":
                                                           OLD_COMMAND}))
        details = section(self.report(), "Detailed results")
        self.assertIn(f"`{OLD_COMMAND}`", details)
        self.assertIn("recorded by an older sweep: **one process** running every repetition",
                      details)

    def test_without_context_the_build_type_is_unknown(self):
        (self.run_dir / "context.json").unlink()
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        bench["context"]["library_build_type"] = "debug"  # libbenchmark's, not ringlab's
        path.write_text(json.dumps(bench))
        text = self.report()
        header = text[:text.index("\n## ")]
        self.assertIn("| build type | unknown |", header)
        self.assertNotIn("debug", header)
        self.assertIn("How the repetitions ran is not recorded", section(text, "How to read it"))

    def test_ringlabs_own_build_type_is_shown(self):
        self.assertIn("Release", table_row(self.report(), "build type"))


if __name__ == "__main__":
    unittest.main()
