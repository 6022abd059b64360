#!/usr/bin/python3
"""ctest's check of ringlab_bench: every benchmark of the smoke configuration
(the quick set, briefly) runs without error, and its counters obey what must
hold whatever the machine: percentiles in order, rates positive, a reader never
receives more frames than were written, no loss where the writer waits for its
readers (latency, a lossless ring) or where a queue cannot lose (peers). Every
ring subject the binary records (bench.json's context, ringlab_subjects) runs,
one with a single writer never with two, one with several also at 2 writers x
1 reader (latency and broadcast). Cross-process
benchmarks (scenarios ending in _xproc) obey their in-process twin's rules, have
that twin in the set, and leave neither a peer process nor a shared-memory
segment behind. A row with percentiles also carries its histogram's buckets
(hist_le_<ns> counters) and they count exactly its samples; a console-only
run shows none. Every peer queue is among the run's subjects (the
ringlab_subjects context), and a peer runs with two writers exactly where its
subject says it allows several.

Usage: check_bench_json.py RINGLAB_BENCH OUT.json
"""
import glob
import json
import subprocess
import sys

XPROC = "_xproc"


def twin_of(name):
    """The in-process twin of a cross-process benchmark's name."""
    family, scenario, rest = name.split("/", 2)
    return f"{family}/{scenario.removesuffix(XPROC)}/{rest}"


def leftovers(bench_pid):
    """Peer processes and segments a finished benchmark process left behind."""
    found = glob.glob(f"/dev/shm/ringlab.*.bench-xproc-{bench_pid}-*")
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            words = open(cmdline, "rb").read().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if b"--xproc-peer" in words and f"--parent={bench_pid}".encode() in words:
            found.append(f"peer process {cmdline.split('/')[2]}")
    return found


def peer_subject_problems(listed, context):
    """Peers missing from the subjects, and 2-writer runs that do not match
    what each peer's subject says of its writers."""
    subjects = {s["name"]: s for s in json.loads(context.get("ringlab_subjects", "[]"))}
    problems = []
    peers = {}
    for name in listed:
        family, scenario, subject = name.split("/")[:3]
        if family != "peer":
            continue
        peers.setdefault(subject, set()).add((scenario, "/w:2/r:1/" in name))
    for subject, runs in sorted(peers.items()):
        traits = subjects.get(subject)
        if traits is None or traits["family"] != "peer" or not traits["lossless"]:
            problems.append(f"peer {subject}: not among the subjects as a lossless peer")
            continue
        multi = traits["writers"] == "multi"
        for scenario in ("transfer", "latency"):
            if (scenario, False) not in runs:
                problems.append(f"peer {subject}: no 1 x 1 {scenario}")
            if ((scenario, True) in runs) != multi:
                problems.append(f"peer {subject}: writers {traits['writers']}, but "
                                f"{'no' if multi else 'a'} 2 x 1 {scenario}")
    return problems


def bucket_problems(row):
    """What is wrong with a latency row's exported histogram buckets."""
    buckets = {k: v for k, v in row.items() if k.startswith("hist_le_")}
    if not buckets:
        return ["no histogram buckets (hist_le_<ns> counters)"]
    problems = [f"{k}: not a bound in ns" for k in buckets if not k[len("hist_le_"):].isdigit()]
    if sum(buckets.values()) != row.get("samples"):
        problems.append(f"buckets count {sum(buckets.values()):.0f} samples, not "
                        f"{row.get('samples')}")
    return problems


def ring_subject_problems(rings, names):
    """What the benchmark list lacks or has wrongly for each ring subject."""
    problems = []
    for name, subject in sorted(rings.items()):
        mine = [n for n in names if n.startswith("ring/") and n.split("/")[2] == name]
        two = [n for n in mine if "/w:2/" in n]
        if not mine:
            problems.append(f"ring subject {name}: no benchmark")
        elif subject["writers"] == "single" and two:
            problems.append(f"{two[0]}: two writers on a single-writer variant")
        elif subject["writers"] == "multi":
            for scenario in ("latency", "broadcast"):
                if not any(n.startswith(f"ring/{scenario}/{name}/w:2/r:1/") for n in two):
                    problems.append(f"ring subject {name}: no {scenario} at 2 writers x 1 reader")
    return problems


