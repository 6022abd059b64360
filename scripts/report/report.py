#!/usr/bin/python3
"""ringlab report generator.

    report.py RUN_DIR            writes RUN_DIR/report.md and RUN_DIR/plots/*.svg
    report.py --index RESULTS    (re)writes RESULTS/README.md, the table of runs

A run directory holds bench.json (Google Benchmark JSON), context.json (written by the
sweep runner) and, when tests ran, evidence.json. Only per-repetition rows of bench.json
are used; aggregates are ignored. Standard library, matplotlib and scipy only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROG = "report.py"

# --------------------------------------------------------------------------------------
# Vocabulary of the benchmark binary
# --------------------------------------------------------------------------------------

RING_VARIANTS = ["rwlock", "seqlock", "disruptor-spin", "disruptor-yield",
                 "disruptor-blocking", "disruptor-gated"]
PEERS = ["boost-spsc", "ck-ring-spsc", "moodycamel-rwq", "moodycamel-cq"]
SPSC_PEERS = ["boost-spsc", "ck-ring-spsc", "moodycamel-rwq"]  # "best peer" is one of these
TARGETED = [v for v in RING_VARIANTS if v != "rwlock"]         # rwlock is the seed's baseline

# ring/<scenario>_xproc/...: the twin of ring/<scenario>/... (same subject and axes) with
# its reader in another process, over a ring in POSIX shared memory.
XPROC = "_xproc"
XPROC_TARGETED = ["seqlock"]  # the cross-process target is seqlock's

FAMILY_ORDER = ["ring", "peer", "limit"]
SCENARIO_ORDER = ["write_only", "read_only", "broadcast", "latency", "stalled", "oversub",
                  "transfer", "pingpong", "memcpy"]
SUBJECT_ORDER = RING_VARIANTS + PEERS

# Name parts Google Benchmark appends itself (MinTime, UseRealTime, Threads, ...).
GB_OPTIONS = {"min_time", "min_warmup_time", "real_time", "manual_time", "process_time",
              "threads", "iterations", "repeats"}

# The headline workload: 1 writer x 1 reader, 64-byte frames, capacity 1024 where present.
HEADLINE = {"w": 1, "r": 1, "payload": 64}
PREFER = {"payload": 64, "cap": 1024}

LATENCY_P50_TARGET = 1.25  # x ping-pong one-way
LATENCY_P99_TARGET = 2.0
XPROC_P50_TARGET = 1.5  # x the in-process p50 of the same run
MIN_REPS_TO_CALL = 4
ALPHA = 0.05

STALL_LABELS = {0: "writer alone", 1: "with a running reader",
                2: "reader preempted by a hog"}


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


# --------------------------------------------------------------------------------------
# Number formatting
# --------------------------------------------------------------------------------------

def _scaled(value: float, units: list[tuple[float, str]]) -> str:
    for scale, unit in units:
        if abs(value) >= scale:
            x = value / scale
            digits = 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0
            return f"{x:.{digits}f} {unit}"
    return f"{value:.2g} {units[-1][1]}"


def fmt_ns(v: float) -> str:
    return f"{v:,.1f} ns"


def fmt_rate(v: float) -> str:
    return _scaled(v, [(1e9, "G/s"), (1e6, "M/s"), (1e3, "k/s"), (1, "/s")])


def fmt_bytes_rate(v: float) -> str:
    return _scaled(v, [(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"), (1, "B/s")])


def fmt_count(v: float) -> str:
    if abs(v) < 1e3:
        return f"{v:.0f}"
    return _scaled(v, [(1e9, "G"), (1e6, "M"), (1e3, "k")])


def fmt_pct(v: float) -> str:
    return "0 %" if v == 0 else f"{v * 100:.2f} %"


def fmt_plain(v: float) -> str:
    return f"{v:.3f}"


def fmt_ratio(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}×"


def fmt_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


@dataclass(frozen=True)
class Counter:
    label: str
    fmt: callable
    better: str | None  # "higher", "lower" or None
    meaning: str


COUNTERS = {
    "frames_per_s": Counter("frames/s", fmt_rate, "higher",
                            "frames written (rings) or pushed (peers) per second of real "
                            "time, all writers together"),
    "delivered_per_s": Counter("delivered/s", fmt_rate, "higher",
                               "frames one reader received per second, mean over readers"),
    "bytes_per_s": Counter("bytes/s", fmt_bytes_rate, "higher",
                           "payload bytes behind delivered/s (or written, or copied by "
                           "memcpy)"),
    "loss_rate": Counter("loss", fmt_pct, "lower",
                         "frames a reader lost to overwriting / (received + lost); a queue "
                         "never loses, an overwrite ring's slow reader does"),
    "retries_per_frame": Counter("retries/frame", fmt_plain, "lower",
                                 "polls that stopped at a Pending counter, per frame "
                                 "received"),
    "p50_ns": Counter("p50", fmt_ns, "lower", "median of the latency histogram"),
    "p90_ns": Counter("p90", fmt_ns, "lower", "90th percentile"),
    "p99_ns": Counter("p99", fmt_ns, "lower", "99th percentile"),
    "p999_ns": Counter("p99.9", fmt_ns, "lower", "99.9th percentile"),
    "max_ns": Counter("max", fmt_ns, "lower", "largest sample"),
    "samples": Counter("samples", fmt_count, None, "latency samples in the histogram"),
    "one_way_ns": Counter("one-way (mean)", fmt_ns, "lower",
                          "cache-line ping-pong: mean round trip / 2, unstamped"),
    "ack_timeouts": Counter("ack timeouts", fmt_count, "lower",
                            "latency rounds a writer gave up waiting for every reader's "
                            "acknowledgement (50 ms; 200 ms oversubscribed)"),
    "backwards_stamps": Counter("backwards stamps", fmt_count, "lower",
                                "latency samples received before they were sent by the "
                                "clocks (the cores' TSCs disagree); recorded as 0 ns"),
}


def fmt_counter(counter: str, value: float | None) -> str:
    if value is None:
        return "–"
    spec = COUNTERS.get(counter)
    return spec.fmt(value) if spec else f"{value:.4g}"


# --------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------

def _axis_value(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class BenchName:
    """`<family>/<scenario>/<subject>/key:value/...`, parsed once."""
    family: str
    scenario: str
    subject: str
    axes: tuple  # ((key, value), ...) in name order
    options: tuple  # Google Benchmark's own suffixes, e.g. ("min_time:0.100", "real_time")

    @classmethod
    def parse(cls, run_name: str) -> "BenchName":
        parts = run_name.split("/")
        head = (parts[:3] + ["", "", ""])[:3]
        axes, options = [], []
        for part in parts[3:]:
            key, sep, value = part.partition(":")
            if key in GB_OPTIONS or not sep:
                options.append(part)
            else:
                axes.append((key, _axis_value(value)))
        return cls(head[0], head[1], head[2], tuple(axes), tuple(options))

    def axis(self, key: str, default=None):
        return dict(self.axes).get(key, default)

    def has(self, key: str) -> bool:
        return key in dict(self.axes)

    def axes_text(self) -> str:
        return " ".join(f"{k}:{v}" for k, v in self.axes)

    @property
    def cross_process(self) -> bool:
        return self.scenario.endswith(XPROC)

    @property
    def base_scenario(self) -> str:
        """The scenario of the in-process twin ("latency" for "latency_xproc")."""
        return self.scenario.removesuffix(XPROC)


def base_name(run_name: str) -> str:
    """A benchmark name without the parts Google Benchmark appends for run options."""
    return "/".join(p for p in run_name.split("/") if p.partition(":")[0] not in GB_OPTIONS)


def _order(value, order: list[str]) -> tuple:
    return (order.index(value), "") if value in order else (len(order), value)


@dataclass
class Benchmark:
    run_name: str
    name: BenchName
    reps: list = field(default_factory=list)    # per-repetition rows of bench.json
    errors: list = field(default_factory=list)  # error messages of failed repetitions

    def values(self, counter: str) -> list[float]:
        out = []
        for row in self.reps:
            v = row.get(counter)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                out.append(float(v))
        return out

    def median(self, counter: str) -> float | None:
        vals = self.values(counter)
        return statistics.median(vals) if vals else None

    def span(self, counter: str) -> tuple[float, float] | None:
        vals = self.values(counter)
        return (min(vals), max(vals)) if vals else None

    def counters(self) -> set[str]:
        return {c for c in COUNTERS if self.values(c)}

    def sort_key(self) -> tuple:
        n = self.name
        axes = tuple((k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v)))
                     for k, v in n.axes)
        # A cross-process benchmark right after its in-process twin.
        return (_order(n.family, FAMILY_ORDER), _order(n.base_scenario, SCENARIO_ORDER),
                _order(n.subject, SUBJECT_ORDER), axes, n.cross_process, n.options)

    @property
    def label(self) -> str:
        """Its subject, marked when its reader ran in another process."""
        return self.name.subject + (" (cross-process)" if self.name.cross_process else "")


@dataclass
class Run:
    directory: Path
    context: dict
    evidence: dict | None
    benchmarks: list  # Benchmark, in report order
    gb_context: dict = field(default_factory=dict)  # bench.json's own "context"

    def __post_init__(self):
        self.benchmarks.sort(key=Benchmark.sort_key)
        self._refs = {b.run_name: f"B{i + 1}" for i, b in enumerate(self.benchmarks)}

    @property
    def run_id(self) -> str:
        return str(self.context.get("run_id") or self.directory.name)

    @property
    def config(self) -> str:
        return str(self.context.get("config") or "unknown")

    @property
    def label(self) -> str:
        return str(self.context.get("label") or "unlabelled machine")

    def ref(self, bench: Benchmark) -> str:
        return self._refs[bench.run_name]

    def reproduce(self, bench: Benchmark | str) -> str | None:
        """The command context.json records for a benchmark, by its full name (or by
        its name without Google Benchmark's own suffixes)."""
        name = bench if isinstance(bench, str) else bench.run_name
        commands = self.context.get("reproduce") or {}
        return commands.get(name) or commands.get(base_name(name))

    def failures(self) -> list[tuple[Benchmark | None, str, str]]:
        """(benchmark or None, name, message): failed repetitions in bench.json, and the
        benchmarks the sweep runner lists as failed in context.json (no rows at all)."""
        found = [(b, b.run_name, b.errors[0]) for b in self.benchmarks if b.errors]
        known = {b.run_name for b in self.benchmarks}
        failures = self.context.get("failures")
        if isinstance(failures, dict):
            found += [(None, name, str(message)) for name, message in sorted(failures.items())
                      if name not in known]
        return found

    def select(self, family=None, scenario=None, subject=None) -> list[Benchmark]:
        return [b for b in self.benchmarks
                if (family is None or b.name.family == family)
                and (scenario is None or b.name.scenario == scenario)
                and (subject is None or b.name.subject == subject)
                and b.reps]

    def subjects(self, family: str, known: list[str]) -> list[str]:
        present = {b.name.subject for b in self.select(family)}
        return [s for s in known if s in present] + sorted(present - set(known))

    def ring_variants(self) -> list[str]:
        evidence = set((self.evidence or {}).get("variants", {}) or {})
        present = {b.name.subject for b in self.select("ring")} | evidence
        return [v for v in RING_VARIANTS if v in present] + sorted(present - set(RING_VARIANTS))

    def twin(self, bench: Benchmark) -> Benchmark | None:
        """The in-process twin of a cross-process benchmark: same family, subject and
        axes, the scenario without its suffix."""
        n = bench.name
        if not n.cross_process:
            return None
        return next((b for b in self.select(n.family, n.base_scenario, n.subject)
                     if b.name.axes == n.axes), None)

    def at(self, family, scenario, subject, strict=None, prefer=PREFER) -> Benchmark | None:
        """The benchmark whose axes equal `strict` (an axis a name lacks matches), at the
        preferred value of the other axes, or their lowest value where it is absent."""
        found = narrow(self.select(family, scenario, subject), strict or {}, prefer)
        return found[0] if found else None


def narrow(benches: list[Benchmark], strict: dict, prefer: dict) -> list[Benchmark]:
    benches = [b for b in benches
               if all(b.name.axis(k, v) == v for k, v in strict.items())]
    for key, want in prefer.items():
        if key in strict:
            continue
        values = {b.name.axis(key) for b in benches if b.name.has(key)}
        if not values:
            continue
        chosen = want if want in values else min(values, key=lambda v: (str(type(v)), v))
        benches = [b for b in benches if b.name.axis(key, chosen) == chosen]
    return benches


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

def _read_json(path: Path, what: str):
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {what} {path}: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{what} {path} is not valid JSON: {e}") from None


def load_benchmarks(path: Path) -> tuple[list[Benchmark], dict]:
    """The benchmarks of bench.json and its own "context" object."""
    data = _read_json(path, "bench.json")
    rows = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError(f"{path} has no 'benchmarks' list (not Google Benchmark JSON?)")
    by_name: dict[str, Benchmark] = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise InputError(f"{path}: a benchmark entry without a name")
        if row.get("run_type", "iteration") != "iteration":
            continue  # aggregates: not relied on
        run_name = row.get("run_name") or row["name"]
        bench = by_name.setdefault(run_name, Benchmark(run_name, BenchName.parse(run_name)))
        if row.get("error_occurred") or row.get("skipped"):
            bench.errors.append(str(row.get("error_message") or row.get("skip_message")
                                    or "error"))
        else:
            bench.reps.append(row)
    if not by_name:
        raise InputError(f"{path} holds no per-repetition rows (run_type 'iteration'); "
                         "was it run with --benchmark_report_aggregates_only?")
    gb_context = data.get("context")
    return list(by_name.values()), gb_context if isinstance(gb_context, dict) else {}


def check_shape(obj, fields: dict, where) -> None:
    """obj is a JSON object whose listed fields, where present and not null, have the
    listed JSON types."""
    if not isinstance(obj, dict):
        raise InputError(f"{where} is not a JSON object")
    for key, kind in fields.items():
        if obj.get(key) is not None and not isinstance(obj[key], kind):
            raise InputError(f"{where}: '{key}' is not a JSON "
                             f"{'object' if kind is dict else 'array'}")


def load_run(directory: Path) -> Run:
    if not directory.is_dir():
        raise InputError(f"run directory not found: {directory}")
    benchmarks, gb_context = load_benchmarks(directory / "bench.json")
    context_path = directory / "context.json"
    context = _read_json(context_path, "context.json") if context_path.exists() else {}
    evidence_path = directory / "evidence.json"
    evidence = _read_json(evidence_path, "evidence.json") if evidence_path.exists() else None
    check_shape(context, {"machine": dict, "reproduce": dict}, context_path)
    if evidence is not None:
        check_shape(evidence, {"variants": dict, "known_bad": list, "commands": dict},
                    evidence_path)
        for name, variant in evidence.get("variants", {}).items():
            check_shape(variant, {"conformance": dict, "stress": list, "models": dict},
                        f"{evidence_path} variant {name}")
            for entry in variant.get("stress") or []:
                check_shape(entry, {}, f"{evidence_path} variant {name} stress entry")
        for entry in evidence.get("known_bad") or []:
            check_shape(entry, {}, f"{evidence_path} known_bad entry")
    return Run(directory, context, evidence, benchmarks, gb_context)


# --------------------------------------------------------------------------------------
# Derived figures: workloads, the limit, best peers
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    title: str
    counter: str
    ring: str          # scenario of family ring
    peer: str | None   # scenario of family peer

    def bench(self, run: Run, subject: str, strict=None) -> Benchmark | None:
        strict = dict(HEADLINE if strict is None else strict)
        if subject in PEERS or subject in run.subjects("peer", PEERS):
            return run.at("peer", self.peer, subject, strict) if self.peer else None
        return run.at("ring", self.ring, subject, strict)

    @property
    def better(self) -> str:
        return COUNTERS[self.counter].better


TRANSFER = Workload("transfer delivered/s", "delivered_per_s", "broadcast", "transfer")
LATENCY_P50 = Workload("one-way latency p50", "p50_ns", "latency", "latency")
LATENCY_P99 = Workload("one-way latency p99", "p99_ns", "latency", "latency")
WRITE_ONLY = Workload("write-only frames/s", "frames_per_s", "write_only", None)
LATENCY_XPROC = Workload("cross-process one-way latency p50", "p50_ns", "latency" + XPROC, None)
TRANSFER_XPROC = Workload("cross-process transfer delivered/s", "delivered_per_s",
                          "broadcast" + XPROC, None)
# Each cross-process workload with its in-process twin.
XPROC_TWINS = [(LATENCY_XPROC, LATENCY_P50), (TRANSFER_XPROC, TRANSFER)]


@dataclass
class Limit:
    value: float | None
    source: str
    bench: Benchmark | None


def pingpong_limit(run: Run) -> Limit:
    bench = run.at("limit", "pingpong", "cacheline")
    if bench is not None:
        for counter in ("p50_ns", "one_way_ns"):
            if bench.values(counter):
                return Limit(bench.median(counter),
                             f"median over repetitions of `{counter}`", bench)
    value = run.context.get("pingpong_one_way_ns")
    if isinstance(value, (int, float)):
        return Limit(float(value), "context.json (pingpong_one_way_ns)", None)
    return Limit(None, "not in this run", None)


def best_peer(run: Run, workload: Workload, strict=None) -> Benchmark | None:
    """The SPSC peer with the best median of the workload's counter."""
    candidates = [b for b in (workload.bench(run, p, strict) for p in SPSC_PEERS)
                  if b is not None and b.values(workload.counter)]
    if not candidates:
        return None
    pick = max if workload.better == "higher" else min
    return pick(candidates, key=lambda b: b.median(workload.counter))


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# --------------------------------------------------------------------------------------
# Statistics: the U test of Google Benchmark's compare.py
# --------------------------------------------------------------------------------------

def _gbench_utest():
    """gbench.report.calc_utest from Debian's libbenchmark-tools, if importable."""
    share = "/usr/share/benchmark"
    if share not in sys.path:
        sys.path.append(share)
    try:
        from gbench.report import calc_utest  # noqa: PLC0415
        return calc_utest
    except Exception:  # noqa: BLE001 - any import problem means: use scipy directly
        return None


_CALC_UTEST = _gbench_utest()
UTEST_SOURCE = ("Google Benchmark's own `gbench.report.calc_utest` (libbenchmark-tools, "
                "/usr/share/benchmark)" if _CALC_UTEST else
                "`scipy.stats.mannwhitneyu` (gbench from libbenchmark-tools not importable)")


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    if _CALC_UTEST is not None:
        _, _, time_p = _CALC_UTEST([a, b], [a, b])
        return float("nan") if time_p is None else float(time_p)
    from scipy.stats import mannwhitneyu  # noqa: PLC0415
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


@dataclass
class Verdict:
    text: str
    p: float | None
    called: bool


def judge(a: list[float], b: list[float], better: str, a_name: str) -> Verdict:
    if min(len(a), len(b)) < MIN_REPS_TO_CALL:
        return Verdict(f"too few repetitions to call ({len(a)} vs {len(b)}; "
                       f"{MIN_REPS_TO_CALL} needed)", None, False)
    p = mann_whitney_p(a, b)
    if math.isnan(p) or p >= ALPHA:
        return Verdict(f"no difference shown (p = {fmt_p(p)})", p, False)
    ma, mb = statistics.median(a), statistics.median(b)
    a_wins = ma > mb if better == "higher" else ma < mb
    factor = max(ma, mb) / min(ma, mb) if min(ma, mb) > 0 else float("inf")
    word = "faster" if a_wins else "slower"
    return Verdict(f"**{a_name} {word}**, {factor:.2f}× (p = {fmt_p(p)})", p, True)


# --------------------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------------------

def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", "<br>")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def md_code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def ref_link(run: Run, bench: Benchmark | None) -> str:
    if bench is None:
        return ""
    ref = run.ref(bench)
    return f"[{ref}](#{ref.lower()})"


def anchor(run: Run, bench: Benchmark) -> str:
    """The target of ref_link: a benchmark's row in the detailed tables."""
    ref = run.ref(bench)
    return f'<a id="{ref.lower()}"></a>{ref}'


def figure(run: Run, bench: Benchmark | None, counter: str) -> str:
    """A median with the reference of the benchmark it comes from."""
    if bench is None or not bench.values(counter):
        return "not in this run"
    return f"{fmt_counter(counter, bench.median(counter))} {ref_link(run, bench)}"


def short_commit(context: dict) -> str:
    commit = str(context.get("commit") or "unknown")[:12]
    return commit + ("-dirty" if context.get("dirty") else "")


# --------------------------------------------------------------------------------------
# Report sections (each returns markdown lines)
# --------------------------------------------------------------------------------------

def section_header(run: Run) -> list[str]:
    c = run.context
    m = c.get("machine") or {}
    gb = run.gb_context
    cpu = m.get("cpu_model") or gb.get("host_name") or "unknown CPU"
    cores = m.get("cores") or gb.get("num_cpus") or "?"
    if m.get("allowed_cpus") and m.get("allowed_cpus") != cores:
        cores = f"{cores} ({m['allowed_cpus']} allowed to the run)"
    memory = f", {m['memory_gib']} GiB" if m.get("memory_gib") else ""
    commit = md_code(str(c.get("commit") or "unknown"))
    if c.get("dirty"):
        commit += " (**dirty**: uncommitted changes)"
    stamp_cost = c.get("stamp_cost_ns")
    stamp = str(c.get("stamp_clock") or "unknown")
    if isinstance(stamp_cost, (int, float)) and math.isfinite(stamp_cost):
        stamp += f", {fmt_ns(stamp_cost)} per stamp"
    resolution = c.get("stamp_resolution_ns")
    if isinstance(resolution, (int, float)) and math.isfinite(resolution):
        stamp += f", resolution {fmt_ns(resolution)}"
    seconds = c.get("seconds")
    when = f"{c.get('started', '?')} – {c.get('finished', '?')}"
    if isinstance(seconds, (int, float)):
        when += f" ({seconds:.0f} s)"
    title = "Scaling run" if run.config == "scaling" else "Run"
    rows = [["CPU", f"{cpu}, {cores} cores{memory}"],
            ["kernel", c.get("kernel") or m.get("kernel") or "unknown"],
            ["compiler", c.get("compiler") or "unknown"],
            ["build type", c.get("build_type") or gb.get("library_build_type") or "unknown"],
            ["commit", commit],
            ["stamp clock", stamp],
            ["threads pinned", {True: "yes", False: "no"}.get(c.get("pinned"),
                                                              "not recorded")],
            ["repetitions", str(c.get("repetitions") or "?")
             + (" (in rounds: each round runs every benchmark once, one process each)"
                if c.get("repetitions_in_rounds") else "")],
            ["when", when],
            ["sweep command", md_code(c["sweep_command"]) if c.get("sweep_command")
             else "not recorded"]]
    lines = [f"# {title} `{run.run_id}`: {run.config}, {run.label}", ""]
    if not c:
        lines += ["**context.json is missing**: the machine context and the reproduce "
                  "commands below are unknown.", ""]
    lines += md_table(["", ""], rows)
    missing = [b for b in run.benchmarks if run.reproduce(b) is None]
    if missing and c:
        lines += [f"**{len(missing)} of {len(run.benchmarks)} benchmarks have no reproduce "
                  "command in context.json** (marked *not recorded* in the detailed "
                  "tables).", ""]
    return lines


def target_row(run: Run, variant: str, what: str, bench: Benchmark | None, counter: str,
               reference: float | None, ref_text: str, bound: float, higher: bool,
               note: str = "") -> list[str]:
    measured = bench.median(counter) if bench is not None else None
    if measured is None or reference is None:
        return [variant, what, figure(run, bench, counter), ref_text, "–", "not in this run"]
    r = measured / reference
    met = r >= bound if higher else r <= bound
    sign = "≥" if higher else "≤"
    verdict = ("**met**" if met else "**not met**") + f" (target {sign} {bound:g}×)"
    return [variant, what, figure(run, bench, counter) + note, ref_text, fmt_ratio(r), verdict]


def xproc_target_row(run: Run, variant: str) -> list[str]:
    """The cross-process one-way p50 against its in-process twin of the same run."""
    cross = LATENCY_XPROC.bench(run, variant)
    inproc = run.twin(cross) if cross is not None else LATENCY_P50.bench(run, variant)
    reference = inproc.median("p50_ns") if inproc is not None else None
    return target_row(run, variant, "cross-process one-way p50 (same run)", cross, "p50_ns",
                      reference, f"in-process {figure(run, inproc, 'p50_ns')}",
                      XPROC_P50_TARGET, higher=False)


def section_stands(run: Run) -> list[str]:
    limit = pingpong_limit(run)
    peer = best_peer(run, TRANSFER)
    lines = ["## Where ringlab stands", ""]
    limit_text = ("not in this run" if limit.value is None
                  else f"**{fmt_ns(limit.value)}** {ref_link(run, limit.bench)} "
                       f"({limit.source})")
    peer_text = ("no SPSC peer in this run" if peer is None else
                 f"**{peer.name.subject}**, {figure(run, peer, 'delivered_per_s')}")
    lines += [f"Targets at 1 writer × 1 reader, 64-byte frames, on medians over repetitions, "
              f"measured in this run, never estimated. The limit is the cache-line "
              f"ping-pong one-way latency of this machine: {limit_text}. The best SPSC peer "
              f"on transfer (highest median among {', '.join(SPSC_PEERS)}): {peer_text}. "
              f"The cross-process target holds {' and '.join(XPROC_TARGETED)}'s one-way p50 "
              f"with its reader in another process (`ring/latency{XPROC}`) to "
              f"{XPROC_P50_TARGET:g}× that of its in-process twin in the same run.", ""]
    recorded = run.context.get("pingpong_one_way_ns")
    if limit.bench is not None and isinstance(recorded, (int, float)) and \
            abs(recorded - limit.value) > 0.01 * limit.value:
        lines += [f"**context.json records a ping-pong one-way of {fmt_ns(recorded)}**, not "
                  f"the {fmt_ns(limit.value)} of bench.json used here.", ""]
    variants = [v for v in run.ring_variants() if v in TARGETED or v not in RING_VARIANTS]
    rows = []
    for v in variants:
        lat = LATENCY_P50.bench(run, v)
        limit_ref = (f"ping-pong {fmt_ns(limit.value)} {ref_link(run, limit.bench)}"
                     if limit.value is not None else "no ping-pong")
        rows.append(target_row(run, v, "one-way p50", lat, "p50_ns", limit.value, limit_ref,
                               LATENCY_P50_TARGET, higher=False))
        rows.append(target_row(run, v, "one-way p99", lat, "p99_ns", limit.value, limit_ref,
                               LATENCY_P99_TARGET, higher=False))
        transfer = TRANSFER.bench(run, v)
        loss = transfer.median("loss_rate") if transfer is not None else None
        note = f", loss {fmt_pct(loss)}" if loss is not None else ""
        peer_ref = (f"{peer.name.subject} {figure(run, peer, 'delivered_per_s')}"
                    if peer is not None else "no SPSC peer")
        rows.append(target_row(run, v, "transfer delivered/s", transfer, "delivered_per_s",
                               peer.median("delivered_per_s") if peer else None, peer_ref,
                               1.0, higher=True, note=note))
        if v in XPROC_TARGETED:
            rows.append(xproc_target_row(run, v))
    if not rows:
        return lines + ["No seqlock or disruptor variant in this run.", ""] + \
            evidence_summary(run) + [""]
    lines += md_table(["variant", "target", "measured", "reference", "ratio", "verdict"],
                      rows)
    verdicts = [r[-1] for r in rows]
    met = sum(v.startswith("**met**") for v in verdicts)
    not_met = sum(v.startswith("**not met**") for v in verdicts)
    absent = len(verdicts) - met - not_met
    lines += [f"**{met} of {met + not_met} measured targets met, {not_met} not met**"
              + (f"; {absent} not in this run." if absent else "."), ""]
    lines += ["Loss beside the transfer figure: an overwrite ring's reader that falls behind "
              "skips frames (and is told how many), so its delivered/s is not the same "
              "figure as a queue's, whose reader gets every frame and whose writer waits "
              "instead.", ""]
    lines += section_why(run)
    lines += evidence_summary(run) + [""]
    return lines


def section_why(run: Run) -> list[str]:
    """Why the targets stand where they do: the mechanisms, with this run's numbers."""
    limit = pingpong_limit(run)
    lat_peer = best_peer(run, LATENCY_P50)
    xfer_peer = best_peer(run, TRANSFER)
    stamp = run.context.get("stamp_cost_ns")
    lines = ["### Why", ""]
    seq = LATENCY_P50.bench(run, "seqlock")
    spin = LATENCY_P50.bench(run, "disruptor-spin")
    if limit.value is not None and lat_peer is not None and (seq or spin):
        peer_p50 = lat_peer.median("p50_ns")
        parts = []
        for b in (seq, spin):
            if b is not None:
                parts.append(f"{b.name.subject} {figure(run, b, 'p50_ns')} = "
                             f"{fmt_ratio(ratio(b.median('p50_ns'), peer_p50))} the peer's")
        stamp_text = (f" Every sample also carries about one stamp's cost ({stamp:.0f} ns "
                      "here: the end of the sender's and the start of the receiver's); "
                      "the ping-pong's p50 carries half of one."
                      if isinstance(stamp, (int, float)) else "")
        lines += [
            "**One-way latency.** The ping-pong moves one cache line per one-way trip. A ring "
            "frame moves several, one after another. The writer claims its counter with a "
            "locked read-modify-write on the head line (`fetch_add`, or a CAS in gated mode) "
            "and takes the slot with a CAS on its marker; the reader holds both lines, so "
            "each costs a cross-core round trip before the frame can commit. The reader then "
            "needs the committed marker and the body's lines (the disruptor keeps its markers "
            "apart from the bodies, and its poll reads head again after the barrier's wait)."
            + stamp_text +
            f" The single-writer SPSC peers publish with a plain release store; the best of "
            f"them, {lat_peer.name.subject}, is at {figure(run, lat_peer, 'p50_ns')}, "
            f"{fmt_ratio(ratio(peer_p50, limit.value))} the ping-pong: the 1.25× target asks "
            f"more of a multi-writer ring than the single-writer queues achieve here. Against "
            f"the peers: {'; '.join(parts)}.", ""]
    gated = TRANSFER.bench(run, "disruptor-gated")
    over = TRANSFER.bench(run, "seqlock") or TRANSFER.bench(run, "disruptor-spin")
    if xfer_peer is not None and (gated or over):
        peer_rate = xfer_peer.median("delivered_per_s")
        text = "**Transfer.** "
        if over is not None:
            text += (f"An overwrite ring's writer never waits: in {over.name.subject}'s run it "
                     f"wrote {figure(run, over, 'frames_per_s')} while its reader received "
                     f"{figure(run, over, 'delivered_per_s')} and lost "
                     f"{fmt_pct(over.median('loss_rate'))} of the frames, lapped by the "
                     "writer and counted exactly, as the contract says. ")
        if gated is not None:
            text += (f"The lossless comparison with a queue is disruptor-gated: "
                     f"{figure(run, gated, 'delivered_per_s')}, "
                     f"{fmt_ratio(ratio(gated.median('delivered_per_s'), peer_rate))} "
                     f"{xfer_peer.name.subject}'s. ")
        alone = run.at("ring", "stalled", "disruptor-spin", {"stall": 0})
        beside = run.at("ring", "stalled", "disruptor-spin", {"stall": 1})
        if alone is not None and beside is not None:
            text += (f"A reader that keeps up makes every write a cross-core exchange: "
                     f"disruptor-spin's writer takes {figure(run, alone, 'p50_ns')} per "
                     f"write alone and {figure(run, beside, 'p50_ns')} with one reader "
                     "beside it (stamp to stamp, one stamp included). Each claim is a locked read-modify-write on head, which "
                     "the reader reads on every poll, and each frame's marker and body "
                     "lines are the ones the reader is reading; the queues' writer "
                     "publishes with a plain store that its store buffer absorbs, and "
                     "runs ahead into lines the reader is not touching.")
        lines += [text, ""]
    lines += why_cross_process(run)
    return lines if len(lines) > 2 else []


def twin_ratios(run: Run, workload: Workload) -> list[str]:
    """'subject cross-process figure against in-process figure, ratio' per variant run both
    ways."""
    found = []
    for v in run.subjects("ring", RING_VARIANTS):
        cross = workload.bench(run, v)
        twin = run.twin(cross) if cross is not None else None
        counter = workload.counter
        if twin is not None and cross.values(counter) and twin.values(counter):
            found.append(f"{v} {figure(run, cross, counter)} against "
                         f"{figure(run, twin, counter)} in-process, "
                         f"{fmt_ratio(ratio(cross.median(counter), twin.median(counter)))}")
    return found


def why_cross_process(run: Run) -> list[str]:
    latency, transfer = twin_ratios(run, LATENCY_XPROC), twin_ratios(run, TRANSFER_XPROC)
    if not latency and not transfer:
        return []
    clock = ("the TSC, which the kernel reports constant and nonstop: one count on every core"
             if run.context.get("stamp_clock") == "tsc" else "steady_clock, one count "
             "system-wide")
    text = (f"**Cross-process.** In the `{XPROC}` benchmarks the writer stays in the benchmark "
            "process and the reader runs in a second one: the same binary, started with "
            "posix_spawn and pinned to the CPU the in-process reader takes. The ring lives in "
            "a POSIX shared-memory segment (a tmpfs object in /dev/shm that both processes map "
            "MAP_SHARED); the acknowledgements and the start and stop flags sit in a second "
            "shared mapping, through which the reader also hands back its histogram. Both "
            f"sides stamp with the same clock ({clock}) and convert ticks by the benchmark's "
            "calibration. A frame goes from one process to the other exactly as from one "
            "thread to another: the same cache lines move between the same two cores under "
            "the same coherence protocol, and no system call takes part in a hand-off, so a "
            "ratio near 1 is expected. What differs lies around those lines: each process "
            "reaches the ring through its own page tables and TLB entries (a TLB miss walks "
            "that process's tables; each page's first touch in each process is a minor fault, "
            "paid in the first lap), and where a core is shared, switching to another process "
            "changes address space where switching threads does not.")
    if latency:
        text += f" One-way p50 here: {'; '.join(latency)}."
    if transfer:
        text += f" Transfer delivered/s: {'; '.join(transfer)}."
    return [text, ""]


# --- correctness evidence -------------------------------------------------------------

def variant_evidence(run: Run, variant: str) -> dict | None:
    return ((run.evidence or {}).get("variants") or {}).get(variant)


def ev_conformance(ev: dict | None) -> str:
    c = (ev or {}).get("conformance")
    if not c:
        return "not run"
    passed, failed = c.get("passed", 0), c.get("failed", 0)
    return f"{passed}/{passed + failed} passed" + (f", **{failed} failed**" if failed else "")


def ev_stress(ev: dict | None) -> str:
    runs = (ev or {}).get("stress") or []
    if not runs:
        return "not run"
    parts = []
    for build in sorted({r.get("build", "?") for r in runs}):
        mine = [r for r in runs if r.get("build", "?") == build]
        frames = sum(r.get("frames_checked", 0) for r in mine)
        torn = sum(r.get("torn", 0) for r in mine)
        regressions = sum(r.get("regressions", 0) for r in mine)
        failed = [r.get("shape", "?") for r in mine
                  if not r.get("passed") or r.get("loss_exact") is False]
        shapes = ", ".join(r.get("shape", "?") for r in mine)
        text = f"{build}: {fmt_count(frames)} frames, {torn} torn"
        if regressions:
            text += f", {regressions} regressions"
        text += f" ({shapes})"
        text += f" **failed: {', '.join(failed)}**" if failed else ", passed"
        parts.append(text)
    return "<br>".join(parts)


def ev_tsan(ev: dict | None) -> str:
    reports = (ev or {}).get("tsan_reports")
    if reports is None:
        return "not run"
    return "0 reports" if reports == 0 else f"**{reports} reports**"


def ev_models(ev: dict | None) -> str:
    m = (ev or {}).get("models")
    if not m:
        return "not run"
    sp, sf = m.get("scenarios_passed", 0), m.get("scenarios_failed", 0)
    caught, expected = m.get("mutants_caught", 0), m.get("mutants_expected", 0)
    text = f"{sp}/{sp + sf} scenarios, {caught}/{expected} mutants caught"
    if sf or caught < expected:
        text = f"**{text}**"
    return f"{text} ({m.get('storage', '?')} storage)"


def ev_problems(ev: dict | None) -> list[str]:
    """What in a variant's evidence failed (empty: nothing failed, or nothing ran)."""
    if not ev:
        return []
    problems = []
    if (ev.get("conformance") or {}).get("failed"):
        problems.append("conformance")
    if any(not r.get("passed") or r.get("torn") or r.get("regressions")
           or r.get("loss_exact") is False for r in ev.get("stress") or []):
        problems.append("stress")
    if ev.get("tsan_reports"):
        problems.append("TSan")
    m = ev.get("models") or {}
    if m.get("scenarios_failed") or m.get("mutants_caught", 0) < m.get("mutants_expected", 0):
        problems.append("models")
    return problems


def evidence_summary(run: Run) -> list[str]:
    if run.evidence is None:
        return ["Correctness evidence: **not in this run** (no evidence.json: the tests were "
                "not run with this sweep)."]
    failing = {v: ev_problems(variant_evidence(run, v)) for v in run.ring_variants()}
    bad = [f"{v} ({', '.join(p)})" for v, p in failing.items() if p]
    missing = [v for v in run.ring_variants() if variant_evidence(run, v) is None]
    text = ("Correctness evidence: " + (f"**failures in {'; '.join(bad)}**" if bad
                                        else "nothing failed"))
    if missing:
        text += f"; no evidence for {', '.join(missing)}"
    known_bad = run.evidence.get("known_bad") or []
    missed = [k.get("name", "?") for k in known_bad if not k.get("caught")]
    if known_bad:
        text += (f"; known-bad variants caught: {len(known_bad) - len(missed)}/"
                 f"{len(known_bad)}" + (f" (**missed: {', '.join(missed)}**)" if missed
                                         else ""))
    return [text + ". Details in the next section."]


# --- per-variant table ------------------------------------------------------------------

def performance_cells(run: Run, subject: str, limit: Limit) -> list[str]:
    transfer = TRANSFER.bench(run, subject)
    latency = LATENCY_P50.bench(run, subject)
    write_only = WRITE_ONLY.bench(run, subject)
    peer_t, peer_l = best_peer(run, TRANSFER), best_peer(run, LATENCY_P50)

    def med(bench, counter):
        return bench.median(counter) if bench is not None else None
    p50, p99 = med(latency, "p50_ns"), med(latency, "p99_ns")
    loss = med(transfer, "loss_rate")
    return [figure(run, transfer, "delivered_per_s"),
            fmt_ratio(ratio(med(transfer, "delivered_per_s"), med(peer_t, "delivered_per_s"))),
            fmt_pct(loss) if loss is not None else "–",
            figure(run, write_only, "frames_per_s"),
            figure(run, latency, "p50_ns"), figure(run, latency, "p99_ns"),
            fmt_ratio(ratio(p50, limit.value)), fmt_ratio(ratio(p99, limit.value)),
            fmt_ratio(ratio(p50, med(peer_l, "p50_ns")))]


def section_variants(run: Run) -> list[str]:
    limit = pingpong_limit(run)
    peer_t, peer_l = best_peer(run, TRANSFER), best_peer(run, LATENCY_P50)
    lines = ["## Variants: correctness beside performance", ""]
    lines += [f"Medians over repetitions at 1 writer × 1 reader, 64-byte frames (write-only: "
              f"64 B). Ratios: to the ping-pong limit "
              f"({fmt_ns(limit.value) if limit.value is not None else 'not in this run'}) "
              f"and to the best SPSC peer (transfer: "
              f"{peer_t.name.subject if peer_t else 'none'}; latency p50: "
              f"{peer_l.name.subject if peer_l else 'none'}). The spread (min–max) and the "
              f"command behind each figure are in the detailed tables (B-numbers).", ""]
    headers = ["subject", "conformance", "stress", "TSan", "Relacy models",
               "transfer delivered/s", "÷ best peer", "loss", "write-only frames/s", "p50",
               "p99", "p50 ÷ limit", "p99 ÷ limit", "p50 ÷ best peer"]
    rows = []
    for v in run.ring_variants():
        ev = variant_evidence(run, v)
        rows.append([f"**{v}**", ev_conformance(ev), ev_stress(ev), ev_tsan(ev),
                     ev_models(ev)] + performance_cells(run, v, limit))
    for p in run.subjects("peer", PEERS):
        rows.append([f"{p} (peer)", "–", "–", "–", "–"] + performance_cells(run, p, limit))
    lines += md_table(headers, rows) if rows else ["No ring variant or peer in this run.", ""]
    lines += evidence_notes(run)
    return lines


def evidence_notes(run: Run) -> list[str]:
    ev = run.evidence
    if ev is None:
        return ["No evidence.json in this run: every correctness column reads *not run*.", ""]
    lines = []
    if ev.get("commit") and run.context.get("commit") and \
            str(ev["commit"])[:12] != str(run.context["commit"])[:12]:
        lines += [f"**Evidence was collected at commit {md_code(str(ev['commit']))}, the "
                  f"benchmarks ran at {md_code(str(run.context['commit']))}.**", ""]
    lines += [f"Evidence collected {ev.get('collected', '(date not recorded)')}. "
              "The Relacy verdicts hold for the bounded scenarios and Relacy's memory model "
              "only; stress counts are what this machine checked.", ""]
    known_bad = ev.get("known_bad") or []
    if known_bad:
        lines += ["Known-bad variants (each must be caught):", ""]
        lines += md_table(["known-bad", "caught", "by"],
                          [[k.get("name", "?"), "yes" if k.get("caught") else "**NO**",
                            k.get("by") or "–"] for k in known_bad])
    commands = ev.get("commands") or {}
    if "tsan" in commands and not commands["tsan"]:
        lines += ["ThreadSanitizer was not run for this report: `scripts/ringlab report --tsan` "
                  "adds it (a few minutes more), and `scripts/ringlab test` always runs it.", ""]
    if commands:
        lines += ["Commands that produced the evidence:", ""]
        lines += md_table(["evidence", "command"],
                          [[k, md_code(str(c)) if c else "not run"]
                           for k, c in commands.items()])
    return lines


# --- comparisons ------------------------------------------------------------------------

@dataclass
class Pair:
    a: Benchmark
    b: Benchmark
    workload: Workload
    b_note: str = ""


def comparison_pairs(run: Run, strict=None, with_peers=True) -> list[Pair]:
    pairs = []

    def add(a_subject, b_subject, workload, note=""):
        a, b = workload.bench(run, a_subject, strict), workload.bench(run, b_subject, strict)
        if a is not None and b is not None and a.values(workload.counter) \
                and b.values(workload.counter):
            pairs.append(Pair(a, b, workload, note))
    variants = run.subjects("ring", RING_VARIANTS)
    if with_peers:
        for workload in (TRANSFER, LATENCY_P50):
            peer = best_peer(run, workload, strict)
            if peer is None:
                continue
            for v in variants:
                add(v, peer.name.subject, workload, " (best peer)")
    for a_subject, b_subject in (("seqlock", "disruptor-spin"), ("rwlock", "seqlock")):
        for workload in (TRANSFER, LATENCY_P50, WRITE_ONLY):
            add(a_subject, b_subject, workload)
    for v in variants:
        for cross_workload, workload in XPROC_TWINS:
            cross = cross_workload.bench(run, v, strict)
            twin = run.twin(cross) if cross is not None else None
            if twin is not None and cross.values(workload.counter) \
                    and twin.values(workload.counter):
                pairs.append(Pair(cross, twin, workload))
    return pairs


def comparison_rows(run: Run, pairs: list[Pair]) -> list[list[str]]:
    rows = []
    for pair in pairs:
        counter = pair.workload.counter
        a_vals, b_vals = pair.a.values(counter), pair.b.values(counter)
        verdict = judge(a_vals, b_vals, pair.workload.better, pair.a.label)
        rows.append([f"{pair.a.label} vs {pair.b.label}{pair.b_note}",
                     pair.workload.title, figure(run, pair.a, counter),
                     figure(run, pair.b, counter),
                     fmt_ratio(ratio(pair.a.median(counter), pair.b.median(counter))),
                     f"{len(a_vals)} vs {len(b_vals)}", fmt_p(verdict.p), verdict.text])
    return rows


COMPARISON_HEADERS = ["comparison", "metric", "A", "B", "A ÷ B", "repetitions", "p",
                      "verdict"]


def comparison_intro() -> list[str]:
    return [f"Two-sided Mann-Whitney U test on the per-repetition values of each side: a "
            f"difference is called (faster / slower, with the ratio of medians) only where "
            f"p < {ALPHA}, and never with fewer than {MIN_REPS_TO_CALL} repetitions a side. "
            f"This is the same test Google Benchmark's compare.py (libbenchmark-tools) runs; "
            f"the p-values here come from {UTEST_SOURCE}. Faster means higher delivered/s "
            f"or frames/s, lower latency.", ""]


def section_comparisons(run: Run) -> list[str]:
    lines = ["## Comparisons", ""] + comparison_intro()
    rows = comparison_rows(run, comparison_pairs(run))
    if not rows:
        return lines + ["No pair to compare in this run.", ""]
    return lines + md_table(COMPARISON_HEADERS, rows)


# --- detailed tables ----------------------------------------------------------------------

def median_span(bench: Benchmark, counter: str) -> str:
    span = bench.span(counter)
    if span is None:
        return "–"
    med = fmt_counter(counter, bench.median(counter))
    if span[0] == span[1]:
        return med
    return f"{med} ({fmt_counter(counter, span[0])} – {fmt_counter(counter, span[1])})"


def memcpy_at(run: Run, payload) -> Benchmark | None:
    if payload is None:
        return None
    return run.at("limit", "memcpy", "memcpy", {"payload": payload})


def latency_over_limit(counter: str):
    def over(run: Run, b: Benchmark, limit: Limit) -> float | None:
        if b.name.family == "limit":
            return None
        return ratio(b.median(counter), limit.value)
    return over


def bytes_over_memcpy(run: Run, b: Benchmark, limit: Limit) -> float | None:
    reference = memcpy_at(run, b.name.axis("payload"))
    if b.name.base_scenario not in THROUGHPUT_SCENARIOS or reference is None:
        return None
    return ratio(b.median("bytes_per_s"), reference.median("bytes_per_s"))


THROUGHPUT_SCENARIOS = ("write_only", "read_only", "broadcast", "transfer")


# Each figure beside its limit in the same run: latency against the ping-pong
# one-way, bytes/s against memcpy of the same payload size.
LIMIT_RATIOS = {
    "p50 ÷ ping-pong": latency_over_limit("p50_ns"),
    "p99 ÷ ping-pong": latency_over_limit("p99_ns"),
    "bytes/s ÷ memcpy": bytes_over_memcpy,
}


def over_twin(counter: str, scenarios: tuple):
    def over(run: Run, b: Benchmark, limit: Limit) -> float | None:
        twin = run.twin(b)
        if twin is None or b.name.base_scenario not in scenarios:
            return None
        return ratio(b.median(counter), twin.median(counter))
    return over


# A cross-process figure beside its in-process twin's, in the same run.
TWIN_RATIOS = {
    "p50 ÷ in-process": over_twin("p50_ns", ("latency",)),
    "delivered/s ÷ in-process": over_twin("delivered_per_s", THROUGHPUT_SCENARIOS),
}


def scenario_table(run: Run, benches: list[Benchmark]) -> list[str]:
    axis_keys = []
    for b in benches:
        axis_keys += [k for k, _ in b.name.axes if k not in axis_keys]
    counters = [c for c in COUNTERS if any(b.values(c) for b in benches)]
    limit = pingpong_limit(run)
    ratios = {title: [fn(run, b, limit) for b in benches]
              for title, fn in (LIMIT_RATIOS | TWIN_RATIOS).items()}
    ratios = {title: values for title, values in ratios.items()
              if any(v is not None for v in values)}
    mixed = any(b.name.cross_process for b in benches)
    headers = (["ref", "subject"] + (["process"] if mixed else []) + axis_keys
               + [COUNTERS[c].label for c in counters] + list(ratios)
               + ["reps", "reproduce"])
    rows = []
    for i, b in enumerate(benches):
        command = run.reproduce(b)
        process = ["cross-process" if b.name.cross_process else "in-process"] if mixed else []
        rows.append([anchor(run, b), b.name.subject] + process
                    + [str(b.name.axis(k, "–")) for k in axis_keys]
                    + [median_span(b, c) for c in counters]
                    + [fmt_ratio(values[i]) for values in ratios.values()]
                    + [str(len(b.reps)), md_code(command) if command else "*not recorded*"])
    return md_table(headers, rows)


def section_details(run: Run) -> list[str]:
    lines = ["## Detailed results", "",
             "Every benchmark of the run: median over repetitions (min – max), and the "
             "command that reruns exactly it, from the repository root after "
             "`scripts/ringlab build` (at the commit in the header; add "
             "`--benchmark_out=FILE --benchmark_out_format=json` for the JSON).", ""]
    # A cross-process scenario shares its in-process twin's table, row beside row.
    groups: dict[tuple, list[Benchmark]] = {}
    for b in run.benchmarks:
        if b.reps:
            groups.setdefault((b.name.family, b.name.base_scenario), []).append(b)
    for (family, scenario), benches in groups.items():
        title = f"### {family} / {scenario}"
        if any(b.name.cross_process for b in benches):
            title += f" and {scenario}{XPROC}"
        lines += [title, ""] + scenario_table(run, benches)
    failed = run.failures()
    if failed:
        lines += ["### Benchmarks that failed", "",
                  "Their figures are missing from the tables above.", ""]
        lines += md_table(["ref", "benchmark", "message", "reproduce"],
                          [[anchor(run, b) if b is not None else "–", md_code(name),
                            message, md_code(run.reproduce(name)) if run.reproduce(name)
                            else "*not recorded*"] for b, name, message in failed])
    return lines


# --- scaling ------------------------------------------------------------------------------

def scaling_grid(run: Run, scenario: str, counter: str) -> dict[str, dict]:
    """variant -> {writers -> [(readers, bench)]}, at payload 64 / cap 1024 if present."""
    grid = {}
    for v in run.subjects("ring", RING_VARIANTS):
        benches = [b for b in narrow(run.select("ring", scenario, v), {}, PREFER)
                   if b.values(counter) and b.name.has("r")]
        by_w = {}
        for b in sorted(benches, key=lambda b: b.name.axis("r")):
            by_w.setdefault(b.name.axis("w", 1), []).append((b.name.axis("r"), b))
        if by_w:
            grid[v] = dict(sorted(by_w.items()))
    return grid


def has_scaling(run: Run) -> bool:
    grid = scaling_grid(run, "broadcast", "delivered_per_s")
    grid.update(scaling_grid(run, "latency", "p99_ns"))
    return any(len(points) > 1 for by_w in grid.values() for points in by_w.values())


def scaling_table(run: Run, scenario: str, counter: str) -> list[str]:
    grid = scaling_grid(run, scenario, counter)
    readers = sorted({r for by_w in grid.values() for pts in by_w.values() for r, _ in pts})
    rows = []
    for v, by_w in grid.items():
        for w, points in by_w.items():
            at = dict(points)
            rows.append([v, str(w)] + [figure(run, at.get(r), counter) if r in at else "–"
                                       for r in readers])
    if not rows:
        return [f"ring/{scenario}: not in this run.", ""]
    columns = [f"{r} reader{'s' if r != 1 else ''}" for r in readers]
    return md_table(["variant", "writers"] + columns, rows)


def section_scaling(run: Run, plots: dict) -> list[str]:
    lines = ["## Thread scaling", "",
             f"Broadcast and one-way latency against the number of readers, one line per "
             f"writer count, on {run.label}. Medians over repetitions.", ""]
    lines += embed_plots(plots, ["scaling_delivered", "scaling_p99"])
    lines += ["### Delivered/s per reader (ring/broadcast)", ""]
    lines += scaling_table(run, "broadcast", "delivered_per_s")
    lines += ["### One-way latency p99 (ring/latency)", ""]
    lines += scaling_table(run, "latency", "p99_ns")
    pairs = []
    threads = sorted({(b.name.axis("w", 1), b.name.axis("r", 1))
                      for b in run.select("ring", "broadcast")})
    for w, r in threads:
        strict = {"w": w, "r": r, "payload": 64}
        pairs += [p for p in comparison_pairs(run, strict, with_peers=False)
                  if p.workload is TRANSFER]
    lines += ["### Comparisons at each thread count", ""] + comparison_intro()
    rows = comparison_rows(run, pairs)
    for row, pair in zip(rows, pairs):
        row[0] += f" (w:{pair.a.name.axis('w', 1)} r:{pair.a.name.axis('r', 1)})"
    lines += md_table(COMPARISON_HEADERS, rows) if rows else ["No pair to compare.", ""]
    return lines


# --- how to read ----------------------------------------------------------------------

def section_how_to_read(run: Run) -> list[str]:
    lines = ["## How to read it", "",
             "Each benchmark ran as several repetitions in one process; every figure is the "
             "median over repetitions, the detailed tables add min – max, and the B-number "
             "beside a figure leads to the command that reruns exactly that benchmark. "
             "Counters:", ""]
    lines += [f"- **{spec.label}** (`{name}`): {spec.meaning}." for name, spec in
              COUNTERS.items()]
    lines += ["", "Latency in `latency` scenarios is one-way (stamp at write, stamp at "
              "receipt, same clock); in `stalled`, p99 is the writer's own write latency "
              "(stall 0: writer alone, 1: with a running reader, 2: with a reader preempted "
              "by a hog thread on its CPU). The ping-pong limit is the one-way time of a "
              "cache line bouncing between two threads on this machine: no cross-thread "
              "hand-off can beat it, so latency is judged as a ratio to it. A scenario "
              f"ending in `{XPROC}` is its twin's with the reader in another process, over a "
              "ring in POSIX shared memory; its rows stand beside the twin's. Transfer "
              "compares an overwrite ring with queues that never lose a frame: read it "
              "beside the loss column.", "",
              "What the verdicts rest on: targets are medians of this run on this machine "
              f"({run.label}); differences are called only by the U test above; the "
              "correctness columns say what the conformance suite, the stress harness "
              "(frames checked on this machine), ThreadSanitizer and the Relacy models "
              "found. Relacy's verdicts are bounded model checks: they hold for its "
              "scenarios (2–3 threads, small capacities, a few writes) and its memory "
              "model, not for every execution; see results/ordering-audit.md.", ""]
    return lines


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib  # noqa: PLC0415
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "ringlab-report"
    matplotlib.rcParams["svg.fonttype"] = "path"
    import matplotlib.pyplot as plt  # noqa: PLC0415
    return plt


def _headline_subjects(run: Run, workload: Workload) -> list[tuple[str, Benchmark]]:
    subjects = run.subjects("ring", RING_VARIANTS) + run.subjects("peer", PEERS)
    found = [(s, workload.bench(run, s)) for s in subjects]
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
        ax.axhline(limit.value * LATENCY_P99_TARGET, color="black", linestyle=":",
                   linewidth=1, label=f"{LATENCY_P99_TARGET:g}× ping-pong (p99 target)")
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=20, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("one-way latency (ns, log)")
    ax.set_title("One-way latency, 1 writer × 1 reader, 64 B (medians)")
    ax.legend(fontsize=8)
    return fig


def plot_transfer(run: Run, plt):
    data = _headline_subjects(run, TRANSFER)
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8))
    meds = [b.median("delivered_per_s") for _, b in data]
    spans = [b.span("delivered_per_s") for _, b in data]
    err = [[m - s[0] for m, s in zip(meds, spans)], [s[1] - m for m, s in zip(meds, spans)]]
    colors = ["tab:blue" if s in run.subjects("ring", RING_VARIANTS) else "tab:gray"
              for s, _ in data]
    ax.bar(range(len(data)), [m / 1e6 for m in meds], color=colors,
           yerr=[[e / 1e6 for e in side] for side in err], capsize=4)
    ax.set_xticks(range(len(data)), [s for s, _ in data], rotation=20, ha="right")
    ax.set_ylabel("delivered frames per second (millions)")
    ax.set_title("Transfer, 1 writer × 1 reader, 64 B: median, min–max (grey: peers)")
    return fig


