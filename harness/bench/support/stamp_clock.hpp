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
#include <optional>
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
  // What calibration finds. A peer process adopts its parent's, so that both
  // convert ticks to nanoseconds by the very same factor.
  struct Calibration {
    bool use_tsc = false;
    double ns_per_tick = 1.0;
    double stamp_cost_ns = 0.0;
    double resolution_ns = 0.0;
  };

  // Calibrated once per process (about 20 ms), unless adopted.
  static const StampClock& get() {
    static const StampClock clock(adopted() ? *adopted() : calibrate());
    return clock;
  }

  // Makes get() use `calibration` rather than calibrate. Only before the
  // process's first get(): the clock is made once.
  static void adopt(const Calibration& calibration) { adopted() = calibration; }

  const Calibration& calibration() const { return calibration_; }

  std::uint64_t now() const { return now(calibration_.use_tsc); }

  std::uint64_t to_ns(std::uint64_t ticks) const {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) * calibration_.ns_per_tick);
  }
  // ticks between a later and an earlier stamp, as ns; 0 if out of order.
  std::uint64_t elapsed_ns(std::uint64_t earlier, std::uint64_t later) const {
    return later > earlier ? to_ns(later - earlier) : 0;
  }

  std::string_view source() const { return calibration_.use_tsc ? "tsc" : "steady_clock"; }
  double ns_per_tick() const { return calibration_.ns_per_tick; }
  double stamp_cost_ns() const { return calibration_.stamp_cost_ns; }
  // The smallest step between two stamps read back to back: no figure is finer.
  double resolution_ns() const { return calibration_.resolution_ns; }

 private:
  explicit StampClock(const Calibration& calibration) : calibration_(calibration) {}

  static std::optional<Calibration>& adopted() {
    static std::optional<Calibration> calibration;
    return calibration;
  }

  static std::uint64_t now(bool use_tsc) {
#if RINGLAB_HAVE_TSC
    if (use_tsc) {
      // lfence: the stamp is not taken before the loads that precede it.
      _mm_lfence();
      return __rdtsc();
    }
#endif
    return steady_ns();
  }

  static Calibration calibrate() {
    Calibration c;
#if RINGLAB_HAVE_TSC
    c.use_tsc = cpu_flags_have("constant_tsc") && cpu_flags_have("nonstop_tsc");
#endif
    const auto stamp = [&c] { return now(c.use_tsc); };
    if (c.use_tsc) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::uint64_t c0 = stamp();
      while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(20)) {
      }
      const std::uint64_t c1 = stamp();
      const auto t1 = std::chrono::steady_clock::now();
      c.ns_per_tick = std::chrono::duration<double, std::nano>(t1 - t0).count() /
                      static_cast<double>(c1 - c0);
    }
    constexpr int kStamps = 1 << 16;
    const std::uint64_t begin = stamp();
    std::uint64_t sink = 0;
    for (int i = 0; i < kStamps; ++i) sink += stamp();
    c.stamp_cost_ns = static_cast<double>(stamp() - begin) * c.ns_per_tick / kStamps;
    std::uint64_t finest = ~std::uint64_t{0};
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t a = stamp();
      std::uint64_t b = stamp();
      while (b == a) b = stamp();
      finest = std::min(finest, b - a);
    }
    c.resolution_ns = static_cast<double>(finest) * c.ns_per_tick;
    // The stamps' sum, kept: the loop must not be optimised away.
    volatile std::uint64_t keep = sink;
    (void)keep;
    return c;
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

  Calibration calibration_;
};

}  // namespace ringlab::bench
