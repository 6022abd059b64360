"""The report's SVG plots (matplotlib), drawn from the same medians as its tables."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.patches import Patch

from .figures import LATENCY_P50, LATENCY_XPROC, STALLS, TRANSFER, Workload, \
    pingpong_limit, scaling_grid
from .fmt import COUNTERS, fmt_ns
from .rundata import PREFER, Benchmark, Run, narrow
from .spectrum import has_buckets, merged_buckets, percentile_label, spectrum
from .targets import TARGETS


def _pyplot():
    import matplotlib  # noqa: PLC0415
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "ringlab-report"
    # Text stays text: searchable, selectable and small.
    matplotlib.rcParams["svg.fonttype"] = "none"
    import matplotlib.pyplot as plt  # noqa: PLC0415
    return plt


MARKERS = ["o", "s", "^", "v", "D", "P", "X", "*", "h", "<", ">"]
LINESTYLES = ["-", "--", "-.", ":"]


def _spans(benches: list[Benchmark | None], counter: str, scale: float = 1.0) -> list:
    """yerr for bars at the medians: min–max over repetitions (none where absent)."""
    low, high = [], []
    for b in benches:
        med, span = (b.median(counter), b.span(counter)) if b is not None else (None, None)
        low.append((med - span[0]) / scale if span else 0)
        high.append((span[1] - med) / scale if span else 0)
    return [low, high]


def _width(groups: int) -> float:
    """Inches for a bar plot of `groups` subjects, so their names stay legible."""
    return max(9.0, 4.0 + 0.55 * groups)


def _legend_outside(ax, **kw):
    """The legend right of the axes, where it hides no data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=8, **kw)


def _headline_subjects(run: Run, workload: Workload) -> list[tuple[str, Benchmark]]:
    found = [(s.name, workload.bench(run, s.name)) for s in run.rings() + run.peers()]
    return [(s, b) for s, b in found if b is not None and b.values(workload.counter)]


def _with_cross_process(run: Run, data: list, workload: Workload) -> list:
    """Each subject's cross-process benchmark of `workload` right after it, where run."""
    out = []
    for subject, bench in data:
        out.append((subject, bench))
        cross = workload.bench(run, subject)
        if cross is not None and cross.values(workload.counter):
            out.append((cross.label, cross))
    return out


def plot_latency(run: Run, plt):
    data = _with_cross_process(run, _headline_subjects(run, LATENCY_P50), LATENCY_XPROC)
    if not data:
        return None
    percentiles = [c for c in ("p50_ns", "p90_ns", "p99_ns", "p999_ns")
                   if any(b.values(c) for _, b in data)]
    fig, ax = plt.subplots(figsize=(_width(len(data)), 4.8))
    width = 0.8 / len(percentiles)
    for i, counter in enumerate(percentiles):
        xs = [j + (i - (len(percentiles) - 1) / 2) * width for j in range(len(data))]
        ys = [b.median(counter) or 0 for _, b in data]
        ax.bar(xs, ys, width, label=COUNTERS[counter].label,
               yerr=_spans([b for _, b in data], counter), capsize=2,
               error_kw={"elinewidth": 0.8})
    limit = pingpong_limit(run)
    if limit.value is not None:
        ax.axhline(limit.value, color="black", linewidth=1.2,
                   label=f"ping-pong one-way ({fmt_ns(limit.value)})")
        # The targets set against the ping-pong, as lines over it.
        for target in {t.bound: t for t in TARGETS if t.reference == "ping-pong"}.values():
            ax.axhline(limit.value * target.bound, color="black", linestyle=":",
                       linewidth=1, label=f"{target.bound:g}× ping-pong ({target.label} "
                       "target)")
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=35, ha="right")
    return _log_y(fig, ax, "one-way latency (ns, log)",
                  "One-way latency, 1 writer × 1 reader, 64 B (medians)")


def spectrum_subjects(run: Run) -> dict[str, list[tuple[str, Benchmark]]]:
    """Panel -> (label, benchmark) of each 1 × 1 latency subject with histogram buckets;
    the ping-pong joins every panel as the reference."""
    panels = {}
    for title, family in (("ring variants", run.rings()), ("peer queues", run.peers())):
        found = [(s.name, LATENCY_P50.bench(run, s.name)) for s in family]
        found = [(name, b) for name, b in found if b is not None and has_buckets(b)]
        if found:
            panels[title] = found
    limit = pingpong_limit(run).bench
    if limit is not None and has_buckets(limit):
        for found in panels.values():
            found.append(("ping-pong one-way", limit))
    return panels


