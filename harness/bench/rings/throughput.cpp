// Throughput scenarios for every ring variant:
//   write_only  one writer, no reader: the cost of a write alone
//   read_only   R readers walk a full ring that no one writes
//   broadcast   W writers x R cursor readers; the 1 x 1 case at 64 bytes is the
//               "transfer" workload the peers run too
// The benchmark's own thread is writer 0 (reader 0 in read_only); the other
// roles run on a Crew that starts with the timed loop and stops after it.
// broadcast's twin with the reader in another process is in cross_process.cpp.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rings/ring_roles.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

// Writers 1..W-1 and R readers around the benchmark thread, writer 0.
template <class RingT>
class Broadcast {
 public:
  Broadcast(RingT& ring, std::size_t writers, std::size_t readers, std::size_t payload, bool pin)
      : ring_(ring), payload_(payload_of(payload)), tallies_(readers), written_(writers),
        roles_(ring, pin) {
    cursors_.reserve(readers);
    for (std::size_t r = 0; r < readers; ++r) cursors_.emplace_back(ring);
    for (std::size_t w = 1; w < writers; ++w) {
      roles_.add_writer(w, w, [this](std::size_t index, const Crew& crew) {
        std::uint64_t n = 0;
        while (!crew.stopping()) {
          if (write_frame(ring_, NodeId(static_cast<std::uint16_t>(index)), payload_,
                          roles_.writers_stopping())) {
            ++n;
          }
        }
        written_[index].count = n;
      });
    }
    for (std::size_t r = 0; r < readers; ++r) {
      roles_.add_reader(r, writers + r, [this](std::size_t index, const Crew& crew) {
        const auto on_frame = [](const FrameBuffer& frame) { benchmark::DoNotOptimize(&frame); };
        cursors_[index].read_until_stopped(crew, tallies_[index], on_frame);
      });
    }
  }

  void start() { roles_.start(); }

  // Stops every role; returns the frames writers 1..W-1 wrote.
  std::uint64_t stop() {
    roles_.stop();
    std::uint64_t written = 0;
    for (const auto& w : written_) written += w.count;
    return written;
  }

  ReaderTotals totals() const {
    ReaderTotals totals;
    for (const auto& t : tallies_) t.add_to(totals);
    return totals;
  }

  std::span<const std::byte> payload() const { return payload_; }

 private:
  struct alignas(128) WriterCount {
    std::uint64_t count = 0;
  };
  RingT& ring_;
  std::vector<std::byte> payload_;
  std::vector<ReaderTally> tallies_;
  std::vector<WriterCount> written_;
  std::vector<CursorReader<RingT>> cursors_;
  RingRoles<RingT> roles_;
};

template <class RingT>
void broadcast(benchmark::State& state, typename RingT::StorageOptions options,
               std::size_t writers, std::size_t readers, std::size_t payload,
               std::size_t capacity, bool pin) {
  auto ring = make_ring<RingT>(state, capacity, payload, options);
  if (!ring) return;
  pin_current_thread(0, pin);
  Broadcast<RingT> roles(*ring, writers, readers, payload, pin);
  roles.start();
  const auto began = WallClock::now();
  for (auto _ : state) write_frame(*ring, NodeId(0), roles.payload(), &kNeverStop);
  const double seconds = seconds_since(began);
  const std::uint64_t written = state.iterations() + roles.stop();
  unpin_current_thread();
  report_flow(state, seconds, written, roles.totals(), payload);
}

template <class RingT>
void read_only(benchmark::State& state, typename RingT::StorageOptions options,
               std::size_t readers, std::size_t payload, std::size_t capacity, bool pin) {
  auto ring = make_ring<RingT>(state, capacity, payload, options);
  if (!ring) return;
  const auto bytes = payload_of(payload);
  for (std::size_t i = 0; i < capacity; ++i) write_frame(*ring, NodeId(0), bytes);
  const std::uint64_t mask = capacity - 1;
  // Every reader walks the whole ring again and again, each from its own place.
  const auto walk = [&ring, mask](FrameBuffer& buffer, std::uint64_t step) {
    const ReadState s = ring->read_state_at(step & mask, buffer);
    benchmark::DoNotOptimize(s);
  };
  std::vector<ReaderTally> tallies(readers);
  Crew crew(pin);
  for (std::size_t r = 1; r < readers; ++r) {
    crew.spawn(r, [&](std::size_t index, const Crew& c) {
      FrameBuffer buffer = ring->make_buffer();
      std::uint64_t step = index * 7919;
      while (!c.stopping()) walk(buffer, step++);
      tallies[index].delivered = step - index * 7919;
    }, r);
  }
  pin_current_thread(0, pin);
  FrameBuffer buffer = ring->make_buffer();
  crew.start();
  const auto began = WallClock::now();
  std::uint64_t step = 0;
  for (auto _ : state) walk(buffer, step++);
  const double seconds = seconds_since(began);
  crew.stop_and_join();
  unpin_current_thread();
  tallies[0].delivered = step;
  ReaderTotals totals;
  for (const auto& t : tallies) t.add_to(totals);
  const double per_reader = static_cast<double>(totals.received) / readers / seconds;
  state.counters["delivered_per_s"] = per_reader;
  state.counters["bytes_per_s"] = per_reader * static_cast<double>(payload);
}

template <class RingT>
void write_only(benchmark::State& state, typename RingT::StorageOptions options,
                std::size_t payload, std::size_t capacity, bool pin) {
  broadcast<RingT>(state, options, 1, 0, payload, capacity, pin);
}

}  // namespace

void register_throughput(const SweepConfig& config) {
  for_each_variant([&]<class V>() {
    using RingT = typename V::ring;
    const std::string_view variant = V::name;
    const auto options = V::options();
    const auto add = [&](std::string name, auto fn) {
      benchmark::RegisterBenchmark(name.c_str(), fn)
          ->UseRealTime()
          ->MinTime(config.min_time_s);
    };
    for (std::size_t cap : config.capacities) {
      for (std::size_t payload : config.payloads) {
        for (std::size_t w : config.writers) {
          if (!takes_writers<V>(w)) continue;
          for (std::size_t r : config.readers) {
            // The quick run keeps broadcast to the 64-byte transfer workload.
            if (config.is_quick_set() && payload != 64) continue;
            add(bench_name("ring", "broadcast", variant,
                           {{"w", w}, {"r", r}, {"payload", payload}, {"cap", cap}}),
                [=](benchmark::State& s) {
                  broadcast<RingT>(s, options, w, r, payload, cap, config.pin);
                });
          }
        }
        if (config.scaling_only) continue;
        add(bench_name("ring", "write_only", variant, {{"payload", payload}, {"cap", cap}}),
            [=](benchmark::State& s) { write_only<RingT>(s, options, payload, cap, config.pin); });
        for (std::size_t r : config.readers) {
          if (config.is_quick_set() && payload != 64) continue;
          add(bench_name("ring", "read_only", variant,
                         {{"r", r}, {"payload", payload}, {"cap", cap}}),
              [=](benchmark::State& s) {
                read_only<RingT>(s, options, r, payload, cap, config.pin);
              });
        }
      }
    }
  });
}

}  // namespace ringlab::bench
