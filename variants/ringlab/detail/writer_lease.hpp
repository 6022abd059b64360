// The writer lease of a single-writer ring: one word in the region holding the
// id of the process whose thread may write (0: none). In-process rings take it
// when created; in shared memory the writer's attach takes it, so a second
// writer process is refused, and a writer whose process has died can be
// replaced: its lease is taken over once Sync::process_gone says so.
//
// Ordering points (L1)..(L3), rows of the storage's site table:
//   (L1) acquire CAS taking the lease, (L2) release store giving it back,
//   (L3) relaxed load of the holder.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "ringlab/detail/region.hpp"
#include "ringlab/ordering.hpp"

namespace ringlab::detail {

inline constexpr std::array<OrderSite, 3> kWriterLeaseSites{{
    {"lease.take (L1)", AtomicOp::kRmw, std::memory_order_acquire, "L2"},
    {"lease.give_back (L2)", AtomicOp::kStore, std::memory_order_release, "L1"},
    {"lease.holder_load (L3)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
}};

struct LeaseTaken {
  bool ok = false;            // this process holds the lease now
  std::uint64_t holder = 0;   // if not ok: the live process that holds it
  bool took_over = false;     // ok, from a process that had died holding it
};

template <class Sync, class Orders>
class WriterLease {
  using Word = typename Sync::template atomic<std::uint64_t>;

 public:
  static constexpr std::uint64_t kFree = 0;

  explicit WriterLease(Word* word) : word_(word) {}

  LeaseTaken take(std::uint64_t pid) {
    // (L3) relaxed: a guess for the CAS (L1), which decides.
    std::uint64_t seen = word_->load(order_of<Orders>("L3"));
    for (;;) {
      if (seen == pid) return {true, 0, false};
      // [DeadWritesVisible]: once the holder is gone, every store it made is
      // visible, so taking over is as safe as a handover.
      const bool dead = seen != kFree && Sync::process_gone(seen);
      if (seen != kFree && !dead) return {false, seen, false};
      // (L1) acquire: pairs with the last holder's give-back (L2), so its
      // writes (head, slots) happen-before this holder's.
      if (word_->compare_exchange_strong(seen, pid, order_of<Orders>("L1"),
                                         cas_failure_order(order_of<Orders>("L3")))) {
        return {true, 0, dead};
      }
    }
  }

  void give_back(std::uint64_t pid) {
    if (word_->load(order_of<Orders>("L3")) != pid) return;  // (L3)
    // (L2) release: pairs with the next holder's take (L1).
    word_->store(kFree, order_of<Orders>("L2"));
  }

  std::uint64_t holder() const { return word_->load(order_of<Orders>("L3")); }  // (L3)

 private:
  Word* word_;
};

}  // namespace ringlab::detail
