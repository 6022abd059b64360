"""Where ringlab stands: every target (targets.TARGETS) a variant's traits call for, beside
its measurement, with the Why of those not met."""

from __future__ import annotations

from ..figures import LATENCY_P50, TRANSFER, best_mpmc_peer, best_peer, pingpong_limit
from ..fmt import fmt_ns, fmt_ratio
from ..markdown import figure, md_table, ref_link
from ..prose import why
from ..rundata import Run
from ..subjects import Selector
from ..targets import TargetDef, TargetRow, evaluate, targets_for
from .correctness import evidence_summary


def describe(selector: Selector, target: TargetDef) -> str:
    """The subjects a target applies to, in words."""
    words = [f"{selector.writers}-writer" if selector.writers else "",
             "lossless" if selector.lossless else "",
             selector.role or ""]
    text = ", ".join(w for w in words if w) or "every"
    text += " variant" + (" run both ways" if target.only_measured else "")
    return text


def bound_text(target: TargetDef) -> str:
    return f"{'≥' if target.higher else '≤'} {target.bound:g}×"


def definitions(run: Run) -> list[str]:
    rows = [[describe(t.applies, t), t.label, f"{bound_text(t)} the {t.reference}",
             " ".join(f"{k}:{v}" for k, v in t.strict.items())]
            for t in targets_for(run)]
    return md_table(["applies to", "target", "bound", "at"], rows)


def verdict(row: TargetRow) -> str:
    if row.met is None:
        return "not in this run"
    return ("**met**" if row.met else "**not met**") + f" (target {bound_text(row.target)})"


def peers_text(run: Run) -> str:
    lat, xfer, mpmc = best_peer(run, LATENCY_P50), best_peer(run, TRANSFER), best_mpmc_peer(run)
    if lat is None and xfer is None:
        return "There is no peer in this run."
    text = "The best peer of all in the run: "
    text += "; ".join(f"on {what}, **{b.name.subject}**, {figure(run, b, counter)}"
                      for what, b, counter in (("one-way p50", lat, "p50_ns"),
                                               ("transfer", xfer, "delivered_per_s"))
                      if b is not None)
    if mpmc is not None:
        text += (f". The best multi-writer (MPMC) peer at 2 writers × 1 reader: "
                 f"**{mpmc.name.subject}**, {figure(run, mpmc, 'delivered_per_s')}")
    elif run.subjects.recorded:
        text += ". No multi-writer peer ran at 2 writers × 1 reader"
    return text + "."


def section_stands(run: Run) -> list[str]:
    limit = pingpong_limit(run)
    lines = ["## Where ringlab stands", ""]
    limit_text = ("not in this run" if limit.value is None
                  else f"**{fmt_ns(limit.value)}** {ref_link(run, limit.bench)} "
                       f"({limit.source})")
    lines += [f"Targets at 64-byte frames and capacity 1024, on medians over repetitions, "
              f"measured in this run, never estimated. Each variant is held to the targets "
              f"its traits call for (the subject manifest in bench.json): the table below "
              f"says which. The limit is the cache-line ping-pong one-way latency of this "
              f"machine: {limit_text}. {peers_text(run)}", ""]
    if not run.subjects.recorded:
        lines += ["**The subjects' traits were not recorded** (this bench.json has no "
                  "`ringlab_subjects` manifest): families come from the benchmark names, and "
                  "the targets that depend on a variant's traits (writers, role, lossless) "
                  "cannot be assigned. Only the targets that need no trait are shown.", ""]
    lines += definitions(run)
    recorded = run.context.pingpong_one_way_ns
    if limit.bench is not None and recorded is not None and \
            abs(recorded - limit.value) > 0.01 * limit.value:
        lines += [f"**context.json records a ping-pong one-way of {fmt_ns(recorded)}**, not "
                  f"the {fmt_ns(limit.value)} of bench.json used here.", ""]
    rows = evaluate(run)
    if not rows:
        return lines + ["No variant in this run is held to a target.", ""] + \
            evidence_summary(run) + [""]
    lines += md_table(["variant", "target", "measured", "reference", "ratio", "verdict"],
                      [[r.subject.name, r.target.label, r.measured_text(run), r.reference.text,
                        fmt_ratio(r.ratio), verdict(r)] for r in rows])
    met = sum(r.met is True for r in rows)
    not_met = sum(r.met is False for r in rows)
    absent = len(rows) - met - not_met
    lines += [f"**{met} of {met + not_met} measured targets met, {not_met} not met**"
              + (f"; {absent} not in this run." if absent else "."), ""]
    lines += ["Loss beside the transfer figure: an overwrite ring's reader that falls behind "
              "skips frames (and is told how many), so its delivered/s is not the same "
              "figure as a queue's, whose reader gets every frame and whose writer waits "
              "instead.", ""]
    lines += why(run, rows)
    lines += evidence_summary(run) + [""]
    return lines
