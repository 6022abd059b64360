"""A run's report: its sections in order, written to RUN_DIR/report.md with its plots."""

from __future__ import annotations

from pathlib import Path

from .load import load_run
from .markdown import joined
from .plots import embed_plots, render_plots
from .figures import has_scaling
from .rundata import Run
from .sections.choosing import section_choosing
from .sections.comparisons import section_comparisons
from .sections.correctness import section_correctness
from .sections.cost import section_cost
from .sections.details import section_details
from .sections.header import section_header
from .sections.reading import section_how_to_read
from .sections.scaling import section_scaling
from .sections.stands import section_stands

GENERATOR = "scripts/report/report.py"


def section_plots(run: Run, plots: dict) -> list[str]:
    lines = ["## Plots", "", "Drawn from the medians of the detailed tables above (min–max "
             "where shown); the commands there reproduce them.", ""]
    lines += embed_plots(plots, ["latency_1x1"])
    if plots.get("latency_spectrum") is None:
        lines += ["*Latency percentile spectrum*: not drawn: this run's bench.json carries no "
                  "latency histogram buckets (`hist_le_*` counters; runs before they were "
                  "exported lack them).", ""]
    else:
        lines += embed_plots(plots, ["latency_spectrum"])
    names = ["transfer_1x1", "write_only_payload", "stalled"]
    if has_scaling(run):
        names += ["scaling_delivered", "scaling_p99"]
    return lines + embed_plots(plots, names)


def build_report(run: Run, plots: dict) -> str:
    if run.config == "scaling":
        sections = [section_header(run), section_scaling(run, plots), section_stands(run),
                    section_cost(run), section_details(run), section_how_to_read(run)]
    else:
        sections = [section_header(run), section_choosing(run), section_stands(run),
                    section_correctness(run),
                    section_cost(run), section_comparisons(run), section_details(run),
                    section_plots(run, plots), section_how_to_read(run)]
    lines = [line for section in sections for line in section]
    inputs = (["bench.json"] + (["context.json"] if run.context.recorded else [])
              + (["evidence.json"] if run.evidence is not None else [])
              + (["cost.json"] if run.cost is not None else []))
    footer = ["---", "", f"Written by `{GENERATOR}` from {joined(inputs)}."]
    return "\n".join(lines + footer) + "\n"


def write_report(run_dir: Path) -> Path:
    run = load_run(run_dir)
    plots = render_plots(run, run_dir / "plots")
    out = run_dir / "report.md"
    out.write_text(build_report(run, plots), encoding="utf-8")
    return out
