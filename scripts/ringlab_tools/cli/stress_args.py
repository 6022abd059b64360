"""`ringlab stress`: ringlab_stress's flags, checked here so that a bad one is refused
before the build; then the binary runs with them in its own `--name=value` form.
scripts/ringlab_tools/tests/test_driver.py holds this list to the binary's own."""

from __future__ import annotations

import argparse
import subprocess

from ..errors import InputError
from .common import absolute
from .jobs import stress_binary


def count(text: str) -> int:
    """A whole number, also written as 1e7 (as the binary's own examples do)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != int(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(value)


# (flag, type, help); a flag of type bool is a switch.
FLAGS = [
    ("variant", str, "the variant (see --list-variants); default seqlock"),
    ("writers", count, "writers, 1..64 (threads, or processes with --processes)"),
    ("readers", count, "cursor readers, 1..32"),
    ("watchers", count, "slot watchers, 0..32"),
    ("capacity", count, "ring capacity, a power of two; small values force laps"),
    ("payload", count, "payload capacity in bytes, 24..65536"),
    ("batch", count, "writers claim N counters at once, 1..capacity; 0: one claim per frame"),
    ("loan", bool, "writers fill each frame in place through a slot loan"),
    ("trickle", bool, "each writer waits until every reader consumed its frame"),
    ("processes", bool, "every role a forked process over a ring in shared memory"),
    ("preempt_sleepers", bool, "blocking-wait variants: every sleeper yields right before its "
     "futex wait, so a lost wake-up shows within seconds (one process only)"),
    ("first_counter", count, "counter of the first write"),
    ("min_frames", count, "stop once the readers have checked this many frames"),
    ("max_seconds", count, "fail if min_frames is not reached by then"),
    ("json", absolute, "also write the result as JSON to this file"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    for name, kind, text in FLAGS:
        names = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        if kind is bool:
            p.add_argument(*names, dest=name, action="store_true", help=text)
        else:
            p.add_argument(*names, dest=name, type=kind, metavar=name.upper(), help=text)
    p.add_argument("--list-variants", nargs="?", const="text", choices=["text", "json"],
                   help="list the variants (one a line, or a JSON array) and stop")


def check(args) -> None:
    if args.list_variants and any(getattr(args, name) not in (None, False)
                                  for name, _, _ in FLAGS):
        raise InputError("--list-variants takes no other option")
    if args.loan and args.batch:
        raise InputError("--loan and --batch exclude each other")
    if args.preempt_sleepers and args.processes:
        raise InputError("--preempt_sleepers runs in one process: not with --processes")


def binary_args(args) -> list[str]:
    out = []
    for name, kind, _ in FLAGS:
        value = getattr(args, name)
        if kind is bool:
            out += [f"--{name}"] if value else []
        elif value is not None:
            out.append(f"--{name}={value}")
    if args.list_variants:
        out.append("--list-variants" + ("=json" if args.list_variants == "json" else ""))
    return out


def run(args) -> int:
    return subprocess.run([str(stress_binary()), *binary_args(args)], check=False).returncode
