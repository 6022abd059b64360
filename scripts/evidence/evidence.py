#!/usr/bin/python3
"""Collects the correctness evidence a report puts beside the numbers:
conformance (GoogleTest through ctest), stress (frames checked, torn, loss),
ThreadSanitizer (the same tests in the tsan build), and the Relacy model checks
(scenarios passed, mutants caught, known-bad designs caught). Runs the tests
itself, so the evidence is of the commit being reported, and writes one JSON
file (the schema is in scripts/report/report.py's docstring).
"""
import argparse
import datetime as dt
import json
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ctest names of the conformance tests that exercise each variant.
CONFORMANCE = {
    "rwlock": [r"^Conformance/Rwlock\."],
    "seqlock": [r"^Conformance/Seqlock\.", r"^LappedWriterTest/seqlock\."],
    "disruptor-spin": [r"^Conformance/DisruptorSpin\.", r"^DisruptorWait/Spin\.",
                       r"^LappedWriterTest/disruptor\."],
    "disruptor-yield": [r"^Conformance/DisruptorYield\.", r"^DisruptorWait/Yield\."],
    "disruptor-blocking": [r"^Conformance/DisruptorBlocking\.", r"^DisruptorWait/Blocking\."],
    "disruptor-gated": [r"^DisruptorGated\."],
}
VARIANTS = list(CONFORMANCE)
MODEL_OF = {"rwlock": "rwlock", "seqlock": "seqlock"}
MODEL_OF.update({v: "disruptor" for v in VARIANTS if v.startswith("disruptor")})
TSAN_WARNING = "WARNING: ThreadSanitizer"


class EvidenceError(Exception):
    pass


