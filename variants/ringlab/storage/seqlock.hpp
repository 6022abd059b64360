// Seqlock slot storage: each slot carries its own marker (a sequence number,
// odd while a write is in flight) next to its body. Writers claim counters with
// one fetch_add; readers write nothing shared and never wait.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ringlab/detail/region.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of SeqlockStorage: (1)..(3) here, (P1)..(P10) in
// detail/versioned_slot.hpp.
struct SeqlockOrders {
  enum Site : std::size_t {
    kHeadClaim,
    kHeadLoad,
    kResetStore,
    RINGLAB_VERSIONED_SLOT_SITE_NAMES,
    kSiteCount
  };
  static constexpr auto kSites = concat_sites(
      std::array<OrderSite, 3>{{
          // The head only hands out unique counters; slot data is published by
          // the markers, never by the head.
          {"head.claim (1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
          {"head.load (2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
          {"reset.store (3)", AtomicOp::kStore, std::memory_order_relaxed, ""},
      }},
      detail::kVersionedSlotSites);
  static_assert(kSites.size() == kSiteCount);
};

template <class Sync = StdSync, class Orders = SeqlockOrders>
class SeqlockStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Slot = detail::VersionedSlot<Sync, Orders>;
  using Writers = detail::WriterTable<Sync, Orders>;

 public:
  static constexpr std::string_view kName = "seqlock";
  struct Options {
    friend bool operator==(const Options&, const Options&) = default;
  };

  // Region: [head, alone on its cache line][writer table][slot 0][slot 1]...;
  // a slot is its marker then its body, padded to whole cache lines. Slots
  // end the region (the fuzz target's walk relies on it).
  static std::size_t slot_stride(const RingSpec& spec) {
    return detail::round_up(8 * (1 + detail::body_words(spec.payload_capacity)),
                            detail::kCacheLine);
  }
  static constexpr std::size_t writers_offset() { return detail::kCacheLine; }
  static constexpr std::size_t slots_offset() { return detail::kCacheLine + Writers::region_bytes(); }
  static std::size_t region_bytes(const RingSpec& spec) {
    return slots_offset() + spec.capacity * slot_stride(spec);
  }

  // Constructs the region's atomics and empties every slot: once per region,
  // before any storage adopts it.
  static void initialise(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                         const Options& options = {}) {
    detail::construct_at_offset<Word>(region, 0);
    for (std::size_t i = 0; i < spec.capacity; ++i) {
      for (std::size_t w = 0; w < slot_words(spec); ++w) {
        detail::construct_at_offset<Word>(region, slot_offset(spec, i) + 8 * w);
      }
    }
    Writers::initialise(region + writers_offset());
    SeqlockStorage(detail::kAdoptRegion, spec, region, options).reset(first_counter);
  }

  // Over a region that initialise() has prepared (here or in another process).
  SeqlockStorage(detail::AdoptRegion, const RingSpec& spec, std::byte* region,
                 const Options& = {})
      : spec_(spec),
        mask_(spec.capacity - 1),
        stride_(slot_stride(spec)),
        region_(region),
        head_(detail::object_at<Word>(region, 0)),
        writers_(region + writers_offset()) {}

  // Owns the region's objects: constructs them now, destroys them at the end.
  SeqlockStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                 const Options& options = {})
      : SeqlockStorage(detail::kAdoptRegion, spec, region, options) {
    initialise(spec, region, first_counter, options);
    owns_objects_ = true;
  }
  ~SeqlockStorage() {
    if (!owns_objects_) return;
    detail::destroy_at_offset<Word>(region_, 0);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      for (std::size_t w = 0; w < slot_words(spec_); ++w) {
        detail::destroy_at_offset<Word>(region_, slot_offset(spec_, i) + 8 * w);
      }
    }
    Writers::destroy(region_ + writers_offset());
  }

  // For a region shared between processes: registers this process as a writer,
  // so that a writer of another process may take over a slot this one leaves
  // mid-write by dying [DeadWriterTakeover], and this one may take over theirs.
  // Before the storage is used. False when the table is full (then neither).
  bool register_writer_process() {
    writer_.table = &writers_;
    writer_.owner = writers_.register_process(Sync::process_id());
    return writer_.owner != Writers::kNoOwner;
  }
  SeqlockStorage(const SeqlockStorage&) = delete;
  SeqlockStorage& operator=(const SeqlockStorage&) = delete;

  std::uint64_t claim() {
    return head_->fetch_add(1, mo(Orders::kHeadClaim));  // (1) relaxed: uniqueness only
  }

  std::uint64_t head() const {
    return head_->load(mo(Orders::kHeadLoad));  // (2) relaxed: see (1)
  }

  void publish(std::uint64_t counter, const FrameHeader& header,
               std::span<const std::byte> payload) {
    store(counter, header, payload, /*abandoned=*/false);
  }

  void abandon(std::uint64_t counter) { store(counter, {}, {}, /*abandoned=*/true); }

  // The state of a claimed counter (the ring has checked that it is one);
  // *overwritten: Unavailable because a newer counter holds the slot.
  ReadState slot_state(std::uint64_t counter, FrameBuffer& out,
                       bool* overwritten = nullptr) const {
    return detail::to_read_state(
        Slot::read(marker(counter), body(counter), spec_.payload_capacity, counter, out),
        overwritten);
  }

  // The committed frame in counter's slot, whichever counter it carries.
  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    return Slot::read_latest(marker(counter), body(counter), spec_.payload_capacity, out) ==
           detail::SlotRead::kCopied;
  }

  // Not while writers or readers run (seed contract).
  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      marker(i).store(0, mo(Orders::kResetStore));  // (3) relaxed: no concurrent access
    }
    head_->store(first_counter, mo(Orders::kResetStore));  // (3)
  }

  const RingSpec& spec() const { return spec_; }

 private:
  static constexpr std::memory_order mo(typename Orders::Site site) {
    return Orders::kSites[site].order;
  }

  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    Word& m = marker(counter);
    if (!Slot::begin_write(m, counter, writer_)) return;  // superseded by a lapping writer
    Slot::write_body(body(counter), header, payload, abandoned);
    Slot::commit(m, counter);
  }

  static std::size_t slot_words(const RingSpec& spec) {
    return 1 + detail::body_words(spec.payload_capacity);
  }
  static std::size_t slot_offset(const RingSpec& spec, std::size_t index) {
    return slots_offset() + index * slot_stride(spec);
  }
  std::size_t slot_offset(std::uint64_t counter) const {
    return slots_offset() + (counter & mask_) * stride_;
  }
  Word& marker(std::uint64_t counter) const {
    return *detail::object_at<Word>(region_, slot_offset(counter));
  }
  Word* body(std::uint64_t counter) const {
    return detail::object_at<Word>(region_, slot_offset(counter) + 8);
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  std::byte* const region_;
  Word* const head_;
  Writers writers_;
  typename Slot::Writer writer_;
  bool owns_objects_ = false;
};

}  // namespace ringlab
