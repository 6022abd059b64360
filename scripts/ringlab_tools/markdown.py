"""Markdown pieces: tables, code spans, and figures that link to their benchmark's row."""

from __future__ import annotations

from .fmt import fmt_counter
from .rundata import Benchmark, Run


def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", "<br>")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def md_code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def ref_link(run: Run, bench: Benchmark | None) -> str:
    if bench is None:
        return ""
    ref = run.ref(bench)
    return f"[{ref}](#{ref.lower()})"


def anchor(run: Run, bench: Benchmark) -> str:
    """The target of ref_link: a benchmark's row in the detailed tables."""
    ref = run.ref(bench)
    return f'<a id="{ref.lower()}"></a>{ref}'


def figure(run: Run, bench: Benchmark | None, counter: str) -> str:
    """A median with the reference of the benchmark it comes from."""
    if bench is None or not bench.values(counter):
        return "not in this run"
    return f"{fmt_counter(counter, bench.median(counter))} {ref_link(run, bench)}"


def joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items
                                                                          else "")
