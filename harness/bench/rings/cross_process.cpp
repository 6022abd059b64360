// Cross-process scenarios, each the twin of an in-process one with its
// readers in other processes:
//   latency_xproc    latency (latency.cpp) at 1 writer x 1 reader: one-way,
//                    stamp to receipt, the writer waiting for the
//                    acknowledgement between frames
//   broadcast_xproc  broadcast (throughput.cpp) at 1 x 1: the writer flat out,
//                    the reader counting what it receives and loses
//   oversub_xproc    oversub (latency.cpp): latency's loop with twice as many
//                    reader processes as CPUs, unpinned, per wait strategy;
//                    each reader its own process and control block
// stalled_xproc is in cross_process_stalled.cpp. Names and axes are the twins'
// (ring/<scenario>_xproc/<variant>/...), so a report sets each beside its
// twin. The writer is the benchmark's own thread on the writer's CPU; a peer
// process, this binary run with --xproc-peer, reads on the CPU the in-process
// reader would take (or anywhere, oversubscribed). It measures as the
// in-process reader does (rings/stamped.hpp, CursorReader) and hands its
// histogram and tally back through shared memory.
#include "rings/cross_process.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rings/cross_process_run.hpp"
#include "rings/ring_roles.hpp"
#include "rings/stamped.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

// Whether every peer has acknowledged `sequence` before the deadline.
bool all_acked(const xproc::Peers& peers, std::uint64_t sequence,
               WallClock::time_point deadline) {
  for (const auto& peer : peers) {
    if (!await_ack(peer->control().ack, sequence, deadline)) return false;
  }
  return true;
}

// The stamped exchange (rings/stamped.hpp) with `readers` peers: the writer
// stamps a frame, writes it and waits for every peer's acknowledgement, or
// the timeout, before the next; the peers' histograms are merged.
template <class RingT>
void stamped_xproc(benchmark::State& state, const PeerTask& task,
                   const typename RingT::StorageOptions& options, bool pin, std::size_t readers,
                   std::chrono::milliseconds ack_timeout) {
  std::vector<std::byte> frame(task.payload);
  std::uint64_t sequence = 0;
  std::uint64_t timeouts = 0;
  std::optional<xproc::CrossProcessRun<RingT>> run =
      xproc::start<RingT>(state, task, options, pin, readers);
  if (!run) return;
  RingT& ring = run->shared.ring();
  const xproc::Peers& peers = run->peers;
  const auto began = WallClock::now();
  for (auto _ : state) {
    stamp_frame(frame, 0, ++sequence);
    write_frame(ring, NodeId(0), frame);
    if (all_acked(peers, sequence, WallClock::now() + ack_timeout)) continue;
    ++timeouts;
    if (std::optional<std::string> why = xproc::any_gone(peers)) {
      state.SkipWithError(why->c_str());
      break;
    }
  }
  const double seconds = seconds_since(began);
  unpin_current_thread();
  const std::optional<std::vector<ReaderLatency>> results = xproc::finish(state, peers);
  if (!results) return;
  LatencyHistogram merged;
  std::uint64_t backwards = 0;
  for (const ReaderLatency& reader : *results) {
    merged.merge(reader.histogram);
    backwards += reader.backwards;
  }
  report_flow(state, seconds, sequence, xproc::totals_of(*results), task.payload);
  report_latency(state, merged);
  state.counters["ack_timeouts"] = static_cast<double>(timeouts);
  state.counters["backwards_stamps"] = static_cast<double>(backwards);
}

template <class RingT>
void broadcast_xproc(benchmark::State& state, const PeerTask& task,
                     const typename RingT::StorageOptions& options, bool pin) {
  const std::vector<std::byte> payload = payload_of(task.payload);
  std::optional<xproc::CrossProcessRun<RingT>> run =
      xproc::start<RingT>(state, task, options, pin);
  if (!run) return;
  RingT& ring = run->shared.ring();
  const auto began = WallClock::now();
  for (auto _ : state) write_frame(ring, NodeId(0), payload, &kNeverStop);
  const double seconds = seconds_since(began);
  unpin_current_thread();
  const std::optional<std::vector<ReaderLatency>> results = xproc::finish(state, run->peers);
  if (!results) return;
  report_flow(state, seconds, state.iterations(), xproc::totals_of(*results), task.payload);
}

// One shareable variant per wait strategy: those of for_each_wait_strategy's
// choices that can live in shared memory, so that each has its in-process
// oversub twin.
template <class F>
void for_each_shared_wait_strategy(F&& f) {
  for_each_wait_strategy([&]<class V>() {
    if constexpr (V::shareable) f.template operator()<V>();
  });
}

}  // namespace

void register_cross_process(const SweepConfig& config) {
  if (config.scaling_only) return;
  const auto add = [&](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->MinTime(config.min_time_s);
  };
  for_each_shared_variant([&]<class V>() {
    using RingT = typename V::shared_ring;
    const std::string_view variant = V::name;
    const auto options = V::shared_options();
    if (config.is_quick_set() && !xproc::kInQuickSet<V>) return;
    for (std::size_t cap : config.capacities) {
      for (std::size_t payload : config.payloads) {
        // The quick set's in-process twins run at 64 bytes only.
        if (config.is_quick_set() && payload != 64) continue;
        const auto name = [&](std::string_view scenario) {
          return bench_name("ring", scenario, variant,
                            {{"w", 1}, {"r", 1}, {"payload", payload}, {"cap", cap}});
        };
        // Each call gets a fresh task: its own ring name.
        const auto task = [=](PeerScenario scenario) {
          return xproc::make_task(scenario, variant, payload, cap, config.pin);
        };
        if (payload >= kMinLatencyPayload) {
          add(name("latency_xproc"), [=](benchmark::State& s) {
            stamped_xproc<RingT>(s, task(PeerScenario::kLatency), options, config.pin, 1,
                                 kAckTimeout);
          });
        }
        add(name("broadcast_xproc"), [=](benchmark::State& s) {
          broadcast_xproc<RingT>(s, task(PeerScenario::kBroadcast), options, config.pin);
        });
      }
    }
  });
  xproc::register_stalled(config);
  // oversub's twin: twice as many reader processes as CPUs, unpinned, at the
  // first capacity, as in-process.
  const std::size_t readers = 2 * allowed_cpus().size();
  const std::size_t cap = config.capacities.front();
  for_each_shared_wait_strategy([&]<class V>() {
    using RingT = typename V::shared_ring;
    const std::string_view variant = V::name;
    const auto options = V::shared_options();
    if (config.is_quick_set() && !xproc::kInQuickSet<V>) return;
    add(bench_name("ring", "oversub_xproc", variant,
                   {{"r", readers}, {"payload", 64}, {"cap", cap}}),
        [=](benchmark::State& s) {
          const PeerTask task =
              xproc::make_task(PeerScenario::kLatency, variant, 64, cap, /*pin=*/false);
          stamped_xproc<RingT>(s, task, options, /*pin=*/false, readers,
                               std::chrono::milliseconds(200));
        });
  });
}

}  // namespace ringlab::bench
