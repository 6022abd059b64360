// How a disruptor reader waits for a counter to be published. Each strategy has
//   bool wait_until(ready, deadline)  true once ready() holds; false at deadline
//   void signal_all()                 called by every writer after a commit
// signal_all must stay cheap when nobody waits: it is on the writer's path.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Spins on the processor; lowest latency, burns a core per waiter.
template <class Sync = StdSync>
class BusySpinWait {
 public:
  static constexpr std::string_view kName = "busy-spin";
  // Waits by polling shared state only: works across processes.
  static constexpr bool kCrossProcess = true;

  template <class Ready>
  bool wait_until(Ready&& ready, typename Sync::clock::time_point deadline) {
    for (std::uint32_t spins = 0;; ++spins) {
      if (ready()) return true;
      // Reading the clock costs more than a pause; do it now and then.
      if ((spins & 255) == 255 && Sync::clock::now() >= deadline) return ready();
      Sync::spin_pause();
    }
  }
  void signal_all() {}
};

// Spins briefly, then yields the processor between checks; suits more threads
// than cores.
template <class Sync = StdSync>
class YieldingWait {
 public:
  static constexpr std::string_view kName = "yielding";
  static constexpr bool kCrossProcess = true;  // polls, as BusySpinWait
  static constexpr std::uint32_t kSpinsBeforeYield = 100;

  template <class Ready>
  bool wait_until(Ready&& ready, typename Sync::clock::time_point deadline) {
    for (std::uint32_t spins = 0;; ++spins) {
      if (ready()) return true;
      if (spins < kSpinsBeforeYield) {
        Sync::spin_pause();
      } else {
        if (Sync::clock::now() >= deadline) return ready();
        Sync::yield();
      }
    }
  }
  void signal_all() {}
};

// Ordering points of BlockingWait, cited as (Wn). (W1)/(W3) and (W2)/(W4) form
// a Dekker pair: either the writer sees a sleeper, or the sleeper sees the
// writer's commit. So no wake-up is lost.
struct BlockingWaitOrders {
  static constexpr std::array<OrderSite, 5> kSites{{
      {"wait.sleeper_enter (W1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      {"wait.sleeper_fence (W2)", AtomicOp::kFence, std::memory_order_seq_cst, "W3"},
      {"wait.signal_fence (W3)", AtomicOp::kFence, std::memory_order_seq_cst, "W2"},
      {"wait.signal_load (W4)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
      {"wait.sleeper_leave (W5)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
  }};
  static_assert(tags_unique(kSites));
};

// Sleeps on a condition variable. A writer pays one fence and one load while
// nobody sleeps: no lock, no syscall.
template <class Sync = StdSync, class Orders = BlockingWaitOrders>
class BlockingWait {
 public:
  static constexpr std::string_view kName = "blocking";
  // Sleeps on this object's own condition variable: process-local.
  static constexpr bool kCrossProcess = false;

  template <class Ready>
  bool wait_until(Ready&& ready, typename Sync::clock::time_point deadline) {
    if (ready()) return true;
    std::unique_lock lock(mutex_);
    // (W1) relaxed: ordered against the writer by the fences (W2)/(W3).
    sleepers_.fetch_add(1, order_of<Orders>("W1"));
    // (W2) seq_cst fence: pairs with the writer's (W3). If the writer's load
    // (W4) missed our (W1), then (W3) precedes (W2) and ready() below sees the
    // commit that came before (W3).
    Sync::fence(order_of<Orders>("W2"));
    bool ok = ready();
    while (!ok) {
      // The mutex is held from (W1) to the wait, and a writer that saw us
      // takes it before notifying: the notification cannot fall in between.
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
        ok = ready();
        break;
      }
      ok = ready();
    }
    sleepers_.fetch_sub(1, order_of<Orders>("W5"));  // (W5) relaxed: only a hint for (W4)
    return ok;
  }

  void signal_all() {
    // (W3) seq_cst fence: orders the commit before it against the load of the
    // sleeper count; pairs with (W2).
    Sync::fence(order_of<Orders>("W3"));
    if (sleepers_.load(order_of<Orders>("W4")) != 0) {  // (W4) relaxed: see (W3)
      std::lock_guard lock(mutex_);
      cv_.notify_all();
    }
  }

 private:
  typename Sync::template atomic<std::uint32_t> sleepers_{0};
  typename Sync::mutex mutex_;
  typename Sync::condition_variable cv_;
};

}  // namespace ringlab
