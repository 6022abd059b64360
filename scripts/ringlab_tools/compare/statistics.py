"""Whether B differs from A, per benchmark and counter: the ratio of medians B/A with a
bootstrap confidence interval (scipy.stats.bootstrap), the two-sided Mann-Whitney U test
(scipy.stats.mannwhitneyu), and Holm's correction across every test made."""

from __future__ import annotations

import math
import statistics
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import bootstrap, mannwhitneyu

from ..fmt import COUNTERS

# The counters a comparison reads, where a benchmark reports them.
COMPARED = ("p50_ns", "p99_ns", "p999_ns", "delivered_per_s", "frames_per_s", "loss_rate")

FASTER, SLOWER, NO_DIFFERENCE = "faster", "slower", "no difference shown"
CONFIDENCE = 0.95
RESAMPLES = 9999
SEED = 13  # fixed, so the same samples always give the same interval


@dataclass
class Row:
    """One benchmark's one counter: B's samples against A's."""
    benchmark: str
    counter: str
    a: list[float]
    b: list[float]
    median_a: float | None = None
    median_b: float | None = None
    ratio: float | None = None        # median B / median A
    ci: tuple[float, float] | None = None
    ci_method: str | None = None
    p: float | None = None            # U test, two-sided
    p_holm: float | None = None
    verdict: str = NO_DIFFERENCE
    notes: list[str] = field(default_factory=list)

    @property
    def better(self) -> str:
        return COUNTERS[self.counter].better or "lower"

    def to_json(self) -> dict:
        return {"benchmark": self.benchmark, "counter": self.counter, "better": self.better,
                "a": self.a, "b": self.b, "n_a": len(self.a), "n_b": len(self.b),
                "median_a": self.median_a, "median_b": self.median_b, "ratio": self.ratio,
                "ci_low": self.ci[0] if self.ci else None,
                "ci_high": self.ci[1] if self.ci else None, "ci_method": self.ci_method,
                "p": self.p, "p_holm": self.p_holm, "verdict": self.verdict,
                "notes": self.notes}


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    # scipy has no family-wise correction, and statsmodels is not installed here.
    m = len(pvalues)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: pvalues[k])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def smallest_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value the exact U test can give: one side's samples all
    below the other's."""
    return 2 / math.comb(n_a + n_b, n_a)


def _ratio_of_medians(a, b, axis=-1):
    median_a = np.median(a, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(median_a > 0, np.median(b, axis=axis) / median_a, np.nan)


def ratio_interval(a: list[float], b: list[float]) -> tuple[tuple[float, float] | None, str]:
    """The 95 % interval of median(B)/median(A), resampling each side on its own: BCa,
    or the percentile interval where BCa is undefined (a side with too few distinct
    values). None where a resample's median of A is 0."""
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a degenerate BCa comes back as nan
            res = bootstrap((np.asarray(a), np.asarray(b)), _ratio_of_medians,
                            vectorized=True, paired=False, confidence_level=CONFIDENCE,
                            n_resamples=RESAMPLES, method=method,
                            random_state=np.random.default_rng(SEED))
        low, high = res.confidence_interval
        if math.isfinite(low) and math.isfinite(high):
            return (float(low), float(high)), method
    return None, "none"


def _describe(row: Row) -> bool:
    """Fills in the medians, the ratio and the test of one row; False where there is
    nothing to test (a side missing, too small, or both sides one and the same value)."""
    a, b = row.a, row.b
    if not a or not b:
        row.notes.append(f"missing in {'A' if not a else 'B'}" if a or b else "missing")
        return False
    row.median_a, row.median_b = statistics.median(a), statistics.median(b)
    if row.median_a > 0:
        row.ratio = row.median_b / row.median_a
    elif row.median_b == row.median_a:
        row.ratio = 1.0
    if len(a) < 2 or len(b) < 2:
        row.notes.append(f"too few samples to test ({len(a)} and {len(b)})")
        return False
    constant_a, constant_b = len(set(a)) == 1, len(set(b)) == 1
    if constant_a and constant_b and a[0] == b[0]:
        row.notes.append(f"constant on both sides ({a[0]:g})")
        return False
    if constant_a or constant_b:
        row.notes.append(f"constant in {'A' if constant_a else 'B'} "
                         f"({(a if constant_a else b)[0]:g})")
    row.p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if row.median_a <= 0:
        row.notes.append("A's median is 0: no ratio")
        return True
    row.ci, row.ci_method = ratio_interval(a, b)
    if row.ci is None:
        row.notes.append("no interval: A's median is 0 in some resamples")
    return True


def verdict(row: Row, alpha: float) -> str:
    """B against A: faster (better for this counter) or slower only where the adjusted
    p-value is below alpha and the interval of the ratio excludes 1."""
    if row.p_holm is None or row.ci is None or row.p_holm >= alpha:
        return NO_DIFFERENCE
    low, high = row.ci
    if low <= 1 <= high:
        return NO_DIFFERENCE
    b_is_higher = low > 1
    return FASTER if b_is_higher == (row.better == "higher") else SLOWER


def compare(samples_a: dict[str, dict[str, list[float]]],
            samples_b: dict[str, dict[str, list[float]]], alpha: float) -> list[Row]:
    """Rows for every benchmark in both, and every compared counter either side has, with
    Holm's correction over the rows that were tested. samples: benchmark -> counter ->
    values, one per repetition."""
    rows = []
    for bench in [name for name in samples_a if name in samples_b]:
        a, b = samples_a[bench], samples_b[bench]
        for counter in COMPARED:
            if counter in a or counter in b:
                rows.append(Row(bench, counter, list(a.get(counter, [])),
                                list(b.get(counter, []))))
    tested = [row for row in rows if _describe(row)]
    for row, p in zip(tested, holm([row.p for row in tested])):
        row.p_holm = p
    for row in rows:
        row.verdict = verdict(row, alpha)
    return rows


def counts(rows: list[Row]) -> dict[str, int]:
    return {v: sum(r.verdict == v for r in rows) for v in (FASTER, SLOWER, NO_DIFFERENCE)}
