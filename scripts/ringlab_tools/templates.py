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
        "crosses from one core to the other per one-way trip. A ring frame crosses several "
        "in turn: the writer's claim of its counter, the slot's marker and the body's lines, "
        "and a locked read-modify-write on a line the reader is polling costs a round trip "
        "of its own before the frame can commit. The best peer, ${best_latency_peer}, is at "
        "${best_latency_peer_p50} p50 and ${best_latency_peer_p99} p99, "
        "${best_latency_peer_vs_pingpong} the ping-pong.${frag_best_p99}${frag_stamp}"
        "${frag_peer_cost}"),
    "why_latency_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. p50 ${p50}, ${p50_vs_peer} the best "
        "peer's and ${p50_vs_pingpong} the ping-pong; p99 ${p99}, ${p99_vs_peer} the "
        "best peer's.${frag_write_beside_reader}${frag_cost}"),

    # --- transfer -------------------------------------------------------------------------
    "why_transfer": (
        "**Transfer.** A queue's writer publishes with a store its store buffer absorbs and "
        "runs ahead into lines its reader is not touching; the best peer, "
        "${best_transfer_peer}, delivers ${best_transfer_peer_rate}. An overwrite ring's "
        "writer never waits: a reader that falls behind loses frames, counted exactly, so "
        "its delivered/s is read beside its loss. A lossless ring's writer waits for its "
        "slowest reader instead, as a queue's does."),
    "why_transfer_variant": (
        "**${variant}**${frag_detail}, ${lossless_text}, not met: ${missed}. Its reader "
        "received ${transfer} (${transfer_vs_peer} the best peer's) while its writer wrote "
        "${written}, and lost ${loss}.${frag_write_beside_reader}${frag_cost}"),

    # --- two writers ----------------------------------------------------------------------
    "why_mpmc": (
        "**Two writers.** With two writers every claim is contended: both claim the next "
        "counter on one line, which moves between their cores on each frame. The best "
        "multi-writer peer, ${best_mpmc_peer}, delivers ${best_mpmc_peer_rate} at 2 writers "
        "× 1 reader."),
    "why_mpmc_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. ${transfer_2x1} at 2 writers × 1 "
        "reader (${transfer_2x1_vs_mpmc} the best MPMC peer's), against ${transfer} with one "
        "writer.${frag_cost}"),

    # --- writer isolation -----------------------------------------------------------------
    "why_isolation": (
        "**Writer isolation.** A single writer is held to its own time alone: beside a "
        "polling reader, and beside a reader preempted by a busy thread on its CPU. A reader "
        "that polls a line the writer writes next takes that line from the writer's core; a "
        "reader preempted while holding anything the writer needs makes it wait out a time "
        "slice."),
    "why_isolation_variant": (
        "**${variant}**${frag_detail}, not met: ${missed}. Write p50 ${write_alone_p50} "
        "alone and ${write_beside_reader_p50} beside a polling reader "
        "(${write_beside_reader_ratio}); p99 ${write_alone_p99} alone and "
        "${write_preempted_p99} beside a preempted reader (${write_preempted_ratio})."
        "${frag_cost}"),

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
