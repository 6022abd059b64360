"""ringlab evidence: runs the tests and writes the evidence JSON (see
ringlab_tools.evidence and ringlab_tools.evidence_data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..evidence import assemble, model_names, run_ctest, run_model
from ..paths import RELEASE, ROOT, STRESS_BINARY
from ..stress import list_variants, stress_runs
from .common import Parser, guarded

PROG = "ringlab evidence"


def parse_args(argv):
    p = Parser(prog=PROG, description="Run the tests and write the evidence JSON.")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--tsan", action="store_true",
                   help="also run conformance and stress in the tsan build (must be built)")
    p.add_argument("--no-models", action="store_true", help="skip the Relacy model checks")
    p.add_argument("--stress-binary", type=Path, default=STRESS_BINARY,
                   help="ringlab_stress, which lists the variants (default: the release "
                   "build's)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    variants = list_variants(args.stress_binary)
    work = RELEASE / "evidence"
    work.mkdir(parents=True, exist_ok=True)
    conformance = run_ctest(ROOT, "release", "conformance", work / "conformance.xml")
    run_ctest(ROOT, "release", "stress", work / "stress.xml")
    stress = stress_runs(RELEASE, "release")
    tsan = None
    if args.tsan:
        tsan = run_ctest(ROOT, "tsan", "conformance|stress", work / "tsan.xml")
        stress += stress_runs(ROOT / "build" / "tsan", "tsan")
    models = {} if args.no_models else {m: run_model(ROOT, m) for m in model_names(variants)}
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    commands = {"conformance": "ctest --preset release -L conformance",
                "stress": "ctest --preset release -L stress",
                "tsan": "ctest --preset tsan -L 'conformance|stress'" if args.tsan else None,
                "models": "ctest --preset release -L model"}
    collected = assemble(variants, conformance, tsan, stress, models, commit, commands)
    collected.evidence.write(Path(args.out))
    if collected.failed:
        print(f"{PROG}: {len(collected.failed)} failed: {', '.join(collected.failed[:5])}",
              file=sys.stderr)
    return 1 if collected.failed else 0


def run(argv: list[str]) -> int:
    return guarded(PROG, main, argv)
