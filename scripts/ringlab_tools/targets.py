"""The report's targets, as data: which subjects each applies to (by trait), what is
measured, against what reference, and the bound on their ratio. evaluate() holds a run to
them; the report prints each as a row with its verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .figures import ANY_PEER, LATENCY_P50, LATENCY_P99, LATENCY_XPROC, LOSS, TRANSFER, \
    TWO_WRITERS, WRITE_P50, WRITE_P99, MPMC_PEER, Workload, best_peer, pingpong_limit, stalled
from .fmt import fmt_ns, fmt_pct
from .markdown import figure, ref_link
from .rundata import HEADLINE, Benchmark, Run
from .subjects import Selector, Subject

SINGLE_TARGETED = Selector(writers="single", role="targeted")
SINGLE_WRITER = Selector(writers="single")
SINGLE_LOSSLESS = Selector(writers="single", lossless=True)
MULTI_TARGETED = Selector(writers="multi", role="targeted")
EVERY_RING = Selector()


@dataclass(frozen=True)
class TargetDef:
    family: str        # the kind of target; its Why template is named after it
    label: str
    applies: Selector
    workload: Workload
    reference: str     # a key of REFERENCES
    bound: float       # on measured ÷ reference: at most (lower is better) or at least
    strict: dict = field(default_factory=lambda: dict(HEADLINE))
    only_measured: bool = False  # a row only where the run measured it

    @property
    def higher(self) -> bool:
        return self.workload.better == "higher"

    @property
    def needs_traits(self) -> bool:
        a = self.applies
        return a.writers is not None or a.role is not None or a.lossless is not None


TARGETS = (
    TargetDef("latency", "one-way p50 vs best peer", SINGLE_TARGETED, LATENCY_P50,
              "best peer", 0.6),
    TargetDef("latency", "one-way p50 vs ping-pong", SINGLE_TARGETED, LATENCY_P50,
              "ping-pong", 1.25),
    TargetDef("latency", "one-way p99 vs best peer", SINGLE_TARGETED, LATENCY_P99,
              "best peer", 0.7),
    TargetDef("transfer", "transfer delivered/s", SINGLE_LOSSLESS, TRANSFER, "best peer", 1.0),
    TargetDef("latency", "one-way p50 vs best peer", MULTI_TARGETED, LATENCY_P50,
              "best peer", 1.0),
    TargetDef("transfer", "transfer delivered/s", MULTI_TARGETED, TRANSFER, "best peer", 0.5),
    TargetDef("mpmc", "transfer delivered/s, 2 writers × 1 reader", MULTI_TARGETED, TRANSFER,
              "best MPMC peer", 1.0, strict=TWO_WRITERS),
    TargetDef("isolation", "write p50 beside a polling reader", SINGLE_WRITER, WRITE_P50,
              "writer alone", 1.2, strict=stalled(1)),
    TargetDef("isolation", "write p99 beside a preempted reader", SINGLE_WRITER, WRITE_P99,
              "writer alone", 1.05, strict=stalled(2)),
    TargetDef("cross-process", "cross-process one-way p50 (same run)", EVERY_RING,
              LATENCY_XPROC, "in-process twin", 1.5, only_measured=True),
)


@dataclass(frozen=True)
class Reference:
    value: float | None
    text: str              # markdown for the reference column
    bench: Benchmark | None = None


def _best_peer(run: Run, target: TargetDef, subject: Subject, among=None) -> Reference:
    peer = best_peer(run, target.workload, target.strict, among or ANY_PEER)
    if peer is None:
        return Reference(None, f"no {'MPMC ' if among else ''}peer in this run")
    counter = target.workload.counter
    return Reference(peer.median(counter), f"{peer.name.subject} {figure(run, peer, counter)}",
                     peer)


def _pingpong(run: Run, target: TargetDef, subject: Subject) -> Reference:
    limit = pingpong_limit(run)
    if limit.value is None:
        return Reference(None, "no ping-pong")
    return Reference(limit.value, f"ping-pong {fmt_ns(limit.value)} {ref_link(run, limit.bench)}",
                     limit.bench)


def _writer_alone(run: Run, target: TargetDef, subject: Subject) -> Reference:
    alone = target.workload.bench(run, subject.name, stalled(0))
    counter = target.workload.counter
    return Reference(alone.median(counter) if alone else None,
                     f"writer alone {figure(run, alone, counter)}", alone)


def _in_process(run: Run, target: TargetDef, subject: Subject) -> Reference:
    cross = target.workload.bench(run, subject.name, target.strict)
    twin = run.twin(cross) if cross is not None else LATENCY_P50.bench(run, subject.name)
    counter = target.workload.counter
    return Reference(twin.median(counter) if twin else None,
                     f"in-process {figure(run, twin, counter)}", twin)


REFERENCES: dict[str, Callable[[Run, TargetDef, Subject], Reference]] = {
    "best peer": _best_peer,
    "best MPMC peer": lambda run, t, s: _best_peer(run, t, s, MPMC_PEER),
    "ping-pong": _pingpong,
    "writer alone": _writer_alone,
    "in-process twin": _in_process,
}


@dataclass(frozen=True)
class TargetRow:
    target: TargetDef
    subject: Subject
    measured: Benchmark | None
    value: float | None
    reference: Reference

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference.value:
            return None
        return self.value / self.reference.value

    @property
    def met(self) -> bool | None:
        """None: not measured in this run."""
        r = self.ratio
        if r is None:
            return None
        return r >= self.target.bound if self.target.higher else r <= self.target.bound

    def measured_text(self, run: Run) -> str:
        text = figure(run, self.measured, self.target.workload.counter)
        loss = LOSS.median(run, self.subject.name, self.target.strict) \
            if self.target.workload is TRANSFER else None
        return text + (f", loss {fmt_pct(loss)}" if loss is not None else "")


def targets_for(run: Run) -> list[TargetDef]:
    """The targets a run can assign: without recorded traits, only those needing none."""
    return [t for t in TARGETS if run.subjects.recorded or not t.needs_traits]


def evaluate(run: Run) -> list[TargetRow]:
    rows = []
    for subject in run.rings():
        for target in targets_for(run):
            if not target.applies.matches(subject):
                continue
            measured = target.workload.bench(run, subject.name, target.strict)
            if target.only_measured and measured is None:
                continue
            value = measured.median(target.workload.counter) if measured else None
            reference = REFERENCES[target.reference](run, target, subject)
            rows.append(TargetRow(target, subject, measured, value, reference))
    return rows
