"""Where the tools find the repository and its release build."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "build" / "release"
BENCH_BINARY = RELEASE / "harness" / "bench" / "ringlab_bench"
STRESS_BINARY = RELEASE / "harness" / "stress" / "ringlab_stress"
SOAK_BINARY = RELEASE / "harness" / "soak" / "ringlab_soak"
