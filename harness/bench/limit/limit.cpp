// The machine's limits: what no ring can beat on this machine, measured in the
// same run as the rings so that both share its state.
//
//   limit/pingpong/cacheline      one cache line bounced between two CPUs: the
//                                 floor under any one-way handoff
//   limit/memcpy/memcpy/payload:N copying N cache-resident bytes: the floor
//                                 under any frame's copy in or out
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/subjects.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kInitiatorRole = 0;  // the benchmark's own thread
constexpr std::size_t kResponderRole = 1;

// ---------------------------------------------------------------------------
// Ping-pong. The initiator writes odd values, the responder answers each with
// the next even one; a round trip moves the line to the responder and back.
// The spin loops do not pause: this is the floor, the line's transfer alone.

// release: pairs with the other side's kReceive load of the same line, so
// whatever a side wrote before its send is visible to the side that sees it.
// Nothing else is written here; the pair is what a real handoff would need,
// and on x86 it costs what relaxed would (plain loads and stores).
constexpr std::memory_order kSend = std::memory_order_release;
// acquire: pairs with the other side's kSend store.
constexpr std::memory_order kReceive = std::memory_order_acquire;

// Odd, so the responder wakes for it, and far above any value a run reaches.
constexpr std::uint64_t kQuit = ~std::uint64_t{0};

// Alone on its line (and the line beside it, for the adjacent-line prefetcher).
struct alignas(2 * kCacheLine) Line {
  std::atomic<std::uint64_t> value{0};
};

void respond_until_quit(Line& line) {
  for (;;) {
    std::uint64_t value;
    while (((value = line.value.load(kReceive)) & 1) == 0) {
    }
    if (value == kQuit) return;
    line.value.store(value + 1, kSend);
  }
}

// One round trip from `value` (even, the responder's last answer); returns the
// responder's new answer.
std::uint64_t round_trip(Line& line, std::uint64_t value) {
  line.value.store(value + 1, kSend);
  while (line.value.load(kReceive) != value + 2) {
  }
  return value + 2;
}

void run_pingpong(benchmark::State& state, bool pin) {
  const auto line = std::make_unique<Line>();
  Crew crew(pin);
  crew.spawn(kResponderRole, [&line](std::size_t, const Crew&) { respond_until_quit(*line); },
             kResponderRole);

  pin_current_thread(kInitiatorRole, pin);
  crew.start();
  std::uint64_t value = 0;

  // Timed and unstamped: one_way_ns is the mean of this loop alone, with no
  // stamp's cost in it.
  const auto begin = std::chrono::steady_clock::now();
  for (auto _ : state) value = round_trip(*line, value);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();

  // Untimed and stamped: as many round trips again, each stamped before its
  // send and after its reply on the initiator (one core, so one clock), for
  // the distribution. Each sample is half a round trip, stamps included.
  const StampClock& clock = StampClock::get();
  LatencyHistogram histogram;
  for (benchmark::IterationCount i = 0; i < state.iterations(); ++i) {
    const std::uint64_t sent = clock.now();
    value = round_trip(*line, value);
    histogram.record(clock.elapsed_ns(sent, clock.now()) / 2);
  }

  line->value.store(kQuit, kSend);
  crew.stop_and_join();
  unpin_current_thread();

  const auto round_trips = static_cast<double>(state.iterations());
  if (round_trips > 0 && seconds > 0) {
    state.counters["one_way_ns"] = seconds * 1e9 / (2 * round_trips);
  }
  report_latency(state, histogram);
}

// ---------------------------------------------------------------------------
// memcpy between two line-aligned buffers small enough to stay in cache.

struct FreeBuffer {
  void operator()(unsigned char* bytes) const { std::free(bytes); }
};
using Buffer = std::unique_ptr<unsigned char[], FreeBuffer>;

Buffer line_aligned_buffer(std::size_t bytes) {
  const std::size_t rounded = (bytes + kCacheLine - 1) / kCacheLine * kCacheLine;
  auto* raw = static_cast<unsigned char*>(std::aligned_alloc(kCacheLine, rounded));
  if (raw == nullptr) throw std::bad_alloc();
  return Buffer(raw);
}

void run_memcpy(benchmark::State& state, std::size_t bytes, bool pin) {
  Buffer source = line_aligned_buffer(bytes);
  Buffer target = line_aligned_buffer(bytes);
  for (std::size_t i = 0; i < bytes; ++i) source[i] = static_cast<unsigned char>(i);
  unsigned char* from = source.get();
  unsigned char* to = target.get();
  pin_current_thread(kInitiatorRole, pin);
  std::memcpy(to, from, bytes);  // both buffers in cache before the clock starts

  const auto begin = std::chrono::steady_clock::now();
  for (auto _ : state) {
    // The pointers escape and memory is clobbered after each copy, so the
    // compiler must perform every copy rather than keep one or none.
    benchmark::DoNotOptimize(from);
    benchmark::DoNotOptimize(to);
    std::memcpy(to, from, bytes);
    benchmark::ClobberMemory();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  unpin_current_thread();

  // No readers: frames_per_s is copies per second, bytes_per_s bytes copied.
  report_flow(state, seconds, static_cast<std::uint64_t>(state.iterations()), ReaderTotals{},
              bytes);
}

}  // namespace

void register_limit_benchmarks(const SweepConfig& config) {
  const bool pin = config.pin;
  add_subject({.name = "cacheline", .family = "limit", .role = "limit",
               .detail = "one cache line bounced between two CPUs; one-way = round trip / 2"});
  add_subject({.name = "memcpy", .family = "limit", .role = "limit",
               .detail = "copying cache-resident bytes on one CPU"});
  benchmark::RegisterBenchmark(bench_name("limit", "pingpong", "cacheline", {}).c_str(),
                               [pin](benchmark::State& state) { run_pingpong(state, pin); })
      ->UseRealTime()
      ->MinTime(config.min_time_s)
      ->Unit(benchmark::kNanosecond);

  if (config.scaling_only) return;  // the scaling sweep keeps only the ping-pong floor
  for (const std::size_t bytes : config.memcpy_sizes) {
    benchmark::RegisterBenchmark(
        bench_name("limit", "memcpy", "memcpy", {{"payload", bytes}}).c_str(),
        [bytes, pin](benchmark::State& state) { run_memcpy(state, bytes, pin); })
        ->UseRealTime()
        ->MinTime(config.min_time_s)
        ->Unit(benchmark::kNanosecond);
  }
}

}  // namespace ringlab::bench