def plot_latency_spectrum(run: Run, plt):
    panels = spectrum_subjects(run)
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False,
                             sharey=True)
    most = 1.0
    for ax, (title, found) in zip(axes.flat, panels.items()):
        for i, (label, bench) in enumerate(found):
            points = spectrum(merged_buckets(bench))
            most = max(most, points[-1][0])
            limit = bench.name.family == "limit"
            ax.plot([x for x, _ in points], [y for _, y in points], drawstyle="steps-post",
                    label=label, color="black" if limit else None,
                    linestyle="-" if limit else LINESTYLES[i % len(LINESTYLES)],
                    linewidth=1.4 if limit else 1.1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [10 ** k for k in range(int(math.log10(most)) + 1) if k > 0]
        ax.set_xticks([2] + ticks, [percentile_label(x) for x in [2] + ticks])
        ax.minorticks_off()
        ax.set_xlabel("percentile (log of 1 / (1 − percentile))")
        ax.set_title(f"{title}: one-way latency by percentile", fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=7)
    axes[0, 0].set_ylabel("one-way latency (ns, log)")
    fig.suptitle("Latency percentile spectrum, 1 writer × 1 reader, 64 B "
                 "(histograms merged over repetitions)")
    return fig


def plot_transfer(run: Run, plt):
    data = _headline_subjects(run, TRANSFER)
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(_width(len(data)), 4.8))
    meds = [b.median("delivered_per_s") for _, b in data]
    spans = [b.span("delivered_per_s") for _, b in data]
    err = [[m - s[0] for m, s in zip(meds, spans)], [s[1] - m for m, s in zip(meds, spans)]]
    rings = {s.name for s in run.rings()}
    colors = ["tab:blue" if s in rings else "tab:gray" for s, _ in data]
    ax.bar(range(len(data)), [m / 1e6 for m in meds], color=colors,
           yerr=[[e / 1e6 for e in side] for side in err], capsize=4)
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=35, ha="right")
    ax.set_ylabel("delivered frames per second (millions)")
    ax.set_title("Transfer, 1 writer × 1 reader, 64 B: median, min–max")
    ax.legend(handles=[Patch(color="tab:blue", label="ring variants"),
                       Patch(color="tab:gray", label="peer queues")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=8)
    return fig


def plot_write_only(run: Run, plt):
    series = {}
    for s in run.rings():
        benches = narrow(run.select("ring", "write_only", s.name), {}, {"cap": 1024})
        points = sorted((b.name.axis("payload"), b.median("frames_per_s")) for b in benches
                        if b.values("frames_per_s") and b.name.has("payload"))
        if points:
            series[s.name] = points
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for i, (v, points) in enumerate(series.items()):
        # Variants often coincide: each gets its own marker and dash, hollow markers, and
        # a small sideways shift (a few percent of a power of two), so none hides another.
        shift = 2 ** ((i - (len(series) - 1) / 2) * 0.04)
        ax.plot([p * shift for p, _ in points], [f for _, f in points],
                marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                markerfacecolor="none", label=v)
    memcpy = sorted((b.name.axis("payload"), b.median("bytes_per_s") / b.name.axis("payload"))
                    for b in run.select("limit", "memcpy")
                    if b.values("bytes_per_s") and isinstance(b.name.axis("payload"), int)
                    and b.name.axis("payload") > 0)
    if memcpy:
        ax.plot([p for p, _ in memcpy], [f for _, f in memcpy], color="black",
                linestyle="--", label="memcpy bandwidth ÷ payload")
    _log2_ticks(ax, {p for points in series.values() for p, _ in points})
    ax.set_xlabel("payload (bytes)")
    return _log_y(fig, ax, "frames written per second (log)",
                  "Write-only throughput against payload size (medians)")


def plot_stalled(run: Run, plt):
    table = {}
    for s in run.rings():
        benches = narrow(run.select("ring", "stalled", s.name), {}, PREFER)
        by_stall = {b.name.axis("stall"): b for b in benches
                    if b.values("p99_ns") and b.name.has("stall")}
        if by_stall:
            table[s.name] = by_stall
    if not table:
        return None
    stalls = sorted({s for by_stall in table.values() for s in by_stall})
    fig, ax = plt.subplots(figsize=(_width(len(table)), 4.8))
    width = 0.8 / len(stalls)
    for i, stall in enumerate(stalls):
        xs = [j + (i - (len(stalls) - 1) / 2) * width for j in range(len(table))]
        benches = [by_stall.get(stall) for by_stall in table.values()]
        ax.bar(xs, [b.median("p99_ns") if b else 0 for b in benches], width,
               label=f"stall {stall}: {STALLS.get(stall, '')}",
               yerr=_spans(benches, "p99_ns"), capsize=2, error_kw={"elinewidth": 0.8})
    ax.set_xticks(range(len(table)), list(table), rotation=35, ha="right")
    return _log_y(fig, ax, "writer's write latency p99 (ns, log)",
                  "Writer isolation: the writer's p99 with a stalled reader (medians)")


def _log_y(fig, ax, ylabel: str, title: str):
    """A plot whose values span orders of magnitude, finished with its legend."""
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _legend_outside(ax)
    return fig


def _log2_ticks(ax, values):
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(values), [str(v) for v in sorted(values)])
    ax.minorticks_off()


