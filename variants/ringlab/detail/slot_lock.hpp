// A reader-writer lock in one 64-bit word that records its writer, so that a
// lock left held by a dead process can be recovered (as a robust mutex can),
// in shared memory or in one process alike: RwlockStorage uses it for every
// ring, so the model checks the lock that ships.
//
// The word: generation << 47 | writer pid << 24 | reader count.
//   count only    held by that many readers (count < kMaxReaders)
//   pid set       held by a writer of process pid (valid: 0 < pid <= kMaxPid)
//   neither       free
// The generation changes only when a writer revokes readers' holds (below);
// every other step keeps it. A writer takes a free word with one CAS (R2), a
// reader adds itself with one CAS (R4) while no writer holds it; they let go
// with a store (R6) and a fetch_sub (R7), or, where holds can be revoked, a
// CAS (R7) that fails if the generation moved.
//
// [DeadWriterRecovery] A writer killed holding the lock leaves its pid in the
// word. A waiter that finds that process gone (Sync::process_gone, true too for
// a pid no process can have) takes the word over from that exact value with the
// writer's CAS (R2). All the dead writer's stores are visible by then
// [DeadWritesVisible], but they may be any part of its write: the taker runs
// the caller's `recovered` step (RwlockStorage marks the slot's frame
// abandoned) before anyone reads the slot.
// [LockStallBound] Any other holder is waited for (spinning, then yielding).
// Where the Sync policy says its locks live in shared memory
// (kBoundedLockWaits: shm::ProcessSharedSync), at most Sync::kWriterStallBound
// from the first yield. Then:
//   - a wait on a writer (live: not gone; stopped or descheduled) ends, and
//     lock() or lock_shared() returns kTimedOut having taken nothing;
//   - a writer waiting on readers revokes their holds [RevocableReads]: its
//     CAS (R2) takes the word from that exact count, bumping the generation.
//     Counts are anonymous (naming each reader would cost every read a table
//     entry), so a reader killed mid-copy cannot be told from a slow one; both
//     lose their hold. The wait is measured on a clock the slot's writers
//     share [SharedReaderStall]: the first to find the slot held by readers
//     stamps the time and the generation in the slot's `blocked` word, and
//     the bound runs from that stamp, so writers that die while they wait
//     (or give up) still bring the revocation closer. A writer that takes the
//     word clears the stamp. The stamp is advisory: a stale or foreign one
//     can only bring a revocation forward, and the lock word alone decides
//     what a reader keeps. A revoked reader that is still alive may copy while the
//     writer stores, so there the slot's cells are atomic words (SlotCell), and
//     its unlock_shared() says false: it keeps nothing it read. Its late
//     decrement never lands on the new generation, so no count is lost or
//     taken twice.
// The generation has 17 bits: a revoked reader could be fooled only by 2^17
// revocations of that slot, each after a full bound, while it stays stalled.
// In one process the holders are its own threads, which never die or stop
// alone: waits there are unbounded and nothing is revoked, as the versioned
// slots' waits are [WriterStallBound], so no frame is dropped because a
// visitor was slow.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab::detail {

// Plain data guarded by a lock: the Sync policy's `plain<T>` where it has one
// (the Relacy policy's: a cell whose every unordered access is a reported data
// race), else the value itself in memory.
template <class T>
class PlainCell {
 public:
  T load() const { return value_; }
  void store(T value) { value_ = value; }

 private:
  T value_{};
};
template <class Sync, class T>
struct PlainOf {
  using type = PlainCell<T>;
};
template <class Sync, class T>
  requires requires { typename Sync::template plain<T>; }
struct PlainOf<Sync, T> {
  using type = typename Sync::template plain<T>;
};
template <class Sync, class T>
using plain_t = typename PlainOf<Sync, T>::type;

