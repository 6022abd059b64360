// known bad, never conforming: the seed's poll (docs/design.md "Origin",
// defect 3), kept only so that the model checker (models/) can show that it
// catches it.
//
// It is the conforming poll_into (ringlab/cursor.hpp) over a source that
// reports a Pending counter (claimed, not yet committed) as Unavailable, as the
// seed's read_at did: the cursor counts it as lost and moves past it, so a frame
// that commits a moment later is never delivered. orbit-core's fix, in
// cursor.hpp, stops at Pending without advancing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "ringlab/cursor.hpp"
#include "ringlab/frame.hpp"

namespace ringlab::known_bad {

template <FrameSource Source>
struct PendingAsUnavailable {
  const Source& source;
  std::uint64_t head() const { return source.head(); }
  std::size_t capacity() const { return source.capacity(); }
  ReadState read_state_at(std::uint64_t counter, FrameBuffer& out) const {
    const ReadState state = source.read_state_at(counter, out);
    // KNOWN BAD (defect 3): an in-flight counter reads as gone.
    return state == ReadState::kPending ? ReadState::kUnavailable : state;
  }
};

template <FrameSource Source, class OnFrame>
PollStats seed_poll_into(const Source& source, RingCursor& cursor, FrameBuffer& scratch,
                         OnFrame&& on_frame) {
  return poll_into(PendingAsUnavailable<Source>{source}, cursor, scratch,
                   std::forward<OnFrame>(on_frame));
}

}  // namespace ringlab::known_bad
