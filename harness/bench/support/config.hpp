// Named sweep configurations: which scenarios, axes and repetitions a run
// registers. `ringlab_bench --config=NAME --benchmark_list_tests` lists them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ringlab::bench {

struct SweepConfig {
  std::string name;
  std::string summary;
  std::vector<std::size_t> payloads;      // bytes per frame
  std::vector<std::size_t> capacities;    // ring / queue slots
  std::vector<std::size_t> writers;       // broadcast: writer counts
  std::vector<std::size_t> readers;       // broadcast and latency: reader counts
  std::vector<std::size_t> memcpy_sizes;  // the memcpy limit's sizes
  std::vector<std::size_t> peer_writers = {1};  // peers: writers to 1 reader (above 1: MP peers)
  double min_time_s = 0.1;                // per repetition
  bool pin = true;                        // pin threads to CPUs (never in oversubscription)
  bool scaling_only = false;              // only the broadcast and latency thread sweeps

  // quick and smoke keep broadcast, read-only and latency to 64-byte frames.
  bool is_quick_set() const { return name == "quick" || name == "smoke"; }
};

// Where a benchmark's name starts: ring/<scenario>/<variant>/..., peer/...,
// limit/...; the report parses names as <family>/<scenario>/<subject>/k:v...
const std::vector<SweepConfig>& sweep_configs();
const SweepConfig* find_config(std::string_view name);

// Each part of the binary registers its benchmarks for a configuration.
void register_ring_benchmarks(const SweepConfig& config);
void register_peer_benchmarks(const SweepConfig& config);
void register_limit_benchmarks(const SweepConfig& config);

// Benchmark names: "<family>/<scenario>/<subject>" plus "/key:value" parts.
std::string bench_name(std::string_view family, std::string_view scenario,
                       std::string_view subject,
                       std::initializer_list<std::pair<std::string_view, std::size_t>> axes);

}  // namespace ringlab::bench
