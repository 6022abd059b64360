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


// [WriterStallBound] 2 writer processes x 1 reader, capacity 1, shared-memory
// mode (both registered). Counter kOld's slot holds an in-flight marker that
// writer B (counter kOld + 1, a lap later) waits on:
//   kUnregistered  a marker naming an owner number nobody registered (written
//                  in before(), as a foreign byte would be): B closes the
//                  entry (P14) once the bound passes and takes the slot over;
//   kOwnerZero     the same with owner 0, which no shared-memory writer has;
//   kLiveOwner     writer A is alive and stopped mid-copy of kOld (as by
//                  SIGSTOP) until B is done: B must never take its slot over;
//                  it drops its own frame once the bound passes (or writes
//                  first, and A's older frame is dropped). A then resumes.
// Checked: the reader never gets a torn frame; after the run, kOld + 1 is
// Ready (B wrote it) or, only when a live A held the slot, A's kOld is Ready
// and kOld + 1 was never written.
enum class StallOwner : std::uint8_t { kUnregistered, kOwnerZero, kLiveOwner };

template <class Storage, StallOwner kOwner>
struct StalledMarkerScenario : Scenario<StalledMarkerScenario<Storage, kOwner>, 3> {
  static constexpr std::uint64_t kOld = k40BitEdge;
  static constexpr std::uint64_t kNew = kOld + 1;
  static constexpr std::uint64_t kEnd = kOld + 2;
  static constexpr std::uint64_t kForeignOwner = 3;  // never registered below

  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  std::array<std::optional<Storage>, 2> views;  // per writer process
  Processes processes;

  StalledMarkerScenario() {
    if constexpr (kOwner == StallOwner::kLiveOwner) processes.stop_at(0, CrashPoint::kMidPayload);
  }

  void before() {
    storage.emplace(spec, region.data(), kOld, typename Storage::Options{});
    RL_ASSERT(storage->claim() == kOld);
    RL_ASSERT(storage->claim() == kNew);
    if constexpr (kOwner != StallOwner::kLiveOwner) {
      const std::uint64_t owner = kOwner == StallOwner::kOwnerZero ? 0 : kForeignOwner;
      storage->marker(kOld).store(detail::writing_marker(kOld, owner),
                                       std::memory_order_relaxed);
    }
  }

  void thread(unsigned index) {
    if (index == 2) {
      read();
      return;
    }
    if (index == 0 && kOwner != StallOwner::kLiveOwner) return;
    Storage& view = views[index].emplace(detail::kAdoptRegion, spec, region.data(),
                                         typename Storage::Options{});
    RL_ASSERT(view.register_writer_process());
    publish_frame(view, index == 0 ? kOld : kNew, index);
    if (index == 1) processes.resume(0);
  }

  void read() {
    FrameBuffer& out = g_buffers[0];
    for (const std::uint64_t c : {kOld, kNew}) {
      if (slot_state(*storage, c, out) == ReadState::kReady) {
        check_whole(out, kOld, kEnd, 2);
        RL_ASSERT(out.ver == c);
      }
    }
  }