def main(bench, out):
    listed = subprocess.run([bench, "--config=smoke", "--benchmark_list_tests"],
                            capture_output=True, text=True, check=True).stdout.split()
    quick = subprocess.run([bench, "--config=quick", "--benchmark_list_tests"],
                           capture_output=True, text=True, check=True).stdout.split()
    strip = lambda name: name.split("/min_time:")[0]
    problems = []
    if sorted(map(strip, listed)) != sorted(map(strip, quick)):
        problems.append("the smoke configuration does not run the quick set")
    for name in listed:
        if name.split("/")[1].endswith(XPROC) and twin_of(name) not in listed:
            problems.append(f"{name}: no in-process twin {twin_of(name)}")
    # The buckets go only where JSON is written: a console run keeps its lines short.
    console = subprocess.run([bench, "--config=smoke", "--benchmark_filter=^limit/pingpong/"],
                             capture_output=True, text=True, check=True).stdout
    if "hist_le_" in console or "p50_ns" not in console:
        problems.append("a console-only run shows histogram buckets (or no percentiles)")
    proc = subprocess.Popen([bench, "--config=smoke", f"--benchmark_out={out}",
                             "--benchmark_out_format=json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        print(stdout[-3000:], stderr[-3000:])
        return f"ringlab_bench exited {proc.returncode}"
    problems += [f"left behind: {thing}" for thing in leftovers(proc.pid)]
    doc = json.load(open(out))
    runs = doc["benchmarks"]
    names = [r["name"] for r in runs]
    problems += peer_subject_problems(listed, doc["context"])
    for missing in sorted(set(listed) - set(names)):
        problems.append(f"{missing}: did not run")
    rings = {s["name"]: s for s in json.loads(doc["context"]["ringlab_subjects"])
             if s["family"] == "ring"}
    problems += ring_subject_problems(rings, names)

    for r in runs:
        name = r["name"]
        family, scenario, subject = name.split("/")[:3]
        scenario = scenario.removesuffix(XPROC)  # held to its twin's rules
        bad = lambda why: problems.append(f"{name}: {why}")
        if r.get("error_occurred"):
            bad(f"error: {r.get('error_message')}")
            continue
        if "p50_ns" in r:
            ps = [r[k] for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")]
            if ps != sorted(ps):
                bad(f"percentiles out of order: {ps}")
            if r["samples"] <= 0 or ps[0] <= 0:
                bad("no latency samples")
            for why in bucket_problems(r):
                bad(why)
        # A reader of a ring written flat out may lose every frame (stalled,
        # broadcast); one the writer waits for, or a queue's, may not.
        must_deliver = scenario in ("latency", "oversub", "transfer", "read_only")
        for rate in ("frames_per_s", "one_way_ns") + (("delivered_per_s",) if must_deliver else ()):
            if rate in r and not r[rate] > 0:
                bad(f"{rate} = {r[rate]}")
        if "loss_rate" in r and not 0 <= r["loss_rate"] <= 1:
            bad(f"loss_rate = {r['loss_rate']}")
        if "frames_per_s" in r and r.get("delivered_per_s", 0) > r["frames_per_s"] * 1.001:
            bad(f"a reader received more than was written: {r['delivered_per_s']} > "
                f"{r['frames_per_s']}")
        lossless = (family == "peer" or scenario == "latency" or
                    (subject in rings and rings[subject]["lossless"] and
                     scenario in ("broadcast", "stalled")))
        if lossless and r.get("loss_rate", 0) != 0:
            bad(f"lost frames where none may be lost: loss_rate = {r['loss_rate']}")
        expected = {"latency": "p50_ns", "oversub": "p50_ns", "stalled": "p99_ns",
                    "broadcast": "delivered_per_s", "transfer": "delivered_per_s",
                    "write_only": "frames_per_s", "read_only": "delivered_per_s",
                    "pingpong": "one_way_ns", "memcpy": "bytes_per_s"}.get(scenario)
        if expected is None:
            bad("unknown scenario")
        elif expected not in r:
            bad(f"no {expected} counter")
    for p in problems:
        print("FAIL", p)
    print(f"{len(runs)} benchmarks checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
