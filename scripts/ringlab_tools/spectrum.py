"""Latency percentile spectra (as HdrHistogram plots them) from the histogram buckets a
latency benchmark exports: counters `hist_le_<N>`, the samples of at most N ns and above
the next lower bound (harness/bench/support/counters.hpp). Only per-repetition rows carry
them into the model (aggregates are never read), and a spectrum merges every
repetition's buckets, so its tail rests on all of the run's samples."""

from __future__ import annotations

import math
from collections import Counter

from .rundata import Benchmark

BUCKET_PREFIX = "hist_le_"


def merged_buckets(bench: Benchmark) -> dict[int, float]:
    """Upper bound (ns) -> samples, summed over the repetitions; empty without buckets."""
    total: Counter = Counter()
    for rep in bench.reps:
        for key, count in rep.counters.items():
            if key.startswith(BUCKET_PREFIX) and key[len(BUCKET_PREFIX):].isdigit() \
                    and count > 0:
                total[int(key[len(BUCKET_PREFIX):])] += count
    return dict(sorted(total.items()))


def has_buckets(bench: Benchmark) -> bool:
    return any(k.startswith(BUCKET_PREFIX) for rep in bench.reps for k in rep.counters)


def percentile_of(buckets: dict[int, float], q: float) -> float:
    """The smallest bound with at least a fraction q of the samples at or below it."""
    # A hair below q * total: 1 - 1/10 is not exactly 0.9 in binary.
    wanted = q * sum(buckets.values()) * (1 - 1e-12)
    seen = 0.0
    for bound, count in buckets.items():
        seen += count
        if seen >= wanted:
            return float(bound)
    return float(max(buckets))


def spectrum(buckets: dict[int, float], steps_per_decade: int = 20) -> list[tuple[float, float]]:
    """(1 / (1 - q), latency at q) from q = 0 to the last percentile the samples resolve
    (1 - 1/samples), evenly spaced on the log axis; empty without samples."""
    total = sum(buckets.values())
    if total < 1:
        return []
    steps = int(math.log10(total) * steps_per_decade)
    # The median (x = 2) exactly, as the axis labels it.
    xs = sorted({10 ** (i / steps_per_decade) for i in range(steps + 1)}
                | ({2.0} if total >= 2 else set()))
    return [(x, percentile_of(buckets, 1 - 1 / x)) for x in xs]


def percentile_label(x: float) -> str:
    """The percentile at x = 1 / (1 - q): 2 -> '50%', 1000 -> '99.9%'."""
    q = (1 - 1 / x) * 100
    digits = max(0, round(math.log10(x)) - 2)
    return f"{q:.{digits}f}%"
