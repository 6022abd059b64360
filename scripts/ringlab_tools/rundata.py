"""The data model of a run directory: its benchmarks (the per-repetition rows of
bench.json), its context (context.json, written by the sweep runner), its subjects and
their traits, and, where present, its evidence and cost tables."""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .cost import CostTable
from .evidence_data import Evidence
from .fmt import COUNTERS
from .names import BenchName, base_name
from .soak import SoakFinding
from .subjects import FAMILIES, Subject, Subjects

SCENARIO_ORDER = ["write_only", "read_only", "broadcast", "latency", "stalled", "oversub",
                  "transfer", "pingpong", "memcpy"]

# The headline workload: 1 writer x 1 reader, 64-byte frames, capacity 1024 where present.
HEADLINE = {"w": 1, "r": 1, "payload": 64}
PREFER = {"payload": 64, "cap": 1024}


@dataclass(frozen=True)
class Repetition:
    index: int
    counters: dict[str, float]  # every finite number of the row, by its key


@dataclass
class Benchmark:
    run_name: str
    name: BenchName
    reps: list[Repetition] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # messages of failed repetitions

    def values(self, counter: str) -> list[float]:
        return [r.counters[counter] for r in self.reps if counter in r.counters]

    def median(self, counter: str) -> float | None:
        vals = self.values(counter)
        return statistics.median(vals) if vals else None

    def span(self, counter: str) -> tuple[float, float] | None:
        vals = self.values(counter)
        return (min(vals), max(vals)) if vals else None

    @property
    def label(self) -> str:
        """Its subject, marked when its reader ran in another process."""
        return self.name.subject + (" (cross-process)" if self.name.cross_process else "")


def finite_numbers(row: dict) -> dict[str, float]:
    return {k: float(v) for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


@dataclass(frozen=True)
class Machine:
    cpu_model: str | None = None
    cores: int | None = None
    allowed_cpus: int | None = None
    kernel: str | None = None
    memory_gib: float | None = None
    mhz_per_cpu: float | None = None


@dataclass(frozen=True)
class RunContext:
    """context.json, in the order the sweep runner writes it. `recorded` is False where a
    run directory has no context.json (every field then holds its default)."""
    run_id: str | None = None
    config: str | None = None
    label: str | None = None
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    repetitions: int | None = None
    machine: Machine = Machine()
    compiler: str | None = None
    build_type: str | None = None
    commit: str | None = None
    dirty: bool = False
    pinned: bool | None = None
    stamp_clock: str | None = None
    stamp_cost_ns: float | None = None
    stamp_resolution_ns: float | None = None
    repetitions_in_rounds: bool = False
    pingpong_one_way_ns: float | None = None
    failures: dict[str, str] = field(default_factory=dict)
    reproduce: dict[str, str] = field(default_factory=dict)
    sweep_command: str | None = None
    recorded: bool = True

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        del data["recorded"]
        return data

    def short_commit(self) -> str:
        return str(self.commit or "unknown")[:12] + ("-dirty" if self.dirty else "")


@dataclass(frozen=True)
class BenchContext:
    """What the report reads of bench.json's own "context"."""
    host_name: str | None = None
    num_cpus: int | None = None
    library_build_type: str | None = None


@dataclass
class Run:
    directory: Path
    context: RunContext
    evidence: Evidence | None
    benchmarks: list[Benchmark]  # in report order once built
    subjects: Subjects
    bench_context: BenchContext = BenchContext()
    cost: CostTable | None = None
    soak: SoakFinding = SoakFinding()  # the crash soak its report shows (soak.py)

    def __post_init__(self):
        def order(value: str, known: list[str]) -> tuple:
            return (known.index(value), "") if value in known else (len(known), value)

        def key(b: Benchmark) -> tuple:
            n = b.name
            axes = tuple((k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v)))
                         for k, v in n.axes)
            # A cross-process benchmark right after its in-process twin.
            return (order(n.family, list(FAMILIES)), order(n.base_scenario, SCENARIO_ORDER),
                    self.subjects.order(n.subject), n.subject, axes, n.cross_process,
                    n.options)
        self.benchmarks.sort(key=key)
        self._refs = {b.run_name: f"B{i + 1}" for i, b in enumerate(self.benchmarks)}

    @property
    def run_id(self) -> str:
        return str(self.context.run_id or self.directory.name)

    @property
    def config(self) -> str:
        return str(self.context.config or "unknown")

    @property
    def label(self) -> str:
        return str(self.context.label or "unlabelled machine")

    def ref(self, bench: Benchmark) -> str:
        return self._refs[bench.run_name]

    def reproduce(self, bench: Benchmark | str) -> str | None:
        """The command context.json records for a benchmark, by its full name (or by its
        name without Google Benchmark's own suffixes)."""
        name = bench if isinstance(bench, str) else bench.run_name
        commands = self.context.reproduce
        return commands.get(name) or commands.get(base_name(name))

    def failures(self) -> list[tuple[Benchmark | None, str, str]]:
        """(benchmark or None, name, message): failed repetitions in bench.json, and the
        benchmarks the sweep runner lists as failed in context.json (no rows at all)."""
        found = [(b, b.run_name, b.errors[0]) for b in self.benchmarks if b.errors]
        known = {b.run_name for b in self.benchmarks}
        found += [(None, name, message) for name, message in sorted(self.context.failures.items())
                  if name not in known]
        return found

    def select(self, family=None, scenario=None, subject=None) -> list[Benchmark]:
        return [b for b in self.benchmarks
                if (family is None or b.name.family == family)
                and (scenario is None or b.name.scenario == scenario)
                and (subject is None or b.name.subject == subject)
                and b.reps]

    def in_run(self, family: str) -> list[Subject]:
        """The subjects of a family this run measured (rings: or has evidence of), in the
        binary's order."""
        present = {b.name.subject for b in self.select(family)}
        if family == "ring" and self.evidence is not None:
            present |= set(self.evidence.variants)
        return [s for s in self.subjects.family(family) if s.name in present]

    def rings(self) -> list[Subject]:
        return self.in_run("ring")

    def peers(self) -> list[Subject]:
        return self.in_run("peer")

    def twin(self, bench: Benchmark) -> Benchmark | None:
        """The in-process twin of a cross-process benchmark: same family, subject and
        axes, the scenario without its suffix."""
        n = bench.name
        if not n.cross_process:
            return None
        return next((b for b in self.select(n.family, n.base_scenario, n.subject)
                     if b.name.axes == n.axes), None)

    def at(self, family, scenario, subject, strict=None, prefer=PREFER) -> Benchmark | None:
        """The benchmark whose axes equal `strict`, at the preferred value of the other
        axes, or their lowest value where it is absent."""
        found = narrow(self.select(family, scenario, subject), strict or {}, prefer)
        return found[0] if found else None


def narrow(benches: list[Benchmark], strict: dict, prefer: dict) -> list[Benchmark]:
    benches = [b for b in benches if b.name.matches(strict)]
    for key, want in prefer.items():
        if key in strict:
            continue
        values = {b.name.axis(key) for b in benches if b.name.has(key)}
        if not values:
            continue
        chosen = want if want in values else min(values, key=lambda v: (str(type(v)), v))
        benches = [b for b in benches if b.name.axis(key, chosen) == chosen]
    return benches


def counters_in(benches: list[Benchmark]) -> list[str]:
    """The known counters any of the benchmarks has, in the counters' order."""
    return [c for c in COUNTERS if any(b.values(c) for b in benches)]
