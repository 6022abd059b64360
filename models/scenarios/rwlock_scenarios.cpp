// Relacy scenarios for the reader-writer-lock slot storage (variants/ringlab/
// storage/rwlock.hpp) and its slot lock word (detail/slot_lock.hpp),
// model-checked as they ship, through RelacySync. The slot data is Relacy's
// plain cells (RelacySync::plain), so any access the lock word does not order
// is a reported data race.
//
//   lapped_writers_cap1, lapped_writers_cap2, wrap_readers, poll_wrap,
//   poll_late_commit: as for the seqlock (scenarios/common.hpp).
// A writer process dies holding a slot's lock [DeadWriterRecovery], capacity
// 1, counters from 2^32 - 1: the slot holds frame kFirst; writer process A
// (counter kFirst + 1) dies at a crash point:
//   dead_writer_after_claim, _after_mark, _mid_payload, _before_publish:
//        writer process B (kFirst + 2, same slot) must complete, taking the
//        lock over; a polling reader process never gets a torn frame nor A's;
//        its loss is exact; at the end the lock is free and B's frame Ready.
//   dead_writer_reader_recovers_after_mark, _mid_payload: no B; a reader
//        process that waits for A to be gone must get an answer (not wait for
//        ever) and free the lock: A's counter Abandoned (or the frame A was
//        replacing, when A died before its first store), nothing torn.
//   dead_reader: a reader process dies holding the slot's shared lock; with
//        bounded lock waits [LockStallBound] (as in shared memory: the other
//        scenarios wait unbounded, as in one process) the writer of the next
//        lap revokes the dead hold [RevocableReads] and writes its frame whole;
//        the word is left with no count of the dead reader's generation
//        unrevoked unless it was taken after that writer; a polling reader's
//        loss stays exact.
//   revoked_reader: bounded too; two live reader processes copy the slot's
//        frame while the writer of the next lap waits, revokes and writes: a
//        reader's copy is whole whenever it says Copied (a revoked reader
//        says Writing and keeps nothing), and its late unlock never takes a
//        count of a later generation (the second reader may lock in between).
//
// Mutants: each single site of RwlockOrders weakened (mutation.hpp); ctest
// runs those the committed list (expectations.hpp) says must be caught.
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include "ringlab/storage/rwlock.hpp"
#include "scenarios/common.hpp"
// After the scenarios.
#include "expectations.hpp"
#include "mutation.hpp"

namespace ringlab::models {

// Capacity 1, counters from 2^32 - 1. Thread 0 is writer process A (counter
// kDead, dies at kPoint); thread 1 is writer process B (kDead + 1), or, when
// !kLapper, a reader process that waits for A to be gone and then reads;
// thread 2 is a reader process polling from kFirst. Each process has its own
// view of the region (its own pid in the locks it takes).
template <class Storage, CrashPoint kPoint, bool kLapper>
struct RwlockDeadWriter : Scenario<RwlockDeadWriter<Storage, kPoint, kLapper>, 3> {
  static constexpr std::uint64_t kFirst = k32BitEdge;
  static constexpr std::uint64_t kDead = kFirst + 1;
  static constexpr std::uint64_t kLive = kFirst + 2;  // B's, when kLapper
  static constexpr std::uint64_t kEnd = kLapper ? kLive + 1 : kDead + 1;
  static constexpr std::uint64_t kPidA = 1;  // RelacySync::process_id of thread 0
  // Where the dead writer left the slot: the frame it was replacing is lost
  // too when it died before its first store.
  static constexpr bool kDiedBeforeStores = kPoint == CrashPoint::kAfterMark;
  static constexpr bool kDiedHolding = kPoint != CrashPoint::kAfterClaim;

  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  std::array<std::optional<Storage>, 3> views;  // per process
  Processes processes;
  PollTally reader{RingCursor::from_counter(kFirst), kFirst, 2};

  void before() {
    storage.emplace(spec, region.data(), kFirst, typename Storage::Options{});
    publish_frame(*storage, storage->claim(), 0);
    RL_ASSERT(storage->claim() == kDead);
    if constexpr (kLapper) RL_ASSERT(storage->claim() == kLive);
  }

  void thread(unsigned index) {
    Storage& view = views[index].emplace(detail::kAdoptRegion, spec, region.data(),
                                         typename Storage::Options{});
    if (index == 0) {
      // Planned here, not in the constructor: before() runs as thread 0 and
      // passes every crash point writing kFirst.
      processes.crash_at(0, kPoint);
      const bool lived = processes.run(0, [&] { publish_frame(view, kDead, 0); });
      // A lives only when B's newer frame got the slot first (A's is dropped).
      RL_ASSERT(lived == false || kLapper);
    } else if (index == 1 && kLapper) {
      publish_frame(view, kLive, 1);
    } else if (index == 1) {
      while (!RelacySync::process_gone(kPidA)) RelacySync::yield();
      FrameBuffer& out = g_buffers[1];
      // Never Ready, never torn, and an answer now: the lock is recovered.
      const SlotRead dead = view.read_counter(kDead, out);
      RL_ASSERT(dead == (kDiedBeforeStores ? SlotRead::kOlder : SlotRead::kAbandoned));
    } else {
      for (unsigned p = 0; p < 2; ++p) poll_once(view, g_buffers[0]);
    }
  }

