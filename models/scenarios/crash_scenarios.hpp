// Crash-recovery scenarios (a writer process killed mid-publish), shared by
// the seqlock and disruptor model executables. Each model thread is
// a process of its own (RelacySync::process_id); a process dies by throwing
// ProcessDied from a crash point, or by calling Processes::die, and its dead
// flag is the model of [DeadWritesVisible] (relacy_sync.hpp).
//
//   DeadWriterScenario   2 writer processes x 1 reader, capacity 1: A holds
//                        counter c, B counter c + 1 on the same slot, and A
//                        dies at a crash point. B must complete (a writer stuck
//                        behind A's in-flight mark would livelock: Relacy
//                        reports it) [DeadWriterTakeover]; the reader never gets
//                        a torn frame nor A's counter Ready.
//   LeaseScenario        single writer: writer process A holds the writer lease
//                        (detail/writer_lease.hpp) and gives it back, or dies
//                        on a claimed counter; writer process B takes the lease
//                        and writes on from head; 1 polling reader.
//
// The disruptor's dead reader (DeadReaderGateScenario) is in
// disruptor_scenarios.cpp, beside its other gated scenarios.
//
// Include after scenarios/common.hpp. Results hold for these bounded
// scenarios under Relacy's memory model only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ringlab/sync.hpp"
#include "scenarios/common.hpp"

namespace ringlab::models {

// Threads 0 (A) and 1 (B) write, thread 2 reads. Both counters are claimed in
// before(), so that A always holds the older one: the dying writer is the one
// a lap behind, whose in-flight mark blocks the slot. (When B marks first, A's
// frame is superseded and A never reaches a crash point past the claim; A then
// lives, and every check below still holds.)
//
// Each writer is its own process with its own view of the region (a storage
// adopting it), as processes sharing a segment have: register_writer_process()
// keeps the owner number in the view. The reader reads through the storage
// that owns the region's objects.
template <class Storage, CrashPoint kPoint>
struct DeadWriterScenario : Scenario<DeadWriterScenario<Storage, kPoint>, 3> {
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kDead = kFirst;     // A's counter
  static constexpr std::uint64_t kLive = kFirst + 1;  // B's, a lap later
  static constexpr std::uint64_t kEnd = kFirst + 2;
  static constexpr unsigned kPasses = 2;

  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  std::array<std::optional<Storage>, 2> views;  // per writer process
  Processes processes;

  DeadWriterScenario() { processes.crash_at(0, kPoint); }

  void before() {
    storage.emplace(spec, region.data(), kFirst, typename Storage::Options{});
    RL_ASSERT(storage->claim() == kDead);
    RL_ASSERT(storage->claim() == kLive);
  }

  void thread(unsigned index) {
    if (index == 2) {
      read();
      return;
    }
    Storage& view = views[index].emplace(detail::kAdoptRegion, spec, region.data(),
                                         typename Storage::Options{});
    RL_ASSERT(view.register_writer_process());
    const bool lived = processes.run(index, [&] {
      publish_frame(view, index == 0 ? kDead : kLive, index);
    });
    RL_ASSERT(lived || index == 0);  // only A has a crash plan
  }

  void read() {
    FrameBuffer& out = g_buffers[0];
    bool live_seen = false;
    for (unsigned pass = 0; pass < kPasses; ++pass) {
      // A never commits: its counter is Pending (its mark, or not yet
      // touched), then Unavailable once B has the slot; never Ready.
      const ReadState dead = slot_state(*storage, kDead, out);
      RL_ASSERT(dead != ReadState::kReady);
      // Once B's frame was seen, the slot holds it for good (no newer writer).
      RL_ASSERT(!live_seen || dead == ReadState::kUnavailable);
      if (slot_state(*storage, kLive, out) == ReadState::kReady) {
        check_whole(out, kFirst, kEnd, 2);
        RL_ASSERT(out.ver == kLive);
        live_seen = true;
      } else {
        RL_ASSERT(!live_seen);
      }
      // Whatever the slot holds committed is B's whole frame, never A's
      // half-written one.
      if (storage->read_slot(kFirst, out)) {
        check_whole(out, kFirst, kEnd, 2);
        RL_ASSERT(out.ver == kLive);
      }
    }
  }

