"""Tests of the report's plots (ringlab_tools.plots) and the latency spectrum behind one of
them (ringlab_tools.spectrum): /usr/bin/python3 -m unittest discover -s scripts/report

The fixture's latency rows carry histogram buckets (`hist_le_<ns>` counters) that hold half
of each repetition's samples at its p50, 40 % at its p90, then 9 %, 0.9 % and 0.1 % at its
p99, p99.9 and max; its aggregate rows carry an absurd `hist_le_9999` that must be ignored.
"""

import json
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

from fixture_run import FIXTURE, HERE, FixtureCopy, section

sys.path.insert(0, str(HERE.parent))
from ringlab_tools import plots, spectrum  # noqa: E402
from ringlab_tools.figures import LATENCY_P50  # noqa: E402
from ringlab_tools.load import load_run  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
BAR_PLOTS = [plots.plot_latency, plots.plot_transfer, plots.plot_stalled]


class Figures(unittest.TestCase):
    """The plot functions on the fixture run, drawn but not saved."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        run_dir = Path(cls.tmp.name) / FIXTURE.name
        shutil.copytree(FIXTURE, run_dir)
        cls.data = load_run(run_dir)
        cls.plt = plots._pyplot()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def draw(self, fn):
        fig = fn(self.data, self.plt)
        self.addCleanup(self.plt.close, fig)
        fig.canvas.draw()
        return fig

    def test_every_bar_has_min_max_error_bars(self):
        for fn in BAR_PLOTS:
            ax = self.draw(fn).axes[0]
            bars = [c for c in ax.containers if hasattr(c, "patches")]
            self.assertTrue(bars, fn.__name__)
            for c in bars:
                self.assertIsNotNone(c.errorbar, f"{fn.__name__}: {c.get_label()}")
        # seqlock's p50 bar spans its repetitions' 60.0 – 62.0 ns.
        ax = self.draw(plots.plot_latency).axes[0]
        p50 = next(c for c in ax.containers if c.get_label() == "p50")
        segments = p50.errorbar.lines[2][0].get_segments()
        spans = {(round(s[0][1], 1), round(s[1][1], 1)) for s in segments}
        self.assertIn((60.0, 62.0), spans)

    def test_legends_sit_outside_the_data_area(self):
        for fn in BAR_PLOTS + [plots.plot_write_only, plots.plot_latency_spectrum]:
            fig = self.draw(fn)
            renderer = fig.canvas.get_renderer()
            for ax in fig.axes:
                legend = ax.get_legend()
                self.assertIsNotNone(legend, fn.__name__)
                box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
                self.assertFalse(box.overlaps(area), fn.__name__)

    def test_write_only_lines_never_hide_one_another(self):
        ax = self.draw(plots.plot_write_only).axes[0]
        lines = [line for line in ax.get_lines() if not line.get_label().startswith("memcpy")]
        self.assertGreaterEqual(len(lines), 3)
        styles = {(line.get_marker(), line.get_linestyle()) for line in lines}
        self.assertEqual(len(styles), len(lines))
        xs = {tuple(line.get_xdata()) for line in lines}
        self.assertEqual(len(xs), len(lines))  # shifted apart, even where values coincide

    def test_buckets_merge_over_repetitions_and_skip_aggregates(self):
        bench = LATENCY_P50.bench(self.data, "seqlock")
        buckets = spectrum.merged_buckets(bench)
        self.assertNotIn(9999, buckets)
        self.assertEqual(sum(buckets.values()), 5 * 200000)
        self.assertEqual(buckets[60], 2 * 100000)  # two repetitions had their p50 at 60 ns
        # Half the samples lie at the p50s (60, 61, 62, 60, 61 ns): the merged p50 is 62 ns;
        # 40 % more at the p90s (72, 73, 74, 72, 73 ns): the merged p90 is the highest.
        self.assertEqual(spectrum.percentile_of(buckets, 0.5), 62.0)
        self.assertEqual(spectrum.percentile_of(buckets, 0.4), 61.0)
        points = dict(spectrum.spectrum(buckets))
        self.assertEqual(points[2.0], 62.0)
        self.assertEqual(points[10.0], 74.0)
        self.assertEqual(spectrum.percentile_of(buckets, 0.8), 73.0)
        self.assertAlmostEqual(max(points), 10 ** 6, delta=1)  # 10^6 samples resolve 99.9999%

    def test_percentile_labels(self):
        self.assertEqual([spectrum.percentile_label(x) for x in (2, 10, 100, 1000, 10000)],
                         ["50%", "90%", "99%", "99.9%", "99.99%"])

    def test_spectrum_has_a_line_per_subject(self):
        fig = self.draw(plots.plot_latency_spectrum)
        labels = {ax.get_title(): [line.get_label() for line in ax.get_lines()]
                  for ax in fig.axes}
        self.assertEqual(labels["ring variants: one-way latency by percentile"],
                         ["rwlock", "seqlock", "disruptor-spin", "ping-pong one-way"])
        self.assertEqual(labels["peer queues: one-way latency by percentile"],
                         ["boost-spsc", "moodycamel-rwq", "moodycamel-cq",
                          "ping-pong one-way"])


class Rendered(FixtureCopy):

    def test_svg_text_stays_text(self):
        self.report()
        root = ET.parse(self.run_dir / "plots" / "latency_1x1.svg").getroot()
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        self.assertIn("seqlock", texts)
        spectrum_svg = ET.parse(self.run_dir / "plots" / "latency_spectrum.svg").getroot()
        self.assertIn("99.9%", ["".join(t.itertext()) for t in spectrum_svg.iter(f"{SVG}text")])

    def test_spectrum_in_the_report(self):
        plots_text = section(self.report(), "Plots")
        self.assertIn("](plots/latency_spectrum.svg)", plots_text)

    def test_a_run_without_buckets_skips_the_spectrum_with_a_sentence(self):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        for row in bench["benchmarks"]:
            for key in [k for k in row if k.startswith("hist_le_")]:
                del row[key]
        path.write_text(json.dumps(bench))
        plots_text = section(self.report(), "Plots")
        self.assertIn("carries no latency histogram buckets", plots_text)
        self.assertFalse((self.run_dir / "plots" / "latency_spectrum.svg").exists())


if __name__ == "__main__":
    unittest.main()
