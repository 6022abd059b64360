// Peer queues: established queues moving the same 64-byte frames as the
// rings, so that a ring's figures have a known point of comparison.
//
//   peer/transfer/<peer>/payload:64/cap:1024           1 writer x 1 reader,
//   peer/transfer/<peer>/w:2/r:1/payload:64/cap:1024   2 writers x 1 reader:
//       frames through as fast as they go
//   peer/latency/<peer>/payload:64/cap:1024            1 writer x 1 reader,
//   peer/latency/<peer>/w:2/r:1/payload:64/cap:1024    2 writers x 1 reader:
//       one-way latency of a lone frame per writer
//
// The 2-writer forms run only for queues that allow several producers. Each
// peer is a small adapter (peers/queues.hpp); the two workloads are written
// once, as templates over the adapter. A queue is not a broadcast ring: it
// hands each frame to one reader and never loses one, so loss_rate and
// retries_per_frame are 0 by construction.
//
// Threads take CPUs by role as the ring scenarios do: writer w on the w-th
// allowed CPU, the reader on the one after the writers', wrapping around. A
// scenario with more threads than CPUs so pins two threads to one CPU, where
// the one that waits spins until the scheduler preempts it: such runs carry
// `oversubscribed` = 1, and their figures are the scheduler's as much as the
// queue's.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringlab/sync.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/subjects.hpp"
#include "support/threads.hpp"
#include "peers/queues.hpp"

namespace ringlab::bench {
namespace {

constexpr std::size_t kCapacity = kPeerCapacity;
constexpr std::size_t kMaxWriters = 2;
// The frame's words: a sequence number (transfer) or a send stamp (latency),
// then the writer that sent it.
constexpr std::size_t kValueWord = 0;
constexpr std::size_t kWriterWord = 1;

// Waiting, on full or empty: the same pause the rings' own spin loops use, so
// peers and rings are compared spinning alike.
void spin_pause() { StdSync::spin_pause(); }

// One frame in, waiting for room: the library's own waiting push where it has
// one, else try_push and a pause between tries.
template <class Peer>
void push(Peer& peer, std::size_t writer, const Frame& frame) {
  if constexpr (requires { peer.push(writer, frame); }) {
    peer.push(writer, frame);
  } else {
    while (!peer.try_push(writer, frame)) spin_pause();
  }
}

// A peer on lines of its own, on the heap, away from the timing thread's
// stack: no peer's indices share a line with the benchmark's locals by the
// luck of the stack layout.
template <class Peer>
struct alignas(kIsolation) Isolated {
  Isolated(std::size_t capacity, std::size_t writers) : peer(capacity, writers) {}
  Peer peer;
};

// More threads than the process has CPUs: two of them share one.
bool oversubscribed(std::size_t writers) { return writers + 1 > allowed_cpus().size(); }

// ---------------------------------------------------------------------------
// Workloads. Writer 0 is the benchmark's own thread; writers 1.. and the
// reader are Crew threads started before the timed loop and joined after it,
// every call: the writers first, then the reader, so the reader's last drain
// comes after every push.

// What the reader saw of one writer's frames in a transfer run. A frame whose
// sequence number skips one not yet seen came early: it overtook an earlier
// frame of its writer. With count and sum right and none early, the reader saw
// exactly 0, 1, ... n-1 in order; with some early, count and sum still tell
// loss and duplication apart from reordering, for queues that do not keep
// each writer's order.
struct WriterTally {
  std::uint64_t received = 0;
  std::uint64_t sum = 0;   // of the sequence numbers, modulo 2^64
  std::uint64_t high = 0;  // one past the highest sequence number seen
  std::uint64_t early = 0;

