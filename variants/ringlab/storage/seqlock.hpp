// Seqlock slot storage: each slot carries its own marker (a sequence number,
// odd while a write is in flight) on the cache line that also holds the frame
// header and the first payload bytes. Readers follow the markers, write
// nothing shared and never wait; a caught-up reader touches only the line of
// the next counter's slot.
//
// Writers: any number (WriterMode::kMulti: a claim is one fetch_add on head,
// a frame one CAS on its marker), or one (kSingle: the writer counts in a
// plain field and publishes head with a plain store, takes its slot with a
// plain store, and so executes no locked instruction).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ringlab/detail/region.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/detail/writer_lease.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of SeqlockStorage: (1)..(4) here, (P1)..(P13) in
// detail/versioned_slot.hpp, (L1)..(L3) in detail/writer_lease.hpp.
struct SeqlockOrders {
  static constexpr auto kSites = concat_sites(
      concat_sites(
          std::array<OrderSite, 4>{{
              // The head only hands out unique counters (and tells a lapped
              // reader how far to jump); slot data is published by the
              // markers, never by the head.
              {"head.claim (1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
              {"head.load (2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
              {"reset.store (3)", AtomicOp::kStore, std::memory_order_relaxed, ""},
              {"head.publish (4)", AtomicOp::kStore, std::memory_order_relaxed, ""},
          }},
          detail::kVersionedSlotSites),
      detail::kWriterLeaseSites);
  static_assert(tags_unique(kSites));
};

template <class Sync = StdSync, class Orders = SeqlockOrders,
          WriterMode kWriters = WriterMode::kMulti>
class SeqlockStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Slot = detail::VersionedSlot<Sync, Orders>;
  using Writers = detail::WriterTable<Sync, Orders>;
  using Lease = detail::WriterLease<Sync, Orders>;

 public:
  // The region's writer table, for inspection and the models.
  using WriterTableType = Writers;
  static constexpr std::string_view kName = "seqlock";
  static constexpr WriterMode kWriterMode = kWriters;
  struct Options {
    friend bool operator==(const Options&, const Options&) = default;
  };

  // Region: [head, lease: alone on a cache line][writer table][slot 0][slot 1]...;
  // a slot is its marker then its body, padded to whole cache lines. Slots
  // end the region (the fuzz target's walk relies on it).
  static std::size_t slot_stride(const RingSpec& spec) {
    return detail::round_up(8 * (1 + detail::body_words(spec.payload_capacity)),
                            detail::kCacheLine);
  }
  static constexpr std::size_t kLeaseOffset = 8;
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
    detail::construct_at_offset<Word>(region, kLeaseOffset);
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
        slots_(region + slots_offset()),
        head_(detail::object_at<Word>(region, 0)),
        writers_(region + writers_offset()),
        lease_(detail::object_at<Word>(region, kLeaseOffset)) {}

  // Owns the region's objects: constructs them now, destroys them at the end.
  SeqlockStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                 const Options& options = {})
      : SeqlockStorage(detail::kAdoptRegion, spec, region, options) {
    initialise(spec, region, first_counter, options);
    own_.next = first_counter;
    owns_objects_ = true;
  }
  ~SeqlockStorage() {
    if (!owns_objects_) return;
    detail::destroy_at_offset<Word>(region_, 0);
    detail::destroy_at_offset<Word>(region_, kLeaseOffset);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      for (std::size_t w = 0; w < slot_words(spec_); ++w) {
        detail::destroy_at_offset<Word>(region_, slot_offset(spec_, i) + 8 * w);
      }
    }
    Writers::destroy(region_ + writers_offset());
  }
  SeqlockStorage(const SeqlockStorage&) = delete;
  SeqlockStorage& operator=(const SeqlockStorage&) = delete;

  // For a region shared between processes, many writers: registers this
  // process as a writer, so that a writer of another process may take over a
  // slot this one leaves mid-write by dying [DeadWriterTakeover], and this one
  // may take over theirs. At its first write (Ring::check_writer, one thread
  // at a time), so that readers take no entry. False when the table is
  // full (then neither).
  bool register_writer_process()
    requires(kWriters == WriterMode::kMulti)
  {
    writer_.table = &writers_;
    writer_.owner = writers_.register_process(Sync::process_id(), [this](std::uint64_t owner) {
      return Slot::names_owner(spec_.capacity, owner,
                               [this](std::uint64_t i) -> Word& { return marker(i); });
    });
    return writer_.owner != Writers::kNoOwner;
  }

  // Single writer: makes this process the writer [SoleWriter], taking the
  // lease over from a writer process that died holding it. Then this writer
  // continues from head, and every counter the dead writer claimed but never
  // committed is committed as abandoned, so readers see it Unavailable rather
  // than Pending for good.
  detail::LeaseTaken take_writer_lease(std::uint64_t pid)
    requires(kWriters == WriterMode::kSingle)
  {
    const detail::LeaseTaken taken = Lease(lease_).take(pid);
    if (!taken.ok) return taken;
    own_.next = head();
    if (taken.took_over) {
      Slot::abandon_unfinished(
          own_.next, spec_.capacity, [this](std::uint64_t c) -> Word& { return marker(c); },
          [this](std::uint64_t c) { store(c, {}, {}, /*abandoned=*/true); });
    }
    return taken;
  }
  void give_back_writer_lease(std::uint64_t pid)
    requires(kWriters == WriterMode::kSingle)
  {
    Lease(lease_).give_back(pid);
  }
  std::uint64_t writer_lease_holder() const { return Lease(lease_).holder(); }

  // Claims n consecutive counters, returning the first.
  std::uint64_t claim(std::uint64_t n = 1) {
    if constexpr (kWriters == WriterMode::kMulti) {
      return head_->fetch_add(n, order_of<Orders>("1"));  // (1) relaxed: uniqueness only
    } else {
      const std::uint64_t first = own_.next;
      own_.next = first + n;
      // (4) relaxed: as (1), the head publishes no data; it only counts
      // claims for readers that fall behind.
      head_->store(own_.next, order_of<Orders>("4"));
      return first;
    }
  }

  std::uint64_t head() const {
    return head_->load(order_of<Orders>("2"));  // (2) relaxed: see (1)
  }

  void publish(std::uint64_t counter, const FrameHeader& header,
               std::span<const std::byte> payload) {
    store(counter, header, payload, /*abandoned=*/false);
  }

  void abandon(std::uint64_t counter) { store(counter, {}, {}, /*abandoned=*/true); }

  // Zero-copy writes and reads (Ring::loan, Ring::visit): the payload in place.
  using PayloadWords = detail::PayloadWords<Sync, Orders>;
  using FrameView = detail::SlotView<Sync, Orders>;

  // Takes counter's slot for a loan of payload_size bytes, returning its
  // payload words; nullopt when a lapping writer holds the slot (the loan is
  // superseded and its frame dropped, as a superseded publish's is).
  std::optional<PayloadWords> begin_loan(std::uint64_t counter, std::size_t payload_size) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    Word* const slot = slot_of(counter);
    if (!Slot::template begin<kWriters>(*slot, counter, writer_)) return std::nullopt;
    return PayloadWords(slot + 1 + detail::kBodyHeaderWords, payload_size);
  }
  // Publishes (or, abandoned, gives up) a loan that begin_loan granted.
  void end_loan(std::uint64_t counter, const FrameHeader& header, std::size_t length,
                bool abandoned) {
    Word* const slot = slot_of(counter);
    Slot::finish_loan(*slot, slot + 1, counter, header, length, abandoned);
  }

  // Calls visitor(const FrameView&) over counter's frame in place; see Ring::visit.
  template <class Visitor>
  SlotRead visit_counter(std::uint64_t counter, Visitor&& visitor) const {
    const Word* const slot = slot_of(counter);
    return Slot::visit(*slot, slot + 1, spec_.payload_capacity, counter, visitor);
  }

  // What counter's slot says about it; copies the frame when it is there.
  SlotRead read_counter(std::uint64_t counter, FrameBuffer& out) const {
    const Word* const slot = slot_of(counter);
    return Slot::read(*slot, slot + 1, spec_.payload_capacity, counter, out);
  }

  // The committed frame in counter's slot, whichever counter it carries.
  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    const Word* const slot = slot_of(counter);
    return Slot::read_latest(*slot, slot + 1, spec_.payload_capacity, out) == SlotRead::kCopied;
  }

  // Not while writers or readers run (seed contract).
  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      marker(i).store(0, order_of<Orders>("3"));  // (3) relaxed: no concurrent access
    }
    head_->store(first_counter, order_of<Orders>("3"));  // (3)
    own_.next = first_counter;
  }

  const RingSpec& spec() const { return spec_; }

  // Counter's slot marker (public, as the disruptor's, for inspection: tools/shm).
  Word& marker(std::uint64_t counter) const { return *slot_of(counter); }

 private:
  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    Word* const slot = slot_of(counter);
    // False: superseded by a lapping writer.
    if (!Slot::template begin<kWriters>(*slot, counter, writer_)) return;
    Slot::write_body(slot + 1, header, payload, abandoned);
    Slot::commit(*slot, counter);
  }

  static std::size_t slot_words(const RingSpec& spec) {
    return 1 + detail::body_words(spec.payload_capacity);
  }
  static std::size_t slot_offset(const RingSpec& spec, std::size_t index) {
    return slots_offset() + index * slot_stride(spec);
  }
  // A slot: its marker, then its body words.
  Word* slot_of(std::uint64_t counter) const {
    return detail::object_at<Word>(slots_, (counter & mask_) * stride_);
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  std::byte* const region_;
  std::byte* const slots_;
  Word* const head_;
  Writers writers_;
  Word* const lease_;
  typename Slot::Writer writer_;
  // The sole writer's next counter (kSingle), set when it takes the lease or
  // resets the ring; head() mirrors it for readers.
  detail::SoleWriterCounters own_;
  bool owns_objects_ = false;
};

}  // namespace ringlab
