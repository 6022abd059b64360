"""The ringlab driver (scripts/ringlab): one argparse parser for every command. Every
argument is checked before anything is installed, built or run: a bad one gets that
command's usage and exit status 2, `--help` gets its help and exit status 0. Paths resolve
against the caller's directory."""

from __future__ import annotations

import argparse
import os
import re
import sys

from .. import packages
from ..errors import InputError
from ..paths import ROOT
from ..compare import cli as compare_cli
from . import audit, jobs, main_job, shm_args, soak, stress_args, sweep
from .common import Parser, absolute, writable_dir

PROG = "ringlab"


def version() -> str:
    """The library's version, from the one header that holds it."""
    header = ROOT / "variants" / "ringlab" / "version.hpp"
    text = header.read_text(encoding="utf-8") if header.exists() else ""
    parts = [re.search(rf"#define RINGLAB_VERSION_{part}\s+(\d+)", text)
             for part in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(m.group(1) for m in parts) if all(parts) else "unknown"


def at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is below {low}")
        return value
    return parse


def no_install_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-install", action="store_true",
                   help="skip the package check and install (everything is present)")


def add_commands(sub) -> None:
    sub.add_parser("setup", help="install the Debian packages ringlab needs",
                   description="Install the Debian packages ringlab needs (apt-get, as root "
                   "or through sudo); does nothing when all are installed: "
                   + " ".join(packages.PACKAGES)).set_defaults(run=jobs.setup_command)

    p = sub.add_parser("build", help="configure and build a CMake preset",
                       description="Configure and build one CMake preset.")
    p.add_argument("preset", nargs="?", default="release", choices=jobs.PRESETS,
                   help="the preset (default: release)")
    p.set_defaults(run=jobs.build_command)

    p = sub.add_parser("test", help="build and run every test (what CI runs)",
                       description="Install what is missing, build, and run every test: "
                       "conformance, stress, models, benchmark smoke, shared-memory segments, "
                       "the driver's and report's own tests, the install test and a 60 s "
                       "crash soak in the release build; conformance and stress again under ThreadSanitizer; "
                       "the shared-memory fuzzers (30 s each) and the hostile-region suite "
                       "under libFuzzer, ASan and UBSan.")
    p.add_argument("--quick", action="store_true",
                   help="stress checks 10^6 frames per variant instead of 10^7")
    p.add_argument("--no-tsan", action="store_true", help="skip the ThreadSanitizer build")
    p.add_argument("--no-fuzz", action="store_true", help="skip the fuzz build")
    no_install_option(p)
    p.set_defaults(run=jobs.test)

    p = sub.add_parser("stress", help="run the stress harness on one variant",
                       description="Build the release ringlab_stress and run it: one variant "
                       "under writers, cursor readers and slot watchers, every frame checked.")
    stress_args.add_arguments(p)
    p.set_defaults(run=stress_args.run)

    p = sub.add_parser("soak", help="crash soak: processes SIGKILLed on shared rings",
                       description=soak.DESCRIPTION)
    soak.add_arguments(p)
    p.set_defaults(run=soak.run)

    p = sub.add_parser("model", help="Relacy model checks and the full ordering audit",
                       description="Relacy model checks (ctest -L model), then the ordering "
                       "audit: every weaker order of every atomic site, about an hour on 2 "
                       "cores, into RESULTS/ordering-audit.md.")
    p.add_argument("--iterations", type=at_least(1), help="random-scheduler iterations")
    p.add_argument("--context-bound", type=at_least(1), help="context bound of the search")
    p.add_argument("--results", type=absolute, default=ROOT / "results",
                   help="where ordering-audit.md goes (default: the repository's results/)")
    p.set_defaults(run=audit.model)

    p = sub.add_parser("bench", help="run a benchmark configuration into results/<run-id>",
                       description="Install what is missing, build, and run a named benchmark "
                       "configuration in rounds (each benchmark once per round, in its own "
                       "process), with progress; writes RESULTS/<run-id>/{bench.json,"
                       "context.json}.")
    sweep.add_arguments(p)
    no_install_option(p)
    p.set_defaults(run=main_job.bench)

    p = sub.add_parser("report", help="the main job: benchmarks, evidence, report",
                       description="The main job. Installs what is missing, builds, runs a "
                       "benchmark configuration first (on a machine the tests have not yet "
                       "warmed), counts each subject's instructions, locked operations and "
                       "fences per frame under callgrind into cost.json, collects the "
                       "correctness evidence (conformance, stress, ThreadSanitizer with --tsan, "
                       "Relacy) from the same commit, and writes RESULTS/<run-id>/report.md "
                       "with SVG plots and RESULTS/README.md, the index of runs.")
    sweep.add_arguments(p)
    p.add_argument("--tsan", action="store_true",
                   help="also build the tsan preset and run conformance and stress under it")
    p.add_argument("--no-evidence", action="store_true",
                   help="benchmarks only: the report says the evidence was not collected")
    p.add_argument("--render", metavar="RUN_DIR", type=absolute,
                   help="only re-render the report of an existing run directory")
    no_install_option(p)
    p.set_defaults(run=main_job.report)

    p = sub.add_parser("compare", help="compare two runs or two builds, with statistics",
                       description=compare_cli.DESCRIPTION)
    compare_cli.add_arguments(p)
    p.set_defaults(run=compare_cli.run)

    p = sub.add_parser("shm", help="inspect the shared-memory rings of this machine",
                       description=shm_args.DESCRIPTION)
    shm_args.add_arguments(p)
    p.set_defaults(run=shm_args.run)

    p = sub.add_parser("help", help="this text, or a command's help")
    p.add_argument("topic", nargs="?", help="a command")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="ringlab: a testbed for lock-free broadcast rings. "
                    "Each command takes --help.",
                    epilog="Exit status: 0 on success, 1 when a step or test fails, 2 on a "
                    "bad argument.")
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    add_commands(sub)
    parser.commands = sub.choices  # name -> that command's parser
    return parser


def check(args) -> None:
    """What argparse cannot check alone, before anything runs."""
    if args.command in ("bench", "report") and not getattr(args, "render", None):
        sweep.check(args)
    if args.command == "report" and args.render is not None:
        if not (args.render / "bench.json").is_file():
            raise InputError(f"--render {args.render}: no run directory (no bench.json there)")
        writable_dir(args.render, "--render")
    if args.command == "model":
        writable_dir(args.results, "--results")
    if args.command == "stress":
        stress_args.check(args)
    if args.command == "soak":
        soak.check(args)


def main(argv: list[str]) -> int:
    parser = build_parser()
    if not argv:
        parser.print_help(sys.stderr)
        return 2
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse leaves these to the top parser: say them with the command's usage
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "help":
        if args.topic is not None:
            parser.parse_args([args.topic, "--help"])  # exits: 0, or 2 for no such command
        parser.print_help()
        return 0
    prog = f"{PROG} {args.command}"
    try:
        check(args)
    except InputError as e:
        parser.commands[args.command].error(str(e))  # its usage, exit status 2
    try:
        return args.run(args)
    except InputError as e:
        parser.commands[args.command].error(str(e))
    except jobs.JobFailed as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
