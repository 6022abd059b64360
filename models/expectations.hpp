// The committed expectations for every atomic site of every conforming variant:
// which single-site weakenings the scenarios must catch (checked in ctest), and
// for the others why a weaker order survives. Each list names exactly the sites
// of its table, in order; check_expectations() (mutation.hpp) fails ctest when
// a table gains, loses or renames a site, so a new site cannot be missed.
//
// The seqlock and disruptor tables serve both writer modes, whose paths share
// some sites and not others; each has one list per mode, and each mode's
// mutants run only that mode's scenarios (so a site needed by the single
// writer must be caught by a single-writer scenario).
//
// Verdicts hold for the bounded scenarios in models/scenarios/ under Relacy's
// model (3-store history per location, no IRIW, store order = execution
// order, seq_cst fences ordered only against other seq_cst fences); see
// results/ordering-audit.md, written by `scripts/ringlab model`.
#pragma once

#include <array>
#include <cstddef>

#include "mutation.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/detail/writer_lease.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/storage/disruptor.hpp"
#include "ringlab/storage/rwlock.hpp"
#include "ringlab/storage/seqlock.hpp"

namespace ringlab::models {

template <std::size_t... N>
constexpr std::array<SiteExpectation, (N + ...)> concat_expectations(
    const std::array<SiteExpectation, N>&... lists) {
  std::array<SiteExpectation, (N + ...)> out{};
  std::size_t i = 0;
  ([&] {
    for (const SiteExpectation& e : lists) out[i++] = e;
  }(),
   ...);
  return out;
}

// Picks a row's verdict by writer mode.
constexpr SiteExpectation by_mode(WriterMode mode, SiteExpectation multi, SiteExpectation single) {
  return mode == WriterMode::kMulti ? multi : single;
}

// (P1)..(P14), detail/versioned_slot.hpp.
constexpr std::array<SiteExpectation, 14> versioned_slot_expectations(WriterMode mode) {
  return {{
      {"slot.writer_load (P1)", Expect::kNothingWeaker, ""},
      by_mode(mode,
              {"slot.claim_cas (P2)", Expect::kNotDetectable,
               "orders the previous lap's body stores (P5) before ours in each word's "
               "modification order; Relacy's store order follows execution order, so no "
               "scenario can show a reordered store"},
              {"slot.claim_cas (P2)", Expect::kNotOnPath,
               "the single writer takes its slot with the plain store (P13) "
               "(VersionedSlot::begin_sole_write), never with this CAS"}),
      {"slot.claim_cas_failure (P3)", Expect::kNothingWeaker, ""},
      {"slot.writer_fence (P4)", Expect::kMustCatch, ""},
      {"slot.body_store (P5)", Expect::kNothingWeaker, ""},
      {"slot.commit (P6)", Expect::kMustCatch, ""},
      {"slot.reader_load (P7)", Expect::kMustCatch, ""},
      {"slot.body_load (P8)", Expect::kNothingWeaker, ""},
      {"slot.reader_fence (P9)", Expect::kMustCatch, ""},
      {"slot.reader_recheck (P10)", Expect::kNothingWeaker, ""},
      {"owners.register (P11)", Expect::kNothingWeaker, ""},
      {"owners.load (P12)", Expect::kNothingWeaker, ""},
      {"slot.sole_mark (P13)", Expect::kNothingWeaker, ""},
      {"owners.close_unregistered (P14)", Expect::kNothingWeaker, ""},
  }};
}

// (L1)..(L3), detail/writer_lease.hpp.
constexpr std::array<SiteExpectation, 3> writer_lease_expectations(WriterMode mode) {
  constexpr std::string_view kSingleOnly =
      "only a single-writer storage has a writer lease (take_writer_lease requires "
      "WriterMode::kSingle)";
  return {{
      by_mode(mode, {"lease.take (L1)", Expect::kNotOnPath, kSingleOnly},
              {"lease.take (L1)", Expect::kMustCatch, ""}),
      by_mode(mode, {"lease.give_back (L2)", Expect::kNotOnPath, kSingleOnly},
              {"lease.give_back (L2)", Expect::kNotDetectable,
               "it publishes the last frame's stores after its fence (P4), the body (P5) "
               "and commit (P6), so that the next holder's stores to that slot a lap later "
               "follow them in each word's modification order (the part (P2) plays between "
               "many writers); Relacy's store order follows execution order, so no scenario "
               "can show a reordered store. The head (4), stored before that fence, reaches "
               "the next holder even with (L2) relaxed: its acquire take (L1) reads the "
               "give-back and so synchronises with the fence (P4) before it "
               "(lease_give_back passes)"}),
      {"lease.holder_load (L3)", Expect::kNothingWeaker, ""},
  }};
}

template <WriterMode kMode>
struct SeqlockTableOf {
  using Orders = SeqlockOrders;
  static constexpr std::string_view kName =
      kMode == WriterMode::kMulti ? "SeqlockOrders" : "SeqlockOrders.single_writer";
  static constexpr auto kExpect = concat_expectations(
      std::array<SiteExpectation, 4>{{
          {"head.claim (1)", Expect::kNothingWeaker, ""},
          {"head.load (2)", Expect::kNothingWeaker, ""},
          {"reset.store (3)", Expect::kNothingWeaker, ""},
          {"head.publish (4)", Expect::kNothingWeaker, ""},
      }},
      versioned_slot_expectations(kMode), writer_lease_expectations(kMode));
};
using SeqlockTable = SeqlockTableOf<WriterMode::kMulti>;
using SoleSeqlockTable = SeqlockTableOf<WriterMode::kSingle>;

struct RwlockTable {
  using Orders = RwlockOrders;
  static constexpr std::string_view kName = "RwlockOrders";
  static constexpr std::array<SiteExpectation, 17> kExpect{{
      {"head.claim (1)", Expect::kNothingWeaker, ""},
      {"head.load (2)", Expect::kNothingWeaker, ""},
      {"reset.store (3)", Expect::kNothingWeaker, ""},
      // (R1)..(R14), detail/slot_lock.hpp: in the unbounded scenarios the slot
      // data is Relacy's plain cells, so a lock that orders nothing shows as a
      // data race; the bounded ones (revocable holds) use atomic cells (R9),
      // (R10), and check that a revoked reader keeps nothing.
      {"lock.load (R1)", Expect::kNothingWeaker, ""},
      {"lock.writer_cas (R2)", Expect::kMustCatch, ""},
      {"lock.writer_cas_failure (R3)", Expect::kNothingWeaker, ""},
      {"lock.reader_cas (R4)", Expect::kMustCatch, ""},
      {"lock.reader_cas_failure (R5)", Expect::kNothingWeaker, ""},
      {"lock.writer_unlock (R6)", Expect::kMustCatch, ""},
      {"lock.reader_unlock (R7)", Expect::kMustCatch, ""},
      {"lock.reader_unlock_failure (R8)", Expect::kNothingWeaker, ""},
      {"cell.store (R9)", Expect::kNothingWeaker, ""},
      {"cell.load (R10)", Expect::kNothingWeaker, ""},
      {"blocked.load (R11)", Expect::kNothingWeaker, ""},
      {"blocked.stamp (R12)", Expect::kNothingWeaker, ""},
      {"blocked.stamp_failure (R13)", Expect::kNothingWeaker, ""},
      {"blocked.clear (R14)", Expect::kNothingWeaker, ""},
  }};
};

// (D1)..(D18), (G1)..(G4): disruptor/sequencer.hpp, disruptor/sequence_barrier.hpp.
constexpr std::array<SiteExpectation, 22> sequencer_expectations(WriterMode mode) {
  return {{
      {"sequencer.overwrite_claim (D1)", Expect::kNothingWeaker, ""},
      by_mode(mode,
              {"sequencer.gated_claim (D2)", Expect::kNotDetectable,
               "the (D6) < (D7) < claim < (D5) chain in S needs the claim in S; in Relacy an "
               "RMW reads the latest value in execution order and seq_cst follows execution "
               "order, so the store-buffering outcome through the cursor never appears"},
              {"sequencer.gated_claim (D2)", Expect::kNotOnPath,
               "the single writer claims with the plain store (D17) (Sequencer::sole_claim), "
               "never with this CAS"}),
      {"sequencer.cursor_load (D3)", Expect::kNothingWeaker, ""},
      by_mode(mode,
              {"sequencer.gated_claim_failure (D4)", Expect::kNotDetectable,
               "plays (D14)'s role after a failed CAS; same argument as (D2)"},
              {"sequencer.gated_claim_failure (D4)", Expect::kNotOnPath, "as (D2)"}),
      {"sequencer.gate_load (D5)", Expect::kMustCatch, ""},
      {"sequencer.gate_register (D6)", Expect::kMustCatch, ""},
      by_mode(mode,
              {"sequencer.register_cursor_load (D7)", Expect::kNotDetectable,
               "the reader's half of the store-buffering pair (D6)/(D7) against the writers' "
               "cursor read (D14) and gate loads (D5); the cursor is stored by seq_cst CASes "
               "(D2), and Relacy's seq_cst load reads the latest seq_cst store in execution "
               "order whatever order (D7) has, so it never reads a stale cursor here"},
              {"sequencer.register_cursor_load (D7)", Expect::kMustCatch, ""}),
      {"sequencer.gate_advance (D8)", Expect::kNotDetectable,
       "orders the reader's slot loads before the writer's reuse (a load-buffering shape); "
       "Relacy never lets a load read a store that executes later"},
      {"reset.store (D9)", Expect::kNothingWeaker, ""},
      {"barrier.marker_load (D10)", Expect::kOverStrong,
       "for the storage's own readers: read_counter re-reads the marker with (P7) acquire "
       "before any body load; kept as the barrier's contract for callers that read without "
       "read_counter"},
      {"sequencer.gate_register_failure (D11)", Expect::kNothingWeaker, ""},
      {"barrier.alert_store (D12)", Expect::kOverStrong,
       "the alert flag publishes no data; a relaxed flag still ends the wait (coherence; the "
       "alert scenario passes)"},
      {"barrier.alert_load (D13)", Expect::kOverStrong, "as (D12)"},
      by_mode(mode,
              {"sequencer.gated_cursor_load (D14)", Expect::kNotDetectable,
               "its value is re-validated by the claim CAS, but it must precede the gate "
               "loads (D5) in S; same argument as (D2)"},
              {"sequencer.gated_cursor_load (D14)", Expect::kNotOnPath,
               "only the many-writer gated claim reads the cursor here; the single writer "
               "counts in its own field"}),
      by_mode(mode,
              {"sequencer.gate_cache_load (D15)", Expect::kNotDetectable,
               "carries (D8)->(D5) to a writer claiming on another writer's cached floor: "
               "the load-buffering shape of (D8), which Relacy never produces"},
              {"sequencer.gate_cache_load (D15)", Expect::kNotOnPath,
               "the gate cache is shared by many writers; the single writer keeps its floor "
               "in a plain field (Sequencer::floor_)"}),
      by_mode(mode, {"sequencer.gate_cache_store (D16)", Expect::kNotDetectable, "as (D15)"},
              {"sequencer.gate_cache_store (D16)", Expect::kNotOnPath, "as (D15)"}),
      {"sequencer.sole_claim (D17)", Expect::kNothingWeaker, ""},
      by_mode(mode,
              {"sequencer.sole_wrap_fence (D18)", Expect::kNotOnPath,
               "only the single writer's gate scan (Sequencer::refresh_sole_floor) issues it"},
              {"sequencer.sole_wrap_fence (D18)", Expect::kMustCatch, ""}),
      by_mode(mode,
              {"sequencer.gate_owner_claim (G1)", Expect::kNotDetectable,
               "with (G3) it makes the freed gate (D8) visible to the next owner's gate CAS "
               "(D6): without it that CAS may fail on a stale value and skip a free gate "
               "(registration then takes another, or fails when none is left); a successful "
               "(D6) follows the free store anyway (an RMW reads the last value). Relacy's "
               "CAS, failing ones included, reads the latest value, so no scenario shows the "
               "stale read (dead_reader_gate passes with (G1) or (G3) relaxed)"},
              {"sequencer.gate_owner_claim (G1)", Expect::kNotDetectable,
               "as for many writers (the gate owners do not depend on the writer mode): "
               "Relacy's CAS, failing ones included, reads the latest value, so the stale "
               "free gate that (G1)/(G3) guard against never shows"}),
      {"sequencer.gate_owner_load (G2)", Expect::kNothingWeaker, ""},
      {"sequencer.gate_owner_release (G3)", Expect::kNotDetectable, "as (G1)"},
      {"sequencer.gate_owner_takeover (G4)", Expect::kNothingWeaker, ""},
  }};
}

template <WriterMode kMode>
struct DisruptorTableOf {
  using Orders = DisruptorOrders;
  static constexpr std::string_view kName =
      kMode == WriterMode::kMulti ? "DisruptorOrders" : "DisruptorOrders.single_writer";
  static constexpr auto kExpect =
      concat_expectations(sequencer_expectations(kMode), versioned_slot_expectations(kMode),
                          writer_lease_expectations(kMode));
};
using DisruptorTable = DisruptorTableOf<WriterMode::kMulti>;
using SoleDisruptorTable = DisruptorTableOf<WriterMode::kSingle>;

struct BlockingWaitTable {
  using Orders = BlockingWaitOrders;
  static constexpr std::string_view kName = "BlockingWaitOrders";
  static constexpr std::array<SiteExpectation, 7> kExpect{{
      {"wait.sleeper_enter (W1)", Expect::kNothingWeaker, ""},
      {"wait.sleeper_fence (W2)", Expect::kMustCatch, ""},
      {"wait.signal_fence (W3)", Expect::kMustCatch, ""},
      {"wait.signal_load (W4)", Expect::kNothingWeaker, ""},
      {"wait.sleeper_leave (W5)", Expect::kNothingWeaker, ""},
      {"wait.epoch_load (W6)", Expect::kMustCatch, ""},
      {"wait.epoch_bump (W7)", Expect::kNothingWeaker, ""},
  }};
};

}  // namespace ringlab::models
