"""What the driver's commands do once their arguments are checked: install, configure and
build presets, run ctest and tally it, and chain the sweep, cost, evidence and report.
Every step that fails raises JobFailed, which the driver prints as one line, exit 1."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from .. import packages
from ..paths import RELEASE, ROOT

PRESETS = ["release", "debug", "tsan", "asan-ubsan", "fuzz"]


class JobFailed(Exception):
    """A step failed; its own output has already said why."""


def log(text: str) -> None:
    """Progress of the steps, on stderr: stdout is what a command answers (a run directory,
    a variant list)."""
    print(f"\n== {text}", file=sys.stderr, flush=True)


def setup(skip: bool = False) -> None:
    if skip:
        return
    need = packages.missing()
    if not need:
        print(f"ringlab setup: all {len(packages.PACKAGES)} packages are installed")
        return
    log("installing: " + " ".join(need))
    try:
        packages.install(need)
    except packages.InstallFailed as e:
        raise JobFailed(f"setup: {e}") from None


def setup_command(args) -> int:
    setup()
    return 0


def build_command(args) -> int:
    build(args.preset)
    return 0


def run(cmd: list[str], what: str) -> None:
    if subprocess.run(cmd, cwd=ROOT, check=False, stdout=sys.stderr).returncode != 0:
        raise JobFailed(f"{what} failed: {' '.join(cmd)}")


def configure(preset: str, defines: tuple[str, ...] = ()) -> None:
    if subprocess.run(["cmake", "--preset", preset, *defines], cwd=ROOT, check=False,
                      stdout=subprocess.DEVNULL).returncode != 0:
        raise JobFailed(f"configuring the {preset} preset failed (its messages are above)")


def build(preset: str, defines: tuple[str, ...] = (), targets: tuple[str, ...] = ()) -> None:
    log(f"configure and build: {preset}" + (f" ({' '.join(targets)})" if targets else ""))
    configure(preset, defines)
    target_args = ["--target", *targets] if targets else []
    run(["cmake", "--build", "--preset", preset, *target_args], f"building {preset}")


class CtestTally:
    """Runs ctest for presets and adds up what each printed in its summary line."""

    SUMMARY = re.compile(r"tests passed, (\d+) tests? failed out of (\d+)")

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, preset: str, *args: str) -> None:
        log(f"ctest: {preset} {' '.join(args)}")
        out_file = ROOT / "build" / preset / "ctest-summary.txt"
        proc = subprocess.Popen(["ctest", "--preset", preset, *args], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
        rc = proc.wait()
        out_file.write_text("".join(lines))
        found = [m for m in map(self.SUMMARY.search, lines) if m]
        if not found:
            print(f"ringlab: ctest ({preset}) printed no summary", file=sys.stderr)
            self.failed += 1
            return
        failed, total = int(found[-1].group(1)), int(found[-1].group(2))
        self.passed += total - failed
        self.failed += failed + (1 if rc != 0 and failed == 0 else 0)


def stress_summary(preset: str) -> None:
    from ..stress import stress_runs
    runs = stress_runs(ROOT / "build" / preset, preset)
    print(f"  {preset}: no stress results" if not runs else
          "\n".join("  " + r.summary() for r in runs))


def test(args) -> int:
    setup(args.no_install)
    started = time.monotonic()
    frames = (f"-DRINGLAB_STRESS_FRAMES={10**6 if args.quick else 10**7}",)
    tally = CtestTally()
    build("release", frames)
    tally.run("release", "-j2")
    if not args.no_tsan:
        build("tsan", frames)
        tally.run("tsan", "-j2", "-L", "conformance|stress")
    if not args.no_fuzz:
        build("fuzz")
        tally.run("fuzz")
    log("stress summary")
    stress_summary("release")
    if not args.no_tsan:
        stress_summary("tsan")
    print(f"\nringlab test finished in {time.monotonic() - started:.0f} s")
    print(f"ringlab: {tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


def stress_binary() -> Path:
    build("release", targets=("ringlab_stress",))
    return RELEASE / "harness" / "stress" / "ringlab_stress"