  void poll_once(const Storage& view, FrameBuffer& scratch) {
    reader.poll(StorageSource<Storage>{&view, kFirst}, scratch, kEnd, [](std::uint64_t c) {
      RL_ASSERT(c != kDead);  // the dead writer's frame is never delivered
    });
  }

  void after() {
    // Whoever waited took the lock over and let it go (a free word).
    RL_ASSERT(storage->lock_word(kFirst).load(std::memory_order_relaxed) == 0);
    const Storage& view = *views[2];
    poll_once(view, g_buffers[2]);
    RL_ASSERT(reader.loss.stalled == 0);
    // [ExactLoss] over the run: every counter passed is delivered or lost once.
    RL_ASSERT(reader.delivered + reader.loss.total() == reader.cursor.next_counter - kFirst);
    FrameBuffer& out = g_buffers[2];
    if constexpr (kLapper) {
      RL_ASSERT(reader.cursor.next_counter == kEnd);
      RL_ASSERT(reader.has(kLive) && !reader.has(kDead));
      RL_ASSERT(view.read_counter(kLive, out) == SlotRead::kCopied);
      check_whole(out, kFirst, kEnd, 2);
      RL_ASSERT(out.ver == kLive);
      RL_ASSERT(view.read_counter(kDead, out) == SlotRead::kNewer);
    } else {
      const SlotRead first = view.read_counter(kFirst, out);
      const SlotRead dead = view.read_counter(kDead, out);
      if constexpr (kDiedBeforeStores) {
        // The slot still names kFirst, marked abandoned; kDead never written
        // (Pending: the unbounded cursor waits there).
        RL_ASSERT(first == SlotRead::kAbandoned && dead == SlotRead::kOlder);
        RL_ASSERT(reader.cursor.next_counter <= kDead);
      } else {
        RL_ASSERT(first == SlotRead::kNewer && dead == SlotRead::kAbandoned);
        RL_ASSERT(reader.cursor.next_counter == kEnd);
        RL_ASSERT(!reader.has(kDead));
      }
    }
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

// The Relacy policy with bounded lock waits, as shm::ProcessSharedSync has:
// RelacySync's bound is a few ticks of its fake clock (one per now()), and a
// wait yields after one spin, so that a writer reaches the bound while a live
// reader is still inside its copy.
struct ShortStallSync : RelacySync {
  static constexpr bool kBoundedLockWaits = true;
  static constexpr unsigned kSpinsBeforeYield = 1;
};

// Capacity 1 under bounded lock waits, counters from 2^32 - 1: the slot holds
// frame kFirst, and kNext (a lap later) is claimed for thread 0, writer
// process W. Each thread adopts the region as a process of its own.
template <class Orders>
struct BoundedLap {
  using Storage = RwlockStorage<ShortStallSync, Orders>;
  static constexpr std::uint64_t kFirst = k32BitEdge;
  static constexpr std::uint64_t kNext = kFirst + 1;
  static constexpr std::uint64_t kEnd = kNext + 1;

  RingSpec spec{1, kPayloadBytes};
  detail::AlignedRegion region{Storage::region_bytes(spec)};
  std::optional<Storage> storage;
  std::array<std::optional<Storage>, 3> views;

  void before() {
    storage.emplace(spec, region.data(), kFirst, typename Storage::Options{});
    publish_frame(*storage, storage->claim(), 0);
    RL_ASSERT(storage->claim() == kNext);
  }
  Storage& adopt(unsigned index) {
    return views[index].emplace(detail::kAdoptRegion, spec, region.data(),
                                typename Storage::Options{});
  }
  std::uint64_t word() const { return storage->lock_word(kFirst).load(std::memory_order_relaxed); }
  // W's frame, whole, after the run.
  void check_next(const Storage& view, FrameBuffer& out) const {
    RL_ASSERT(view.read_counter(kNext, out) == SlotRead::kCopied);
    check_whole(out, kFirst, kEnd, 1);
    RL_ASSERT(out.ver == kNext);
  }
  void end() {
    for (auto& v : views) v.reset();
    storage.reset();
  }
};

// Thread 1 is a reader process that takes the slot's shared lock and dies
// holding it; thread 2 a reader process polling from kFirst. W writes its
// frame whole either way: it got the lock first, or revoked the holds it
// waited on past the bound.
template <class Orders>
struct RwlockDeadReader : Scenario<RwlockDeadReader<Orders>, 3>, BoundedLap<Orders> {
  using Lap = BoundedLap<Orders>;
  using typename Lap::Storage;
  using Lock = detail::SlotLock<ShortStallSync, Orders>;
  using Lap::kEnd, Lap::kFirst, Lap::kNext;

  Processes processes;
  PollTally reader{RingCursor::from_counter(kFirst), kFirst, 1};
  bool count_left = false;  // thread 1's lock_shared succeeded (only it writes this)
  bool revoked = false;     // W revoked holds (only it writes this)

  void before() { Lap::before(); }

  void thread(unsigned index) {
    Storage& view = this->adopt(index);
    if (index == 0) {
      publish_frame(view, kNext, 0);
      revoked = detail::generation_of(this->word()) != 0;
    } else if (index == 1) {
      const auto no_dead_writer = [] { RL_ASSERT(false); };
      count_left = Lock::lock_shared(view.lock_word(kFirst), ShortStallSync::process_id(),
                                     no_dead_writer).locked;
      processes.die(1);  // mid-copy: no unlock
    } else {
      for (unsigned p = 0; p < 2; ++p) poll_once(view, g_buffers[0]);
    }
  }

  void poll_once(const Storage& view, FrameBuffer& scratch) {
    reader.poll(StorageSource<Storage>{&view, kFirst}, scratch, kEnd);
  }

  void after() {
    const Storage& view = *this->views[2];
    // Never dropped: no writer held the slot, so W waited only on readers.
    this->check_next(view, g_buffers[2]);
    // The dead reader's count is gone when W revoked it; taken after W, it
    // stays until the next writer of the slot (readers still get in).
    const std::uint64_t word = this->word();
    RL_ASSERT(detail::writer_of(word) == 0);
    RL_ASSERT(detail::generation_of(word) == (revoked ? 1u : 0u));
    RL_ASSERT(detail::readers_of(word) <= (count_left ? 1u : 0u));
    poll_once(view, g_buffers[2]);
    RL_ASSERT(reader.loss.stalled == 0 && reader.loss.unavailable == 0);
    RL_ASSERT(reader.delivered + reader.loss.total() == reader.cursor.next_counter - kFirst);
    RL_ASSERT(reader.cursor.next_counter == kEnd);
    this->end();
  }
};

// Threads 1 and 2 are reader processes that copy kFirst. With the fake
// clock's short bound W often revokes a live reader mid-copy.
template <class Orders>
struct RwlockRevokedReader : Scenario<RwlockRevokedReader<Orders>, 3>, BoundedLap<Orders> {
  using Lap = BoundedLap<Orders>;
  using typename Lap::Storage;
  using Lap::kEnd, Lap::kFirst, Lap::kNext;

  void before() { Lap::before(); }

  void thread(unsigned index) {
    Storage& view = this->adopt(index);
    if (index == 0) {
      publish_frame(view, kNext, 0);
      return;
    }
    FrameBuffer& out = g_buffers[index];
    const SlotRead read = view.read_counter(kFirst, out);
    if (read == SlotRead::kCopied) {
      check_whole(out, kFirst, kEnd, 1);
      RL_ASSERT(out.ver == kFirst);
    } else {
      // Revoked (or W held the slot past the bound), or W wrote first.
      RL_ASSERT(read == SlotRead::kWriting || read == SlotRead::kNewer);
    }
  }

  void after() {
    // Every hold ended or was revoked; W let go.
    const std::uint64_t word = this->word();
    RL_ASSERT(detail::writer_of(word) == 0 && detail::readers_of(word) == 0);
    this->check_next(*this->views[0], g_buffers[3]);
    this->end();
  }
};

template <class Orders>
struct RwlockCases {
  static std::vector<ModelCase> make() {
    using S = RwlockStorage<RelacySync, Orders>;
    const std::string p = "rwlock.dead_writer";
    return {
        model_case<LappedWriters1<S>>("rwlock.lapped_writers_cap1"),
        model_case<WrapReaders<S>>("rwlock.wrap_readers"),
        model_case<LappedWriters2<S>>("rwlock.lapped_writers_cap2"),
        model_case<PollWrap<S>>("rwlock.poll_wrap"),
        model_case<PollLateCommit<S>>("rwlock.poll_late_commit"),
        model_case<RwlockDeadWriter<S, CrashPoint::kAfterClaim, true>>(p + "_after_claim"),
        model_case<RwlockDeadWriter<S, CrashPoint::kAfterMark, true>>(p + "_after_mark"),
        model_case<RwlockDeadWriter<S, CrashPoint::kMidPayload, true>>(p + "_mid_payload"),
        model_case<RwlockDeadWriter<S, CrashPoint::kBeforePublish, true>>(p + "_before_publish"),
        model_case<RwlockDeadWriter<S, CrashPoint::kAfterMark, false>>(
            p + "_reader_recovers_after_mark"),
        model_case<RwlockDeadWriter<S, CrashPoint::kMidPayload, false>>(
            p + "_reader_recovers_mid_payload"),
        model_case<RwlockDeadReader<Orders>>("rwlock.dead_reader"),
        model_case<RwlockRevokedReader<Orders>>("rwlock.revoked_reader"),
    };
  }
};

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  return model_main<Audited<RwlockTable, RwlockCases>>(
      argc, argv, "## rwlock\n\nScenarios (conforming, `storage/rwlock.hpp` as it ships):",
      "rwlock.hpp|slot_lock.hpp", RwlockCases<ringlab::RwlockOrders>::make());
}
