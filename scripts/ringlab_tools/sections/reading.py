"""How to read the report: the counters and what the verdicts rest on."""

from __future__ import annotations

from ..fmt import COUNTERS
from ..names import XPROC
from ..rundata import Run


def method(run: Run) -> str:
    """How the repetitions ran, as context.json records it."""
    c = run.context
    if c.repetitions_in_rounds:
        return (f"The repetitions ran in rounds ({c.repetitions or '?'} here): each round ran "
                "every benchmark once, each in its own process, the ping-pong first, so a "
                "slow drift of the machine falls on every benchmark alike and the "
                "repetitions of one benchmark are independent samples.")
    if c.recorded:
        return ("This run's context.json does not say that its repetitions ran in rounds: "
                "sweeps before rounds ran each benchmark's repetitions one after another "
                "in one process.")
    return "How the repetitions ran is not recorded (context.json is missing)."


def section_how_to_read(run: Run) -> list[str]:
    lines = ["## How to read it", "", method(run) + " Every figure is the median over "
             "repetitions, the detailed tables add min – max, and the B-number beside a "
             "figure leads to the command that reruns exactly that benchmark. Counters:", ""]
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
              "beside the loss column. Which targets a variant is held to, which peer is "
              "the best MPMC peer and which variants are compared come from the subjects' "
              "traits in bench.json, not from their names.", "",
              "What the verdicts rest on: targets are medians of this run on this machine "
              f"({run.label}); differences are called only by the U test above; the "
              "correctness columns say what the conformance suite, the stress harness "
              "(frames checked on this machine), ThreadSanitizer and the Relacy models "
              "found. Relacy's verdicts are bounded model checks: they hold for its "
              "scenarios (2–3 threads, small capacities, a few writes) and its memory "
              "model, not for every execution; see results/ordering-audit.md.", ""]
    return lines
