#!/usr/bin/python3
"""ctest compare.detects_slowdown: `ringlab compare` finds a real slowdown and no false one.

Builds ringlab_bench and ringlab_bench_slowed (the same benchmark with pauses after every
write of a ring writer; harness/bench/CMakeLists.txt), then compares, side by side in the
smoke configuration (~10 ms a benchmark), seqlock's writer alone (stalled stall:0), beside
one polling reader (stall:1), and writing 64-byte frames (write_only):
  ringlab_bench against ringlab_bench_slowed: "slower" on each one's write latency and
  write rate. These measure the writer's own thread, so the slowdown shows even on a busy
  2-core machine, where a 1x1 round trip's rate is the scheduler's more than the ring's;
  ringlab_bench against itself: "no difference shown" on every row, at alpha 0.01, so that
  this check itself raises a false alarm at most once in a hundred runs.

Usage: detects_slowdown.py BUILD_DIR BENCH SLOWED_BENCH"""

import json
import pathlib
import subprocess
import sys
import tempfile
import time

COMPARE = pathlib.Path(__file__).resolve().parent / "compare.py"
FILTER = r"^ring/(stalled/seqlock/stall:[01]|write_only/seqlock/payload:64)/"
STALLED = "ring/stalled/seqlock/stall:{}/payload:64/cap:1024"
WRITE_ONLY = "ring/write_only/seqlock/payload:64/cap:1024"
MUST_BE_SLOWER = [(STALLED.format(stall), counter) for stall in (0, 1)
                  for counter in ("p50_ns", "frames_per_s")] + [(WRITE_ONLY, "frames_per_s")]


def compare(results: pathlib.Path, compare_id: str, a: str, b: str, *more: str) -> list[dict]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(COMPARE), a, b, "--config", "smoke",
                           "--repetitions", "9", "--filter", FILTER, "--results", str(results),
                           "--id", compare_id, *more], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"compare {compare_id} exited {proc.returncode}:\n{proc.stderr}")
    print(f"{compare_id}: {time.monotonic() - started:.1f} s")
    print((results / compare_id / "compare.md").read_text())
    return json.loads((results / compare_id / "compare.json").read_text())["rows"]


def main() -> int:
    build_dir, bench, slowed = sys.argv[1:4]
    started = time.monotonic()
    subprocess.run(["cmake", "--build", build_dir, "--target", "ringlab_bench",
                    "ringlab_bench_slowed"], check=True)
    print(f"build: {time.monotonic() - started:.1f} s")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rows = compare(pathlib.Path(tmp), "slowed", bench, slowed)
        verdict = {(r["benchmark"], r["counter"]): r["verdict"] for r in rows}
        for key in MUST_BE_SLOWER:
            if verdict.get(key) != "slower":
                failures.append(f"bench vs slowed: {key}: {verdict.get(key)!r}, not 'slower'")
        for r in compare(pathlib.Path(tmp), "itself", bench, bench, "--alpha", "0.01"):
            if r["verdict"] != "no difference shown":
                failures.append(f"bench vs itself: {r['benchmark']} {r['counter']}: "
                                f"{r['verdict']!r}")
    print(f"total: {time.monotonic() - started:.1f} s")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
