"""Machine code of a path, read with objdump: the functions a path runs through and the
locked instructions and fences among them. Shared by measure_cost.py and
check_write_path.py.

A path is a root function and every function of the same binary it reaches by direct calls
or jumps (tail calls, .cold parts), to a bounded depth. Calls through the PLT leave the
binary: they are recorded as external and not followed here. Counted per function:
`lock`-prefixed instructions, `xchg` with a memory operand (implicitly locked), and the
fences mfence, lfence and sfence, and `lock or $0,(%rsp)`: a locked no-op on the stack,
which GCC emits for a seq_cst fence in place of mfence, counted as a fence.
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

STACK_LOCK_OR = "lock or $0,(%rsp)"
FENCES = ("mfence", "lfence", "sfence", STACK_LOCK_OR)
# The depth to which paths are followed: the root, its callees, theirs, and so on.
DEFAULT_DEPTH = 6

_HEADER = re.compile(r"^([0-9a-f]+) <(.+)>:$")
_INSN = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
_SECTION = re.compile(r"^Disassembly of section (\S+):$")
# A direct branch: `call 1234 <name>`, `jne 1234 <name+0x10>` (with an optional bnd or
# notrack prefix).
_BRANCH = re.compile(r"^(?:(?:bnd|notrack)\s+)?(call|j[a-z]+)\w*\s+([0-9a-f]+) <([^>]+)>")
# An indirect call through the GOT (-fno-plt): objdump names the slot's symbol.
_STACK_FENCE = re.compile(r"^lock\s+or[bwlq]?\s+\$0x0,(-?0x[0-9a-f]+)?\(%rsp\)$")
_GOT_CALL = re.compile(r"^(?:(?:bnd|notrack)\s+)?(call|jmp)\w*\s+\*.*# [0-9a-f]+ <([^>+]+)")


class ToolMissing(Exception):
    """A program this needs is not installed; the message names the Debian package."""


def require_tool(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ToolMissing(f"{program} is not installed: install the Debian package {package}")
    return path


@dataclass
class Counts:
    locked: int = 0
    fences: dict[str, int] = field(default_factory=lambda: {f: 0 for f in FENCES})

    @property
    def fence_total(self) -> int:
        return sum(self.fences.values())

    def add(self, other: Counts) -> None:
        self.locked += other.locked
        for f in FENCES:
            self.fences[f] += other.fences[f]


def classify(text: str) -> tuple[bool, str | None]:
    """Whether an instruction is locked, and which fence it is (or None)."""
    words = text.split()
    if not words:
        return False, None
    if words[0] == "lock":
        return (False, STACK_LOCK_OR) if _STACK_FENCE.match(text) else (True, None)
    mnemonic = words[0]
    if mnemonic.startswith("xchg") and "(" in text:
        return True, None
    if mnemonic in FENCES:
        return False, mnemonic
    return False, None


@dataclass
class Function:
    name: str  # as in the symbol table (mangled)
    start: int
    end: int
    section: str
    counts: Counts = field(default_factory=Counts)
    # (address, "locked" or the fence's kind) of each instruction counted
    marked: list[tuple[int, str]] = field(default_factory=list)
    # (target address, target name) of every direct branch leaving the function
    exits: list[tuple[int, str]] = field(default_factory=list)
    # external symbols called through the GOT
    got_calls: list[str] = field(default_factory=list)

    @property
    def is_plt(self) -> bool:
        return self.section.startswith(".plt") or self.name.endswith("@plt")


def external_name(name: str) -> str:
    """A PLT stub's or GOT slot's symbol without @plt or a symbol version."""
    return name.split("@", 1)[0]


class Disassembly:
    """Every function objdump shows in a binary's code sections."""

    def __init__(self, binary: Path, text: str | None = None):
        self.binary = binary
        if text is None:
            objdump = require_tool("objdump", "binutils")
            text = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-w", str(binary)],
                                  check=True, capture_output=True, text=True).stdout
        self.functions: list[Function] = []
        self._parse(text)
        self._starts = [f.start for f in self.functions]
        self.by_name: dict[str, list[Function]] = {}
        for f in self.functions:
            self.by_name.setdefault(f.name, []).append(f)

    def _parse(self, text: str) -> None:
        section = ""
        current: Function | None = None
        lines: list[tuple[int, str]] = []
        pending_lock = False

        def close() -> None:
            if current is None:
                return
            current.end = lines[-1][0] + 1 if lines else current.start
            self.functions.append(current)

        for line in text.splitlines():
            if m := _SECTION.match(line):
                close()
                current, lines = None, []
                section = m.group(1)
                continue
            if m := _HEADER.match(line):
                close()
                current, lines = Function(m.group(2), int(m.group(1), 16), 0, section), []
                continue
            m = _INSN.match(line)
            if m is None or current is None:
                continue
            address, text_ = int(m.group(1), 16), m.group(2).strip()
            lines.append((address, text_))
            if text_ == "lock":  # a prefix objdump printed on its own line
                pending_lock = True
                continue
            locked, fence = classify(text_)
            if locked or pending_lock:
                current.counts.locked += 1
                current.marked.append((address, "locked"))
            elif fence is not None:
                current.counts.fences[fence] += 1
                current.marked.append((address, fence))
            pending_lock = False
            if b := _BRANCH.match(text_):
                current.exits.append((int(b.group(2), 16), b.group(3)))
            elif g := _GOT_CALL.match(text_):
                current.got_calls.append(g.group(2))
        close()
        self.functions.sort(key=lambda f: f.start)
        # A function ends where the next begins (objdump lists the padding with it).
        for f, nxt in zip(self.functions, self.functions[1:]):
            if nxt.section == f.section and nxt.start > f.start:
                f.end = nxt.start

    def function_at(self, address: int) -> Function | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i < 0:
            return None
        f = self.functions[i]
        return f if f.start <= address < f.end else None

    def named(self, name: str) -> Function | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def aliases(self, function: Function) -> list[str]:
        """Every symbol objdump put at the function's address (identical code folded)."""
        return [f.name for f in self.functions if f.start == function.start]

    def reach(self, root: Function, depth: int = DEFAULT_DEPTH) -> CodePath:
        """The root and the functions of this binary it reaches, breadth first."""
        seen: dict[int, int] = {root.start: 0}
        order = [root]
        external: list[str] = []
        queue = [root]
        while queue:
            f = queue.pop(0)
            level = seen[f.start]
            for name in f.got_calls:
                if external_name(name) not in external:
                    external.append(external_name(name))
            for target, name in f.exits:
                if f.start <= target < f.end:
                    continue
                callee = self.function_at(target)
                if callee is None:
                    continue
                if callee.is_plt:
                    ext = external_name(name)
                    if ext not in external:
                        external.append(ext)
                    continue
                if callee.start in seen or level + 1 > depth:
                    continue
                seen[callee.start] = level + 1
                order.append(callee)
                queue.append(callee)
        return CodePath(root, order, external, {f.start: seen[f.start] for f in order})


