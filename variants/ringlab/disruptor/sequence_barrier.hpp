// Lets disruptor readers wait for writers: answers "is counter c published?"
// and "what is the highest counter published contiguously from c?", and waits
// through a wait strategy.
#pragma once

#include <chrono>
#include <cstdint>

#include "ringlab/capabilities.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"

namespace ringlab {

template <class Sync, class Orders, class Markers, class Strategy>
class SequenceBarrier {
 public:
  using clock = typename Sync::clock;

  SequenceBarrier(const Markers& markers, Strategy& strategy, const WaitLine<Sync>& line)
      : markers_(markers), strategy_(strategy), line_(line) {}

  // True once the writer of c is done with it: its frame or a newer one holds
  // the slot, so a reader waiting on c can move on.
  bool is_published(std::uint64_t c) const {
    // (D10) acquire: pairs with the commit (P6), so a reader woken here reads
    // the frame it waited for.
    return markers_.marker(c).load(order_of<Orders>("D10")) >= detail::committed_marker(c);
  }

  // The highest counter h in [from, limit) such that every counter in [from, h]
  // is published; from - 1 if `from` is not.
  std::uint64_t highest_published(std::uint64_t from, std::uint64_t limit) const {
    std::uint64_t c = from;
    while (c < limit && is_published(c)) ++c;
    return c - 1;
  }

  WaitResult wait_for(std::uint64_t c, typename Sync::clock::duration timeout) {
    const auto now = Sync::clock::now();
    // Saturate: a timeout of duration::max() means "wait until published".
    const auto deadline = timeout >= Sync::clock::time_point::max() - now
                              ? Sync::clock::time_point::max()
                              : now + timeout;
    const bool woken =
        strategy_.wait_until([&] { return is_published(c) || alerted(); }, deadline);
    if (is_published(c)) return WaitResult::kPublished;
    return woken ? WaitResult::kAlerted : WaitResult::kTimeout;
  }

  // Wakes every waiter and makes later waits return at once (LMAX's alert),
  // until clear_alert(). For shutting readers down. The flag is the region's
  // (WaitLine), so in shared memory it reaches the waiters of every process.
  void alert() {
    // (D12) release: pairs with (D13); the strategy's signal orders it against
    // sleepers as it does a commit.
    line_.alert().store(1, order_of<Orders>("D12"));
    strategy_.signal_all();
  }
  void clear_alert() { line_.alert().store(0, order_of<Orders>("D12")); }  // (D12)
  // Any nonzero word is an alert: a region's byte may hold anything.
  bool alerted() const {
    return line_.alert().load(order_of<Orders>("D13")) != 0;  // (D13) acquire: pairs with (D12)
  }

 private:
  const Markers& markers_;
  Strategy& strategy_;
  WaitLine<Sync> line_;
};

}  // namespace ringlab
