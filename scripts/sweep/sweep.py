#!/usr/bin/python3
"""Runs one named benchmark configuration of ringlab_bench and writes a run
directory: bench.json (Google Benchmark's JSON, every repetition of every
benchmark) and context.json (the machine, the build, the measured ping-pong
limit, and the command that reproduces each benchmark).

Repetitions run in rounds: each round runs every benchmark once, each in its
own process, the cache-line ping-pong (the machine's limit) first. So the
runner can show progress with an ETA, a benchmark that fails or hangs costs
only itself, and slow drifts of a shared machine fall on every benchmark
alike rather than on one benchmark's repetitions.
"""
import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BENCH = ROOT / "build" / "release" / "harness" / "bench" / "ringlab_bench"
CONFIGS = ["quick", "full", "scaling", "smoke"]
DEFAULT_REPETITIONS = {"quick": 7, "full": 7, "scaling": 7}
PER_BENCHMARK_TIMEOUT_S = 300
LIMIT = "limit/pingpong/cacheline"


class SweepError(Exception):
    """A problem with the input or the environment: one line for the user."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="ringlab bench",
        description="Run a named benchmark configuration with progress and write "
        "results/<run-id>/{bench.json,context.json}.")
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
    p.add_argument("--results", default=str(ROOT / "results"), help="results directory")
    p.add_argument("--bench", default=str(DEFAULT_BENCH), help="path of ringlab_bench")
    p.add_argument("--no-pin", action="store_true", help="do not pin threads to CPUs")
    p.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repetitions is not None and args.repetitions < 1:
        p.error("--repetitions must be at least 1")
    if args.filter is not None:
        try:
            re.compile(args.filter)
        except re.error as e:
            p.error(f"--filter is not a regular expression: {e}")
    return args


def bench_base_args(args):
    base = [f"--config={args.config}"]
    if args.no_pin:
        base.append("--no-pin")
    return base


def list_benchmarks(args):
    bench = pathlib.Path(args.bench)
    if not bench.is_file():
        raise SweepError(f"no benchmark binary at {bench}: build it with "
                         "`scripts/ringlab build` or pass --bench")
    out = subprocess.run([str(bench), *bench_base_args(args), "--benchmark_list_tests"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SweepError(f"{bench} --config={args.config} failed: "
                         f"{(out.stderr or out.stdout).strip().splitlines()[0]}")
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    if args.filter:
        names = [n for n in names if base_name(n) == LIMIT or re.search(args.filter, n)]
    # The limit first, then peers, then the rings: every later figure is read
    # against the first.
    order = {"limit": 0, "peer": 1, "ring": 2}
    names.sort(key=lambda n: (order.get(n.split("/")[0], 3), ))
    return names


def base_name(name):
    """A benchmark's name without the parts Google Benchmark appends for its
    run options (/min_time:…, /real_time)."""
    return "/".join(p for p in name.split("/")
                    if not p.startswith("min_time:") and p != "real_time")


def exact_filter(name):
    """A --benchmark_filter matching just `name` (Google Benchmark's regex is
    POSIX extended: escape only what is special there)."""
    return "^" + re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name) + "$"


def reproduce_command(args, name, repetitions):
    bench = os.path.relpath(args.bench, ROOT)
    parts = [bench, *bench_base_args(args), f"--benchmark_filter={exact_filter(name)}",
             f"--benchmark_repetitions={repetitions}"]
    return " ".join(shlex.quote(p) for p in parts)


class Progress:
    """A progress bar with ETA on a terminal; one line per step in a log."""

    def __init__(self, total):
        self.total = total
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()

    @staticmethod
    def clock(seconds):
        seconds = int(seconds)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def show(self, done, current):
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (self.total - done) if done else None
        width = 30
        filled = int(width * done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        eta_text = self.clock(eta) if eta is not None else "?"
        line = (f"[{bar}] {done}/{self.total} elapsed {self.clock(elapsed)} "
                f"ETA {eta_text}  {current}")
        if self.tty:
            sys.stderr.write("\r\033[K" + line[:160])
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\n")


def run_one(args, name, repetitions, scratch):
    out_file = scratch / "one.json"
    if out_file.exists():
        out_file.unlink()
    cmd = [args.bench, *bench_base_args(args), f"--benchmark_filter={exact_filter(name)}",
           f"--benchmark_repetitions={repetitions}", "--benchmark_format=json",
           f"--benchmark_out={out_file}", "--benchmark_out_format=json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=PER_BENCHMARK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {PER_BENCHMARK_TIMEOUT_S} s"
    if proc.returncode != 0 or not out_file.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"exit {proc.returncode}: {tail[0]}"
    try:
        data = json.loads(out_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return None, f"unreadable JSON ({e}); exit {proc.returncode}"
    errors = [b.get("error_message") for b in data["benchmarks"] if b.get("error_occurred")]
    if errors:
        return None, f"benchmark error: {errors[0]}"
    return data, None


def run_rounds(args, names, repetitions, scratch):
    """Runs every benchmark once per round, `repetitions` rounds, each run in its
    own process. Interleaved so that the machine's slow drifts (a noisy
    neighbour, frequency, heat) spread over every benchmark alike instead of
    lining up with one benchmark's repetitions: the U test in the report takes
    repetitions for independent samples. A benchmark that fails once is
    dropped from later rounds and from the results, and named in failures.
    Returns (the first run's Google Benchmark context, rows, failures)."""
    progress = Progress(len(names) * repetitions)
    context, rows, failures = None, [], {}
    done = 0
    for round_index in range(repetitions):
        for name in names:
            if name in failures:
                done += 1
                continue
            progress.show(done, f"round {round_index + 1}/{repetitions}  {name}")
            data, error = run_one(args, name, 1, scratch)
            done += 1
            if error:
                failures[name] = f"round {round_index + 1}: {error}"
                if progress.tty:
                    sys.stderr.write("\n")
                print(f"ringlab bench: {name}: {failures[name]}", file=sys.stderr)
                continue
            context = context or data["context"]
            for row in data["benchmarks"]:
                row["repetitions"] = repetitions
                row["repetition_index"] = round_index
                rows.append(row)
    progress.show(done, "done")
    progress.finish()
    rows = [r for r in rows if r.get("run_name", r.get("name")) not in failures]
    return context, rows, failures


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib():
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def build_type(bench):
    cache = pathlib.Path(bench).resolve().parents[2] / "CMakeCache.txt"
    try:
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1]
    except OSError:
        pass
    return "unknown"


