"""Benchmark names: `<family>/<scenario>/<subject>/key:value/...`, with the parts Google
Benchmark appends for its run options (`/min_time:0.100/real_time`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Name parts Google Benchmark appends itself (MinTime, UseRealTime, Threads, ...).
GB_OPTIONS = frozenset({"min_time", "min_warmup_time", "real_time", "manual_time",
                        "process_time", "threads", "iterations", "repeats"})

# An axis a name leaves out has this value: a benchmark without w: or r: has one writer
# and one reader.
AXIS_DEFAULTS = {"w": 1, "r": 1}

# ring/<scenario>_xproc/...: the twin of ring/<scenario>/... (same subject and axes) with
# its reader in another process, over a ring in POSIX shared memory.
XPROC = "_xproc"

Axis = tuple[str, "int | float | str"]


def base_name(run_name: str) -> str:
    """A benchmark name without the parts Google Benchmark appends for run options."""
    return "/".join(p for p in run_name.split("/") if p.partition(":")[0] not in GB_OPTIONS)


def exact_filter(name: str) -> str:
    """A --benchmark_filter matching just `name` (Google Benchmark's regex is POSIX
    extended: escape only what is special there)."""
    return "^" + re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name) + "$"


def axis_value(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class BenchName:
    """A benchmark name, parsed once."""
    family: str
    scenario: str
    subject: str
    axes: tuple[Axis, ...]  # in name order
    options: tuple[str, ...]  # Google Benchmark's own suffixes, e.g. ("min_time:0.100",)

    @classmethod
    def parse(cls, run_name: str) -> BenchName:
        parts = run_name.split("/")
        head = (parts[:3] + ["", "", ""])[:3]
        axes, options = [], []
        for part in parts[3:]:
            key, sep, value = part.partition(":")
            if key in GB_OPTIONS or not sep:
                options.append(part)
            else:
                axes.append((key, axis_value(value)))
        return cls(head[0], head[1], head[2], tuple(axes), tuple(options))

    def axis(self, key: str, default=None):
        """An axis's value; one a name leaves out has its implied value, else `default`."""
        return dict(self.axes).get(key, AXIS_DEFAULTS.get(key, default))

    def has(self, key: str) -> bool:
        return key in dict(self.axes)

    def matches(self, strict: dict) -> bool:
        """Every axis of `strict` has its value here; an axis without an implied value
        that this name lacks matches anything."""
        return all(self.axis(k, v) == v for k, v in strict.items())

    @property
    def cross_process(self) -> bool:
        return self.scenario.endswith(XPROC)

    @property
    def base_scenario(self) -> str:
        """The scenario of the in-process twin ("latency" for "latency_xproc")."""
        return self.scenario.removesuffix(XPROC)
