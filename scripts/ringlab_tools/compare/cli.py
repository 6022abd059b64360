"""ringlab compare A B: did a change help, and is the difference real? A and B are each a
run directory, a ringlab_bench binary or a git revision; binaries and revisions run side
by side. Writes results/<id>/{compare.md,compare.json,compare.svg}.

For a driver: add_arguments(parser) adds A, B and the options; run(args) does the work
and raises InputError for bad input; main(argv) is the standalone command line."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shlex
import shutil
import sys
from pathlib import Path

from ..cli.common import Parser, absolute, check_regex, guarded, writable_dir
from ..cli.sweep import CONFIGS
from ..errors import InputError
from ..paths import ROOT
from . import builds, rendering
from .running import read_runs, run_binaries
from .sources import resolve_pair
from .statistics import SLOWER, compare

PROG = "ringlab compare"
DEFAULT_REPETITIONS = 9
# The exact two-sided U test's smallest p-value is 2 / C(2n, n): 0.10 at 3 repetitions a
# side, 0.029 at 4, 0.0079 at 5. From 5 on, a clean separation stays below 0.05 after
# Holm's correction over one benchmark's six counters; below it, hardly anything can.
MIN_REPETITIONS = 5
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DESCRIPTION = ("Compare two runs, binaries or revisions of ringlab_bench per benchmark and "
               "counter: ratio of medians with a bootstrap interval, Mann-Whitney U test, "
               "Holm's correction; binaries and revisions run in the same rounds, alternating "
               "which goes first. Writes <results>/<id>/compare.{md,json,svg} and prints the "
               "path of compare.md. Exit status 0 whatever the verdicts (1 with "
               "--fail-on-regression when a row is slower), 2 on bad input.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the baseline: a run directory (holding "
                        "bench.json), a ringlab_bench binary, or a git revision of this "
                        "repository (its committed tree, built under build/compare/; for "
                        "uncommitted changes give the binary of your build)")
    parser.add_argument("b", metavar="B", help="the candidate, of the same sort as A (two "
                        "run directories, or two binaries/revisions)")
    parser.add_argument("--repetitions", type=int, default=DEFAULT_REPETITIONS,
                        help=f"binaries/revisions: rounds, each running every benchmark "
                        f"once per side (default {DEFAULT_REPETITIONS}, at least "
                        f"{MIN_REPETITIONS})")
    parser.add_argument("--config", default="quick", choices=CONFIGS,
                        help="binaries/revisions: the benchmark configuration (default "
                        "quick; smoke runs each benchmark for ~10 ms)")
    parser.add_argument("--filter", default=None, metavar="REGEX",
                        help="only benchmarks whose full name matches; binaries run the "
                        "ping-pong limit only if it matches")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level of the Holm-corrected p-values "
                        "(default 0.05)")
    parser.add_argument("--results", type=absolute, default=ROOT / "results",
                        help="where the comparison's directory goes (default: the "
                        "repository's results/)")
    parser.add_argument("--id", default=None, dest="compare_id", metavar="NAME",
                        help="name of that directory (default compare-<UTC time>)")
    parser.add_argument("--no-pin", action="store_true",
                        help="binaries/revisions: do not pin threads to CPUs")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 1 if any row is 'slower' (otherwise exit 0 whatever "
                        "the verdicts)")


def _check_options(args: argparse.Namespace) -> None:
    if args.repetitions < MIN_REPETITIONS:
        raise InputError(f"--repetitions must be at least {MIN_REPETITIONS}: with fewer the "
                         "U test cannot call a difference once corrected")
    if not (math.isfinite(args.alpha) and 0 < args.alpha < 1):
        raise InputError("--alpha must lie between 0 and 1")
    check_regex(args.filter, "--filter")


def output_dir(results: Path, compare_id: str | None) -> Path:
    """results/<id>, checked (and the results directory made, and shown writable) before
    anything is built or run."""
    if compare_id is None:
        compare_id = dt.datetime.now(dt.timezone.utc).strftime("compare-%Y%m%dT%H%M%SZ")
    if not ID_PATTERN.fullmatch(compare_id):
        raise InputError(f"--id {compare_id!r}: use letters, digits, '.', '_' and '-' "
                         "(no '/'), starting with a letter or digit")
    writable_dir(results, "--results")
    out = results / compare_id
    if out.exists():
        raise InputError(f"{out} exists: pick another --id")
    return out


def command_of(args: argparse.Namespace, runnable: bool) -> str:
    """The command line that repeats this comparison, every option spelled out."""
    argv = ["scripts/ringlab", "compare", args.a, args.b, "--alpha", f"{args.alpha:g}"]
    if args.filter is not None:
        argv += ["--filter", args.filter]
    if runnable:
        argv += ["--repetitions", str(args.repetitions), "--config", args.config]
        argv += ["--no-pin"] if args.no_pin else []
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    a, b = resolve_pair(args.a, args.b)
    out = output_dir(args.results, args.compare_id)
    out.mkdir()
    try:
        if a.runnable:
            a, b = builds.build(a), builds.build(b)
            print(f"{PROG}: {a.describe()} against {b.describe()}, {args.repetitions} "
                  f"rounds, configuration {args.config}", file=sys.stderr)
            measured = run_binaries(a, b, args.config, args.filter, args.repetitions,
                                    args.no_pin, out, PROG)
        else:
            measured = read_runs(a, b, args.filter)
        rows = compare(measured.a.samples, measured.b.samples, args.alpha)
        if not rows:
            raise InputError("every benchmark failed; see the messages above"
                             if measured.failures else
                             "A and B have no benchmark in common to compare")
        comparison = rendering.Comparison(out.name, command_of(args, a.runnable),
                                          args.alpha, measured, rows)
        md = rendering.write(comparison, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # a failed comparison leaves no half
        raise
    print(md)
    slower = any(r.verdict == SLOWER for r in rows)
    return 1 if args.fail_on_regression and slower else 0


def main(argv: list[str]) -> int:
    parser = Parser(prog=PROG, description=DESCRIPTION)
    add_arguments(parser)
    return guarded(PROG, lambda av: run(parser.parse_args(av)), argv)
