"""Choosing a variant: one row per need a user may have, with the variant of this run that
serves it best, its figure from this run and the evidence behind it. Which variants may
serve a need comes from their traits (the subject manifest), which serves it best from this
run's medians; no variant is named here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..figures import LATENCY_P50, LATENCY_XPROC, TRANSFER, TWO_WRITERS, Workload, \
    best_mpmc_peer, best_peer, pingpong_limit
from ..fmt import fmt_count, fmt_counter, fmt_pct, fmt_ratio, ratio
from ..markdown import figure, md_table
from ..rundata import Benchmark, Run
from ..stats import judge
from ..subjects import Subject
from .correctness import ev_conformance, ev_models, variant_evidence
from .soak import soak_verdict

Qualifies = Callable[[Run, Subject], "bool | None"]  # None: the trait is not recorded


@dataclass(frozen=True)
class Need:
    title: str
    qualifies: Qualifies
    trait: str                 # why a variant qualifies, in words ("": any does)
    workloads: tuple[Workload, ...]  # ranked on the first any qualifying variant has
    strict: dict | None = None
    trait_key: str = ""        # the Subject field behind `qualifies`, where a new one
    unrecorded: str = ""       # how `qualifies` decides where the manifest lacks it
    soak: bool = False         # the crash soak is evidence for it: a failed one rules out

    def trait_text(self, rings: list[Subject]) -> str:
        if self.unrecorded and all(getattr(s, self.trait_key) is None for s in rings):
            return f"{self.trait} ({self.unrecorded})"
        return self.trait

    def where(self) -> str:
        if not self.strict:
            return ""
        readers = self.strict["r"]
        return (f" at {self.strict['w']} writers × {readers} "
                f"reader{'s' if readers != 1 else ''}")


def ran_across_processes(run: Run, s: Subject) -> bool | None:
    """The shareable trait; where the manifest predates it, whether the variant ran
    across processes in this run (a cross-process benchmark, or a passed cross-process
    stress run)."""
    if s.shareable is not None:
        return s.shareable
    ev = run.evidence.variants.get(s.name) if run.evidence is not None else None
    if any(b.name.cross_process for b in run.select("ring", subject=s.name)) or (
            ev is not None and any(r.processes and r.passed for r in ev.stress)):
        return True
    return None


NEEDS = [
    Need("lowest latency", lambda run, s: True, "", (LATENCY_P50,)),
    Need("highest throughput", lambda run, s: True, "", (TRANSFER,)),
    Need("lossless (never drops a frame: back-pressure)", lambda run, s: s.lossless,
         "lossless: its writers wait for the slowest reader", (TRANSFER,)),
    Need("many writers", lambda run, s: s.writers == "multi",
         "multi-writer: writers claim slots concurrently", (TRANSFER,), TWO_WRITERS),
    Need("across processes (shared memory)", ran_across_processes,
         "shareable: its ring lives in a POSIX shared-memory segment",
         (LATENCY_XPROC, LATENCY_P50), trait_key="shareable",
         unrecorded="the manifest predates that trait: it ran across processes in this run"),
    Need("survives a crashed writer", lambda run, s: s.survives_writer_crash,
         "crash-safe: its storage takes over a dead writer process's slot or single-writer "
         "lease", (LATENCY_XPROC, LATENCY_P50), soak=True),
]


def _ranked(run: Run, names: list[str], need: Need) -> tuple[Workload | None, list[Benchmark]]:
    """The need's first workload any of `names` was measured on, and their benchmarks of
    it, best first."""
    for workload in need.workloads:
        found = [b for b in (workload.bench(run, n, need.strict) for n in names)
                 if b is not None and b.values(workload.counter)]
        if found:
            high = workload.better == "higher"
            return workload, sorted(found, key=lambda b: (-b.median(workload.counter) if high
                                                          else b.median(workload.counter)))
    return None, []


def _figure_text(run: Run, need: Need, workload: Workload, bench: Benchmark) -> str:
    """The winning figure, beside the reference a reader judges it by."""
    text = f"{workload.title}: {figure(run, bench, workload.counter)}{need.where()}"
    if workload.counter == "p50_ns":
        text += f", p99 {figure(run, bench, 'p99_ns')}"
        limit = pingpong_limit(run).value
        if limit is not None:
            text += f"; {fmt_ratio(ratio(bench.median('p50_ns'), limit))} the ping-pong"
        twin = run.twin(bench)
        if twin is not None:
            text += (f", {fmt_ratio(ratio(bench.median('p50_ns'), twin.median('p50_ns')))} "
                     "its in-process twin")
    else:
        loss = bench.median("loss_rate")
        if loss is not None:
            text += f", loss {fmt_pct(loss)}"
        mpmc = bench.name.axis("w") == 2
        peer = best_mpmc_peer(run) if mpmc else best_peer(run, workload)
        if peer is not None:
            over = ratio(bench.median(workload.counter), peer.median(workload.counter))
            text += (f"; {fmt_ratio(over)} the best {'MPMC ' if mpmc else ''}peer's "
                     f"({peer.name.subject})")
    return text


def _margin(workload: Workload, ranked: list[Benchmark]) -> str:
    """How clearly the winner beats the runner-up, by the report's U test."""
    if len(ranked) < 2:
        return ""
    first, second = ranked[0], ranked[1]
    verdict = judge(first.values(workload.counter), second.values(workload.counter),
                    workload.better, first.label)
    return (f", against the next, {second.label} ({figure_value(second, workload)}): "
            f"{verdict.text}")


