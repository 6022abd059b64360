// The committed expectations for every atomic site of every conforming variant:
// which single-site weakenings the scenarios must catch (checked in ctest), and
// for the others why a weaker order survives. Each list names exactly the sites
// of its table, in order; check_expectations() (mutation.hpp) fails ctest when
// a table gains, loses or renames a site, so a new site cannot be missed.
//
// Verdicts hold for the bounded scenarios in models/scenarios/ under Relacy's
// model (3-store history per location, no IRIW, store order = execution
// order); see results/ordering-audit.md, written by `scripts/ringlab model`.
#pragma once

#include <array>

#include "mutation.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/storage/disruptor.hpp"
#include "ringlab/storage/rwlock.hpp"
#include "ringlab/storage/seqlock.hpp"

namespace ringlab::models {

// (P1)..(P12), shared by the seqlock and disruptor tables.
#define RINGLAB_VERSIONED_SLOT_EXPECTATIONS                                                     \
  SiteExpectation{"slot.writer_load (P1)", Expect::kNothingWeaker, ""},                         \
      SiteExpectation{"slot.claim_cas (P2)", Expect::kNotDetectable,                            \
                      "orders the previous lap's body stores (P5) before ours in each word's "  \
                      "modification order; Relacy's store order follows execution order, so "  \
                      "no scenario can show a reordered store"},                                \
      SiteExpectation{"slot.claim_cas_failure (P3)", Expect::kNothingWeaker, ""},               \
      SiteExpectation{"slot.writer_fence (P4)", Expect::kMustCatch, ""},                        \
      SiteExpectation{"slot.body_store (P5)", Expect::kNothingWeaker, ""},                      \
      SiteExpectation{"slot.commit (P6)", Expect::kMustCatch, ""},                              \
      SiteExpectation{"slot.reader_load (P7)", Expect::kMustCatch, ""},                         \
      SiteExpectation{"slot.body_load (P8)", Expect::kNothingWeaker, ""},                       \
      SiteExpectation{"slot.reader_fence (P9)", Expect::kMustCatch, ""},                        \
      SiteExpectation{"slot.reader_recheck (P10)", Expect::kNothingWeaker, ""},                 \
      SiteExpectation{"owners.register (P11)", Expect::kNothingWeaker, ""},                     \
      SiteExpectation {                                                                         \
    "owners.load (P12)", Expect::kNothingWeaker, ""                                             \
  }

struct SeqlockTable {
  using Orders = SeqlockOrders;
  static constexpr std::string_view kName = "SeqlockOrders";
  static constexpr std::array<SiteExpectation, 15> kExpect{{
      {"head.claim (1)", Expect::kNothingWeaker, ""},
      {"head.load (2)", Expect::kNothingWeaker, ""},
      {"reset.store (3)", Expect::kNothingWeaker, ""},
      RINGLAB_VERSIONED_SLOT_EXPECTATIONS,
  }};
};

struct RwlockTable {
  using Orders = RwlockOrders;
  static constexpr std::string_view kName = "RwlockOrders";
  static constexpr std::array<SiteExpectation, 3> kExpect{{
      {"head.claim (1)", Expect::kNothingWeaker, ""},
      {"head.load (2)", Expect::kNothingWeaker, ""},
      {"reset.store (3)", Expect::kNothingWeaker, ""},
  }};
};

struct DisruptorTable {
  using Orders = DisruptorOrders;
  static constexpr std::string_view kName = "DisruptorOrders";
  static constexpr std::array<SiteExpectation, 32> kExpect{{
      {"sequencer.overwrite_claim (D1)", Expect::kNothingWeaker, ""},
      {"sequencer.gated_claim (D2)", Expect::kNotDetectable,
       "the (D6) < (D7) < claim < (D5) chain in S needs the claim in S; in Relacy an RMW reads "
       "the latest value in execution order and seq_cst follows execution order, so the "
       "store-buffering outcome through the cursor never appears"},
      {"sequencer.cursor_load (D3)", Expect::kNothingWeaker, ""},
      {"sequencer.gated_claim_failure (D4)", Expect::kNotDetectable,
       "plays (D3g)'s role after a failed CAS; same argument as (D2)"},
      {"sequencer.gate_load (D5)", Expect::kMustCatch, ""},
      {"sequencer.gate_register (D6)", Expect::kMustCatch, ""},
      {"sequencer.register_cursor_load (D7)", Expect::kNotDetectable,
       "the reader's half of the store-buffering pair (D6)/(D7) against the writer's cursor "
       "read and (D5); Relacy showed no stale (D7) after the seq_cst (D6) in these scenarios"},
      {"sequencer.gate_advance (D8)", Expect::kNotDetectable,
       "orders the reader's slot loads before the writer's reuse (a load-buffering shape); "
       "Relacy never lets a load read a store that executes later"},
      {"reset.store (D9)", Expect::kNothingWeaker, ""},
      {"barrier.marker_load (D10)", Expect::kOverStrong,
       "for the storage's own readers: slot_state re-reads the marker with (P7) acquire "
       "before any body load; kept as the barrier's contract for callers that read without "
       "slot_state"},
      {"sequencer.gate_register_failure (D6f)", Expect::kNothingWeaker, ""},
      {"barrier.alert_store (D11)", Expect::kOverStrong,
       "the alert flag publishes no data; a relaxed flag still ends the wait (coherence; the "
       "alert scenario passes)"},
      {"barrier.alert_load (D12)", Expect::kOverStrong, "as (D11)"},
      {"sequencer.gated_cursor_load (D3g)", Expect::kNotDetectable,
       "its value is re-validated by the claim CAS, but it must precede the gate loads (D5) "
       "in S; same argument as (D2)"},
      {"sequencer.gate_cache_load (D13)", Expect::kNotDetectable,
       "carries (D8)->(D5) to a writer claiming on another writer's cached floor: the "
       "load-buffering shape of (D8), which Relacy never produces"},
      {"sequencer.gate_cache_store (D14)", Expect::kNotDetectable, "as (D13)"},
      {"sequencer.gate_owner_claim (G1)", Expect::kNotDetectable,
       "with (G3) it makes the freed gate (D8) visible to the next owner's gate CAS (D6): "
       "without it that CAS may fail on a stale value and skip a free gate (registration "
       "then takes another, or fails when none is left); a successful (D6) follows the free "
       "store anyway (an RMW reads the last value). Relacy's CAS, failing ones included, "
       "reads the latest value, so no scenario shows the stale read (dead_reader_gate "
       "passes with (G1) or (G3) relaxed)"},
      {"sequencer.gate_owner_load (G2)", Expect::kNothingWeaker, ""},
      {"sequencer.gate_owner_release (G3)", Expect::kNotDetectable, "as (G1)"},
      {"sequencer.gate_owner_takeover (G4)", Expect::kNothingWeaker, ""},
      RINGLAB_VERSIONED_SLOT_EXPECTATIONS,
  }};
};

struct BlockingWaitTable {
  using Orders = BlockingWaitOrders;
  static constexpr std::string_view kName = "BlockingWaitOrders";
  static constexpr std::array<SiteExpectation, 5> kExpect{{
      {"wait.sleeper_enter (W1)", Expect::kNothingWeaker, ""},
      {"wait.sleeper_fence (W2)", Expect::kMustCatch, ""},
      {"wait.signal_fence (W3)", Expect::kMustCatch, ""},
      {"wait.signal_load (W4)", Expect::kNothingWeaker, ""},
      {"wait.sleeper_leave (W5)", Expect::kNothingWeaker, ""},
  }};
};

}  // namespace ringlab::models