// Bytes into consecutive 8-byte cells, the last one zero-padded, and back.
// Over plain memory one memcpy (wide stores: a 4 KiB frame keeps 64 line
// fills in flight, where word stores keep a store buffer's worth, about 7);
// over a checker's cells, cell by cell, so that it sees every access.
template <class Cell>
void store_bytes(Cell* cells, std::span<const std::byte> bytes) {
  const std::size_t full = bytes.size() / 8;
  const std::size_t tail = bytes.size() % 8;
  if constexpr (std::is_same_v<Cell, PlainCell<std::uint64_t>>) {
    auto* const to = reinterpret_cast<std::byte*>(cells);
    // Not for 0 bytes: an abandoned claim's payload may have null data, and
    // memcpy from null is undefined even then.
    if (bytes.empty()) return;
    std::memcpy(to, bytes.data(), bytes.size());
    if (tail != 0) std::memset(to + bytes.size(), 0, 8 - tail);
  } else {
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      std::uint64_t w;
      std::memcpy(&w, bytes.data() + 8 * i, 8);
      cells[i].store(w);
    }
    if (tail != 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, bytes.data() + 8 * full, tail);
      cells[full].store(w);
    }
  }
}
template <class Cell>
void load_bytes(const Cell* cells, std::size_t offset, std::span<std::byte> out) {
  if constexpr (std::is_same_v<Cell, PlainCell<std::uint64_t>>) {
    if (!out.empty()) {  // as in store_bytes
      std::memcpy(out.data(), reinterpret_cast<const std::byte*>(cells) + offset, out.size());
    }
  } else if (offset % 8 == 0) {
    // Whole words, then the partial last one: the common case (a whole frame).
    const std::size_t full = out.size() / 8;
    const Cell* const from = cells + offset / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      const std::uint64_t w = from[i].load();
      std::memcpy(out.data() + 8 * i, &w, 8);
    }
    if (const std::size_t tail = out.size() % 8; tail != 0) {
      const std::uint64_t w = from[full].load();
      std::memcpy(out.data() + 8 * full, &w, tail);
    }
  } else {
    for (std::size_t done = 0; done < out.size();) {
      const std::size_t at = offset + done;
      const std::uint64_t w = cells[at / 8].load();
      const std::size_t take = std::min(8 - at % 8, out.size() - done);
      std::memcpy(out.data() + done, reinterpret_cast<const std::byte*>(&w) + at % 8, take);
      done += take;
    }
  }
}

// Whether Sync's slot locks wait at most Sync::kWriterStallBound.
template <class Sync>
constexpr bool bounded_lock_waits() {
  if constexpr (requires { Sync::kBoundedLockWaits; }) {
    return Sync::kBoundedLockWaits;
  } else {
    return false;
  }
}

// How often a slot-lock wait spins before it yields: Sync's
// kSpinsBeforeYield where it has one (a model's, short, so that its scheduler
// reaches the bound), else 64.
template <class Sync>
constexpr unsigned spins_before_yield() {
  if constexpr (requires { Sync::kSpinsBeforeYield; }) {
    return Sync::kSpinsBeforeYield;
  } else {
    return 64;
  }
}

inline constexpr std::uint64_t kMaxPid = 4194304;  // Linux PID_MAX_LIMIT
inline constexpr unsigned kPidShift = 24;
inline constexpr unsigned kGenerationShift = 47;
// Readers of one slot at once: more than the threads a system can run (each
// takes a pid-space id), so a count never carries into the pid.
inline constexpr std::uint64_t kMaxReaders = (std::uint64_t{1} << kPidShift) - 1;
inline constexpr std::uint64_t kPidField = (std::uint64_t{1} << (kGenerationShift - kPidShift)) - 1;
static_assert(kMaxPid <= kPidField);
constexpr std::uint64_t generation_of(std::uint64_t word) { return word >> kGenerationShift; }
constexpr std::uint64_t writer_word(std::uint64_t pid, std::uint64_t generation = 0) {
  return generation << kGenerationShift | (pid & kPidField) << kPidShift;
}
constexpr std::uint64_t writer_of(std::uint64_t word) { return word >> kPidShift & kPidField; }
constexpr std::uint64_t readers_of(std::uint64_t word) { return word & kMaxReaders; }
// The free word of the same generation (a writer lets go to this).
constexpr std::uint64_t free_word(std::uint64_t word) { return writer_word(0, generation_of(word)); }

