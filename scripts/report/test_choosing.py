"""Tests of the report's "Choosing a variant" table: /usr/bin/python3 -m unittest discover -s
scripts/report

On the fixture run (see test_report.py) seqlock has the lowest one-way p50 (61.0 ns against
disruptor-spin's 91.0 ns and rwlock's 200 ns), the best transfer, the best 2 writers x 1
reader figure and the best cross-process p50 (67.0 ns); no ring in the run is lossless. Its
manifest marks every ring but disruptor-blocking shareable, and all of those but rwlock as
surviving a crashed writer.
"""

import json
import unittest

from fixture_run import FixtureCopy, section, table_row

TITLE = "Choosing a variant"


class Choosing(FixtureCopy):

    def choosing(self) -> str:
        return section(self.report(), TITLE)

    def test_it_comes_first_after_the_header(self):
        text = self.report()
        headings = [line for line in text.splitlines() if line.startswith("## ")]
        self.assertEqual(headings[0], f"## {TITLE}")
        self.assertLess(text.index("| sweep command |"), text.index(f"## {TITLE}"))

    def test_each_need_has_its_variant_figure_and_evidence(self):
        table = self.choosing()
        row = table_row(table, "lowest latency", "**seqlock**")
        for cell in ("61.0 ns [B17](#b17)", "1.22× the ping-pong", "disruptor-spin (91.0 ns)",
                     "**seqlock faster**, 1.49×", "conformance 57/57 passed",
                     "stress 22.0 M frames, 0 torn, passed", "Relacy 12/12 scenarios"):
            self.assertIn(cell, row)
        row = table_row(table, "highest throughput", "**seqlock**")
        for cell in ("12.2 M/s", "loss 0.20 %", "0.61× the best peer's (boost-spsc)",
                     "no difference shown"):
            self.assertIn(cell, row)
        row = table_row(table, "many writers", "**seqlock**")
        for cell in ("9.00 M/s", "at 2 writers × 1 reader",
                     "1.20× the best MPMC peer's (moodycamel-cq)", "multi-writer"):
            self.assertIn(cell, row)
        row = table_row(table, "across processes (shared memory)", "**seqlock**")
        for cell in ("cross-process one-way latency p50: 67.0 ns", "1.10× its in-process twin",
                     "shareable", "no cross-process stress run"):
            self.assertIn(cell, row)
        self.assertNotIn("predates", row)  # the manifest says which rings are shareable
        row = table_row(table, "survives a crashed writer", "**seqlock**")
        self.assertIn("crash-safe", row)
        self.assertIn("of 3 that qualify", row)  # rwlock's locks are not taken over

    def test_a_need_no_variant_serves_says_so(self):
        row = table_row(self.choosing(), "lossless (never drops a frame: back-pressure)")
        self.assertIn("| **none** | no variant of this run is lossless |", row)

    def test_the_winner_follows_the_figures(self):
        self.scale_counter("ring/latency/seqlock/", "p50_ns", 2.5)  # 152.5 ns
        row = table_row(self.choosing(), "lowest latency", "**disruptor-spin**")
        self.assertIn("91.0 ns", row)
        self.assertIn("against the next, seqlock (152.5 ns)", row)

    def test_the_candidates_follow_the_traits(self):
        self.set_traits("seqlock", survives_writer_crash=False)
        self.set_traits("disruptor-spin", lossless=True)
        table = self.choosing()
        self.assertIn("98.0 ns", table_row(table, "survives a crashed writer",
                                           "**disruptor-spin**"))
        row = table_row(table, "lossless (never drops a frame: back-pressure)",
                        "**disruptor-spin**")
        self.assertIn("the only one measured;", row)

    def test_a_manifest_without_the_new_traits(self):
        def drop(subjects):
            for s in subjects:
                s.pop("shareable", None)
                s.pop("survives_writer_crash", None)
            return subjects
        self.rewrite_manifest(drop)
        table = self.choosing()
        self.assertIn("not recorded", table_row(table, "survives a crashed writer"))
        # Across processes still follows the run: the variants it ran that way.
        row = table_row(table, "across processes (shared memory)", "**seqlock**")
        self.assertIn("best of 2 measured, against", row)
        self.assertIn("predates that trait: it ran across processes in this run", row)

    def test_a_need_whose_figure_is_missing(self):
        self.rewrite_bench(lambda name: "/w:2/" not in name and "_xproc/" not in name)
        table = self.choosing()
        row = table_row(table, "many writers", "**none measured**")
        self.assertIn("rwlock, seqlock, disruptor-spin, disruptor-yield qualify (multi-writer",
                      row)
        self.assertIn("none with passing evidence ran transfer delivered/s at 2 writers × 1 "
                      "reader in this run", row)
        # Across processes falls back to the in-process figure, and says so.
        row = table_row(table, "across processes (shared memory)", "**seqlock**")
        self.assertIn("one-way latency p50: 61.0 ns", row)
        self.assertIn("(no cross-process one-way latency p50 in this run)", row)

    def test_a_variant_whose_evidence_failed_is_left_out(self):
        path = self.run_dir / "evidence.json"
        evidence = json.loads(path.read_text())
        evidence["variants"]["seqlock"]["conformance"]["failed"] = 2
        path.write_text(json.dumps(evidence))
        row = table_row(self.choosing(), "lowest latency", "**disruptor-spin**")
        self.assertIn("seqlock left out: its conformance failed", row)


if __name__ == "__main__":
    unittest.main()
