// RingCursor and poll: a reader's walk through a ring by counter, with exact
// loss accounting. Invariant [ExactLoss]: for every poll,
//   delivered + loss.overwritten + loss.unavailable == to - from,
// and a cursor never moves past a Pending counter (orbit-core's fix of the
// seed's defect 3), so a frame that commits late is still delivered.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "ringlab/frame.hpp"

namespace ringlab {

struct RingCursor {
  std::uint64_t next_counter = 0;
  static constexpr RingCursor from_start() { return RingCursor{0}; }
  static constexpr RingCursor from_counter(std::uint64_t counter) { return RingCursor{counter}; }
};

struct Loss {
  std::uint64_t overwritten = 0;  // the ring moved on past them
  std::uint64_t unavailable = 0;  // abandoned, superseded, or an empty or foreign slot
  std::uint64_t total() const { return overwritten + unavailable; }
  Loss& operator+=(const Loss& o) {
    overwritten += o.overwritten;
    unavailable += o.unavailable;
    return *this;
  }
  friend bool operator==(const Loss&, const Loss&) = default;
};

// Anything poll can walk: a ring, or a test double.
template <class S>
concept FrameSource = requires(const S& s, std::uint64_t c, FrameBuffer& b) {
  { s.head() } -> std::convertible_to<std::uint64_t>;
  { s.capacity() } -> std::convertible_to<std::size_t>;
  { s.read_state_at(c, b) } -> std::same_as<ReadState>;
};

struct PollStats {
  std::uint64_t delivered = 0;
  Loss loss;
  std::uint64_t from = 0;  // cursor before the poll
  std::uint64_t to = 0;    // cursor after it
  bool stopped_at_pending = false;
};

// Walks cursor.next_counter .. head, calling on_frame(const FrameBuffer&) or
// on_frame(const FrameBuffer&, std::uint64_t counter) for each Ready frame, at
// most max_frames of them. Reads into `scratch`, which
// must hold the ring's payload capacity; allocates nothing.
template <FrameSource Source, class OnFrame>
PollStats poll_into(const Source& source, RingCursor& cursor, FrameBuffer& scratch,
                    OnFrame&& on_frame,
                    std::uint64_t max_frames = std::numeric_limits<std::uint64_t>::max()) {
  PollStats stats;
  stats.from = cursor.next_counter;
  const std::uint64_t head = source.head();
  const std::uint64_t capacity = source.capacity();
  std::uint64_t next = cursor.next_counter;
  if (head > next && head - next > capacity) {
    stats.loss.overwritten += head - capacity - next;
    next = head - capacity;
  }
  while (next < head && stats.delivered < max_frames) {
    bool overwritten = false;
    ReadState state;
    if constexpr (requires(bool* o) { source.read_state_at(next, scratch, o); }) {
      state = source.read_state_at(next, scratch, &overwritten);
    } else {
      // A plain source: counter next + capacity, a lap later, claimed by now.
      state = source.read_state_at(next, scratch);
      overwritten = state == ReadState::kUnavailable && next + capacity < source.head();
    }
    if (state == ReadState::kPending) {
      stats.stopped_at_pending = true;
      break;
    }
    if (state == ReadState::kReady) {
      ++stats.delivered;
      if constexpr (std::is_invocable_v<OnFrame&, const FrameBuffer&, std::uint64_t>) {
        on_frame(static_cast<const FrameBuffer&>(scratch), next);
      } else {
        on_frame(static_cast<const FrameBuffer&>(scratch));
      }
    } else if (overwritten) {
      ++stats.loss.overwritten;
    } else {
      ++stats.loss.unavailable;
    }
    ++next;
  }
  cursor.next_counter = next;
  stats.to = next;
  return stats;
}

// The seed's poll shape: frames collected into a vector (allocates).
struct PollResult {
  std::vector<Frame> frames;
  Loss loss;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};

template <FrameSource Source>
PollResult poll(const Source& source, RingCursor& cursor, std::size_t payload_capacity) {
  PollResult result;
  FrameBuffer scratch(payload_capacity);
  const PollStats stats = poll_into(source, cursor, scratch, [&](const FrameBuffer& frame) {
    result.frames.push_back(frame.to_frame());
  });
  result.loss = stats.loss;
  result.from = stats.from;
  result.to = stats.to;
  return result;
}

template <FrameSource Source>
  requires requires(const Source& s) { s.payload_capacity(); }
PollResult poll(const Source& source, RingCursor& cursor) {
  return poll(source, cursor, source.payload_capacity());
}

}  // namespace ringlab
