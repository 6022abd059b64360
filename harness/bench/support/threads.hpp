// Threads of a benchmark: which CPUs it may use, pinning, and a start line so
// that every thread of a scenario begins its timed work together.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

namespace ringlab::bench {

// The CPUs this process may run on, in order.
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

// Pins the calling thread to the role-th allowed CPU (wrapping around), or
// leaves it to the scheduler when pin is false. Returns the CPU, or -1.
inline int pin_current_thread(std::size_t role, bool pin) {
  if (!pin) return -1;
  static const std::vector<int> cpus = allowed_cpus();
  const int cpu = cpus[role % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0 ? cpu : -1;
}

// Restores the calling thread's affinity to every allowed CPU.
inline void unpin_current_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : allowed_cpus()) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// Threads that wait at a start line until the timing thread releases them, and
// run until it raises stop. Their memory orders do not matter to what is
// measured; acquire/release keeps the tallies they publish visible at join.
// A thread takes its CPU before it reports ready: one created by a thread
// already pinned would otherwise start on its creator's CPU and, behind a
// creator that never yields, not run at all until the scheduler preempts it.
class Crew {
 public:
  explicit Crew(bool pin = false) : pin_(pin) {}

  // Body(std::size_t index, const Crew&); the thread runs on the cpu_role-th
  // allowed CPU when the crew pins and a role is given.
  template <class Body>
  void spawn(std::size_t index, Body body, std::optional<std::size_t> cpu_role = std::nullopt) {
    threads_.emplace_back([this, index, body, cpu_role]() mutable {
      if (cpu_role) pin_current_thread(*cpu_role, pin_);
      ready_.fetch_add(1, std::memory_order_acq_rel);
      while (!go_.load(std::memory_order_acquire)) std::this_thread::yield();
      body(index, *this);
    });
  }

  // Waits until every spawned thread stands at the line, then lets them go.
  void start() {
    while (ready_.load(std::memory_order_acquire) != threads_.size()) std::this_thread::yield();
    go_.store(true, std::memory_order_release);
  }

  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  void stop_and_join() {
    stop_.store(true, std::memory_order_release);
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

}  // namespace ringlab::bench
