"""The report's SVG plots (matplotlib), drawn from the same medians as its tables."""

from __future__ import annotations

import math
from pathlib import Path

from .figures import LATENCY_P50, LATENCY_XPROC, STALLS, TRANSFER, Workload, \
    pingpong_limit, scaling_grid
from .fmt import COUNTERS, fmt_ns
from .rundata import PREFER, Benchmark, Run, narrow
from .targets import TARGETS


def _pyplot():
    import matplotlib  # noqa: PLC0415
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "ringlab-report"
    matplotlib.rcParams["svg.fonttype"] = "path"
    import matplotlib.pyplot as plt  # noqa: PLC0415
    return plt


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
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / len(percentiles)
    for i, counter in enumerate(percentiles):
        xs = [j + (i - (len(percentiles) - 1) / 2) * width for j in range(len(data))]
        ys = [b.median(counter) or 0 for _, b in data]
        ax.bar(xs, ys, width, label=COUNTERS[counter].label)
    limit = pingpong_limit(run)
    if limit.value is not None:
        ax.axhline(limit.value, color="black", linewidth=1.2,
                   label=f"ping-pong one-way ({fmt_ns(limit.value)})")
        # The targets set against the ping-pong, as lines over it.
        for target in {t.bound: t for t in TARGETS if t.reference == "ping-pong"}.values():
            ax.axhline(limit.value * target.bound, color="black", linestyle=":",
                       linewidth=1, label=f"{target.bound:g}× ping-pong ({target.label} "
                       "target)")
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=20, ha="right")
    return _log_y(fig, ax, "one-way latency (ns, log)",
                  "One-way latency, 1 writer × 1 reader, 64 B (medians)")


def plot_transfer(run: Run, plt):
    data = _headline_subjects(run, TRANSFER)
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8))
    meds = [b.median("delivered_per_s") for _, b in data]
    spans = [b.span("delivered_per_s") for _, b in data]
    err = [[m - s[0] for m, s in zip(meds, spans)], [s[1] - m for m, s in zip(meds, spans)]]
    rings = {s.name for s in run.rings()}
    colors = ["tab:blue" if s in rings else "tab:gray" for s, _ in data]
    ax.bar(range(len(data)), [m / 1e6 for m in meds], color=colors,
           yerr=[[e / 1e6 for e in side] for side in err], capsize=4)
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=20, ha="right")
    ax.set_ylabel("delivered frames per second (millions)")
    ax.set_title("Transfer, 1 writer × 1 reader, 64 B: median, min–max (grey: peers)")
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
    for v, points in series.items():
        ax.plot([p for p, _ in points], [f for _, f in points], marker="o", label=v)
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
        by_stall = {b.name.axis("stall"): b.median("p99_ns") for b in benches
                    if b.values("p99_ns") and b.name.has("stall")}
        if by_stall:
            table[s.name] = by_stall
    if not table:
        return None
    stalls = sorted({s for by_stall in table.values() for s in by_stall})
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / len(stalls)
    for i, stall in enumerate(stalls):
        xs = [j + (i - (len(stalls) - 1) / 2) * width for j in range(len(table))]
        ax.bar(xs, [by_stall.get(stall, 0) for by_stall in table.values()], width,
               label=f"stall {stall}: {STALLS.get(stall, '')}")
    ax.set_xticks(range(len(table)), list(table), rotation=20, ha="right")
    return _log_y(fig, ax, "writer's write latency p99 (ns, log)",
                  "Writer isolation: the writer's p99 with a stalled reader (medians)")


def _log_y(fig, ax, ylabel: str, title: str):
    """A plot whose values span orders of magnitude, finished with its legend."""
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
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
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(grid):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
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
        fig.savefig(path, format="svg", metadata={"Date": None})
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
