"""A comparison's three files: compare.md (what was compared, how, and the table),
compare.json (every number) and compare.svg (each ratio with its interval)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..fmt import COUNTERS, fmt_counter, fmt_p
from ..jsonio import write_json
from ..markdown import md_code, md_table
from .running import Measured, Side
from .statistics import CONFIDENCE, FASTER, NO_DIFFERENCE, RESAMPLES, SLOWER, Row, counts, \
    smallest_p

COLOURS = {FASTER: "#1b7837", SLOWER: "#b2182b", NO_DIFFERENCE: "#555555"}


@dataclass(frozen=True)
class Comparison:
    compare_id: str
    command: str
    alpha: float
    measured: Measured
    rows: list[Row]


def _side_text(side: Side) -> str:
    about, src = side.about, side.source
    if src.kind == "run directory":
        parts = [f"run {md_code(str(about['run_id']))}", f"configuration {about['config']}",
                 f"commit {about['commit'] or 'unknown'}",
                 f"{about['repetitions'] or 'unrecorded'} repetitions",
                 f"on {about['label']}"]
        return f"run directory {md_code(src.shown_path)} ({', '.join(parts)})"
    what = (f"revision {md_code(src.given)} = commit {src.commit[:12]}, built as "
            if src.commit else "binary ")
    return f"{what}{md_code(src.shown_path)} (built {about['built']})"


def _method(c: Comparison, tested: int) -> str:
    m = c.measured
    how = ("Both binaries ran on this machine in the same rounds: each round ran every "
           "benchmark once per side, each in its own process, the side that went first "
           "alternating from round to round, so a drifting machine falls on both alike. "
           if m.how == "side by side" else
           "The samples are the repetitions the two runs stored (measured at different "
           "times, perhaps on different machines: a difference may be the machine's). ")
    return (how + f"Per benchmark and counter, the ratio of medians B/A with a "
            f"{CONFIDENCE:.0%} bootstrap interval ({RESAMPLES} resamples of each side on "
            "its own, BCa, the percentile interval where BCa is undefined), and the "
            "two-sided Mann-Whitney U test of B's repetitions against A's; p-values are "
            f"Holm-corrected over all {tested} tests made. A row is called *faster* or "
            f"*slower* only when its corrected p < {c.alpha:g} and its interval excludes 1; "
            "faster means better for that counter (lower latency and loss, higher rates).")


def _power_warning(c: Comparison, tested: list[Row]) -> list[str]:
    """Says so when no row could have been called: too few repetitions for the number
    of tests."""
    if not tested:
        return []
    best = min(smallest_p(len(r.a), len(r.b)) * len(tested) for r in tested)
    if best < c.alpha:
        return []
    return [f"**With these repetitions no row can be called**: the smallest possible "
            f"corrected p-value is {fmt_p(best)} (≥ {c.alpha:g}). Use more repetitions or a "
            "narrower --filter.", ""]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _ratio_cell(row: Row) -> str:
    if row.ratio is None:
        return "–"
    ci = f" [{row.ci[0]:.3f}, {row.ci[1]:.3f}]" if row.ci else ""
    return f"{row.ratio:.3f}{ci}"


def markdown(c: Comparison) -> str:
    m = c.measured
    tested = [r for r in c.rows if r.p is not None]
    n = counts(c.rows)
    lines = [f"# Comparison {c.compare_id}", "",
             f"**A**: {_side_text(m.a)}. **B**: {_side_text(m.b)}. Machine: {m.machine}. "
             f"Repetitions: {m.repetitions}. {_method(c, len(tested))}", "",
             f"Command: {md_code(c.command)}", "",
             f"**Summary: B is faster in {n[FASTER]}, slower in {n[SLOWER]}, no difference "
             f"shown in {n[NO_DIFFERENCE]} of {len(c.rows)} rows "
             f"({_plural(len({r.benchmark for r in c.rows}), 'benchmark')}).**", ""]
    lines += _power_warning(c, tested)
    for side, names in (("A", m.only_a), ("B", m.only_b)):
        if names:
            lines += [f"Only in {side}, not compared: " + ", ".join(map(md_code, names)), ""]
    for name, message in sorted(m.failures.items()):
        lines += [f"Failed, not compared: {md_code(name)}: {message}", ""]
    table = [[md_code(r.benchmark), COUNTERS[r.counter].label, str(len(r.a)), str(len(r.b)),
              fmt_counter(r.counter, r.median_a), fmt_counter(r.counter, r.median_b),
              _ratio_cell(r), fmt_p(r.p), fmt_p(r.p_holm),
              f"**{r.verdict}**" if r.verdict != NO_DIFFERENCE else r.verdict,
              "; ".join(r.notes)] for r in c.rows]
    lines += md_table(["benchmark", "counter", "n A", "n B", "median A", "median B",
                       f"B/A [{CONFIDENCE:.0%} CI]", "p", "p (Holm)", "B is", "note"], table)
    lines += ["![B/A per row](compare.svg)", ""]
    return "\n".join(lines)


def as_json(c: Comparison) -> dict:
    m = c.measured
    return {"id": c.compare_id, "command": c.command, "alpha": c.alpha,
            "confidence": CONFIDENCE, "resamples": RESAMPLES, "how": m.how,
            "machine": m.machine, "repetitions": m.repetitions,
            "a": m.a.about, "b": m.b.about, "summary": counts(c.rows),
            "failures": m.failures, "only_in_a": m.only_a, "only_in_b": m.only_b,
            "rows": [r.to_json() for r in c.rows]}


def plot(c: Comparison, path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - only a comparison that plots pays for it
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG
    matplotlib.rcParams["svg.hashsalt"] = "ringlab-compare"
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = [r for r in c.rows if r.ratio is not None and r.ratio > 0]
    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.24 * max(len(rows), 1)))
    for y, r in enumerate(rows):
        colour = COLOURS[r.verdict]
        if r.ci:
            ax.plot([max(r.ci[0], 1e-9), r.ci[1]], [y, y], color=colour, lw=2)
        ax.plot([r.ratio], [y], "o", color=colour, ms=4)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r.benchmark} {COUNTERS[r.counter].label}" for r in rows],
                       fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(f"median B / median A, with {CONFIDENCE:.0%} bootstrap interval "
                  "(log scale)")
    ax.set_title(f"{c.compare_id}: B against A")
    if not rows:
        ax.text(0.5, 0.5, "no row has a ratio", transform=ax.transAxes, ha="center")
    handles = [matplotlib.lines.Line2D([], [], color=COLOURS[v], marker="o", lw=2, label=v)
               for v in (FASTER, SLOWER, NO_DIFFERENCE)]
    ax.legend(handles=handles, title="B is", loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8)
    fig.savefig(path, format="svg", bbox_inches="tight")
    plt.close(fig)


def write(c: Comparison, out_dir: Path) -> Path:
    """The three files; returns the path of compare.md."""
    md = out_dir / "compare.md"
    md.write_text(markdown(c), encoding="utf-8")
    write_json(out_dir / "compare.json", as_json(c))
    plot(c, out_dir / "compare.svg")
    return md
