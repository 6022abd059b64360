"""Correctness beside performance: each variant's evidence (conformance, stress,
ThreadSanitizer, Relacy) in the same row as its headline figures, and the peers below."""

from __future__ import annotations

from ..evidence_data import VariantEvidence
from ..figures import LATENCY_P50, TRANSFER, WRITE_ONLY, Limit, best_peer, pingpong_limit
from ..fmt import fmt_count, fmt_ns, fmt_pct, fmt_ratio, ratio
from ..markdown import figure, md_code, md_table
from ..rundata import Benchmark, Run
from .soak import soak_lines


def variant_evidence(run: Run, variant: str) -> VariantEvidence | None:
    return run.evidence.variants.get(variant) if run.evidence is not None else None


def ev_conformance(ev: VariantEvidence | None) -> str:
    c = ev.conformance if ev is not None else None
    if c is None:
        return "not run"
    return f"{c.passed}/{c.passed + c.failed} passed" + (f", **{c.failed} failed**"
                                                         if c.failed else "")


def ev_stress(ev: VariantEvidence | None) -> str:
    runs = ev.stress if ev is not None else ()
    if not runs:
        return "not run"
    parts = []
    for build in sorted({r.build for r in runs}):
        mine = [r for r in runs if r.build == build]
        frames = sum(r.frames_checked for r in mine)
        torn = sum(r.torn for r in mine)
        regressions = sum(r.regressions for r in mine)
        failed = [r.shape for r in mine if not r.passed or not r.loss_exact]
        text = f"{build}: {fmt_count(frames)} frames, {torn} torn"
        if regressions:
            text += f", {regressions} regressions"
        text += f" ({', '.join(r.shape for r in mine)})"
        text += f" **failed: {', '.join(failed)}**" if failed else ", passed"
        parts.append(text)
    return "<br>".join(parts)


def ev_tsan(ev: VariantEvidence | None) -> str:
    reports = ev.tsan_reports if ev is not None else None
    if reports is None:
        return "not run"
    return "0 reports" if reports == 0 else f"**{reports} reports**"


def ev_models(ev: VariantEvidence | None) -> str:
    m = ev.models if ev is not None else None
    if m is None:
        return "not run"
    text = (f"{m.scenarios_passed}/{m.scenarios_passed + m.scenarios_failed} scenarios, "
            f"{m.mutants_caught}/{m.mutants_expected} mutants caught")
    if m.problem:
        text = f"**{text}**"
    return f"{text} ({m.storage} storage)"


def evidence_summary(run: Run) -> list[str]:
    if run.evidence is None:
        return ["Correctness evidence: **not in this run** (no evidence.json: the tests were "
                "not run with this sweep)."]
    variants = [s.name for s in run.rings()]
    failing = {v: ev.problems() for v in variants if (ev := variant_evidence(run, v))}
    bad = [f"{v} ({', '.join(p)})" for v, p in failing.items() if p]
    missing = [v for v in variants if variant_evidence(run, v) is None]
    text = ("Correctness evidence: " + (f"**failures in {'; '.join(bad)}**" if bad
                                        else "nothing failed"))
    if missing:
        text += f"; no evidence for {', '.join(missing)}"
    known_bad = run.evidence.known_bad
    missed = [k.name for k in known_bad if not k.caught]
    if known_bad:
        text += (f"; known-bad variants caught: {len(known_bad) - len(missed)}/"
                 f"{len(known_bad)}" + (f" (**missed: {', '.join(missed)}**)" if missed
                                         else ""))
    return [text + ". Details in the next section."]


def performance_cells(run: Run, subject: str, limit: Limit) -> list[str]:
    transfer = TRANSFER.bench(run, subject)
    latency = LATENCY_P50.bench(run, subject)
    write_only = WRITE_ONLY.bench(run, subject)
    peer_t, peer_l = best_peer(run, TRANSFER), best_peer(run, LATENCY_P50)

    def med(bench: Benchmark | None, counter: str) -> float | None:
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


def section_correctness(run: Run) -> list[str]:
    limit = pingpong_limit(run)
    peer_t, peer_l = best_peer(run, TRANSFER), best_peer(run, LATENCY_P50)
    lines = ["## Variants: correctness beside performance", ""]
    lines += [f"Medians over repetitions at 1 writer × 1 reader, 64-byte frames (write-only: "
              f"64 B). Ratios: to the ping-pong limit "
              f"({fmt_ns(limit.value) if limit.value is not None else 'not in this run'}) "
              f"and to the best peer (transfer: "
              f"{peer_t.name.subject if peer_t else 'none'}; latency p50: "
              f"{peer_l.name.subject if peer_l else 'none'}). The spread (min–max) and the "
              f"command behind each figure are in the detailed tables (B-numbers).", ""]
    headers = ["subject", "conformance", "stress", "TSan", "Relacy models",
               "transfer delivered/s", "÷ best peer", "loss", "write-only frames/s", "p50",
               "p99", "p50 ÷ limit", "p99 ÷ limit", "p50 ÷ best peer"]
    rows = []
    for s in run.rings():
        ev = variant_evidence(run, s.name)
        rows.append([f"**{s.name}**", ev_conformance(ev), ev_stress(ev), ev_tsan(ev),
                     ev_models(ev)] + performance_cells(run, s.name, limit))
    for p in run.peers():
        rows.append([f"{p.name} (peer)", "–", "–", "–", "–"]
                    + performance_cells(run, p.name, limit))
    lines += md_table(headers, rows) if rows else ["No ring variant or peer in this run.", ""]
    lines += evidence_notes(run)
    shareable = [s.name for s in run.rings() if s.shareable or (
        s.shareable is None and run.soak.soak is not None and s.name in run.soak.soak.variants)]
    return lines + soak_lines(run.soak, shareable)


def evidence_notes(run: Run) -> list[str]:
    ev = run.evidence
    if ev is None:
        return ["No evidence.json in this run: every correctness column reads *not run*.", ""]
    lines = []
    if ev.commit and run.context.commit and ev.commit[:12] != run.context.commit[:12]:
        lines += [f"**Evidence was collected at commit {md_code(ev.commit)}, the "
                  f"benchmarks ran at {md_code(run.context.commit)}.**", ""]
    lines += [f"Evidence collected {ev.collected or '(date not recorded)'}. "
              "The Relacy verdicts hold for the bounded scenarios and Relacy's memory model "
              "only; stress counts are what this machine checked.", ""]
    if ev.known_bad:
        lines += ["Known-bad variants (each must be caught):", ""]
        lines += md_table(["known-bad", "caught", "by"],
                          [[k.name, "yes" if k.caught else "**NO**", k.by or "–"]
                           for k in ev.known_bad])
    if "tsan" in ev.commands and not ev.commands["tsan"]:
        lines += ["ThreadSanitizer was not run for this report: `scripts/ringlab report --tsan` "
                  "adds it (a few minutes more), and `scripts/ringlab test` always runs it.", ""]
    if ev.commands:
        lines += ["Commands that produced the evidence:", ""]
        lines += md_table(["evidence", "command"],
                          [[k, md_code(c) if c else "not run"] for k, c in ev.commands.items()])
    return lines
