"""Calling a difference between two sets of repetitions: the two-sided Mann-Whitney U
test of Google Benchmark's compare.py."""

from __future__ import annotations

import math
import statistics
import sys
from dataclasses import dataclass

from .fmt import fmt_p

MIN_REPS_TO_CALL = 4
ALPHA = 0.05


def _gbench_utest():
    """gbench.report.calc_utest from Debian's libbenchmark-tools, if importable."""
    share = "/usr/share/benchmark"
    if share not in sys.path:
        sys.path.append(share)
    try:
        from gbench.report import calc_utest  # noqa: PLC0415
        return calc_utest
    except Exception:  # noqa: BLE001 - any import problem means: use scipy directly
        return None


_CALC_UTEST = _gbench_utest()
UTEST_SOURCE = ("Google Benchmark's own `gbench.report.calc_utest` (libbenchmark-tools, "
                "/usr/share/benchmark)" if _CALC_UTEST else
                "`scipy.stats.mannwhitneyu` (gbench from libbenchmark-tools not importable)")


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    if _CALC_UTEST is not None:
        _, _, time_p = _CALC_UTEST([a, b], [a, b])
        return float("nan") if time_p is None else float(time_p)
    from scipy.stats import mannwhitneyu  # noqa: PLC0415
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


@dataclass(frozen=True)
class Verdict:
    text: str
    p: float | None
    called: bool


def judge(a: list[float], b: list[float], better: str, a_name: str) -> Verdict:
    if min(len(a), len(b)) < MIN_REPS_TO_CALL:
        return Verdict(f"too few repetitions to call ({len(a)} vs {len(b)}; "
                       f"{MIN_REPS_TO_CALL} needed)", None, False)
    p = mann_whitney_p(a, b)
    if math.isnan(p) or p >= ALPHA:
        return Verdict(f"no difference shown (p = {fmt_p(p)})", p, False)
    ma, mb = statistics.median(a), statistics.median(b)
    a_wins = ma > mb if better == "higher" else ma < mb
    factor = max(ma, mb) / min(ma, mb) if min(ma, mb) > 0 else float("inf")
    word = "faster" if a_wins else "slower"
    return Verdict(f"**{a_name} {word}**, {factor:.2f}× (p = {fmt_p(p)})", p, True)