  void after() {
    FrameBuffer& out = g_buffers[1];
    if (slot_state(*storage, kNew, out) == ReadState::kReady) {
      check_whole(out, kOld, kEnd, 2);
      RL_ASSERT(out.ver == kNew);
    } else {
      // B dropped its frame: only a live owner may have made it.
      RL_ASSERT(kOwner == StallOwner::kLiveOwner);
      RL_ASSERT(slot_state(*storage, kOld, out) == ReadState::kReady);
      check_whole(out, kOld, kEnd, 2);
      RL_ASSERT(out.ver == kOld);
    }
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

// [OwnerEntryReuse] A full writer table: entries 1..3 belong to the reader's
// process (alive throughout), so writer process A gets the last one. A
// publishes kFirst, then dies on kFirst + 1 at kPoint (or lives, kNone: it
// exits after kFirst + 1). Writer process B, once A is gone, registers: it
// must get A's entry exactly when no in-flight marker names A (A died before
// marking, or finished), and then write kFirst + 2 whole; while A's marker is
// in flight, B gets no entry (a marker never names two processes). The reader
// never gets a torn frame.
template <class Storage, CrashPoint kPoint, bool kDies>
struct OwnerReuseScenario : Scenario<OwnerReuseScenario<Storage, kPoint, kDies>, 3> {
  static constexpr std::uint64_t kFirst = k40BitEdge;
  static constexpr std::uint64_t kEnd = kFirst + 3;
  static constexpr unsigned kReader = 2;

  RingSpec spec{2, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  std::array<std::optional<Storage>, 2> views;
  Processes processes;

  OwnerReuseScenario() {
    if constexpr (kDies) processes.crash_at(0, kPoint, /*survive=*/1);
  }

  void before() {
    storage.emplace(spec, region.data(), kFirst, typename Storage::Options{});
    typename Storage::WriterTableType table(region.data() + Storage::writers_offset());
    for (std::size_t i = 1; i < Storage::WriterTableType::kOwners; ++i) {
      RL_ASSERT(table.register_process(kReader + 1, [](std::uint64_t) { return false; }) == i);
    }
  }

  void thread(unsigned index) {
    if (index == kReader) {
      read();
      return;
    }
    Storage& view = views[index].emplace(detail::kAdoptRegion, spec, region.data(),
                                         typename Storage::Options{});
    if (index == 0) {
      RL_ASSERT(view.register_writer_process());
      const bool lived = processes.run(0, [&] {
        publish_frame(view, view.claim(), 0);
        publish_frame(view, view.claim(), 0);
      });
      if (lived) processes.die(0);  // a process that lived exits here
      return;
    }
    while (!RelacySync::process_gone(1)) RelacySync::yield();
    typename Storage::WriterTableType table(region.data() + Storage::writers_offset());
    const bool a_named = [&] {
      for (std::uint64_t c = kFirst; c < kFirst + 2; ++c) {
        const std::uint64_t m = storage->marker(c).load(std::memory_order_relaxed);
        if (detail::is_writing(m) && detail::marker_owner(m) == Storage::WriterTableType::kOwners) {
          return true;
        }
      }
      return false;
    }();
    const bool got = view.register_writer_process();
    RL_ASSERT(got == !a_named);
    if (got) {
      RL_ASSERT(table.pid_of(Storage::WriterTableType::kOwners) == 2);
      const std::uint64_t c = view.claim();
      if (c < kEnd) publish_frame(view, c, 1);
    }
  }

  void read() {
    FrameBuffer& out = g_buffers[0];
    for (std::uint64_t c = kFirst; c < kEnd; ++c) {
      if (slot_state(*storage, c, out) == ReadState::kReady) {
        check_whole(out, kFirst, kEnd, 2);
        RL_ASSERT(out.ver == c);
      }
    }
  }

  void after() {
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

template <class Storage>
std::vector<ModelCase> stall_and_reuse_cases(const std::string& prefix) {
  return {
      model_case<StalledMarkerScenario<Storage, StallOwner::kUnregistered>>(
          prefix + ".stalled_marker_unregistered"),
      model_case<StalledMarkerScenario<Storage, StallOwner::kOwnerZero>>(
          prefix + ".stalled_marker_owner_zero"),
      model_case<StalledMarkerScenario<Storage, StallOwner::kLiveOwner>>(
          prefix + ".stalled_marker_live_owner"),
      model_case<OwnerReuseScenario<Storage, CrashPoint::kAfterClaim, false>>(
          prefix + ".owner_reuse_after_exit"),
      model_case<OwnerReuseScenario<Storage, CrashPoint::kMidPayload, true>>(
          prefix + ".owner_reuse_blocked_mid_payload"),
      model_case<OwnerReuseScenario<Storage, CrashPoint::kAfterClaim, true>>(
          prefix + ".owner_reuse_after_claim"),
  };
}

}  // namespace ringlab::models
