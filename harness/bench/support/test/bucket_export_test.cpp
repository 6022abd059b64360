// The histogram's buckets as bench.json exports them: the report rebuilds a run's
// percentile spectrum from these counters alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "support/counters.hpp"
#include "support/histogram.hpp"

namespace ringlab::bench {
namespace {

std::map<std::uint64_t, double> parsed(const LatencyHistogram& h) {
  std::map<std::uint64_t, double> out;
  const std::string prefix = kBucketCounterPrefix;
  for (const auto& [name, count] : bucket_counters(h)) {
    EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
    const std::uint64_t bound = std::stoull(name.substr(prefix.size()));
    EXPECT_TRUE(out.emplace(bound, count).second) << "bound twice: " << name;
  }
  return out;
}

TEST(BucketExport, EmptyHistogramExportsNothing) {
  EXPECT_TRUE(bucket_counters(LatencyHistogram{}).empty());
}

TEST(BucketExport, SmallValuesKeepTheirOwnBucket) {
  LatencyHistogram h;
  h.record(7);
  h.record(7);
  h.record(31);
  const auto buckets = parsed(h);
  EXPECT_EQ(buckets, (std::map<std::uint64_t, double>{{7, 2.0}, {31, 1.0}}));
}

TEST(BucketExport, EverySampleIsCountedOnceUnderABoundThatHoldsIt) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(5.0, 1.5);
  LatencyHistogram h;
  std::map<std::uint64_t, double> expected;  // by the exported rule, sample by sample
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng));
    h.record(v);
    const std::uint64_t bound = LatencyHistogram::export_bound_of(v);
    ASSERT_GE(bound, v);
    ASSERT_LE(static_cast<double>(bound), static_cast<double>(v) * (1.0 + 1.0 / 16) + 1);
    expected[bound] += 1.0;
  }
  EXPECT_EQ(parsed(h), expected);
}

TEST(BucketExport, NativeBucketsNestInExportedOnes) {
  for (std::size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
    const std::uint64_t upper = LatencyHistogram::upper_bound_of(b);
    const std::uint64_t lower = b == 0 ? 0 : LatencyHistogram::upper_bound_of(b - 1) + 1;
    ASSERT_EQ(LatencyHistogram::export_bound_of(lower),
              LatencyHistogram::export_bound_of(upper))
        << "native bucket " << b << " straddles two exported ones";
  }
}

TEST(BucketExport, FewCountersForAWideSpread) {
  LatencyHistogram h;
  for (std::uint64_t v = 0; v < (std::uint64_t{1} << 24); v += v / 1000 + 1) h.record(v);
  // Every value from 0 to 16.7 ms, at most 0.1% apart: 32 exact bounds and 16 for each
  // of the 19 powers of two from 32 ns up, whatever the number of samples.
  EXPECT_EQ(bucket_counters(h).size(), 32u + 16u * 19u);
  EXPECT_GT(h.count(), 8'000u);
}

}  // namespace
}  // namespace ringlab::bench
