"""Thread scaling (the scaling configuration): broadcast and latency against readers, one
line per writer count, and the comparisons at each thread count."""

from __future__ import annotations

from ..figures import TRANSFER, scaling_grid
from ..markdown import figure, md_table
from ..plots import embed_plots
from ..rundata import Run
from .comparisons import COMPARISON_HEADERS, comparison_intro, comparison_pairs, \
    comparison_rows


def scaling_table(run: Run, scenario: str, counter: str) -> list[str]:
    grid = scaling_grid(run, scenario, counter)
    readers = sorted({r for by_w in grid.values() for pts in by_w.values() for r, _ in pts})
    rows = []
    for v, by_w in grid.items():
        for w, points in by_w.items():
            at = dict(points)
            rows.append([v, str(w)] + [figure(run, at.get(r), counter) if r in at else "–"
                                       for r in readers])
    if not rows:
        return [f"ring/{scenario}: not in this run.", ""]
    columns = [f"{r} reader{'s' if r != 1 else ''}" for r in readers]
    return md_table(["variant", "writers"] + columns, rows)


def section_scaling(run: Run, plots: dict) -> list[str]:
    lines = ["## Thread scaling", "",
             f"Broadcast and one-way latency against the number of readers, one line per "
             f"writer count, on {run.label}. Medians over repetitions.", ""]
    lines += embed_plots(plots, ["scaling_delivered", "scaling_p99"])
    lines += ["### Delivered/s per reader (ring/broadcast)", ""]
    lines += scaling_table(run, "broadcast", "delivered_per_s")
    lines += ["### One-way latency p99 (ring/latency)", ""]
    lines += scaling_table(run, "latency", "p99_ns")
    pairs = []
    threads = sorted({(b.name.axis("w"), b.name.axis("r"))
                      for b in run.select("ring", "broadcast")})
    for w, r in threads:
        strict = {"w": w, "r": r, "payload": 64}
        pairs += [p for p in comparison_pairs(run, strict, with_peers=False)
                  if p.workload is TRANSFER]
    lines += ["### Comparisons at each thread count", ""] + comparison_intro()
    rows = comparison_rows(run, pairs)
    for row, pair in zip(rows, pairs):
        row[0] += f" (w:{pair.a.name.axis('w')} r:{pair.a.name.axis('r')})"
    lines += md_table(COMPARISON_HEADERS, rows) if rows else ["No pair to compare.", ""]
    return lines
