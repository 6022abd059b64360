"""Tests of the cost tools: their readers of objdump's and callgrind's output on small
inputs written here, and measure_cost.py on the build that RINGLAB_COST_BUILD names
(skipped without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import callgrind  # noqa: E402
import disasm  # noqa: E402

OBJDUMP = """
x:     file format elf64-x86-64

Disassembly of section .plt:

0000000000001000 <memcpy@plt>:
    1000:\tjmp    *0x2000(%rip)        # 3000 <memcpy@GLIBC_2.14>

Disassembly of section .text:

0000000000001100 <writer>:
    1100:\tlock xadd %rax,(%rdx)
    1105:\tcall   1200 <helper>
    110a:\tcall   1000 <memcpy@plt>
    110f:\tjne    1300 <writer.cold>
    1111:\tjmp    1104 <writer+0x4>
    1113:\tret

0000000000001200 <helper>:
    1200:\tlock orq $0x0,(%rsp)
    1206:\txchg   %ax,%ax
    1208:\txchg   %rax,(%rdi)
    120b:\tjmp    1400 <deep>

0000000000001300 <writer.cold>:
    1300:\tmfence
    1303:\tret

0000000000001400 <deep>:
    1400:\tlock cmpxchg %rcx,(%rdx)
    1405:\tret
"""

CALLGRIND = """# callgrind format
version: 1
positions: instr line
events: Ir
desc: Trigger: Client Request: seqlock-single

ob=/bin/x
fl=/src/a.cpp
fn=writer
0x1100 10 8
fi=/src/b.hpp
0x1105 20 8
cfn=helper
calls=8 0x1200 30
0x1105 20 40
fe=/src/a.cpp
0x1113 11 8
cob=/lib/libc.so.6
cfn=memcpy
calls=4 0x99 0
0x110a 12 12

fn=helper
0x1200 30 40

