"""results/README.md: the table of runs, newest first."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import InputError
from .figures import LATENCY_P50, best_peer, pingpong_limit
from .fmt import fmt_ns
from .load import load_run
from .markdown import md_code, md_table
from .rundata import Run

HEADERS = ["run", "date", "config", "machine", "commit", "ping-pong one-way",
           "best ring p50", "best peer p50"]


def best_ring_p50(run: Run) -> str:
    """The lowest one-way p50 of the targeted variants (of every variant without traits)."""
    rings = [s for s in run.rings() if s.targeted or not run.subjects.recorded]
    found = [(LATENCY_P50.median(run, s.name), s.name) for s in rings]
    found = [(v, name) for v, name in found if v is not None]
    if not found:
        return "–"
    value, name = min(found)
    return f"{fmt_ns(value)} ({name})"


def index_row(run_dir: Path) -> tuple[str, list[str]]:
    """(sort key, table row) for one run directory."""
    link = f"[{run_dir.name}]({run_dir.name}/report.md)"
    if not (run_dir / "report.md").exists():
        link += " (no report yet)"
    try:
        run = load_run(run_dir)
    except InputError as e:
        return "", [link, "–", "–", "–", "–", f"unreadable: {e}", "–", "–"]
    started = run.context.started or ""
    limit = pingpong_limit(run)
    peer = best_peer(run, LATENCY_P50)
    return started, [link, started[:10] or "–", run.config, run.label,
                     md_code(run.context.short_commit()),
                     fmt_ns(limit.value) if limit.value is not None else "–",
                     best_ring_p50(run),
                     f"{fmt_ns(peer.median('p50_ns'))} ({peer.name.subject})" if peer
                     else "–"]


def audit_line(results: Path) -> list[str]:
    audit = results / "ordering-audit.md"
    if not audit.exists():
        return []
    text = audit.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"on (\S+) from commit `([0-9a-f]+)`", text)
    when = f", written on {found.group(1)} from commit `{found.group(2)}`" if found else ""
    return [f"The ordering audit (for each variant and atomic site: the declared order, the "
            f"weakest order every model scenario passes with, and the counterexample one "
            f"step below) is [ordering-audit.md](ordering-audit.md){when}.", ""]


def comparison_lines(results: Path) -> list[str]:
    """The comparisons (`ringlab compare`) kept beside the runs: what each compared and
    its verdict counts."""
    rows = []
    for d in sorted(results.iterdir()):
        try:
            data = json.loads((d / "compare.json").read_text(encoding="utf-8"))
            summary = data["summary"]
            counts = (f"{summary['faster']} faster, {summary['slower']} slower, "
                      f"{summary['no difference shown']} no difference shown")
            rows.append([f"[{d.name}]({d.name}/compare.md)", md_code(str(data["command"])),
                         counts])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a comparison, or not one this index can read
    if not rows:
        return []
    return ["Comparisons (`scripts/ringlab compare`; rows are benchmark × counter, B against A):",
            "", *md_table(["comparison", "command", "rows"], rows)]


def write_index(results: Path) -> Path:
    if not results.is_dir():
        raise InputError(f"results directory not found: {results}")
    runs = [d for d in results.iterdir()
            if d.is_dir() and ((d / "bench.json").exists() or (d / "context.json").exists())]
    rows = sorted((index_row(d) + (d.name,) for d in runs), key=lambda r: (r[0], r[2]),
                  reverse=True)
    lines = ["# ringlab results", "",
             "One directory per benchmark run: `bench.json` (Google Benchmark's JSON), "
             "`context.json` (machine, build, commit and the command that reruns each "
             "benchmark), `evidence.json` (test results, when the tests ran), `cost.json` "
             "(instructions per frame, where counted) and `report.md` with its `plots/`. "
             "Regenerate this index with `/usr/bin/python3 scripts/report/report.py --index "
             "results`, a report with `/usr/bin/python3 scripts/report/report.py "
             "results/<run-id>`.", ""]
    lines += audit_line(results)
    lines += ["Runs, newest first (headline latencies: one-way p50 at 1 writer × 1 reader, "
              "64 B; the best ring is the targeted variant with the lowest):", ""]
    if rows:
        lines += md_table(HEADERS, [r[1] for r in rows])
    else:
        lines += ["No runs yet.", ""]
    lines += comparison_lines(results)
    out = results / "README.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out
