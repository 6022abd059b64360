"""Comparisons: pairs of benchmarks judged by the U test. Which pairs is decided by the
subjects' traits: every targeted variant against the best peer (and, multi-writer, the
best MPMC peer at 2 writers × 1 reader), each single-writer variant against its
multi-writer twin of the same storage, each baseline against the first targeted variant
of its kind, the first targeted variant of each storage against the others', and each
cross-process benchmark against its in-process twin."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from ..figures import LATENCY_P50, TRANSFER, TWO_WRITERS, WRITE_ONLY, XPROC_TWINS, Workload, \
    best_mpmc_peer, best_peer
from ..fmt import fmt_p, fmt_ratio, ratio
from ..markdown import figure, md_table
from ..rundata import Benchmark, Run
from ..stats import ALPHA, MIN_REPS_TO_CALL, UTEST_SOURCE, judge
from ..subjects import Subject

VARIANT_WORKLOADS = (TRANSFER, LATENCY_P50, WRITE_ONLY)


@dataclass(frozen=True)
class Pair:
    a: Benchmark
    b: Benchmark
    workload: Workload
    b_note: str = ""


def twin_of(single: Subject, rings: list[Subject]) -> Subject | None:
    """The multi-writer variant of a single-writer one's storage (by its storage where
    known, else by its detail), of the same loss behaviour; one of identical detail first."""
    def same_kind(s: Subject) -> bool:
        if single.storage or s.storage:
            return s.storage == single.storage
        return bool(single.detail) and s.detail == single.detail
    found = [s for s in rings if s.writers == "multi" and s.lossless == single.lossless
             and same_kind(s)]
    found.sort(key=lambda s: s.detail != single.detail)
    return found[0] if found else None


def variant_pairs(rings: list[Subject]) -> list[tuple[Subject, Subject]]:
    """The variant-against-variant pairs the traits call for, each pair once."""
    pairs: list[tuple[Subject, Subject]] = []
    for s in rings:
        if s.writers == "single" and (twin := twin_of(s, rings)) is not None:
            pairs.append((s, twin))
    targeted = [s for s in rings if s.targeted]
    for base in (s for s in rings if s.role == "baseline"):
        first = next((s for s in targeted if s.writers == base.writers
                      and s.lossless == base.lossless), None)
        if first is not None:
            pairs.append((base, first))
    # The first targeted variant of each storage, among variants of one kind.
    kinds: dict[tuple[str, bool], dict[str, Subject]] = {}
    for s in targeted:
        if s.storage:
            kinds.setdefault((s.writers, s.lossless), {}).setdefault(s.storage, s)
    for firsts in kinds.values():
        pairs += list(combinations(firsts.values(), 2))
    return list(dict.fromkeys(pairs))


def comparison_pairs(run: Run, strict: dict | None = None, with_peers: bool = True) -> list[Pair]:
    pairs: list[Pair] = []

    def add(a: str, b: str, workload: Workload, note: str = "", at: dict | None = strict):
        x, y = workload.bench(run, a, at), workload.bench(run, b, at)
        if x is not None and y is not None and x.values(workload.counter) \
                and y.values(workload.counter):
            pairs.append(Pair(x, y, workload, note))
    rings = run.rings()
    if with_peers:
        # Without traits every variant is set against the peers.
        targeted = [s for s in rings if s.targeted or not run.subjects.recorded]
        for workload in (TRANSFER, LATENCY_P50):
            peer = best_peer(run, workload, strict)
            for s in targeted if peer is not None else []:
                add(s.name, peer.name.subject, workload, " (best peer)")
        mpmc = best_mpmc_peer(run)
        for s in (s for s in targeted if s.writers == "multi" and mpmc is not None):
            add(s.name, mpmc.name.subject, TRANSFER, " (best MPMC peer, 2 writers × 1 reader)",
                TWO_WRITERS)
    for a, b in variant_pairs(rings):
        for workload in VARIANT_WORKLOADS:
            add(a.name, b.name, workload)
    for s in rings:
        for cross_workload, workload in XPROC_TWINS:
            cross = cross_workload.bench(run, s.name, strict)
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
    if not run.subjects.recorded:
        lines += ["Without the subjects' traits every variant is set against the best peer, "
                  "and no variant against another.", ""]
    rows = comparison_rows(run, comparison_pairs(run))
    if not rows:
        return lines + ["No pair to compare in this run.", ""]
    return lines + md_table(COMPARISON_HEADERS, rows)