ob=/lib/libc.so.6
fl=???
fn=memcpy
0x99 0 12
totals: 76
"""


class DisassemblyTest(unittest.TestCase):
    def setUp(self):
        self.code = disasm.Disassembly(Path("x"), OBJDUMP)

    def test_counts_locks_and_fences_per_function(self):
        writer, helper, cold, deep = (self.code.named(n)
                                      for n in ("writer", "helper", "writer.cold", "deep"))
        self.assertEqual(writer.counts.locked, 1)
        self.assertEqual(writer.counts.fence_total, 0)
        # xchg with memory is locked; with registers it is a no-op; the stack lock-or is
        # GCC's seq_cst fence.
        self.assertEqual(helper.counts.locked, 1)
        self.assertEqual(helper.counts.fences[disasm.STACK_LOCK_OR], 1)
        self.assertEqual(cold.counts.fences["mfence"], 1)
        self.assertEqual(deep.marked, [(0x1400, "locked")])

    def test_reach_follows_calls_and_jumps_out_to_a_depth(self):
        writer = self.code.named("writer")
        shallow = self.code.reach(writer, depth=1)
        self.assertEqual([f.name for f in shallow.functions], ["writer", "helper", "writer.cold"])
        self.assertEqual(shallow.external, ["memcpy"])
        self.assertEqual(shallow.counts().locked, 2)
        deep = self.code.reach(writer, depth=2)
        self.assertEqual(deep.functions[-1].name, "deep")
        self.assertEqual(deep.counts().locked, 3)

    def test_function_at_maps_inner_addresses(self):
        self.assertEqual(self.code.function_at(0x1208).name, "helper")
        self.assertIsNone(self.code.function_at(0x10))

    def test_subject_lines_and_anchor(self):
        anchor, subjects = disasm.parse_subjects(
            "anchor\t0x5000\n"
            "subject\tname=seqlock\tfamily=ring\twriters=multi\twrite=0x5100\tread=0x5200"
            "\tframes=256\tdelivered=256\twarmup=2048\n")
        self.assertEqual(anchor, 0x5000)
        self.assertEqual(subjects[0].name, "seqlock")
        self.assertFalse(subjects[0].single_writer)
        self.assertEqual((subjects[0].write, subjects[0].warmup), (0x5100, 2048))
        with self.assertRaises(ValueError):
            disasm.parse_subjects("subject\tname=x\n")


class CallgrindTest(unittest.TestCase):
    def setUp(self):
        with tempfile.NamedTemporaryFile("w", suffix=".out", delete=False) as f:
            f.write(CALLGRIND)
        self.addCleanup(os.unlink, f.name)
        self.dump = callgrind.parse(Path(f.name))

    def test_trigger_and_inclusive_costs(self):
        self.assertEqual(self.dump.trigger, "seqlock-single")
        writer = ("/bin/x", "writer")
        self.assertEqual(self.dump.functions[writer].self_cost, 24)
        self.assertEqual(self.dump.inclusive(writer), 24 + 40 + 12)
        self.assertEqual(self.dump.calls_into(("/lib/libc.so.6", "memcpy")), 4)
        self.assertEqual(self.dump.calls_into(("/bin/x", "helper"), {("/bin/x", "other")}), 0)

    def test_lines_follow_inlined_files(self):
        writer = self.dump.functions[("/bin/x", "writer")]
        self.assertEqual(writer.by_line[("/src/b.hpp", 20)], 8)
        self.assertEqual(writer.by_line[("/src/a.cpp", 11)], 8)

    def test_runs_by_address_and_reach(self):
        self.assertEqual(self.dump.runs("/bin/x", 0x1200), 40)
        self.assertEqual(self.dump.runs("/lib/libc.so.6", 0x99), 12)
        self.assertEqual(set(self.dump.reached(("/bin/x", "writer"))),
                         {("/bin/x", "helper"), ("/lib/libc.so.6", "memcpy")})


@unittest.skipUnless(os.environ.get("RINGLAB_COST_BUILD"), "RINGLAB_COST_BUILD is not set")
class MeasureCostTest(unittest.TestCase):
    """The whole tool on the real binary, with few frames."""

    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "cost.json"
            done = subprocess.run([sys.executable, str(HERE / "measure_cost.py"), "--build",
                                   os.environ["RINGLAB_COST_BUILD"], "--out", str(out),
                                   "--frames", "256"], capture_output=True, text=True)
            if done.returncode != 0:
                raise AssertionError(f"measure_cost.py failed:\n{done.stderr}")
            cls.result = json.loads(out.read_text())
            cls.stdout = done.stdout
        cls.by_name = {s["name"]: s for s in cls.result["subjects"]}

    def test_every_subject_is_counted_and_printed(self):
        self.assertTrue(self.result["tool"].startswith("callgrind "))
        self.assertEqual(self.result["frames"], 256)
        for s in self.result["subjects"]:
            self.assertGreater(s["instructions_per_write"], 0, s["name"])
            self.assertGreater(s["instructions_per_delivered"], 0, s["name"])
            self.assertTrue(s["functions_write"] and s["functions_read"], s["name"])
            self.assertIn(s["name"], self.stdout)

    def test_single_writer_rings_run_no_locked_instruction(self):
        singles = [s for s in self.result["subjects"]
                   if s["family"] == "ring" and s["writers"] == "single"]
        self.assertTrue(singles)
        for s in singles:
            self.assertEqual(s["locked_run_per_write"], 0, s["name"])
            self.assertEqual(s["locked_write"], 0, s["name"])
            # The gated one's fence runs once a lap (1024 frames): here, once at most.
            self.assertLessEqual(round(s["fences_run_per_write"] * 256, 2), 1, s["name"])

    def test_multi_writer_seqlock_runs_its_two_locked_instructions(self):
        # One fetch_add claims the counter, one compare-exchange takes the slot
        # (storage/seqlock.hpp).
        self.assertEqual(self.by_name["seqlock"]["locked_run_per_write"], 2)

    def test_the_floor_is_below_the_ring(self):
        floor, ring = self.by_name["protocol-floor"], self.by_name["seqlock-single"]
        self.assertLessEqual(floor["instructions_per_write"], ring["instructions_per_write"])
        self.assertLessEqual(floor["instructions_per_delivered"],
                             ring["instructions_per_delivered"])
        self.assertIn("harness/bench/cost/protocol_floor.hpp", floor["by_source_write"])


if __name__ == "__main__":
    unittest.main()
