// The operations of hostile_region_test.cpp, each run in a forked child over a
// corrupted region: the child attaches to the segment as any process would,
// runs one operation, and judges what it got. Every frame a read delivers as
// good must be a whole stress frame (common/stress_frame.hpp) while the
// corruption left the slot bodies alone, and never exceed the payload
// capacity; every poll must keep [ExactLoss] and its lap bound; statuses may
// be anything (an error is a fine answer to hostile bytes). A crash, a
// sanitizer report or a hang is the parent's to see.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/children.hpp"
#include "common/stress_frame.hpp"
#include "hostile_fixture.hpp"
#include "ringlab/disruptor/gated_reader.hpp"

namespace ringlab::shm::hostile {

enum class Op {
  kAttach, kWrite, kClaimPublish, kTryWrite, kLoan, kReadId, kReadAt, kReadStateAt,
  kReadHead, kVisit, kPollBounded, kPollUnbounded, kGated, kTakeLease,
};

inline const char* op_name(Op op) {
  constexpr const char* kNames[] = {"attach",     "write",         "claim_publish", "try_write",
                                    "loan",       "read_id",       "read_at",       "read_state_at",
                                    "read_head",  "visit",         "poll_bounded",  "poll_unbounded",
                                    "gated",      "take_lease"};
  return kNames[static_cast<int>(op)];
}

// The operations variant V has.
template <class V>
std::vector<Op> ops_of() {
  std::vector<Op> ops{Op::kAttach, Op::kWrite, Op::kClaimPublish, Op::kReadId, Op::kReadAt,
                      Op::kReadStateAt, Op::kReadHead, Op::kVisit, Op::kPollBounded,
                      Op::kPollUnbounded};
  if constexpr (V::kDisruptor) ops.push_back(Op::kTryWrite);
  if constexpr (!V::kRwlock) ops.push_back(Op::kLoan);
  if constexpr (V::gated()) ops.push_back(Op::kGated);
  if constexpr (V::kSingle) ops.push_back(Op::kTakeLease);
  return ops;
}

inline constexpr auto kPollStallBound = std::chrono::milliseconds(20);
// How long a poll keeps polling a stalled ring: long enough for the stall
// bound to pass on a few counters.
inline constexpr auto kPollFor = std::chrono::milliseconds(60);

// What the child saw that it must not have.
struct Judge {
  bool bodies_intact = true;
  std::vector<std::string> faults;

  void frame(const FrameBuffer& f, absl::string_view where, bool intact) {
    if (f.payload().size() > kSpec.payload_capacity) {
      faults.push_back(absl::StrCat(where, ": a frame of ", f.payload().size(),
                                    " bytes, over the payload capacity"));
    } else if (intact && !stress::verify(f, kKind).whole) {
      faults.push_back(absl::StrCat(where, ": a frame delivered as good is not one that was "
                                    "written (torn, clamped or stale), id ",
                                    f.id.to_string(), ", ", f.payload().size(), " bytes"));
    }
  }
  void frame(const FrameBuffer& f, absl::string_view where) { frame(f, where, bodies_intact); }

