// RingCursor and poll: a reader's walk through a ring by counter, with exact
// loss accounting. Invariant [ExactLoss]: for every poll,
//   delivered + loss.overwritten + loss.unavailable + loss.stalled == to - from,
// and a cursor never moves past a Pending counter (orbit-core's fix of the
// seed's defect 3), so a frame that commits late is still delivered, unless
// the cursor has a stall bound [StallBound]: a counter that stays Pending for
// longer than the bound is given up and counted as stalled loss. A writer
// that dies between its claim and its commit leaves its counter Pending until a
// later writer laps the slot; with a bound, readers move on within it.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "ringlab/frame.hpp"

namespace ringlab {

struct RingCursor {
  using clock = std::chrono::steady_clock;
  static constexpr clock::duration kNoStallBound = clock::duration::max();

  std::uint64_t next_counter = 0;
  // [StallBound] How long next_counter may stay Pending before this cursor
  // gives it up; kNoStallBound: wait for it however long it takes.
  clock::duration stall_bound = kNoStallBound;
  // When this cursor first found next_counter Pending (bounded cursors only).
  clock::time_point pending_since{};
  std::uint64_t pending_counter = 0;
  bool pending = false;

  static constexpr RingCursor from_start() { return RingCursor{0}; }
  static constexpr RingCursor from_counter(std::uint64_t counter) { return RingCursor{counter}; }
  RingCursor& with_stall_bound(clock::duration bound) {
    stall_bound = bound;
    return *this;
  }
};

struct Loss {
  std::uint64_t overwritten = 0;  // the ring moved on past them
  std::uint64_t unavailable = 0;  // abandoned, superseded, or an empty or foreign slot
  std::uint64_t stalled = 0;      // Pending for longer than the cursor's stall bound
  std::uint64_t total() const { return overwritten + unavailable + stalled; }
  Loss& operator+=(const Loss& o) {
    overwritten += o.overwritten;
    unavailable += o.unavailable;
    stalled += o.stalled;
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

namespace detail {

// [StallBound] Whether the cursor gives `counter` up now; starts its clock the
// first time it finds the counter Pending. Unbounded cursors never read the clock.
inline bool give_up_pending(RingCursor& cursor, std::uint64_t counter) {
  if (cursor.stall_bound == RingCursor::kNoStallBound) return false;
  const RingCursor::clock::time_point now = RingCursor::clock::now();
  if (!cursor.pending || cursor.pending_counter != counter) {
    cursor.pending = true;
    cursor.pending_counter = counter;
    cursor.pending_since = now;
    return false;
  }
  if (now - cursor.pending_since < cursor.stall_bound) return false;
  cursor.pending = false;
  return true;
}

}  // namespace detail

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
      if (!detail::give_up_pending(cursor, next)) {
        stats.stopped_at_pending = true;
        break;
      }
      ++stats.loss.stalled;
      ++next;
      continue;
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
