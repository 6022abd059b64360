// The stamp clock: its ticks convert to nanoseconds that agree with
// steady_clock, and stamps never run backwards on one thread.
#include "support/stamp_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace ringlab::bench {
namespace {

TEST(StampClock, AgreesWithSteadyClockOverTenMilliseconds) {
  const StampClock& clock = StampClock::get();
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t s0 = clock.now();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::uint64_t s1 = clock.now();
  const double steady_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  const double stamp_ns = static_cast<double>(clock.elapsed_ns(s0, s1));
  EXPECT_GT(stamp_ns, 0.9 * 10e6);
  EXPECT_LT(stamp_ns, 1.05 * steady_ns + 1e5);
}

TEST(StampClock, NeverRunsBackwardsOnOneThread) {
  const StampClock& clock = StampClock::get();
  std::uint64_t last = clock.now();
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t now = clock.now();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(StampClock, ReportsItsSourceAndCost) {
  const StampClock& clock = StampClock::get();
  EXPECT_TRUE(clock.source() == "tsc" || clock.source() == "steady_clock");
  EXPECT_GT(clock.stamp_cost_ns(), 0.0);
  EXPECT_LT(clock.stamp_cost_ns(), 10000.0);
  EXPECT_EQ(clock.elapsed_ns(100, 50), 0u);  // out of order: never a huge unsigned value
}

// A peer process takes its parent's calibration instead of making its own.
// In a fresh process (threadsafe death tests re-run the binary): an earlier
// test's get() would already have made this one's clock.
TEST(StampClockDeathTest, AdoptedCalibrationReplacesCalibrating) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto adopt_then_get = [] {
    StampClock::adopt({.use_tsc = false, .ns_per_tick = 2.0, .stamp_cost_ns = 3.0,
                       .resolution_ns = 4.0});
    const StampClock& clock = StampClock::get();
    const bool adopted = clock.source() == "steady_clock" && clock.to_ns(21) == 42 &&
                         clock.stamp_cost_ns() == 3.0 && clock.resolution_ns() == 4.0;
    std::exit(adopted ? 0 : 1);
  };
  EXPECT_EXIT(adopt_then_get(), testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace ringlab::bench
