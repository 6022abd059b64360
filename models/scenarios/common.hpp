// Scenarios shared by every variant's model executable (include once, in the
// one translation unit of each executable, after the ringlab headers and
// before nothing else: model_runner.hpp brings Relacy's macros).
//
//   SlotScenario   W writers x R readers on one storage through its slot API
//                  (claim/publish/slot_state/read_slot): whole frames only, Ready
//                  only for the counter asked for, [MarkerMonotone], and at the
//                  end exactly the newest `capacity` counters Ready.
//   PollScenario   1 writer x 1 polling reader through poll_into (cursor.hpp)
//                  over StorageSource: [ExactLoss] per poll and over the run,
//                  frames in counter order, every loss an overwrite, and every
//                  frame still in the ring at the end delivered.
//   BoundedPollScenario  W writers x 1 polling reader with a stall bound
//                  [StallBound]: an unclaimed counter is never given up, a
//                  Pending counter lapped while the reader waits is counted
//                  overwritten, never stalled once the lap came first.
//
// Results hold for these bounded scenarios under Relacy's memory model only.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ringlab/cursor.hpp"
#include "ringlab/detail/region.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"
#include "ringlab/ordering.hpp"
// Last: Relacy's macros.
#include "model_runner.hpp"

namespace ringlab::models {

constexpr std::size_t kPayloadBytes = 16;
constexpr std::uint8_t kIdKind = 7;
constexpr std::uint8_t kFrameKind = 3;

// Reader destinations, one per reader plus one for after(). Built before any
// test runs, so their heap blocks are not Relacy's: Relacy makes every free()
// inside a test a branch of the context-bound search. A reader only looks at a
// buffer after a read has filled it, so nothing carries over between runs.
constexpr unsigned kMaxBuffers = 4;
inline std::array<FrameBuffer, kMaxBuffers> g_buffers = {
    FrameBuffer(kPayloadBytes), FrameBuffer(kPayloadBytes), FrameBuffer(kPayloadBytes),
    FrameBuffer(kPayloadBytes)};

// Payload word i of the frame with counter c: every word differs per counter.
constexpr std::uint64_t payload_word(std::uint64_t c, std::size_t i) {
  return (c + 1) * 0x9E37'79B9'7F4A'7C15ull ^ (i + 1) * 0xC2B2'AE3D'27D4'EB4Full;
}

// The state of a counter known to be claimed, from the storage's slot alone.
template <class Storage>
ReadState slot_state(const Storage& storage, std::uint64_t c, FrameBuffer& out,
                     bool* overwritten = nullptr) {
  return read_state_of(storage.read_counter(c, out), [] { return true; }, overwritten);
}

// Publishes the self-checking frame of counter c (no heap: a stack payload).
template <class Storage>
void publish_frame(Storage& storage, std::uint64_t c, unsigned writer) {
  std::array<std::byte, kPayloadBytes> payload;
  for (std::size_t i = 0; i < kPayloadBytes / 8; ++i) {
    const std::uint64_t w = payload_word(c, i);
    std::memcpy(payload.data() + 8 * i, &w, 8);
  }
  const FrameHeader header{NetId64::make(kIdKind, static_cast<std::uint16_t>(writer + 1), c),
                           kFrameKind, /*ver=*/c};
  storage.publish(c, header, payload);
}

// A frame is whole when every field and payload word derives from one counter
// (the writer puts the counter in ver) in [first, end) by one of `writers`.
inline void check_whole(const FrameBuffer& f, std::uint64_t first, std::uint64_t end,
                        unsigned writers) {
  const std::uint64_t c = f.ver;
  RL_ASSERT(c >= first && c < end);
  RL_ASSERT(f.id.kind() == kIdKind);
  RL_ASSERT(f.id.node().get() >= 1 && f.id.node().get() <= writers);
  RL_ASSERT(f.id.counter() == (c & NetId64::kCounterMask));
  RL_ASSERT(f.kind == kFrameKind);
  RL_ASSERT(f.payload().size() == kPayloadBytes);
  for (std::size_t i = 0; i < kPayloadBytes / 8; ++i) {
    std::uint64_t w = 0;
    std::memcpy(&w, f.payload().data() + 8 * i, 8);
    RL_ASSERT(w == payload_word(c, i));
  }
}

template <class Storage, std::size_t kCapacity, unsigned kWriters, std::uint64_t kWritesEach,
          unsigned kReaders, unsigned kPasses, std::uint64_t kFirst>
struct SlotScenario
    : Scenario<SlotScenario<Storage, kCapacity, kWriters, kWritesEach, kReaders, kPasses, kFirst>,
               kWriters + kReaders> {
  static constexpr std::uint64_t kTotal = kWriters * kWritesEach;
  static constexpr std::uint64_t kEnd = kFirst + kTotal;
  static_assert(kReaders + 1 <= kMaxBuffers);

  RingSpec spec{kCapacity, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;

  void before() { storage.emplace(spec, region.data(), kFirst, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index < kWriters) {
      write(index);
    } else {
      read(index - kWriters);
    }
  }

  void write(unsigned writer) {
    for (std::uint64_t n = 0; n < kWritesEach; ++n) publish_frame(*storage, storage->claim(), writer);
  }

  static void check_whole(const FrameBuffer& f) { models::check_whole(f, kFirst, kEnd, kWriters); }

  void read(unsigned reader) {
    FrameBuffer& out = g_buffers[reader];
    std::array<std::uint64_t, kCapacity> newest_seen{};  // per slot: counter + 1
    for (unsigned pass = 0; pass < kPasses; ++pass) {
      for (std::uint64_t n = 0; n < kTotal; ++n) {
        // Readers walk in different directions.
        const std::uint64_t c = (reader % 2 == 0) ? kFirst + n : kEnd - 1 - n;
        if (slot_state(*storage, c, out) == ReadState::kReady) {
          check_whole(out);
          RL_ASSERT(out.ver == c);  // Ready only for the counter asked for
        }
      }
      // Reader 0 also reads whole slots (with 2 readers, both doing so would
      // double the context-bound search for little more coverage).
      for (std::uint64_t slot = 0; reader == 0 && slot < kCapacity; ++slot) {
        if (storage->read_slot(kFirst + slot, out)) {
          check_whole(out);
          RL_ASSERT((out.ver - kFirst) % kCapacity == slot);
          // [MarkerMonotone]: a slot never goes back to an older counter.
          RL_ASSERT(out.ver + 1 >= newest_seen[slot]);
          newest_seen[slot] = out.ver + 1;
        }
      }
    }
  }

  void after() {
    FrameBuffer& out = g_buffers[kReaders];
    RL_ASSERT(storage->head() == kEnd);
    for (std::uint64_t c = kFirst; c < kEnd; ++c) {
      const ReadState state = slot_state(*storage, c, out);
      if (c + kCapacity >= kEnd) {
        RL_ASSERT(state == ReadState::kReady);
        check_whole(out);
        RL_ASSERT(out.ver == c);
      } else {
        RL_ASSERT(state == ReadState::kUnavailable);
      }
    }
    storage.reset();
  }
};


constexpr std::uint64_t k40BitEdge = (std::uint64_t{1} << NetId64::kCounterBits) - 1;
constexpr std::uint64_t k32BitEdge = (std::uint64_t{1} << 32) - 1;

// 2 writers x 1 reader, capacity 1 and 2: lapped writers share a slot.
template <class Storage>
using LappedWriters1 = SlotScenario<Storage, /*capacity=*/1, /*writers=*/2, /*writes each=*/1,
                                    /*readers=*/1, /*passes=*/2, /*first counter=*/0>;
template <class Storage>
using LappedWriters2 = SlotScenario<Storage, /*capacity=*/2, /*writers=*/2, /*writes each=*/2,
                                    /*readers=*/1, /*passes=*/1, /*first counter=*/k32BitEdge>;
// 1 writer x 2 readers, capacity 2, 3 writes: the writer laps slot 0 while the
// readers copy it; counters cross 2^40.
template <class Storage>
using WrapReaders = SlotScenario<Storage, /*capacity=*/2, /*writers=*/1, /*writes each=*/3,
                                 /*readers=*/2, /*passes=*/1, /*first counter=*/k40BitEdge>;
// 1 writer x 2 readers, capacity 1, 2 writes from 2^32 - 1: the writer laps
// the only slot while the readers copy it (a single writer's lapped_writers).
template <class Storage>
using WrapReaders1 = SlotScenario<Storage, /*capacity=*/1, /*writers=*/1, /*writes each=*/2,
                                  /*readers=*/2, /*passes=*/1, /*first counter=*/k32BitEdge>;

// A FrameSource over a bare storage, answering as Ring::probe and
// Ring::read_state_at do: the slot first, the head only when the slot cannot
// say (Ring<Storage> itself allocates and uses Abseil on its create path; this
// adapter keeps heap traffic out of the model).
template <class Storage>
struct StorageSource {
  const Storage* storage;
  std::uint64_t first;
  std::uint64_t head() const { return storage->head(); }
  std::size_t capacity() const { return storage->spec().capacity; }
  SlotRead probe(std::uint64_t c, FrameBuffer& out) const {
    if (c < first) return SlotRead::kBeforeFirst;
    return storage->read_counter(c, out);
  }
  ReadState read_state_at(std::uint64_t c, FrameBuffer& out, bool* overwritten = nullptr) const {
    return read_state_of(probe(c, out), [&] { return c < head(); }, overwritten);
  }
};

struct ConformingPoll {
  template <class Source, class OnFrame>
  static PollStats poll(const Source& s, RingCursor& cursor, FrameBuffer& scratch, OnFrame&& f) {
    return poll_into(s, cursor, scratch, f);
  }
};

// A polling reader's record of a run (scenario state: one per iteration).
// Each poll checks [ExactLoss], and that every frame is whole, carries the
// counter it was delivered as, and comes in counter order, once.
struct PollTally {
  PollTally(RingCursor from, std::uint64_t first_counter, unsigned writer_count = 1)
      : cursor(from), first(first_counter), writers(writer_count) {}

  RingCursor cursor;
  std::uint64_t first;  // the run's first counter
  unsigned writers;
  std::uint64_t delivered = 0;
  Loss loss;
  std::uint64_t mask = 0;  // bit n: counter first + n delivered
  std::uint64_t last = 0;  // counter + 1 of the last frame delivered

  // Frames must carry counters below `end`; on_counter(c) checks more.
  template <class Poller = ConformingPoll, class Source, class OnCounter>
  PollStats poll(const Source& source, FrameBuffer& scratch, std::uint64_t end,
                 OnCounter&& on_counter) {
    const PollStats st =
        Poller::poll(source, cursor, scratch, [&](const FrameBuffer& f, std::uint64_t c) {
          check_whole(f, first, end, writers);
          RL_ASSERT(f.ver == c);
          RL_ASSERT(c + 1 > last);  // in counter order, no duplicates
          RL_ASSERT(c - first < 64);
          last = c + 1;
          mask |= std::uint64_t{1} << (c - first);
          on_counter(c);
        });
    RL_ASSERT(st.delivered + st.loss.total() == st.to - st.from);  // [ExactLoss]
    delivered += st.delivered;
    loss += st.loss;
    return st;
  }
  template <class Poller = ConformingPoll, class Source>
  PollStats poll(const Source& source, FrameBuffer& scratch, std::uint64_t end) {
    return poll<Poller>(source, scratch, end, [](std::uint64_t) {});
  }

  bool has(std::uint64_t c) const { return (mask >> (c - first) & 1) != 0; }
  // How many of the counters [from, to) were not delivered.
  std::uint64_t missing(std::uint64_t from, std::uint64_t to) const {
    std::uint64_t n = 0;
    for (std::uint64_t c = from; c < to; ++c) n += has(c) ? 0 : 1;
    return n;
  }
};

// 1 writer x 1 polling reader. The writer claims, then publishes (a window in
// which its counter is Pending). The reader polls kPolls times while it
// writes, and after() polls once more when all is committed. Checked:
// [ExactLoss] per poll and over the run (delivered + overwritten + unavailable
// == counters written); frames whole, in counter order, no duplicates; every
// frame still in the ring at the end (the newest `capacity`) delivered; so with
// kWrites <= capacity nothing may be lost at all (a poll that skips a Pending
// counter loses its frame, as orbit-rs 0.1.0's poll did). Nothing is abandoned, so every
// loss must be classified overwritten: the slot, not a head reload, says so.
template <class Storage, std::size_t kCapacity, std::uint64_t kWrites, unsigned kPolls,
          std::uint64_t kFirst, class Poller = ConformingPoll>
struct PollScenario
    : Scenario<PollScenario<Storage, kCapacity, kWrites, kPolls, kFirst, Poller>, 2> {
  static constexpr std::uint64_t kEnd = kFirst + kWrites;
  static_assert(kWrites <= 64);
  RingSpec spec{kCapacity, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  PollTally reader{RingCursor::from_counter(kFirst), kFirst};

  void before() { storage.emplace(spec, region.data(), kFirst, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index == 0) {
      for (std::uint64_t n = 0; n < kWrites; ++n) publish_frame(*storage, storage->claim(), 0);
    } else {
      for (unsigned p = 0; p < kPolls; ++p) poll_once(g_buffers[0]);
    }
  }

  void poll_once(FrameBuffer& scratch) {
    reader.poll<Poller>(StorageSource<Storage>{&*storage, kFirst}, scratch, kEnd);
  }

  void after() {
    poll_once(g_buffers[1]);
    RL_ASSERT(reader.cursor.next_counter == kEnd);
    RL_ASSERT(reader.delivered + reader.loss.total() == kWrites);  // [ExactLoss] over the run
    RL_ASSERT(reader.loss.unavailable == 0);
    // Every frame still in the ring was delivered: no frame lost while readable.
    RL_ASSERT(reader.missing(kWrites > kCapacity ? kEnd - kCapacity : kFirst, kEnd) == 0);
    storage.reset();
  }
};

// Capacity 2, 3 writes across 2^40: poll with a wrap and loss.
template <class Storage>
using PollWrap = PollScenario<Storage, 2, 3, 2, k40BitEdge>;
// Capacity 4, 2 writes, 2 polls: nothing may be lost (a late commit included).
template <class Storage, class Poller = ConformingPoll>
using PollLateCommit = PollScenario<Storage, 4, 2, 2, 0, Poller>;
// The same at capacity 2, across 2^32: every slot is written once.
template <class Storage>
using PollLateCommitCap2 = PollScenario<Storage, 2, 2, 2, k32BitEdge>;

// kWriters writers x 1 polling reader whose cursor has a stall bound of zero
// [StallBound]: it gives a counter up the second time it finds it Pending.
// RingCursor times stalls by std::chrono::steady_clock, not by Sync::clock,
// so the model cannot move its time; a zero bound makes the verdict the same
// whatever the clock reads (now - since >= 0).
//
// kStartAtEnd: the cursor starts at kEnd, a counter no writer claims while it
// polls: every probe finds an older marker, so it must deliver and lose
// nothing and never start its clock; after() then writes kEnd, which the next
// poll must deliver. Otherwise it starts at kFirst: with capacity 1, a counter
// found Pending may be lapped before the reader looks again.
//
// Checked: [ExactLoss] per poll and over the run; frames whole, each the
// counter it was delivered as, in counter order; the cursor never passes
// kEnd and never starts its clock on it (an unclaimed counter is never given
// up); nothing counted unavailable (nothing is abandoned). The last poll, in
// after(), when every counter below kEnd is committed or lapped, counts
// nothing stalled (a lapped counter is overwritten, whoever waited on it) and
// ends at kEnd; of the newest `capacity` counters only stalled ones may be
// missing.
template <class Storage, std::size_t kCapacity, unsigned kWriters, std::uint64_t kWritesEach,
          unsigned kPolls, bool kStartAtEnd>
struct BoundedPollScenario
    : Scenario<BoundedPollScenario<Storage, kCapacity, kWriters, kWritesEach, kPolls, kStartAtEnd>,
               kWriters + 1> {
  static constexpr std::uint64_t kFirst = k32BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + kWriters * kWritesEach;
  static constexpr std::uint64_t kStart = kStartAtEnd ? kEnd : kFirst;
  static_assert(kEnd - kFirst < 64);
  RingSpec spec{kCapacity, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  PollTally reader{
      RingCursor::from_counter(kStart).with_stall_bound(RingCursor::clock::duration::zero()),
      kFirst, kWriters};

  void before() { storage.emplace(spec, region.data(), kFirst, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index < kWriters) {
      for (std::uint64_t n = 0; n < kWritesEach; ++n) {
        publish_frame(*storage, storage->claim(), index);
      }
    } else {
      for (unsigned p = 0; p < kPolls; ++p) poll_once(g_buffers[0], kEnd);
    }
  }

  // `claimed`: no counter at or past it has been claimed.
  PollStats poll_once(FrameBuffer& scratch, std::uint64_t claimed) {
    const PollStats st = reader.poll(StorageSource<Storage>{&*storage, kFirst}, scratch, claimed);
    RL_ASSERT(st.loss.unavailable == 0);
    // [StallBound]: never past, nor timing, a counter nobody claimed.
    const RingCursor& cursor = reader.cursor;
    RL_ASSERT(cursor.next_counter <= claimed);
    RL_ASSERT(!(cursor.pending && cursor.pending_counter >= claimed));
    return st;
  }

  void after() {
    const PollStats st = poll_once(g_buffers[1], kEnd);
    RL_ASSERT(st.loss.stalled == 0);
    RL_ASSERT(reader.cursor.next_counter == kEnd);
    RL_ASSERT(reader.delivered + reader.loss.total() == kEnd - kStart);  // [ExactLoss] over the run
    // Of the frames still in the ring, only stalled ones may be missing.
    const std::uint64_t in_ring =
        std::max(kStart, kEnd - std::min<std::uint64_t>(kCapacity, kEnd - kFirst));
    RL_ASSERT(reader.missing(in_ring, kEnd) <= reader.loss.stalled);
    if constexpr (kStartAtEnd) {
      RL_ASSERT(reader.delivered == 0 && reader.loss.total() == 0);
      // The counter the cursor waited at, written at last: delivered, its
      // clock never having run.
      publish_frame(*storage, storage->claim(), 0);
      const PollStats late = poll_once(g_buffers[1], kEnd + 1);
      RL_ASSERT(late.delivered == 1 && late.loss.total() == 0);
    }
    storage.reset();
  }
};

// A stalled cursor faces an unclaimed counter; a Pending counter is lapped
// while the reader waits (capacity 1). Both writer modes; named
// "<prefix>.stall_unclaimed", "<prefix>.pending_lapped".
template <class Storage>
std::vector<ModelCase> bounded_poll_cases(const std::string& prefix) {
  constexpr bool kSingle = Storage::kWriterMode == WriterMode::kSingle;
  constexpr unsigned kWriters = kSingle ? 1 : 2;
  constexpr std::uint64_t kEach = kSingle ? 3 : 1;  // capacity 1: each counter laps the last
  return {
      model_case<BoundedPollScenario<Storage, 2, 1, 2, 2, true>>(prefix + ".stall_unclaimed"),
      model_case<BoundedPollScenario<Storage, 1, kWriters, kEach, 2, false>>(prefix +
                                                                              ".pending_lapped"),
  };
}

}  // namespace ringlab::models
