#!/usr/bin/python3
"""ctest's check that every variant of the registry (harness/common/variants.hpp)
reaches every suite, so that adding a variant stays one registry line:

  conformance  a Conformance/<name> suite per variant, Waiting/<name> for those
               that wait, Lossless/<name> for the lossless; each test records
               the canonical name as its "variant" property
  shm          a SharedRing/<name> suite per shareable variant
  stress       ctest's stress list: laps and cursors per variant, trickle for
               those that wait (but by busy spinning), xproc for the shareable,
               and never two writers for a single-writer variant
  bench        (if given) broadcast and latency per variant; 2 writers only for
               multi-writer ones, and then in the quick set too; the cross-
               process twins of every shareable variant in the full set

<name> is the canonical name with '-' made '_' (harness::gtest_name).

Usage: check_variant_coverage.py --stress BIN --conformance BIN --shared-ring BIN
                                 --build DIR [--bench BIN]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def gtest_suites(binary):
    """Test suite names of a GoogleTest binary."""
    return {line.split()[0].rstrip(".") for line in run(binary, "--gtest_list_tests").splitlines()
            if line and not line.startswith(" ") and line.split()[0].endswith(".")}


def recorded_variants(binary, test_filter):
    """The "variant" property of each test the filter selects, after running them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tests.json")
        run(binary, f"--gtest_filter={test_filter}", f"--gtest_output=json:{out}")
        suites = json.load(open(out))["testsuites"]
    return {(suite["name"], test.get("variant")) for suite in suites for test in suite["testsuite"]}


def stress_tests(build):
    """ctest's stress tests of the build: name -> command line."""
    listing = json.loads(run("ctest", "--test-dir", build, "-L", "stress",
                             "--show-only=json-v1"))
    return {t["name"]: t.get("command", []) for t in listing["tests"]}


def check(variants, args):
    problems = []
    bad = problems.append
    gname = lambda v: v["name"].replace("-", "_")

    suites = gtest_suites(args.conformance)
    for v in variants:
        wanted = {"Conformance": True, "Waiting": v["waits"], "Lossless": v["lossless"]}
        for suite, want in wanted.items():
            if (f"{suite}/{gname(v)}" in suites) != want:
                bad(f"{v['name']}: {suite}/{gname(v)} {'missing' if want else 'unexpected'}")
    recorded = recorded_variants(args.conformance, "Conformance/*.RegistryTraitsHold")
    for v in variants:
        if (f"Conformance/{gname(v)}", v["name"]) not in recorded:
            bad(f"{v['name']}: Conformance/{gname(v)} does not record variant={v['name']}")

    shared = gtest_suites(args.shared_ring)
    for v in variants:
        if (f"SharedRing/{gname(v)}" in shared) != v["shareable"]:
            bad(f"{v['name']}: SharedRing/{gname(v)} does not follow shareable={v['shareable']}")

    tests = stress_tests(args.build)
    for v in variants:
        shapes = {"laps": True, "cursors": True, "xproc": v["shareable"],
                  "trickle": v["waits"] and v["wait"] != "busy-spin"}
        for shape, want in shapes.items():
            name = f"stress.{v['name']}.{shape}"
            if (name in tests) != want:
                bad(f"{name} {'missing' if want else 'unexpected'}")
            elif want and v["writers"] == "single" and "--writers=1" not in tests[name]:
                bad(f"{name}: a single-writer variant run with more than one writer")

    if args.bench:
        for config in ("quick", "full"):
            names = run(args.bench, f"--config={config}", "--benchmark_list_tests").split()
            for v in variants:
                mine = [n for n in names if n.split("/")[2] == v["name"]]
                two = [n for n in mine if "/w:2/" in n]
                for scenario in ("broadcast", "latency"):
                    if not any(n.startswith(f"ring/{scenario}/") for n in mine):
                        bad(f"bench {config}: no ring/{scenario}/{v['name']}")
                if (v["writers"] == "multi") != bool(two):
                    bad(f"bench {config}: {v['name']} ({v['writers']} writer) "
                        f"{'lacks' if not two else 'has'} 2-writer benchmarks")
                xproc = any(n.split("/")[1].endswith("_xproc") for n in mine)
                if config == "full" and xproc != v["shareable"]:
                    bad(f"bench full: {v['name']} cross-process twins do not follow shareable")
    return problems


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stress", required=True)
    p.add_argument("--conformance", required=True)
    p.add_argument("--shared-ring", required=True)
    p.add_argument("--build", required=True, help="the build directory, for ctest's list")
    p.add_argument("--bench")
    args = p.parse_args(argv)
    variants = json.loads(run(args.stress, "--list-variants=json"))
    if not variants:
        print("FAIL the registry lists no variant")
        return 1
    problems = check(variants, args)
    for problem in problems:
        print("FAIL", problem)
    print(f"{len(variants)} variants checked in every suite, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
