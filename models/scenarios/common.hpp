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
//
// Results hold for these bounded scenarios under Relacy's memory model only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

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

// 1 writer x 1 polling reader. The writer claims, then publishes (a window in
// which its counter is Pending). The reader polls kPolls times while it
// writes, and after() polls once more when all is committed. Checked:
// [ExactLoss] per poll and over the run (delivered + overwritten + unavailable
// == counters written); frames whole, in counter order, no duplicates; every
// frame still in the ring at the end (the newest `capacity`) delivered; so with
// kWrites <= capacity nothing may be lost at all (a poll that skips a Pending
// counter loses its frame: the seed's defect 3). Nothing is abandoned, so every
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
  RingCursor cursor{kFirst};
  std::uint64_t delivered = 0;
  Loss loss;
  std::uint64_t delivered_mask = 0;  // bit n: counter kFirst + n delivered
  std::uint64_t last = 0;            // counter + 1 of the last frame delivered

  void before() { storage.emplace(spec, region.data(), kFirst, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index == 0) {
      for (std::uint64_t n = 0; n < kWrites; ++n) publish_frame(*storage, storage->claim(), 0);
    } else {
      for (unsigned p = 0; p < kPolls; ++p) poll_once(g_buffers[0]);
    }
  }

  void poll_once(FrameBuffer& scratch) {
    const StorageSource<Storage> source{&*storage, kFirst};
    const PollStats st = Poller::poll(source, cursor, scratch, [&](const FrameBuffer& f) {
      check_whole(f, kFirst, kEnd, 1);
      RL_ASSERT(f.ver + 1 > last);  // in counter order, no duplicates
      last = f.ver + 1;
      delivered_mask |= std::uint64_t{1} << (f.ver - kFirst);
    });
    RL_ASSERT(st.delivered + st.loss.total() == st.to - st.from);  // [ExactLoss]
    delivered += st.delivered;
    loss += st.loss;
  }

  void after() {
    poll_once(g_buffers[1]);
    RL_ASSERT(cursor.next_counter == kEnd);
    RL_ASSERT(delivered + loss.total() == kWrites);  // [ExactLoss] over the run
    RL_ASSERT(loss.unavailable == 0);
    // Every frame still in the ring was delivered: no frame lost while readable.
    for (std::uint64_t n = kWrites > kCapacity ? kWrites - kCapacity : 0; n < kWrites; ++n) {
      RL_ASSERT((delivered_mask >> n & 1) != 0);
    }
    storage.reset();
  }
};

// Capacity 2, 3 writes across 2^40: poll with a wrap and loss.
template <class Storage>
using PollWrap = PollScenario<Storage, 2, 3, 2, k40BitEdge>;
// Capacity 4, 2 writes, 2 polls: nothing may be lost (a late commit included).
template <class Storage, class Poller = ConformingPoll>
using PollLateCommit = PollScenario<Storage, 4, 2, 2, 0, Poller>;

}  // namespace ringlab::models