  void after() {
    FrameBuffer& out = g_buffers[1];
    // B completed, over whatever A left.
    RL_ASSERT(slot_state(*storage, kLive, out) == ReadState::kReady);
    check_whole(out, kFirst, kEnd, 2);
    RL_ASSERT(out.ver == kLive);
    RL_ASSERT(slot_state(*storage, kDead, out) == ReadState::kUnavailable);
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

// The dead-writer cases of one storage, named "<prefix>.dead_writer_...".
template <class Storage>
std::vector<ModelCase> dead_writer_cases(const std::string& prefix) {
  return {
      model_case<DeadWriterScenario<Storage, CrashPoint::kAfterMark>>(
          prefix + ".dead_writer_takeover_after_mark"),
      model_case<DeadWriterScenario<Storage, CrashPoint::kMidPayload>>(
          prefix + ".dead_writer_takeover_mid_payload"),
      model_case<DeadWriterScenario<Storage, CrashPoint::kBeforePublish>>(
          prefix + ".dead_writer_takeover_before_publish"),
      model_case<DeadWriterScenario<Storage, CrashPoint::kAfterClaim>>(
          prefix + ".dead_writer_after_claim"),
  };
}

// How writer process A's turn with the lease ends in a LeaseScenario.
enum class LeaseEnd : unsigned char {
  kGiveBack,
  kDieAfterClaim,
  kDieAfterMark,
  kDieMidPayload,
  kDieBeforePublish,
};

constexpr CrashPoint crash_point_of(LeaseEnd end) {
  switch (end) {
    case LeaseEnd::kDieAfterMark: return CrashPoint::kAfterMark;
    case LeaseEnd::kDieMidPayload: return CrashPoint::kMidPayload;
    case LeaseEnd::kDieBeforePublish: return CrashPoint::kBeforePublish;
    default: return CrashPoint::kAfterClaim;
  }
}

// A single-writer storage, capacity 2 (or 1), counters from 2^40 - 1. Thread 0 is
// writer process A, which holds the writer lease (taken in before()); thread
// 1 is writer process B; thread 2 polls from kFirst. A publishes kFirst, then
// claims kDead = kFirst + 1 and either publishes it and gives the lease back
// (kGiveBack) or dies at a crash point on its way. B asks for the lease until
// it has it (refused while A lives and holds it), then claims and publishes
// one frame. Each writer is its own process with its own view of the region,
// whose plain counter it sets from head when it takes the lease.
//
// Checked: B continues exactly from A's head (kFirst + 2), so no counter is
// written twice; B took the lease over (from a dead A) exactly when A died.
// The reader, per poll and over the run: [ExactLoss], frames whole, in counter
// order, never kDead's frame when A died, nothing stalled. At the end: head is
// kFirst + 3; B's frame is Ready and delivered; kDead is Ready and delivered
// when A gave the lease back, otherwise committed as abandoned by B's takeover
// (take_writer_lease), so a polling reader is not left at a Pending counter for
// good: with capacity 2 it is counted unavailable exactly once (no writer laps
// its slot); with capacity 1, B's own frame laps it, and it is counted
// unavailable (abandoned) or overwritten.
template <class Storage, LeaseEnd kAEnds, std::size_t kCapacity = 2>
struct LeaseScenario : Scenario<LeaseScenario<Storage, kAEnds, kCapacity>, 3> {
  static constexpr bool kDies = kAEnds != LeaseEnd::kGiveBack;
  static_assert(kCapacity == 2 || (kCapacity == 1 && kDies));
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kDead = kFirst + 1;  // A's second counter
  static constexpr std::uint64_t kEnd = kFirst + 3;
  static constexpr std::uint64_t kPidA = 1;  // RelacySync::process_id of threads 0, 1
  static constexpr std::uint64_t kPidB = 2;
  static constexpr unsigned kPolls = 2;

  RingSpec spec{kCapacity, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;               // the reader's
  std::array<std::optional<Storage>, 2> views;  // per writer process
  Processes processes;
  PollTally reader{RingCursor::from_counter(kFirst), kFirst, 2};

  LeaseScenario() {
    // A dies on its second frame: it passes the point once, alive, on its first.
    if constexpr (kDies) processes.crash_at(0, crash_point_of(kAEnds), /*survive=*/1);
  }

  void before() {
    storage.emplace(spec, region.data(), kFirst, typename Storage::Options{});
    for (auto& v : views) {
      v.emplace(detail::kAdoptRegion, spec, region.data(), typename Storage::Options{});
    }
    RL_ASSERT(views[0]->take_writer_lease(kPidA).ok);
  }

  void thread(unsigned index) {
    if (index == 0) {
      Storage& a = *views[0];
      const bool lived = processes.run(0, [&] {
        for (int n = 0; n < 2; ++n) publish_frame(a, a.claim(), 0);
        a.give_back_writer_lease(kPidA);
      });
      RL_ASSERT(lived == !kDies);
    } else if (index == 1) {
      Storage& b = *views[1];
      for (;;) {
        const detail::LeaseTaken taken = b.take_writer_lease(kPidB);
        if (taken.ok) {
          RL_ASSERT(taken.took_over == kDies);
          break;
        }
        RL_ASSERT(taken.holder == kPidA);
        RelacySync::yield();
      }
      const std::uint64_t c = b.claim();
      RL_ASSERT(c == kFirst + 2);  // from A's head: no counter written twice
      publish_frame(b, c, 1);
    } else {
      for (unsigned p = 0; p < kPolls; ++p) poll_once(g_buffers[0]);
    }
  }

  void poll_once(FrameBuffer& scratch) {
    const PollStats st =
        reader.poll(StorageSource<Storage>{&*storage, kFirst}, scratch, kEnd, [](std::uint64_t c) {
          RL_ASSERT(!kDies || c != kDead);  // the dead writer's frame never committed
        });
    RL_ASSERT(st.loss.stalled == 0);  // an unbounded cursor
  }

  void after() {
    poll_once(g_buffers[1]);
    RL_ASSERT(storage->head() == kEnd);
    RL_ASSERT(reader.cursor.next_counter == kEnd);
    RL_ASSERT(reader.delivered + reader.loss.total() == kEnd - kFirst);  // [ExactLoss] over the run
    RL_ASSERT(reader.has(kFirst + 2));  // B's frame
    FrameBuffer& out = g_buffers[1];
    RL_ASSERT(storage->read_counter(kFirst + 2, out) == SlotRead::kCopied);
    RL_ASSERT(out.ver == kFirst + 2);
    if constexpr (kCapacity == 1) {
      RL_ASSERT(reader.loss.unavailable <= 1 && !reader.has(kDead));
      RL_ASSERT(storage->read_counter(kDead, out) == SlotRead::kNewer);
    } else {
      RL_ASSERT(reader.loss.unavailable == (kDies ? 1 : 0));
      RL_ASSERT(reader.has(kDead) == !kDies);
      RL_ASSERT(storage->read_counter(kDead, out) ==
                (kDies ? SlotRead::kAbandoned : SlotRead::kCopied));
    }
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

// The hand-over case of a single-writer storage, "<prefix>.lease_give_back".
template <class Storage>
ModelCase lease_give_back_case(const std::string& prefix) {
  return model_case<LeaseScenario<Storage, LeaseEnd::kGiveBack>>(prefix + ".lease_give_back");
}

// The takeover cases, "<prefix>.lease_takeover_...".
template <class Storage>
std::vector<ModelCase> lease_takeover_cases(const std::string& prefix) {
  return {
      model_case<LeaseScenario<Storage, LeaseEnd::kDieAfterClaim>>(prefix +
                                                                   ".lease_takeover_after_claim"),
      model_case<LeaseScenario<Storage, LeaseEnd::kDieAfterMark>>(prefix +
                                                                  ".lease_takeover_after_mark"),
      model_case<LeaseScenario<Storage, LeaseEnd::kDieMidPayload>>(prefix +
                                                                   ".lease_takeover_mid_payload"),
      model_case<LeaseScenario<Storage, LeaseEnd::kDieBeforePublish>>(
          prefix + ".lease_takeover_before_publish"),
      model_case<LeaseScenario<Storage, LeaseEnd::kDieMidPayload, 1>>(
          prefix + ".lease_takeover_mid_payload_cap1"),
  };
}

}  // namespace ringlab::models
