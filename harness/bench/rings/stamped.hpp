// The stamped exchange behind every one-way latency figure, in-process
// (latency.cpp) and cross-process (cross_process.cpp) alike: the writer puts
// a stamp in a frame's first bytes and writes it; the reader takes its own
// stamp on receipt, records the difference and acknowledges the frame; the
// writer waits for the acknowledgement before its next frame, so no sample
// queues behind another.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "ringlab/ringlab.hpp"
#include "rings/ring_roles.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"

namespace ringlab::bench {

// A latency frame's first bytes: the stamp, the writer, the writer's sequence.
struct Stamp {
  std::uint64_t ticks;
  std::uint64_t writer;
  std::uint64_t sequence;
};
inline constexpr std::size_t kMinLatencyPayload = sizeof(Stamp);

// The orders of the acknowledgement protocol, which is the harness's, not a
// variant's: a writer waits on it, and what it waits for is only a count.
// (A1) release: pairs with (A2); a writer that sees the ack goes on.
inline constexpr std::memory_order kAckStore = std::memory_order_release;
// (A2) acquire: pairs with (A1).
inline constexpr std::memory_order kAckLoad = std::memory_order_acquire;

// One reader's acknowledgement of one writer's frames, on its own lines. Plain
// and lock-free, so it may also live in memory that two processes share.
struct alignas(128) Ack {
  std::atomic<std::uint64_t> sequence{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// One reader's samples and counts. Trivially copyable: a peer process hands
// its own back through shared memory.
struct alignas(128) ReaderLatency {
  LatencyHistogram histogram;
  ReaderTally tally;
  // Receipts stamped before their send: the cores' clocks disagree (recorded as 0).
  std::uint64_t backwards = 0;

  // Stamps the receipt of a latency frame, records its one-way latency and
  // returns the writer's stamp (for the acknowledgement).
  Stamp receive(const FrameBuffer& frame) {
    const std::uint64_t now = StampClock::get().now();
    Stamp stamp;
    std::memcpy(&stamp, frame.payload().data(), sizeof stamp);
    backwards += now < stamp.ticks ? 1 : 0;
    histogram.record(StampClock::get().elapsed_ns(stamp.ticks, now));
    return stamp;
  }
};
static_assert(std::is_trivially_copyable_v<ReaderLatency>);

// How long a writer waits for every reader's acknowledgement before it counts
// an ack timeout and goes on (pinned readers; oversubscribed ones get longer).
inline constexpr std::chrono::milliseconds kAckTimeout{50};

// Stamps a frame as writer's sequence-th, now; returns the stamp.
inline Stamp stamp_frame(std::span<std::byte> frame, std::uint64_t writer,
                         std::uint64_t sequence) {
  const Stamp stamp{StampClock::get().now(), writer, sequence};
  std::memcpy(frame.data(), &stamp, sizeof stamp);
  return stamp;
}

// Waits until `ack` reaches `sequence`; false if the deadline passes first.
inline bool await_ack(const Ack& ack, std::uint64_t sequence, WallClock::time_point deadline) {
  // The clock is read now and then only: a read costs more than a pause.
  for (unsigned spins = 1; ack.sequence.load(kAckLoad) < sequence; ++spins) {  // (A2)
    StdSync::spin_pause();
    if (spins % 256 == 0 && WallClock::now() > deadline) return false;
  }
  return true;
}

}  // namespace ringlab::bench