  void poll(const PollStats& s, absl::string_view where) {
    if (s.delivered + s.loss.total() != s.to - s.from) {
      faults.push_back(absl::StrCat(where, ": [ExactLoss] broken: delivered ", s.delivered,
                                    " + loss ", s.loss.total(), " != ", s.to, " - ", s.from));
    }
    if (s.delivered > kSpec.capacity) {
      faults.push_back(absl::StrCat(where, ": one poll delivered ", s.delivered, " frames"));
    }
  }
};

template <class V>
absl::StatusOr<std::unique_ptr<typename V::RingT>> open_ring(const SegmentName& name,
                                                             bool writer) {
  SharedRingOptions shared;
  if (V::kSingle && writer) shared.role = RingRole::kWriter;
  return attach_ring<typename V::Storage>(name, kSpec, V::options(), shared);
}

enum class How { kWrite, kClaimPublish, kTryWrite, kLoan };

// Writes one stress frame by `how`; the id it got, or the write's status.
template <class RingT>
absl::StatusOr<NetId64> write_one(RingT& ring, How how) {
  const NodeId node(static_cast<std::uint16_t>(kChildNode));
  std::vector<std::byte> frame(kSpec.payload_capacity);
  const auto fill = [&](std::uint64_t c) {
    frame.resize(stress::frame_size(kChildNode, c, kSpec.payload_capacity));
    stress::fill_frame(frame, c, kChildNode);
  };
  if (how == How::kClaimPublish) {
    const std::size_t size = stress::frame_size(kChildNode, ring.head(), kSpec.payload_capacity);
    absl::StatusOr<WriteTicket> t = ring.claim(node, size);
    if (!t.ok()) return t.status();
    frame.resize(size);
    stress::fill_frame(frame, t->counter, kChildNode);
    const absl::Status s =
        ring.publish(*t, stress::frame_kind(t->counter), stress::frame_ver(t->counter), frame);
    if (!s.ok()) return s;
    return t->id;
  }
  if (how == How::kLoan) {
    if constexpr (LoaningRing<RingT>) {
      const std::size_t size = stress::frame_size(kChildNode, ring.head(), kSpec.payload_capacity);
      auto loan = ring.loan(node, size);
      if (!loan.ok()) return loan.status();
      frame.resize(size);
      stress::fill_frame(frame, loan->counter(), kChildNode);
      if (!loan->superseded()) harness::require(loan->payload().store(0, frame), "loan store");
      const std::uint64_t c = loan->counter();
      const absl::Status s = loan->publish(stress::frame_kind(c), stress::frame_ver(c));
      if (!s.ok()) return s;
      return loan->id();
    }
  }
  // write and try_write learn their counter only from the id: this child is
  // the ring's only writer, so head() now is the counter they get.
  const std::uint64_t c = ring.head();
  fill(c);
  if (how == How::kTryWrite) {
    if constexpr (requires { ring.try_write(node, 0, 0, frame); }) {
      return ring.try_write(node, stress::frame_kind(c), stress::frame_ver(c), frame);
    }
  }
  return ring.write(node, stress::frame_kind(c), stress::frame_ver(c), frame);
}

// Counters worth reading: the first laps, around head, and far ones.
template <class RingT>
std::vector<std::uint64_t> counters_to_read(const RingT& ring) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t c = 0; c < 3 * kSpec.capacity; ++c) out.push_back(c);
  const std::uint64_t head = ring.head();
  const std::uint64_t from = head < 2 * kSpec.capacity ? 0 : head - 2 * kSpec.capacity;
  for (std::uint64_t c = from; c - from < 3 * kSpec.capacity; ++c) out.push_back(c);
  for (const std::uint64_t far : {std::uint64_t{1} << 40, (std::uint64_t{1} << 54) - 1,
                                  std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    out.push_back(far);
  }
  return out;
}

