// What the ring scenarios share: the variants under test, and the writer and
// reader roles every scenario is built from. Readers walk by cursor through
// poll_into, the library's own hot path, and never allocate.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/tally.hpp"
#include "common/variants.hpp"
#include "ringlab/ringlab.hpp"
#include "support/counters.hpp"
#include "support/subjects.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {

// Whether V's shared ring recovers from a writer process that died: its storage
// registers writer processes (a dead one's slot is taken over) or hands a single
// writer's lease over from a dead holder. Asked of the storage, not the name.
template <class V>
constexpr bool survives_writer_crash() {
  using Storage = typename V::ring::storage_type;
  return V::shareable && (requires(Storage& s) { s.register_writer_process(); } ||
                          requires(Storage& s, std::uint64_t pid) { s.take_writer_lease(pid); });
}

// Calls f.template operator()<V>() for each variant of the registry
// (common/variants.hpp), after recording it as a subject of the run.
template <class F>
void for_each_variant(F&& f) {
  harness::Variants::for_each([&]<class V>() {
    add_subject({.name = std::string(V::name),
                 .family = "ring",
                 .writers = std::string(harness::to_string(V::writers)),
                 .readers = "broadcast",
                 .lossless = V::lossless,
                 .shareable = V::shareable,
                 .survives_writer_crash = survives_writer_crash<V>(),
                 .role = std::string(harness::to_string(V::role)),
                 .detail = std::string(V::wait_strategy)});
    f.template operator()<V>();
  });
}

// One variant per wait strategy (the first of the registry that waits that
// way): the oversubscription scenario compares strategies, not variants.
template <class F>
void for_each_wait_strategy(F&& f) {
  std::vector<std::string_view> seen;
  for_each_variant([&]<class V>() {
    if (!V::waits || std::find(seen.begin(), seen.end(), V::wait_strategy) != seen.end()) return;
    seen.push_back(V::wait_strategy);
    f.template operator()<V>();
  });
}

// Whether a scenario with `writers` writers can run on variant V.
template <class V>
constexpr bool takes_writers(std::size_t writers) {
  return writers == 1 || !V::single_writer;
}

// Rings whose readers may register with writers (GatedReader) and wait.
template <class RingT>
constexpr bool kGates = GatingRing<RingT> && WaitingRing<RingT>;

inline constexpr std::uint8_t kBenchKind = 1;

using WallClock = std::chrono::steady_clock;

inline double seconds_since(WallClock::time_point start) {
  return std::chrono::duration<double>(WallClock::now() - start).count();
}

// A frame's payload: bytes that are not all alike.
inline std::vector<std::byte> payload_of(std::size_t size) {
  std::vector<std::byte> payload(size);
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::byte>(i * 131 + 7);
  return payload;
}

// The ring of a benchmark, or nullptr after telling Google Benchmark why not
// (the run is then reported as an error, and the rest of the binary goes on).
template <class RingT>
std::unique_ptr<RingT> make_ring(benchmark::State& state, std::size_t capacity,
                                 std::size_t payload,
                                 const typename RingT::StorageOptions& options) {
  auto ring = RingT::create(kBenchKind, RingSpec{capacity, payload}, RingOptions{}, options);
  if (!ring.ok()) {
    state.SkipWithError(std::string(ring.status().message()).c_str());
    return nullptr;
  }
  return *std::move(ring);
}

// For a writer that must never give up: gated rings then wait by spinning on
// try_write with a pause, as the peers' writers spin on a full queue.
inline const std::atomic<bool> kNeverStop{false};

// (R1) relaxed store / (R2) relaxed load of a writer's stop flag: the flag only
// ends a gated writer's retries, and nothing is read through it; the writers'
// join orders everything else.
inline constexpr std::memory_order kRaiseWritersStop = std::memory_order_relaxed;
inline constexpr std::memory_order kCheckWritersStop = std::memory_order_relaxed;

// ringlab_bench_slowed, the test subject of `ringlab compare`, is this binary
// with RINGLAB_BENCH_WRITER_PAUSES=N: N pauses after every write of a ring
// benchmark's writer, a known slowdown the comparison must find. ringlab_bench
// itself leaves it at 0 and the loop compiles to nothing.
#ifndef RINGLAB_BENCH_WRITER_PAUSES
#define RINGLAB_BENCH_WRITER_PAUSES 0
#endif
inline void writer_pauses() {
  for (int i = 0; i < RINGLAB_BENCH_WRITER_PAUSES; ++i) StdSync::spin_pause();
}

