// stalled's twin with the reader in another process:
//   stalled_xproc  the writer's own write latency and rate (stalled,
//                  latency.cpp) with a reader process polling beside it
//                  (stall:1), and with that reader sharing its CPU with a busy
//                  thread of its process (stall:2, always pinned), so the
//                  reader is preempted at arbitrary points, inside a read too.
// stall:0 has no reader, so no process to put it in: the in-process figure is
// the twin of both. Names and axes are the twin's
// (ring/stalled_xproc/<variant>/stall/payload/cap).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rings/cross_process.hpp"
#include "rings/cross_process_run.hpp"
#include "rings/ring_roles.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench::xproc {
namespace {

template <class RingT>
void stalled_xproc(benchmark::State& state, const PeerTask& task,
                   const typename RingT::StorageOptions& options, bool pin) {
  const std::vector<std::byte> bytes(task.payload, std::byte{0x5A});
  std::optional<CrossProcessRun<RingT>> run = start<RingT>(state, task, options, pin);
  if (!run) return;
  RingT& ring = run->shared.ring();
  LatencyHistogram writes;
  const StampClock& clock = StampClock::get();
  const auto began = WallClock::now();
  for (auto _ : state) {
    const std::uint64_t t0 = clock.now();
    write_frame(ring, NodeId(0), bytes, &kNeverStop);
    writes.record(clock.elapsed_ns(t0, clock.now()));
  }
  const double seconds = seconds_since(began);
  unpin_current_thread();
  const std::optional<std::vector<ReaderLatency>> reader = finish(state, run->peers);
  if (!reader) return;
  report_flow(state, seconds, state.iterations(), totals_of(*reader), task.payload);
  report_latency(state, writes);
}

}  // namespace

void register_stalled(const SweepConfig& config) {
  // stalled's one payload, where the sweep has it.
  constexpr std::size_t kPayload = 64;
  if (std::ranges::find(config.payloads, kPayload) == config.payloads.end()) return;
  for_each_shared_variant([&]<class V>() {
    using RingT = typename V::shared_ring;
    const std::string_view variant = V::name;
    const auto options = V::shared_options();
    if (config.is_quick_set() && !kInQuickSet<V>) return;
    for (std::size_t cap : config.capacities) {
      for (std::uint32_t stall : {1U, 2U}) {
        // A preempted reader needs its hog on its own CPU: stall 2 always pins.
        const bool pin = config.pin || stall > 1;
        benchmark::RegisterBenchmark(
            bench_name("ring", "stalled_xproc", variant,
                       {{"stall", stall}, {"payload", kPayload}, {"cap", cap}})
                .c_str(),
            [=](benchmark::State& s) {
              // Each call gets a fresh task: its own ring name.
              PeerTask task = make_task(PeerScenario::kStalled, variant, kPayload, cap, pin);
              task.hog = stall > 1 ? 1 : 0;
              stalled_xproc<RingT>(s, task, options, pin);
            })
            ->UseRealTime()
            ->MinTime(config.min_time_s);
      }
    }
  });
}

}  // namespace ringlab::bench::xproc
