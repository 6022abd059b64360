"""`ringlab bench`, the sweep alone, and `ringlab report`, the main job: install, build,
the benchmark sweep first (on a machine the tests have not yet warmed), the cost per frame,
the correctness evidence from the same commit, then the report and the index of runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ..index import write_index
from ..paths import BENCH_BINARY, RELEASE, ROOT
from ..report import write_report
from . import sweep
from .jobs import JobFailed, build, log, setup


def render(run_dir: Path, results: Path) -> None:
    """Writes the run's report; re-indexes only the results directory the run sits in, so a
    run kept elsewhere never rewrites the repository's index."""
    print(f"ringlab report: wrote {write_report(run_dir)}")
    if run_dir.parent == results:
        print(f"ringlab report: wrote {write_index(results)}")


def step(cmd: list[str]) -> bool:
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode == 0


def bench(args) -> int:
    """`ringlab bench`: the sweep alone, its run directory on stdout."""
    setup(args.no_install)
    if args.bench == BENCH_BINARY:  # another binary is the caller's to build
        build("release", targets=("ringlab_bench",))
    run_dir, rc = sweep.execute(args)
    print(run_dir)
    return rc


def report(args) -> int:
    if args.render is not None:
        render(args.render, args.results)
        return 0
    started = time.monotonic()
    setup(args.no_install)
    frames = ("-DRINGLAB_STRESS_FRAMES=1000000",)
    build("release", frames)
    log("benchmarks")
    run_dir, rc = sweep.execute(args)
    ok = rc == 0
    cost = ROOT / "harness" / "bench" / "cost" / "measure_cost.py"
    if cost.is_file():
        log("cost per frame (callgrind)")
        ok = step([sys.executable, str(cost), "--build", str(RELEASE),
                   "--out", str(run_dir / "cost.json")]) and ok
    if not args.no_evidence:
        evidence = [sys.executable, str(ROOT / "scripts" / "evidence" / "evidence.py"),
                    "--out", str(run_dir / "evidence.json")]
        if args.tsan:
            build("tsan", frames)
            evidence.append("--tsan")
        log("evidence: conformance, stress, model checks")
        ok = step(evidence) and ok
    log("report")
    render(run_dir, args.results)
    print(f"\nringlab report: {run_dir / 'report.md'} in {time.monotonic() - started:.0f} s")
    if not ok:
        raise JobFailed("report: a step above failed; the report says which evidence is "
                        "missing")
    return 0