enum class LockResult : std::uint8_t {
  kLocked,
  kRecovered,  // taken over from a dead writer (lock() only; the caller holds it)
  kRevoked,    // [RevocableReads] taken from readers past the bound (lock() only)
  kTimedOut,   // [LockStallBound] (bounded policies only): nothing taken
};

// A reader's hold: whether it was taken, and the word it made (its generation
// is what unlock_shared checks).
struct SharedHold {
  bool locked = false;
  std::uint64_t word = 0;
};

// Ordering points of SlotLock, cited as (Rn): part of RwlockOrders.
inline constexpr std::array<OrderSite, 14> kSlotLockSites{{
    {"lock.load (R1)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"lock.writer_cas (R2)", AtomicOp::kRmw, std::memory_order_acquire, "R6 R7"},
    {"lock.writer_cas_failure (R3)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"lock.reader_cas (R4)", AtomicOp::kRmw, std::memory_order_acquire, "R6"},
    {"lock.reader_cas_failure (R5)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"lock.writer_unlock (R6)", AtomicOp::kStore, std::memory_order_release, "R2 R4"},
    {"lock.reader_unlock (R7)", AtomicOp::kRmw, std::memory_order_release, "R2"},
    {"lock.reader_unlock_failure (R8)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"cell.store (R9)", AtomicOp::kStore, std::memory_order_relaxed, ""},
    {"cell.load (R10)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"blocked.load (R11)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"blocked.stamp (R12)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
    {"blocked.stamp_failure (R13)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"blocked.clear (R14)", AtomicOp::kStore, std::memory_order_relaxed, ""},
}};

// The `blocked` word [SharedReaderStall]: when writers first found the slot
// held by readers, in microseconds of Sync::clock (CLOCK_MONOTONIC for
// StdSync: one clock for every process), and the lock generation then.
inline constexpr unsigned kStampShift = 64 - kGenerationShift;  // 17 generation bits below
constexpr std::uint64_t stamp_of(std::uint64_t us, std::uint64_t generation) {
  return us << kStampShift | (generation & ((std::uint64_t{1} << kStampShift) - 1));
}

// A cell of a slot's data where holds can be revoked [RevocableReads]: a
// revoked reader may still load while the next writer stores, so each cell is
// an atomic word, stored (R9) and loaded (R10) relaxed, as the versioned
// slots' payload words are. Relaxed is enough: the lock word orders every
// access whose value is kept, and a revoked reader keeps nothing.
template <class Sync, class Orders, class T>
class SlotAtomicCell {
 public:
  T load() const { return value_.load(order_of<Orders>("R10")); }  // (R10)
  void store(T value) { value_.store(value, order_of<Orders>("R9")); }  // (R9)

 private:
  typename Sync::template atomic<T> value_;
};

// A slot's data cell: atomic where holds can be revoked, else plain (in the
// model, a cell whose every unordered access is a reported data race).
template <class Sync, class Orders, class T>
using slot_cell_t = std::conditional_t<bounded_lock_waits<Sync>(),
                                       SlotAtomicCell<Sync, Orders, T>, plain_t<Sync, T>>;

template <class Sync, class Orders>
class SlotLock {
 public:
  using Word = typename Sync::template atomic<std::uint64_t>;
  static constexpr unsigned kSpinsBeforeYield = spins_before_yield<Sync>();

  // Exclusive, as process `pid`; `blocked` is the slot's stamp word
  // [SharedReaderStall]. kRecovered: from a dead writer, after `recovered()`
  // ran (holding the lock). kRevoked: from readers that held it past the bound.
  template <class Recovered>
  static LockResult lock(Word& word, Word& blocked, std::uint64_t pid, Recovered&& recovered) {
    Backoff wait;
    std::uint64_t seen = word.load(order_of<Orders>("R1"));  // (R1) relaxed: a guess for (R2)
    for (;;) {
      const bool dead = writer_of(seen) != 0 && dead_writer(seen, wait);
      if (seen == free_word(seen) || dead) {
        if (take(word, seen, writer_word(pid, generation_of(seen)))) {
          clear_stamp(blocked);
          if (!dead) return LockResult::kLocked;
          recovered();
          return LockResult::kRecovered;
        }
        continue;  // the failed CAS reloaded `seen`
      }
      if constexpr (bounded_lock_waits<Sync>()) {
        // [RevocableReads] Readers past the shared bound: revoke their holds.
        if (writer_of(seen) == 0 && wait.yielding() && readers_past_bound(blocked, seen)) {
          if (take(word, seen, writer_word(pid, generation_of(seen) + 1))) {
            clear_stamp(blocked);
            return LockResult::kRevoked;
          }
          continue;
        }
      }
      // [LockStallBound] A live writer is never taken over; readers are
      // waited for by the shared clock above.
      if (!wait.pause()) {
        if (writer_of(seen) != 0) return LockResult::kTimedOut;
        Sync::yield();
      }
      seen = word.load(order_of<Orders>("R1"));  // (R1)
    }
  }

  static void unlock(Word& word) {
    // Where nothing is revoked the generation stays 0, and the free word is 0.
    std::uint64_t free = 0;
    if constexpr (bounded_lock_waits<Sync>()) {
      // Keeps the generation, so that holds revoked before stay revoked. No
      // one else changes a word a live writer holds: (R1) reads our own.
      free = free_word(word.load(order_of<Orders>("R1")));  // (R1)
    }
    // (R6) release: pairs with the next holder's (R2) or (R4), so this
    // writer's slot stores happen before its reads and stores.
    word.store(free, order_of<Orders>("R6"));
  }

  // Shared, as process `pid` (who recovers a dead writer's word as a writer
  // would, runs `recovered()`, lets go and tries again). Not locked: timed out.
  template <class Recovered>
  static SharedHold lock_shared(Word& word, std::uint64_t pid, Recovered&& recovered) {
    Backoff wait;
    std::uint64_t seen = word.load(order_of<Orders>("R1"));  // (R1), as in lock()
    for (;;) {
      if (writer_of(seen) == 0 && readers_of(seen) < kMaxReaders) {
        // (R4) acquire: pairs with the last writer's unlock (R6), so its slot
        // stores happen before this reader's loads. (R5) relaxed on failure:
        // the loop re-examines `seen`.
        if (word.compare_exchange_weak(seen, seen + 1, order_of<Orders>("R4"),
                                       cas_failure_order(order_of<Orders>("R5")))) {
          return {true, seen + 1};
        }
        continue;
      }
      if (writer_of(seen) != 0 && dead_writer(seen, wait)) {
        if (take(word, seen, writer_word(pid, generation_of(seen)))) {
          recovered();
          unlock(word);
          seen = free_word(seen);
        }
        continue;
      }
      if (!wait.pause()) return {};
      seen = word.load(order_of<Orders>("R1"));  // (R1)
    }
  }

  // True when the hold was still this reader's; false when a writer revoked
  // it [RevocableReads] (bounded policies only): then anything read under it
  // may be part of that writer's frame, and must not be kept.
  static bool unlock_shared(Word& word, const SharedHold& hold) {
    // (R7) release: pairs with the next writer's (R2) (through the release
    // sequence of every reader's (R7)), so this reader's loads happen before
    // that writer's stores.
    if constexpr (!bounded_lock_waits<Sync>()) {
      word.fetch_sub(1, order_of<Orders>("R7"));
      return true;
    } else {
      // Decrements only a count of this hold's generation: once revoked, the
      // word belongs to a writer or to later readers. (R8) relaxed on
      // failure: the loop re-examines `seen`.
      std::uint64_t seen = hold.word;
      while (generation_of(seen) == generation_of(hold.word) && writer_of(seen) == 0 &&
             readers_of(seen) != 0) {
        if (word.compare_exchange_weak(seen, seen - 1, order_of<Orders>("R7"),
                                       cas_failure_order(order_of<Orders>("R8")))) {
          return true;
        }
      }
      return false;
    }
  }

 private:
  // Spins briefly, then yields; false once the bound (if any) has passed
  // since the first yield [LockStallBound].
  class Backoff {
   public:
    bool yielding() const { return spins_ >= kSpinsBeforeYield; }
    bool pause() {
      if (!yielding()) {
        ++spins_;
        Sync::spin_pause();
        return true;
      }
      if constexpr (bounded_lock_waits<Sync>()) {
        const typename Sync::clock::time_point now = Sync::clock::now();
        if (!started_) {
          since_ = now;
          started_ = true;
        } else if (now - since_ >= Sync::kWriterStallBound) {
          return false;
        }
      }
      Sync::yield();
      return true;
    }

   private:
    unsigned spins_ = 0;
    bool started_ = false;
    typename Sync::clock::time_point since_{};
  };

  // [SharedReaderStall] Whether readers have held the slot (with `seen`'s
  // generation) for the bound since a writer first found them there; else
  // stamps now, if no stamp of this generation is there yet.
  static bool readers_past_bound(Word& blocked, std::uint64_t seen) {
    using std::chrono::duration_cast;
    using std::chrono::microseconds;
    const std::uint64_t now = static_cast<std::uint64_t>(
        duration_cast<microseconds>(Sync::clock::now().time_since_epoch()).count());
    const std::uint64_t bound =
        static_cast<std::uint64_t>(duration_cast<microseconds>(Sync::kWriterStallBound).count());
    const std::uint64_t generation = generation_of(seen);
    // (R11) relaxed: advisory; the lock word orders everything a reader keeps.
    std::uint64_t stamp = blocked.load(order_of<Orders>("R11"));
    const std::uint64_t since = stamp >> kStampShift;
    if (stamp != 0 && stamp == stamp_of(since, generation) && since <= now) {
      return now - since >= bound;
    }
    // None, another generation's, or a foreign time ahead of ours: restart
    // the clock. (R12)/(R13) relaxed: advisory, as (R11); a lost race keeps
    // the other writer's stamp, as good as ours.
    (void)blocked.compare_exchange_strong(stamp, stamp_of(now, generation),
                                          order_of<Orders>("R12"),
                                          cas_failure_order(order_of<Orders>("R13")));
    return false;
  }

  // The slot was free or revoked: the next wait on readers starts afresh.
  static void clear_stamp(Word& blocked) {
    if constexpr (bounded_lock_waits<Sync>()) {
      // (R11), (R14) relaxed: advisory. Loaded first, so that a write stores
      // nothing here while no writer waits.
      if (blocked.load(order_of<Orders>("R11")) != 0) blocked.store(0, order_of<Orders>("R14"));
    }
  }

  // Whether `seen` is a writer's word whose process is gone. Asked only once
  // the wait yields (a system call each time: never while spinning).
  static bool dead_writer(std::uint64_t seen, const Backoff& wait) {
    return writer_of(seen) != 0 && wait.yielding() && Sync::process_gone(writer_of(seen));
  }

  // (R2) acquire on success: pairs with the previous holder's unlock (R6) or
  // the readers' (R7), so their slot accesses happen before ours; taking a
  // dead writer's word over, [DeadWritesVisible] orders its stores before
  // ours too. (R3) relaxed on failure: the caller re-examines `seen`.
  static bool take(Word& word, std::uint64_t& seen, std::uint64_t mine) {
    return word.compare_exchange_weak(seen, mine, order_of<Orders>("R2"),
                                      cas_failure_order(order_of<Orders>("R3")));
  }
};

}  // namespace ringlab::detail
