"""What A and B name: a run directory (holding bench.json), a ringlab_bench binary, or a
git revision of this repository (built by builds.py). Paths are the user's, relative to
the current directory; revisions are this repository's."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..paths import ROOT

RUN, BINARY, REVISION = "run directory", "binary", "revision"


@dataclass(frozen=True)
class Source:
    label: str        # "A" or "B"
    given: str        # as the user wrote it
    kind: str         # RUN, BINARY or REVISION
    path: Path | None  # the run directory or the binary (a revision's once built)
    commit: str | None = None  # a revision's full hash

    @property
    def shown_path(self) -> str:
        """The path relative to the repository where it lies inside it, so that a
        committed comparison names no one's checkout."""
        if self.path is None:
            return ""
        try:
            return str(self.path.relative_to(ROOT))
        except ValueError:
            return str(self.path)

    @property
    def runnable(self) -> bool:
        return self.kind != RUN

    def describe(self) -> str:
        if self.kind == REVISION:
            return f"revision {self.given} ({self.commit[:12]})"
        return f"{self.kind} {self.shown_path}"


def revision(text: str) -> str | None:
    """The commit a revision names in this repository, or None."""
    if not text or text.startswith("-"):
        return None
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                          "--end-of-options", f"{text}^{{commit}}"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def resolve(label: str, text: str) -> Source:
    """A or B as the user named it: an existing path first (against the current
    directory), then a revision."""
    path = Path(os.getcwd()) / text if text else None
    if path is not None and path.is_dir():
        if not (path / "bench.json").is_file():
            raise InputError(f"{label}: {text} is a directory without bench.json "
                             "(not a run directory)")
        return Source(label, text, RUN, path.resolve())
    if path is not None and path.exists():
        if not path.is_file() or not os.access(path, os.X_OK):
            raise InputError(f"{label}: {text} is not an executable ringlab_bench")
        return Source(label, text, BINARY, path.resolve())
    commit = revision(text)
    if commit is None:
        raise InputError(f"{label}: {text!r} is neither a run directory, a ringlab_bench "
                         f"binary nor a git revision of {ROOT}")
    return Source(label, text, REVISION, None, commit)


def resolve_pair(a: str, b: str) -> tuple[Source, Source]:
    """Both sources, of kinds that can be compared: two run directories, or two things
    to run (binaries or revisions) side by side."""
    sa, sb = resolve("A", a), resolve("B", b)
    if sa.runnable != sb.runnable:
        run, other = (sa, sb) if not sa.runnable else (sb, sa)
        raise InputError(f"{run.label} is a run directory but {other.label} is a "
                         f"{other.kind}: compare two run directories, or two binaries or "
                         "revisions (which then run side by side)")
    return sa, sb
