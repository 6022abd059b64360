"""Tests of report.py over the cross-process twins of stalled and oversub
(ring/stalled_xproc, ring/oversub_xproc): /usr/bin/python3 -m unittest discover -s scripts/report

The fixture run has none; each test adds them as copies of the in-process rows (seqlock's
stall:1 and stall:2, disruptor-yield's oversub) with their latency doubled.
"""

import copy
import json
import re
import unittest

from fixture_run import FixtureCopy, section

TWINS = {"ring/stalled/seqlock/stall:1/": "/stalled/", "ring/stalled/seqlock/stall:2/": "/stalled/",
         "ring/oversub/disruptor-yield/": "/oversub/"}


def refs_blanked(text: str) -> str:
    """The text without its benchmark references, which renumber when rows are added."""
    return re.sub(r"\[B\d+\]\(#b\d+\)", "[B](#b)", text)


class XprocTwins(FixtureCopy):
    def add_twins(self):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        added = []
        for row in bench["benchmarks"]:
            scenario = next((s for prefix, s in TWINS.items()
                             if row["run_name"].startswith(prefix)), None)
            if scenario is None:
                continue
            twin = copy.deepcopy(row)
            for key in ("name", "run_name"):
                twin[key] = twin[key].replace(scenario, scenario[:-1] + "_xproc/", 1)
            for counter in ("p50_ns", "p99_ns"):
                if counter in twin:
                    twin[counter] *= 2
            added.append(twin)
        self.assertEqual(len({r["run_name"] for r in added}), 3)
        bench["benchmarks"] += added
        path.write_text(json.dumps(bench))

    def test_each_stands_beside_its_twin_with_the_ratio_to_it(self):
        self.add_twins()
        details = section(self.report(), "Detailed results")
        stalled = details[details.index("### ring / stalled and stalled_xproc\n"):]
        stalled = stalled[:stalled.index("\n### ")]
        rows = [[c.strip() for c in line.split("|")] for line in stalled.splitlines()
                if line.startswith("| <a")]
        seqlock = [(r[3], r[4]) for r in rows if r[2] == "seqlock"]
        self.assertEqual(seqlock, [("in-process", "0"), ("in-process", "1"),
                                   ("cross-process", "1"), ("in-process", "2"),
                                   ("cross-process", "2")])
        header = next(line for line in stalled.splitlines() if line.startswith("| ref"))
        self.assertIn("| p99 ÷ in-process |", header)
        cross = [line for line in stalled.splitlines() if "| cross-process |" in line]
        self.assertTrue(all("| 2.00× |" in line for line in cross), cross)
        oversub = details[details.index("### ring / oversub and oversub_xproc\n"):]
        oversub = oversub[:oversub.index("\n### ")]
        self.assertIn("| disruptor-yield | cross-process | 4 |", oversub)

    def test_the_in_process_figures_are_left_as_they_were(self):
        before = self.report()
        self.add_twins()
        after = self.report()
        # The stalled plot's data, the targets and comparisons read stalled and oversub
        # by their exact scenario: adding the twins changes only the detailed tables and
        # the count of rows without a reproduce command.
        for title in ("Choosing a variant", "Where ringlab stands", "Comparisons",
                      "Variants: correctness beside performance"):
            self.assertEqual(refs_blanked(section(after, title)),
                             refs_blanked(section(before, title)), title)


if __name__ == "__main__":
    unittest.main()