// Polls from `from` until the cursor catches up with head or kPollFor passes.
template <class RingT>
void poll_from(const RingT& ring, std::uint64_t from, bool bounded, Judge& judge) {
  RingCursor cursor = RingCursor::from_counter(from);
  if (bounded) cursor.with_stall_bound(kPollStallBound);
  FrameBuffer scratch = ring.make_buffer();
  const auto until = std::chrono::steady_clock::now() + kPollFor;
  const std::string where = absl::StrCat(bounded ? "bounded" : "unbounded", " poll from ", from);
  for (int round = 0; round < (bounded ? 1000 : 3); ++round) {
    const PollStats s = poll_into(ring, cursor, scratch, [&](const FrameBuffer& f) {
      judge.frame(f, where);
    });
    judge.poll(s, where);
    const bool idle = s.to == s.from && !s.stopped_at_pending;
    if (idle || cursor.next_counter >= ring.head() || std::chrono::steady_clock::now() >= until) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

template <class RingT>
void write_ops(RingT& ring, How how, Judge& judge) {
  std::vector<NetId64> written;
  for (std::uint64_t i = 0; i < kSpec.capacity; ++i) {  // each slot once
    const absl::StatusOr<NetId64> id = write_one(ring, how);
    if (id.ok()) written.push_back(*id);
  }
  // What this child wrote reads back whole, or not at all (dropped over a
  // newer marker, or overwritten).
  FrameBuffer out = ring.make_buffer();
  for (const NetId64 id : written) {
    if (ring.read(id, out).ok()) judge.frame(out, absl::StrCat("read back ", id.to_string()), true);
  }
}

// Runs `op` in this (child) process over the segment; throws what it saw wrong.
template <class V>
void run_op(Op op, const SegmentName& name, bool bodies_intact) {
  using RingT = typename V::RingT;
  Judge judge{bodies_intact, {}};
  const bool writes = op == Op::kWrite || op == Op::kClaimPublish || op == Op::kTryWrite ||
                      op == Op::kLoan || op == Op::kGated;
  absl::StatusOr<std::unique_ptr<RingT>> opened = open_ring<V>(name, writes);
  if (!opened.ok()) {
    // Only the writer lease may be refused: the header is never corrupted.
    harness::require(V::kSingle && writes && absl::IsFailedPrecondition(opened.status()),
                     absl::StrCat("attach: ", opened.status().ToString()));
    return;
  }
  RingT& ring = **opened;
  FrameBuffer out = ring.make_buffer();
  switch (op) {
    case Op::kAttach: (void)ring.head(); break;
    case Op::kWrite: write_ops(ring, How::kWrite, judge); break;
    case Op::kClaimPublish: write_ops(ring, How::kClaimPublish, judge); break;
    case Op::kTryWrite: write_ops(ring, How::kTryWrite, judge); break;
    case Op::kLoan: write_ops(ring, How::kLoan, judge); break;
    case Op::kReadId:
      for (const std::uint64_t c : counters_to_read(ring)) {
        for (const std::uint32_t node : {kCreatorNode, kChildNode}) {
          const NetId64 id = NetId64::make(kKind, static_cast<std::uint16_t>(node), c);
          if (ring.read(id, out).ok()) judge.frame(out, absl::StrCat("read(", c, ")"));
        }
      }
      break;
    case Op::kReadAt:
      for (const std::uint64_t c : counters_to_read(ring)) {
        if (ring.read_at(c, out)) judge.frame(out, absl::StrCat("read_at(", c, ")"));
      }
      break;
    case Op::kReadStateAt:
      for (const std::uint64_t c : counters_to_read(ring)) {
        bool overwritten = false;
        if (ring.read_state_at(c, out, &overwritten) == ReadState::kReady) {
          judge.frame(out, absl::StrCat("read_state_at(", c, ")"));
        }
      }
      break;
    case Op::kReadHead:
      if (ring.read_head(out)) judge.frame(out, "read_head");
      break;
    case Op::kVisit:
      for (const std::uint64_t c : counters_to_read(ring)) {
        FrameBuffer seen = ring.make_buffer();
        const ReadState state = ring.visit(c, [&](const FrameViewOf<RingT>& v) {
          seen.id = v.id();
          seen.kind = v.kind();
          seen.ver = v.ver();
          seen.set_size(v.load(0, seen.storage()));
          harness::require(v.size() <= kSpec.payload_capacity, "a view over the capacity");
        });
        if (state == ReadState::kReady) judge.frame(seen, absl::StrCat("visit(", c, ")"));
      }
      break;
    case Op::kPollBounded:
    case Op::kPollUnbounded: {
      const bool bounded = op == Op::kPollBounded;
      const std::uint64_t head = ring.head();
      for (const std::uint64_t from :
           {std::uint64_t{0}, head >= kSpec.capacity ? head - kSpec.capacity : 0, head,
            (std::uint64_t{1} << 54) - 2}) {
        poll_from(ring, from, bounded, judge);
      }
      break;
    }
    case Op::kGated:
      if constexpr (V::gated()) {
        auto reader = GatedReader<RingT>::attach(ring, kPollStallBound);
        if (!reader.ok()) break;  // every gate taken: an error is an answer
        for (std::uint64_t i = 0; i <= kSpec.capacity; ++i) {
          // Catch up first (the bounded cursor gives a stalled counter up),
          // so that the blocking claim below never waits for this reader.
          const auto until = std::chrono::steady_clock::now() + kPollFor;
          while (reader->cursor().next_counter < ring.head() &&
                 std::chrono::steady_clock::now() < until) {
            judge.poll(reader->poll(out, [&](const FrameBuffer& f) {
              judge.frame(f, "gated reader");
            }), "gated reader");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
          }
          if (reader->cursor().next_counter + kSpec.capacity <= ring.head()) break;
          (void)write_one(ring, How::kWrite);
        }
      }
      break;
    case Op::kTakeLease:
      if constexpr (V::kSingle) {
        if (ring.take_writer_lease().ok()) write_ops(ring, How::kWrite, judge);
      }
      break;
  }
  harness::require(judge.faults.empty(), absl::StrJoin(judge.faults, "; "));
}

}  // namespace ringlab::shm::hostile
