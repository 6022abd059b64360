// A reader-writer lock in one 64-bit word that records its writer, so that a
// lock left held by a dead process can be recovered (as a robust mutex can),
// in shared memory or in one process alike: RwlockStorage uses it for every
// ring, so the model checks the lock that ships.
//
// The word: writer pid << 32 | reader count.
//   0            free
//   pid << 32    held by a writer of process pid (valid pids: 0 < pid <= kMaxPid)
//   n            held by n readers (n < kMaxReaders)
// A writer takes a free word with one CAS (R2), a reader adds itself with one
// CAS (R4) while no writer holds it; they let go with a store (R6) and a
// fetch_sub (R7).
//
// [DeadWriterRecovery] A writer killed holding the lock leaves pid << 32. A
// waiter that finds that process gone (Sync::process_gone, true too for a pid
// no process can have) takes the word over from that exact value with the
// writer's CAS (R2). All the dead writer's stores are visible by then
// [DeadWritesVisible], but they may be any part of its write: the taker runs
// the caller's `recovered` step (RwlockStorage marks the slot's frame
// abandoned) before anyone reads the slot.
// [LockStallBound] Any other holder is waited for (spinning, then yielding).
// Where the Sync policy says its locks live in shared memory
// (kBoundedLockWaits: shm::ProcessSharedSync), at most Sync::kWriterStallBound
// from the first yield; then lock() and lock_shared() return kTimedOut and take
// nothing. That bounds a wait on a live writer that does not finish (stopped,
// descheduled) and on readers that never leave: a reader process killed
// mid-copy leaves its count, and counts are anonymous (recording each reader's
// pid would cost every read a per-slot table entry and a second RMW), so no one
// can tell it from a live reader's. Such a count stays until Ring::reset (a
// stated limit). In one process the holders are its own threads, which never
// die or stop alone: waits there are unbounded, as the versioned slots' are
// [WriterStallBound], so no frame is dropped because a visitor was slow.
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

inline constexpr std::uint64_t kMaxPid = 4194304;  // Linux PID_MAX_LIMIT
inline constexpr std::uint64_t kMaxReaders = 0xFFFF'FFFF;  // a count never carries into the pid
constexpr std::uint64_t writer_word(std::uint64_t pid) { return pid << 32; }
constexpr std::uint64_t writer_of(std::uint64_t word) { return word >> 32; }
constexpr std::uint64_t readers_of(std::uint64_t word) { return word & kMaxReaders; }

enum class LockResult : std::uint8_t {
  kLocked,
  kRecovered,  // taken over from a dead writer (lock() only; the caller holds it)
  kTimedOut,   // [LockStallBound] (bounded policies only): nothing taken
};

// Ordering points of SlotLock, cited as (Rn): part of RwlockOrders.
inline constexpr std::array<OrderSite, 7> kSlotLockSites{{
    {"lock.load (R1)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"lock.writer_cas (R2)", AtomicOp::kRmw, std::memory_order_acquire, "R6 R7"},
    {"lock.writer_cas_failure (R3)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"lock.reader_cas (R4)", AtomicOp::kRmw, std::memory_order_acquire, "R6"},
    {"lock.reader_cas_failure (R5)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"lock.writer_unlock (R6)", AtomicOp::kStore, std::memory_order_release, "R2 R4"},
    {"lock.reader_unlock (R7)", AtomicOp::kRmw, std::memory_order_release, "R2"},
}};

template <class Sync, class Orders>
class SlotLock {
 public:
  using Word = typename Sync::template atomic<std::uint64_t>;
  static constexpr unsigned kSpinsBeforeYield = 64;

  // Exclusive, as process `pid`. kRecovered: from a dead writer, after
  // `recovered()` ran (holding the lock).
  template <class Recovered>
  static LockResult lock(Word& word, std::uint64_t pid, Recovered&& recovered) {
    Backoff wait;
    std::uint64_t seen = word.load(order_of<Orders>("R1"));  // (R1) relaxed: a guess for (R2)
    for (;;) {
      const bool dead = seen != 0 && dead_writer(seen, wait);
      if (seen == 0 || dead) {
        if (take(word, seen, pid)) {
          if (!dead) return LockResult::kLocked;
          recovered();
          return LockResult::kRecovered;
        }
        continue;  // the failed CAS reloaded `seen`
      }
      if (!wait.pause()) return LockResult::kTimedOut;
      seen = word.load(order_of<Orders>("R1"));  // (R1)
    }
  }

  static void unlock(Word& word) {
    // (R6) release: pairs with the next holder's (R2) or (R4), so this
    // writer's slot stores happen before its reads and stores.
    word.store(0, order_of<Orders>("R6"));
  }

  // Shared, as process `pid` (who recovers a dead writer's word as a writer
  // would, runs `recovered()`, lets go and tries again). kLocked or kTimedOut.
  template <class Recovered>
  static LockResult lock_shared(Word& word, std::uint64_t pid, Recovered&& recovered) {
    Backoff wait;
    std::uint64_t seen = word.load(order_of<Orders>("R1"));  // (R1), as in lock()
    for (;;) {
      if (writer_of(seen) == 0 && readers_of(seen) < kMaxReaders) {
        // (R4) acquire: pairs with the last writer's unlock (R6), so its slot
        // stores happen before this reader's loads. (R5) relaxed on failure:
        // the loop re-examines `seen`.
        if (word.compare_exchange_weak(seen, seen + 1, order_of<Orders>("R4"),
                                       cas_failure_order(order_of<Orders>("R5")))) {
          return LockResult::kLocked;
        }
        continue;
      }
      if (writer_of(seen) != 0 && dead_writer(seen, wait)) {
        if (take(word, seen, pid)) {
          recovered();
          unlock(word);
          seen = 0;
        }
        continue;
      }
      if (!wait.pause()) return LockResult::kTimedOut;
      seen = word.load(order_of<Orders>("R1"));  // (R1)
    }
  }

  static void unlock_shared(Word& word) {
    // (R7) release: pairs with the next writer's (R2) (through the release
    // sequence of every reader's (R7)), so this reader's loads happen before
    // that writer's stores.
    word.fetch_sub(1, order_of<Orders>("R7"));
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

  // Whether `seen` is a writer's word whose process is gone. Asked only once
  // the wait yields (a system call each time: never while spinning).
  static bool dead_writer(std::uint64_t seen, const Backoff& wait) {
    return writer_of(seen) != 0 && wait.yielding() && Sync::process_gone(writer_of(seen));
  }

  // (R2) acquire on success: pairs with the previous holder's unlock (R6) or
  // the readers' (R7), so their slot accesses happen before ours; taking a
  // dead writer's word over, [DeadWritesVisible] orders its stores before
  // ours too. (R3) relaxed on failure: the caller re-examines `seen`.
  static bool take(Word& word, std::uint64_t& seen, std::uint64_t pid) {
    return word.compare_exchange_weak(seen, writer_word(pid), order_of<Orders>("R2"),
                                      cas_failure_order(order_of<Orders>("R3")));
  }
};

}  // namespace ringlab::detail
