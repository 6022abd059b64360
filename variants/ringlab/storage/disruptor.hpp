// Disruptor slot storage, after the LMAX Disruptor: a Sequencer claims counters
// (gated by registered readers, or overwriting; for many writers or one),
// per-slot availability markers publish them (the versioned-slot markers,
// which carry the lap as the Disruptor's availableBuffer does), and a
// SequenceBarrier lets readers wait through a wait strategy.
//
// Where the markers live is an option (MarkerLayout): beside each slot's body,
// on the line with the frame header and the first payload bytes (kInline, the
// default: a reader waiting on a counter then holds the one line the frame
// arrives in), or in a dense array apart from the bodies, as the Disruptor's
// availableBuffer is (kApart: eight markers to a line, which the writer
// stores to while a reader spins on a neighbour).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "ringlab/detail/region.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/detail/writer_lease.hpp"
#include "ringlab/disruptor/sequence_barrier.hpp"
#include "ringlab/disruptor/sequencer.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of DisruptorStorage: (D1)..(D9), (D11), (D14)..(D18) and
// (G1)..(G4) in disruptor/sequencer.hpp, (D10), (D12), (D13) in
// disruptor/sequence_barrier.hpp, (P1)..(P13) in detail/versioned_slot.hpp,
// (L1)..(L3) in detail/writer_lease.hpp. The blocking strategy has its own
// (Wn) table.
struct DisruptorOrders {
  static constexpr auto kSites = concat_sites(
      concat_sites(
          std::array<OrderSite, 22>{{
              {"sequencer.overwrite_claim (D1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
              {"sequencer.gated_claim (D2)", AtomicOp::kRmw, std::memory_order_seq_cst, "D7"},
              {"sequencer.cursor_load (D3)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
              {"sequencer.gated_claim_failure (D4)", AtomicOp::kCasFailure,
               std::memory_order_seq_cst, "D7"},
              {"sequencer.gate_load (D5)", AtomicOp::kLoad, std::memory_order_seq_cst,
               "D8 D6"},
              {"sequencer.gate_register (D6)", AtomicOp::kRmw, std::memory_order_seq_cst,
               "D5"},
              {"sequencer.register_cursor_load (D7)", AtomicOp::kLoad,
               std::memory_order_seq_cst, "D2 D18"},
              {"sequencer.gate_advance (D8)", AtomicOp::kStore, std::memory_order_release,
               "D5"},
              {"reset.store (D9)", AtomicOp::kStore, std::memory_order_relaxed, ""},
              {"barrier.marker_load (D10)", AtomicOp::kLoad, std::memory_order_acquire, "P6"},
              {"sequencer.gate_register_failure (D11)", AtomicOp::kCasFailure,
               std::memory_order_relaxed, ""},
              {"barrier.alert_store (D12)", AtomicOp::kStore, std::memory_order_release,
               "D13"},
              {"barrier.alert_load (D13)", AtomicOp::kLoad, std::memory_order_acquire, "D12"},
              {"sequencer.gated_cursor_load (D14)", AtomicOp::kLoad, std::memory_order_seq_cst,
               "D7"},
              {"sequencer.gate_cache_load (D15)", AtomicOp::kLoad, std::memory_order_acquire,
               "D16"},
              {"sequencer.gate_cache_store (D16)", AtomicOp::kStore,
               std::memory_order_release, "D15"},
              {"sequencer.sole_claim (D17)", AtomicOp::kStore, std::memory_order_relaxed, ""},
              {"sequencer.sole_wrap_fence (D18)", AtomicOp::kFence, std::memory_order_seq_cst,
               "D7 D6"},
              {"sequencer.gate_owner_claim (G1)", AtomicOp::kRmw, std::memory_order_acquire,
               "G3"},
              {"sequencer.gate_owner_load (G2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
              {"sequencer.gate_owner_release (G3)", AtomicOp::kStore,
               std::memory_order_release, "G1"},
              {"sequencer.gate_owner_takeover (G4)", AtomicOp::kRmw, std::memory_order_relaxed,
               ""},
          }},
          detail::kVersionedSlotSites),
      detail::kWriterLeaseSites);
  static_assert(tags_unique(kSites));
};

enum class MarkerLayout : std::uint8_t {
  kInline,  // each marker on its slot's first line, before the frame header
  kApart,   // a dense array of markers before the bodies
};

struct DisruptorOptions {
  OverflowMode mode = OverflowMode::kOverwrite;
  MarkerLayout layout = MarkerLayout::kInline;
  friend bool operator==(const DisruptorOptions&, const DisruptorOptions&) = default;
};

inline const char* to_string(OverflowMode mode) {
  return mode == OverflowMode::kGated ? "gated" : "overwrite";
}
inline const char* to_string(MarkerLayout layout) {
  return layout == MarkerLayout::kApart ? "apart" : "inline";
}

template <class Sync = StdSync, template <class...> class Wait = BusySpinWait,
          class Orders = DisruptorOrders, WriterMode kWriters = WriterMode::kMulti>
class DisruptorStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Slot = detail::VersionedSlot<Sync, Orders>;
  using Seq = Sequencer<Sync, Orders, kWriters>;
  using Writers = detail::WriterTable<Sync, Orders>;
  using Lease = detail::WriterLease<Sync, Orders>;

 public:
  // The region's writer table, for inspection and the models.
  using WriterTableType = Writers;
  using Strategy = Wait<Sync>;
  using Barrier = SequenceBarrier<Sync, Orders, DisruptorStorage, Strategy>;
  using Options = DisruptorOptions;
  static constexpr std::string_view kName = "disruptor";
  static constexpr WriterMode kWriterMode = kWriters;

  // Region: [sequencer][wait line][writer table][slots]. Inline, a slot is its marker
  // then its body, padded to whole cache lines; apart, the slots are a dense
  // marker array (padded to a line) then the bodies, each padded to whole
  // lines. Bodies end the region (the fuzz target's walk relies on it), and
  // slot_stride() is the distance between two of them.
  static std::size_t slot_stride(const RingSpec& spec, const Options& options = {}) {
    const std::size_t marker_words = options.layout == MarkerLayout::kInline ? 1 : 0;
    return detail::round_up(8 * (marker_words + detail::body_words(spec.payload_capacity)),
                            detail::kCacheLine);
  }
  static constexpr std::size_t wait_line_offset() { return Seq::region_bytes(); }
  static constexpr std::size_t writers_offset() {
    return wait_line_offset() + WaitLine<Sync>::region_bytes();
  }
  static constexpr std::size_t slots_offset() {
    return writers_offset() + Writers::region_bytes();
  }
  static std::size_t bodies_offset(const RingSpec& spec, const Options& options = {}) {
    if (options.layout == MarkerLayout::kInline) return slots_offset() + 8;
    return slots_offset() + detail::round_up(8 * spec.capacity, detail::kCacheLine);
  }
  static std::size_t region_bytes(const RingSpec& spec, const Options& options = {}) {
    const std::size_t markers = options.layout == MarkerLayout::kInline
                                    ? 0
                                    : detail::round_up(8 * spec.capacity, detail::kCacheLine);
    return slots_offset() + markers + spec.capacity * slot_stride(spec, options);
  }

  // Constructs the region's atomics and empties every slot: once per region,
  // before any storage adopts it.
  static void initialise(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                         const Options& options = {}) {
    Seq::initialise(region);
    WaitLine<Sync>::initialise(region + wait_line_offset());
    for_each_word(spec, options, region, [](std::byte* base, std::size_t offset) {
      detail::construct_at_offset<Word>(base, offset);
    });
    Writers::initialise(region + writers_offset());
    DisruptorStorage(detail::kAdoptRegion, spec, region, options).reset(first_counter);
  }

  // Over a region that initialise() has prepared (here or in another process).
  // The wait strategy and the barrier's alert flag keep their shared words in
  // the region's wait line, so they reach every process that maps it.
  DisruptorStorage(detail::AdoptRegion, const RingSpec& spec, std::byte* region,
                   const Options& options = {})
      : spec_(spec),
        options_(options),
        mask_(spec.capacity - 1),
        body_stride_(slot_stride(spec, options)),
        marker_stride_(options.layout == MarkerLayout::kInline ? body_stride_ : 8),
        region_(region),
        markers_(region + slots_offset()),
        bodies_(region + bodies_offset(spec, options)),
        sequencer_(region, spec.capacity, options.mode),
        writers_(region + writers_offset()),
        strategy_(WaitLine<Sync>(region + wait_line_offset())),
        barrier_(*this, strategy_, WaitLine<Sync>(region + wait_line_offset())) {}

  // Owns the region's objects: constructs them now, destroys them at the end.
  DisruptorStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                   const Options& options = {})
      : DisruptorStorage(detail::kAdoptRegion, spec, region, options) {
    initialise(spec, region, first_counter, options);
    sequencer_.reset(first_counter);
    owns_objects_ = true;
  }
  ~DisruptorStorage() {
    if (!owns_objects_) return;
    Seq::destroy(region_);
    WaitLine<Sync>::destroy(region_ + wait_line_offset());
    for_each_word(spec_, options_, region_, [](std::byte* base, std::size_t offset) {
      detail::destroy_at_offset<Word>(base, offset);
    });
    Writers::destroy(region_ + writers_offset());
  }
  DisruptorStorage(const DisruptorStorage&) = delete;
  DisruptorStorage& operator=(const DisruptorStorage&) = delete;

  // For a region shared between processes, many writers: registers this
  // process as a writer [DeadWriterTakeover] (see SeqlockStorage), at its first
  // write. False when the writer table is full. (Reader gates record the
  // process id itself [DeadGateRelease], so readers need no entry.)
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

  // Single writer: as SeqlockStorage::take_writer_lease. The sequencer then
  // continues from the region's cursor and rescans the gates.
  detail::LeaseTaken take_writer_lease(std::uint64_t pid)
    requires(kWriters == WriterMode::kSingle)
  {
    const detail::LeaseTaken taken = Lease(sequencer_.lease_word()).take(pid);
    if (!taken.ok) return taken;
    sequencer_.resume_sole_writer();
    if (taken.took_over) {
      Slot::abandon_unfinished(
          sequencer_.cursor(), spec_.capacity, [this](std::uint64_t c) -> Word& { return marker(c); },
          [this](std::uint64_t c) { store(c, {}, {}, /*abandoned=*/true); });
    }
    return taken;
  }
  void give_back_writer_lease(std::uint64_t pid)
    requires(kWriters == WriterMode::kSingle)
  {
    Lease(sequencer_.lease_word()).give_back(pid);
  }
  std::uint64_t writer_lease_holder() const { return Lease(sequencer_.lease_word()).holder(); }

  std::uint64_t claim(std::uint64_t n = 1) { return sequencer_.claim(n); }
  std::optional<std::uint64_t> try_claim(std::uint64_t n = 1) { return sequencer_.try_claim(n); }
  std::uint64_t head() const { return sequencer_.cursor(); }

  void publish(std::uint64_t counter, const FrameHeader& header,
               std::span<const std::byte> payload) {
    store(counter, header, payload, false);
  }
  void abandon(std::uint64_t counter) { store(counter, {}, {}, true); }

  // Zero-copy writes and reads (Ring::loan, Ring::visit): the payload in place.
  using PayloadWords = detail::PayloadWords<Sync, Orders>;
  using FrameView = detail::SlotView<Sync, Orders>;

  // Takes counter's slot for a loan of payload_size bytes, returning its
  // payload words; nullopt when a lapping writer holds the slot (the loan is
  // superseded and its frame dropped, as a superseded publish's is).
  std::optional<PayloadWords> begin_loan(std::uint64_t counter, std::size_t payload_size) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    if (!Slot::template begin<kWriters>(marker(counter), counter, writer_)) {
      strategy_.signal_all();  // as a superseded store() does
      return std::nullopt;
    }
    return PayloadWords(body(counter) + detail::kBodyHeaderWords, payload_size);
  }
  // Publishes (or, abandoned, gives up) a loan that begin_loan granted.
  void end_loan(std::uint64_t counter, const FrameHeader& header, std::size_t length,
                bool abandoned) {
    Slot::finish_loan(marker(counter), body(counter), counter, header, length, abandoned);
    strategy_.signal_all();
  }

