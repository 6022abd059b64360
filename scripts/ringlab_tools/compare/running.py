"""The samples of both sides: read from two run directories, or measured by running two
binaries side by side in the sweep's rounds (sweep.run_sides). Either way, per side:
benchmark name (without Google Benchmark's run options, so runs of different
configurations meet) -> counter -> one value per repetition."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..jsonio import write_json
from ..load import load_benchmarks, load_run
from ..names import base_name
from ..rundata import Benchmark
from ..sweep import SweepSettings, cpu_model, is_limit, list_benchmarks, memory_gib, \
    run_sides
from .sources import Source
from .statistics import COMPARED

Samples = dict[str, dict[str, list[float]]]


@dataclass
class Side:
    source: Source
    samples: Samples
    about: dict  # what the report says of this side: run id, commit, machine, ...


@dataclass
class Measured:
    a: Side
    b: Side
    how: str                 # "stored runs" or "side by side"
    machine: str             # where the numbers were measured
    repetitions: str         # as the report states it
    failures: dict[str, str] = field(default_factory=dict)
    only_a: list[str] = field(default_factory=list)  # benchmarks one side lacks
    only_b: list[str] = field(default_factory=list)


def samples_of(benchmarks: list[Benchmark], pattern: str | None) -> Samples:
    out: Samples = {}
    for bench in benchmarks:
        if pattern and not re.search(pattern, bench.run_name):
            continue
        counters = {c: bench.values(c) for c in COMPARED if bench.values(c)}
        out.setdefault(base_name(bench.run_name), {}).update(counters)
    return out


def _one_sided(a: Samples, b: Samples) -> tuple[list[str], list[str]]:
    return sorted(set(a) - set(b)), sorted(set(b) - set(a))


def _run_about(source: Source) -> tuple[list[Benchmark], dict]:
    run = load_run(source.path)
    c, m = run.context, run.context.machine
    about = {"kind": source.kind, "given": source.given, "path": source.shown_path,
             "run_id": run.run_id, "config": run.config,
             "commit": c.short_commit() if c.commit else None,
             "repetitions": c.repetitions, "label": run.label,
             "machine": {"cpu_model": m.cpu_model, "cores": m.cores, "kernel": m.kernel},
             "started": c.started}
    return run.benchmarks, about


def read_runs(a: Source, b: Source, pattern: str | None) -> Measured:
    benches_a, about_a = _run_about(a)
    benches_b, about_b = _run_about(b)
    side_a = Side(a, samples_of(benches_a, pattern), about_a)
    side_b = Side(b, samples_of(benches_b, pattern), about_b)
    machines = " / ".join(dict.fromkeys(str(x["label"]) for x in (about_a, about_b)))
    reps = " / ".join(dict.fromkeys(str(x["repetitions"] or "unrecorded")
                                    for x in (about_a, about_b)))
    only_a, only_b = _one_sided(side_a.samples, side_b.samples)
    return Measured(side_a, side_b, "stored runs", machines, f"{reps} per benchmark", {},
                    only_a, only_b)


def this_machine() -> str:
    return (f"{os.cpu_count()}-core {cpu_model()}, {memory_gib()} GiB, "
            f"Linux {platform.release()}")


def _binary_about(source: Source, context: dict | None) -> dict:
    built = dt.datetime.fromtimestamp(source.path.stat().st_mtime, dt.timezone.utc)
    context = context or {}
    return {"kind": source.kind, "given": source.given, "path": source.shown_path,
            "commit": source.commit, "built": built.isoformat(timespec="seconds"),
            "compiler": context.get("ringlab_compiler"),
            "library_build_type": context.get("library_build_type")}


def run_binaries(a: Source, b: Source, config: str, pattern: str | None, repetitions: int,
                 no_pin: bool, out_dir: Path, prog: str) -> Measured:
    """Both binaries in the same rounds. The ping-pong limit runs only where the filter
    names it: a comparison of two builds does not need the machine's floor. Each side's
    rows are kept in out_dir as bench-A.json and bench-B.json."""
    settings = [SweepSettings(str(s.path), config, no_pin, pattern) for s in (a, b)]
    listed = [[n for n in list_benchmarks(s)
               if not is_limit(n) or (pattern and re.search(pattern, n))] for s in settings]
    names = [n for n in listed[0] if n in set(listed[1])]
    only_a = sorted(set(listed[0]) - set(listed[1]))
    only_b = sorted(set(listed[1]) - set(listed[0]))
    if not names:
        raise InputError(f"configuration {config} with filter {pattern!r} selects no "
                         "benchmark both binaries have")
    scratch = out_dir / ".scratch"
    scratch.mkdir(exist_ok=True)
    try:
        contexts, rows, failures = run_sides(settings, names, repetitions, scratch,
                                             ["A", "B"], prog)
    finally:
        for f in scratch.iterdir():
            f.unlink()
        scratch.rmdir()
    sides = []
    for source, context, side_rows in zip((a, b), contexts, rows):
        path = out_dir / f"bench-{source.label}.json"
        write_json(path, {"context": context or {}, "benchmarks": side_rows})
        benches = load_benchmarks(path)[0] if side_rows else []
        sides.append(Side(source, samples_of(benches, None), _binary_about(source, context)))
    return Measured(sides[0], sides[1], "side by side", this_machine(),
                    f"{repetitions} per benchmark and side, configuration {config}",
                    failures, only_a, only_b)
