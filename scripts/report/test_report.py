"""Tests of report.py: /usr/bin/python3 -m unittest discover -s scripts/report

The fixture run (fixtures/20261130-100000-quick) is hand-made: seqlock's one-way p50 sits
clearly below disruptor-spin's (5 repetitions each), their transfer figures overlap, and
rwlock has 3 repetitions only. The ping-pong p50 is 50.0 ns; aggregates carry absurd values
(9999) that must never reach the report. seqlock and disruptor-spin also ran cross-process
(ring/latency_xproc: p50 67.0 ns and 98.0 ns against 61.0 ns and 91.0 ns in-process), and
seqlock's transfer too (ring/broadcast_xproc, 11.8 M/s against 12.2 M/s). At 2 writers x 1
reader seqlock delivers 9.00 M/s, disruptor-spin 7.00 M/s and the MPMC peer moodycamel-cq
7.50 M/s. Its bench.json carries a subject manifest (rwlock the baseline, the other rings
targeted and multi-writer, disruptor-gated lossless; peers single-writer but moodycamel-cq),
and cost.json the cost per frame of five subjects.
"""

import copy
import json
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

from fixture_run import FIXTURE, HERE, FixtureCopy, bullet, copy_fixture, paragraph, \
    run_script, section, table_row

sys.path.insert(0, str(HERE.parent))
from ringlab_tools import fmt, stats  # noqa: E402
from ringlab_tools.names import BenchName  # noqa: E402


def iteration_subjects(bench: dict) -> set[str]:
    return {r["run_name"].split("/")[2] for r in bench["benchmarks"]
            if r.get("run_type") == "iteration" and not r.get("error_occurred")}


