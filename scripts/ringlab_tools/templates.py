"""The report's explanatory prose, as string.Template texts with named placeholders.

prose.py fills them: a placeholder is either a fact of the run (listed with its meaning in
prose.FACTS) or the name of another template here, which is an optional sentence: it is
left out where any fact it names was not measured in this run. For each kind of target
(targets.TARGETS: latency, transfer, mpmc, isolation, cross-process) with a target not met,
the report prints `why_<kind>` once, then `why_<kind>_variant` per variant that missed one.
`about_cross_process` is printed whenever a cross-process figure stands beside its twin.
"""

from string import Template

TEMPLATES = {name: Template(text) for name, text in {
    # --- optional sentences -------------------------------------------------------------
    "frag_detail": " (${detail})",
    "frag_stamp": (
        " Every sample also carries about one stamp's cost (${stamp_cost} here: the end of "
        "the sender's and the start of the receiver's); the ping-pong's p50 carries half of "
        "one."),
    "frag_best_p99": " The lowest p99 of the peers is ${best_p99_peer}'s, ${best_p99_peer_p99}.",
    "frag_peer_cost": (
        " Per frame, ${best_latency_peer} executes ${peer_instructions_per_write} "
        "instructions to write (${peer_locked_write} locked, ${peer_fences_write} fences) and "
        "${peer_instructions_per_delivered} to deliver (${peer_locked_read} locked, "
        "${peer_fences_read} fences), by ${cost_tool}."),
    "frag_write_beside_reader": (
        " Its writer takes ${write_alone_p50} per write alone and ${write_beside_reader_p50} "
        "beside a polling reader (${write_beside_reader_ratio}), stamp to stamp."),
    "frag_cost": (
        " Per frame it executes ${instructions_per_write} instructions to write "
        "(${locked_write} locked, ${fences_write} fences) and ${instructions_per_delivered} "
        "to deliver (${locked_read} locked, ${fences_read} fences)."),
    "frag_xproc_latency": " One-way p50 here: ${xproc_latency}.",
    "frag_xproc_transfer": " Transfer delivered/s: ${xproc_transfer}.",

    # --- one-way latency ------------------------------------------------------------------
    "why_latency": (
        "**One-way latency.** The limit is the cache-line ping-pong, ${pingpong}: one line "
        "crosses from one core to the other per one-way trip. A queue's reader spins on the "
        "writer's index and then fetches the slot: two crossings, one after the other. A "
        "ringlab reader follows slot markers: it spins on the next slot's own line, which "
        "carries the marker, the frame header and the first payload bytes, so one crossing "
        "brings it the frame; but while the writer fills that line the spinning reader takes "
        "it back, and each take costs the writer another crossing before the commit lands. "
        "A multi-writer ring also claims its counter and takes its slot with locked "
        "read-modify-writes. The best peer, ${best_latency_peer}, is at ${best_latency_peer_p50} "
        "p50 and ${best_latency_peer_p99} p99, ${best_latency_peer_vs_pingpong} the "
        "ping-pong: where that is below 1.67, a p50 of 0.6× the peer's lies below the "
        "ping-pong itself, which no frame crossing a core can beat.${frag_best_p99}"
        "${frag_stamp}${frag_peer_cost}"),
    "why_latency_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. p50 ${p50}, ${p50_vs_peer} the best "
        "peer's and ${p50_vs_pingpong} the ping-pong; p99 ${p99}, ${p99_vs_peer} the "
        "best peer's.${frag_write_beside_reader}${frag_cost}"),

    # --- transfer -------------------------------------------------------------------------
    "why_transfer": (
        "**Transfer.** The best peer, ${best_transfer_peer}, delivers "
        "${best_transfer_peer_rate}, moving one 64-byte line a frame. A ring slot holds "
        "the frame header beside its 64 payload bytes (marker, id, version, kind and length: "
        "96 bytes), so each frame moves two lines from writer to reader and, a lap later, "
        "two invalidations back. An overwrite ring's writer never waits: a reader that falls "
        "behind loses frames, counted exactly, so its delivered/s is read beside its loss. A "
        "lossless ring's writer waits for its slowest reader instead, as a queue's does."),
    "why_transfer_variant": (
        "**${variant}**${frag_detail}, ${lossless_text}, not met: ${missed}. Its reader "
        "received ${transfer} (${transfer_vs_peer} the best peer's) while its writer wrote "
        "${written}, and lost ${loss}.${frag_write_beside_reader}${frag_cost}"),

    # --- two writers ----------------------------------------------------------------------
    "why_mpmc": (
        "**Two writers.** With two writers every claim is contended: both claim the next "
        "counter on one line (a fetch_add), which moves between their cores on each frame, "
        "and each then takes its slot with a CAS. On a machine with fewer cores than the "
        "two writers and the reader, the scheduler, not the ring, sets the pace. The best "
        "multi-writer peer, ${best_mpmc_peer}, delivers ${best_mpmc_peer_rate} at 2 writers "
        "× 1 reader."),
    "why_mpmc_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. ${transfer_2x1} at 2 writers × 1 "
        "reader (${transfer_2x1_vs_mpmc} the best MPMC peer's), against ${transfer} with one "
        "writer.${frag_cost}"),

    # --- writer isolation -----------------------------------------------------------------
    "why_isolation": (
        "**Writer isolation.** A single writer is held to its own time alone: beside a "
        "polling reader, and beside a reader preempted by a busy thread on its CPU. Its "
        "write path has no locked read-modify-write and reads no line a reader writes, so no "
        "reader can make it wait for a store to complete; what remains is that every line it "
        "writes was read by the reader a lap before, and each of those stores needs the "
        "reader's copy invalidated, which its store buffer hides until it fills. The "
        "stalled scenario's timings are stamp to stamp around one write, at the stamp "
        "clock's resolution, so a store buffer that drains later shows in the writer's rate "
        "(writes/s over the whole run) more than in its percentiles."),
    "why_isolation_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. Write p50 ${write_alone_p50} "
        "alone and ${write_beside_reader_p50} beside a polling reader "
        "(${write_beside_reader_ratio}); p99 ${write_alone_p99} alone and "
        "${write_preempted_p99} beside a preempted reader (${write_preempted_ratio}); "
        "${write_alone_rate} writes alone and ${write_beside_reader_rate} beside a polling "
        "reader (${write_beside_reader_rate_ratio}).${frag_cost}"),

    # --- cross-process --------------------------------------------------------------------
    "why_cross_process": (
        "**Cross-process target.** The reader in another process reaches the same lines "
        "through its own page tables; the target holds its one-way p50 to its in-process "
        "twin of the same run."),
    "why_cross_process_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. ${xproc_p50} cross-process against "
        "${inproc_p50} in-process, ${xproc_vs_inproc}."),
    "about_cross_process": (
        "**Cross-process.** In the `_xproc` benchmarks the writer stays in the benchmark "
        "process and the reader runs in a second one: the same binary, started with "
        "posix_spawn and pinned to the CPU the in-process reader takes. The ring lives in a "
        "POSIX shared-memory segment (a tmpfs object in /dev/shm that both processes map "
        "MAP_SHARED); the acknowledgements and the start and stop flags sit in a second "
        "shared mapping, through which the reader also hands back its histogram. Both sides "
        "stamp with the same clock (${clock}) and convert ticks by the benchmark's "
        "calibration. A frame goes from one process to the other exactly as from one thread "
        "to another: the same cache lines move between the same two cores under the same "
        "coherence protocol, and no system call takes part in a hand-off, so a ratio near 1 "
        "is expected. What differs lies around those lines: each process reaches the ring "
        "through its own page tables and TLB entries (a TLB miss walks that process's "
        "tables; each page's first touch in each process is a minor fault, paid in the first "
        "lap), and where a core is shared, switching to another process changes address "
        "space where switching threads does not.${frag_xproc_latency}${frag_xproc_transfer}"),
}.items()}
