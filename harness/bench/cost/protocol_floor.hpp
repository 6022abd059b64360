// The single-writer seqlock protocol and nothing else: the same slot layout
// (a marker, then the body words [id, ver, kind | length << 8, payload...],
// padded to whole lines), the same marker encoding and the same memory orders
// (taken from SeqlockOrders' site table), without Ring, storage options,
// status values, leases, cursors or FrameBuffer. What a write and a delivered
// frame of seqlock-single cost above this is what ringlab's layers add.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/storage/seqlock.hpp"

namespace ringlab::bench {

template <std::size_t kCapacity, std::size_t kPayloadCapacity>
class ProtocolFloor {
  using Orders = SeqlockOrders;
  static constexpr std::size_t kPayloadWords = (kPayloadCapacity + 7) / 8;

 public:
  // Where a reader is and what it copied: the payload as whole words.
  struct Reader {
    std::uint64_t next = 0;
    std::uint64_t id = 0;
    std::uint64_t ver = 0;
    std::uint64_t meta = 0;
    alignas(64) std::uint64_t payload[kPayloadWords] = {};
  };

  static_assert((kCapacity & (kCapacity - 1)) == 0, "a power of two, as a ring's");

  ProtocolFloor() : slots_(std::make_unique<Slot[]>(kCapacity)) {}

  void write(std::span<const std::byte> payload) {
    const std::uint64_t c = next_++;
    head_.store(next_, order_of<Orders>("4"));  // (4) relaxed: a count for lapped readers
    Slot& slot = slots_[c & (kCapacity - 1)];
    // (P13) relaxed: ordered before the body stores (P5) by the fence (P4).
    slot.marker.store(detail::writing_marker(c), order_of<Orders>("P13"));
    // (P4) release fence: pairs with the reader's acquire fence (P9).
    std::atomic_thread_fence(order_of<Orders>("P4"));
    constexpr auto order = order_of<Orders>("P5");  // (P5) relaxed: published by (P6)
    slot.body[0].store(c, order);
    slot.body[1].store(0, order);
    slot.body[2].store(std::uint64_t{payload.size()} << 8, order);
    const std::size_t full = payload.size() / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      std::uint64_t w;
      std::memcpy(&w, payload.data() + 8 * i, 8);
      slot.body[detail::kBodyHeaderWords + i].store(w, order);  // (P5)
    }
    if (const std::size_t tail = payload.size() % 8; tail != 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, payload.data() + 8 * full, tail);
      slot.body[detail::kBodyHeaderWords + full].store(w, order);  // (P5)
    }
    // (P6) release: pairs with the reader's acquire load (P7).
    slot.marker.store(detail::committed_marker(c), order_of<Orders>("P6"));
  }

  // Delivers every committed frame from reader.next on to on_frame(reader),
  // stopping at the first counter whose slot does not hold it committed.
  template <class OnFrame>
  std::uint64_t poll(Reader& reader, OnFrame&& on_frame) const {
    std::uint64_t delivered = 0;
    for (;; ++reader.next, ++delivered) {
      const std::uint64_t c = reader.next;
      const Slot& slot = slots_[c & (kCapacity - 1)];
      // (P7) acquire: pairs with the commit (P6).
      const std::uint64_t before = slot.marker.load(order_of<Orders>("P7"));
      if (before != detail::committed_marker(c)) return delivered;
      constexpr auto order = order_of<Orders>("P8");  // (P8) relaxed: validated by (P9)/(P10)
      reader.id = slot.body[0].load(order);
      reader.ver = slot.body[1].load(order);
      reader.meta = slot.body[2].load(order);
      const std::size_t words =
          (std::min<std::uint64_t>(reader.meta >> 8, kPayloadCapacity) + 7) / 8;
#pragma GCC unroll 8
      for (std::size_t i = 0; i < words; ++i) {
        reader.payload[i] = slot.body[detail::kBodyHeaderWords + i].load(order);  // (P8)
      }
      // (P9) acquire fence: pairs with the writer's release fence (P4).
      std::atomic_thread_fence(order_of<Orders>("P9"));
      // (P10) relaxed: ordered after the body loads by (P9).
      if (slot.marker.load(order_of<Orders>("P10")) != before) return delivered;
      on_frame(static_cast<const Reader&>(reader));
    }
  }

 private:
  struct alignas(detail::kCacheLine) Slot {
    std::atomic<std::uint64_t> marker{0};
    std::atomic<std::uint64_t> body[detail::body_words(kPayloadCapacity)] = {};
  };
  // The stride of SeqlockStorage::slot_stride: the marker and body words, in whole lines.
  static_assert(sizeof(Slot) ==
                detail::round_up(8 * (1 + detail::body_words(kPayloadCapacity)), detail::kCacheLine));

  std::unique_ptr<Slot[]> slots_;
  alignas(detail::kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t next_ = 0;
};

}  // namespace ringlab::bench
