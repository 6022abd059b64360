// Relacy scenarios for the disruptor slot storage (variants/ringlab/storage/
// disruptor.hpp with disruptor/{sequencer,sequence_barrier,wait_strategy}.hpp),
// model-checked as it ships, through RelacySync.
//
// Overwrite mode, BusySpinWait:
//   lapped_writers_cap1/_cap2, wrap_readers, poll_wrap, poll_late_commit: as
//   for the seqlock (scenarios/common.hpp)
//   barrier_wait       1 writer x 1 reader; the reader waits for each counter
//                      through the SequenceBarrier, then must find it Ready
//   alert              a reader waits for a counter nobody writes; another
//                      thread alerts: the wait must end (kAlerted), no livelock
// Gated mode, BlockingWait (waits are untimed in the model: a lost wake-up is
// a deadlock, not a timeout):
//   gated_cap1         1 writer (3 writes) x 1 reader registering concurrently,
//                      capacity 1: every counter from the reader's start is
//                      published, never overwritten before the reader consumed
//                      it (back-pressure, no loss), frames whole, no deadlock
//   gated_2w_cap2      the same with 2 writers, capacity 2
//   dead_reader_gate   1 writer (2 writes) x 2 reader processes, capacity 1: one
//                      reader registers a gate and dies owning it; the writer,
//                      blocked, frees it (release_dead_gates) and completes
//                      [DeadGateRelease]; the live reader loses nothing
// Crash recovery in overwrite mode, BusySpinWait: dead_writer_takeover_after_mark,
//   _mid_payload, _before_publish and dead_writer_after_claim, as for the
//   seqlock (scenarios/crash_scenarios.hpp), and its stalled_marker_* and
//   owner_reuse_* scenarios; not in the mutant runs (the slot protocol's
//   mutants run them in the seqlock's executable). Likewise stall_unclaimed
//   and pending_lapped (scenarios/common.hpp).
//
// One writer (WriterMode::kSingle), named single_writer.*:
//   wrap_readers_cap1, wrap_readers, lease_give_back, alert: as for the
//                      seqlock's single writer (overwrite mode)
//   gated_cap1         1 writer (3 writes) x 1 reader registering concurrently,
//   gated_cap2         capacity 1 and 2: back-pressure, no loss, every counter
//                      from the reader's start delivered; the single writer
//                      scans the gates behind its fence (D18) once a lap
//   gated_late_reader  the same, capacity 1, BusySpinWait, with the reader
//                      registering only after 2 of the 3 frames: its (D6)/(D7)
//                      against the writer's (D18)/(D5) [GateCacheIsFloor]
//   poll_wrap, poll_late_commit, stall_unclaimed, pending_lapped,
//   lease_takeover_*   as for the seqlock's single writer; not in the mutant runs
//
// Mutants: each single site of DisruptorOrders (run against each writer
// mode's scenarios apart) and of BlockingWaitOrders weakened (mutation.hpp);
// ctest runs those the committed lists (expectations.hpp) say must be caught;
// `--audit FILE` runs every weaker order of every site.
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include "ringlab/disruptor/sequence_barrier.hpp"
#include "ringlab/disruptor/sequencer.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/storage/disruptor.hpp"
#include "scenarios/common.hpp"
#include "scenarios/crash_scenarios.hpp"
// After the scenarios.
#include "expectations.hpp"
#include "mutation.hpp"

