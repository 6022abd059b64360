"""Cost per frame: what one write and one delivered frame execute (cost.json, counted
under callgrind), beside the timings of the same subjects."""

from __future__ import annotations

from ..cost import FrameCost
from ..figures import LATENCY_P50, TRANSFER
from ..markdown import figure, md_table
from ..rundata import Run


def _instructions(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def cost_row(run: Run, cost: FrameCost) -> list[str]:
    known = run.subjects.get(cost.name)
    family = known.family if known is not None else cost.family
    name = f"**{cost.name}**" if family == "ring" else f"{cost.name} ({family})"
    return [name, _instructions(cost.instructions_per_write),
            _instructions(cost.instructions_per_delivered),
            f"{cost.locked_write} / {cost.locked_read}",
            f"{cost.fences_write} / {cost.fences_read}",
            figure(run, LATENCY_P50.bench(run, cost.name), "p50_ns"),
            figure(run, TRANSFER.bench(run, cost.name), "delivered_per_s")]


def section_cost(run: Run) -> list[str]:
    if run.cost is None:
        return []
    order = {s.name: i for i, s in enumerate(run.rings() + run.peers())}
    costs = sorted(run.cost.subjects, key=lambda c: (order.get(c.name, len(order)), c.name))
    lines = ["## Cost per frame", "",
             f"What one frame costs, counted by {run.cost.tool} (cost.json): instructions "
             "per write and per frame delivered, and the locked instructions and fences "
             "among them (write / read), beside the one-way p50 and transfer delivered/s "
             "of this run at 1 writer × 1 reader, 64 B. Counts do not depend on the "
             "machine's load; the timings do.", ""]
    if not costs:
        return lines + ["cost.json lists no subject.", ""]
    return lines + md_table(["subject", "instructions / write", "instructions / delivered",
                             "locked (write / read)", "fences (write / read)", "p50",
                             "transfer delivered/s"],
                            [cost_row(run, c) for c in costs])
