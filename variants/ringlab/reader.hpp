// GatedReader: a disruptor reader registered with the sequencer. Its polls
// advance its gate, so in gated mode writers never overwrite what it has not
// consumed; it waits for writers through the ring's SequenceBarrier.
//
// In shared memory, give it a stall bound [StallBound]: a writer process that
// dies between its claim and its commit leaves a counter that is never
// published, and in gated mode the one writer that could take its slot over
// (the next lap's) waits for this reader's gate. With a bound the reader gives
// the counter up as stalled loss, advances its gate past it, and the ring
// moves on; without one the ring stops for good.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/status/statusor.h"
#include "ringlab/cursor.hpp"
#include "ringlab/disruptor/sequence_barrier.hpp"

namespace ringlab {

template <class RingT>
class GatedReader {
 public:
  static absl::StatusOr<GatedReader> attach(
      RingT& ring, RingCursor::clock::duration stall_bound = RingCursor::kNoStallBound) {
    auto gate = ring.storage().sequencer().register_gate();
    if (!gate.ok()) return gate.status();
    return GatedReader(ring, gate->first, gate->second, stall_bound);
  }

  GatedReader(GatedReader&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)), gate_(other.gate_), cursor_(other.cursor_) {}
  GatedReader& operator=(GatedReader&&) = delete;
  GatedReader(const GatedReader&) = delete;
  ~GatedReader() {
    if (ring_ != nullptr) ring_->storage().sequencer().release_gate(gate_);
  }

  template <class OnFrame>
  PollStats poll(FrameBuffer& scratch, OnFrame&& on_frame,
                 std::uint64_t max_frames = std::numeric_limits<std::uint64_t>::max()) {
    PollStats stats = poll_into(*ring_, cursor_, scratch, std::forward<OnFrame>(on_frame),
                                max_frames);
    if (stats.to != stats.from) {
      ring_->storage().sequencer().advance_gate(gate_, cursor_.next_counter);
    }
    return stats;
  }

  // Waits until the writer of the next counter is done with it.
  template <class Duration>
  WaitResult wait(Duration timeout) {
    using Clock = typename RingT::storage_type::Barrier::clock;
    // A timeout too long for the clock's duration means "wait until published".
    const auto bounded = timeout >= std::chrono::duration_cast<Duration>(Clock::duration::max())
                             ? Clock::duration::max()
                             : std::chrono::duration_cast<typename Clock::duration>(timeout);
    return ring_->storage().barrier().wait_for(cursor_.next_counter, bounded);
  }

  const RingCursor& cursor() const { return cursor_; }

 private:
  GatedReader(RingT& ring, std::size_t gate, std::uint64_t start,
              RingCursor::clock::duration stall_bound)
      : ring_(&ring),
        gate_(gate),
        cursor_(RingCursor::from_counter(start).with_stall_bound(stall_bound)) {}

  RingT* ring_;
  std::size_t gate_;
  RingCursor cursor_;
};

}  // namespace ringlab
