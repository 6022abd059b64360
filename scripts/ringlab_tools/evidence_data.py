"""evidence.json: what the tests found at the commit of a run, per ring variant. The
collector (evidence.py) writes it from these types and the report reads it back into them.

    {"commit", "collected",
     "variants": {<variant>: {"storage", "conformance": {"passed", "failed"} | null,
                              "tsan_conformance": ... | null, "stress": [<stress run>],
                              "tsan_reports": int | null,
                              "models": {"storage", "scenarios_passed", "scenarios_failed",
                                         "mutants_caught", "mutants_expected"} | null}},
     "known_bad": [{"name", "caught", "by"}],
     "commands": {<evidence>: <command> | null}}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .jsonio import check_shape, flag, integer, number, text, write_json
from .stress import StressRun


@dataclass(frozen=True)
class TestCount:
    passed: int
    failed: int


@dataclass(frozen=True)
class ModelSummary:
    storage: str
    scenarios_passed: int
    scenarios_failed: int
    mutants_caught: int
    mutants_expected: int

    @property
    def problem(self) -> bool:
        return bool(self.scenarios_failed) or self.mutants_caught < self.mutants_expected


@dataclass(frozen=True)
class VariantEvidence:
    conformance: TestCount | None
    tsan_conformance: TestCount | None
    stress: tuple[StressRun, ...]
    tsan_reports: int | None
    models: ModelSummary | None
    storage: str = ""  # its slot storage, from the stress binary's variant list

    def problems(self) -> list[str]:
        """What failed (empty: nothing failed, or nothing ran)."""
        found = []
        if self.conformance is not None and self.conformance.failed:
            found.append("conformance")
        if any(not r.passed or r.torn or r.regressions or not r.loss_exact
               for r in self.stress):
            found.append("stress")
        if self.tsan_reports:
            found.append("TSan")
        if self.models is not None and self.models.problem:
            found.append("models")
        return found


@dataclass(frozen=True)
class KnownBad:
    name: str
    caught: bool
    by: str


@dataclass(frozen=True)
class Evidence:
    commit: str
    collected: str
    variants: dict[str, VariantEvidence]
    known_bad: tuple[KnownBad, ...] = ()
    commands: dict[str, str | None] = field(default_factory=dict)

    def storage_of(self) -> dict[str, str]:
        """Each variant's storage: recorded, or else that of its model checks."""
        return {name: v.storage or (v.models.storage if v.models else "")
                for name, v in self.variants.items() if v.storage or v.models}

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def write(self, path: Path) -> None:
        write_json(path, self.to_json())


def _count(obj, where) -> TestCount | None:
    if not obj:
        return None
    check_shape(obj, {}, where)
    return TestCount(integer(obj, "passed"), integer(obj, "failed"))


def _stress(obj: dict, where) -> StressRun:
    check_shape(obj, {}, where)
    loss_exact = flag(obj, "loss_exact")
    return StressRun(build=text(obj, "build", "?"), variant=text(obj, "variant"),
                     shape=text(obj, "shape", "?"), processes=flag(obj, "processes") is True,
                     frames_checked=integer(obj, "frames_checked"), torn=integer(obj, "torn"),
                     regressions=integer(obj, "regressions"),
                     loss_exact=loss_exact is not False, passed=flag(obj, "passed") is True,
                     seconds=number(obj, "seconds") or 0.0)


def _models(obj, where) -> ModelSummary | None:
    if not obj:
        return None
    return ModelSummary(text(obj, "storage", "?"), integer(obj, "scenarios_passed"),
                        integer(obj, "scenarios_failed"), integer(obj, "mutants_caught"),
                        integer(obj, "mutants_expected"))


def _variant(obj, where) -> VariantEvidence:
    check_shape(obj, {"conformance": dict, "tsan_conformance": dict, "stress": list,
                      "models": dict}, where)
    reports = obj.get("tsan_reports")
    return VariantEvidence(
        conformance=_count(obj.get("conformance"), where),
        tsan_conformance=_count(obj.get("tsan_conformance"), where),
        stress=tuple(_stress(e, f"{where} stress entry") for e in obj.get("stress") or []),
        tsan_reports=None if reports is None else integer(obj, "tsan_reports"),
        models=_models(obj.get("models"), where), storage=text(obj, "storage"))


def evidence_from_json(obj, where) -> Evidence:
    check_shape(obj, {"variants": dict, "known_bad": list, "commands": dict}, where)
    variants = {name: _variant(v, f"{where} variant {name}")
                for name, v in (obj.get("variants") or {}).items()}
    known_bad = tuple(KnownBad(text(k, "name", "?"), flag(k, "caught") is True,
                               text(k, "by", "–"))
                      for k in (check_shape(e, {}, f"{where} known_bad entry")
                                for e in obj.get("known_bad") or []))
    commands = {str(k): (str(c) if c else None) for k, c in (obj.get("commands") or {}).items()}
    return Evidence(text(obj, "commit"), text(obj, "collected"), variants, known_bad, commands)