def run_ctest(preset, label, junit):
    cmd = ["ctest", "--preset", preset, "-L", label, "-j2", "--output-junit", str(junit)]
    print(f"ringlab evidence: {' '.join(cmd)}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if not junit.exists():
        raise EvidenceError(f"ctest ({preset}, {label}) wrote no results: "
                            f"{(proc.stderr or proc.stdout).strip()[-300:]}")
    cases = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = case.get("status") not in (None, "run") or case.find("failure") is not None
        out = "".join(e.text or "" for e in case.iter() if e.tag in ("system-out", "failure"))
        cases.append({"name": case.get("name"), "passed": not failed, "output": out})
    return cases


def conformance_of(cases):
    result = {}
    for variant, patterns in CONFORMANCE.items():
        mine = [c for c in cases if any(re.search(p, c["name"]) for p in patterns)]
        result[variant] = {"passed": sum(c["passed"] for c in mine),
                           "failed": sum(not c["passed"] for c in mine)} if mine else None
    return result


def stress_of(build):
    """One entry per stress run. A run across processes (shape "xproc", over a
    ring in shared memory) says so in "processes"; runs before that flag
    existed were all in one process."""
    runs = []
    for path in sorted((ROOT / "build" / build / "harness" / "stress").glob("stress.*.json")):
        r = json.loads(path.read_text())
        runs.append({"build": build, "variant": r["variant"],
                     "shape": path.stem.split(".", 2)[2],
                     "processes": r.get("processes", False),
                     "frames_checked": r["frames_checked"], "torn": r["torn"],
                     "regressions": r["regressions"], "loss_exact": r["loss_exact"],
                     "passed": r["passed"], "seconds": r["seconds"]})
    return runs


def tsan_reports_of(cases):
    """Reports in the conforming tests; the known-bad test must have them."""
    per_variant = {v: 0 for v in VARIANTS}
    for c in cases:
        if "known-bad" in c["name"]:
            continue
        n = c["output"].count(TSAN_WARNING)
        for v in VARIANTS:
            if any(re.search(p, c["name"]) for p in CONFORMANCE[v]) or f".{v}." in c["name"]:
                per_variant[v] += n
    known_bad = [c for c in cases if "known-bad" in c["name"]]
    return per_variant, known_bad


def run_model(name):
    exe = ROOT / "build" / "release" / "models" / f"ringlab_model_{name}"
    if not exe.exists():
        raise EvidenceError(f"{exe} is not built (scripts/ringlab build)")
    traces = ROOT / "build" / "release" / "models" / "traces"
    print(f"ringlab evidence: {exe.relative_to(ROOT)}", file=sys.stderr, flush=True)
    proc = subprocess.run([str(exe), "--trace-dir", str(traces)], capture_output=True, text=True,
                          cwd=ROOT / "build" / "release" / "models")
    scenarios, mutants, known_bad = parse_model_output(proc.stdout)
    return {"ok": proc.returncode == 0, "scenarios": scenarios, "mutants": mutants,
            "known_bad": known_bad}


def parse_model_output(text):
    """From a model executable's output (models/model_runner.hpp prints it):
    scenario -> passed under every scheduler; mutant -> caught by some
    scenario; known-bad case -> caught."""
    scenarios, mutants, known_bad = {}, {}, {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[0] not in ("ok", "FAIL", "--"):
            continue
        status, name = fields[0], fields[1].rstrip(":")
        caught_here = status == "ok" and fields[3] == "caught"
        never_caught = "not caught" in line or "NOT CAUGHT" in line
        if name.startswith("mutant."):
            if caught_here:  # printed as mutant.<table>.<site>.<order>.<storage>.<scenario>
                mutants[".".join(name.split(".")[:-2])] = True
            elif never_caught:  # printed without the scenario
                mutants.setdefault(name, False)
        elif name.startswith("known_bad."):
            if caught_here:
                known_bad[name] = True
            elif never_caught:
                known_bad.setdefault(name, False)
        elif "." in name:
            scenarios[name] = scenarios.get(name, True) and status == "ok" and fields[3] == "passed"
    return scenarios, mutants, known_bad


def main(argv):
    p = argparse.ArgumentParser(prog="ringlab evidence",
                                description="Run the tests and write the evidence JSON.")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--tsan", action="store_true",
                   help="also run conformance and stress in the tsan build (must be built)")
    p.add_argument("--no-models", action="store_true", help="skip the Relacy model checks")
    args = p.parse_args(argv)
    work = ROOT / "build" / "release" / "evidence"
    work.mkdir(parents=True, exist_ok=True)

    conformance_cases = run_ctest("release", "conformance", work / "conformance.xml")
    run_ctest("release", "stress", work / "stress.xml")
    conformance = conformance_of(conformance_cases)
    stress = stress_of("release")

    tsan_cases, tsan_per_variant, tsan_known_bad = [], None, []
    if args.tsan:
        tsan_cases = run_ctest("tsan", "conformance|stress", work / "tsan.xml")
        tsan_per_variant, tsan_known_bad = tsan_reports_of(tsan_cases)
        stress += stress_of("tsan")

    models = {}
    known_bad = []
    if not args.no_models:
        for storage in ("seqlock", "rwlock", "disruptor"):
            models[storage] = run_model(storage)
        models["known_bad"] = run_model("known_bad")
        for name, caught in sorted(models["known_bad"]["known_bad"].items()):
            known_bad.append({"name": name, "caught": caught, "by": "Relacy"})
    for c in tsan_known_bad:
        known_bad.append({"name": c["name"], "caught": c["passed"] and TSAN_WARNING in c["output"],
                          "by": "ThreadSanitizer"})

    variants = {}
    for v in VARIANTS:
        model = models.get(MODEL_OF[v])
        tsan_conf = conformance_of(tsan_cases).get(v) if args.tsan else None
        variants[v] = {
            "conformance": conformance[v],
            "tsan_conformance": tsan_conf,
            "stress": [s for s in stress if s["variant"] == v],
            "tsan_reports": None if tsan_per_variant is None else tsan_per_variant[v],
            "models": None if model is None else {
                "storage": MODEL_OF[v],
                "scenarios_passed": sum(model["scenarios"].values()),
                "scenarios_failed": sum(not ok for ok in model["scenarios"].values()),
                "mutants_caught": sum(model["mutants"].values()),
                "mutants_expected": len(model["mutants"]),
            },
        }
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    evidence = {
        "commit": commit,
        "collected": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "variants": variants,
        "known_bad": known_bad,
        "commands": {
            "conformance": "ctest --preset release -L conformance",
            "stress": "ctest --preset release -L stress",
            "tsan": "ctest --preset tsan -L 'conformance|stress'" if args.tsan else None,
            "models": "ctest --preset release -L model",
        },
    }
    pathlib.Path(args.out).write_text(json.dumps(evidence, indent=1) + "\n")
    failed = [c["name"] for c in conformance_cases if not c["passed"]]
    failed += [f"stress {s['build']} {s['variant']} {s['shape']}" for s in stress
               if not s["passed"]]
    failed += [f"model {m}" for m, r in models.items() if not r["ok"]]
    if failed:
        print(f"ringlab evidence: {len(failed)} failed: {', '.join(failed[:5])}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except EvidenceError as e:
        print(f"ringlab evidence: {e}", file=sys.stderr)
        sys.exit(2)
