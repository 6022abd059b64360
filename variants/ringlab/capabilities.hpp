// What a ring offers beyond the seed's contract, where its storage can: waiting
// for a counter (a storage with a sequence barrier) and reader gates (a storage
// whose sequencer can hold writers back). Ring forwards these, as the LMAX
// Disruptor's RingBuffer offers newBarrier and addGatingSequences over its
// Sequencer, so callers never reach into a storage; the concepts below let
// generic code ask which a ring has.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace ringlab {

enum class WaitResult : std::uint8_t {
  kPublished,  // the counter is committed, abandoned or already overwritten
  kTimeout,
  kAlerted,    // alert() was called: the reader should stop waiting
};

// A registered reader's gate: writers of a gated ring never overwrite a frame
// at or after the gate's value. `start` is the first counter it is owed.
struct ReaderGate {
  std::size_t index = 0;
  std::uint64_t start = 0;
};

// The storage side: what Ring looks for.
template <class S>
concept BarrierStorage = requires(S& s) { s.barrier(); };
template <class S>
concept GatingStorage = requires(S& s) { s.sequencer().register_gate(); };

// The ring side: what generic callers (harnesses, GatedReader) look for.
template <class R>
concept WaitingRing = requires(R& r, std::uint64_t c) {
  { r.wait_for(c, std::chrono::milliseconds(1)) } -> std::same_as<WaitResult>;
  r.alert();
  r.clear_alert();
};
template <class R>
concept GatingRing = requires(R& r, const ReaderGate& g, std::uint64_t c) {
  { r.register_gate() } -> std::same_as<absl::StatusOr<ReaderGate>>;
  r.advance_gate(g, c);
  r.release_gate(g);
  { r.release_dead_gates() } -> std::same_as<std::size_t>;
};

}  // namespace ringlab
