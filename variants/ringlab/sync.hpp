// The Sync policy: everything a variant needs from the platform to synchronise.
// Variants are written once against this interface (docs/design.md, "The Sync
// policy"):
//
//   Sync::atomic<T>            load/store/fetch_add/compare_exchange_* with an
//                              explicit std::memory_order, as std::atomic
//   Sync::fence(order)         a thread fence
//   Sync::shared_mutex         lock/unlock/lock_shared/unlock_shared
//   Sync::clock                the clock of every bounded wait
//   Sync::futex_wait(word, expected, deadline)
//                              sleeps while the 32-bit atomic `word` holds
//                              `expected`, until woken or the deadline;
//                              false only at the deadline (may return early)
//   Sync::futex_wake_all(word) wakes every futex_wait on `word`, in any process
//                              mapping it: the blocking wait strategy's sleep
//   Sync::spin_pause()         inside a spin loop (a model checker yields here)
//   Sync::yield()              give up the processor
//   Sync::process_id()         this process's id, as recorded in shared memory
//   Sync::process_gone(pid)    true only once process pid has exited for good
//   Sync::crash_point(where)   fault injection: a no-op except in the crash
//                              tests (a policy that kills the process there)
//                              and the models (one that ends the thread there)
//
// StdSync maps these to the standard library with nothing added; the Relacy
// policy in models/ maps them to Relacy and records the caller's source line.
#pragma once

#include <atomic>
#include <chrono>
#include <shared_mutex>
#include <thread>

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ringlab {

// Where a writer can be stopped for good (a process killed with SIGKILL):
enum class CrashPoint : std::uint8_t {
  kAfterClaim,      // counter claimed, its slot not touched yet
  kAfterMark,       // the slot's marker says "being written" (the in-flight mark)
  kMidPayload,      // half of the frame's words stored
  kBeforePublish,   // every word stored, the commit not yet
};

struct StdSync {
  template <class T>
  using atomic = std::atomic<T>;
  using shared_mutex = std::shared_mutex;
  using clock = std::chrono::steady_clock;

  static void fence(std::memory_order order) { std::atomic_thread_fence(order); }

  static void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  static void yield() { std::this_thread::yield(); }

  // Futexes without FUTEX_PRIVATE_FLAG: the kernel keys the word by the memory
  // behind it, so a sleeper in one process is woken by a waker in another that
  // maps the same segment (and private memory works as well, a little slower).
  // The kernel reads the word under its own lock: a waker that changed the word
  // before futex_wake_all either wakes a queued sleeper or makes the sleeper's
  // check of `expected` fail, so no wake-up falls in between.
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                std::atomic<std::uint32_t>::is_always_lock_free);
  static bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         clock::time_point deadline) {
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, the clock
    // of steady_clock on Linux.
    timespec at{};
    const timespec* until = nullptr;
    if (deadline != clock::time_point::max()) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          deadline.time_since_epoch()).count();
      at.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      at.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      until = &at;
    }
    const long r = ::syscall(SYS_futex, futex_address(word), FUTEX_WAIT_BITSET, expected, until,
                             nullptr, FUTEX_BITSET_MATCH_ANY);
    return r == 0 || errno != ETIMEDOUT;
  }
  static void futex_wake_all(std::atomic<std::uint32_t>& word) {
    ::syscall(SYS_futex, futex_address(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }

  // [WriterStallBound] How long a writer in shared memory waits on a slot whose
  // in-flight marker does not change before it stops waiting (see
  // detail/versioned_slot.hpp, begin_write): long enough that a writer merely
  // descheduled mid-copy is almost never given up on.
  static constexpr std::chrono::milliseconds kWriterStallBound{1000};

  // Linux's PID_MAX_LIMIT: no process id is ever larger, whatever pid_max says.
  static constexpr std::uint64_t kPidLimit = std::uint64_t{1} << 22;
  // Whether a word read from a region can be a process id at all. kill(2) gives
  // 0 and negative pids other meanings (the caller's group, every process), so
  // asking it about one would report a hostile word as a live process.
  static constexpr bool valid_pid(std::uint64_t pid) { return pid != 0 && pid <= kPidLimit; }

  static std::uint64_t process_id() { return static_cast<std::uint64_t>(::getpid()); }
  // [DeadWritesVisible] A process is gone once kill(2) reports ESRCH or it is a
  // zombie (exited, not yet reaped by its parent). Either state comes after the
  // kernel has stopped every thread of it and torn down its address space, by
  // which point every store it made is visible to all CPUs: a caller that sees
  // it gone sees all of the dead process's stores. A pid that has been reused
  // reads as alive (a missed recovery, never a false one). A word that cannot be
  // a pid (valid_pid) names no process, so it reads as gone: it has no stores
  // left to make visible.
  static bool process_gone(std::uint64_t pid) {
    if (!valid_pid(pid)) return true;
    if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
    return is_zombie(pid);
  }
  static void crash_point(CrashPoint) {}

 private:
  static std::uint32_t* futex_address(std::atomic<std::uint32_t>& word) {
    return reinterpret_cast<std::uint32_t*>(&word);
  }
  // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'.
  static bool is_zombie(std::uint64_t pid) {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%llu/stat", static_cast<unsigned long long>(pid));
    std::FILE* f = std::fopen(path, "re");
    if (f == nullptr) return false;
    char buf[512];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* close = std::strrchr(buf, ')');
    return close != nullptr && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X');
  }
};

}  // namespace ringlab
