"""Reading a run directory into the data model (rundata.Run)."""

from __future__ import annotations

from pathlib import Path

from .cost import read_cost
from .errors import InputError
from .evidence_data import evidence_from_json
from .jsonio import check_shape, flag, integer, number, read_json, text
from .names import BenchName
from .rundata import BenchContext, Benchmark, Machine, Repetition, Run, RunContext, \
    finite_numbers
from .soak import soak_for_run
from .subjects import subjects_of


def load_benchmarks(path: Path) -> tuple[list[Benchmark], dict]:
    """The benchmarks of bench.json (per-repetition rows; aggregates are not relied on)
    and its own "context" object."""
    data = read_json(path, "bench.json")
    rows = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError(f"{path} has no 'benchmarks' list (not Google Benchmark JSON?)")
    by_name: dict[str, Benchmark] = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise InputError(f"{path}: a benchmark entry without a name")
        if row.get("run_type", "iteration") != "iteration":
            continue
        run_name = row.get("run_name") or row["name"]
        bench = by_name.setdefault(run_name, Benchmark(run_name, BenchName.parse(run_name)))
        if row.get("error_occurred") or row.get("skipped"):
            bench.errors.append(str(row.get("error_message") or row.get("skip_message")
                                    or "error"))
        else:
            bench.reps.append(Repetition(integer(row, "repetition_index", len(bench.reps)),
                                         finite_numbers(row)))
    if not by_name:
        raise InputError(f"{path} holds no per-repetition rows (run_type 'iteration'); "
                         "was it run with --benchmark_report_aggregates_only?")
    gb_context = data.get("context")
    return list(by_name.values()), gb_context if isinstance(gb_context, dict) else {}


def _optional(obj: dict, key: str) -> str | None:
    return text(obj, key) or None


def context_from_json(c: dict, where) -> RunContext:
    check_shape(c, {"machine": dict, "reproduce": dict, "failures": dict}, where)
    m = c.get("machine") or {}
    cores, allowed = number(m, "cores"), number(m, "allowed_cpus")
    machine = Machine(cpu_model=_optional(m, "cpu_model"),
                      cores=None if cores is None else int(cores),
                      allowed_cpus=None if allowed is None else int(allowed),
                      kernel=_optional(m, "kernel") or _optional(c, "kernel"),
                      memory_gib=number(m, "memory_gib"), mhz_per_cpu=number(m, "mhz_per_cpu"))
    repetitions = number(c, "repetitions")
    return RunContext(
        run_id=_optional(c, "run_id"), config=_optional(c, "config"), label=_optional(c, "label"),
        started=_optional(c, "started"), finished=_optional(c, "finished"),
        seconds=number(c, "seconds"),
        repetitions=None if repetitions is None else int(repetitions), machine=machine,
        compiler=_optional(c, "compiler"), build_type=_optional(c, "build_type"),
        commit=_optional(c, "commit"), dirty=flag(c, "dirty") is True, pinned=flag(c, "pinned"),
        stamp_clock=_optional(c, "stamp_clock"), stamp_cost_ns=number(c, "stamp_cost_ns"),
        stamp_resolution_ns=number(c, "stamp_resolution_ns"),
        repetitions_in_rounds=flag(c, "repetitions_in_rounds") is True,
        pingpong_one_way_ns=number(c, "pingpong_one_way_ns"),
        failures={str(k): str(v) for k, v in (c.get("failures") or {}).items()},
        reproduce={str(k): str(v) for k, v in (c.get("reproduce") or {}).items()},
        sweep_command=_optional(c, "sweep_command"))


def load_run(directory: Path) -> Run:
    if not directory.is_dir():
        raise InputError(f"run directory not found: {directory}")
    bench_path = directory / "bench.json"
    benchmarks, gb = load_benchmarks(bench_path)
    context_path = directory / "context.json"
    context = (context_from_json(read_json(context_path, "context.json"), context_path)
               if context_path.exists() else RunContext(recorded=False))
    evidence_path = directory / "evidence.json"
    evidence = (evidence_from_json(read_json(evidence_path, "evidence.json"), evidence_path)
                if evidence_path.exists() else None)
    in_run = [(b.name.subject, b.name.family) for b in benchmarks]
    in_run += [(v, "ring") for v in (evidence.variants if evidence is not None else ())]
    subjects = subjects_of(gb, in_run, str(bench_path))
    if evidence is not None:
        subjects = subjects.with_storage(evidence.storage_of())
    num_cpus = number(gb, "num_cpus")
    bench_context = BenchContext(_optional(gb, "host_name"),
                                 None if num_cpus is None else int(num_cpus),
                                 _optional(gb, "library_build_type"))
    return Run(directory, context, evidence, benchmarks, subjects, bench_context,
               read_cost(directory / "cost.json"), soak_for_run(directory))