def git(*argv):
    out = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def pingpong_one_way(benchmarks):
    values = [b["p50_ns"] for b in benchmarks
              if base_name(b.get("run_name", "")) == LIMIT and b.get("run_type") == "iteration"
              and "p50_ns" in b]
    return statistics.median(values) if values else None


def main(argv):
    args = parse_args(argv)
    if args.check_args:
        return 0
    args.bench = str(pathlib.Path(args.bench).resolve())
    repetitions = args.repetitions or DEFAULT_REPETITIONS.get(args.config, 5)
    names = list_benchmarks(args)
    if not names:
        raise SweepError(f"configuration {args.config} with filter {args.filter!r} "
                         "selects no benchmark")
    started = dt.datetime.now(dt.timezone.utc)
    run_id = args.run_id or started.strftime(f"%Y%m%dT%H%M%SZ-{args.config}")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", run_id):
        raise SweepError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-'")
    run_dir = pathlib.Path(args.results) / run_id
    if run_dir.exists():
        raise SweepError(f"{run_dir} exists: pick another --run-id")
    scratch = run_dir / ".scratch"
    scratch.mkdir(parents=True)

    print(f"ringlab bench: {len(names)} benchmarks x {repetitions} repetitions, "
          f"configuration {args.config}, into {run_dir}", file=sys.stderr)
    context, rows, failures = run_rounds(args, names, repetitions, scratch)
    for f in scratch.iterdir():
        f.unlink()
    scratch.rmdir()
    merged = None if context is None else {"context": context, "benchmarks": rows}
    reproduce = {name: reproduce_command(args, name, repetitions) for name in names}
    if merged is None:
        raise SweepError("every benchmark failed; see the messages above")

    finished = dt.datetime.now(dt.timezone.utc)
    bctx = merged["context"]
    cores = os.cpu_count()
    context = {
        "run_id": run_id,
        "config": args.config,
        "label": args.label or f"{cores}-core {cpu_model()}",
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 1),
        "repetitions": repetitions,
        "machine": {
            "cpu_model": cpu_model(),
            "cores": cores,
            "allowed_cpus": int(bctx.get("ringlab_allowed_cpus", cores or 0)),
            "kernel": platform.release(),
            "memory_gib": memory_gib(),
            "mhz_per_cpu": bctx.get("mhz_per_cpu"),
        },
        "compiler": bctx.get("ringlab_compiler", "unknown"),
        "build_type": build_type(args.bench),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                          ":!results")),
        "pinned": bctx.get("ringlab_pinned") == "yes",
        "stamp_clock": bctx.get("ringlab_stamp_clock"),
        "stamp_cost_ns": (float(bctx["ringlab_stamp_cost_ns"])
                          if "ringlab_stamp_cost_ns" in bctx else None),
        "stamp_resolution_ns": (float(bctx["ringlab_stamp_resolution_ns"])
                                if "ringlab_stamp_resolution_ns" in bctx else None),
        "repetitions_in_rounds": True,
        "pingpong_one_way_ns": pingpong_one_way(merged["benchmarks"]),
        "failures": failures,
        "reproduce": reproduce,
        "sweep_command": "scripts/ringlab bench " + " ".join(shlex.quote(a) for a in argv),
    }
    (run_dir / "bench.json").write_text(json.dumps(merged, indent=1) + "\n")
    (run_dir / "context.json").write_text(json.dumps(context, indent=1) + "\n")
    limit = context["pingpong_one_way_ns"]
    print(f"ringlab bench: wrote {run_dir} in {context['seconds']:.0f} s; "
          f"ping-pong one-way p50 {limit if limit is None else round(limit, 1)} ns; "
          f"{len(failures)} failed", file=sys.stderr)
    print(run_dir)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SweepError as e:
        print(f"ringlab bench: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\nringlab bench: interrupted", file=sys.stderr)
        sys.exit(130)
