// What the soak's writer and reader processes do, until they are killed. Each
// attaches to the variant's ring in shared memory, then loops: a writer claims
// a counter and publishes the self-checking frame of that counter; a reader
// polls with a stall-bounded cursor and checks every frame it is given. Both
// are SIGKILLed wherever they are.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "board.hpp"
#include "common/stress_frame.hpp"
#include "ringlab/disruptor/gated_reader.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::soak {

inline constexpr std::uint8_t kKind = 13;
// Small enough that writers lap the slot of a killed writer within a few
// milliseconds, large enough that readers are not lapped at every poll.
inline constexpr RingSpec kSpec{64, 48};
// Rings start just below 2^32 (recorded in the segment's header), so a soak of
// a few seconds already writes across that edge between processes.
inline constexpr std::uint64_t kFirstCounter = (std::uint64_t{1} << 32) - 4096;
// [StallBound] How long a reader waits on a killed writer's counter.
inline constexpr std::chrono::milliseconds kReaderStallBound{50};
// How long a gated reader retries for a gate while dead readers still hold them.
inline constexpr std::chrono::seconds kGateLimit{2};

// Where a child leaves when it cannot go on: the reason in its seat, status 3.
[[noreturn]] inline void give_up(Seat& seat, std::string_view why) {
  seat.fail(why);
  ::_exit(3);
}

template <class V>
std::unique_ptr<typename V::shared_ring> attach(const shm::SegmentName& name, Seat& seat) {
  using RingT = typename V::shared_ring;
  auto ring = shm::attach_ring<typename RingT::storage_type>(name, kSpec, V::shared_options());
  if (!ring.ok()) give_up(seat, absl::StrCat("attach: ", ring.status().ToString()));
  return *std::move(ring);
}

// A writer process: `node` names it in its frames (1..65535).
template <class V>
[[noreturn]] void writer_main(const shm::SegmentName& name, Seat& seat, std::uint16_t node) {
  const auto ring = attach<V>(name, seat);
  if constexpr (V::single_writer) {
    // The holder before the take: a pid other than ours is a dead writer's
    // lease, which the take replaces (a live one makes the take fail).
    const std::uint64_t before = ring->storage().writer_lease_holder();
    if (absl::Status s = ring->take_writer_lease(); !s.ok()) {
      give_up(seat, absl::StrCat("writer lease: ", s.ToString()));
    }
    if (before != 0 && before != static_cast<std::uint64_t>(::getpid())) seat.took_over.store(1);
  }
  std::vector<std::byte> buffer(kSpec.payload_capacity);
  for (std::uint64_t seq = 0;; ++seq) {
    const std::size_t size = stress::frame_size(node, seq, buffer.size());
    const absl::StatusOr<WriteTicket> ticket = ring->claim(NodeId(node), size);
    if (!ticket.ok()) give_up(seat, absl::StrCat("claim: ", ticket.status().ToString()));
    const std::uint64_t c = ticket->counter;
    const std::span<std::byte> frame(buffer.data(), size);
    stress::fill_frame(frame, c, node);
    const absl::Status s = ring->publish(*ticket, stress::frame_kind(c), stress::frame_ver(c), frame);
    if (!s.ok()) give_up(seat, absl::StrCat("publish of ", c, ": ", s.ToString()));
    seat.written.fetch_add(1, std::memory_order_relaxed);
  }
}

// A reader's cursor: a registered gate on a gated ring, a plain one otherwise.
template <class RingT>
class Cursor {
  static constexpr bool kGates = GatingRing<RingT> && WaitingRing<RingT>;

 public:
  Cursor(RingT& ring, bool gated, Seat& seat) : ring_(ring) {
    if constexpr (kGates) {
      if (gated) {
        gate_.emplace(register_gate(seat));
        return;
      }
    }
    cursor_ = RingCursor::from_counter(ring.head()).with_stall_bound(kReaderStallBound);
  }

