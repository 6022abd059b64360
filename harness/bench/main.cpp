// ringlab_bench: the variants, the peers and the machine's limit in one
// Google Benchmark binary. `--config=NAME` picks what is registered; every
// other flag is Google Benchmark's own.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rings/cross_process.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/stamp_clock.hpp"
#include "support/subjects.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {

const std::vector<SweepConfig>& sweep_configs() {
  static const std::vector<SweepConfig> configs = [] {
    // 2 writers x 1 reader only where a variant has several writers (and
    // beside the MPMC peers); the cross-process twins at 1 x 1.
    const SweepConfig quick{
        .name = "quick",
        .summary = "every variant, peer and limit at 1 writer x 1 reader, 64-byte frames, "
                   "capacity 1024, and 2 writers x 1 reader for multi-writer variants and "
                   "multi-producer peers; "
                   "write-only over payload sizes; one targeted variant per storage "
                   "cross-process too; minutes on 2 cores",
        .payloads = {8, 64, 512, 4096},
        .capacities = {1024},
        .writers = {1, 2},
        .readers = {1},
        .memcpy_sizes = {8, 64, 512, 4096},
        .peer_writers = {1, 2},
        .min_time_s = 0.2};
    SweepConfig smoke = quick;
    smoke.name = "smoke";
    smoke.summary = "the quick set, each benchmark for about 10 ms: ctest's check that "
                    "every benchmark runs and reports sane counters";
    smoke.min_time_s = 0.01;
    return std::vector<SweepConfig>{
        quick,
        smoke,
        {.name = "full",
         .summary = "payload 8-4096 B x capacity 64-65536 x 1-2 writers x 1-2 readers; "
                    "cross-process at 1 x 1 for every shareable variant",
         .payloads = {8, 64, 256, 1024, 4096},
         .capacities = {64, 1024, 65536},
         .writers = {1, 2},
         .readers = {1, 2},
         .memcpy_sizes = {8, 64, 256, 1024, 4096},
         .peer_writers = {1, 2},
         .min_time_s = 0.25},
        {.name = "scaling",
         .summary = "broadcast and latency with 1, 2, 4 and 8 readers and 1 and 2 writers, "
                    "64-byte frames; meant for machines with many cores",
         .payloads = {64},
         .capacities = {1024},
         .writers = {1, 2},
         .readers = {1, 2, 4, 8},
         .memcpy_sizes = {64},
         .min_time_s = 0.2,
         .scaling_only = true},
    };
  }();
  return configs;
}

const SweepConfig* find_config(std::string_view name) {
  for (const auto& c : sweep_configs()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string bench_name(std::string_view family, std::string_view scenario,
                       std::string_view subject,
                       std::initializer_list<std::pair<std::string_view, std::size_t>> axes) {
  std::string name;
  name.append(family).append("/").append(scenario).append("/").append(subject);
  for (const auto& [key, value] : axes) {
    name.append("/").append(key).append(":").append(std::to_string(value));
  }
  return name;
}

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "Usage: ringlab_bench [--config=NAME] [Google Benchmark flags]\n"
               "\n"
               "Runs the ring variants, the peer queues and the machine's limits (cache-line\n"
               "ping-pong, memcpy) as Google Benchmark benchmarks named\n"
               "<family>/<scenario>/<subject>/key:value... Scenarios ending in _xproc run\n"
               "their reader in a second process (this binary, started by the benchmark)\n"
               "over a ring in POSIX shared memory.\n"
               "\n"
               "  --config=NAME   what to register (default quick):\n");
  for (const auto& c : sweep_configs()) {
    std::fprintf(out, "      %-8s %s\n", c.name.c_str(), c.summary.c_str());
  }
  std::fprintf(out,
               "  --no-pin        leave threads to the scheduler (oversubscription never pins)\n"
               "  --help          this text; --benchmark_help lists Google Benchmark's flags\n"
               "\n"
               "Useful Google Benchmark flags: --benchmark_list_tests, --benchmark_filter=REGEX,\n"
               "--benchmark_repetitions=N, --benchmark_out=FILE --benchmark_out_format=json.\n"
               "Where JSON is written, latency rows add their histogram's buckets\n"
               "(hist_le_<ns>: samples up to that bound) for the report's spectrum.\n"
               "scripts/ringlab bench runs a whole configuration with progress and context.\n");
}

}  // namespace
}  // namespace ringlab::bench

int main(int argc, char** argv) {
  using namespace ringlab::bench;
  // A cross-process benchmark's reader: this binary again, never a benchmark run.
  if (argc > 1 && argv[1] == kPeerFlag) return cross_process_peer_main(argc, argv);
  std::string config_name = "quick";
  bool pin = true;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg == "--benchmark_help") {
      rest.push_back(const_cast<char*>("--help"));
    } else if (arg.rfind("--config=", 0) == 0) {
      config_name = std::string(arg.substr(std::strlen("--config=")));
    } else if (arg == "--no-pin") {
      pin = false;
    } else {
      if (arg.rfind("--benchmark_out=", 0) == 0 || arg == "--benchmark_format=json") {
        bucket_export_enabled() = true;
      }
      rest.push_back(argv[i]);
    }
  }
  const SweepConfig* found = find_config(config_name);
  if (found == nullptr) {
    std::fprintf(stderr, "ringlab_bench: unknown configuration '%s'\n\n", config_name.c_str());
    usage(stderr);
    return 2;
  }
  SweepConfig config = *found;
  config.pin = config.pin && pin;

  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) {
    std::fprintf(stderr, "\n");
    usage(stderr);
    return 2;
  }

  const StampClock& clock = StampClock::get();
  benchmark::AddCustomContext("ringlab_config", config.name);
  benchmark::AddCustomContext("ringlab_pinned", config.pin ? "yes" : "no");
  benchmark::AddCustomContext("ringlab_allowed_cpus", std::to_string(allowed_cpus().size()));
  benchmark::AddCustomContext("ringlab_stamp_clock", std::string(clock.source()));
  benchmark::AddCustomContext("ringlab_stamp_cost_ns", std::to_string(clock.stamp_cost_ns()));
  benchmark::AddCustomContext("ringlab_stamp_resolution_ns",
                              std::to_string(clock.resolution_ns()));
  benchmark::AddCustomContext("ringlab_compiler", __VERSION__);

  register_ring_benchmarks(config);
  register_peer_benchmarks(config);
  register_limit_benchmarks(config);
  benchmark::AddCustomContext("ringlab_subjects", subjects_json());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
