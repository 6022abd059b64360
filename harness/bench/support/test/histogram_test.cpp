// The latency histogram behind every percentile a report prints.
#include "support/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace ringlab::bench {
namespace {

TEST(LatencyHistogram, EveryValueFallsInABucketThatHoldsIt) {
  std::uint64_t last_upper = 0;
  for (std::size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
    const std::uint64_t upper = LatencyHistogram::upper_bound_of(b);
    if (b > 0) {
      ASSERT_GT(upper, last_upper) << "bucket " << b;
      ASSERT_EQ(LatencyHistogram::bucket_of(last_upper + 1), b) << "bucket " << b;
    }
    ASSERT_EQ(LatencyHistogram::bucket_of(upper), b) << "bucket " << b;
    last_upper = upper;
  }
  EXPECT_EQ(last_upper, ~std::uint64_t{0});
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 0; v < 100; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 99u);
  EXPECT_EQ(h.percentile(0.5), 49u);
  EXPECT_EQ(h.percentile(0.99), 98u);
  EXPECT_EQ(h.percentile(1.0), 99u);
}

TEST(LatencyHistogram, PercentilesAreWithinOneSixtyFourthOfTheExactOnes) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(6.0, 1.2);  // ~400 ns median, a long tail
  std::vector<std::uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng));
    samples.push_back(v);
    h.record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const std::uint64_t exact =
        samples[static_cast<std::size_t>(q * static_cast<double>(samples.size())) - 1];
    const std::uint64_t got = h.percentile(q);
    EXPECT_GE(got, exact) << "q = " << q;  // a bucket's upper bound, never below
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 64) + 1)
        << "q = " << q;
  }
  EXPECT_EQ(h.max(), samples.back());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    (v % 3 ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double q : {0.1, 0.5, 0.9, 0.999}) EXPECT_EQ(a.percentile(q), all.percentile(q));
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

}  // namespace
}  // namespace ringlab::bench
