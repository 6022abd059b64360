// known bad, never conforming: the seed's poll (NOTES.md defect 3), kept only so
// that the model checker (models/) can show that it catches it.
//
// It is poll_into from ringlab/cursor.hpp with one piece changed: a Pending
// counter (claimed, not yet committed) is counted as unavailable and the cursor
// moves past it, so a frame that commits a moment later is never delivered.
// orbit-core's fix, in cursor.hpp, stops at Pending without advancing.
#pragma once

#include <cstdint>

#include "ringlab/cursor.hpp"
#include "ringlab/frame.hpp"

namespace ringlab::known_bad {

template <FrameSource Source, class OnFrame>
PollStats seed_poll_into(const Source& source, RingCursor& cursor, FrameBuffer& scratch,
                         OnFrame&& on_frame) {
  PollStats stats;
  stats.from = cursor.next_counter;
  const std::uint64_t head = source.head();
  const std::uint64_t capacity = source.capacity();
  std::uint64_t next = cursor.next_counter;
  if (head > next && head - next > capacity) {
    stats.loss.overwritten += head - capacity - next;
    next = head - capacity;
  }
  while (next < head) {
    const ReadState state = source.read_state_at(next, scratch);
    if (state == ReadState::kReady) {
      ++stats.delivered;
      on_frame(static_cast<const FrameBuffer&>(scratch));
    } else if (next + capacity < source.head()) {
      ++stats.loss.overwritten;
    } else {
      // KNOWN BAD (defect 3): Pending lands here too, and the cursor moves on.
      ++stats.loss.unavailable;
    }
    ++next;
  }
  cursor.next_counter = next;
  stats.to = next;
  return stats;
}

}  // namespace ringlab::known_bad