  void receive(std::uint64_t sequence) {
    ++received;
    sum += sequence;
    if (sequence >= high) {
      early += sequence > high ? 1 : 0;
      high = sequence + 1;
    }
  }
  bool exactly(std::uint64_t written) const {
    const std::uint64_t expected_sum =
        written % 2 == 0 ? written / 2 * (written - 1) : (written - 1) / 2 * written;
    return received == written && sum == expected_sum;
  }
};

// The reader's account of a transfer run, handed over at join.
struct TransferTally {
  std::array<WriterTally, kMaxWriters> writers{};
  std::uint64_t strays = 0;  // frames naming no writer of the run
  std::chrono::steady_clock::time_point drained{};  // when the reader took the last frame
};

template <class Peer>
void run_transfer(benchmark::State& state, std::size_t writers, bool pin) {
  const auto holder = std::make_unique<Isolated<Peer>>(kCapacity, writers);
  Peer& peer = holder->peer;
  TransferTally tally;                         // written by the reader before it ends
  std::vector<std::uint64_t> written(writers);  // written by each writer before it ends

  Crew readers(pin);
  readers.spawn(0, [&peer, &tally, writers](std::size_t, const Crew& self) {
    // On the reader's own stack while it runs.
    TransferTally mine;
    Frame frame{};
    const auto take = [&] {
      if (!peer.try_pop(frame)) return false;
      const std::uint64_t writer = get_word(frame, kWriterWord);
      if (writer < writers) {
        mine.writers[writer].receive(get_word(frame, kValueWord));
      } else {
        ++mine.strays;
      }
      return true;
    };
    for (;;) {
      if (take()) continue;
      if (self.stopping()) {
        // Every writer has joined: what they pushed is all visible now, so
        // one more drain takes every remaining frame.
        while (take()) {
        }
        break;
      }
      spin_pause();
    }
    mine.drained = std::chrono::steady_clock::now();
    tally = mine;
  }, /*cpu_role=*/writers);

  Crew writer_crew(pin);
  for (std::size_t w = 1; w < writers; ++w) {
    writer_crew.spawn(w, [&peer, &written](std::size_t index, const Crew& self) {
      Frame frame{};
      put_word(frame, kWriterWord, index);
      std::uint64_t sequence = 0;
      while (!self.stopping()) {
        put_word(frame, kValueWord, sequence);
        push(peer, index, frame);
        ++sequence;
      }
      written[index] = sequence;
    }, w);
  }

  pin_current_thread(0, pin);
  Frame frame{};
  put_word(frame, kWriterWord, 0);
  std::uint64_t sequence = 0;
  readers.start();
  writer_crew.start();
  const auto begin = std::chrono::steady_clock::now();
  for (auto _ : state) {
    put_word(frame, kValueWord, sequence);
    push(peer, 0, frame);
    ++sequence;
  }
  writer_crew.stop_and_join();
  readers.stop_and_join();
  unpin_current_thread();
  written[0] = sequence;

  state.counters["oversubscribed"] = oversubscribed(writers) ? 1 : 0;
  std::uint64_t all_written = 0;
  std::uint64_t received = 0;
  std::uint64_t early = 0;
  bool exact = tally.strays == 0;
  for (std::size_t w = 0; w < writers; ++w) {
    all_written += written[w];
    received += tally.writers[w].received;
    early += tally.writers[w].early;
    exact = exact && tally.writers[w].exactly(written[w]);
  }
  if (!exact) {
    state.SkipWithError("the peer lost or duplicated frames");
    return;
  }
  if (early != 0 && Peer::kTraits.fifo_per_writer) {
    state.SkipWithError("the peer reordered a writer's frames");
    return;
  }
  state.counters["reorder_rate"] =
      received ? static_cast<double>(early) / static_cast<double>(received) : 0.0;
  // From the first push to the reader's last pop: every frame written was
  // also delivered within it.
  const double seconds = std::chrono::duration<double>(tally.drained - begin).count();
  report_flow(state, seconds, all_written, ReaderTotals{.received = received, .readers = 1},
              kPeerPayloadBytes);
}

// The reader's acknowledgement to one writer: how many of its frames it has
// taken. Alone on its lines, written only by the reader and polled only by
// that writer.
struct alignas(kIsolation) Ack {
  std::atomic<std::uint64_t> seen{0};
};
// (Q1) release: pairs with (Q2). Nothing is read through the ack, but the pair
// makes "the reader took the writer's frame n" happen before its frame n + 1,
// so a sample never overlaps that writer's previous one.
constexpr std::memory_order kAckPublish = std::memory_order_release;
// (Q2) acquire: pairs with (Q1).
constexpr std::memory_order kAckObserve = std::memory_order_acquire;

// One writer's round: a stamped frame, then the wait for its acknowledgement.
template <class Peer>
void latency_round(Peer& peer, std::size_t writer, Frame& frame, const Ack& ack,
                   std::uint64_t sent, const StampClock& clock) {
  put_word(frame, kValueWord, clock.now());
  push(peer, writer, frame);  // never full: one frame per writer at a time
  while (ack.seen.load(kAckObserve) != sent) spin_pause();  // (Q2)
}

template <class Peer>
void run_latency(benchmark::State& state, std::size_t writers, bool pin) {
  const auto holder = std::make_unique<Isolated<Peer>>(kCapacity, writers);
  Peer& peer = holder->peer;
  const StampClock& clock = StampClock::get();
  std::vector<Ack> acks(writers);
  LatencyHistogram histogram;  // the reader's, copied out before it ends
  std::uint64_t strays = 0;    // frames naming no writer of this run

  Crew readers(pin);
  readers.spawn(0, [&](std::size_t, const Crew& self) {
    // On the reader's own stack, so recording touches no line a writer uses.
    LatencyHistogram mine;
    Frame frame{};
    std::array<std::uint64_t, kMaxWriters> seen{};
    std::uint64_t unknown = 0;
    for (;;) {
      if (peer.try_pop(frame)) {
        const std::uint64_t arrived = clock.now();
        mine.record(clock.elapsed_ns(get_word(frame, kValueWord), arrived));
        const std::uint64_t writer = get_word(frame, kWriterWord);
        if (writer < writers) {
          acks[writer].seen.store(++seen[writer], kAckPublish);  // (Q1)
        } else {
          ++unknown;
        }
      } else if (self.stopping()) {
        break;  // every frame was acknowledged before the writers joined: the peer is empty
      } else {
        spin_pause();
      }
    }
    histogram = mine;
    strays = unknown;
  }, /*cpu_role=*/writers);

  Crew writer_crew(pin);
  for (std::size_t w = 1; w < writers; ++w) {
    writer_crew.spawn(w, [&](std::size_t index, const Crew& self) {
      Frame frame{};
      put_word(frame, kWriterWord, index);
      for (std::uint64_t sent = 1; !self.stopping(); ++sent) {
        latency_round(peer, index, frame, acks[index], sent, clock);
      }
    }, w);
  }

  pin_current_thread(0, pin);
  Frame frame{};
  put_word(frame, kWriterWord, 0);
  std::uint64_t sent = 0;
  readers.start();
  writer_crew.start();
  for (auto _ : state) latency_round(peer, 0, frame, acks[0], ++sent, clock);
  writer_crew.stop_and_join();
  readers.stop_and_join();
  unpin_current_thread();

  state.counters["oversubscribed"] = oversubscribed(writers) ? 1 : 0;
  if (strays != 0) {
    state.SkipWithError("the peer delivered frames no writer sent");
    return;
  }
  report_latency(state, histogram);
}

// 1 x 1 keeps its original names, without the w: and r: axes.
std::string peer_bench_name(std::string_view scenario, std::string_view peer,
                            std::size_t writers) {
  if (writers == 1) {
    return bench_name("peer", scenario, peer, {{"payload", kPeerPayloadBytes}, {"cap", kCapacity}});
  }
  return bench_name("peer", scenario, peer,
                    {{"w", writers}, {"r", 1}, {"payload", kPeerPayloadBytes}, {"cap", kCapacity}});
}

template <class Peer>
void register_peer(const SweepConfig& config) {
  constexpr PeerTraits traits = Peer::kTraits;
  add_subject({.name = std::string(traits.name),
               .family = "peer",
               .writers = traits.multi_writer ? "multi" : "single",
               .readers = traits.multi_reader ? "multi" : "single",
               .lossless = true,
               .role = "peer",
               .detail = std::string(traits.detail)});
  const bool pin = config.pin;
  const auto finish = [&config](benchmark::internal::Benchmark* b) {
    b->UseRealTime()->MinTime(config.min_time_s)->Unit(benchmark::kNanosecond);
  };
  for (const std::size_t writers : config.peer_writers) {
    if (writers > kMaxWriters || (writers > 1 && !traits.multi_writer)) continue;
    const std::string transfer = peer_bench_name("transfer", traits.name, writers);
    const std::string latency = peer_bench_name("latency", traits.name, writers);
    finish(benchmark::RegisterBenchmark(transfer.c_str(), [=](benchmark::State& state) {
      run_transfer<Peer>(state, writers, pin);
    }));
    finish(benchmark::RegisterBenchmark(latency.c_str(), [=](benchmark::State& state) {
      run_latency<Peer>(state, writers, pin);
    }));
  }
}

}  // namespace

void register_peer_benchmarks(const SweepConfig& config) {
  if (config.scaling_only) return;  // the scaling sweep is about thread counts
  register_peer<BoostSpsc>(config);
  register_peer<CkRingSpsc>(config);
  register_peer<MoodycamelRwq>(config);
  register_peer<MoodycamelCq>(config);
  register_peer<AtomicQueue<true>>(config);
  register_peer<AtomicQueue<false>>(config);
  register_peer<XeniumVyukov>(config);
  register_peer<DpdkRing<false>>(config);
  register_peer<DpdkRing<true>>(config);
}

}  // namespace ringlab::bench
