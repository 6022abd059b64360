// RingCursor and poll: a reader's walk through a ring by counter, with exact
// loss accounting. Invariant [ExactLoss]: for every poll,
//   delivered + loss.overwritten + loss.unavailable + loss.stalled == to - from,
// and a cursor never moves past a Pending counter (the fix of the seed's
// defect 3, docs/design.md "Origin"), so a frame that commits late is still
// delivered, unless the cursor has a stall bound [StallBound]: a counter that
// stays Pending for longer than the bound is given up and counted as stalled
// loss. A writer that dies between its claim and its commit leaves its counter
// Pending until a later writer laps the slot; with a bound, readers move on
// within it.
//
// A poll follows the slot markers [FollowMarkers]: it reads the next
// counter's slot and decides from its marker alone, reading the ring's head
// only when the marker says the cursor was lapped (to count the whole run of
// lost counters at once), when the counter is below the ring's first, and
// when a bounded cursor must prove a counter was claimed before it starts a
// stall clock. So a caught-up reader touches no shared line but the next
// slot's, and a writer that runs ahead finds none of its lines held by it.
// Why each invariant still holds:
//  - [ExactLoss]: every counter the cursor passes is counted once, as
//    delivered, overwritten (its slot held a newer counter, or it lay more
//    than a lap below head: head - capacity > it), unavailable (abandoned, or
//    below the first counter) or stalled.
//  - Never past a Pending counter: a slot holding an older counter or c's
//    in-flight mark stops the poll (unbounded cursors stop without asking
//    head whether c was claimed: either way there is nothing to deliver yet),
//    and the markers only grow [MarkerMonotone], so a newer marker means c's
//    writer can never commit c: a lapping writer took the slot and c's own
//    writer drops its frame (detail/versioned_slot.hpp).
//  - [StallBound]: a bounded cursor starts its clock only on a counter it
//    knows was claimed (its in-flight mark, or head past it), so an unclaimed
//    counter is never given up; a claimed one whose slot is lapped while the
//    cursor waits is counted overwritten, not stalled.
//  - [PollBound]: a poll makes at most capacity + 1 probes (a lap, and one for
//    the jump a lapped cursor makes), so it returns however fast writers go
//    and whatever a hostile shared-memory region holds.
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
  // What a bounded cursor reads its stall clock with; only while a counter is
  // Pending, so a test can set it without touching the hot path.
  using Now = clock::time_point (*)();
  static clock::time_point steady_now() { return clock::now(); }

  std::uint64_t next_counter = 0;
  // [StallBound] How long next_counter may stay Pending before this cursor
  // gives it up; kNoStallBound: wait for it however long it takes.
  clock::duration stall_bound = kNoStallBound;
  // When this cursor first found next_counter Pending (bounded cursors only).
  clock::time_point pending_since{};
  std::uint64_t pending_counter = 0;
  bool pending = false;
  Now now = &steady_now;

  static constexpr RingCursor from_start() { return RingCursor{0}; }
  static constexpr RingCursor from_counter(std::uint64_t counter) { return RingCursor{counter}; }
  RingCursor& with_stall_bound(clock::duration bound) {
    stall_bound = bound;
    return *this;
  }
  RingCursor& with_clock(Now clock_now) {
    now = clock_now;
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

// A source that answers from a counter's own slot (Ring::probe).
template <class S>
concept MarkerSource = FrameSource<S> && requires(const S& s, std::uint64_t c, FrameBuffer& b) {
  { s.probe(c, b) } -> std::same_as<SlotRead>;
};

struct PollStats {
  std::uint64_t delivered = 0;
  Loss loss;
  std::uint64_t from = 0;  // cursor before the poll
  std::uint64_t to = 0;    // cursor after it
  // The poll stopped at a counter known to be claimed and not committed (an
  // unbounded cursor that finds an older marker stops without asking).
  bool stopped_at_pending = false;
};

namespace detail {

// [StallBound] Whether the cursor gives `counter` up now; starts its clock the
// first time it finds the counter Pending. Unbounded cursors never read the clock.
inline bool give_up_pending(RingCursor& cursor, std::uint64_t counter) {
  if (cursor.stall_bound == RingCursor::kNoStallBound) return false;
  const RingCursor::clock::time_point now = cursor.now();
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

// A source's answer for one counter as a slot's: Ring::probe where the source
// has it; otherwise derived from read_state_at and the head.
template <FrameSource Source>
SlotRead probe(const Source& source, std::uint64_t c, FrameBuffer& scratch) {
  if constexpr (MarkerSource<Source>) {
    return source.probe(c, scratch);
  } else {
    if (c >= source.head()) return SlotRead::kOlder;
    bool overwritten = false;
    ReadState state;
    if constexpr (requires(bool* o) { source.read_state_at(c, scratch, o); }) {
      state = source.read_state_at(c, scratch, &overwritten);
    } else {
      // A plain source: counter c + capacity, a lap later, claimed by now.
      state = source.read_state_at(c, scratch);
      overwritten = state == ReadState::kUnavailable && c + source.capacity() < source.head();
    }
    switch (state) {
      case ReadState::kReady: return SlotRead::kCopied;
      case ReadState::kPending: return SlotRead::kWriting;
      default: return overwritten ? SlotRead::kNewer : SlotRead::kAbandoned;
    }
  }
}

}  // namespace detail

// Walks from cursor.next_counter towards head [FollowMarkers], calling
// on_frame(const FrameBuffer&) or on_frame(const FrameBuffer&, std::uint64_t
// counter) for each Ready frame, at most max_frames of them, and at most a lap
// [PollBound]. Reads into `scratch`, which must hold the ring's payload
// capacity; allocates nothing.
template <FrameSource Source, class OnFrame>
PollStats poll_into(const Source& source, RingCursor& cursor, FrameBuffer& scratch,
                    OnFrame&& on_frame,
                    std::uint64_t max_frames = std::numeric_limits<std::uint64_t>::max()) {
  PollStats stats;
  stats.from = cursor.next_counter;
  const std::uint64_t capacity = source.capacity();
  std::uint64_t next = cursor.next_counter;
  for (std::uint64_t probes = 0; probes <= capacity && stats.delivered < max_frames; ++probes) {
    const SlotRead seen = detail::probe(source, next, scratch);
    if (seen == SlotRead::kCopied) {
      ++stats.delivered;
      if constexpr (std::is_invocable_v<OnFrame&, const FrameBuffer&, std::uint64_t>) {
        on_frame(static_cast<const FrameBuffer&>(scratch), next);
      } else {
        on_frame(static_cast<const FrameBuffer&>(scratch));
      }
      ++next;
      continue;
    }
    if (seen == SlotRead::kAbandoned) {
      ++stats.loss.unavailable;
      ++next;
      continue;
    }
    if (seen == SlotRead::kNewer || seen == SlotRead::kBeforeFirst) {
      // Lapped, or below the first counter: only now is head read, to jump
      // over every counter more than a lap behind it at once.
      const std::uint64_t head = source.head();
      if (head > next && head - next > capacity) {
        stats.loss.overwritten += head - capacity - next;
        next = head - capacity;
      } else {
        ++(seen == SlotRead::kNewer ? stats.loss.overwritten : stats.loss.unavailable);
        ++next;
      }
      continue;
    }
    // kWriting or kOlder: `next` is not committed. Caught up, or Pending.
    const bool bounded = cursor.stall_bound != RingCursor::kNoStallBound;
    if (seen == SlotRead::kOlder && !(bounded && next < source.head())) break;
    if (!detail::give_up_pending(cursor, next)) {
      stats.stopped_at_pending = true;
      break;
    }
    ++stats.loss.stalled;
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
