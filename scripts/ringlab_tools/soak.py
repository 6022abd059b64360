"""Crash soaks (`scripts/ringlab soak`, harness/soak/): reading a soak.json, and finding the
one a run's report shows (sections/soak.py renders it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .jsonio import check_shape, integer, number, read_json, text

SOAK_JSON = "soak.json"
SOAK_PREFIX = "soak-"


@dataclass(frozen=True)
class SoakVariant:
    name: str
    writers: str                 # "multi" | "single"
    kills: str                   # "anywhere" | "readers-between-operations"
    processes_started: int
    writer_kills: int
    reader_kills: int
    frames_written: int
    frames_checked: int
    torn: int                    # torn and misordered frames
    loss_exact: bool
    recoveries: int
    recovery_kind: str
    longest_stall_ms: float
    longest_pending_ms: float
    failures: tuple[str, ...]
    passed: bool


@dataclass(frozen=True)
class Soak:
    path: Path
    date: str
    commit: str
    seconds: float
    seed: int
    processes_started: int
    variants: dict[str, SoakVariant]

    @property
    def passed(self) -> bool:
        return bool(self.variants) and all(v.passed for v in self.variants.values())


def _variant(obj, where: str) -> SoakVariant:
    check_shape(obj, {"loss": dict, "failures": list}, where)
    name = text(obj, "variant")
    if not name:
        raise InputError(f"{where}: no 'variant' name")
    return SoakVariant(
        name=name, writers=text(obj, "writers", "?"), kills=text(obj, "kills", "?"),
        processes_started=integer(obj, "processes_started"),
        writer_kills=integer(obj, "writer_kills"), reader_kills=integer(obj, "reader_kills"),
        frames_written=integer(obj, "frames_written"),
        frames_checked=integer(obj, "frames_checked"),
        torn=integer(obj, "torn") + integer(obj, "misordered"),
        loss_exact=obj.get("loss_exact") is True, recoveries=integer(obj, "recoveries"),
        recovery_kind=text(obj, "recovery_kind"),
        longest_stall_ms=number(obj, "longest_stall_ms") or 0.0,
        longest_pending_ms=number(obj, "longest_pending_ms") or 0.0,
        failures=tuple(str(f) for f in obj.get("failures") or ()),
        passed=obj.get("verdict") == "pass")


def read_soak(path: Path) -> Soak:
    """A soak.json as ringlab_soak wrote it and the driver dated; InputError if malformed."""
    data = check_shape(read_json(path, SOAK_JSON), {"variants": list}, str(path))
    variants = [_variant(v, f"{path}: variants[{i}]")
                for i, v in enumerate(data.get("variants") or ())]
    return Soak(path=path, date=text(data, "date", "date not recorded"),
                commit=text(data, "commit", "unknown"), seconds=number(data, "seconds") or 0.0,
                seed=integer(data, "seed"), processes_started=integer(data, "processes_started"),
                variants={v.name: v for v in variants})


def find_soak(run_dir: Path) -> Path | None:
    """The soak a run's report shows: its own soak.json, else the newest
    soak-<UTC timestamp>/soak.json beside the run (in its results directory)."""
    own = run_dir / SOAK_JSON
    if own.is_file():
        return own
    try:
        found = sorted(d / SOAK_JSON for d in run_dir.parent.iterdir()
                       if d.name.startswith(SOAK_PREFIX) and (d / SOAK_JSON).is_file())
    except OSError:
        return None
    return found[-1] if found else None


@dataclass(frozen=True)
class SoakFinding:
    """The soak a report shows: none found, one read, or one that could not be read."""
    soak: Soak | None = None
    path: Path | None = None
    problem: str = ""
    link: str = ""  # the path relative to the run's directory, for its report to link


def soak_for_run(run_dir: Path) -> SoakFinding:
    path = find_soak(run_dir)
    if path is None:
        return SoakFinding()
    link = SOAK_JSON if path.parent == run_dir else f"../{path.parent.name}/{SOAK_JSON}"
    try:
        return SoakFinding(read_soak(path), path, link=link)
    except InputError as e:
        return SoakFinding(None, path, str(e), link)