@dataclass
class CodePath:
    root: Function
    functions: list[Function]  # root first
    external: list[str]  # symbols called outside the binary, not followed
    depth: dict[int, int]  # start address -> call depth from the root

    def counts(self) -> Counts:
        total = Counts()
        for f in self.functions:
            total.add(f.counts)
        return total


_DEMANGLE_CACHE: dict[str, str] = {}


def demangle(names: list[str]) -> dict[str, str]:
    """Readable names (c++filt, from binutils), keeping suffixes such as .cold."""
    missing = [n for n in dict.fromkeys(names) if n not in _DEMANGLE_CACHE]
    if missing:
        cxxfilt = require_tool("c++filt", "binutils")
        out = subprocess.run([cxxfilt], input="\n".join(missing) + "\n", check=True,
                             capture_output=True, text=True).stdout.splitlines()
        for name, readable in zip(missing, out):
            _DEMANGLE_CACHE[name] = readable
    return {n: _DEMANGLE_CACHE.get(n, n) for n in names}


@dataclass(frozen=True)
class Subject:
    """One line of `ringlab_cost`'s output."""
    name: str
    family: str
    single_writer: bool
    write: int  # run-time addresses of the write and read functions
    read: int
    frames: int
    delivered: int
    warmup: int


def parse_subjects(stdout: str) -> tuple[int, list[Subject]]:
    """The anchor's run-time address and the subjects of `ringlab_cost`'s output."""
    anchor = None
    subjects = []
    for line in stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == "anchor" and len(fields) == 2:
            anchor = int(fields[1], 16)
        elif fields[0] == "subject":
            kv = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
            try:
                subjects.append(Subject(kv["name"], kv["family"], kv["writers"] == "single",
                                        int(kv["write"], 16), int(kv["read"], 16),
                                        int(kv["frames"]), int(kv["delivered"]),
                                        int(kv["warmup"])))
            except (KeyError, ValueError) as e:
                raise ValueError(f"ringlab_cost printed a subject line without {e}: {line}")
    if anchor is None:
        raise ValueError("ringlab_cost printed no anchor line")
    return anchor, subjects


ANCHOR_SYMBOL = "ringlab_cost_anchor"


class Symbols:
    """Maps ringlab_cost's run-time addresses onto its disassembly through the anchor."""

    def __init__(self, disassembly: Disassembly, runtime_anchor: int):
        anchor = disassembly.named(ANCHOR_SYMBOL)
        if anchor is None:
            raise ValueError(f"{disassembly.binary} has no symbol {ANCHOR_SYMBOL}")
        self.disassembly = disassembly
        self.delta = runtime_anchor - anchor.start

    def function(self, runtime_address: int) -> Function:
        f = self.disassembly.function_at(runtime_address - self.delta)
        if f is None or f.start != runtime_address - self.delta:
            raise ValueError(f"no function starts at {runtime_address:#x} "
                             f"(file address {runtime_address - self.delta:#x})")
        return f