def figure_value(bench: Benchmark, workload: Workload) -> str:
    return fmt_counter(workload.counter, bench.median(workload.counter))


def _correctness(run: Run, variant: str, need: Need) -> str:
    ev = variant_evidence(run, variant)
    if ev is None:
        return "no correctness evidence in this run" + (
            f"; {soak_verdict(run.soak, variant)}" if need.soak else "")
    parts = [f"conformance {ev_conformance(ev)}"]
    # A need across processes rests on the stress runs across processes alone.
    cross = need.workloads[0] is LATENCY_XPROC
    runs = [r for r in ev.stress if r.processes or not cross]
    kind = "cross-process stress" if cross else "stress"
    if runs:
        passed = all(r.passed and r.loss_exact for r in runs)
        parts.append(f"{kind} {fmt_count(sum(r.frames_checked for r in runs))} frames, "
                     f"{sum(r.torn for r in runs)} torn, "
                     + ("passed" if passed else "**failed**"))
    else:
        parts.append(f"no {kind} run")
    if ev.models is not None:
        parts.append(f"Relacy {ev_models(ev)}")
    if need.soak:
        parts.append(soak_verdict(run.soak, variant))
    return "; ".join(parts)


def problems(run: Run, need: Need, variant: str) -> list[str]:
    """What failed in the variant's evidence for this need: its evidence.json's, and its
    last crash soak where the need rests on one."""
    ev = variant_evidence(run, variant)
    found = list(ev.problems()) if ev is not None else []
    soak = run.soak.soak.variants.get(variant) if need.soak and run.soak.soak else None
    if soak is not None and not soak.passed:
        found.append("crash soak")
    return found


def need_row(run: Run, need: Need) -> list[str]:
    rings = run.rings()
    verdicts = {s.name: need.qualifies(run, s) for s in rings}
    if rings and all(v is None for v in verdicts.values()):
        return [need.title, "–", "not recorded: this run's subject manifest predates the "
                "trait", "–"]
    qualifying = [n for n, ok in verdicts.items() if ok]
    failing = {n: problems(run, need, n) for n in qualifying if problems(run, need, n)}
    candidates = [n for n in qualifying if n not in failing]
    excluded = "".join(f"; {n} left out: its {', '.join(p)} failed"
                       for n, p in failing.items())
    if not qualifying:
        return [need.title, "**none**", f"no variant of this run is {need.trait.split(':')[0]}",
                "–"]
    workload, ranked = _ranked(run, candidates, need)
    if workload is None:
        verb = "qualifies" if len(qualifying) == 1 else "qualify"
        trait = f" ({need.trait_text(rings)})" if need.trait else ""
        return [need.title, "**none measured**", f"{', '.join(qualifying)} {verb}{trait} but "
                f"none with passing evidence ran {need.workloads[0].title}{need.where()} in "
                "this run"
                + excluded, "–"]
    best = ranked[0]
    qualified = f"{need.trait_text(rings)}; " if need.trait else ""
    measured = f"best of {len(ranked)} measured" + (
        f" (of {len(candidates)} that qualify)" if len(candidates) > len(ranked) else "")
    if len(ranked) == 1:
        measured = "the only one measured" + (
            f" of {len(candidates)} that qualify" if len(candidates) > 1 else "")
    evidence = (f"{qualified}{measured}{_margin(workload, ranked)}; "
                f"{_correctness(run, best.name.subject, need)}" + excluded)
    figure_text = _figure_text(run, need, workload, best)
    if workload is not need.workloads[0]:
        figure_text += f" (no {need.workloads[0].title} in this run)"
    return [need.title, f"**{best.name.subject}**", figure_text, evidence]


def section_choosing(run: Run) -> list[str]:
    lines = ["## Choosing a variant", "",
             "For each need, the variant of this run that serves it best: among the variants "
             "whose traits (the subject manifest in bench.json) give them what the need asks, "
             "the best median of this run on that need's figure. The margin over the next is "
             "called by the U test of the comparisons below; the correctness evidence is "
             "evidence.json's. A variant whose evidence shows a failure is left out.", ""]
    if not run.rings():
        return lines + ["No ring variant in this run.", ""]
    return lines + md_table(["need", "variant", "in this run", "evidence"],
                            [need_row(run, need) for need in NEEDS])
