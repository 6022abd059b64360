#!/usr/bin/python3
"""Checks the machine code of the rings' write paths in an optimised build of ringlab_cost:
the single-writer rings execute no locked instruction and no fence per write, and the
multi-writer rings do hold locked instructions (so this check can fail).

A write path is the subject's write function and every function of the binary it reaches
by direct calls and jumps (disasm.py); `ringlab_cost --symbols` names the functions without
running anything. Each locked instruction (lock prefix, xchg with memory) and fence (mfence,
lfence, sfence, GCC's `lock or $0,(%rsp)`) found is attributed to the source functions it
was inlined from (addr2line -i).

Single-writer rings:
  - the write function itself holds none;
  - every other one comes from a site the design allows off the per-write path:
      Sequencer::refresh_sole_floor  the gated writer's gate scan, once a lap: its seq_cst
                                     fence (D18), in that function's own out-of-line code;
      Sequencer::release_dead_gates  frees a dead reader process's gate, only while a
                                     gated writer waits for room;
  - where a path reaches refresh_sole_floor, that function holds its fence.
Multi-writer rings: the path holds a locked instruction from elsewhere (the claim's
fetch_add or compare-exchange), or calls pthread's locks; at least one ring shows the
former, so the detector is seen to find what it must.

Usage: check_write_path.py RINGLAB_COST   (exit 0: holds; 1: does not; 2: bad arguments)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import disasm  # noqa: E402

ALLOWED = {
    "refresh_sole_floor": "the gated writer's once-a-lap gate scan (D18)",
    "release_dead_gates": "a dead reader's gate freed while a gated writer waits for room",
}
FENCE_SITE = "refresh_sole_floor"


def source_functions(binary: Path, addresses: list[int]) -> dict[int, list[str]]:
    """For each address, the functions it was inlined from, innermost first."""
    if not addresses:
        return {}
    addr2line = disasm.require_tool("addr2line", "binutils")
    out = subprocess.run([addr2line, "-e", str(binary), "-a", "-f", "-i", "-C"]
                         + [f"{a:#x}" for a in addresses],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    chains: dict[int, list[str]] = {}
    current: list[str] | None = None
    i = 0
    while i < len(out):
        line = out[i]
        if line.startswith("0x"):
            current = chains.setdefault(int(line, 16), [])
            i += 1
            continue
        if current is not None:
            current.append(line)
        i += 2  # a function's name, then its file:line
    return chains


def allowed_site(chain: list[str]) -> str | None:
    for function in chain:
        for site in ALLOWED:
            if is_function(function, site):
                return site
    return None


def is_function(demangled: str, site: str) -> bool:
    return f"::{site}(" in demangled


def short_name(demangled: str) -> str:
    """A demangled name without template arguments or parameters."""
    out, depth = [], 0
    for ch in demangled.replace("(anonymous namespace)", "{anonymous}"):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            if ch == "(":
                break
            out.append(ch)
    return "".join(out).split()[-1]  # without a return type


def describe(kind: str, address: int, function: str, chain: list[str]) -> str:
    inlined = " <- ".join(short_name(c) for c in chain[:4]) or "?"
    return f"{kind} at {address:#x} in {short_name(function)} (inlined from {inlined})"


def check(binary: Path) -> list[str]:
    """Returns the failures; prints what it found."""
    listing = subprocess.run([str(binary), "--symbols"], check=True, capture_output=True,
                             text=True).stdout
    anchor, subjects = disasm.parse_subjects(listing)
    code = disasm.Disassembly(binary)
    symbols = disasm.Symbols(code, anchor)
    rings = [s for s in subjects if s.family == "ring"]
    paths = {s.name: code.reach(symbols.function(s.write)) for s in rings}
    marked = [(f, a, k) for p in paths.values() for f in p.functions for a, k in f.marked]
    chains = source_functions(binary, sorted({a for _, a, _ in marked}))
    names = disasm.demangle([f.name for p in paths.values() for f in p.functions])
    failures: list[str] = []
    fence_site_seen = False
    detector_seen = False
    for s in rings:
        path = paths[s.name]
        allowed, other = [], []
        for f in path.functions:
            for address, kind in f.marked:
                site = None if f is path.root else allowed_site(chains.get(address, []))
                entry = (f, address, kind, site)
                (allowed if site else other).append(entry)
        if s.single_writer:
            for f, address, kind, _ in other:
                where = "the write function itself" if f is path.root else "its path"
                failures.append(f"{s.name}: {where} holds "
                                + describe(kind, address, names[f.name], chains.get(address, [])))
            for f, address, kind, site in allowed:
                if site == FENCE_SITE and not is_function(names[f.name], FENCE_SITE):
                    failures.append(f"{s.name}: the {FENCE_SITE} fence is inlined into "
                                    f"{names[f.name]}: it must stay out of line")
            for f in path.functions:
                if is_function(names[f.name], FENCE_SITE):
                    fence_site_seen = True
                    if not any(k != "locked" for _, k in f.marked):
                        failures.append(f"{s.name}: {FENCE_SITE} holds no fence")
            kinds = ", ".join(f"{k} ({ALLOWED[site]})" for _, _, k, site in allowed) or "none"
            print(f"{s.name}: single writer, {len(path.functions)} functions, "
                  f"{len(other)} locked instructions or fences on the write path; "
                  f"allowed off it: {kinds}")
        else:
            pthread = [e for e in path.external if e.startswith("pthread_")]
            if other:
                detector_seen = True
            elif not pthread:
                failures.append(f"{s.name}: a multi-writer write path without a locked "
                                "instruction or a pthread lock: the detector missed it")
            found = ", ".join(sorted({k for _, _, k, _ in other})) or "none in the binary"
            print(f"{s.name}: multi writer, {len(other)} locked instructions or fences "
                  f"({found}){'; calls ' + ', '.join(pthread) if pthread else ''}")
    if not any(s.single_writer for s in rings):
        failures.append("ringlab_cost lists no single-writer ring")
    elif not fence_site_seen:
        failures.append(f"no single-writer write path reaches {FENCE_SITE}: the gated "
                        "single-writer ring is missing or the function was inlined")
    if not detector_seen:
        failures.append("no multi-writer ring shows a locked instruction in the binary")
    return failures


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print("check_write_path.py: give the path of ringlab_cost (see --help)", file=sys.stderr)
        return 2
    try:
        failures = check(Path(argv[0]))
    except disasm.ToolMissing as e:
        print(f"check_write_path.py: {e}", file=sys.stderr)
        return 2
    except (ValueError, subprocess.CalledProcessError) as e:
        print(f"check_write_path.py: {e}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
