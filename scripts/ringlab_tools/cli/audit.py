"""`ringlab model`: the Relacy model checks (ctest -L model), then the ordering audit of
every storage (every weaker order of every atomic site) and of the known-bad designs,
assembled into results/ordering-audit.md."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

from ..paths import RELEASE, ROOT, STRESS_BINARY
from ..stress import list_variants, storages
from .jobs import CtestTally, JobFailed, build, log


def command_output(cmd: list[str]) -> str:
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def provenance() -> str:
    """Which sources, compiler and Relacy the audit read, for its first line."""
    commit = command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "variants", "models"],
                           cwd=ROOT, check=False).returncode != 0
    compiler = (command_output(["g++", "--version"]).splitlines() or ["g++ ?"])[0]
    relacy = command_output(["dpkg-query", "-W", "-f=${Version}", "relacy-dev"]) or "?"
    return (f"Written by `scripts/ringlab model` on {dt.date.today().isoformat()} from commit "
            f"`{commit}`{' (with uncommitted changes)' if dirty else ''}, {compiler}, "
            f"relacy-dev {relacy}.")


def run_audits(bin_dir: Path, work: Path, variants: list[str], extra: list[str]) -> bool:
    """Each storage's audit binary, then the known-bad designs', each writing its section
    into work/<name>.md; their trace detail goes to work/traces, not the terminal."""
    ok = True
    for name, binary in [(v, f"ringlab_model_{v}_audit") for v in variants] + \
            [("known_bad", "ringlab_model_known_bad")]:
        log(f"audit: {name}")
        proc = subprocess.Popen([str(bin_dir / binary), "--trace-dir", str(work / "traces"),
                                 "--audit", str(work / f"{name}.md"), *extra],
                                cwd=ROOT, text=True, stdout=subprocess.PIPE)
        for line in proc.stdout:
            if not line.startswith("    "):
                print(line, end="", flush=True)
        ok = proc.wait() == 0 and ok
    return ok


def write_audit(out: Path, variants: list[str], work: Path) -> None:
    """The sections in order under one header, a missing one said to be missing."""
    parts = ["# Ordering audit", "", provenance(), "",
             (ROOT / "models" / "audit_preamble.md").read_text(encoding="utf-8")]
    for name in [*variants, "known_bad"]:
        md = work / f"{name}.md"
        parts += [md.read_text(encoding="utf-8") if md.exists() else
                  f"## {name}\n\nThe audit wrote nothing (see its output above).\n", ""]
    out.write_text("\n".join(parts), encoding="utf-8")


def model(args) -> int:
    started = time.monotonic()
    build("release", targets=("ringlab_stress",))
    variants = storages(list_variants(STRESS_BINARY))
    if not variants:
        raise JobFailed("model: ringlab_stress listed no variant")
    build("release", targets=("ringlab_model_known_bad",
                              *(f"ringlab_model_{v}" for v in variants),
                              *(f"ringlab_model_{v}_audit" for v in variants)))
    tally = CtestTally()
    tally.run("release", "-L", "model")
    work = RELEASE / "models" / "audit"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    extra = []
    if args.iterations is not None:
        extra += ["--iterations", str(args.iterations)]
    if args.context_bound is not None:
        extra += ["--context-bound", str(args.context_bound)]
    ok = run_audits(RELEASE / "models", work, variants, extra)
    out = args.results / "ordering-audit.md"
    write_audit(out, variants, work)
    print(f"\nringlab model: wrote {out} in {time.monotonic() - started:.0f} s")
    return 0 if ok and tally.failed == 0 else 1
