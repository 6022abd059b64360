"""Fills the templates of templates.py with a run's figures: the *Why* under the targets."""

from __future__ import annotations

from collections.abc import Mapping

from .figures import LATENCY_P50, LATENCY_P99, LATENCY_XPROC, LOSS, TRANSFER, TRANSFER_XPROC, \
    TWO_WRITERS, WRITE_P50, WRITE_P99, WRITTEN, Workload, best_mpmc_peer, best_peer, \
    pingpong_limit, stalled
from .fmt import fmt_ns, fmt_pct, fmt_ratio, ratio
from .markdown import figure, joined, ref_link
from .rundata import Benchmark, Run
from .subjects import Subject
from .targets import TARGETS, TargetRow
from .templates import TEMPLATES

# Every fact a template may name, with its meaning. A fact is None where the run did not
# measure it; a template naming it then leaves the optional sentence holding it out.
FACTS = {
    "pingpong": "the ping-pong one-way limit, linked",
    "stamp_cost": "the cost of one time stamp",
    "clock": "the stamp clock, in words",
    "cost_tool": "what counted the cost per frame (cost.json's tool)",
    "best_latency_peer": "the peer with the lowest one-way p50 at 1 × 1",
    "best_latency_peer_p50": "its p50, linked",
    "best_latency_peer_p99": "its p99, linked",
    "best_p99_peer": "the peer with the lowest p99, where another than the lowest p50's",
    "best_p99_peer_p99": "its p99, linked",
    "best_latency_peer_vs_pingpong": "its p50 ÷ the ping-pong",
    "best_transfer_peer": "the peer with the highest transfer delivered/s at 1 × 1",
    "best_transfer_peer_rate": "its delivered/s, linked",
    "best_mpmc_peer": "the multi-writer peer with the highest transfer at 2 writers × 1 reader",
    "best_mpmc_peer_rate": "its delivered/s, linked",
    "peer_instructions_per_write": "the best latency peer's instructions per write",
    "peer_instructions_per_delivered": "... per frame delivered",
    "peer_locked_write": "... locked instructions per write",
    "peer_locked_read": "... locked instructions per frame read",
    "peer_fences_write": "... fences per write",
    "peer_fences_read": "... fences per frame read",
    "xproc_latency": "each variant's cross-process p50 against its in-process twin",
    "xproc_transfer": "each variant's cross-process delivered/s against its twin",
    "variant": "the variant's name",
    "detail": "its one-line description from the subject manifest",
    "storage": "its slot storage",
    "lossless_text": "'lossless' or 'overwriting'",
    "missed": "the targets of this kind it did not meet",
    "p50": "one-way p50 at 1 × 1, linked", "p99": "one-way p99 at 1 × 1, linked",
    "p50_vs_peer": "p50 ÷ the best peer's", "p99_vs_peer": "p99 ÷ the best peer's",
    "p50_vs_pingpong": "p50 ÷ the ping-pong",
    "transfer": "transfer delivered/s at 1 × 1, linked",
    "written": "frames/s its writer wrote in that transfer", "loss": "its loss there",
    "transfer_vs_peer": "delivered/s ÷ the best peer's",
    "transfer_2x1": "delivered/s at 2 writers × 1 reader, linked",
    "transfer_2x1_vs_mpmc": "that ÷ the best MPMC peer's",
    "write_alone_p50": "the writer's write p50 alone (stalled, stall:0)",
    "write_beside_reader_p50": "... beside a polling reader (stall:1)",
    "write_beside_reader_ratio": "the second ÷ the first",
    "write_alone_p99": "the writer's write p99 alone",
    "write_preempted_p99": "... beside a preempted reader (stall:2)",
    "write_preempted_ratio": "the second ÷ the first",
    "write_alone_rate": "the writer's writes/s alone (stall:0), linked",
    "write_beside_reader_rate": "... beside a polling reader (stall:1), linked",
    "write_beside_reader_rate_ratio": "the second ÷ the first",
    "instructions_per_write": "instructions per write (cost.json)",
    "instructions_per_delivered": "instructions per frame delivered",
    "locked_write": "locked instructions per write", "locked_read": "... per frame read",
    "fences_write": "fences per write", "fences_read": "fences per frame read",
    "xproc_p50": "cross-process one-way p50, linked", "inproc_p50": "its in-process twin's",
    "xproc_vs_inproc": "the first ÷ the second",
}

