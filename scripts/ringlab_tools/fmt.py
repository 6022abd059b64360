"""Numbers as the report prints them, and the counters ringlab_bench reports
(harness/bench/support/counters.hpp) with their units and which way is better."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


def _scaled(value: float, units: list[tuple[float, str]]) -> str:
    for scale, unit in units:
        if abs(value) >= scale:
            x = value / scale
            digits = 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0
            return f"{x:.{digits}f} {unit}"
    return f"{value:.2g} {units[-1][1]}"


def fmt_ns(v: float) -> str:
    return f"{v:,.1f} ns"


def fmt_rate(v: float) -> str:
    return _scaled(v, [(1e9, "G/s"), (1e6, "M/s"), (1e3, "k/s"), (1, "/s")])


def fmt_bytes_rate(v: float) -> str:
    return _scaled(v, [(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"), (1, "B/s")])


def fmt_count(v: float) -> str:
    if abs(v) < 1e3:
        return f"{v:.0f}"
    return _scaled(v, [(1e9, "G"), (1e6, "M"), (1e3, "k")])


def fmt_pct(v: float) -> str:
    return "0 %" if v == 0 else f"{v * 100:.2f} %"


def fmt_plain(v: float) -> str:
    return f"{v:.3f}"


def fmt_ratio(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}×"


def fmt_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@dataclass(frozen=True)
class Counter:
    label: str
    fmt: Callable[[float], str]
    better: str | None  # "higher", "lower" or None
    meaning: str


COUNTERS = {
    "frames_per_s": Counter("frames/s", fmt_rate, "higher",
                            "frames written (rings) or pushed (peers) per second of real "
                            "time, all writers together"),
    "delivered_per_s": Counter("delivered/s", fmt_rate, "higher",
                               "frames one reader received per second, mean over readers"),
    "bytes_per_s": Counter("bytes/s", fmt_bytes_rate, "higher",
                           "payload bytes behind delivered/s (or written, or copied by "
                           "memcpy)"),
    "loss_rate": Counter("loss", fmt_pct, "lower",
                         "frames a reader lost to overwriting / (received + lost); a queue "
                         "never loses, an overwrite ring's slow reader does"),
    "retries_per_frame": Counter("retries/frame", fmt_plain, "lower",
                                 "polls that stopped at a Pending counter, per frame "
                                 "received"),
    "p50_ns": Counter("p50", fmt_ns, "lower", "median of the latency histogram"),
    "p90_ns": Counter("p90", fmt_ns, "lower", "90th percentile"),
    "p99_ns": Counter("p99", fmt_ns, "lower", "99th percentile"),
    "p999_ns": Counter("p99.9", fmt_ns, "lower", "99.9th percentile"),
    "max_ns": Counter("max", fmt_ns, "lower", "largest sample"),
    "samples": Counter("samples", fmt_count, None, "latency samples in the histogram"),
    "one_way_ns": Counter("one-way (mean)", fmt_ns, "lower",
                          "cache-line ping-pong: mean round trip / 2, unstamped"),
    "ack_timeouts": Counter("ack timeouts", fmt_count, "lower",
                            "latency rounds a writer gave up waiting for every reader's "
                            "acknowledgement (50 ms; 200 ms oversubscribed)"),
    "backwards_stamps": Counter("backwards stamps", fmt_count, "lower",
                                "latency samples received before they were sent by the "
                                "clocks (the cores' TSCs disagree); recorded as 0 ns"),
}


def fmt_counter(counter: str, value: float | None) -> str:
    if value is None:
        return "–"
    spec = COUNTERS.get(counter)
    return spec.fmt(value) if spec else f"{value:.4g}"
