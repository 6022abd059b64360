// How a disruptor reader waits for a counter to be published. Each strategy is
// built over the region's wait line (WaitLine below) and has
//   bool wait_until(ready, deadline)  true once ready() holds; false at deadline
//   void signal_all()                 called by every writer after a commit
// signal_all must stay cheap when nobody waits: it is on the writer's path.
// Every strategy keeps its shared state in the region, so each works between
// processes that map the same segment.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringlab/detail/region.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// One cache line of the region that sleepers and the barrier's alert share
// with every process mapping it: the futex word that sleepers sleep on (the
// epoch, bumped by a writer that saw a sleeper), the sleeper count, and the
// alert flag. Words 8 bytes apart, so that a model checker's atomics (a
// pointer each) fit as well. Each may hold any value in a hostile region:
// a wrong epoch or count costs a spurious wake-up or a futile one, a nonzero
// alert word makes waits return kAlerted; nothing waits longer for it.
template <class Sync>
class WaitLine {
  using U32 = typename Sync::template atomic<std::uint32_t>;
  static_assert(sizeof(U32) <= 8);

 public:
  static constexpr std::size_t kEpochOffset = 0;
  static constexpr std::size_t kSleepersOffset = 8;
  static constexpr std::size_t kAlertOffset = 16;
  static constexpr std::size_t region_bytes() { return detail::kCacheLine; }

  static void initialise(std::byte* line) {
    for (std::size_t offset : {kEpochOffset, kSleepersOffset, kAlertOffset}) {
      detail::construct_at_offset<U32>(line, offset);
    }
  }
  static void destroy(std::byte* line) {
    for (std::size_t offset : {kEpochOffset, kSleepersOffset, kAlertOffset}) {
      detail::destroy_at_offset<U32>(line, offset);
    }
  }

  // Over words that initialise() has constructed.
  explicit WaitLine(std::byte* line) : line_(line) {}

  U32& epoch() const { return *detail::object_at<U32>(line_, kEpochOffset); }
  U32& sleepers() const { return *detail::object_at<U32>(line_, kSleepersOffset); }
  U32& alert() const { return *detail::object_at<U32>(line_, kAlertOffset); }

 private:
  std::byte* line_;
};

// Spins on the processor; lowest latency, burns a core per waiter.
template <class Sync = StdSync>
class BusySpinWait {
 public:
  static constexpr std::string_view kName = "busy-spin";
  explicit BusySpinWait(const WaitLine<Sync>&) {}

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
  static constexpr std::uint32_t kSpinsBeforeYield = 100;
  explicit YieldingWait(const WaitLine<Sync>&) {}

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
// writer's commit. (W6) carries the rest: a sleeper that reads the epoch the
// writer bumped (W7) after its fence (W3) also sees the commit before (W3).
// So no wake-up is lost.
struct BlockingWaitOrders {
  static constexpr std::array<OrderSite, 7> kSites{{
      {"wait.sleeper_enter (W1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      {"wait.sleeper_fence (W2)", AtomicOp::kFence, std::memory_order_seq_cst, "W3"},
      {"wait.signal_fence (W3)", AtomicOp::kFence, std::memory_order_seq_cst, "W2"},
      {"wait.signal_load (W4)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
      {"wait.sleeper_leave (W5)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      {"wait.epoch_load (W6)", AtomicOp::kLoad, std::memory_order_acquire, "W3"},
      {"wait.epoch_bump (W7)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
  }};
  static_assert(tags_unique(kSites));
};

// Sleeps on the wait line's epoch, a futex word in the region, so a writer in
// any process wakes sleepers in every process. A writer pays one fence and
// one load while nobody sleeps: no RMW, no syscall. A sleeper killed asleep
// leaves the count up, and writers then pay a wake-up call per commit until a
// sleeper's exit brings it back to zero (never longer waits).
template <class Sync = StdSync, class Orders = BlockingWaitOrders>
class BlockingWait {
 public:
  static constexpr std::string_view kName = "blocking";
  explicit BlockingWait(const WaitLine<Sync>& line) : line_(line) {}

  template <class Ready>
  bool wait_until(Ready&& ready, typename Sync::clock::time_point deadline) {
    if (ready()) return true;
    for (;;) {
      // (W1) relaxed: ordered against the writer by the fences (W2)/(W3).
      line_.sleepers().fetch_add(1, order_of<Orders>("W1"));
      // (W2) seq_cst fence: pairs with the writer's (W3). If the writer's load
      // (W4) missed our (W1), then (W3) precedes (W2) and ready() below sees the
      // commit that came before (W3).
      Sync::fence(order_of<Orders>("W2"));
      // (W6) acquire: reading a bump (W7) synchronises with the fence (W3)
      // before it. Read before ready(): a writer that saw us bumps the epoch
      // after its commit, so either ready() sees the commit, or the epoch read
      // here is older and the futex wait returns at once.
      const std::uint32_t epoch = line_.epoch().load(order_of<Orders>("W6"));
      bool ok = ready();
      bool in_time = true;
      if (!ok) in_time = Sync::futex_wait(line_.epoch(), epoch, deadline);
      line_.sleepers().fetch_sub(1, order_of<Orders>("W5"));  // (W5) relaxed: a hint for (W4)
      if (ok || ready()) return true;
      // The clock too: a sleeper whose epoch keeps moving under it (commits of
      // other counters) returns from each futex wait early, never timed out.
      if (!in_time || Sync::clock::now() >= deadline) return false;
    }
  }

  void signal_all() {
    // (W3) seq_cst fence: orders the commit before it against the load of the
    // sleeper count; pairs with (W2).
    Sync::fence(order_of<Orders>("W3"));
    if (line_.sleepers().load(order_of<Orders>("W4")) != 0) {  // (W4) relaxed: see (W3)
      // (W7) relaxed: the fence (W3) already releases the commit to a sleeper
      // whose (W6) reads this bump.
      line_.epoch().fetch_add(1, order_of<Orders>("W7"));
      Sync::futex_wake_all(line_.epoch());
    }
  }

 private:
  WaitLine<Sync> line_;
};

}  // namespace ringlab
