"""The figures the report is built on: workloads (a scenario and a counter, for rings and
for peers), the machine's limit, and the best peer of a workload, chosen by trait."""

from __future__ import annotations

from dataclasses import dataclass

from .fmt import COUNTERS
from .names import XPROC
from .rundata import HEADLINE, PREFER, Benchmark, Run, narrow
from .subjects import Selector

# Two writers and one reader: the multi-writer workload, against the MPMC peers.
TWO_WRITERS = {"w": 2, "r": 1, "payload": 64}
ANY_PEER = Selector(family="peer")
MPMC_PEER = Selector(family="peer", writers="multi")


@dataclass(frozen=True)
class Workload:
    title: str
    counter: str
    ring: str          # scenario of family ring
    peer: str | None   # scenario of family peer

    def bench(self, run: Run, subject: str, strict: dict | None = None) -> Benchmark | None:
        strict = dict(HEADLINE if strict is None else strict)
        known = run.subjects.get(subject)
        if known is not None and known.family == "peer":
            return run.at("peer", self.peer, subject, strict) if self.peer else None
        return run.at("ring", self.ring, subject, strict)

    def median(self, run: Run, subject: str, strict: dict | None = None) -> float | None:
        bench = self.bench(run, subject, strict)
        return bench.median(self.counter) if bench is not None else None

    @property
    def better(self) -> str:
        return COUNTERS[self.counter].better


TRANSFER = Workload("transfer delivered/s", "delivered_per_s", "broadcast", "transfer")
WRITTEN = Workload("transfer frames/s written", "frames_per_s", "broadcast", "transfer")
LOSS = Workload("transfer loss", "loss_rate", "broadcast", "transfer")
LATENCY_P50 = Workload("one-way latency p50", "p50_ns", "latency", "latency")
LATENCY_P99 = Workload("one-way latency p99", "p99_ns", "latency", "latency")
WRITE_ONLY = Workload("write-only frames/s", "frames_per_s", "write_only", None)
WRITE_P50 = Workload("write latency p50", "p50_ns", "stalled", None)
WRITE_P99 = Workload("write latency p99", "p99_ns", "stalled", None)
LATENCY_XPROC = Workload("cross-process one-way latency p50", "p50_ns", "latency" + XPROC, None)
TRANSFER_XPROC = Workload("cross-process transfer delivered/s", "delivered_per_s",
                          "broadcast" + XPROC, None)
# Each cross-process workload with its in-process twin.
XPROC_TWINS = [(LATENCY_XPROC, LATENCY_P50), (TRANSFER_XPROC, TRANSFER)]

# The writer of the stalled scenario: alone (0), beside a polling reader (1), beside a
# reader preempted by a busy thread on its CPU (2).
STALLS = {0: "writer alone", 1: "with a running reader", 2: "reader preempted by a hog"}


def stalled(stall: int) -> dict:
    return {"stall": stall, "payload": 64}


@dataclass(frozen=True)
class Limit:
    value: float | None
    source: str
    bench: Benchmark | None


def pingpong_limit(run: Run) -> Limit:
    """The machine's one-way limit: the cache-line ping-pong of the run's limit family."""
    bench = next(iter(run.select("limit", "pingpong")), None)
    if bench is not None:
        for counter in ("p50_ns", "one_way_ns"):
            if bench.values(counter):
                return Limit(bench.median(counter),
                             f"median over repetitions of `{counter}`", bench)
    if run.context.pingpong_one_way_ns is not None:
        return Limit(run.context.pingpong_one_way_ns, "context.json (pingpong_one_way_ns)",
                     None)
    return Limit(None, "not in this run", None)


def best_peer(run: Run, workload: Workload, strict: dict | None = None,
              among: Selector = ANY_PEER) -> Benchmark | None:
    """The peer (of those `among` selects) with the best median of the workload's counter."""
    candidates = [b for b in (workload.bench(run, p.name, strict) for p in run.peers()
                              if among.matches(p))
                  if b is not None and b.values(workload.counter)]
    if not candidates:
        return None
    pick = max if workload.better == "higher" else min
    return pick(candidates, key=lambda b: b.median(workload.counter))


def best_mpmc_peer(run: Run) -> Benchmark | None:
    """The multi-writer peer with the best transfer at two writers and one reader."""
    return best_peer(run, TRANSFER, TWO_WRITERS, MPMC_PEER)


def scaling_grid(run: Run, scenario: str, counter: str) -> dict[str, dict]:
    """variant -> {writers -> [(readers, bench)]}, at payload 64 / cap 1024 if present."""
    grid = {}
    for s in run.rings():
        benches = [b for b in narrow(run.select("ring", scenario, s.name), {}, PREFER)
                   if b.values(counter) and b.name.has("r")]
        by_w: dict = {}
        for b in sorted(benches, key=lambda b: b.name.axis("r")):
            by_w.setdefault(b.name.axis("w"), []).append((b.name.axis("r"), b))
        if by_w:
            grid[s.name] = dict(sorted(by_w.items()))
    return grid


def has_scaling(run: Run) -> bool:
    grid = scaling_grid(run, "broadcast", "delivered_per_s")
    grid.update(scaling_grid(run, "latency", "p99_ns"))
    return any(len(points) > 1 for by_w in grid.values() for points in by_w.values())
