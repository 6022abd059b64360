"""report.py RUN_DIR | --index RESULTS_DIR: a run's report.md and plots, or the index."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError
from ..index import write_index
from ..report import write_report
from .common import Parser

PROG = "report.py"


def parse_args(argv):
    parser = Parser(prog=PROG, description=(
        "Turn a ringlab benchmark run (results/<run-id>/ with bench.json, context.json and, "
        "where collected, evidence.json and cost.json) into report.md with SVG plots, or "
        "rewrite the index of runs."), epilog="Exit status: 0 on success, 2 on bad input.")
    parser.add_argument("run_dir", nargs="?", type=Path,
                        help="run directory: writes RUN_DIR/report.md and RUN_DIR/plots/")
    parser.add_argument("--index", metavar="RESULTS_DIR", type=Path,
                        help="(re)write RESULTS_DIR/README.md, the table of runs")
    args = parser.parse_args(argv)
    if (args.run_dir is None) == (args.index is None):
        parser.error("give either RUN_DIR or --index RESULTS_DIR")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.index is not None:
            print(f"{PROG}: wrote {write_index(args.index)}")
        else:
            out = write_report(args.run_dir)
            print(f"{PROG}: wrote {out} and {out.parent / 'plots'}/")
    except InputError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 2
    return 0
