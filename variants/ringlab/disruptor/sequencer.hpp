// Hands out counters to disruptor writers. In overwrite mode a claim is one
// fetch_add (many writers) or a plain increment (one writer). In gated mode a
// claim waits (or, for try_claim, fails) while the counter would overwrite a
// frame that a registered reader has not consumed.
//
// Ordering points (D1)..(D18) and (G1)..(G4), rows of DisruptorOrders
// (storage/disruptor.hpp).
//
// Invariant [GateOwned]: a gate's value is written only by the process that
// owns the gate's owner word (it holds that process's id): its reader advances
// it, and release_gate frees it. A reader process that dies owning a gate would
// hold every gated writer back for good; [DeadGateRelease]: a gated writer that
// waits, or anyone calling release_dead_gates(), takes the owner word of a
// process that is gone (CAS to releasing(its own pid): exactly one caller
// wins), frees the gate, then frees the owner word. A releaser that dies
// half-way is itself a process that is gone: the next caller takes over from
// it, and freeing a gate twice is harmless. The dead reader's own gate stores
// precede that [DeadWritesVisible], so the freed gate is never overwritten by them.
//
// Invariant [GateCacheIsFloor]: every value a gate floor holds (the shared
// gate cache of many writers, or the single writer's own field) is at most
// the counter each registered reader is owed frames from (its start, then its
// gate). A writer takes as floor min(cursor it read, every gate it loaded at
// (D5)). A reader registered before that scan has its gate in the minimum.
// One registering meanwhile starts at a cursor value read at (D7): many
// writers read the cursor at (D14)/(D4), seq_cst; the single writer issues the
// seq_cst fence (D18) after its last cursor store and before its gate loads.
// Either way, if that precedes (D7) in the single total order S, start is at
// least the cursor the writer knew, hence at least the floor; if it follows,
// the writer's gate loads (D5) follow (D6) in S and see the new gate. Gates
// only grow. So a claim below floor + capacity is below every gate + capacity.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/capabilities.hpp"
#include "ringlab/detail/region.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

enum class OverflowMode : std::uint8_t {
  kOverwrite,  // the oldest frame is overwritten; lagging readers see loss
  kGated,      // writers wait for the slowest registered reader; no loss
};

template <class Sync, class Orders, WriterMode kWriters = WriterMode::kMulti>
class Sequencer {
  using Word = typename Sync::template atomic<std::uint64_t>;

 public:
  static constexpr std::size_t kMaxGates = 32;
  static constexpr std::uint64_t kFreeGate = std::numeric_limits<std::uint64_t>::max();
  static constexpr std::uint64_t kNoOwner = 0;
  // An owner word value: the process `pid` is freeing the gate.
  static constexpr std::uint64_t kReleasingBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t releasing(std::uint64_t pid) { return kReleasingBit | pid; }
  static constexpr std::uint64_t process_of(std::uint64_t owner) { return owner & ~kReleasingBit; }

  // Region: [cursor line: the cursor, then the single writer's lease][gate
  // cache line][kMaxGates gate lines]; a gate line holds the gate and the pid
  // of the process that owns it [GateOwned].
  static constexpr std::size_t kLeaseOffset = 8;
  static constexpr std::size_t region_bytes() { return (2 + kMaxGates) * detail::kCacheLine; }

