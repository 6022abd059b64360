// The counters every benchmark reports, by one name each, so that the report
// reads every scenario, peer and limit alike. Rates are per second of real time.
//   frames_per_s       frames written (rings) or pushed (peers), all writers
//   delivered_per_s    frames one reader received per second, mean over readers
//   bytes_per_s        payload bytes behind delivered_per_s (or written, or copied)
//   loss_rate          frames a reader lost / (received + lost), over readers
//   retries_per_frame  polls stopped at a Pending counter, per frame received
//   p50_ns p90_ns p99_ns p999_ns max_ns samples   latency histogram
//   hist_le_<N>        samples of latency <= N ns and above the next lower hist_le_
//                      bound: the histogram's non-empty exported buckets, for the
//                      report's percentile spectrum (merged over repetitions); only
//                      where the run writes JSON (bucket_export_enabled)
//   one_way_ns         the limit: mean cache-line ping-pong round trip / 2
//   oversubscribed     peers: 1 where the scenario has more threads than the CPUs it may use
//   reorder_rate       peers: frames that overtook an earlier frame of their writer, per frame
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/histogram.hpp"

namespace ringlab::bench {

inline constexpr const char* kBucketCounterPrefix = "hist_le_";

// The histogram's buckets as counters: Google Benchmark's JSON holds a row's counters
// as flat numbers, so each bucket is one, named by its upper bound.
inline std::vector<std::pair<std::string, double>> bucket_counters(const LatencyHistogram& h) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [bound, count] : h.export_buckets()) {
    out.emplace_back(kBucketCounterPrefix + std::to_string(bound), static_cast<double>(count));
  }
  return out;
}

// Whether report_latency adds the bucket counters: main() turns it on where the run
// writes JSON (--benchmark_out, --benchmark_format=json); a console-only run leaves it
// off, as dozens of buckets would bury each line's figures.
inline bool& bucket_export_enabled() {
  static bool enabled = false;
  return enabled;
}

inline void report_latency(benchmark::State& state, const LatencyHistogram& h) {
  if (bucket_export_enabled()) {
    for (const auto& [name, count] : bucket_counters(h)) state.counters[name] = count;
  }
  state.counters["p50_ns"] = static_cast<double>(h.percentile(0.50));
  state.counters["p90_ns"] = static_cast<double>(h.percentile(0.90));
  state.counters["p99_ns"] = static_cast<double>(h.percentile(0.99));
  state.counters["p999_ns"] = static_cast<double>(h.percentile(0.999));
  state.counters["max_ns"] = static_cast<double>(h.max());
  state.counters["samples"] = static_cast<double>(h.count());
}

struct ReaderTotals {
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t retries = 0;
  std::size_t readers = 0;
};

// seconds: the real time the writers and readers ran together.
inline void report_flow(benchmark::State& state, double seconds, std::uint64_t written,
                        const ReaderTotals& readers, std::size_t payload) {
  if (seconds <= 0) return;
  state.counters["frames_per_s"] = static_cast<double>(written) / seconds;
  if (readers.readers == 0) {
    state.counters["bytes_per_s"] = static_cast<double>(written * payload) / seconds;
    return;
  }
  const double per_reader = static_cast<double>(readers.received) /
                            static_cast<double>(readers.readers) / seconds;
  state.counters["delivered_per_s"] = per_reader;
  state.counters["bytes_per_s"] = per_reader * static_cast<double>(payload);
  const std::uint64_t seen = readers.received + readers.lost;
  state.counters["loss_rate"] =
      seen ? static_cast<double>(readers.lost) / static_cast<double>(seen) : 0.0;
  state.counters["retries_per_frame"] =
      readers.received ? static_cast<double>(readers.retries) /
                             static_cast<double>(readers.received)
                       : 0.0;
}

}  // namespace ringlab::bench
