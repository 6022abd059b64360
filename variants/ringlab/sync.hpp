// The Sync policy: everything a variant needs from the platform to synchronise.
// Variants are written once against this interface (DESIGN.md section 3):
//
//   Sync::atomic<T>            load/store/fetch_add/compare_exchange_* with an
//                              explicit std::memory_order, as std::atomic
//   Sync::fence(order)         a thread fence
//   Sync::shared_mutex         lock/unlock/lock_shared/unlock_shared
//   Sync::mutex, Sync::condition_variable, Sync::clock
//                              for the blocking wait strategy
//   Sync::spin_pause()         inside a spin loop (a model checker yields here)
//   Sync::yield()              give up the processor
//
// StdSync maps these to the standard library with nothing added; the Relacy
// policy in models/ maps them to Relacy and records the caller's source line.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ringlab {

struct StdSync {
  template <class T>
  using atomic = std::atomic<T>;
  using shared_mutex = std::shared_mutex;
  using mutex = std::mutex;
  using condition_variable = std::condition_variable;
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
};

}  // namespace ringlab
