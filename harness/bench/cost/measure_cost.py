#!/usr/bin/python3
"""Cost per frame of every ring variant, peer queue and the bare seqlock protocol.

Runs BUILD/harness/bench/ringlab_cost once under callgrind, which counts instructions
only while each subject writes and delivers its frames, reads the machine code with
objdump, and writes per subject (JSON; the report renders it as "Cost per frame"):
  name, family, writers ("single" or "multi")
  instructions_per_write, instructions_per_delivered
      the inclusive count of the subject's write (read) function over the frames
      written (delivered)
  locked_write, locked_read, fences_write, fences_read
      locked instructions (lock prefix, xchg with memory) and fences (mfence, lfence,
      sfence, GCC's `lock or $0,(%rsp)`) in the machine code of every function the path
      ran: its own function, the functions of the binary it reaches by direct calls that
      ran (disasm.py), and the shared-library functions it ran (pthread's rwlock, for
      one); each function whole, cold branches included
  locked_run_per_write, ..._per_delivered, fences_run_per_...
      how many of those ran, per frame (a fence once a lap shows as 1/capacity)
  locked_write_reachable, ...
      as locked_write, over every function of the binary the path reaches, run or not
      (and the shared-library functions that ran)
  functions_write, functions_read
      the functions counted, with calls per frame, their locks and fences, and the ones
      left out (not run, or not exported by their library)
  by_source_write, by_source_read (rings and the protocol floor)
      instructions per frame by source file, following the calls only this path made
and prints one line per subject. --lines NAME prints a subject's instructions per frame by
source line instead, with each line's text. Python 3 standard library only; needs
valgrind and binutils.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callgrind  # noqa: E402
import disasm  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
BINARY = Path("harness/bench/ringlab_cost")
DEFAULT_FRAMES = 8192
BATCH = 256  # ringlab_cost's rounds: --frames must be a multiple


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit status 2
        raise UsageError(message)


def arguments(argv: list[str]) -> argparse.Namespace:
    p = Parser(prog="measure_cost.py", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--build", required=True, type=Path,
                   help="a configured release build directory holding ringlab_cost")
    p.add_argument("--out", type=Path, help="where to write the JSON (required unless --lines)")
    p.add_argument("--frames", type=int, default=DEFAULT_FRAMES,
                   help=f"frames counted per subject, a multiple of {BATCH} "
                        f"(default {DEFAULT_FRAMES})")
    p.add_argument("--depth", type=int, default=disasm.DEFAULT_DEPTH,
                   help="how deep to follow direct calls from a path's function "
                        f"(default {disasm.DEFAULT_DEPTH})")
    p.add_argument("--lines", metavar="NAME",
                   help="print this subject's instructions per frame by source line, no JSON")
    args = p.parse_args(argv)
    if args.frames <= 0 or args.frames % BATCH:
        raise UsageError(f"--frames takes a positive multiple of {BATCH}, got {args.frames}")
    if args.depth < 2:
        raise UsageError(f"--depth must be at least 2, got {args.depth}")
    if args.out is None and args.lines is None:
        raise UsageError("--out FILE is required (or --lines NAME)")
    if not args.build.is_dir():
        raise UsageError(f"--build {args.build}: no such directory")
    if not (args.build / BINARY).is_file():
        raise UsageError(f"{args.build / BINARY} is missing: build it with "
                         f"cmake --build {args.build} --target ringlab_cost")
    if args.out is not None and not args.out.resolve().parent.is_dir():
        raise UsageError(f"--out {args.out}: its directory does not exist")
    return args


def tool_versions(valgrind: str, objdump: str) -> str:
    vg = subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip()
    od = subprocess.run([objdump, "--version"], capture_output=True, text=True).stdout
    od_version = od.splitlines()[0].split()[-1] if od else "?"
    return f"callgrind {vg.removeprefix('valgrind-')}, objdump {od_version}"


def run_callgrind(valgrind: str, binary: Path, frames: int, workdir: Path
                  ) -> tuple[str, list[callgrind.Dump]]:
    out = workdir / "callgrind.out"
    command = [valgrind, "--tool=callgrind", "--collect-atstart=no", "--compress-strings=no",
               "--compress-pos=no", "--demangle=no", "--dump-instr=yes",
               f"--callgrind-out-file={out}",
               str(binary), "--frames", str(frames)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"ringlab_cost under callgrind exited {done.returncode}:\n{tail}")
    dumps = [callgrind.parse(p) for p in sorted(workdir.glob("callgrind.out.*"),
                                                 key=lambda p: int(p.suffix[1:]))]
    return done.stdout, [d for d in dumps if d.trigger]


def short_file(path: str) -> str:
    for prefix in (str(REPO) + "/", "/usr/include/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


class SharedLibraries:
    """Function bodies of shared libraries, by the name callgrind gave them."""

    def __init__(self, objdump: str):
        self.objdump = objdump
        self._symbols: dict[str, dict[str, tuple[int, int]]] = {}

    def _table(self, library: str) -> dict[str, tuple[int, int]]:
        if library not in self._symbols:
            nm = disasm.require_tool("nm", "binutils")
            out = subprocess.run([nm, "-D", "-S", "--defined-only", library],
                                 capture_output=True, text=True).stdout
            table: dict[str, tuple[int, int]] = {}
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 4 and parts[2] in "TtWwi":
                    address, size = int(parts[0], 16), int(parts[1], 16)
                    table.setdefault(parts[3], (address, size))
                    table.setdefault(disasm.external_name(parts[3]), (address, size))
            self._symbols[library] = table
        return self._symbols[library]

    def body(self, library: str, name: str) -> disasm.Function | None:
        """One function's body, or None when the library does not export it (an internal
        symbol: not disassembled)."""
        found = self._table(library).get(name) or self._table(library).get(
            disasm.external_name(name))
        if found is None or found[1] == 0:
            return None
        start, size = found
        text = subprocess.run([self.objdump, "-d", "--no-show-raw-insn", "-w",
                               f"--start-address={start:#x}", f"--stop-address={start + size:#x}",
                               library], capture_output=True, text=True).stdout
        body = disasm.Function(name, start, start + size, ".text")
        for f in disasm.Disassembly(Path(library), text).functions:
            body.counts.add(f.counts)
            body.marked += f.marked
        return body


class Analysis:
    def __init__(self, binary: Path, disassembly: disasm.Disassembly, symbols: disasm.Symbols,
                 libraries: SharedLibraries, depth: int):
        self.binary = str(binary.resolve())
        self.disassembly = disassembly
        self.symbols = symbols
        self.libraries = libraries
        self.depth = depth
        self.aliases = self._aliases(binary)

    @staticmethod
    def _aliases(binary: Path) -> dict[int, list[str]]:
        """Every symbol at each address: identical code folding leaves several."""
        nm = disasm.require_tool("nm", "binutils")
        out = subprocess.run([nm, "--defined-only", str(binary)], capture_output=True,
                             text=True, check=True).stdout
        table: dict[int, list[str]] = {}
        for line in out.splitlines():
            parts = line.split(maxsplit=2)
            if len(parts) == 3 and parts[1] in "Tt":
                table.setdefault(int(parts[0], 16), []).append(parts[2])
        return table

    def key_of(self, dump: callgrind.Dump, function: disasm.Function) -> callgrind.Key | None:
        names = self.aliases.get(function.start, []) + [function.name]
        return dump.find(self.binary, names)

    def path(self, dump: callgrind.Dump, runtime_address: int, units: int, per_call: int
             ) -> dict:
        """One path: instructions per unit; locked instructions and fences in the functions
        that ran (`counts`) and in every function reachable (`reachable`); the functions."""
        root = self.symbols.function(runtime_address)
        code = self.disassembly.reach(root, self.depth)
        key = self.key_of(dump, root)
        if key is None:
            raise ValueError(f"callgrind has no counts for {root.name}")
        check_addresses(dump, key, root)
        ran = set(dump.reached(key))
        path_keys = ran | {key}
        counts, reachable = disasm.Counts(), disasm.Counts()
        executed: Counter[str] = Counter()  # kind -> instructions run
        names = disasm.demangle([f.name for f in code.functions] + code.external)
        listed = []
        for f in code.functions:
            reachable.add(f.counts)
            f_key = self.key_of(dump, f)
            if f is root:
                note = ""
            elif f_key in ran:
                note = f"{dump.calls_into(f_key, path_keys) / per_call:.4g} calls/frame"
            else:
                note = "not run"
            if f is root or f_key in ran:
                counts.add(f.counts)
            share = 1.0 if f is root else path_share(dump, f_key, path_keys)
            for address, kind in f.marked:
                executed[kind] += share * dump.runs(self.binary, address)
            listed.append(describe(names[f.name], [note, tally(f.counts)]))
        # Shared-library functions the path ran: their bodies count too.
        ran_external = [k for k in ran if k[0] != self.binary]
        for obj, name in sorted(ran_external, key=lambda k: -dump.inclusive(k)):
            body = self.libraries.body(obj, name)
            calls_here = dump.calls_into((obj, name), path_keys)
            notes = [Path(obj).name, f"{calls_here / per_call:.4g} calls/frame"]
            if body is None:
                notes.append("not exported: not disassembled")
            else:
                counts.add(body.counts)
                reachable.add(body.counts)
                notes.append(tally(body.counts) or "body counted")
                share = path_share(dump, (obj, name), path_keys)
                for address, kind in body.marked:
                    executed[kind] += share * dump.runs(obj, address)
            listed.append(describe(name, notes))
        ran_names = {disasm.external_name(k[1]) for k in ran_external}
        for name in code.external:
            if name not in ran_names:
                listed.append(describe(names[name], ["shared library", "not run: not counted"]))
        locked_runs = executed.pop("locked", 0)
        return {"instructions": dump.inclusive(key) / units, "counts": counts,
                "reachable": reachable, "functions": listed, "key": key,
                "locked_per_unit": locked_runs / units,
                "fences_per_unit": sum(executed.values()) / units}

    def by_source(self, dump: callgrind.Dump, key: callgrind.Key, units: int
                  ) -> dict[str, float]:
        """Instructions per unit by source file, following calls made only from this path;
        a call also made elsewhere counts as one entry, `call NAME`."""
        totals: Counter[str] = Counter()
        visited = set()

        def visit(k: callgrind.Key) -> None:
            visited.add(k)
            f = dump.functions[k]
            for (file_, _), cost in f.by_line.items():
                totals[short_file(file_)] += cost
            for call in f.calls:
                if call.cost == 0:
                    continue
                only_here = all(caller == k for caller, _ in dump.callers(call.callee))
                if call.callee in dump.functions and only_here and call.callee not in visited:
                    visit(call.callee)
                else:
                    name = disasm.demangle([call.callee[1]])[call.callee[1]]
                    totals[f"call {name}"] += call.cost

        visit(key)
        return {k: round(v / units, 2) for k, v in totals.most_common() if v / units >= 0.05}


def path_share(dump: callgrind.Dump, key: callgrind.Key | None, path: set[callgrind.Key]
               ) -> float:
    """The part of a function's runs that is this path's: a function both paths call (a
    lock's unlock, say) runs for each, in proportion to their calls."""
    if key is None:
        return 0.0
    return dump.calls_into(key, path) / max(1, dump.calls_into(key))


def check_addresses(dump: callgrind.Dump, key: callgrind.Key, function: disasm.Function
                    ) -> None:
    """Callgrind writes an object's addresses as the object file has them (run-time minus
    load address); this relies on it."""
    outside = [a for a in dump.functions[key].by_address
               if not function.start <= a < function.end]
    if outside:
        raise ValueError(f"callgrind's addresses for {function.name} ({outside[0]:#x}...) lie "
                         f"outside it in the binary ({function.start:#x}-{function.end:#x})")


def tally(counts: disasm.Counts) -> str:
    parts = [f"{counts.locked} locked"] if counts.locked else []
    parts += [f"{n} {kind}" for kind, n in counts.fences.items() if n]
    return ", ".join(parts)


def describe(name: str, notes: list[str]) -> str:
    notes = [n for n in notes if n]
    return f"{name} ({'; '.join(notes)})" if notes else name


def subject_entry(analysis: Analysis, dump: callgrind.Dump, s: disasm.Subject) -> dict:
    write = analysis.path(dump, s.write, s.frames, s.frames + s.warmup)
    read = analysis.path(dump, s.read, s.delivered, s.delivered + s.warmup)
    entry = {
        "name": s.name, "family": s.family, "writers": "single" if s.single_writer else "multi",
        "instructions_per_write": round(write["instructions"], 2)
        if write["instructions"] is not None else None,
        "instructions_per_delivered": round(read["instructions"], 2)
        if read["instructions"] is not None else None,
        "locked_write": write["counts"].locked, "locked_read": read["counts"].locked,
        "fences_write": write["counts"].fence_total, "fences_read": read["counts"].fence_total,
        "fence_kinds_write": {k: v for k, v in write["counts"].fences.items() if v},
        "fence_kinds_read": {k: v for k, v in read["counts"].fences.items() if v},
        "locked_run_per_write": round(write["locked_per_unit"], 4),
        "locked_run_per_delivered": round(read["locked_per_unit"], 4),
        "fences_run_per_write": round(write["fences_per_unit"], 4),
        "fences_run_per_delivered": round(read["fences_per_unit"], 4),
        "locked_write_reachable": write["reachable"].locked,
        "locked_read_reachable": read["reachable"].locked,
        "fences_write_reachable": write["reachable"].fence_total,
        "fences_read_reachable": read["reachable"].fence_total,
        "functions_write": write["functions"], "functions_read": read["functions"],
    }
    if s.family in ("ring", "limit"):
        entry["by_source_write"] = analysis.by_source(dump, write["key"], s.frames)
        entry["by_source_read"] = analysis.by_source(dump, read["key"], s.delivered)
    return entry


def print_lines(analysis: Analysis, dump: callgrind.Dump, s: disasm.Subject) -> None:
    """A subject's instructions per frame by source line, each with its text."""
    for label, address, units in (("write", s.write, s.frames), ("read", s.read, s.delivered)):
        root = analysis.symbols.function(address)
        key = analysis.key_of(dump, root)
        if key is None:
            print(f"{s.name} {label}: not counted")
            continue
        print(f"== {s.name} {label}: {dump.inclusive(key) / units:.1f} instructions per frame")
        lines: Counter[tuple[str, int]] = Counter()
        calls: Counter[str] = Counter()
        pending = [key]
        seen = set()
        while pending:
            k = pending.pop()
            if k in seen or k not in dump.functions:
                continue
            seen.add(k)
            lines.update(dump.functions[k].by_line)
            for call in dump.functions[k].calls:
                if call.cost == 0:
                    continue
                if call.callee[0] == analysis.binary:
                    pending.append(call.callee)
                else:
                    calls[call.callee[1]] += call.cost
        for (file_, number), cost in sorted(lines.items(), key=lambda x: (x[0][0], x[0][1])):
            if cost / units < 0.05:
                continue
            text = source_line(file_, number)
            print(f"{cost / units:8.2f}  {short_file(file_)}:{number}  {text}")
        for name, cost in calls.most_common():
            print(f"{cost / units:8.2f}  call {name}")


_SOURCES: dict[str, list[str]] = {}


def source_line(file_: str, number: int) -> str:
    if file_ not in _SOURCES:
        try:
            _SOURCES[file_] = Path(file_).read_text(errors="replace").splitlines()
        except OSError:
            _SOURCES[file_] = []
    text = _SOURCES[file_]
    return text[number - 1].strip()[:100] if 0 < number <= len(text) else ""


def main(argv: list[str]) -> int:
    started = time.monotonic()
    try:
        args = arguments(argv)
        valgrind = disasm.require_tool("valgrind", "valgrind")
        objdump = disasm.require_tool("objdump", "binutils")
        disasm.require_tool("nm", "binutils")
        disasm.require_tool("c++filt", "binutils")
    except UsageError as e:
        print(f"measure_cost.py: {e} (see --help)", file=sys.stderr)
        return 2
    except disasm.ToolMissing as e:
        print(f"measure_cost.py: {e}", file=sys.stderr)
        return 2
    binary = (args.build / BINARY).resolve()
    try:
        with tempfile.TemporaryDirectory(prefix="ringlab-cost-") as tmp:
            stdout, dumps = run_callgrind(valgrind, binary, args.frames, Path(tmp))
        runtime_anchor, subjects = disasm.parse_subjects(stdout)
        disassembly = disasm.Disassembly(binary)
        symbols = disasm.Symbols(disassembly, runtime_anchor)
        analysis = Analysis(binary, disassembly, symbols, SharedLibraries(objdump), args.depth)
    except (RuntimeError, ValueError, subprocess.CalledProcessError) as e:
        print(f"measure_cost.py: {e}", file=sys.stderr)
        return 1
    by_trigger = {d.trigger: d for d in dumps}
    missing = [s.name for s in subjects if s.name not in by_trigger]
    if missing:
        print(f"measure_cost.py: callgrind wrote no counts for {', '.join(missing)}",
              file=sys.stderr)
        return 1
    if args.lines is not None:
        chosen = [s for s in subjects if s.name == args.lines]
        if not chosen:
            print(f"measure_cost.py: no subject {args.lines!r}; subjects: "
                  f"{', '.join(s.name for s in subjects)}", file=sys.stderr)
            return 2
        print_lines(analysis, by_trigger[args.lines], chosen[0])
        return 0
    entries = [subject_entry(analysis, by_trigger[s.name], s) for s in subjects]
    result = {"tool": tool_versions(valgrind, objdump), "frames": args.frames,
              "subjects": entries}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    width = max(len(e["name"]) for e in entries)
    for e in entries:
        print(f"{e['name']:<{width}}  {e['family']:<5}  "
              f"{e['instructions_per_write']:8.1f} instr/write  "
              f"{e['instructions_per_delivered']:8.1f} instr/delivered  "
              f"locked {e['locked_write']}/{e['locked_read']}  "
              f"fences {e['fences_write']}/{e['fences_read']} (write/read)")
    print(f"measure_cost.py: {len(entries)} subjects, {args.frames} frames each, "
          f"{time.monotonic() - started:.1f} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
