// A Sync policy for the sleepers shape: a BlockingWait sleeper gives up the
// processor between its last look at the ring and the futex wait, as a reader
// preempted at the worst moment would. A writer that wakes without first
// changing the futex word then wakes nobody, and the sleeper sleeps through the
// frame; with the change the sleeper's futex wait returns at once. On a 2-core
// machine that moment is hit about once in 10^4 frames without this; here it
// is hit in most runs of a few seconds.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "ringlab/sync.hpp"

namespace ringlab::stress {

struct PreemptedSleepSync : StdSync {
  static bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                         clock::time_point deadline) {
    std::this_thread::yield();  // after the sleeper read the word, before the kernel does
    return StdSync::futex_wait(word, expected, deadline);
  }
};

}  // namespace ringlab::stress
