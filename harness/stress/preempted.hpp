// A Sync policy for the sleepers shape: a BlockingWait sleeper gives up the
// processor between its last look at the ring and the start of its
// condition-variable wait, as a reader preempted at the worst moment would.
// A writer that signals without the sleeper's mutex then notifies nobody and
// the sleeper sleeps through the frame; with the mutex the writer waits for the
// sleeper to be inside the wait. On a 2-core machine that moment is hit about
// once in 10^4 frames without this; here it is hit in most runs of a few seconds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ringlab/sync.hpp"

namespace ringlab::stress {

struct PreemptedSleepSync : StdSync {
  class condition_variable {
   public:
    template <class Clock, class Duration>
    std::cv_status wait_until(std::unique_lock<StdSync::mutex>& lock,
                              const std::chrono::time_point<Clock, Duration>& deadline) {
      std::this_thread::yield();  // still holding the sleeper's mutex, as a preempted one does
      return cv_.wait_until(lock, deadline);
    }
    void notify_all() { cv_.notify_all(); }
    void notify_one() { cv_.notify_one(); }

   private:
    std::condition_variable cv_;
  };
};

}  // namespace ringlab::stress
