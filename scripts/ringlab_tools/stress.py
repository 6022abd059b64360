"""The stress harness's outputs: the JSON each run writes (harness/stress/stress.cpp's
--json), and the variant list of `ringlab_stress --list-variants=json`, the one place
the tools learn which ring variants exist."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError


@dataclass(frozen=True)
class StressRun:
    """One stress run: `build` (the preset) and `shape` come from its file's place and
    name, build/<preset>/harness/stress/stress.<variant>.<shape>.json."""
    build: str
    variant: str
    shape: str
    processes: bool  # across processes (a ring in shared memory); absent in older runs
    frames_checked: int
    torn: int
    regressions: int
    loss_exact: bool
    passed: bool
    seconds: float

    def summary(self) -> str:
        return (f"{self.build:8} {self.variant:19} {self.shape:8} {self.frames_checked:>10} "
                f"frames checked, {self.torn} torn, {self.regressions} regressions, loss "
                f"exact: {self.loss_exact}, {self.seconds:.1f} s: "
                f"{'PASS' if self.passed else 'FAIL'}")


def read_stress_run(path: Path, build: str) -> StressRun:
    try:
        r = json.loads(path.read_text(encoding="utf-8"))
        return StressRun(build=build, variant=str(r["variant"]),
                         shape=path.name.split(".", 2)[2].removesuffix(".json"),
                         processes=bool(r.get("processes", False)),
                         frames_checked=int(r["frames_checked"]), torn=int(r["torn"]),
                         regressions=int(r["regressions"]),
                         loss_exact=bool(r["loss_exact"]), passed=bool(r["passed"]),
                         seconds=float(r["seconds"]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError,
            ValueError, IndexError) as e:
        raise InputError(f"unreadable stress result {path}: {e}") from None


def stress_runs(build_dir: Path, build: str) -> list[StressRun]:
    """Every stress run a build has recorded, by file name."""
    return [read_stress_run(p, build)
            for p in sorted((build_dir / "harness" / "stress").glob("stress.*.json"))]


@dataclass(frozen=True)
class StressVariant:
    """An entry of `ringlab_stress --list-variants=json`."""
    name: str
    writers: str
    lossless: bool
    waits: str
    shareable: bool  # can run across processes
    role: str
    storage: str     # the slot storage, which is also its model family


def parse_variants(text: str, where: str) -> list[StressVariant]:
    try:
        entries = json.loads(text)
        if not isinstance(entries, list):
            raise TypeError("not a JSON array")
        return [StressVariant(name=str(e["name"]), writers=str(e.get("writers", "")),
                              lossless=e.get("lossless") is True,
                              waits=str(e.get("waits", "")),
                              shareable=e.get("shareable") is True,
                              role=str(e.get("role", "")), storage=str(e["storage"]))
                for e in entries]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise InputError(f"{where} --list-variants=json gave no variant list: {e}") from None


def list_variants(binary: Path) -> list[StressVariant]:
    """The variants the stress binary knows, in its order."""
    if not binary.is_file():
        raise InputError(f"no stress binary at {binary}: build it with `cmake --build "
                         "--preset release --target ringlab_stress` (or `scripts/ringlab "
                         "build`); it lists the ring variants")
    proc = subprocess.run([str(binary), "--list-variants=json"], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        first = (proc.stderr or proc.stdout).strip().splitlines()[:1] or ["no output"]
        raise InputError(f"{binary} --list-variants=json failed (exit {proc.returncode}): "
                         f"{first[0]}")
    return parse_variants(proc.stdout, str(binary))


def storages(variants: list[StressVariant]) -> list[str]:
    """The storages (model families) of the variants, each once, in order."""
    return list(dict.fromkeys(v.storage for v in variants))