  // Constructs the region's words (reset() gives them their values).
  static void initialise(std::byte* region) {
    detail::construct_at_offset<Word>(region, 0);
    detail::construct_at_offset<Word>(region, kLeaseOffset);
    detail::construct_at_offset<Word>(region, kGateCacheOffset);
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      detail::construct_at_offset<Word>(region, gate_offset(g));
      detail::construct_at_offset<Word>(region, gate_offset(g) + kOwnerOffset);
    }
  }
  static void destroy(std::byte* region) {
    detail::destroy_at_offset<Word>(region, 0);
    detail::destroy_at_offset<Word>(region, kLeaseOffset);
    detail::destroy_at_offset<Word>(region, kGateCacheOffset);
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      detail::destroy_at_offset<Word>(region, gate_offset(g));
      detail::destroy_at_offset<Word>(region, gate_offset(g) + kOwnerOffset);
    }
  }

  // Over words that initialise() has constructed; the owner destroys them.
  Sequencer(std::byte* region, std::uint64_t capacity, OverflowMode mode)
      : region_(region), capacity_(capacity), mode_(mode) {}
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  OverflowMode mode() const { return mode_; }
  Word* lease_word() const { return detail::object_at<Word>(region_, kLeaseOffset); }

  std::uint64_t cursor() const {
    return next().load(order_of<Orders>("D3"));  // (D3) relaxed: a count, orders no data
  }

  // Claims n consecutive counters (n <= capacity in gated mode), returning the first.
  std::uint64_t claim(std::uint64_t n = 1) {
    if (mode_ == OverflowMode::kOverwrite) {
      if constexpr (kWriters == WriterMode::kMulti) {
        // (D1) relaxed: uniqueness only.
        return next().fetch_add(n, order_of<Orders>("D1"));
      } else {
        return sole_claim(n);
      }
    }
    if (const std::optional<std::uint64_t> c = try_claim(n)) return *c;
    // Waiting: only now is the clock read, never by an uncontended claim.
    auto next_check = Sync::clock::now() + kGateCheckInterval;
    for (;;) {
      Sync::yield();
      if (const std::optional<std::uint64_t> c = try_claim(n)) return *c;
      // Now and then, in case the slowest reader is a dead process's. By the
      // clock, not by count: on a busy CPU one yield can last a time slice.
      if (const auto now = Sync::clock::now(); now >= next_check) {
        release_dead_gates();
        next_check = now + kGateCheckInterval;
      }
    }
  }

  // Gated mode: nullopt when the claim would overwrite a frame that a
  // registered reader has not consumed. Invariant [HeadWithinGate]: a claim
  // only succeeds below the slowest gate + capacity, so head never runs more
  // than a lap ahead of a registered reader, and a poll's "older than
  // head - capacity" is true loss even in gated mode. Like the LMAX
  // Disruptor's gating-sequence cache, the slowest gate is read from a floor
  // [GateCacheIsFloor] and the gates scanned only when a claim reaches it:
  // once a lap, not once a claim.
  std::optional<std::uint64_t> try_claim(std::uint64_t n = 1) {
    if (mode_ == OverflowMode::kOverwrite) return claim(n);
    if constexpr (kWriters == WriterMode::kSingle) {
      if (blocked(own_.next + n - 1, own_.floor)) {
        refresh_sole_floor();
        if (blocked(own_.next + n - 1, own_.floor)) return std::nullopt;
      }
      return sole_claim(n);
    } else {
      // (D14) seq_cst: if it reads a cursor value written after the one a
      // registering reader read at (D7), the gate loads (D5) after it see that
      // reader's gate (D6); see register_gate().
      std::uint64_t c = next().load(order_of<Orders>("D14"));
      for (;;) {
        // (D15) acquire: pairs with (D16), so the reader's copy that let the
        // caching writer's gate load (D5) pass happens-before this claim's reuse.
        std::uint64_t floor = gate_cache().load(order_of<Orders>("D15"));
        if (blocked(c + n - 1, floor)) {
          floor = min_gate(c);
          // (D16) release: pairs with (D15); carries (D8)->(D5) on to every
          // writer that claims on this floor.
          gate_cache().store(floor, order_of<Orders>("D16"));
          if (blocked(c + n - 1, floor)) return std::nullopt;
        }
        // (D2) seq_cst: claims c only if no other writer did since (D14);
        // (D4) on failure seq_cst: the value read plays the role of (D14).
        if (next().compare_exchange_weak(c, c + n, order_of<Orders>("D2"),
                                         cas_failure_order(order_of<Orders>("D4")))) {
          return c;
        }
      }
    }
  }

  // Registers a reader. Frames from the returned start on are never
  // overwritten before the reader advances past them.
  absl::StatusOr<ReaderGate> register_gate() {
    if (mode_ != OverflowMode::kGated) {
      return absl::FailedPreconditionError("reader gates exist only in gated mode");
    }
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      if (!take_owner(g)) continue;
      std::uint64_t expected = kFreeGate;
      const std::uint64_t floor = cursor();  // (D3)
      // (D6) seq_cst: sets the gate at a floor <= start, before (D7) in the
      // single total order S.
      if (gate(g).compare_exchange_strong(expected, floor, order_of<Orders>("D6"),
                                          cas_failure_order(order_of<Orders>("D11")))) {
        // (D7) seq_cst: a writer that claims a counter c >= start + capacity
        // knew a cursor value written after the value this load reads, so
        // (D6) < (D7) < its (D14)/(D4) or (D18) < its gate loads (D5) in S,
        // and (D5) sees this gate: the claim waits for this reader. A claim on
        // an older floor is below start + capacity [GateCacheIsFloor].
        const std::uint64_t start = next().load(order_of<Orders>("D7"));
        // Raise the gate from the floor to the reader's start: claims made
        // between (D3) and (D6) may have taken head a lap past the floor, and a
        // reader with nothing to poll would never advance the gate itself.
        advance_gate(g, start);  // (D8)
        return ReaderGate{g, start};
      }
      free_owner(g);  // not reached while [GateOwned] holds: the gate was free
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("all ", kMaxGates, " reader gates are registered"));
  }

  // The reader of gate g has consumed every counter below `next_counter`.
  void advance_gate(std::size_t g, std::uint64_t next_counter) {
    // (D8) release: pairs with the writers' gate loads (D5): the reader's copy
    // of a slot happens-before the writer that reuses the slot.
    gate(g).store(next_counter, order_of<Orders>("D8"));
  }

  void release_gate(std::size_t g) {
    gate(g).store(kFreeGate, order_of<Orders>("D8"));  // (D8), as in advance_gate
    free_owner(g);
  }

  // [DeadGateRelease] Frees the gates of reader processes that are gone (and
  // orphan gates, see below); how many.
  std::size_t release_dead_gates() {
    std::size_t released = 0;
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      // (G2) relaxed: a stale pid costs a wasted check or a later release; the
      // CAS (G4) decides.
      std::uint64_t owner = gate_owner(g).load(order_of<Orders>("G2"));
      const std::uint64_t pid = process_of(owner);
      if (owner == kNoOwner) {
        // [OrphanGate] A set gate without an owner never occurs under
        // [GateOwned] (a gate is set only by its owner, and freed before its
        // owner word): it is a foreign byte in the region, released like a
        // dead reader's gate. Taking the owner word first makes this caller
        // the gate's owner, so freeing it is never wrong.
        if (gate(g).load(order_of<Orders>("D5")) == kFreeGate) continue;  // (D5), as in min_gate
      } else if (pid == Sync::process_id() || !Sync::process_gone(pid)) {
        continue;
      }
      // (G4) relaxed: the dead owner's (or dead releaser's) gate stores are
      // visible by now [DeadWritesVisible]; this only makes one caller the releaser.
      if (!gate_owner(g).compare_exchange_strong(owner, releasing(Sync::process_id()),
                                                 order_of<Orders>("G4"),
                                                 cas_failure_order(order_of<Orders>("G4")))) {
        continue;
      }
      release_gate(g);
      ++released;
    }
    return released;
  }

  // Gate g's value and owner word, for inspection (tools/shm); kFreeGate and
  // kNoOwner when free.
  std::uint64_t gate_value(std::size_t g) const {
    return gate(g).load(order_of<Orders>("D5"));  // (D5), as in min_gate
  }
  std::uint64_t gate_owner_value(std::size_t g) const {
    return gate_owner(g).load(order_of<Orders>("G2"));  // (G2) relaxed: a snapshot
  }

  // The single writer continues from the cursor in the region (after it takes
  // the writer lease, possibly from a dead writer) and scans the gates anew.
  void resume_sole_writer()
    requires(kWriters == WriterMode::kSingle)
  {
    own_.next = cursor();
    own_.floor = own_.next;
    if (mode_ == OverflowMode::kGated) refresh_sole_floor();
  }

  void reset(std::uint64_t first_counter) {
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      gate(g).store(kFreeGate, order_of<Orders>("D9"));         // (D9) relaxed: nothing runs
      gate_owner(g).store(kNoOwner, order_of<Orders>("D9"));    // (D9)
    }
    gate_cache().store(first_counter, order_of<Orders>("D9"));  // (D9)
    next().store(first_counter, order_of<Orders>("D9"));        // (D9)
    own_.next = first_counter;
    own_.floor = first_counter;
  }

 private:
  static constexpr std::size_t kGateCacheOffset = detail::kCacheLine;
  static constexpr std::size_t gate_offset(std::size_t g) { return (2 + g) * detail::kCacheLine; }
  static constexpr std::size_t kOwnerOffset = 8;
  // How often a waiting gated writer looks for dead readers' gates: the bound
  // on how long a dead reader holds writers up, once the gate is the slowest.
  static constexpr std::chrono::milliseconds kGateCheckInterval{1};

  Word& next() const { return *detail::object_at<Word>(region_, 0); }
  Word& gate_cache() const { return *detail::object_at<Word>(region_, kGateCacheOffset); }
  Word& gate(std::size_t g) const { return *detail::object_at<Word>(region_, gate_offset(g)); }
  Word& gate_owner(std::size_t g) const {
    return *detail::object_at<Word>(region_, gate_offset(g) + kOwnerOffset);
  }

  // The single writer's claim [SoleWriter]: its own counter, published for
  // readers with a plain store. No locked instruction.
  std::uint64_t sole_claim(std::uint64_t n) {
    const std::uint64_t first = own_.next;
    own_.next = first + n;
    // (D17) relaxed: as (D1), the cursor publishes no data; readers read it
    // only when they fall behind, registering readers at (D7).
    next().store(own_.next, order_of<Orders>("D17"));
    return first;
  }

  // Once a lap at most, and never inlined into the claim: the single writer's
  // store-load barrier lives here, off the path of every other claim.
  [[gnu::noinline]] void refresh_sole_floor() {
    // (D18) seq_cst fence: after this writer's last cursor store (D17) and
    // before its gate loads (D5): a reader registering at (D6) either is seen
    // by those loads or reads, at (D7), a cursor at least this writer's
    // [GateCacheIsFloor].
    Sync::fence(order_of<Orders>("D18"));
    own_.floor = min_gate(own_.next);
  }

  // Makes this process the owner of gate g if nobody owns it [GateOwned].
  bool take_owner(std::size_t g) {
    std::uint64_t none = kNoOwner;
    // (G1) acquire: pairs with (G3), so the last owner's (or releaser's) free
    // gate store (D8) happens-before this owner's gate stores.
    return gate_owner(g).compare_exchange_strong(none, Sync::process_id(),
                                                 order_of<Orders>("G1"),
                                                 cas_failure_order(order_of<Orders>("G1")));
  }
  void free_owner(std::size_t g) {
    // (G3) release: pairs with (G1); publishes the free gate (D8) before it.
    gate_owner(g).store(kNoOwner, order_of<Orders>("G3"));
  }

  // The slowest registered gate, and never above `cursor` [GateCacheIsFloor].
  std::uint64_t min_gate(std::uint64_t cursor) const {
    std::uint64_t lowest = cursor;
    for (std::size_t g = 0; g < kMaxGates; ++g) {
      // (D5) seq_cst: acquire pairs with (D8), so a reader's copy of a slot
      // happens-before its reuse; seq_cst for (D6)/(D7), see register_gate().
      const std::uint64_t v = gate(g).load(order_of<Orders>("D5"));
      if (v < lowest) lowest = v;
    }
    return lowest;
  }
  bool blocked(std::uint64_t last, std::uint64_t floor) const { return last >= floor + capacity_; }

  std::byte* const region_;
  const std::uint64_t capacity_;
  const OverflowMode mode_;
  // The single writer's own counter and gate floor (kSingle only).
  detail::SoleWriterCounters own_;
};

}  // namespace ringlab
