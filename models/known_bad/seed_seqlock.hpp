// known bad, never conforming: the seed's seqlock slot and its relatives, kept
// only so that the model checker (models/) can show that it catches them.
//
// SeedSeqlockStorage<Sync, Orders, Claim, Body> is SeqlockStorage with one or
// two pieces swapped out; everything else is the conforming code
// (detail::VersionedSlot, SeqlockOrders). The pieces:
//
//   Claim::kCas            the conforming claim: CAS to the writing marker, only
//                          over an older committed counter (VersionedSlot::begin_write)
//   Claim::kUnconditional  the seed's claim: the writer stores the odd marker
//                          whatever the slot holds, no CAS, no check for a newer
//                          or in-flight lap (docs/design.md "Origin", defect 2)
//   Body::kAtomic          the conforming body: relaxed atomic words
//   Body::kPlain           the payload as plain memory: a data race (docs/design.md
//                          "Origin", defect 1)
//
// Instances (see the aliases at the end):
//   SeedOrderingSeqlock     defect 1 as the seed shipped it: odd marker a release
//                           store with no fence, reader's second marker load
//                           acquire with no fence, plain payload, unconditional claim
//   LappedTearSeqlock       defect 2 alone: conforming orders, unconditional claim
//   PlainPayloadSeqlock     a conforming seqlock but for a plain payload
//
// Plain cells: Sync::plain<T> where the policy has one (RelacySync: a Relacy
// rl::var, so the race is reported), else an ordinary T.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "ringlab/detail/region.hpp"
#include "ringlab/detail/slot_lock.hpp"  // detail::plain_t
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/storage/seqlock.hpp"
#include "ringlab/sync.hpp"

namespace ringlab::known_bad {

enum class Claim : unsigned char { kCas, kUnconditional };
enum class Body : unsigned char { kAtomic, kPlain };

// The seed's orders, as a table derived from the conforming one: the claim is a
// release store of the odd marker (P2), no writer fence (P4), no reader fence
// (P9), and the reader's second marker load acquire (P10).
struct SeedSeqlockOrders : SeqlockOrders {
  static constexpr auto kSites = [] {
    auto s = SeqlockOrders::kSites;
    s[site_index(s, "P2")].order = std::memory_order_release;
    s[site_index(s, "P4")].order = std::memory_order_relaxed;
    s[site_index(s, "P9")].order = std::memory_order_relaxed;
    s[site_index(s, "P10")].order = std::memory_order_acquire;
    return s;
  }();
};

template <class Sync, class Orders, Claim kClaim, Body kBody>
class SeedSeqlockStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Slot = detail::VersionedSlot<Sync, Orders>;
  using Plain = detail::plain_t<Sync, std::uint64_t>;
  using BodyCell = std::conditional_t<kBody == Body::kPlain, Plain, Word>;

 public:
  static constexpr std::string_view kName = "known-bad seed seqlock";
  static constexpr WriterMode kWriterMode = WriterMode::kMulti;
  struct Options {};

  static std::size_t slot_stride(const RingSpec& spec) {
    return ringlab::detail::round_up(
        sizeof(Word) + sizeof(BodyCell) * ringlab::detail::body_words(spec.payload_capacity),
        ringlab::detail::kCacheLine);
  }
  static std::size_t region_bytes(const RingSpec& spec) {
    return ringlab::detail::kCacheLine + spec.capacity * slot_stride(spec);
  }

  SeedSeqlockStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                     const Options& = {})
      : spec_(spec),
        mask_(spec.capacity - 1),
        stride_(slot_stride(spec)),
        words_(ringlab::detail::body_words(spec.payload_capacity)),
        region_(region) {
    head_ = ringlab::detail::construct_at_offset<Word>(region_, 0);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      ringlab::detail::construct_at_offset<Word>(region_, slot_offset(i));
      for (std::size_t w = 0; w < words_; ++w) {
        ringlab::detail::construct_at_offset<BodyCell>(region_, body_offset(i) + sizeof(BodyCell) * w);
      }
    }
    for (std::size_t i = 0; i < spec_.capacity; ++i) marker(i).store(0, std::memory_order_relaxed);
    head_->store(first_counter, std::memory_order_relaxed);
  }
  ~SeedSeqlockStorage() {
    ringlab::detail::destroy_at_offset<Word>(region_, 0);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      ringlab::detail::destroy_at_offset<Word>(region_, slot_offset(i));
      for (std::size_t w = 0; w < words_; ++w) {
        ringlab::detail::destroy_at_offset<BodyCell>(region_, body_offset(i) + sizeof(BodyCell) * w);
      }
    }
  }
  SeedSeqlockStorage(const SeedSeqlockStorage&) = delete;
  SeedSeqlockStorage& operator=(const SeedSeqlockStorage&) = delete;

  std::uint64_t claim(std::uint64_t n = 1) { return head_->fetch_add(n, order_of<Orders>("1")); }
  std::uint64_t head() const { return head_->load(order_of<Orders>("2")); }

  void publish(std::uint64_t c, const FrameHeader& header, std::span<const std::byte> payload) {
    Word& m = marker(c);
    if constexpr (kClaim == Claim::kCas) {
      if (!Slot::begin_write(m, c)) return;
    } else {
      // KNOWN BAD (defect 2): the odd marker is stored whatever the slot holds;
      // a writer a lap behind overwrites a newer lap's marker and body.
      m.store(detail::writing_marker(c), store_order(order_of<Orders>("P2")));
      if constexpr (order_of<Orders>("P4") != std::memory_order_relaxed) {
        Sync::fence(order_of<Orders>("P4"));
      }
    }
    if constexpr (kBody == Body::kAtomic) {
      Slot::write_body(body(c), header, payload);
    } else {
      // KNOWN BAD (defect 1): plain stores a reader may race with.
      BodyCell* b = body(c);
      b[0].store(header.id.raw());
      b[1].store(header.ver);
      b[2].store(std::uint64_t{header.kind} | std::uint64_t{payload.size()} << 8);
      for (std::size_t i = 0; 8 * i < payload.size(); ++i) {
        std::uint64_t w = 0;
        std::memcpy(&w, payload.data() + 8 * i, std::min<std::size_t>(8, payload.size() - 8 * i));
        b[detail::kBodyHeaderWords + i].store(w);
      }
    }
    Slot::commit(m, c);
  }
  void abandon(std::uint64_t) {}

  SlotRead read_counter(std::uint64_t c, FrameBuffer& out) const {
    if constexpr (kBody == Body::kAtomic) {
      return Slot::read(marker(c), body(c), spec_.payload_capacity, c, out);
    } else {
      const Word& m = marker(c);
      const std::uint64_t before = m.load(order_of<Orders>("P7"));
      if (const SlotRead seen = Slot::classify(before, c); seen != SlotRead::kCopied) return seen;
      // KNOWN BAD (defect 1): plain loads racing with a writer's plain stores.
      const BodyCell* b = body(c);
      const std::uint64_t id = b[0].load();
      const std::uint64_t ver = b[1].load();
      const std::uint64_t meta = b[2].load();
      const std::size_t n = std::min<std::size_t>(meta >> 8, std::min(spec_.payload_capacity, out.capacity()));
      for (std::size_t i = 0; 8 * i < n; ++i) {
        const std::uint64_t w = b[detail::kBodyHeaderWords + i].load();
        std::memcpy(out.storage().data() + 8 * i, &w, std::min<std::size_t>(8, n - 8 * i));
      }
      if constexpr (order_of<Orders>("P9") != std::memory_order_relaxed) {
        Sync::fence(order_of<Orders>("P9"));
      }
      if (m.load(order_of<Orders>("P10")) != before) return SlotRead::kNewer;
      out.id = NetId64::from_raw(id);
      out.kind = static_cast<std::uint8_t>(meta & 0xFF);
      out.ver = ver;
      out.set_size(n);
      return SlotRead::kCopied;
    }
  }

  bool read_slot(std::uint64_t c, FrameBuffer& out) const {
    const std::uint64_t m = marker(c).load(order_of<Orders>("P7"));
    if (m == 0 || detail::is_writing(m)) return false;
    return read_counter(detail::committed_counter(m), out) == SlotRead::kCopied;
  }

  void reset(std::uint64_t) {}
  const RingSpec& spec() const { return spec_; }

 private:
  static constexpr std::memory_order store_order(std::memory_order o) {
    if (o == std::memory_order_acquire) return std::memory_order_relaxed;
    if (o == std::memory_order_acq_rel) return std::memory_order_release;
    return o;
  }

  std::size_t slot_offset(std::uint64_t c) const {
    return ringlab::detail::kCacheLine + (c & mask_) * stride_;
  }
  std::size_t body_offset(std::uint64_t c) const { return slot_offset(c) + sizeof(Word); }
  Word& marker(std::uint64_t c) const {
    return *ringlab::detail::object_at<Word>(region_, slot_offset(c));
  }
  BodyCell* body(std::uint64_t c) const {
    return ringlab::detail::object_at<BodyCell>(region_, body_offset(c));
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  const std::size_t words_;
  std::byte* const region_;
  Word* head_ = nullptr;
};

template <class Sync>
using SeedOrderingSeqlock =
    SeedSeqlockStorage<Sync, SeedSeqlockOrders, Claim::kUnconditional, Body::kPlain>;
template <class Sync>
using LappedTearSeqlock =
    SeedSeqlockStorage<Sync, SeqlockOrders, Claim::kUnconditional, Body::kAtomic>;
template <class Sync>
using PlainPayloadSeqlock = SeedSeqlockStorage<Sync, SeqlockOrders, Claim::kCas, Body::kPlain>;

}  // namespace ringlab::known_bad