// One write. Gated rings may refuse while full; a writer that must be able to
// stop (stop != nullptr) retries with try_write until it is told to stop.
template <class RingT>
bool write_frame(RingT& ring, NodeId node, std::span<const std::byte> payload,
                 const std::atomic<bool>* stop = nullptr) {
  if constexpr (requires { ring.try_write(node, 0, 0, payload); }) {
    if (stop != nullptr && ring.gated()) {
      while (!ring.try_write(node, 0, 0, payload).ok()) {
        if (stop->load(kCheckWritersStop)) return false;  // (R2)
        StdSync::spin_pause();
      }
      writer_pauses();
      return true;
    }
  }
  const bool written = ring.write(node, 0, 0, payload).ok();
  writer_pauses();
  return written;
}

// A reader's counts, on their own lines: read by the timing thread only after
// the reader has joined.
struct alignas(128) ReaderTally : harness::PollTally {
  // One more reader in a scenario's totals.
  void add_to(ReaderTotals& totals) const {
    ++totals.readers;
    totals.received += delivered;
    totals.lost += loss.total();
    totals.retries += stopped_at_pending;
  }
};

// A reader's cursor: plain for every variant, registered with the sequencer
// (GatedReader) where the ring is gated, so that writers wait for it. Its own
// lines (128 bytes: the adjacent-line prefetcher pairs lines), since poll
// writes the cursor and the frame header on every frame.
template <class RingT>
class alignas(128) CursorReader {
 public:
  // The buffer is padded so that two readers' buffers never share a line.
  explicit CursorReader(RingT& ring)
      : ring_(&ring), buffer_(ring.payload_capacity() + kBufferPadding) {
    if constexpr (kGates<RingT>) {
      if (ring.gated()) {
        auto reader = GatedReader<RingT>::attach(ring);
        if (!reader.ok()) throw std::runtime_error(std::string(reader.status().message()));
        gated_.emplace(*std::move(reader));
      }
    }
    cursor_ = RingCursor::from_counter(ring.head());
  }
  CursorReader(CursorReader&&) noexcept = default;

  // Polls to head; on_frame(const FrameBuffer&) per frame.
  template <class OnFrame>
  PollStats poll(OnFrame&& on_frame) {
    if constexpr (kGates<RingT>) {
      if (gated_) return gated_->poll(buffer_, on_frame);
    }
    return poll_into(*ring_, cursor_, buffer_, on_frame);
  }

  // Polls until told to stop (a Crew, or a peer process's stop flag: anything
  // with stopping()), waiting the variant's way between polls, then once more,
  // after the writers have stopped: every frame written is counted, received
  // or lost.
  template <class Stop, class OnFrame>
  void read_until_stopped(const Stop& stop, ReaderTally& tally, OnFrame&& on_frame) {
    while (!stop.stopping()) {
      const PollStats stats = poll(on_frame);
      tally.add(stats);
      if (stats.to == stats.from) idle();
    }
    tally.add(poll(on_frame));
  }

  // Nothing new: the variant's own way to wait (Ring::wait_for, its wait
  // strategy), or a pause for the variants that have none.
  void idle() {
    if constexpr (WaitingRing<RingT>) {
      std::uint64_t next = cursor_.next_counter;
      if constexpr (kGates<RingT>) {
        if (gated_) next = gated_->cursor().next_counter;
      }
      ring_->wait_for(next, std::chrono::milliseconds(1));
    } else {
      StdSync::spin_pause();
    }
  }

 private:
  static constexpr std::size_t kBufferPadding = 128;
  RingT* ring_;
  FrameBuffer buffer_;
  RingCursor cursor_;
  // Only rings with reader gates have one to register.
  std::optional<gated_reader_or_t<RingT, std::monostate>> gated_;
};


// The writer and reader threads of a scenario around the benchmark's own
// thread. Readers start first and stop last, after the ring's alert, so a
// gated writer is never left waiting for a reader that has gone and no reader
// sleeps through the end.
template <class RingT>
class RingRoles {
 public:
  RingRoles(RingT& ring, bool pin) : ring_(ring), writers_(pin), readers_(pin) {}

  // Body(std::size_t index, const Crew&), on the cpu_role-th CPU when pinning.
  template <class Body>
  void add_writer(std::size_t index, std::size_t cpu_role, Body body) {
    writers_.spawn(index, std::move(body), cpu_role);
  }
  template <class Body>
  void add_reader(std::size_t index, std::size_t cpu_role, Body body) {
    readers_.spawn(index, std::move(body), cpu_role);
  }

  void start() {
    readers_.start();
    writers_.start();
  }

  void stop() {
    writers_stopping_.store(true, kRaiseWritersStop);  // (R1)
    writers_.stop_and_join();
    if constexpr (WaitingRing<RingT>) ring_.alert();
    readers_.stop_and_join();
  }

  // Set when the writers are told to stop: ends a gated writer's retries.
  const std::atomic<bool>* writers_stopping() const { return &writers_stopping_; }

 private:
  RingT& ring_;
  std::atomic<bool> writers_stopping_{false};
  Crew writers_;
  Crew readers_;
};

}  // namespace ringlab::bench
