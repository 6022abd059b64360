// Latency scenarios for every ring variant:
//   latency   one-way: each writer stamps a frame, writes it, and waits until
//             every reader has acknowledged it before the next, so a sample is
//             the time from the stamp to a reader holding the frame, with no
//             queueing behind it. Readers keep their own histograms, merged
//             after the run.
//   stalled   the writer's own write latency and rate: alone (stall:0), with a
//             reader polling beside it (stall:1), and with that reader sharing
//             its CPU with a busy thread (stall:2), so the reader is preempted
//             at arbitrary points, inside a read too.
//   oversub   the latency loop with twice as many readers as CPUs, unpinned,
//             per wait strategy (for_each_wait_strategy).
// The twins with the readers in other processes: latency_xproc and
// oversub_xproc in cross_process.cpp, stalled_xproc in cross_process_stalled.cpp.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rings/ring_roles.hpp"
#include "rings/stamped.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

// W writers and R readers exchanging stamped frames, one outstanding frame per
// writer. The benchmark thread is writer 0 and calls round() once per
// iteration.
template <class RingT>
class StampedExchange {
 public:
  StampedExchange(RingT& ring, std::size_t writers, std::size_t readers, std::size_t payload,
                  bool pin, std::chrono::milliseconds ack_timeout)
      : ring_(ring),
        writers_(writers),
        readers_(readers),
        acks_(writers * readers),
        latencies_(readers),
        sent_(writers),
        payload_(payload),
        ack_timeout_(ack_timeout),
        roles_(ring, pin) {
    cursors_.reserve(readers);
    for (std::size_t r = 0; r < readers; ++r) cursors_.emplace_back(ring);
    for (std::size_t w = 1; w < writers; ++w) {
      roles_.add_writer(w, w, [this](std::size_t index, const Crew& crew) {
        std::vector<std::byte> frame(payload_);
        while (!crew.stopping()) round(index, frame);
      });
    }
    for (std::size_t r = 0; r < readers; ++r) {
      roles_.add_reader(r, writers + r, [this](std::size_t index, const Crew& crew) {
        read_until_stopped(index, crew);
      });
    }
  }

  void start() { roles_.start(); }

  // Writes one stamped frame as writer w and waits for every reader's ack.
  void round(std::size_t w, std::vector<std::byte>& frame) {
    Sent& sent = sent_[w];
    const Stamp stamp = stamp_frame(frame, w, ++sent.sequence);
    if (!write_frame(ring_, NodeId(static_cast<std::uint16_t>(w)), frame,
                     roles_.writers_stopping())) {
      return;
    }
    const auto deadline = WallClock::now() + ack_timeout_;
    for (std::size_t r = 0; r < readers_; ++r) {
      if (!await_ack(acks_[w * readers_ + r], stamp.sequence, deadline)) {
        ++sent.timeouts;
        return;
      }
    }
  }

  std::vector<std::byte> frame() const { return std::vector<std::byte>(payload_); }

  void stop() { roles_.stop(); }

  LatencyHistogram merged() const {
    LatencyHistogram all;
    for (const auto& l : latencies_) all.merge(l.histogram);
    return all;
  }
  ReaderTotals totals() const {
    ReaderTotals totals;
    for (const auto& l : latencies_) l.tally.add_to(totals);
    return totals;
  }
  std::uint64_t written() const {
    std::uint64_t n = 0;
    for (const auto& s : sent_) n += s.sequence;
    return n;
  }
  std::uint64_t backwards() const {
    std::uint64_t n = 0;
    for (const auto& l : latencies_) n += l.backwards;
    return n;
  }
  std::uint64_t timeouts() const {
    std::uint64_t n = 0;
    for (const auto& s : sent_) n += s.timeouts;
    return n;
  }

 private:
  struct alignas(128) Sent {
    std::uint64_t sequence = 0;
    std::uint64_t timeouts = 0;
  };

  void read_until_stopped(std::size_t r, const Crew& crew) {
    ReaderLatency& mine = latencies_[r];
    CursorReader<RingT>& reader = cursors_[r];
    const auto on_frame = [&](const FrameBuffer& frame) {
      const Stamp stamp = mine.receive(frame);
      acks_[stamp.writer * readers_ + r].sequence.store(stamp.sequence, kAckStore);  // (A1)
    };
    reader.read_until_stopped(crew, mine.tally, on_frame);
  }

  RingT& ring_;
  std::size_t writers_;
  std::size_t readers_;
  std::vector<Ack> acks_;
  std::vector<ReaderLatency> latencies_;
  std::vector<Sent> sent_;
  std::vector<CursorReader<RingT>> cursors_;
  std::size_t payload_;
  std::chrono::milliseconds ack_timeout_;
  RingRoles<RingT> roles_;
};

