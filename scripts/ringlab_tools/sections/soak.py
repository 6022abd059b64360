"""The crash soak's figures as Markdown: soak.md (`scripts/ringlab soak`) and the table
beside each shareable variant in the report's correctness section."""

from __future__ import annotations

from ..fmt import fmt_count
from ..markdown import md_code, md_table
from ..soak import Soak, SoakFinding, SoakVariant


def _kills(v: SoakVariant) -> str:
    text_ = f"{v.writer_kills} w, {v.reader_kills} r"
    return text_ + (" (readers between operations only)"
                    if v.kills == "readers-between-operations" else "")


def soak_cells(v: SoakVariant) -> list[str]:
    """The figures of one variant's soak, in soak_headers() order."""
    return [f"{v.processes_started}", _kills(v), fmt_count(v.frames_checked),
            f"{v.torn}" if v.torn == 0 else f"**{v.torn}**",
            "exact" if v.loss_exact else "**inexact**", f"{v.recoveries}",
            f"{v.longest_stall_ms:.0f} ms", f"{v.longest_pending_ms:.0f} ms",
            "pass" if v.passed else "**fail**"]


def soak_headers() -> list[str]:
    return ["processes started", "kills (writers, readers)", "frames checked", "torn", "loss",
            "recoveries", "longest stall", "longest pending", "verdict"]


def soak_summary(soak: Soak) -> str:
    return (f"Crash soak of {soak.date} at commit {md_code(soak.commit)}: {soak.seconds:.0f} s, "
            f"{soak.processes_started} processes started and SIGKILLed at random moments "
            f"(seed {soak.seed}), verdict **{'pass' if soak.passed else 'fail'}**.")


def soak_notes(soak: Soak) -> list[str]:
    """What the columns mean, and every failure the soak recorded."""
    lines = ["Recoveries: lease takeovers for single-writer rings; for the others, writer kills "
             "after which readers saw new frames. Longest stall: the longest no reader saw a "
             "new frame; longest pending: the longest a claimed counter stayed uncommitted "
             "(the soak fails past 3 s of either).", ""]
    failures = [f"{name}: {why}" for name, v in soak.variants.items() for why in v.failures]
    if failures:
        lines += ["Failures:", ""] + [f"- {f}" for f in failures] + [""]
    return lines


def soak_markdown(soak: Soak) -> str:
    """soak.md: the summary, one row per variant, the notes."""
    rows = [[f"**{name}**", *soak_cells(v)] for name, v in soak.variants.items()]
    lines = ["# Crash soak", "", soak_summary(soak), ""]
    lines += md_table(["variant", *soak_headers()], rows) + soak_notes(soak)
    return "\n".join(lines) + "\n"


def soak_lines(finding: SoakFinding, variants: list[str]) -> list[str]:
    """The report's soak table: one row per shareable variant of the run, then the soak's
    other variants; or a sentence saying there is no soak."""
    lines = ["### Crash soak", ""]
    soak = finding.soak
    if soak is None:
        if finding.problem:
            return lines + [f"The newest crash soak could not be read: {finding.problem}", ""]
        return lines + ["No crash soak was found (no soak.json in this run's directory or in a "
                        "soak-* directory beside it): `scripts/ringlab soak --minutes 1` runs "
                        "one.", ""]
    names = variants + [n for n in soak.variants if n not in variants]
    rows = [[f"**{n}**", *(soak_cells(soak.variants[n]) if n in soak.variants
                          else ["not in this soak"] + ["–"] * (len(soak_headers()) - 1))]
            for n in names]
    lines += [f"{soak_summary(soak)} From [{finding.link}]({finding.link}).", ""]
    return lines + md_table(["variant", *soak_headers()], rows) + soak_notes(soak)


def soak_verdict(finding: SoakFinding, variant: str) -> str:
    """One variant's soak in a few words, for the evidence column of a need."""
    v = finding.soak.variants.get(variant) if finding.soak is not None else None
    if v is None:
        return "no crash soak"
    return (f"crash soak {v.processes_started} processes, {v.writer_kills} writers killed, "
            f"{v.torn} torn, " + ("passed" if v.passed else "**failed**"))
