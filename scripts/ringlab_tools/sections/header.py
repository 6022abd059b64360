"""The report's title and the table of the machine, build and run."""

from __future__ import annotations

from ..fmt import fmt_ns
from ..markdown import md_code, md_table
from ..rundata import Run


def section_header(run: Run) -> list[str]:
    c, m, gb = run.context, run.context.machine, run.bench_context
    cpu = m.cpu_model or gb.host_name or "unknown CPU"
    cores = m.cores or gb.num_cpus or "?"
    if m.allowed_cpus and m.allowed_cpus != cores:
        cores = f"{cores} ({m.allowed_cpus} allowed to the run)"
    memory = f", {m.memory_gib:g} GiB" if m.memory_gib else ""
    commit = md_code(c.commit or "unknown")
    if c.dirty:
        commit += " (**dirty**: uncommitted changes)"
    stamp = c.stamp_clock or "unknown"
    if c.stamp_cost_ns is not None:
        stamp += f", {fmt_ns(c.stamp_cost_ns)} per stamp"
    if c.stamp_resolution_ns is not None:
        stamp += f", resolution {fmt_ns(c.stamp_resolution_ns)}"
    when = f"{c.started or '?'} – {c.finished or '?'}"
    if c.seconds is not None:
        when += f" ({c.seconds:.0f} s)"
    title = "Scaling run" if run.config == "scaling" else "Run"
    rows = [["CPU", f"{cpu}, {cores} cores{memory}"],
            ["kernel", m.kernel or "unknown"],
            ["compiler", c.compiler or "unknown"],
            # Only ringlab's own build: bench.json's library_build_type is how
            # libbenchmark was built, which says nothing of the code measured.
            ["build type", c.build_type or "unknown"],
            ["commit", commit],
            ["stamp clock", stamp],
            ["threads pinned", {True: "yes", False: "no"}.get(c.pinned, "not recorded")],
            ["repetitions", str(c.repetitions or "?")
             + (" (in rounds: each round runs every benchmark once, one process each)"
                if c.repetitions_in_rounds else "")],
            ["when", when],
            ["sweep command", md_code(c.sweep_command) if c.sweep_command else "not recorded"]]
    lines = [f"# {title} `{run.run_id}`: {run.config}, {run.label}", ""]
    if not c.recorded:
        lines += ["**context.json is missing**: the machine context and the reproduce "
                  "commands below are unknown.", ""]
    lines += md_table(["", ""], rows)
    missing = [b for b in run.benchmarks if run.reproduce(b) is None]
    if missing and c.recorded:
        lines += [f"**{len(missing)} of {len(run.benchmarks)} benchmarks have no reproduce "
                  "command in context.json** (marked *not recorded* in the detailed "
                  "tables).", ""]
    return lines