def plot_write_only(run: Run, plt):
    series = {}
    for v in run.subjects("ring", RING_VARIANTS):
        benches = narrow(run.select("ring", "write_only", v), {}, {"cap": 1024})
        points = sorted((b.name.axis("payload"), b.median("frames_per_s")) for b in benches
                        if b.values("frames_per_s") and b.name.has("payload"))
        if points:
            series[v] = points
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
    ax.set_yscale("log")
    ax.set_xlabel("payload (bytes)")
    ax.set_ylabel("frames written per second (log)")
    ax.set_title("Write-only throughput against payload size (medians)")
    ax.legend(fontsize=8)
    return fig


def plot_stalled(run: Run, plt):
    table = {}
    for v in run.subjects("ring", RING_VARIANTS):
        benches = narrow(run.select("ring", "stalled", v), {}, PREFER)
        by_stall = {b.name.axis("stall"): b.median("p99_ns") for b in benches
                    if b.values("p99_ns") and b.name.has("stall")}
        if by_stall:
            table[v] = by_stall
    if not table:
        return None
    stalls = sorted({s for by_stall in table.values() for s in by_stall})
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / len(stalls)
    for i, stall in enumerate(stalls):
        xs = [j + (i - (len(stalls) - 1) / 2) * width for j in range(len(table))]
        ax.bar(xs, [by_stall.get(stall, 0) for by_stall in table.values()], width,
               label=f"stall {stall}: {STALL_LABELS.get(stall, '')}")
    ax.set_xticks(range(len(table)), list(table), rotation=20, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("writer's write latency p99 (ns, log)")
    ax.set_title("Writer isolation: the writer's p99 with a stalled reader (medians)")
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


def section_plots(run: Run, plots: dict) -> list[str]:
    lines = ["## Plots", "", "Drawn from the medians of the detailed tables above (min–max "
             "where shown); the commands there reproduce them.", ""]
    names = ["latency_1x1", "transfer_1x1", "write_only_payload", "stalled"]
    if has_scaling(run):
        names += ["scaling_delivered", "scaling_p99"]
    return lines + embed_plots(plots, names)


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------

def build_report(run: Run, plots: dict) -> str:
    if run.config == "scaling":
        sections = [section_header(run), section_scaling(run, plots), section_stands(run),
                    section_details(run), section_how_to_read(run)]
    else:
        sections = [section_header(run), section_stands(run), section_variants(run),
                    section_comparisons(run), section_details(run),
                    section_plots(run, plots), section_how_to_read(run)]
    lines = [line for section in sections for line in section]
    inputs = ["bench.json"] + (["context.json"] if run.context else []) + \
        (["evidence.json"] if run.evidence is not None else [])
    inputs = ", ".join(inputs[:-1]) + (" and " if len(inputs) > 1 else "") + inputs[-1]
    footer = ["---", "", f"Written by `scripts/report/report.py` from {inputs}."]
    return "\n".join(lines + footer) + "\n"


def write_report(run_dir: Path) -> Path:
    run = load_run(run_dir)
    plots = render_plots(run, run_dir / "plots")
    out = run_dir / "report.md"
    out.write_text(build_report(run, plots), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------
# The index of runs
# --------------------------------------------------------------------------------------

def index_row(run_dir: Path) -> tuple[str, list[str]]:
    """(sort key, table row) for one run directory."""
    link = f"[{run_dir.name}]({run_dir.name}/report.md)"
    if not (run_dir / "report.md").exists():
        link += " (no report yet)"
    try:
        run = load_run(run_dir)
    except InputError as e:
        return "", [link, "–", "–", "–", "–", f"unreadable: {e}", "–", "–"]
    c = run.context
    started = str(c.get("started") or "")
    limit = pingpong_limit(run)
    seqlock = LATENCY_P50.bench(run, "seqlock")
    peer = best_peer(run, LATENCY_P50)
    return started, [link, started[:10] or "–", run.config, run.label,
                     md_code(short_commit(c)),
                     fmt_ns(limit.value) if limit.value is not None else "–",
                     fmt_ns(seqlock.median("p50_ns")) if seqlock else "–",
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
             "benchmark), `evidence.json` (test results, when the tests ran) and "
             "`report.md` with its `plots/`. Regenerate this index with "
             "`/usr/bin/python3 scripts/report/report.py --index results`, a report with "
             "`/usr/bin/python3 scripts/report/report.py results/<run-id>`.", ""]
    lines += audit_line(results)
    lines += ["Runs, newest first (headline latencies: one-way p50 at 1 writer × 1 reader, "
              "64 B):", ""]
    if rows:
        lines += md_table(["run", "date", "config", "machine", "commit", "ping-pong one-way",
                           "seqlock p50", "best peer p50"], [r[1] for r in rows])
    else:
        lines += ["No runs yet.", ""]
    out = results / "README.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"{PROG}: error: {message} (see --help)\n")
        sys.exit(2)


def parse_args(argv):
    parser = _Parser(prog=PROG, description=(
        "Turn a ringlab benchmark run (results/<run-id>/ with bench.json, context.json and "
        "optionally evidence.json) into report.md with SVG plots, or rewrite the index of "
        "runs."), epilog="Exit status: 0 on success, 2 on bad input.")
    parser.add_argument("run_dir", nargs="?", type=Path,
                        help="run directory: writes RUN_DIR/report.md and RUN_DIR/plots/")
    parser.add_argument("--index", metavar="RESULTS_DIR", type=Path,
                        help="(re)write RESULTS_DIR/README.md, the table of runs")
    args = parser.parse_args(argv)
    if (args.run_dir is None) == (args.index is None):
        parser.error("give either RUN_DIR or --index RESULTS_DIR")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.index is not None:
            print(f"{PROG}: wrote {write_index(args.index)}")
        else:
            out = write_report(args.run_dir)
            print(f"{PROG}: wrote {out} and {out.parent / 'plots'}/")
    except InputError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
