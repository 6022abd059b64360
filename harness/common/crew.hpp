// Threads of a benchmark or a stress run: which CPUs a process may use,
// pinning, and a crew with a start line, so that every thread of a scenario
// begins its work together, and a stop flag.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

namespace ringlab::harness {

// The CPUs this process may run on, in order, as they were at the first call
// (made before any thread pins itself). Read afresh, the affinity of a thread
// that had pinned itself would be its one CPU, and unpinning to it would
// leave the thread pinned, and the threads it starts after, for good.
inline const std::vector<int>& allowed_cpus() {
  static const std::vector<int> cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> found;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) found.push_back(cpu);
      }
    }
    if (found.empty()) found.push_back(0);
    return found;
  }();
  return cpus;
}

// The CPU of the role-th thread of a scenario: the role-th allowed CPU,
// wrapping around. A peer process takes its reader's CPU from here too.
inline int cpu_of_role(std::size_t role) {
  const std::vector<int>& cpus = allowed_cpus();
  return cpus[role % cpus.size()];
}

// Pins the calling thread to one CPU; false if the kernel refuses.
inline bool pin_current_thread_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Pins the calling thread to the CPU of its role, or leaves it to the
// scheduler when pin is false. Returns the CPU, or -1.
inline int pin_current_thread(std::size_t role, bool pin) {
  if (!pin) return -1;
  const int cpu = cpu_of_role(role);
  return pin_current_thread_to(cpu) ? cpu : -1;
}

// Restores the calling thread's affinity to every allowed CPU.
inline void unpin_current_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : allowed_cpus()) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// Threads that wait at a start line until the timing thread releases them, and
// run until it raises stop. Their memory orders, (C1)..(C6), order only the
// harness's own set-up and shutdown, never what is measured.
// A thread takes its CPU before it reports ready: one created by a thread
// already pinned would otherwise start on its creator's CPU and, behind a
// creator that never yields, not run at all until the scheduler preempts it.
class Crew {
  // (C1) acq_rel / (C2) acquire: a thread's arrival at the line; (C2) pairs
  // with (C1), so start() returns only after every thread has pinned itself.
  static constexpr std::memory_order kArrive = std::memory_order_acq_rel;
  static constexpr std::memory_order kCountArrivals = std::memory_order_acquire;
  // (C3) release: pairs with (C4); what the timing thread set up before
  // start() is visible to every crew thread once it leaves the line.
  static constexpr std::memory_order kGo = std::memory_order_release;
  static constexpr std::memory_order kWaitForGo = std::memory_order_acquire;  // (C4)
  // (C5) release: pairs with (C6); ends the crew's loops. Tallies are read
  // after join, which orders them by itself.
  static constexpr std::memory_order kStop = std::memory_order_release;
  static constexpr std::memory_order kCheckStop = std::memory_order_acquire;  // (C6)

 public:
  explicit Crew(bool pin = false) : pin_(pin) {}

  // Body(std::size_t index, const Crew&); the thread runs on the cpu_role-th
  // allowed CPU when the crew pins and a role is given.
  template <class Body>
  void spawn(std::size_t index, Body body, std::optional<std::size_t> cpu_role = std::nullopt) {
    threads_.emplace_back([this, index, body, cpu_role]() mutable {
      if (cpu_role) pin_current_thread(*cpu_role, pin_);
      ready_.fetch_add(1, kArrive);                                  // (C1)
      while (!go_.load(kWaitForGo)) std::this_thread::yield();      // (C4)
      body(index, *this);
    });
  }

  // Waits until every spawned thread stands at the line, then lets them go.
  void start() {
    while (ready_.load(kCountArrivals) != threads_.size()) std::this_thread::yield();  // (C2)
    go_.store(true, kGo);                                                                // (C3)
  }

  bool stopping() const { return stop_.load(kCheckStop); }  // (C6)

  void stop_and_join() {
    stop_.store(true, kStop);  // (C5)
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  ~Crew() {
    if (!threads_.empty()) stop_and_join();
  }

 private:
  const bool pin_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> ready_{0};
  std::atomic<bool> go_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace ringlab::harness