  // Calls visitor(const FrameView&) over counter's frame in place; see Ring::visit.
  template <class Visitor>
  SlotRead visit_counter(std::uint64_t counter, Visitor&& visitor) const {
    return Slot::visit(marker(counter), body(counter), spec_.payload_capacity, counter, visitor);
  }

  // What counter's slot says about it; copies the frame when it is there.
  SlotRead read_counter(std::uint64_t counter, FrameBuffer& out) const {
    return Slot::read(marker(counter), body(counter), spec_.payload_capacity, counter, out);
  }

  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    return Slot::read_latest(marker(counter), body(counter), spec_.payload_capacity, out) ==
           SlotRead::kCopied;
  }

  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      marker(i).store(0, order_of<Orders>("D9"));  // (D9) relaxed: nothing runs
    }
    sequencer_.reset(first_counter);
  }

  bool gated() const { return sequencer_.mode() == OverflowMode::kGated; }
  Seq& sequencer() { return sequencer_; }
  Barrier& barrier() { return barrier_; }
  const RingSpec& spec() const { return spec_; }

  Word& marker(std::uint64_t counter) const {
    return *detail::object_at<Word>(markers_, (counter & mask_) * marker_stride_);
  }

 private:
  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    Word& m = marker(counter);
    Word* const b = body(counter);
    if (Slot::template begin<kWriters>(m, counter, writer_)) {
      Slot::write_body(b, header, payload, abandoned);
      Slot::commit(m, counter);
    }
    // Even a superseded claim signals: a reader waiting on this counter can
    // now move on (the slot holds a newer one).
    strategy_.signal_all();
  }

  // Calls f(region, offset) for every marker and body word of the slots.
  template <class F>
  static void for_each_word(const RingSpec& spec, const Options& options, std::byte* region,
                            F&& f) {
    const std::size_t stride = slot_stride(spec, options);
    const std::size_t bodies = bodies_offset(spec, options);
    const std::size_t marker_stride = options.layout == MarkerLayout::kInline ? stride : 8;
    for (std::size_t i = 0; i < spec.capacity; ++i) {
      f(region, slots_offset() + i * marker_stride);
      for (std::size_t w = 0; w < detail::body_words(spec.payload_capacity); ++w) {
        f(region, bodies + i * stride + 8 * w);
      }
    }
  }

  Word* body(std::uint64_t counter) const {
    return detail::object_at<Word>(bodies_, (counter & mask_) * body_stride_);
  }

  const RingSpec spec_;
  const Options options_;
  const std::uint64_t mask_;
  const std::size_t body_stride_;
  const std::size_t marker_stride_;
  std::byte* const region_;
  std::byte* const markers_;
  std::byte* const bodies_;
  Seq sequencer_;
  Writers writers_;
  typename Slot::Writer writer_;
  Strategy strategy_;
  Barrier barrier_;
  bool owns_objects_ = false;
};

}  // namespace ringlab
