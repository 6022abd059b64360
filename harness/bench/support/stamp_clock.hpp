// Timestamps for one-way latency: a stamp taken on one core and read on
// another. The TSC where the kernel reports it constant and nonstop (it then
// ticks alike on every core), steady_clock otherwise. The source, its rate and
// the cost of one stamp go into the run's context, so a reader of a report
// knows what a nanosecond here means.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define RINGLAB_HAVE_TSC 1
#else
#define RINGLAB_HAVE_TSC 0
#endif

namespace ringlab::bench {

class StampClock {
 public:
  // Calibrated once per process (about 20 ms).
  static const StampClock& get() {
    static const StampClock clock;
    return clock;
  }

  std::uint64_t now() const {
#if RINGLAB_HAVE_TSC
    if (use_tsc_) {
      // lfence: the stamp is not taken before the loads that precede it.
      _mm_lfence();
      return __rdtsc();
    }
#endif
    return steady_ns();
  }

  std::uint64_t to_ns(std::uint64_t ticks) const {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick_);
  }
  // ticks between a later and an earlier stamp, as ns; 0 if out of order.
  std::uint64_t elapsed_ns(std::uint64_t earlier, std::uint64_t later) const {
    return later > earlier ? to_ns(later - earlier) : 0;
  }

  std::string_view source() const { return use_tsc_ ? "tsc" : "steady_clock"; }
  double ns_per_tick() const { return ns_per_tick_; }
  double stamp_cost_ns() const { return stamp_cost_ns_; }
  // The smallest step between two stamps read back to back: no figure is finer.
  double resolution_ns() const { return resolution_ns_; }

 private:
  StampClock() {
#if RINGLAB_HAVE_TSC
    use_tsc_ = cpu_flags_have("constant_tsc") && cpu_flags_have("nonstop_tsc");
#endif
    if (use_tsc_) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::uint64_t c0 = now();
      while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(20)) {
      }
      const std::uint64_t c1 = now();
      const auto t1 = std::chrono::steady_clock::now();
      ns_per_tick_ = std::chrono::duration<double, std::nano>(t1 - t0).count() /
                     static_cast<double>(c1 - c0);
    }
    constexpr int kStamps = 1 << 16;
    const std::uint64_t begin = now();
    std::uint64_t sink = 0;
    for (int i = 0; i < kStamps; ++i) sink += now();
    stamp_cost_ns_ = static_cast<double>(to_ns(now() - begin)) / kStamps;
    sink_ = sink;
    std::uint64_t finest = ~std::uint64_t{0};
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t a = now();
      std::uint64_t b = now();
      while (b == a) b = now();
      finest = std::min(finest, b - a);
    }
    resolution_ns_ = static_cast<double>(finest) * ns_per_tick_;
  }

  static std::uint64_t steady_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }

  static bool cpu_flags_have(std::string_view flag) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      const std::string padded = line + " ";
      return padded.find(" " + std::string(flag) + " ") != std::string::npos;
    }
    return false;
  }

  bool use_tsc_ = false;
  double ns_per_tick_ = 1.0;
  double stamp_cost_ns_ = 0.0;
  double resolution_ns_ = 0.0;
  std::uint64_t sink_ = 0;
};

}  // namespace ringlab::bench