class FixtureReport(unittest.TestCase):
    """One report of the fixture run, written into a temporary results directory."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.results = Path(cls.tmp.name) / "results"
        cls.run_dir = copy_fixture(cls.results)
        done = run_script(cls.run_dir)
        if done.returncode != 0:
            raise AssertionError(f"report.py failed: {done.stderr}")
        cls.text = (cls.run_dir / "report.md").read_text(encoding="utf-8")
        cls.bench = json.loads((FIXTURE / "bench.json").read_text())
        cls.context = json.loads((FIXTURE / "context.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_title_names_run_config_and_machine(self):
        first = self.text.splitlines()[0]
        self.assertIn(FIXTURE.name, first)
        self.assertIn("quick", first)
        self.assertIn("fixture machine (2-core test VM)", first)
        header = self.text[:self.text.index("## Where ringlab stands")]
        for fact in ("AMD EPYC 7B13, 2 cores", "6.1.0-28-cloud-amd64",
                     "g++ (Debian 12.2.0-14)", "Release", "a9497de1f0c2",
                     "tsc, 7.1 ns per stamp", "| repetitions | 5 (in rounds",
                     "`scripts/ringlab bench --config quick --repetitions 5`"):
            self.assertIn(fact, header)

    def test_every_variant_and_peer_is_mentioned(self):
        subjects = iteration_subjects(self.bench) - {"cacheline", "memcpy"}
        self.assertEqual(subjects, {"rwlock", "seqlock", "disruptor-spin", "disruptor-yield",
                                    "boost-spsc", "moodycamel-rwq", "moodycamel-cq"})
        table = section(self.text, "Variants: correctness beside performance")
        for subject in subjects:
            self.assertRegex(table, rf"\| \**{re.escape(subject)}\**( \(peer\))? \|")

    def test_pingpong_limit_and_targets_as_measured(self):
        stands = section(self.text, "Where ringlab stands")
        self.assertIn("**50.0 ns**", stands)
        # seqlock is multi-writer and targeted: its p50 against the best peer of all.
        p50 = table_row(stands, "seqlock", "one-way p50 vs best peer")
        for cell in ("61.0 ns", "boost-spsc 55.0 ns", "| 1.11× |", "**not met** (target ≤ 1×)"):
            self.assertIn(cell, p50)
        transfer = table_row(stands, "seqlock", "transfer delivered/s")
        self.assertIn("12.2 M/s", transfer)
        self.assertIn("loss 0.20 %", transfer)
        self.assertIn("boost-spsc 20.0 M/s", transfer)  # the best peer on transfer
        self.assertIn("0.61×", transfer)
        self.assertIn("**met** (target ≥ 0.5×)", transfer)
        two = table_row(stands, "seqlock", "transfer delivered/s, 2 writers × 1 reader")
        for cell in ("9.00 M/s", "moodycamel-cq 7.50 M/s", "| 1.20× |", "**met** (target ≥ 1×)"):
            self.assertIn(cell, two)
        two = table_row(stands, "disruptor-spin", "transfer delivered/s, 2 writers × 1 reader")
        self.assertIn("| 0.93× | **not met**", two)
        absent = table_row(stands, "disruptor-yield", "one-way p50 vs best peer")
        self.assertTrue(absent.endswith("not in this run |"))
        self.assertNotIn("| rwlock |", stands)  # the baseline carries no target
        self.assertNotIn("vs ping-pong", stands.split("| variant | target |")[1])
        self.assertNotIn("beside a polling reader |", stands.split("| variant | target |")[1])

    def test_target_definitions_are_listed_with_their_bounds(self):
        stands = section(self.text, "Where ringlab stands")
        for traits, target, bound in (
                ("single-writer, targeted variant", "one-way p50 vs best peer", "≤ 0.6×"),
                ("single-writer, targeted variant", "one-way p50 vs ping-pong", "≤ 1.25×"),
                ("single-writer, targeted variant", "one-way p99 vs best peer", "≤ 0.7×"),
                ("single-writer, lossless variant", "transfer delivered/s", "≥ 1×"),
                ("multi-writer, targeted variant", "one-way p50 vs best peer", "≤ 1×"),
                ("multi-writer, targeted variant", "transfer delivered/s", "≥ 0.5×"),
                ("multi-writer, targeted variant", "transfer delivered/s, 2 writers × 1 reader",
                 "≥ 1× the best MPMC peer"),
                ("single-writer variant", "write p50 beside a polling reader", "≤ 1.2×"),
                ("single-writer variant", "write p99 beside a preempted reader", "≤ 1.05×")):
            self.assertIn(bound, table_row(stands, traits, target))

    def test_cross_process_target_met(self):
        stands = section(self.text, "Where ringlab stands")
        row = table_row(stands, "seqlock", "cross-process one-way p50 (same run)")
        for cell in ("67.0 ns", "in-process 61.0 ns", "| 1.10× |", "**met** (target ≤ 1.5×)"):
            self.assertIn(cell, row)
        # Every variant run both ways is held to it.
        row = table_row(stands, "disruptor-spin", "cross-process one-way p50 (same run)")
        self.assertIn("| 1.08× | **met**", row)
        self.assertIn("**5 of 8 measured targets met, 3 not met**; 3 not in this run.", stands)

    def test_why_says_what_the_cross_process_figure_includes(self):
        stands = section(self.text, "Where ringlab stands")
        why = stands[stands.index("**Cross-process.**"):]
        why = why[:why.index("\n\n")]
        for fact in ("second one", "pinned to the CPU the in-process reader takes",
                     "POSIX shared-memory segment", "second shared mapping", "the TSC",
                     "coherence", "ratio near 1 is expected", "TLB", "minor fault",
                     "seqlock 67.0 ns", "against 61.0 ns", "1.10×", "disruptor-spin 98.0 ns",
                     "Transfer delivered/s: seqlock 11.8 M/s"):
            self.assertIn(fact, why)

    def test_cross_process_rows_stand_beside_their_twins(self):
        details = section(self.text, "Detailed results")
        latency = details[details.index("### ring / latency and latency_xproc\n"):]
        latency = latency[:latency.index("\n### ")]
        rows = [line for line in latency.splitlines() if line.startswith("| <a")]
        subjects = [[c.strip() for c in r.split("|")][2:4] for r in rows]
        self.assertEqual(subjects, [["rwlock", "in-process"], ["seqlock", "in-process"],
                                    ["seqlock", "cross-process"],
                                    ["disruptor-spin", "in-process"],
                                    ["disruptor-spin", "cross-process"]])
        self.assertIn("| p50 ÷ in-process |", latency)
        self.assertIn("| 1.10× |", rows[2])  # 67.0 ns over the twin's 61.0 ns
        self.assertIn("ring/latency_xproc/seqlock/", rows[2])  # its own reproduce command
        broadcast = details[details.index("### ring / broadcast and broadcast_xproc\n"):]
        cross = next(line for line in broadcast.splitlines() if "| cross-process |" in line)
        self.assertIn("| 0.97× |", cross)  # delivered/s 11.8 M/s over 12.2 M/s

    def test_cross_process_compared_with_its_twin(self):
        row = table_row(self.text, "seqlock (cross-process) vs seqlock", "one-way latency p50")
        self.assertIn("**seqlock (cross-process) slower**, 1.10×", row)
        row = table_row(self.text, "seqlock (cross-process) vs seqlock", "transfer delivered/s")
        self.assertIn("no difference shown", row)

    def test_why_explains_with_this_runs_numbers(self):
        stands = section(self.text, "Where ringlab stands")
        why = stands[stands.index("### Why"):]
        self.assertNotIn("$", why)  # every placeholder filled
        latency = paragraph(why, "**One-way latency.**")
        self.assertIn("about one stamp's cost (7 ns", latency)
        self.assertIn("boost-spsc, is at 55.0 ns", latency)
        # The best peer's cost per frame from cost.json.
        self.assertIn("boost-spsc executes 17.0 instructions to write (0 locked", latency)
        seqlock = bullet(why, "**seqlock**")
        for fact in ("not met: one-way p50 vs best peer", "p50 61.0 ns", "1.11× the best "
                     "peer's", "1.22× the ping-pong", "20.0 ns [B24](#b24) per write alone",
                     "38.2 instructions to write (2 locked, 1 fences)"):
            self.assertIn(fact, seqlock)
        two = paragraph(why, "**Two writers.**")
        self.assertIn("moodycamel-cq, delivers 7.50 M/s", two)
        self.assertIn("7.00 M/s [B15](#b15) at 2 writers × 1 reader (0.93× the best MPMC "
                      "peer's), against 12.1 M/s", why)
        self.assertNotIn("**Transfer.**", why)  # every transfer target met
        self.assertNotIn("**Writer isolation.**", why)  # no single-writer variant
        self.assertNotIn("disruptor-gated", why)  # not in the fixture: no claim about it

    def test_cost_per_frame_beside_the_timings(self):
        cost = section(self.text, "Cost per frame")
        self.assertIn("callgrind (valgrind-3.19.0)", cost)
        row = table_row(cost, "**seqlock**")
        for cell in ("| 38.2 | 45.0 |", "| 2 / 0 |", "| 1 / 0 |", "61.0 ns [B17](#b17)",
                     "12.2 M/s [B11](#b11)"):
            self.assertIn(cell, row)
        self.assertIn("| 17.0 | 19.5 |", table_row(cost, "boost-spsc (peer)"))
        self.assertLess(self.text.index("## Variants"), self.text.index("## Cost per frame"))
        self.assertIn("and cost.json.", self.text.splitlines()[-1])

    def test_comparisons_follow_the_traits(self):
        text = section(self.text, "Comparisons")
        row = table_row(text, "seqlock vs moodycamel-cq (best MPMC peer, 2 writers × 1 "
                        "reader)", "transfer delivered/s")
        self.assertIn("**seqlock faster**, 1.20×", row)
        self.assertIn("seqlock vs boost-spsc (best peer)", text)
        self.assertNotIn("rwlock vs boost-spsc", text)  # the baseline is not a target
        self.assertNotIn("rwlock vs disruptor", text)  # one baseline pair: the first target

    def test_detailed_rows_carry_their_ratio_to_the_limit(self):
        details = section(self.text, "Detailed results")
        latency = details[details.index("### ring / latency"):]
        row = next(line for line in latency.splitlines() if "| seqlock |" in line)
        self.assertIn("| 1.22× |", row)  # p50 61.0 ns over the 50.0 ns ping-pong
        write_only = details[details.index("### ring / write_only"):]
        row = next(line for line in write_only.splitlines()
                   if "| seqlock | 64 |" in line)
        self.assertIn("| 0.13× |", row)  # 2.56 GB/s over memcpy's 20 GB/s at 64 B

    def test_aggregates_are_ignored(self):
        self.assertNotIn("9,999", self.text)
        self.assertNotIn("9999", self.text)

    def test_called_difference_for_the_separated_pair(self):
        row = table_row(self.text, "seqlock vs disruptor-spin", "one-way latency p50")
        self.assertIn("**seqlock faster**, 1.49×", row)
        self.assertIn("5 vs 5", row)

    def test_no_difference_for_overlapping_repetitions(self):
        row = table_row(self.text, "seqlock vs disruptor-spin", "transfer delivered/s")
        self.assertRegex(row, r"no difference shown \(p = 0\.\d+\)")
        self.assertNotIn("faster", row)
        self.assertNotIn("slower", row)

    def test_too_few_repetitions_to_call(self):
        for metric in ("transfer delivered/s", "one-way latency p50", "write-only frames/s"):
            row = table_row(self.text, "rwlock vs seqlock", metric)
            self.assertIn("too few repetitions to call (3 vs 5", row)
            self.assertNotIn("faster", row)

    def test_comparison_names_compare_py(self):
        text = section(self.text, "Comparisons")
        self.assertIn("compare.py", text)
        self.assertIn("Mann-Whitney U", text)

    def test_evidence_beside_performance(self):
        table = section(self.text, "Variants: correctness beside performance")
        seqlock = table_row(table, "**seqlock**")
        for cell in ("57/57 passed", "release: 20.0 M frames, 0 torn", "tsan: 2.00 M frames",
                     "0 reports", "12/12 scenarios, 9/9 mutants caught", "40.0 M/s"):
            self.assertIn(cell, seqlock)
        rwlock = table_row(table, "**rwlock**")
        cells = [c.strip() for c in rwlock.split("|")]
        self.assertEqual(cells[4:6], ["not run", "not run"])  # TSan and Relacy
        self.assertIn("seed-poll-pending-as-gone", table)

    def test_every_detailed_row_carries_its_reproduce_command(self):
        rows = [line for line in self.text.splitlines() if line.startswith('| <a id="b')]
        reproduce = self.context["reproduce"]
        self.assertEqual(len(rows), len(reproduce))
        for run_name, command in reproduce.items():
            matching = [r for r in rows if f"`{command}`" in r]
            self.assertEqual(len(matching), 1, run_name)
        self.assertNotIn("*not recorded*", self.text)
        self.assertIn("| threads pinned | yes |", self.text)

    def test_figures_link_to_detailed_rows(self):
        anchors = set(re.findall(r'<a id="(b\d+)"></a>', self.text))
        links = set(re.findall(r"\]\(#(b\d+)\)", self.text))
        self.assertTrue(links)
        self.assertLessEqual(links, anchors)

    def test_spread_in_detailed_tables(self):
        row = next(line for line in self.text.splitlines()
                   if "ring/latency/seqlock/" in line and line.startswith("| <a"))
        self.assertIn("61.0 ns (60.0 ns – 62.0 ns)", row)

    def test_failed_benchmark_is_listed(self):
        self.assertIn("spin wait strategy is not run oversubscribed", self.text)

    def test_svgs_parse_and_are_embedded(self):
        svgs = sorted((self.run_dir / "plots").glob("*.svg"))
        self.assertEqual([p.stem for p in svgs],
                         ["latency_1x1", "latency_spectrum", "stalled", "transfer_1x1",
                          "write_only_payload"])
        for path in svgs:
            root = ET.parse(path).getroot()
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", path.name)
            self.assertIn(f"](plots/{path.name})", self.text)
        self.assertNotIn("scaling", section(self.text, "Plots"))  # one reader count only

    def test_second_run_gives_identical_svgs(self):
        first = {p.name: p.read_bytes() for p in (self.run_dir / "plots").glob("*.svg")}
        with tempfile.TemporaryDirectory() as tmp:
            again = copy_fixture(Path(tmp), "elsewhere")
            self.assertEqual(run_script(again).returncode, 0)
            second = {p.name: p.read_bytes() for p in (again / "plots").glob("*.svg")}
        self.assertEqual(first.keys(), second.keys())
        for name in first:
            self.assertEqual(first[name], second[name], name)
        self.assertNotIn(b"<dc:date>", next(iter(first.values())))


class PartialRuns(FixtureCopy):
    """Runs that lack scenarios, context or evidence."""

    def test_only_the_limit_says_not_in_this_run(self):
        self.rewrite_bench(lambda name: name.startswith("limit/"))
        (self.run_dir / "evidence.json").unlink()
        done = run_script(self.run_dir)
        self.assertEqual(done.returncode, 0, done.stderr)
        text = (self.run_dir / "report.md").read_text()
        self.assertIn("**50.0 ns**", text)
        self.assertIn("Correctness evidence: **not in this run**", text)
        self.assertIn("There is no peer in this run.", text)
        plots = section(text, "Plots")
        self.assertEqual(plots.count("not in this run"), 4)
        self.assertEqual(list((self.run_dir / "plots").glob("*.svg")), [])

    def test_missing_reproduce_command_is_flagged(self):
        path = self.run_dir / "context.json"
        context = json.loads(path.read_text())
        dropped = sorted(context["reproduce"])[0]
        del context["reproduce"][dropped]
        path.write_text(json.dumps(context))
        self.assertEqual(run_script(self.run_dir).returncode, 0)
        text = (self.run_dir / "report.md").read_text()
        self.assertIn("1 of 39 benchmarks have no reproduce command", text)
        self.assertEqual(section(text, "Detailed results").count("*not recorded*"), 1)

    def test_failures_listed_by_the_sweep_runner(self):
        path = self.run_dir / "context.json"
        context = json.loads(path.read_text())
        name = "ring/read_only/seqlock/r:1/payload:64/cap:1024/min_time:0.100/real_time"
        context["failures"] = {name: "timed out after 300 s"}
        context["reproduce"][name] = "ringlab_bench --benchmark_filter=read-only-again"
        path.write_text(json.dumps(context))
        self.assertEqual(run_script(self.run_dir).returncode, 0)
        failed = section((self.run_dir / "report.md").read_text(), "Detailed results")
        row = table_row(failed, "–", f"`{name}`")
        self.assertIn("timed out after 300 s", row)
        self.assertIn("`ringlab_bench --benchmark_filter=read-only-again`", row)

    def test_scaling_run_is_its_own_report(self):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        template = next(r for r in bench["benchmarks"]
                        if r["run_name"].startswith("ring/broadcast/seqlock/"))
        rows = []
        for variant, base in (("seqlock", 12e6), ("disruptor-spin", 11e6)):
            for w in (1, 2):
                for r in (1, 2, 4):
                    name = f"ring/broadcast/{variant}/w:{w}/r:{r}/payload:64/cap:1024"
                    for i in range(4):
                        row = copy.deepcopy(template)
                        row.update(name=name, run_name=name, repetition_index=i,
                                   repetitions=4, delivered_per_s=base / r / w * (1 + i / 100))
                        rows.append(row)
        bench["benchmarks"] = rows
        path.write_text(json.dumps(bench))
        context_path = self.run_dir / "context.json"
        context = json.loads(context_path.read_text())
        context.update(config="scaling", label="big box (64-core test)", reproduce={})
        context_path.write_text(json.dumps(context))
        done = run_script(self.run_dir)
        self.assertEqual(done.returncode, 0, done.stderr)
        text = (self.run_dir / "report.md").read_text()
        self.assertTrue(text.startswith("# Scaling run"))
        self.assertIn("big box (64-core test)", text.splitlines()[0])
        scaling = section(text, "Thread scaling")
        self.assertIn("](plots/scaling_delivered.svg)", scaling)
        self.assertIn("4 readers", scaling)
        self.assertIn("seqlock vs disruptor-spin (w:2 r:4)", scaling)
        svg = ET.parse(self.run_dir / "plots" / "scaling_delivered.svg").getroot()
        self.assertTrue(svg.tag.endswith("svg"))


class BadInput(unittest.TestCase):

    def assert_exit_2(self, *args):
        done = run_script(*args)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        # A usage error comes after the usage line; bad data is the one line alone.
        lines = done.stderr.strip().splitlines()
        self.assertLessEqual(len(lines), 2, done.stderr)
        if len(lines) == 2:
            self.assertTrue(lines[0].startswith("usage: report.py"), done.stderr)
        self.assertTrue(lines[-1].startswith("report.py: error: "), done.stderr)
        return lines[-1]

    def test_missing_run_dir(self):
        self.assertIn("not found", self.assert_exit_2("/nonexistent/run"))

    def test_missing_malformed_or_foreign_bench_json(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp)
            self.assertIn("bench.json not found", self.assert_exit_2(run))
            (run / "bench.json").write_text("{not json")
            self.assertIn("not valid JSON", self.assert_exit_2(run))
            (run / "bench.json").write_text('{"results": []}')
            self.assertIn("no 'benchmarks' list", self.assert_exit_2(run))
            (run / "bench.json").write_text('[1, 2]')
            self.assertIn("no 'benchmarks' list", self.assert_exit_2(run))
            (run / "bench.json").write_text('{"benchmarks": [{"real_time": 1}]}')
            self.assertIn("without a name", self.assert_exit_2(run))

    def test_malformed_context_or_evidence(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = copy_fixture(Path(tmp))
            (run / "evidence.json").write_text('{"variants": {"seqlock": {"stress": 3}}}')
            self.assertIn("'stress' is not a JSON array", self.assert_exit_2(run))
            (run / "evidence.json").unlink()
            (run / "context.json").write_text('{"reproduce": []}')
            self.assertIn("'reproduce' is not a JSON object", self.assert_exit_2(run))
            (run / "context.json").write_text('[]')
            self.assertIn("is not a JSON object", self.assert_exit_2(run))

    def test_usage_errors(self):
        self.assert_exit_2()
        self.assert_exit_2("--index", "/nonexistent/results")
        self.assert_exit_2("a", "--index", "b")

    def test_help(self):
        done = run_script("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--index", done.stdout)


class Index(unittest.TestCase):

    def test_index_lists_runs_newest_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp)
            older = copy_fixture(results, "20261001-080000-full")
            context = json.loads((older / "context.json").read_text())
            context.update(run_id=older.name, config="full", started="2026-10-01T08:00:00Z")
            (older / "context.json").write_text(json.dumps(context))
            newer = copy_fixture(results)
            self.assertEqual(run_script(newer).returncode, 0)
            (results / "ordering-audit.md").write_text(
                "# Ordering audit\n\nWritten by `scripts/ringlab model` on 2026-11-28 from "
                "commit `0fe0d0c` , g++.\n")
            (results / "not-a-run").mkdir()
            comparison = results / "ab-1"
            comparison.mkdir()
            (comparison / "compare.json").write_text(json.dumps({
                "command": "scripts/ringlab compare HEAD~1 HEAD",
                "summary": {"faster": 2, "slower": 1, "no difference shown": 7}}))
            done = run_script("--index", results)
            self.assertEqual(done.returncode, 0, done.stderr)
            text = (results / "README.md").read_text()
        new_row = table_row(text, f"[{newer.name}]({newer.name}/report.md)")
        for cell in ("2026-11-30", "quick", "fixture machine (2-core test VM)",
                     "a9497de1f0c2", "50.0 ns", "61.0 ns (seqlock)", "55.0 ns (boost-spsc)"):
            self.assertIn(cell, new_row)
        self.assertIn("(no report yet)", text)
        self.assertLess(text.index(newer.name), text.index(older.name))
        self.assertNotIn("not-a-run", text)
        self.assertIn("| [ab-1](ab-1/compare.md) | `scripts/ringlab compare HEAD~1 HEAD` | "
                      "2 faster, 1 slower, 7 no difference shown |", text)
        self.assertIn("[ordering-audit.md](ordering-audit.md), written on 2026-11-28 from "
                      "commit `0fe0d0c`", text)


class Units(unittest.TestCase):

    def test_name_parsing_keeps_google_benchmark_suffixes_apart(self):
        name = BenchName.parse(
            "ring/broadcast/disruptor-gated/w:2/r:4/payload:64/cap:1024/min_time:0.100/"
            "real_time")
        self.assertEqual((name.family, name.scenario, name.subject),
                         ("ring", "broadcast", "disruptor-gated"))
        self.assertEqual(name.axes, (("w", 2), ("r", 4), ("payload", 64), ("cap", 1024)))
        self.assertEqual(name.options, ("min_time:0.100", "real_time"))
        self.assertEqual(BenchName.parse("limit/pingpong/cacheline").axes, ())

    def test_judge(self):
        low, high = [60, 61, 62, 60, 61], [90, 92, 91, 93, 90]
        called = stats.judge(low, high, "lower", "a")
        self.assertTrue(called.called)
        self.assertIn("a faster", called.text)
        self.assertIn("a slower", stats.judge(low, high, "higher", "a").text)
        same = stats.judge([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], "lower", "a")
        self.assertFalse(same.called)
        self.assertIn("no difference shown", same.text)
        self.assertIn("too few", stats.judge(low[:3], high, "lower", "a").text)
        ties = stats.judge([5] * 5, [5] * 5, "lower", "a")
        self.assertFalse(ties.called)

    def test_formatting(self):
        self.assertEqual(fmt.fmt_ns(1234.56), "1,234.6 ns")
        self.assertEqual(fmt.fmt_rate(12_345_678), "12.3 M/s")
        self.assertEqual(fmt.fmt_rate(2.5e9), "2.50 G/s")
        self.assertEqual(fmt.fmt_bytes_rate(1.28e9), "1.28 GB/s")
        self.assertEqual(fmt.fmt_pct(0.002), "0.20 %")
        self.assertEqual(fmt.fmt_count(2e7), "20.0 M")


if __name__ == "__main__":
    unittest.main()