template <class RingT>
void latency(benchmark::State& state, typename RingT::StorageOptions options,
             std::size_t writers, std::size_t readers, std::size_t payload,
             std::size_t capacity, bool pin, std::chrono::milliseconds ack_timeout) {
  auto ring = make_ring<RingT>(state, capacity, payload, options);
  if (!ring) return;
  pin_current_thread(0, pin);
  StampedExchange<RingT> exchange(*ring, writers, readers, payload, pin, ack_timeout);
  std::vector<std::byte> frame = exchange.frame();
  exchange.start();
  const auto began = WallClock::now();
  for (auto _ : state) exchange.round(0, frame);
  const double seconds = seconds_since(began);
  exchange.stop();
  unpin_current_thread();
  report_flow(state, seconds, exchange.written(), exchange.totals(), payload);
  report_latency(state, exchange.merged());
  state.counters["ack_timeouts"] = static_cast<double>(exchange.timeouts());
  state.counters["backwards_stamps"] = static_cast<double>(exchange.backwards());
}

template <class RingT>
void stalled(benchmark::State& state, typename RingT::StorageOptions options, int stall,
             std::size_t payload, std::size_t capacity, bool pin) {
  auto ring = make_ring<RingT>(state, capacity, payload, options);
  if (!ring) return;
  // A preempted reader needs its hog on its own CPU: stall 2 always pins.
  pin = pin || stall > 1;
  std::vector<std::byte> bytes(payload, std::byte{0x5A});
  std::vector<CursorReader<RingT>> reader;
  if (stall > 0) reader.emplace_back(*ring);
  ReaderTally tally;
  Crew crew(pin);
  constexpr std::size_t kReaderCpu = 1;
  if (stall > 0) {
    crew.spawn(0, [&](std::size_t, const Crew& c) {
      const auto on_frame = [](const FrameBuffer& f) { benchmark::DoNotOptimize(&f); };
      reader.front().read_until_stopped(c, tally, on_frame);
    }, kReaderCpu);
  }
  if (stall > 1) {
    // The hog: same CPU as the reader, so the scheduler preempts the reader.
    crew.spawn(1, [](std::size_t, const Crew& c) {
      std::uint64_t spins = 0;
      while (!c.stopping()) benchmark::DoNotOptimize(++spins);
    }, kReaderCpu);
  }
  pin_current_thread(0, pin);
  LatencyHistogram writes;
  const StampClock& clock = StampClock::get();
  crew.start();
  const auto began = WallClock::now();
  for (auto _ : state) {
    const std::uint64_t t0 = clock.now();
    write_frame(*ring, NodeId(0), bytes, &kNeverStop);
    writes.record(clock.elapsed_ns(t0, clock.now()));
  }
  const double seconds = seconds_since(began);
  if constexpr (WaitingRing<RingT>) ring->alert();
  crew.stop_and_join();
  unpin_current_thread();
  ReaderTotals totals;
  if (stall > 0) tally.add_to(totals);
  report_flow(state, seconds, state.iterations(), totals, payload);
  report_latency(state, writes);
}

}  // namespace

void register_latency(const SweepConfig& config) {
  const auto add = [&](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->MinTime(config.min_time_s);
  };
  const std::size_t cpus = allowed_cpus().size();
  for_each_variant([&]<class V>() {
    using RingT = typename V::ring;
    const std::string_view variant = V::name;
    const auto options = V::options();
    for (std::size_t cap : config.capacities) {
      for (std::size_t payload : config.payloads) {
        if (payload < kMinLatencyPayload) continue;  // no room for the stamp
        if (config.is_quick_set() && payload != 64) continue;
        for (std::size_t w : config.writers) {
          if (!takes_writers<V>(w)) continue;
          for (std::size_t r : config.readers) {
            add(bench_name("ring", "latency", variant,
                           {{"w", w}, {"r", r}, {"payload", payload}, {"cap", cap}}),
                [=](benchmark::State& s) {
                  latency<RingT>(s, options, w, r, payload, cap, config.pin, kAckTimeout);
                });
          }
        }
        if (config.scaling_only || payload != 64) continue;
        for (int stall : {0, 1, 2}) {
          add(bench_name("ring", "stalled", variant,
                         {{"stall", static_cast<std::size_t>(stall)},
                          {"payload", payload},
                          {"cap", cap}}),
              [=](benchmark::State& s) {
                stalled<RingT>(s, options, stall, payload, cap, config.pin);
              });
        }
      }
    }
  });
  if (config.scaling_only) return;
  for_each_wait_strategy([&]<class V>() {
    using RingT = typename V::ring;
    const std::string_view variant = V::name;
    const auto options = V::options();
    const std::size_t readers = 2 * cpus;
    const std::size_t cap = config.capacities.front();
    add(bench_name("ring", "oversub", variant, {{"r", readers}, {"payload", 64}, {"cap", cap}}),
        [=](benchmark::State& s) {
          latency<RingT>(s, options, 1, readers, 64, cap, /*pin=*/false,
                         std::chrono::milliseconds(200));
        });
  });
}

void register_throughput(const SweepConfig& config);
void register_cross_process(const SweepConfig& config);

void register_ring_benchmarks(const SweepConfig& config) {
  register_throughput(config);
  register_latency(config);
  register_cross_process(config);
}

}  // namespace ringlab::bench
