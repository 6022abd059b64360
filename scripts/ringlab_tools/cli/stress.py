"""The stress harness for the driver (scripts/ringlab):

    python3 -m ringlab_tools.cli.stress summary BUILD_DIR NAME
        one line per stress run the build recorded
    python3 -m ringlab_tools.cli.stress variants [--field name|storage] [--stress-binary BIN]
        the variants `ringlab_stress --list-variants=json` lists (or their storages, once
        each), one a line
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..paths import STRESS_BINARY
from ..stress import list_variants, storages, stress_runs
from .common import Parser, guarded

PROG = "ringlab stress-tools"


def parse_args(argv):
    p = Parser(prog=PROG, description="Stress results and the variant list, for the driver.")
    sub = p.add_subparsers(dest="command", required=True)
    summary = sub.add_parser("summary", help="one line per stress run of a build")
    summary.add_argument("build_dir", type=Path, help="a build directory, e.g. build/release")
    summary.add_argument("name", help="the build's name in the lines, e.g. release")
    variants = sub.add_parser("variants", help="the variants the stress binary lists")
    variants.add_argument("--field", choices=["name", "storage"], default="name",
                          help="print each variant's name (default) or each storage once")
    variants.add_argument("--stress-binary", type=Path, default=STRESS_BINARY,
                          help="ringlab_stress (default: the release build's)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "summary":
        runs = stress_runs(args.build_dir, args.name)
        if not runs:
            print(f"  {args.name}: no stress results")
        for r in runs:
            print("  " + r.summary())
    else:
        found = list_variants(args.stress_binary)
        print("\n".join(storages(found) if args.field == "storage" else [v.name for v in found]))
    return 0


if __name__ == "__main__":
    sys.exit(guarded(PROG, main, sys.argv[1:]))
