"""Detailed results: every benchmark, median and spread, each figure beside its limit (or
its in-process twin), and the command that reruns it."""

from __future__ import annotations

from collections.abc import Callable

from ..figures import Limit, pingpong_limit
from ..fmt import COUNTERS, fmt_counter, fmt_ratio, ratio
from ..markdown import anchor, md_code, md_table
from ..names import XPROC
from ..rundata import Benchmark, Run, counters_in
from ..sweep import DRIVER, single_process_command

THROUGHPUT_SCENARIOS = ("write_only", "read_only", "broadcast", "transfer")

RatioFn = Callable[[Run, Benchmark, Limit], "float | None"]


def median_span(bench: Benchmark, counter: str) -> str:
    span = bench.span(counter)
    if span is None:
        return "–"
    med = fmt_counter(counter, bench.median(counter))
    if span[0] == span[1]:
        return med
    return f"{med} ({fmt_counter(counter, span[0])} – {fmt_counter(counter, span[1])})"


def latency_over_limit(counter: str) -> RatioFn:
    def over(run: Run, b: Benchmark, limit: Limit) -> float | None:
        if b.name.family == "limit":
            return None
        return ratio(b.median(counter), limit.value)
    return over


def bytes_over_memcpy(run: Run, b: Benchmark, limit: Limit) -> float | None:
    payload = b.name.axis("payload")
    if b.name.base_scenario not in THROUGHPUT_SCENARIOS or payload is None:
        return None
    reference = run.at("limit", "memcpy", None, {"payload": payload})
    if reference is None:
        return None
    return ratio(b.median("bytes_per_s"), reference.median("bytes_per_s"))


def over_twin(counter: str, scenarios: tuple[str, ...]) -> RatioFn:
    def over(run: Run, b: Benchmark, limit: Limit) -> float | None:
        twin = run.twin(b)
        if twin is None or b.name.base_scenario not in scenarios:
            return None
        return ratio(b.median(counter), twin.median(counter))
    return over


# Each figure beside its limit in the same run (latency against the ping-pong one-way,
# bytes/s against memcpy of the same payload size), and a cross-process figure beside its
# in-process twin's.
RATIOS: dict[str, RatioFn] = {
    "p50 ÷ ping-pong": latency_over_limit("p50_ns"),
    "p99 ÷ ping-pong": latency_over_limit("p99_ns"),
    "bytes/s ÷ memcpy": bytes_over_memcpy,
    "p50 ÷ in-process": over_twin("p50_ns", ("latency", "oversub")),
    # stalled's figure is the writer's own p99 (beside a reader in another process).
    "p99 ÷ in-process": over_twin("p99_ns", ("stalled",)),
    "delivered/s ÷ in-process": over_twin("delivered_per_s", THROUGHPUT_SCENARIOS),
}


def scenario_table(run: Run, benches: list[Benchmark]) -> list[str]:
    axis_keys: list[str] = []
    for b in benches:
        axis_keys += [k for k, _ in b.name.axes if k not in axis_keys]
    counters = counters_in(benches)
    limit = pingpong_limit(run)
    ratios = {title: [fn(run, b, limit) for b in benches] for title, fn in RATIOS.items()}
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
                    + [str(dict(b.name.axes).get(k, "–")) for k in axis_keys]
                    + [median_span(b, c) for c in counters]
                    + [fmt_ratio(values[i]) for values in ratios.values()]
                    + [str(len(b.reps)), md_code(command) if command else "*not recorded*"])
    return md_table(headers, rows)


def reproduce_note(run: Run) -> str:
    """What the reproduce commands do: the driver's run in rounds, or an older sweep's
    single process."""
    commands = list(run.context.reproduce.values())
    if not commands:
        return "This run records no reproduce commands."
    if all(c.startswith(DRIVER + " ") for c in commands):
        return ("The reproduce command is the driver's: from the repository root after "
                "`scripts/ringlab build` (at the commit in the header), it runs the "
                "benchmark's repetitions in rounds, one process each, as this run did (with "
                "the ping-pong, which always runs) and writes a new run directory to render. "
                "A single process with every repetition inside it, not the same method, is "
                f"`{single_process_command(run.config)} --benchmark_filter=REGEX "
                "--benchmark_repetitions=N`.")
    return ("These commands were recorded by an older sweep: **one process** running every "
            "repetition, not the rounds of one process each that `scripts/ringlab bench "
            "--filter REGEX --repetitions N` runs; from the repository root after "
            "`scripts/ringlab build` (add `--benchmark_out=FILE --benchmark_out_format=json` "
            "for the JSON).")


def section_details(run: Run) -> list[str]:
    lines = ["## Detailed results", "",
             "Every benchmark of the run: median over repetitions (min – max), and the "
             "command that reruns it. " + reproduce_note(run), ""]
    # A cross-process scenario shares its in-process twin's table, row beside row.
    groups: dict[tuple[str, str], list[Benchmark]] = {}
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
