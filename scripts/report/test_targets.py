"""Tests of the targets report.py assigns by trait, on copies of the fixture run whose
subject manifest, benchmarks or cost table are changed first."""

import json
import unittest

from fixture_run import FixtureCopy, bullet, paragraph, run_script, section, table_row


class TargetsByTrait(FixtureCopy):

    def cross_process_target(self) -> str:
        stands = section(self.report(), "Where ringlab stands")
        return table_row(stands, "seqlock", "cross-process one-way p50 (same run)")

    def test_single_writer_targets_and_writer_isolation(self):
        self.set_traits("seqlock", writers="single")
        stands = section(self.report(), "Where ringlab stands")
        for target, cells in (
                ("one-way p50 vs best peer", ["| 1.11× | **not met** (target ≤ 0.6×)"]),
                ("one-way p50 vs ping-pong", ["ping-pong 50.0 ns",
                                              "| 1.22× | **met** (target ≤ 1.25×)"]),
                ("one-way p99 vs best peer", ["120.0 ns", "boost-spsc 110.0 ns",
                                              "| 1.09× | **not met** (target ≤ 0.7×)"]),
                ("write p50 beside a polling reader", ["writer alone 20.0 ns",
                                                       "| 1.00× | **met** (target ≤ 1.2×)"]),
                ("write p99 beside a preempted reader",
                 ["48.0 ns", "writer alone 40.0 ns", "| 1.20× | **not met** (target ≤ 1.05×)"])):
            self.assert_row(stands, "seqlock", target, *cells)
        # Overwriting: no transfer target of its own; single-writer: no 2-writer target.
        targets = stands.split("| variant | target |")[1]
        self.assertNotIn("| seqlock | transfer delivered/s", targets)
        isolation = paragraph(stands, "**Writer isolation.**")
        self.assertIn("busy thread", isolation)
        row = bullet(stands[stands.index("**Writer isolation.**"):], "**seqlock**")
        for fact in ("not met: write p99 beside a preempted reader", "p99 40.0 ns [B24](#b24) "
                     "alone and 48.0 ns [B26](#b26) beside a preempted reader (1.20×)"):
            self.assertIn(fact, row)

    def test_single_writer_lossless_transfer_target(self):
        self.set_traits("seqlock", writers="single", lossless=True)
        stands = section(self.report(), "Where ringlab stands")
        row = table_row(stands, "seqlock", "transfer delivered/s")
        self.assertIn("| 0.61× | **not met** (target ≥ 1×)", row)
        transfer = stands[stands.index("**Transfer.**"):]
        self.assertIn("boost-spsc, delivers 20.0 M/s", transfer)
        self.assertIn("**seqlock** (sequence counter per slot; readers poll), lossless", transfer)
        self.assertIn("lost 0.20 %", transfer)

    def test_the_mpmc_peer_is_chosen_by_its_writers(self):
        self.set_traits("moodycamel-cq", writers="single")
        text = self.report()
        stands = section(text, "Where ringlab stands")
        self.assertIn("No multi-writer peer ran at 2 writers × 1 reader", stands)
        row = table_row(stands, "seqlock", "transfer delivered/s, 2 writers × 1 reader")
        self.assertIn("no MPMC peer in this run", row)
        self.assertTrue(row.endswith("| – | not in this run |"), row)
        self.assertNotIn("best MPMC peer,", section(text, "Comparisons"))

    def test_without_traits_no_target_is_assigned_by_trait(self):
        self.rewrite_manifest(lambda subjects: None)
        text = self.report()
        stands = section(text, "Where ringlab stands")
        self.assertIn("**The subjects' traits were not recorded**", stands)
        targets = stands.split("| variant | target |")[1]
        labels = {line.split("|")[2].strip() for line in targets.splitlines()
                  if line.startswith("| ") and "---" not in line}
        self.assertEqual(labels, {"cross-process one-way p50 (same run)"})
        comparisons = section(text, "Comparisons")
        self.assertIn("rwlock vs boost-spsc (best peer)", comparisons)  # every variant
        self.assertNotIn("seqlock vs disruptor-spin", comparisons)
        self.assertIn("| **rwlock** |", section(text, "Variants: correctness beside performance"))

    def test_a_malformed_manifest_is_bad_input(self):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        bench["context"]["ringlab_subjects"] = "[{\"name\": \"x\", \"family\": \"queue\"}]"
        path.write_text(json.dumps(bench))
        done = run_script(self.run_dir)
        self.assertEqual(done.returncode, 2)
        self.assertIn("family other than ring, peer, limit", done.stderr)

    def test_without_cost_json_no_cost_section(self):
        (self.run_dir / "cost.json").unlink()
        text = self.report()
        self.assertNotIn("## Cost per frame", text)
        self.assertNotIn("cost.json", text.splitlines()[-1])
        self.assertNotIn("instructions", section(text, "Where ringlab stands"))

    def test_cross_process_target_not_met(self):
        self.scale_counter("ring/latency_xproc/seqlock/", "p50_ns", 1.6)  # 107.2 ns
        row = self.cross_process_target()
        self.assertIn("107.2 ns", row)
        self.assertIn("| 1.76× |", row)
        self.assertIn("**not met** (target ≤ 1.5×)", row)

    def test_cross_process_target_without_cross_process_data(self):
        self.rewrite_bench(lambda name: "_xproc/" not in name)
        text = self.report()
        self.assertNotIn("| cross-process one-way p50 (same run) |",
                         section(text, "Where ringlab stands").split("| variant | target |")[1])
        self.assertNotIn("**Cross-process.**", text)
        self.assertNotIn("latency_xproc", section(text, "Detailed results"))

    def test_cross_process_target_without_its_in_process_twin(self):
        self.rewrite_bench(lambda name: not name.startswith("ring/latency/seqlock/"))
        row = self.cross_process_target()
        self.assertIn("67.0 ns", row)
        self.assertIn("in-process not in this run", row)
        self.assertTrue(row.endswith("| – | not in this run |"), row)


if __name__ == "__main__":
    unittest.main()
