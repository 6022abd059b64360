"""cost.json: what one frame costs in instructions, locked operations and fences, counted
under callgrind by harness/bench/cost/measure_cost.py, per ring variant and peer.

    {"tool": str, "subjects": [{"name", "family", "instructions_per_write",
     "instructions_per_delivered", "locked_write", "locked_read", "fences_write",
     "fences_read"}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .jsonio import check_shape, integer, number, read_json, text


@dataclass(frozen=True)
class FrameCost:
    name: str
    family: str
    instructions_per_write: float | None
    instructions_per_delivered: float | None
    locked_write: int
    locked_read: int
    fences_write: int
    fences_read: int


@dataclass(frozen=True)
class CostTable:
    tool: str
    subjects: tuple[FrameCost, ...]

    def of(self, name: str) -> FrameCost | None:
        return next((c for c in self.subjects if c.name == name), None)


def read_cost(path: Path) -> CostTable | None:
    """The cost table of a run directory, or None where it has none."""
    if not path.exists():
        return None
    data = check_shape(read_json(path, "cost.json"), {"subjects": list}, path)
    entries = []
    for entry in data.get("subjects") or []:
        check_shape(entry, {}, f"{path} subject")
        if not isinstance(entry.get("name"), str):
            raise InputError(f"{path}: a subject without a name")
        entries.append(FrameCost(
            entry["name"], text(entry, "family", "?"),
            number(entry, "instructions_per_write"), number(entry, "instructions_per_delivered"),
            integer(entry, "locked_write"), integer(entry, "locked_read"),
            integer(entry, "fences_write"), integer(entry, "fences_read")))
    return CostTable(text(data, "tool", "not recorded"), tuple(entries))
