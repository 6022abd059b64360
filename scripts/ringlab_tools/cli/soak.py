"""`ringlab soak`: the crash soak (harness/soak/) for N minutes, into
RESULTS/soak-<UTC timestamp>/soak.json (ringlab_soak's figures, with the date and commit)
and soak.md. Every argument is checked before the build."""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError
from ..paths import ROOT, SOAK_BINARY
from ..sections.soak import soak_markdown
from ..soak import SOAK_JSON, SOAK_PREFIX, read_soak
from .common import absolute, check_regex, writable_dir
from .jobs import JobFailed, build, log, setup

DESCRIPTION = ("Build the release ringlab_soak and run it: for each shareable variant in turn, "
               "writer and reader processes on a ring in POSIX shared memory, SIGKILLed at "
               "random moments and restarted; every frame is checked (torn must be 0), each "
               "reader's loss must be exact, and no claimed counter may stay Pending, nor "
               "readers see nothing new, for over 3 s. Writes RESULTS/soak-<UTC timestamp>/"
               "soak.json and soak.md; exit status 1 on a failed verdict.")
MAX_MINUTES = 7 * 24 * 60  # the binary's own limit


def minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= MAX_MINUTES:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not above 0 and at most {MAX_MINUTES}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"{value} is not in 0..2^64-1")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--minutes", type=minutes, default=1.0,
                   help="total time, split evenly between the variants (default 1)")
    p.add_argument("--variant", metavar="REGEX",
                   help="only the shareable variants whose name it matches (a search)")
    p.add_argument("--seed", type=seed, help="seeds the kill schedule (default: the clock)")
    p.add_argument("--results", type=absolute, default=ROOT / "results",
                   help="where soak-<timestamp>/ goes (default: the repository's results/)")
    p.add_argument("--no-install", action="store_true",
                   help="skip the package check and install (everything is present)")


def check(args) -> None:
    check_regex(args.variant, "--variant")
    writable_dir(args.results, "--results")


def commit() -> str:
    def git(*a: str) -> str:
        out = subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True,
                             check=False)
        return out.stdout.strip() if out.returncode == 0 else ""
    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def run(args) -> int:
    setup(args.no_install)
    build("release", targets=("ringlab_soak",))
    now = datetime.now(timezone.utc)
    out = args.results / f"{SOAK_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}"
    try:
        out.mkdir(parents=True)
    except FileExistsError:
        raise InputError(f"{out} exists already (a soak started this second)") from None
    figures = out / "figures.json"
    cmd = [str(SOAK_BINARY), "--seconds", f"{args.minutes * 60:g}", "--json", str(figures)]
    cmd += ["--variant", args.variant] if args.variant is not None else []
    cmd += ["--seed", str(args.seed)] if args.seed is not None else []
    log(" ".join(cmd))
    started = time.monotonic()
    rc = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    if not figures.is_file():
        if not any(out.iterdir()):
            out.rmdir()
        if rc == 2:  # a --variant that matches no shareable variant: the binary said so
            return 2
        raise JobFailed(f"ringlab_soak wrote no figures (exit status {rc}; it said why above)")
    data = json.loads(figures.read_text(encoding="utf-8"))
    dated = {"date": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "commit": commit(),
             "command": " ".join(["scripts/ringlab", "soak", f"--minutes {args.minutes:g}",
                                  *cmd[5:]]), **data}
    (out / SOAK_JSON).write_text(json.dumps(dated, indent=1) + "\n", encoding="utf-8")
    figures.unlink()
    (out / "soak.md").write_text(soak_markdown(read_soak(out / SOAK_JSON)), encoding="utf-8")
    print(f"ringlab soak: {time.monotonic() - started:.0f} s, wrote {out / SOAK_JSON} and "
          f"soak.md", flush=True)
    print(out)
    return 0 if rc == 0 else 1
