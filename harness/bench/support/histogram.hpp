// LatencyHistogram: log-linear buckets over nanoseconds, fixed size, so a
// thread records without allocating; one per thread, merged after the run.
// Values below 2^kSubBits ns have a bucket each (as exact as the clock: see
// StampClock::resolution_ns); above, each power of two is cut into
// 2^(kSubBits-1) buckets, so a percentile is within 1/64 (1.6%) of the value.
// (Debian packages no C/C++ HdrHistogram; this is the same idea, smaller.)
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace ringlab::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kExact = std::uint64_t{1} << kSubBits;  // 128
  static constexpr int kHalf = 1 << (kSubBits - 1);                     // 64 per octave
  static constexpr int kOctaves = 64 - kSubBits;
  static constexpr std::size_t kBuckets = kExact + std::size_t{kOctaves} * kHalf;

  void record(std::uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++count_;
    max_ = std::max(max_, ns);
    min_ = std::min(min_, ns);
  }

  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
  }

  void clear() { *this = LatencyHistogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return count_ ? max_ : 0; }
  std::uint64_t min() const { return count_ ? min_ : 0; }

  // The smallest recorded-bucket bound v with at least q of the samples <= v
  // (q in [0, 1]); exact below 128 ns, the bucket's upper bound above.
  std::uint64_t percentile(double q) const {
    if (count_ == 0) return 0;
    const double wanted = q * static_cast<double>(count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (counts_[i] != 0 && static_cast<double>(seen) >= wanted) {
        return std::min(upper_bound_of(i), max_);
      }
    }
    return max_;
  }

  // The buckets a run exports (counters.hpp): 16 per power of two from 32 ns, exact
  // below, so a bound is within 1/16 of its values. Coarser than the native ones to
  // keep a run's JSON small, fine enough for a percentile spectrum; each native bucket
  // lies inside one exported bucket, so exporting loses no ordering.
  static constexpr int kExportSubBits = 4;
  static constexpr std::uint64_t kExportExact = std::uint64_t{2} << kExportSubBits;  // 32

  static std::uint64_t export_bound_of(std::uint64_t ns) {
    if (ns < kExportExact) return ns;
    const int shift = std::bit_width(ns) - 1 - kExportSubBits;
    const std::uint64_t width = std::uint64_t{1} << shift;
    return (ns >> shift << shift) + (width - 1);
  }

  // (upper bound in ns, samples) of each non-empty exported bucket, bounds ascending.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> export_buckets() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      if (counts_[i] == 0) continue;
      const std::uint64_t bound = export_bound_of(upper_bound_of(i));
      if (!out.empty() && out.back().first == bound) {
        out.back().second += counts_[i];
      } else {
        out.emplace_back(bound, counts_[i]);
      }
    }
    return out;
  }

  static std::size_t bucket_of(std::uint64_t ns) {
    if (ns < kExact) return static_cast<std::size_t>(ns);
    const int top = std::bit_width(ns) - 1;  // >= kSubBits
    const int shift = top - (kSubBits - 1);
    const std::uint64_t sub = (ns >> shift) - kHalf;  // in [0, kHalf)
    return kExact + static_cast<std::size_t>(top - kSubBits) * kHalf + sub;
  }

  static std::uint64_t upper_bound_of(std::size_t bucket) {
    if (bucket < kExact) return bucket;
    const std::size_t octave = (bucket - kExact) / kHalf;
    const std::uint64_t sub = (bucket - kExact) % kHalf;
    const int shift = static_cast<int>(octave) + 1;
    const std::uint64_t low = (kHalf + sub) << shift;
    return low + (std::uint64_t{1} << shift) - 1;
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace ringlab::bench
