"""`ringlab shm`: ringlab_shm's commands (tools/shm), checked here so that a bad one is
refused before the build; then the tool runs with them. It only reads segments, never
registers, locks or waits, unless `remove` is asked."""

from __future__ import annotations

import argparse
import subprocess

from ..paths import RELEASE
from .jobs import build

DESCRIPTION = ("Inspect the POSIX shared-memory rings of this machine (read-only): list the "
               "current user's segments, show one's header, writer processes (alive or "
               "dead), gates and slot states, print its last frames as text, or remove a "
               "segment no live process is registered in. NAME is a segment name, with or "
               "without its leading '/' or /dev/shm/.")
MAX_WINDOW = 4096  # the tool's own bound on --slots and --count


def window(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..{MAX_WINDOW}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="shm_command", metavar="<shm command>", required=True)
    c = sub.add_parser("list", help="the current user's ringlab segments",
                       description="The current user's ringlab segments in /dev/shm (of one "
                       "fleet, if given).")
    c.add_argument("fleet", nargs="?", metavar="FLEET", help="only this fleet's segments")
    c.add_argument("--all", action="store_true",
                   help="also the user's other objects there, as 'not a ringlab segment'")
    c = sub.add_parser("show", help="one segment's header, processes, gates and slots",
                       description="One segment's header, head, writer table (pids, alive "
                       "or dead), gates and the state of its last slots.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--slots", type=window, help="how many counters (default 8, at most a lap)")
    c = sub.add_parser("tail", help="the last frames as text",
                       description="The last frames, read through the ring's own reader "
                       "(never a torn one), printable bytes as text and others escaped.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--count", type=window, help="how many counters (default 10)")
    c = sub.add_parser("remove", help="unlink a segment no live process uses",
                       description="Unlink a segment; refused (exit 1, naming the pids) "
                       "while a registered process is alive, unless --force.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--force", action="store_true", help="unlink it anyway")


def tool_args(args) -> list[str]:
    out = [args.shm_command]
    for positional in ("name", "fleet"):
        if getattr(args, positional, None) is not None:
            out.append(getattr(args, positional))
    for option in ("slots", "count"):
        if getattr(args, option, None) is not None:
            out.append(f"--{option}={getattr(args, option)}")
    for switch in ("all", "force"):
        if getattr(args, switch, False):
            out.append(f"--{switch}")
    return out


def run(args) -> int:
    build("release", targets=("ringlab_shm",))
    tool = RELEASE / "tools" / "shm" / "ringlab_shm"
    return subprocess.run([str(tool), *tool_args(args)], check=False).returncode
