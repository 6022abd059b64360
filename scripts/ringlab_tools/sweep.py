"""Runs one named benchmark configuration of ringlab_bench and writes a run directory:
bench.json (Google Benchmark's JSON, every repetition of every benchmark) and
context.json (rundata.RunContext: the machine, the build, the measured ping-pong limit,
and the command that reproduces each benchmark).

Repetitions run in rounds: each round runs every benchmark once, each in its own process,
the limits (the machine's ping-pong) first. So the runner can show progress with an ETA,
a benchmark that fails or hangs costs only itself, and slow drifts of a shared machine
fall on every benchmark alike rather than on one benchmark's repetitions."""

from __future__ import annotations

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
from dataclasses import dataclass

from .errors import InputError
from .names import BenchName, base_name, exact_filter
from .paths import BENCH_BINARY, ROOT

PER_BENCHMARK_TIMEOUT_S = 300
FAMILY_ORDER = {"limit": 0, "peer": 1, "ring": 2}


@dataclass(frozen=True)
class SweepSettings:
    bench: str       # the binary, absolute
    config: str
    no_pin: bool
    filter: str | None = None

    def base_args(self) -> list[str]:
        return [f"--config={self.config}"] + (["--no-pin"] if self.no_pin else [])


def is_limit(name: str) -> bool:
    """The ping-pong, which every later figure is read against: it always runs."""
    n = BenchName.parse(base_name(name))
    return n.family == "limit" and n.scenario == "pingpong"


def list_benchmarks(s: SweepSettings) -> list[str]:
    bench = pathlib.Path(s.bench)
    if not bench.is_file():
        raise InputError(f"no benchmark binary at {bench}: build it with "
                         "`scripts/ringlab build` or pass --bench")
    out = subprocess.run([str(bench), *s.base_args(), "--benchmark_list_tests"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        said = (out.stderr or out.stdout).strip().splitlines() or ["no output"]
        raise InputError(f"{bench} --config={s.config} failed (exit {out.returncode}): "
                         f"{said[0]}")
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    if s.filter:
        names = [n for n in names if is_limit(n) or re.search(s.filter, n)]
    # The limits first, then peers, then the rings: every later figure is read against
    # the first.
    names.sort(key=lambda n: FAMILY_ORDER.get(n.split("/")[0], 3))
    return names


DRIVER = "scripts/ringlab bench"


def reproduce_command(s: SweepSettings, name: str, repetitions: int) -> str:
    """The driver command that reruns one benchmark as the sweep ran it: `repetitions`
    rounds, one process each, the ping-pong beside it (the driver always runs the limit),
    into a new run directory."""
    parts = ["--config", s.config, "--filter", exact_filter(name),
             "--repetitions", str(repetitions)]
    if s.no_pin:
        parts.append("--no-pin")
    if pathlib.Path(s.bench).resolve() != BENCH_BINARY.resolve():
        parts += ["--bench", os.path.relpath(s.bench, ROOT)]
    return DRIVER + " " + " ".join(shlex.quote(p) for p in parts)


def single_process_command(config: str) -> str:
    """The binary run directly: one process, every repetition inside it (not rounds)."""
    return f"{os.path.relpath(BENCH_BINARY, ROOT)} --config={config}"


class Progress:
    """A progress bar with ETA on a terminal; one line per step in a log."""

    def __init__(self, total: int):
        self.total = total
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()

    @staticmethod
    def clock(seconds: float) -> str:
        seconds = int(seconds)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def show(self, done: int, current: str) -> None:
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

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def run_one(s: SweepSettings, name: str, scratch: pathlib.Path) -> tuple[dict | None, str | None]:
    """One repetition of one benchmark in its own process: (Google Benchmark's JSON, None)
    or (None, why it failed)."""
    out_file = scratch / "one.json"
    out_file.unlink(missing_ok=True)
    cmd = [s.bench, *s.base_args(), f"--benchmark_filter={exact_filter(name)}",
           "--benchmark_repetitions=1", "--benchmark_format=json",
           f"--benchmark_out={out_file}", "--benchmark_out_format=json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=PER_BENCHMARK_TIMEOUT_S, check=False)
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


def run_rounds(s: SweepSettings, names: list[str], repetitions: int,
               scratch: pathlib.Path) -> tuple[dict | None, list[dict], dict[str, str]]:
    """Runs every benchmark once per round, `repetitions` rounds, each run in its own
    process. Interleaved so that the machine's slow drifts (a noisy neighbour, frequency,
    heat) spread over every benchmark alike instead of lining up with one benchmark's
    repetitions: the U test in the report takes repetitions for independent samples. A
    benchmark that fails once is dropped from later rounds and from the results, and
    named in failures. Returns (the first run's Google Benchmark context, rows, failures)."""
    contexts, rows, failures = run_sides([s], names, repetitions, scratch)
    return contexts[0], rows[0], failures


def run_sides(sides: list[SweepSettings], names: list[str], repetitions: int,
              scratch: pathlib.Path, labels: list[str] | None = None,
              prog: str = "ringlab bench") -> tuple[list[dict | None], list[list[dict]],
                                                     dict[str, str]]:
    """run_rounds over several binaries ("sides") at once: each round runs every benchmark
    once per side, the sides back to back, and the side that goes first alternates from
    round to round, so a drifting machine falls on every side alike. A benchmark that
    fails on any side is dropped from every side (it could not be compared); its failure
    names the side by its label. Returns per side (its first Google Benchmark context,
    its rows), and the failures."""
    labels = labels or [str(i) for i in range(len(sides))]
    progress = Progress(len(names) * repetitions * len(sides))
    contexts: list[dict | None] = [None] * len(sides)
    rows: list[list[dict]] = [[] for _ in sides]
    failures: dict[str, str] = {}
    done = 0
    for round_index in range(repetitions):
        order = list(range(len(sides)))
        if round_index % 2:
            order.reverse()
        for name in names:
            for side in order:
                if name in failures:
                    done += 1
                    continue
                which = f", {labels[side]}" if len(sides) > 1 else ""
                progress.show(done, f"round {round_index + 1}/{repetitions}{which}  {name}")
                data, error = run_one(sides[side], name, scratch)
                done += 1
                if error:
                    failures[name] = f"round {round_index + 1}{which}: {error}"
                    if progress.tty:
                        sys.stderr.write("\n")
                    print(f"{prog}: {name}: {failures[name]}", file=sys.stderr)
                    continue
                contexts[side] = contexts[side] or data["context"]
                for row in data["benchmarks"]:
                    row["repetitions"] = repetitions
                    row["repetition_index"] = round_index
                    rows[side].append(row)
    progress.show(done, "done")
    progress.finish()
    rows = [[r for r in side if r.get("run_name", r.get("name")) not in failures]
            for side in rows]
    return contexts, rows, failures


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def build_type(bench: str) -> str:
    cache = pathlib.Path(bench).resolve().parents[2] / "CMakeCache.txt"
    try:
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1]
    except OSError:
        pass
    return "unknown"


def git(*argv: str) -> str | None:
    out = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True,
                         check=False)
    return out.stdout.strip() if out.returncode == 0 else None


def pingpong_one_way(rows: list[dict]) -> float | None:
    """The median p50 of the ping-pong's repetitions in Google Benchmark rows."""
    values = [b["p50_ns"] for b in rows
              if is_limit(b.get("run_name", "")) and b.get("run_type") == "iteration"
              and "p50_ns" in b]
    return statistics.median(values) if values else None
