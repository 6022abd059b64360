// GatedReader: a reader registered with a gated ring (Ring::register_gate).
// Its polls advance its gate, so writers never overwrite what it has not
// consumed; it waits for writers through the ring's barrier (Ring::wait_for).
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
#include "ringlab/capabilities.hpp"
#include "ringlab/cursor.hpp"

namespace ringlab {

template <class RingT>
  requires GatingRing<RingT> && WaitingRing<RingT>
class GatedReader {
 public:
  static absl::StatusOr<GatedReader> attach(
      RingT& ring, RingCursor::clock::duration stall_bound = RingCursor::kNoStallBound) {
    absl::StatusOr<ReaderGate> gate = ring.register_gate();
    if (!gate.ok()) return gate.status();
    return GatedReader(ring, *gate, stall_bound);
  }

  GatedReader(GatedReader&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)), gate_(other.gate_), cursor_(other.cursor_) {}
  GatedReader& operator=(GatedReader&&) = delete;
  GatedReader(const GatedReader&) = delete;
  ~GatedReader() {
    if (ring_ != nullptr) ring_->release_gate(gate_);
  }

  template <class OnFrame>
  PollStats poll(FrameBuffer& scratch, OnFrame&& on_frame,
                 std::uint64_t max_frames = std::numeric_limits<std::uint64_t>::max()) {
    PollStats stats = poll_into(*ring_, cursor_, scratch, std::forward<OnFrame>(on_frame),
                                max_frames);
    if (stats.to != stats.from) {
      ring_->advance_gate(gate_, cursor_.next_counter);
    }
    return stats;
  }

  // Waits until the writer of the next counter is done with it.
  template <class Rep, class Period>
  WaitResult wait(std::chrono::duration<Rep, Period> timeout) {
    return ring_->wait_for(cursor_.next_counter, timeout);
  }

  const RingCursor& cursor() const { return cursor_; }

 private:
  GatedReader(RingT& ring, const ReaderGate& gate, RingCursor::clock::duration stall_bound)
      : ring_(&ring),
        gate_(gate),
        cursor_(RingCursor::from_counter(gate.start).with_stall_bound(stall_bound)) {}

  RingT* ring_;
  ReaderGate gate_;
  RingCursor cursor_;
};

// GatedReader<RingT> where the ring can gate readers, `Otherwise` where it
// cannot: for generic code that holds a gated reader only where one exists.
template <class RingT, class Otherwise>
struct gated_reader_or {
  using type = Otherwise;
};
template <class RingT, class Otherwise>
  requires GatingRing<RingT> && WaitingRing<RingT>
struct gated_reader_or<RingT, Otherwise> {
  using type = GatedReader<RingT>;
};
template <class RingT, class Otherwise>
using gated_reader_or_t = typename gated_reader_or<RingT, Otherwise>::type;

}  // namespace ringlab
