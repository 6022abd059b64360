"""ringlab bench: runs a named benchmark configuration with progress and writes
results/<run-id>/{bench.json,context.json} (see ringlab_tools.sweep)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import platform
import re
import shlex
import sys

from ..errors import InputError
from ..jsonio import number, write_json
from ..rundata import Machine, RunContext
from ..paths import BENCH_BINARY, ROOT
from ..sweep import SweepSettings, build_type, cpu_model, git, list_benchmarks, memory_gib, \
    pingpong_one_way, reproduce_command, run_rounds
from .common import Parser, absolute, check_regex, guarded, writable_dir

PROG = "ringlab bench"
CONFIGS = ["quick", "full", "scaling", "smoke"]
DEFAULT_REPETITIONS = {"quick": 7, "full": 7, "scaling": 7}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The sweep's options, shared by `ringlab bench` and `ringlab report`."""
    p.add_argument("--config", default="quick", choices=CONFIGS,
                   help="quick (default, minutes on 2 cores), full (an hour), scaling (thread "
                   "sweeps for many-core machines), smoke (every quick benchmark for ~10 ms)")
    p.add_argument("--repetitions", type=int, default=None,
                   help="repetitions per benchmark (default 7)")
    p.add_argument("--filter", default=None,
                   help="only benchmarks whose name matches this regex (the limit always runs)")
    p.add_argument("--run-id", default=None, help="name of the run directory (default: UTC time "
                   "and configuration)")
    p.add_argument("--label", default=None,
                   help="machine label shown in reports (default: cores and CPU model)")
    p.add_argument("--results", type=absolute, default=ROOT / "results",
                   help="results directory (default: the repository's results/)")
    p.add_argument("--bench", type=absolute, default=BENCH_BINARY,
                   help="path of ringlab_bench (default: the release build's)")
    p.add_argument("--no-pin", action="store_true", help="do not pin threads to CPUs")


def check(args) -> None:
    """Everything about the arguments that can be known before a build: raises InputError."""
    if args.repetitions is not None and args.repetitions < 1:
        raise InputError("--repetitions must be at least 1")
    check_regex(args.filter, "--filter")
    if args.run_id is not None:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", args.run_id) or args.run_id in (".", ".."):
            raise InputError(f"--run-id {args.run_id!r}: use letters, digits, '.', '_' and '-'")
        if (args.results / args.run_id).exists():
            raise InputError(f"{args.results / args.run_id} exists: pick another --run-id")
    writable_dir(args.results, "--results")


def parse_args(argv):
    p = Parser(prog=PROG, description="Run a named benchmark configuration with progress "
               "and write results/<run-id>/{bench.json,context.json}.")
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        check(args)
    except InputError as e:
        p.error(str(e))
    return args


def bench_command(args) -> str:
    """The `ringlab bench` command that reruns this sweep, whichever command ran it."""
    parts = ["scripts/ringlab", "bench", f"--config={args.config}"]
    for option, value in (("--repetitions", args.repetitions), ("--filter", args.filter),
                          ("--label", args.label)):
        if value is not None:
            parts.append(f"{option}={value}")
    if args.no_pin:
        parts.append("--no-pin")
    return " ".join(shlex.quote(p) for p in parts)


def run_context(args, settings: SweepSettings, bctx: dict, rows: list[dict],
                failures: dict[str, str], names: list[str], repetitions: int, run_id: str,
                started: dt.datetime) -> RunContext:
    finished = dt.datetime.now(dt.timezone.utc)
    cores = os.cpu_count()
    allowed = number(bctx, "ringlab_allowed_cpus")
    return RunContext(
        run_id=run_id, config=args.config, label=args.label or f"{cores}-core {cpu_model()}",
        started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        seconds=round((finished - started).total_seconds(), 1), repetitions=repetitions,
        machine=Machine(cpu_model=cpu_model(), cores=cores,
                        allowed_cpus=int(allowed) if allowed is not None else cores,
                        kernel=platform.release(), memory_gib=memory_gib(),
                        mhz_per_cpu=number(bctx, "mhz_per_cpu")),
        compiler=bctx.get("ringlab_compiler", "unknown"), build_type=build_type(settings.bench),
        commit=git("rev-parse", "--short", "HEAD"),
        dirty=bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                       ":!results")),
        pinned=bctx.get("ringlab_pinned") == "yes", stamp_clock=bctx.get("ringlab_stamp_clock"),
        stamp_cost_ns=number(bctx, "ringlab_stamp_cost_ns"),
        stamp_resolution_ns=number(bctx, "ringlab_stamp_resolution_ns"),
        repetitions_in_rounds=True, pingpong_one_way_ns=pingpong_one_way(rows),
        failures=failures,
        reproduce={name: reproduce_command(settings, name, repetitions) for name in names},
        sweep_command=bench_command(args))


def execute(args) -> tuple[pathlib.Path, int]:
    """Runs the sweep the checked arguments name: (the run directory, exit status)."""
    settings = SweepSettings(str(args.bench), args.config, args.no_pin, args.filter)
    repetitions = args.repetitions or DEFAULT_REPETITIONS.get(args.config, 5)
    names = list_benchmarks(settings)
    if not names:
        raise InputError(f"configuration {args.config} with filter {args.filter!r} "
                         "selects no benchmark")
    started = dt.datetime.now(dt.timezone.utc)
    run_id = args.run_id or started.strftime(f"%Y%m%dT%H%M%SZ-{args.config}")
    run_dir = args.results / run_id
    if run_dir.exists():
        raise InputError(f"{run_dir} exists: pick another --run-id")
    scratch = run_dir / ".scratch"
    scratch.mkdir(parents=True)

    print(f"{PROG}: {len(names)} benchmarks x {repetitions} repetitions, "
          f"configuration {args.config}, into {run_dir}", file=sys.stderr)
    bctx, rows, failures = run_rounds(settings, names, repetitions, scratch)
    for f in scratch.iterdir():
        f.unlink()
    scratch.rmdir()
    if bctx is None:
        raise InputError("every benchmark failed; see the messages above")
    context = run_context(args, settings, bctx, rows, failures, names, repetitions, run_id,
                          started)
    write_json(run_dir / "bench.json", {"context": bctx, "benchmarks": rows})
    write_json(run_dir / "context.json", context.to_json())
    limit = context.pingpong_one_way_ns
    print(f"{PROG}: wrote {run_dir} in {context.seconds:.0f} s; "
          f"ping-pong one-way p50 {limit if limit is None else round(limit, 1)} ns; "
          f"{len(failures)} failed", file=sys.stderr)
    return run_dir, 1 if failures else 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    run_dir, rc = execute(args)
    print(run_dir)
    return rc


def run(argv: list[str]) -> int:
    return guarded(PROG, main, argv)
