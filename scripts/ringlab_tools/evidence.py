"""Collects the correctness evidence a report puts beside the numbers: conformance
(GoogleTest through ctest), stress (frames checked, torn, loss), ThreadSanitizer (the same
tests in the tsan build), and the Relacy model checks (scenarios passed, mutants caught,
known-bad designs caught), for each variant the stress binary lists.

Tests are charged to variants by one rule on their names: a GoogleTest suite that runs per
variant is named `<Suite>/<variant with '-' as '_'>.<Test>` (canonical variant names hold
no '_'), and a stress test `stress.<variant>.<shape>`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .evidence_data import Evidence, KnownBad, ModelSummary, TestCount, VariantEvidence
from .stress import StressRun, StressVariant, storages

TSAN_WARNING = "WARNING: ThreadSanitizer"


@dataclass(frozen=True)
class TestCase:
    name: str
    passed: bool
    output: str = ""


def variant_of_test(name: str, variants: set[str]) -> str | None:
    """The variant a test exercises, by the naming rule above; None for shared tests."""
    head = name.split(".", 1)[0]
    if "/" in head:
        candidate = head.rsplit("/", 1)[1].replace("_", "-")
        return candidate if candidate in variants else None
    parts = name.split(".")
    if len(parts) >= 3 and parts[0] == "stress" and parts[1] in variants:
        return parts[1]
    return None


def run_ctest(root: Path, preset: str, label: str, junit: Path) -> list[TestCase]:
    cmd = ["ctest", "--preset", preset, "-L", label, "-j2", "--output-junit", str(junit)]
    print(f"ringlab evidence: {' '.join(cmd)}", file=sys.stderr, flush=True)
    junit.unlink(missing_ok=True)
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if not junit.exists():
        raise InputError(f"ctest ({preset}, {label}) wrote no results: "
                         f"{(proc.stderr or proc.stdout).strip()[-300:]}")
    return junit_cases(junit)


def junit_cases(junit: Path) -> list[TestCase]:
    cases = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = case.get("status") not in (None, "run") or case.find("failure") is not None
        out = "".join(e.text or "" for e in case.iter() if e.tag in ("system-out", "failure"))
        cases.append(TestCase(case.get("name") or "?", not failed, out))
    return cases


def conformance_of(cases: list[TestCase], variants: list[str]) -> dict[str, TestCount | None]:
    known = set(variants)
    result: dict[str, TestCount | None] = {}
    for v in variants:
        mine = [c for c in cases if variant_of_test(c.name, known) == v]
        result[v] = TestCount(sum(c.passed for c in mine),
                              sum(not c.passed for c in mine)) if mine else None
    return result


def tsan_reports_of(cases: list[TestCase],
                    variants: list[str]) -> tuple[dict[str, int], list[TestCase]]:
    """Reports in the conforming tests per variant; the known-bad tests, which must have
    them, apart."""
    known = set(variants)
    per_variant = {v: 0 for v in variants}
    for c in cases:
        v = variant_of_test(c.name, known)
        if "known-bad" not in c.name and v is not None:
            per_variant[v] += c.output.count(TSAN_WARNING)
    return per_variant, [c for c in cases if "known-bad" in c.name]


@dataclass
class ModelRun:
    ok: bool = True
    scenarios: dict[str, bool] = field(default_factory=dict)  # passed under every scheduler
    mutants: dict[str, bool] = field(default_factory=dict)    # caught by some scenario
    known_bad: dict[str, bool] = field(default_factory=dict)  # caught

    def summary(self, storage: str) -> ModelSummary:
        return ModelSummary(storage, sum(self.scenarios.values()),
                            sum(not ok for ok in self.scenarios.values()),
                            sum(self.mutants.values()), len(self.mutants))


def parse_model_output(text: str) -> ModelRun:
    """From a model executable's output (models/model_runner.hpp prints it)."""
    found = ModelRun()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[0] not in ("ok", "FAIL", "--"):
            continue
        status, name = fields[0], fields[1].rstrip(":")
        if fields[1].endswith(":") and not name.startswith(("mutant.", "known_bad.")):
            # "<table>: expectation list covers ...", or what it lacks: a check, no scenario
            if status == "FAIL":
                found.scenarios[f"{name} (expectation list)"] = False
            continue
        caught_here = status == "ok" and fields[3] == "caught"
        never_caught = "not caught" in line or "NOT CAUGHT" in line
        if name.startswith("mutant."):
            if caught_here:  # printed as mutant.<table>.<site>.<order>.<storage>.<scenario>
                found.mutants[".".join(name.split(".")[:-2])] = True
            elif never_caught:  # printed without the scenario
                found.mutants.setdefault(name, False)
        elif name.startswith("known_bad."):
            if caught_here:
                found.known_bad[name] = True
            elif never_caught:
                found.known_bad.setdefault(name, False)
        elif "." in name:
            found.scenarios[name] = found.scenarios.get(name, True) and status == "ok" \
                and fields[3] == "passed"
    return found


def run_model(root: Path, name: str) -> ModelRun:
    models = root / "build" / "release" / "models"
    exe = models / f"ringlab_model_{name}"
    if not exe.exists():
        raise InputError(f"{exe} is not built (scripts/ringlab build)")
    print(f"ringlab evidence: {exe.relative_to(root)}", file=sys.stderr, flush=True)
    proc = subprocess.run([str(exe), "--trace-dir", str(models / "traces")],
                          capture_output=True, text=True, cwd=models, check=False)
    found = parse_model_output(proc.stdout)
    found.ok = proc.returncode == 0
    return found


@dataclass(frozen=True)
class Collected:
    evidence: Evidence
    failed: list[str]  # what failed, one short name each


def assemble(variants: list[StressVariant], conformance: list[TestCase],
             tsan: list[TestCase] | None, stress: list[StressRun],
             models: dict[str, ModelRun], commit: str, commands: dict[str, str | None]
             ) -> Collected:
    """The evidence of each variant from what ran (tsan None: not run; models: by storage,
    with "known_bad" for the known-bad designs)."""
    names = [v.name for v in variants]
    conf = conformance_of(conformance, names)
    tsan_conf = conformance_of(tsan, names) if tsan is not None else {}
    tsan_reports, tsan_known_bad = tsan_reports_of(tsan or [], names)
    known_bad = [KnownBad(name, caught, "Relacy") for name, caught in
                 sorted(models["known_bad"].known_bad.items())] if "known_bad" in models else []
    known_bad += [KnownBad(c.name, c.passed and TSAN_WARNING in c.output, "ThreadSanitizer")
                  for c in tsan_known_bad]
    per_variant = {}
    for v in variants:
        model = models.get(v.storage)
        per_variant[v.name] = VariantEvidence(
            conformance=conf[v.name], tsan_conformance=tsan_conf.get(v.name),
            stress=tuple(s for s in stress if s.variant == v.name),
            tsan_reports=tsan_reports[v.name] if tsan is not None else None,
            models=model.summary(v.storage) if model is not None else None,
            storage=v.storage)
    evidence = Evidence(commit, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        per_variant, tuple(known_bad), commands)
    failed = [c.name for c in conformance if not c.passed]
    failed += [f"stress {s.build} {s.variant} {s.shape}" for s in stress if not s.passed]
    failed += [f"model {m}" for m, r in models.items() if not r.ok]
    return Collected(evidence, failed)


def model_names(variants: list[StressVariant]) -> list[str]:
    """The model executables to run: one per storage, and the known-bad designs."""
    return storages(variants) + ["known_bad"]
