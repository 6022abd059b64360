// Disruptor slot storage, after the LMAX Disruptor: a Sequencer claims counters
// (gated by registered readers, or overwriting), a dense array of per-slot
// availability markers publishes them (the versioned-slot markers, which carry
// the lap as the Disruptor's availableBuffer does), bodies sit apart from the
// markers, and a SequenceBarrier lets readers wait through a wait strategy.
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
#include "ringlab/disruptor/sequence_barrier.hpp"
#include "ringlab/disruptor/sequencer.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of DisruptorStorage: (D1)..(D9), (D3g), (D13), (D14),
// (G1)..(G4) in disruptor/sequencer.hpp,
// (D10)..(D12) in disruptor/sequence_barrier.hpp, (P1)..(P10) in
// detail/versioned_slot.hpp. The blocking strategy has its own (Wn) table.
struct DisruptorOrders {
  enum Site : std::size_t {
    kOverwriteClaim,
    kGatedClaim,
    kCursorLoad,
    kGatedClaimFailure,
    kGateLoad,
    kGateRegister,
    kRegisterCursorLoad,
    kGateAdvance,
    kResetStore,
    kBarrierLoad,
    kGateRegisterFailure,
    kAlertStore,
    kAlertLoad,
    kGatedCursorLoad,
    kGateCacheLoad,
    kGateCacheStore,
    kGateOwnerClaim,
    kGateOwnerLoad,
    kGateOwnerRelease,
    kGateOwnerTakeover,
    RINGLAB_VERSIONED_SLOT_SITE_NAMES,
    kSiteCount
  };
  static constexpr auto kSites = concat_sites(
      std::array<OrderSite, 20>{{
          {"sequencer.overwrite_claim (D1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
          {"sequencer.gated_claim (D2)", AtomicOp::kRmw, std::memory_order_seq_cst, "D7"},
          {"sequencer.cursor_load (D3)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
          {"sequencer.gated_claim_failure (D4)", AtomicOp::kCasFailure,
           std::memory_order_seq_cst, "D7"},
          {"sequencer.gate_load (D5)", AtomicOp::kLoad, std::memory_order_seq_cst, "D8 D6"},
          {"sequencer.gate_register (D6)", AtomicOp::kRmw, std::memory_order_seq_cst, "D5"},
          {"sequencer.register_cursor_load (D7)", AtomicOp::kLoad, std::memory_order_seq_cst,
           "D2"},
          {"sequencer.gate_advance (D8)", AtomicOp::kStore, std::memory_order_release, "D5"},
          {"reset.store (D9)", AtomicOp::kStore, std::memory_order_relaxed, ""},
          {"barrier.marker_load (D10)", AtomicOp::kLoad, std::memory_order_acquire, "P6"},
          {"sequencer.gate_register_failure (D6f)", AtomicOp::kCasFailure,
           std::memory_order_relaxed, ""},
          {"barrier.alert_store (D11)", AtomicOp::kStore, std::memory_order_release, "D12"},
          {"barrier.alert_load (D12)", AtomicOp::kLoad, std::memory_order_acquire, "D11"},
          {"sequencer.gated_cursor_load (D3g)", AtomicOp::kLoad, std::memory_order_seq_cst,
           "D7"},
          {"sequencer.gate_cache_load (D13)", AtomicOp::kLoad, std::memory_order_acquire,
           "D14"},
          {"sequencer.gate_cache_store (D14)", AtomicOp::kStore, std::memory_order_release,
           "D13"},
          {"sequencer.gate_owner_claim (G1)", AtomicOp::kRmw, std::memory_order_acquire, "G3"},
          {"sequencer.gate_owner_load (G2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
          {"sequencer.gate_owner_release (G3)", AtomicOp::kStore, std::memory_order_release,
           "G1"},
          {"sequencer.gate_owner_takeover (G4)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      }},
      detail::kVersionedSlotSites);
  static_assert(kSites.size() == kSiteCount);
};

struct DisruptorOptions {
  OverflowMode mode = OverflowMode::kOverwrite;
  friend bool operator==(const DisruptorOptions&, const DisruptorOptions&) = default;
};

inline const char* to_string(OverflowMode mode) {
  return mode == OverflowMode::kGated ? "gated" : "overwrite";
}

template <class Sync = StdSync, template <class...> class Wait = BusySpinWait,
          class Orders = DisruptorOrders>
class DisruptorStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Slot = detail::VersionedSlot<Sync, Orders>;
  using Seq = Sequencer<Sync, Orders>;
  using Writers = detail::WriterTable<Sync, Orders>;

 public:
  using Strategy = Wait<Sync>;
  using Barrier = SequenceBarrier<Sync, Orders, DisruptorStorage, Strategy>;
  using Options = DisruptorOptions;
  static constexpr std::string_view kName = "disruptor";

  // Region: [sequencer][writer table][markers, 8 bytes each, dense][bodies,
  // cache-line strided]. Bodies end the region (the fuzz target's walk relies on it).
  static std::size_t body_stride(const RingSpec& spec) {
    return detail::round_up(8 * detail::body_words(spec.payload_capacity), detail::kCacheLine);
  }
  static constexpr std::size_t writers_offset() { return Seq::region_bytes(); }
  static constexpr std::size_t markers_offset() {
    return writers_offset() + Writers::region_bytes();
  }
  static std::size_t bodies_offset(const RingSpec& spec) {
    return markers_offset() + detail::round_up(8 * spec.capacity, detail::kCacheLine);
  }
  static std::size_t region_bytes(const RingSpec& spec) {
    return bodies_offset(spec) + spec.capacity * body_stride(spec);
  }

  // Constructs the region's atomics and empties every slot: once per region,
  // before any storage adopts it.
  static void initialise(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                         const Options& options = {}) {
    Seq::initialise(region);
    for (std::size_t i = 0; i < spec.capacity; ++i) {
      detail::construct_at_offset<Word>(region, markers_offset() + 8 * i);
      for (std::size_t w = 0; w < detail::body_words(spec.payload_capacity); ++w) {
        detail::construct_at_offset<Word>(region, bodies_offset(spec) + i * body_stride(spec) + 8 * w);
      }
    }
    Writers::initialise(region + writers_offset());
    DisruptorStorage(detail::kAdoptRegion, spec, region, options).reset(first_counter);
  }

  // Over a region that initialise() has prepared (here or in another process).
  // The wait strategy and the barrier's alert flag are this object's own.
  DisruptorStorage(detail::AdoptRegion, const RingSpec& spec, std::byte* region,
                   const Options& options = {})
      : spec_(spec),
        mask_(spec.capacity - 1),
        stride_(body_stride(spec)),
        region_(region),
        bodies_(region + bodies_offset(spec)),
        markers_(region + markers_offset()),
        sequencer_(region, spec.capacity, options.mode),
        writers_(region + writers_offset()),
        barrier_(*this, strategy_) {}

  // Owns the region's objects: constructs them now, destroys them at the end.
  DisruptorStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                   const Options& options = {})
      : DisruptorStorage(detail::kAdoptRegion, spec, region, options) {
    initialise(spec, region, first_counter, options);
    owns_objects_ = true;
  }
  ~DisruptorStorage() {
    if (!owns_objects_) return;
    Seq::destroy(region_);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      detail::destroy_at_offset<Word>(markers_, 8 * i);
      for (std::size_t w = 0; w < detail::body_words(spec_.payload_capacity); ++w) {
        detail::destroy_at_offset<Word>(bodies_, i * stride_ + 8 * w);
      }
    }
    Writers::destroy(region_ + writers_offset());
  }

  // For a region shared between processes: registers this process as a writer
  // [DeadWriterTakeover] (see SeqlockStorage), and as the owner of the reader
  // gates it registers [DeadGateRelease]. Before the storage is used. False
  // when the writer table is full.
  bool register_writer_process() {
    writer_.table = &writers_;
    writer_.owner = writers_.register_process(Sync::process_id());
    return writer_.owner != Writers::kNoOwner;
  }
  DisruptorStorage(const DisruptorStorage&) = delete;
  DisruptorStorage& operator=(const DisruptorStorage&) = delete;

  std::uint64_t claim() { return sequencer_.claim(); }
  std::optional<std::uint64_t> try_claim() { return sequencer_.try_claim(); }
  std::uint64_t head() const { return sequencer_.cursor(); }

  void publish(std::uint64_t counter, const FrameHeader& header,
               std::span<const std::byte> payload) {
    store(counter, header, payload, false);
  }
  void abandon(std::uint64_t counter) { store(counter, {}, {}, true); }

  // The state of a claimed counter (the ring has checked that it is one);
  // *overwritten: Unavailable because a newer counter holds the slot.
  ReadState slot_state(std::uint64_t counter, FrameBuffer& out,
                       bool* overwritten = nullptr) const {
    return detail::to_read_state(
        Slot::read(marker(counter), body(counter), spec_.payload_capacity, counter, out),
        overwritten);
  }

  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    return Slot::read_latest(marker(counter), body(counter), spec_.payload_capacity, out) ==
           detail::SlotRead::kCopied;
  }

  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      marker(i).store(0, mo(Orders::kResetStore));  // (D9) relaxed: nothing runs
    }
    sequencer_.reset(first_counter);
  }

  bool gated() const { return sequencer_.mode() == OverflowMode::kGated; }
  Seq& sequencer() { return sequencer_; }
  Barrier& barrier() { return barrier_; }
  const RingSpec& spec() const { return spec_; }

  Word& marker(std::uint64_t counter) const {
    return *detail::object_at<Word>(markers_, 8 * (counter & mask_));
  }

 private:
  static constexpr std::memory_order mo(typename Orders::Site site) {
    return Orders::kSites[site].order;
  }

  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    Word& m = marker(counter);
    if (Slot::begin_write(m, counter, writer_)) {
      Slot::write_body(body(counter), header, payload, abandoned);
      Slot::commit(m, counter);
    }
    // Even a superseded claim signals: a reader waiting on this counter can
    // now move on (the slot holds a newer one).
    strategy_.signal_all();
  }

  Word* body(std::uint64_t counter) const {
    return detail::object_at<Word>(bodies_, (counter & mask_) * stride_);
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  std::byte* const region_;
  std::byte* const bodies_;
  std::byte* const markers_;
  Seq sequencer_;
  Writers writers_;
  typename Slot::Writer writer_;
  Strategy strategy_;
  Barrier barrier_;
  bool owns_objects_ = false;
};

}  // namespace ringlab