Facts = Mapping[str, "str | None"]


def render(name: str, facts: Facts) -> str:
    """A template with its facts; an unmeasured fact reads "not in this run", and a
    template named inside it is an optional sentence (see templates.py)."""
    values = {}
    for key in TEMPLATES[name].get_identifiers():
        if key in TEMPLATES:
            values[key] = _optional(key, facts)
        else:
            values[key] = facts.get(key) or "not in this run"
    return TEMPLATES[name].substitute(values)


def _optional(name: str, facts: Facts) -> str:
    needed = [k for k in TEMPLATES[name].get_identifiers() if k not in TEMPLATES]
    return render(name, facts) if all(facts.get(k) for k in needed) else ""


def _instructions(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _figure(run: Run, bench: Benchmark | None, counter: str) -> str | None:
    return figure(run, bench, counter) if bench is not None and bench.values(counter) else None


def _median(bench: Benchmark | None, counter: str) -> float | None:
    return bench.median(counter) if bench is not None else None


def _ratio(a: Benchmark | None, b: Benchmark | float | None, counter: str) -> str | None:
    below = b if b is None or isinstance(b, (int, float)) else b.median(counter)
    r = ratio(_median(a, counter), below)
    return None if r is None else fmt_ratio(r)


def _cost_facts(run: Run, name: str | None, prefix: str = "") -> dict[str, str | None]:
    cost = run.cost.of(name) if run.cost is not None and name else None
    keys = ("instructions_per_write", "instructions_per_delivered", "locked_write",
            "locked_read", "fences_write", "fences_read")
    if cost is None:
        return {prefix + k: None for k in keys}
    return {prefix + "instructions_per_write": _instructions(cost.instructions_per_write),
            prefix + "instructions_per_delivered": _instructions(cost.instructions_per_delivered),
            prefix + "locked_write": str(cost.locked_write),
            prefix + "locked_read": str(cost.locked_read),
            prefix + "fences_write": str(cost.fences_write),
            prefix + "fences_read": str(cost.fences_read)}


def twin_ratios(run: Run, workload: Workload) -> list[str]:
    """'<variant> <cross-process figure> against <in-process figure> in-process, <ratio>'
    for every variant run both ways."""
    found = []
    for subject in run.rings():
        cross = workload.bench(run, subject.name)
        twin = run.twin(cross) if cross is not None else None
        counter = workload.counter
        if twin is not None and cross.values(counter) and twin.values(counter):
            found.append(f"{subject.name} {figure(run, cross, counter)} against "
                         f"{figure(run, twin, counter)} in-process, "
                         f"{_ratio(cross, twin, counter)}")
    return found


def run_facts(run: Run) -> dict[str, str | None]:
    limit = pingpong_limit(run)
    lat_peer, p99_peer = best_peer(run, LATENCY_P50), best_peer(run, LATENCY_P99)
    xfer_peer, mpmc = best_peer(run, TRANSFER), best_mpmc_peer(run)
    stamp = run.context.stamp_cost_ns
    clock = ("the TSC, which the kernel reports constant and nonstop: one count on every core"
             if run.context.stamp_clock == "tsc" else "steady_clock, one count system-wide")
    lat_name = lat_peer.name.subject if lat_peer else None
    return {
        "pingpong": None if limit.value is None
        else f"{fmt_ns(limit.value)} {ref_link(run, limit.bench)}".rstrip(),
        "stamp_cost": None if stamp is None else f"{stamp:.0f} ns",
        "clock": clock,
        "cost_tool": run.cost.tool if run.cost is not None else None,
        "best_latency_peer": lat_name,
        "best_latency_peer_p50": _figure(run, lat_peer, "p50_ns"),
        "best_latency_peer_p99": _figure(run, lat_peer, "p99_ns"),
        "best_p99_peer": p99_peer.name.subject if p99_peer and p99_peer is not lat_peer
        and p99_peer.name.subject != lat_name else None,
        "best_p99_peer_p99": _figure(run, p99_peer, "p99_ns"),
        "best_latency_peer_vs_pingpong": _ratio(lat_peer, limit.value, "p50_ns"),
        "best_transfer_peer": xfer_peer.name.subject if xfer_peer else None,
        "best_transfer_peer_rate": _figure(run, xfer_peer, "delivered_per_s"),
        "best_mpmc_peer": mpmc.name.subject if mpmc else None,
        "best_mpmc_peer_rate": _figure(run, mpmc, "delivered_per_s"),
        "xproc_latency": "; ".join(twin_ratios(run, LATENCY_XPROC)) or None,
        "xproc_transfer": "; ".join(twin_ratios(run, TRANSFER_XPROC)) or None,
    } | _cost_facts(run, lat_name, "peer_")


def variant_facts(run: Run, subject: Subject) -> dict[str, str | None]:
    v = subject.name
    limit = pingpong_limit(run)
    lat, p99 = LATENCY_P50.bench(run, v), LATENCY_P99.bench(run, v)
    transfer, two = TRANSFER.bench(run, v), TRANSFER.bench(run, v, TWO_WRITERS)
    alone, beside = WRITE_P50.bench(run, v, stalled(0)), WRITE_P50.bench(run, v, stalled(1))
    preempted = WRITE_P99.bench(run, v, stalled(2))
    cross = LATENCY_XPROC.bench(run, v)
    twin = run.twin(cross) if cross is not None else lat
    loss = LOSS.median(run, v)
    return {
        "variant": v, "detail": subject.detail or None, "storage": subject.storage or None,
        "lossless_text": "lossless" if subject.lossless else "overwriting",
        "p50": _figure(run, lat, "p50_ns"), "p99": _figure(run, p99, "p99_ns"),
        "p50_vs_peer": _ratio(lat, best_peer(run, LATENCY_P50), "p50_ns"),
        "p99_vs_peer": _ratio(p99, best_peer(run, LATENCY_P99), "p99_ns"),
        "p50_vs_pingpong": _ratio(lat, limit.value, "p50_ns"),
        "transfer": _figure(run, transfer, "delivered_per_s"),
        "written": _figure(run, WRITTEN.bench(run, v), "frames_per_s"),
        "loss": None if loss is None else fmt_pct(loss),
        "transfer_vs_peer": _ratio(transfer, best_peer(run, TRANSFER), "delivered_per_s"),
        "transfer_2x1": _figure(run, two, "delivered_per_s"),
        "transfer_2x1_vs_mpmc": _ratio(two, best_mpmc_peer(run), "delivered_per_s"),
        "write_alone_p50": _figure(run, alone, "p50_ns"),
        "write_beside_reader_p50": _figure(run, beside, "p50_ns"),
        "write_beside_reader_ratio": _ratio(beside, alone, "p50_ns"),
        "write_alone_p99": _figure(run, alone, "p99_ns"),
        "write_preempted_p99": _figure(run, preempted, "p99_ns"),
        "write_preempted_ratio": _ratio(preempted, alone, "p99_ns"),
        "write_alone_rate": _figure(run, alone, "frames_per_s"),
        "write_beside_reader_rate": _figure(run, beside, "frames_per_s"),
        "write_beside_reader_rate_ratio": _ratio(beside, alone, "frames_per_s"),
        "xproc_p50": _figure(run, cross, "p50_ns"), "inproc_p50": _figure(run, twin, "p50_ns"),
        "xproc_vs_inproc": _ratio(cross, twin, "p50_ns") if cross is not None else None,
    } | _cost_facts(run, v)


def why(run: Run, rows: list[TargetRow]) -> list[str]:
    """Per kind of target with one not met: what holds the variants back, with this run's
    numbers; then what the cross-process figures include, where the run has them."""
    facts = run_facts(run)
    lines = []
    for kind in dict.fromkeys(t.family for t in TARGETS):
        missed = [r for r in rows if r.target.family == kind and r.met is False]
        if not missed:
            continue
        lines += [render(f"why_{kind.replace('-', '_')}", facts), ""]
        for subject in dict.fromkeys(r.subject for r in missed):
            labels = joined([r.target.label for r in missed if r.subject == subject])
            mine = facts | variant_facts(run, subject) | {"missed": labels}
            lines += ["- " + render(f"why_{kind.replace('-', '_')}_variant", mine)]
        lines += [""]
    if facts["xproc_latency"] or facts["xproc_transfer"]:
        lines += [render("about_cross_process", facts), ""]
    return ["### Why", ""] + lines if lines else []
