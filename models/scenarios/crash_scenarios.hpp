// Crash-recovery scenarios (DESIGN.md section 6: a writer killed mid-publish),
// shared by the seqlock and disruptor model executables. Each model thread is
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

}  // namespace ringlab::models
