"""Callgrind's output files, as ringlab_cost makes them: one dump per subject, written with
--compress-strings=no --compress-pos=no --demangle=no --dump-instr=yes (positions: instr
line; events: Ir), read into per-function self costs by source line and by instruction
address (an instruction's Ir is how often it ran) and call arcs with their inclusive costs.
The format is callgrind's own (valgrind's docs, "Callgrind Format Specification")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

Key = tuple[str, str]  # (object file, function name as callgrind wrote it)


@dataclass
class Call:
    callee: Key
    count: int  # calls made (callgrind counts them even while not collecting)
    cost: int  # instructions of the callee, inclusive, while collecting


@dataclass
class CgFunction:
    key: Key
    self_cost: int = 0
    by_line: Counter[tuple[str, int]] = field(default_factory=Counter)
    by_address: Counter[int] = field(default_factory=Counter)  # address in the object -> runs
    calls: list[Call] = field(default_factory=list)


class Dump:
    """One part of a callgrind run: what was counted between two dumps."""

    def __init__(self, trigger: str):
        self.trigger = trigger
        self.functions: dict[Key, CgFunction] = {}
        self._callers: dict[Key, list[tuple[Key, Call]]] | None = None
        self._runs: dict[str, Counter[int]] = {}

    def function(self, key: Key) -> CgFunction:
        if key not in self.functions:
            self.functions[key] = CgFunction(key)
        return self.functions[key]

    def inclusive(self, key: Key) -> int:
        f = self.functions.get(key)
        return 0 if f is None else f.self_cost + sum(c.cost for c in f.calls)

    def callers(self, key: Key) -> list[tuple[Key, Call]]:
        if self._callers is None:
            self._callers = {}
            for f in self.functions.values():
                for call in f.calls:
                    self._callers.setdefault(call.callee, []).append((f.key, call))
        return self._callers.get(key, [])

    def runs(self, obj: str, address: int) -> int:
        """How often the instruction at this address of the object file ran."""
        if obj not in self._runs:
            total: Counter[int] = Counter()
            for f in self.functions.values():
                if f.key[0] == obj:
                    total.update(f.by_address)
            self._runs[obj] = total
        return self._runs[obj][address]

    def calls_into(self, key: Key, callers: set[Key] | None = None) -> int:
        """Calls made to the function (only those from `callers`, if given)."""
        return sum(call.count for caller, call in self.callers(key)
                   if callers is None or caller in callers)

    def find(self, obj: str, names: list[str]) -> Key | None:
        for name in names:
            if (obj, name) in self.functions:
                return obj, name
        return None

    def reached(self, root: Key) -> list[Key]:
        """Functions the root called, transitively, that ran while collecting."""
        seen = {root}
        order = []
        queue = [root]
        while queue:
            f = self.functions.get(queue.pop(0))
            if f is None:
                continue
            for call in f.calls:
                if call.cost == 0 or call.callee in seen:
                    continue
                seen.add(call.callee)
                order.append(call.callee)
                queue.append(call.callee)
        return order


def parse(path: Path) -> Dump:
    dump = Dump("")
    obj = file_ = fn_file = ""
    current: CgFunction | None = None
    callee_obj: str | None = None
    callee_name: str | None = None
    pending_calls: int | None = None
    with_address = False  # positions: "instr line" or "line"
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head = line[0]
        if head.isdigit() or head in "+-*":
            parts = line.split()
            address = int(parts.pop(0), 16) if with_address else None
            cost = int(parts[1]) if len(parts) > 1 else 0
            if current is None:
                continue
            if pending_calls is not None and callee_name is not None:
                current.calls.append(Call((callee_obj or obj, callee_name), pending_calls, cost))
                pending_calls = callee_obj = callee_name = None
                continue
            current.self_cost += cost
            source_line = int(parts[0]) if parts[0].isdigit() else 0
            current.by_line[(file_, source_line)] += cost
            if address is not None:
                current.by_address[address] += cost
            continue
        key, _, value = line.partition("=")
        if key == "ob":
            obj = value
        elif key == "fl":
            fn_file = file_ = value
        elif key in ("fi", "fe"):
            file_ = value
        elif key == "fn":
            current = dump.function((obj, value))
            file_ = fn_file
        elif key == "cob":
            callee_obj = value
        elif key == "cfn":
            callee_name = value
        elif key == "calls":
            pending_calls = int(value.split()[0])
        elif line.startswith("positions:"):
            with_address = "instr" in line.split()[1:]
        elif line.startswith("desc: Trigger: Client Request:"):
            dump.trigger = line.split(":", 3)[3].strip()
    return dump