  template <class OnFrame>
  PollStats poll(FrameBuffer& buffer, OnFrame&& on_frame) {
    if constexpr (kGates) {
      if (gate_) return gate_->poll(buffer, on_frame);
    }
    return poll_into(ring_, cursor_, buffer, on_frame);
  }

 private:
  // Killed readers leave their gates set until someone frees them: a reader
  // that finds none free frees the dead ones itself.
  auto register_gate(Seat& seat) {
    const auto deadline = std::chrono::steady_clock::now() + kGateLimit;
    for (;;) {
      auto reader = GatedReader<RingT>::attach(ring_, kReaderStallBound);
      if (reader.ok()) return *std::move(reader);
      if (!absl::IsResourceExhausted(reader.status()) ||
          std::chrono::steady_clock::now() >= deadline) {
        give_up(seat, absl::StrCat("register a gate: ", reader.status().ToString()));
      }
      ring_.release_dead_gates();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  RingT& ring_;
  RingCursor cursor_;
  std::optional<gated_reader_or_t<RingT, std::monostate>> gate_;
};

template <class V>
[[noreturn]] void reader_main(const shm::SegmentName& name, Seat& seat) {
  const auto ring = attach<V>(name, seat);
  Cursor<typename V::shared_ring> cursor(*ring, V::lossless, seat);
  FrameBuffer buffer = ring->make_buffer();
  ReaderTally tally;
  for (;;) {
    const PollStats stats = cursor.poll(buffer, [&](const FrameBuffer& f, std::uint64_t c) {
      tally.frames(f, c, kKind);
    });
    tally.polls.add(stats);
    seat.publish(tally);
    if (stats.delivered > 0) {
      seat.last_new_ns.store(monotonic_ns(), std::memory_order_relaxed);
    } else if (stats.to == stats.from) {
      // Nothing new: leave the cores to the writers (two cores, five processes).
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

// The watcher: a counter claimed by a writer that was killed stays Pending
// until a writer takes its slot over (or a lap later writes it). Readers give
// it up after their stall bound and other slots keep the ring moving, so only
// this shows a slot that is never taken over. Each look finds the Pending
// counters of the last lap and looks again at those found before; a counter
// Pending for longer than `bound` ends the watcher with the reason. A process
// of its own, because a look may block (rwlock's probe takes the slot's lock,
// which a killed writer may hold): the parent never blocks on shared memory.
template <class V>
[[noreturn]] void watcher_main(const shm::SegmentName& name, Seat& seat,
                               std::chrono::nanoseconds bound) {
  // Counters watched at once; more are not looked at.
  constexpr std::size_t kMaxWatched = 4096;
  const auto ring = attach<V>(name, seat);
  FrameBuffer scratch = ring->make_buffer();
  std::map<std::uint64_t, std::int64_t> pending;  // counter -> when first seen Pending
  const auto is_pending = [&](std::uint64_t c) {
    const SlotRead seen = ring->probe(c, scratch);
    return seen == SlotRead::kWriting || seen == SlotRead::kOlder;  // claimed: c < head
  };
  std::int64_t longest = 0;
  for (;;) {
    const std::int64_t now = monotonic_ns();
    const std::uint64_t head = ring->head();
    for (std::uint64_t c = head > kSpec.capacity ? head - kSpec.capacity : 0; c < head; ++c) {
      if (pending.size() < kMaxWatched && !pending.contains(c) && is_pending(c)) {
        pending.emplace(c, now);
      }
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (!is_pending(it->first)) {
        it = pending.erase(it);
        continue;
      }
      longest = std::max(longest, now - it->second);
      seat.written.store(static_cast<std::uint64_t>(longest / 1000), std::memory_order_relaxed);
      if (now - it->second > bound.count()) {
        give_up(seat, absl::StrCat("counter ", it->first, " stayed Pending for ",
                                   (now - it->second) / 1'000'000,
                                   " ms: no writer took its slot over"));
      }
      ++it;
    }
    seat.last_new_ns.store(monotonic_ns(), std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

}  // namespace ringlab::soak