namespace ringlab::models {

constexpr RelacySync::clock::duration kForever = RelacySync::clock::kForever;

template <class WaitOrders>
struct BlockingWith {
  template <class S>
  using type = BlockingWait<S, WaitOrders>;
};

// 1 writer x 1 reader that waits through the barrier for each counter.
template <class Storage, std::uint64_t kWrites>
struct BarrierScenario : Scenario<BarrierScenario<Storage, kWrites>, 2> {
  static constexpr std::uint64_t kFirst = k32BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + kWrites;
  RingSpec spec{4, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;

  void before() { storage.emplace(spec, region.data(), kFirst, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index == 0) {
      for (std::uint64_t n = 0; n < kWrites; ++n) publish_frame(*storage, storage->claim(), 0);
      return;
    }
    FrameBuffer& out = g_buffers[0];
    for (std::uint64_t c = kFirst; c < kEnd; ++c) {
      RL_ASSERT(storage->barrier().wait_for(c, kForever) == WaitResult::kPublished);
      RL_ASSERT(storage->barrier().highest_published(kFirst, kEnd) >= c);
      RL_ASSERT(slot_state(*storage, c, out) == ReadState::kReady);
      check_whole(out, kFirst, kEnd, 1);
      RL_ASSERT(out.ver == c);
    }
  }

  void after() { storage.reset(); }
};

// A reader waits for a counter nobody writes; thread 1 alerts.
template <class Storage>
struct AlertScenario : Scenario<AlertScenario<Storage>, 2> {
  RingSpec spec{2, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;

  void before() { storage.emplace(spec, region.data(), 0, typename Storage::Options{}); }

  void thread(unsigned index) {
    if (index == 0) {
      storage->barrier().alert();
    } else {
      RL_ASSERT(storage->barrier().wait_for(0, kForever) == WaitResult::kAlerted);
      RL_ASSERT(storage->barrier().alerted());
    }
  }

  void after() { storage.reset(); }
};

// A gated reader: registers a gate, then consumes every counter from its start
// to `end` through the barrier, advancing the gate, and releases it.
// advance_to_start: the workaround callers needed before register_gate raised
// the gate to start (see GatedScenario).
template <class Storage>
void consume_gated(Storage& storage, std::uint64_t first, std::uint64_t end, unsigned writers,
                   FrameBuffer& out, bool advance_to_start = false) {
  auto& seq = storage.sequencer();
  const auto reg = seq.register_gate();
  RL_ASSERT(reg.ok());
  const auto [gate, start] = *reg;
  RL_ASSERT(start >= first && start <= end);
  if (advance_to_start) seq.advance_gate(gate, start);
  for (std::uint64_t c = start; c < end; ++c) {
    // No lost wake-up: the wait is untimed, so a lost one deadlocks.
    RL_ASSERT(storage.barrier().wait_for(c, kForever) == WaitResult::kPublished);
    // Back-pressure: nothing overwrote c before this reader consumed it.
    RL_ASSERT(slot_state(storage, c, out) == ReadState::kReady);
    check_whole(out, first, end, writers);
    RL_ASSERT(out.ver == c);
    seq.advance_gate(gate, c + 1);
  }
  seq.release_gate(gate);
}

// Gated mode: kWriters writers x 1 reader that registers concurrently and
// consumes every counter from its start, advancing its gate.
//
// The reader uses register_gate's start as it is (no advance of its own).
// Finding F1 (results/ordering-audit.md), found here: register_gate used to
// leave the gate at a floor read by a relaxed cursor load (D3) before the gate
// CAS (D6); when start >= floor + capacity (a stale D3, or >= capacity claims
// between D3 and D6) writers waited for the gate to pass floor + capacity
// while the reader waited for `start`: a deadlock (Relacy: livelock,
// context-bound, iteration 153). sequencer.hpp now raises the gate to start
// inside register_gate (D8); this scenario is its regression test.
// kAdvanceToStart = true is the workaround a caller would need without that fix.
//
// With a single writer (WriterMode::kSingle) the writer keeps its gate floor
// in a field and rescans the gates once a lap, behind its seq_cst fence (D18):
// a reader registering concurrently is either seen by that scan or starts at
// a cursor the writer had published [GateCacheIsFloor].
template <class Storage, unsigned kWriters, std::uint64_t kWritesEach, std::size_t kCapacity,
          bool kAdvanceToStart = false>
struct GatedScenario
    : Scenario<GatedScenario<Storage, kWriters, kWritesEach, kCapacity, kAdvanceToStart>,
               kWriters + 1> {
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + kWriters * kWritesEach;
  RingSpec spec{kCapacity, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;

  GatedScenario() {
    // The single writer's [GateCacheIsFloor] rests on its fence (D18) ordering
    // the reader's seq_cst cursor load (D7).
    if constexpr (Storage::kWriterMode == WriterMode::kSingle) SeqCstFenceRule::on() = true;
  }

  void before() {
    storage.emplace(spec, region.data(), kFirst, DisruptorOptions{OverflowMode::kGated});
  }

  void thread(unsigned index) {
    if (index < kWriters) {
      for (std::uint64_t n = 0; n < kWritesEach; ++n) {
        publish_frame(*storage, storage->claim(), index);
      }
      return;
    }
    consume_gated(*storage, kFirst, kEnd, kWriters, g_buffers[0], kAdvanceToStart);
  }

  void after() {
    RL_ASSERT(storage->head() == kEnd);
    storage.reset();
  }
};

// Gated, one writer, capacity 1, BusySpinWait (whose signal has no fence, so
// the writer's only seq_cst fence is (D18)): the writer publishes kWrites
// frames; the reader registers only once it has seen kRegisterAfter of them
// published, through a relaxed count (so no happens-before from the writer):
// its registration, (D6) then (D7), falls amid the writer's next claim, whose
// gate scan (D5) may miss the new gate. That is the store-buffering shape of
// [GateCacheIsFloor] (disruptor/sequencer.hpp): the reader's start must then
// be at least the cursor the writer published before its fence (D18), or the
// writer overwrites a frame the reader is owed. Checked as in GatedScenario:
// every counter from the reader's start Ready when it gets there, frames
// whole, no deadlock. SeqCstFenceRule on: Relacy alone would let (D7) read a
// stale cursor past the fence.
template <class Storage, std::uint64_t kWrites, std::uint64_t kRegisterAfter>
struct GatedLateReaderScenario
    : Scenario<GatedLateReaderScenario<Storage, kWrites, kRegisterAfter>, 2> {
  static_assert(Storage::kWriterMode == WriterMode::kSingle);
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + kWrites;
  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  RelacySync::atomic<std::uint64_t> published{0};

  GatedLateReaderScenario() { SeqCstFenceRule::on() = true; }

  void before() {
    storage.emplace(spec, region.data(), kFirst, DisruptorOptions{OverflowMode::kGated});
  }

  void thread(unsigned index) {
    if (index == 0) {
      for (std::uint64_t n = 0; n < kWrites; ++n) {
        publish_frame(*storage, storage->claim(), 0);
        published.store(n + 1, std::memory_order_relaxed);
      }
      return;
    }
    while (published.load(std::memory_order_relaxed) < kRegisterAfter) RelacySync::yield();
    consume_gated(*storage, kFirst, kEnd, 1, g_buffers[0]);
  }

  void after() {
    RL_ASSERT(storage->head() == kEnd);
    storage.reset();
  }
};

// Gated disruptor, capacity 1: thread 0 writes kWrites frames; thread 1 is a
// reader process that registers a gate, consumes its first frame if it is
// there already, and dies owning the gate; thread 2 is a live reader that
// registers concurrently and consumes every counter from its start.
//
// The writer claims with try_claim and, while blocked, frees dead readers'
// gates itself (claim() does so only every 1024 waits, past the model's
// depth). Checked: the writer completes (else Relacy reports a livelock), and
// the live reader's gate is never freed under it: every counter from its start
// is still Ready when it gets there (no loss), frames whole.
template <class Storage, std::uint64_t kWrites>
struct DeadReaderGateScenario : Scenario<DeadReaderGateScenario<Storage, kWrites>, 3> {
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + kWrites;
  static constexpr unsigned kDyingReader = 1;

  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  Processes processes;  // no crash plan: the dying reader calls die()

  void before() {
    storage.emplace(spec, region.data(), kFirst, DisruptorOptions{OverflowMode::kGated});
  }

  void thread(unsigned index) {
    if (index == 0) {
      write();
    } else if (index == kDyingReader) {
      read_then_die();
    } else {
      read_all();
    }
  }

  void write() {
    auto& seq = storage->sequencer();
    for (std::uint64_t n = 0; n < kWrites; ++n) {
      std::optional<std::uint64_t> c = storage->try_claim();
      while (!c) {
        seq.release_dead_gates();  // [DeadGateRelease]
        RelacySync::yield();
        c = storage->try_claim();
      }
      publish_frame(*storage, *c, 0);
    }
  }

  void read_then_die() {
    auto& seq = storage->sequencer();
    const auto reg = seq.register_gate();
    RL_ASSERT(reg.ok());
    const auto [gate, start] = *reg;
    RL_ASSERT(start >= kFirst && start <= kEnd);
    FrameBuffer& out = g_buffers[0];
    if (start < kEnd && slot_state(*storage, start, out) == ReadState::kReady) {
      check_whole(out, kFirst, kEnd, 1);
      RL_ASSERT(out.ver == start);
      seq.advance_gate(gate, start + 1);
    }
    processes.die(kDyingReader);  // still owns its gate
  }

  // No loss: the releaser never freed this live reader's gate.
  void read_all() { consume_gated(*storage, kFirst, kEnd, 1, g_buffers[1]); }

  void after() {
    RL_ASSERT(storage->head() == kEnd);
    storage.reset();
  }
};

template <class Orders, class WaitOrders = BlockingWaitOrders>
struct DisruptorCasesImpl {
  using Overwrite = DisruptorStorage<RelacySync, BusySpinWait, Orders>;
  using Gated = DisruptorStorage<RelacySync, BlockingWith<WaitOrders>::template type, Orders>;
  static std::vector<ModelCase> gated() {
    return {
        model_case<GatedScenario<Gated, 1, 3, 1>>("disruptor.gated_cap1"),
        model_case<GatedScenario<Gated, 2, 1, 2>>("disruptor.gated_2w_cap2"),
    };
  }
  static std::vector<ModelCase> mutant_cases() {
    std::vector<ModelCase> v = {
        model_case<LappedWriters1<Overwrite>>("disruptor.lapped_writers_cap1"),
        model_case<WrapReaders<Overwrite>>("disruptor.wrap_readers"),
        model_case<BarrierScenario<Overwrite, 2>>("disruptor.barrier_wait"),
        model_case<AlertScenario<Overwrite>>("disruptor.alert"),
    };
    for (ModelCase& c : gated()) v.push_back(c);
    // The only scenario that frees a dead reader's gate: (G2) and (G4) run here only.
    v.push_back(model_case<DeadReaderGateScenario<Gated, 2>>("disruptor.dead_reader_gate"));
    return v;
  }
  static std::vector<ModelCase> all() {
    std::vector<ModelCase> v = mutant_cases();
    // The slot protocol's and the cursor's mutants run them in the seqlock's executable.
    for (ModelCase& c : dead_writer_cases<Overwrite>("disruptor")) v.push_back(c);
    for (ModelCase& c : stall_and_reuse_cases<Overwrite>("disruptor")) v.push_back(c);
    v.push_back(model_case<LappedWriters2<Overwrite>>("disruptor.lapped_writers_cap2"));
    v.push_back(model_case<PollWrap<Overwrite>>("disruptor.poll_wrap"));
    v.push_back(model_case<PollLateCommit<Overwrite>>("disruptor.poll_late_commit"));
    for (ModelCase& c : bounded_poll_cases<Overwrite>("disruptor")) v.push_back(c);
    return v;
  }
};

template <class Orders>
struct SoleDisruptorCasesImpl {
  using Overwrite = DisruptorStorage<RelacySync, BusySpinWait, Orders, WriterMode::kSingle>;
  using Gated = DisruptorStorage<RelacySync, BlockingWith<BlockingWaitOrders>::template type,
                                 Orders, WriterMode::kSingle>;
  static constexpr std::string_view kPrefix = "disruptor.single_writer";
  static std::vector<ModelCase> mutant_cases() {
    const std::string p(kPrefix);
    return {
        model_case<WrapReaders1<Overwrite>>(p + ".wrap_readers_cap1"),
        model_case<GatedLateReaderScenario<Overwrite, 3, 2>>(p + ".gated_late_reader"),
        model_case<GatedScenario<Gated, 1, 3, 1>>(p + ".gated_cap1"),
        model_case<GatedScenario<Gated, 1, 3, 2>>(p + ".gated_cap2"),
        lease_give_back_case<Overwrite>(p),
        model_case<WrapReaders<Overwrite>>(p + ".wrap_readers"),
        model_case<AlertScenario<Overwrite>>(p + ".alert"),
    };
  }
  static std::vector<ModelCase> all() {
    const std::string p(kPrefix);
    std::vector<ModelCase> v = mutant_cases();
    v.push_back(model_case<PollWrap<Overwrite>>(p + ".poll_wrap"));
    v.push_back(model_case<PollLateCommitCap2<Overwrite>>(p + ".poll_late_commit"));
    for (ModelCase& c : bounded_poll_cases<Overwrite>(p)) v.push_back(c);
    for (ModelCase& c : lease_takeover_cases<Overwrite>(p)) v.push_back(c);
    return v;
  }
};

// Mutant scenario lists, by table.
template <class Orders>
struct DisruptorCases {
  static std::vector<ModelCase> make() { return DisruptorCasesImpl<Orders>::mutant_cases(); }
};
template <class Orders>
struct SoleDisruptorCases {
  static std::vector<ModelCase> make() { return SoleDisruptorCasesImpl<Orders>::mutant_cases(); }
};
template <class WaitOrders>
struct BlockingWaitCases {
  static std::vector<ModelCase> make() {
    return DisruptorCasesImpl<DisruptorOrders, WaitOrders>::gated();
  }
};

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  std::vector<ModelCase> conforming = DisruptorCasesImpl<ringlab::DisruptorOrders>::all();
  for (ModelCase& c : SoleDisruptorCasesImpl<ringlab::DisruptorOrders>::all()) {
    conforming.push_back(c);
  }
  return model_main<Audited<DisruptorTable, DisruptorCases>,
                    Audited<SoleDisruptorTable, SoleDisruptorCases>,
                    Audited<BlockingWaitTable, BlockingWaitCases>>(
      argc, argv,
      "## disruptor\n\nScenarios (conforming, `storage/disruptor.hpp` as it ships; overwrite mode "
      "with BusySpinWait, gated mode with BlockingWait):",
      "versioned_slot.hpp|disruptor.hpp|sequencer.hpp|sequence_barrier.hpp|wait_strategy.hpp|"
      "writer_lease.hpp",
      conforming);
}
