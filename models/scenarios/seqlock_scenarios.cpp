// Relacy scenarios for the seqlock slot storage (variants/ringlab/storage/
// seqlock.hpp), model-checked as it ships, through RelacySync.
//
//   lapped_writers   2 writers x 1 reader, capacity 1: counters c and c + 1 share
//                    the slot (a writer a full lap ahead).
//   wrap_readers     1 writer x 2 readers, capacity 2, 3 writes: the writer laps
//                    slot 0 while readers copy it; counters cross 2^40.
//
// Checked inside the test: every frame a reader gets is whole (id, ver, kind,
// length and payload all derived from one counter); slot_state never returns
// Ready for a counter other than the one asked for; a slot never goes back to an
// older counter; at the end, exactly the newest `capacity` counters are Ready.
//
// Mutant: the reader's acquire fence (P9) weakened to relaxed must be caught.
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "ringlab/detail/region.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/storage/seqlock.hpp"
// Last: Relacy's macros.
#include "model_runner.hpp"

namespace ringlab::models {
namespace {

constexpr std::size_t kPayloadBytes = 16;
constexpr std::uint8_t kIdKind = 7;
constexpr std::uint8_t kFrameKind = 3;

// Reader destinations, one per reader plus one for after(). Built before any
// test runs, so their heap blocks are not Relacy's: Relacy makes every free()
// inside a test a branch of the context-bound search. A reader only looks at a
// buffer after a read has filled it, so nothing carries over between runs.
constexpr unsigned kMaxBuffers = 4;
std::array<FrameBuffer, kMaxBuffers> g_buffers = {
    FrameBuffer(kPayloadBytes), FrameBuffer(kPayloadBytes), FrameBuffer(kPayloadBytes),
    FrameBuffer(kPayloadBytes)};

// Payload word i of the frame with counter c: every word differs per counter.
constexpr std::uint64_t payload_word(std::uint64_t c, std::size_t i) {
  return (c + 1) * 0x9E37'79B9'7F4A'7C15ull ^ (i + 1) * 0xC2B2'AE3D'27D4'EB4Full;
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

  void before() { storage.emplace(spec, region.data(), kFirst); }

  void thread(unsigned index) {
    if (index < kWriters) {
      write(index);
    } else {
      read(index - kWriters);
    }
  }

  void write(unsigned writer) {
    for (std::uint64_t n = 0; n < kWritesEach; ++n) {
      const std::uint64_t c = storage->claim();
      std::array<std::byte, kPayloadBytes> payload;
      for (std::size_t i = 0; i < kPayloadBytes / 8; ++i) {
        const std::uint64_t w = payload_word(c, i);
        std::memcpy(payload.data() + 8 * i, &w, 8);
      }
      const FrameHeader header{NetId64::make(kIdKind, static_cast<std::uint16_t>(writer + 1), c),
                               kFrameKind, /*ver=*/c};
      storage->publish(c, header, payload);
    }
  }

  // A frame is whole when every field and payload word derives from one
  // counter (the writer puts the counter in ver).
  static void check_whole(const FrameBuffer& f) {
    const std::uint64_t c = f.ver;
    RL_ASSERT(c >= kFirst && c < kEnd);
    RL_ASSERT(f.id.kind() == kIdKind);
    RL_ASSERT(f.id.node().get() >= 1 && f.id.node().get() <= kWriters);
    RL_ASSERT(f.id.counter() == (c & NetId64::kCounterMask));
    RL_ASSERT(f.kind == kFrameKind);
    RL_ASSERT(f.payload().size() == kPayloadBytes);
    for (std::size_t i = 0; i < kPayloadBytes / 8; ++i) {
      std::uint64_t w = 0;
      std::memcpy(&w, f.payload().data() + 8 * i, 8);
      RL_ASSERT(w == payload_word(c, i));
    }
  }

  void read(unsigned reader) {
    FrameBuffer& out = g_buffers[reader];
    std::array<std::uint64_t, kCapacity> newest_seen{};  // per slot: counter + 1
    for (unsigned pass = 0; pass < kPasses; ++pass) {
      for (std::uint64_t n = 0; n < kTotal; ++n) {
        // Readers walk in different directions.
        const std::uint64_t c = (reader % 2 == 0) ? kFirst + n : kEnd - 1 - n;
        if (storage->slot_state(c, out) == ReadState::kReady) {
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
      const ReadState state = storage->slot_state(c, out);
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

template <class Storage>
using LappedWriters = SlotScenario<Storage, /*capacity=*/1, /*writers=*/2, /*writes each=*/1,
                                   /*readers=*/1, /*passes=*/2, /*first counter=*/0>;
template <class Storage>
using WrapReaders = SlotScenario<Storage, /*capacity=*/2, /*writers=*/1, /*writes each=*/3,
                                 /*readers=*/2, /*passes=*/1, /*first counter=*/k40BitEdge>;

using Seqlock = SeqlockStorage<RelacySync>;
using SeqlockReaderFenceRelaxed = SeqlockStorage<
    RelacySync,
    WeakenedOrders<SeqlockOrders, SeqlockOrders::kSlotReaderFence, std::memory_order_relaxed>>;

}  // namespace
}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  const RunOptions options = parse_options(argc, argv);
  const std::vector<ModelCase> cases = {
      model_case<LappedWriters<Seqlock>>("seqlock.lapped_writers"),
      model_case<WrapReaders<Seqlock>>("seqlock.wrap_readers"),
      model_case<LappedWriters<SeqlockReaderFenceRelaxed>>(
          "mutant.seqlock.reader_fence_relaxed.lapped_writers", /*mutant=*/true),
      model_case<WrapReaders<SeqlockReaderFenceRelaxed>>(
          "mutant.seqlock.reader_fence_relaxed.wrap_readers", /*mutant=*/true),
  };
  return run_cases(cases, options, "versioned_slot.hpp");
}