def _plot_scaling(run: Run, plt, scenario: str, counter: str, ylabel: str, title: str,
                  scale: float = 1.0, log: bool = False):
    grid = scaling_grid(run, scenario, counter)
    if not any(len(pts) > 1 for by_w in grid.values() for pts in by_w.values()):
        return None
    cols = min(3, len(grid))
    rows = math.ceil(len(grid) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.3 * rows), squeeze=False,
                             sharey=True)
    for ax, (v, by_w) in zip(axes.flat, grid.items()):
        for w, points in by_w.items():
            ax.plot([r for r, _ in points], [b.median(counter) / scale for _, b in points],
                    marker="o", label=f"{w} writer{'s' if w != 1 else ''}")
        ax.set_title(v, fontsize=10)
        if log:
            ax.set_yscale("log")
        _log2_ticks(ax, {r for points in by_w.values() for r, _ in points})
        ax.set_xlabel("readers")
    for ax in list(axes.flat)[len(grid):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    # One legend for every panel, right of them all.
    handles = {}
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.legend(list(handles.values()), list(handles), loc="upper left",
               bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.suptitle(f"{title} ({run.label})")
    return fig


def plot_scaling_delivered(run: Run, plt):
    return _plot_scaling(run, plt, "broadcast", "delivered_per_s",
                         "delivered/s per reader (millions)",
                         "Broadcast: delivered/s against readers", scale=1e6)


def plot_scaling_p99(run: Run, plt):
    # Latency spans orders of magnitude once readers outnumber cores.
    return _plot_scaling(run, plt, "latency", "p99_ns", "one-way p99 (ns, log)",
                         "One-way latency p99 against readers", log=True)


PLOTS = {  # name -> (caption, function)
    "latency_1x1": ("One-way latency percentiles per variant and peer, each cross-process "
                    "figure beside its in-process twin; the line is the ping-pong one-way "
                    "limit", plot_latency),
    "latency_spectrum": ("One-way latency against percentile for each 1 × 1 latency subject, "
                         "every repetition's histogram merged; the black line is the "
                         "ping-pong", plot_latency_spectrum),
    "transfer_1x1": ("Transfer throughput per variant and peer, min–max error bars",
                     plot_transfer),
    "write_only_payload": ("Write-only frames/s against payload, memcpy as reference",
                           plot_write_only),
    "stalled": ("The writer's p99 write latency with no reader (0), a running reader (1), "
                "a preempted reader (2)", plot_stalled),
    "scaling_delivered": ("Delivered/s per reader against readers, one line per writer count",
                          plot_scaling_delivered),
    "scaling_p99": ("One-way p99 against readers, one line per writer count",
                    plot_scaling_p99),
}


def render_plots(run: Run, out_dir: Path) -> dict[str, Path | None]:
    """Draws every plot whose data is present; returns name -> path (None: no data)."""
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (_, draw) in PLOTS.items():
        path = out_dir / f"{name}.svg"
        fig = draw(run, plt)
        if fig is None:
            path.unlink(missing_ok=True)  # a stale plot of an earlier report
            written[name] = None
            continue
        fig.tight_layout()
        # bbox_inches: the legends outside the axes stay inside the image.
        fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(fig)
        written[name] = path
    return written


def embed_plots(plots: dict, names: list[str]) -> list[str]:
    lines = []
    for name in names:
        caption = PLOTS[name][0]
        if plots.get(name) is None:
            lines += [f"*{caption}*: not in this run.", ""]
        else:
            lines += [f"![{caption}](plots/{name}.svg)", "", f"*{caption}.*", ""]
    return lines
