"""Building ringlab_bench at a git revision: its tree under build/compare/src-<sha> (git
archive), configured with that tree's own release preset into build/compare/<sha>, only
the benchmark target built. Both are kept, so a second comparison of the same revision
only checks that the build is up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..paths import ROOT
from .sources import REVISION, Source

BUILDS = ROOT / "build" / "compare"
PRESET = "release"
TARGET = "ringlab_bench"


def _step(argv: list[str], log: Path, what: str, stdin=None) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        rc = subprocess.run(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                            check=False).returncode
    if rc != 0:
        raise InputError(f"{what} failed (exit {rc}); see {log}")


def _extract(commit: str, src: Path, log: Path) -> None:
    """The revision's tree, unpacked beside its final place and renamed into it, so an
    interrupted unpack is never taken for a finished one."""
    partial = src.with_name(src.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        _step(["tar", "-x", "-C", str(partial)], log, f"unpacking {commit[:12]}",
              stdin=archive.stdout)
    finally:
        archive.stdout.close()
        if archive.wait() != 0:
            raise InputError(f"git archive {commit[:12]} failed")
    partial.rename(src)


def build(source: Source) -> Source:
    """The source with its binary: a revision built (or found built), anything else as
    it is."""
    if source.kind != REVISION:
        return source
    commit = source.commit
    src, out, log = BUILDS / f"src-{commit}", BUILDS / commit, BUILDS / f"{commit}.log"
    BUILDS.mkdir(parents=True, exist_ok=True)
    binary = out / "harness" / "bench" / TARGET
    print(f"ringlab compare: {source.label} = {source.describe()}: building {TARGET} in "
          f"{out.relative_to(ROOT)} (log {log.relative_to(ROOT)})", file=sys.stderr)
    if not src.is_dir():
        _extract(commit, src, log)
    if not (src / "CMakePresets.json").is_file():
        raise InputError(f"{source.label}: revision {commit[:12]} has no CMakePresets.json "
                         "to configure it with")
    if not (out / "CMakeCache.txt").is_file():
        _step(["cmake", "-S", str(src), "--preset", PRESET, "-B", str(out)], log,
              f"{source.label}: configuring {commit[:12]}")
    _step(["cmake", "--build", str(out), "--target", TARGET], log,
          f"{source.label}: building {TARGET} at {commit[:12]}")
    if not binary.is_file():
        raise InputError(f"{source.label}: the build of {commit[:12]} made no {binary}")
    return replace(source, path=binary)
