// Peer queues: established single-producer single-consumer queues moving the
// same 64-byte frames as the rings, at 1 writer x 1 reader, so that a ring's
// figures have a known point of comparison.
//
//   peer/transfer/<peer>/payload:64/cap:1024   frames through as fast as they go
//   peer/latency/<peer>/payload:64/cap:1024    one-way latency of a lone frame
//
// Each peer is a small adapter (try_push / try_pop, each copying one Frame in
// or out); the two workloads are written once, as templates over the adapter.
// A queue is not a broadcast ring: it hands each frame to one reader and never
// loses one, so loss_rate and retries_per_frame are 0 by construction.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/lockfree/spsc_queue.hpp>
#include <concurrentqueue/concurrentqueue.h>
#include <readerwriterqueue/readerwriterqueue.h>

#include "peers/ck_ring_queue.h"
#include "ringlab/sync.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/histogram.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

constexpr std::size_t kPayloadBytes = 64;
// Every configuration runs the peers at this one capacity: they are a fixed
// point of comparison, not a sweep of their own.
constexpr std::size_t kCapacity = 1024;
constexpr std::size_t kCacheLine = 64;
// What a shared object is aligned to so that nothing else sits on its lines:
// two lines, since the adjacent-line prefetcher moves lines in pairs.
constexpr std::size_t kIsolation = 2 * kCacheLine;
constexpr std::size_t kWriterRole = 0;
constexpr std::size_t kReaderRole = 1;

// The frame every peer carries by value. Line-aligned so that in every peer's
// storage a slot is exactly one cache line, as in the ck_ring wrapper, and no
// peer pays for frames straddling two lines.
struct alignas(kCacheLine) Frame {
  std::array<unsigned char, kPayloadBytes> bytes;
};
static_assert(sizeof(Frame) == kPayloadBytes);
static_assert(std::is_trivially_copyable_v<Frame>);

// The first 8 bytes of a frame carry a word: a sequence number (transfer) or
// a send stamp (latency); the rest is payload that is copied but not read.
void put_word(Frame& frame, std::uint64_t word) {
  std::memcpy(frame.bytes.data(), &word, sizeof word);
}
std::uint64_t get_word(const Frame& frame) {
  std::uint64_t word;
  std::memcpy(&word, frame.bytes.data(), sizeof word);
  return word;
}

// Waiting, on full or empty: the same pause the rings' own spin loops use, so
// peers and rings are compared spinning alike.
void spin_pause() { StdSync::spin_pause(); }

// ---------------------------------------------------------------------------
// Adapters: explicit Peer(std::size_t capacity); bool try_push(const Frame&);
// bool try_pop(Frame&); static constexpr std::string_view kName.
// try_push never allocates: every peer is built with room for `capacity`
// frames, give or take one (each adapter says how many exactly), and refuses
// a frame when full.

// boost::lockfree::spsc_queue, capacity given at run time (storage allocated
// once, in the constructor; it holds exactly `capacity` frames).
class BoostSpsc {
 public:
  static constexpr std::string_view kName = "boost-spsc";
  explicit BoostSpsc(std::size_t capacity) : queue_(capacity) {}
  bool try_push(const Frame& frame) { return queue_.push(frame); }
  bool try_pop(Frame& frame) { return queue_.pop(frame); }

 private:
  boost::lockfree::spsc_queue<Frame> queue_;
};

// Concurrency Kit's ck_ring through the C wrapper (peers/ck_ring_queue.h),
// which stores the 64 bytes in the ring's slots. ck_ring keeps one slot free,
// so it holds capacity - 1 frames.
class CkRingSpsc {
 public:
  static constexpr std::string_view kName = "ck-ring-spsc";
  explicit CkRingSpsc(std::size_t capacity)
      : queue_(ringlab_ck_ring_queue_create(static_cast<unsigned int>(capacity))) {
    if (!queue_) throw std::bad_alloc();
  }
  bool try_push(const Frame& frame) { return ringlab_ck_ring_queue_try_push(queue_.get(), &frame); }
  bool try_pop(Frame& frame) { return ringlab_ck_ring_queue_try_pop(queue_.get(), &frame); }

 private:
  static_assert(RINGLAB_CK_RING_FRAME_BYTES == sizeof(Frame));
  struct Destroy {
    void operator()(ringlab_ck_ring_queue* queue) const { ringlab_ck_ring_queue_destroy(queue); }
  };
  std::unique_ptr<ringlab_ck_ring_queue, Destroy> queue_;
};

// moodycamel::ReaderWriterQueue: storage is preallocated by the constructor
// and try_enqueue fails rather than grow. Asked for n frames it allocates a
// block of the next power of two above n (a block keeps one slot spare), or
// several smaller blocks past its block-size limit: asked for 1024 with the
// default limit of 512 it holds 2044. Asked for capacity - 1 with a limit of
// kCapacity it is one block of `capacity` slots, holding capacity - 1 frames,
// the same ring as ck_ring's.
class MoodycamelRwq {
 public:
  static constexpr std::string_view kName = "moodycamel-rwq";
  explicit MoodycamelRwq(std::size_t capacity) : queue_(capacity - 1) {}
  bool try_push(const Frame& frame) { return queue_.try_enqueue(frame); }
  bool try_pop(Frame& frame) { return queue_.try_dequeue(frame); }

 private:
  moodycamel::ReaderWriterQueue<Frame, kCapacity> queue_;
};

// moodycamel::ConcurrentQueue (multi-producer multi-consumer, used here by
// one of each): blocks for `capacity` frames are preallocated, and the tokens
// take the explicit-producer fast path. try_enqueue fails rather than take a
// new block; a block is reused only once it is wholly drained, so the queue
// may refuse a frame slightly before it holds `capacity` of them.
// The producer token is only used by the writer, the consumer token only by
// the reader; both are built before the reader thread starts.
class MoodycamelCq {
 public:
  static constexpr std::string_view kName = "moodycamel-cq";
  explicit MoodycamelCq(std::size_t capacity)
      : queue_(capacity), producer_(queue_), consumer_(queue_) {}
  bool try_push(const Frame& frame) { return queue_.try_enqueue(producer_, frame); }
  bool try_pop(Frame& frame) { return queue_.try_dequeue(consumer_, frame); }

 private:
  moodycamel::ConcurrentQueue<Frame> queue_;  // declared first: the tokens refer to it
  moodycamel::ProducerToken producer_;
  moodycamel::ConsumerToken consumer_;
};

// A peer on lines of its own, on the heap, away from the timing thread's
// stack: no peer's indices share a line with the benchmark's locals by the
// luck of the stack layout.
template <class Peer>
struct alignas(kIsolation) Isolated {
  explicit Isolated(std::size_t capacity) : peer(capacity) {}
  Peer peer;
};

// ---------------------------------------------------------------------------
// Workloads. The writer is the benchmark's own thread; the reader is a Crew
// thread started before the timed loop and joined after it, every call.

// The reader's account of a transfer run, handed over at join.
struct TransferTally {
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;  // frames whose sequence number was not the next
  std::chrono::steady_clock::time_point drained{};  // when the reader took the last frame
};

template <class Peer>
void run_transfer(benchmark::State& state, bool pin) {
  const auto holder = std::make_unique<Isolated<Peer>>(kCapacity);
  Peer& peer = holder->peer;
  TransferTally tally;  // written by the reader before it ends, read after join

  Crew crew(pin);
  crew.spawn(kReaderRole, [&peer, &tally](std::size_t, const Crew& self) {
    Frame frame{};
    std::uint64_t received = 0;
    std::uint64_t out_of_order = 0;
    const auto take = [&] {
      if (!peer.try_pop(frame)) return false;
      out_of_order += get_word(frame) != received ? 1 : 0;
      ++received;
      return true;
    };
    for (;;) {
      if (take()) continue;
      if (self.stopping()) {
        // The writer raised stop after its last push: what it pushed is all
        // visible now, so one more drain takes every remaining frame.
        while (take()) {
        }
        break;
      }
      spin_pause();
    }
    tally = {received, out_of_order, std::chrono::steady_clock::now()};
  }, kReaderRole);

  pin_current_thread(kWriterRole, pin);
  Frame frame{};
  std::uint64_t written = 0;
  crew.start();
  const auto begin = std::chrono::steady_clock::now();
  for (auto _ : state) {
    put_word(frame, written);
    while (!peer.try_push(frame)) spin_pause();
    ++written;
  }
  crew.stop_and_join();
  unpin_current_thread();

  if (tally.received != written || tally.out_of_order != 0) {
    state.SkipWithError("the peer lost, duplicated or reordered frames");
    return;
  }
  // From the first push to the reader's last pop: every frame written was
  // also delivered within it.
  const double seconds = std::chrono::duration<double>(tally.drained - begin).count();
  report_flow(state, seconds, written, ReaderTotals{.received = tally.received, .readers = 1},
              kPayloadBytes);
}

// The reader's acknowledgement: how many frames it has taken. Alone on its
// line, written only by the reader and polled only by the writer.
struct alignas(kIsolation) Ack {
  std::atomic<std::uint64_t> seen{0};
};
// release: pairs with the writer's kAckObserve load. Nothing is read through
// the ack, but the pair makes "the reader took frame n" happen before the
// writer's frame n + 1, so a sample never overlaps the reader's previous one.
constexpr std::memory_order kAckPublish = std::memory_order_release;
// acquire: pairs with the reader's kAckPublish store.
constexpr std::memory_order kAckObserve = std::memory_order_acquire;

template <class Peer>
void run_latency(benchmark::State& state, bool pin) {
  const auto holder = std::make_unique<Isolated<Peer>>(kCapacity);
  Peer& peer = holder->peer;
  const StampClock& clock = StampClock::get();
  Ack ack;
  LatencyHistogram histogram;  // the reader's, copied out before it ends

  Crew crew(pin);
  crew.spawn(kReaderRole, [&](std::size_t, const Crew& self) {
    // On the reader's own stack, so recording touches no line the writer uses.
    LatencyHistogram mine;
    Frame frame{};
    std::uint64_t seen = 0;
    for (;;) {
      if (peer.try_pop(frame)) {
        const std::uint64_t arrived = clock.now();
        mine.record(clock.elapsed_ns(get_word(frame), arrived));
        ack.seen.store(++seen, kAckPublish);
      } else if (self.stopping()) {
        break;  // every frame was acknowledged before stop: the peer is empty
      } else {
        spin_pause();
      }
    }
    histogram = mine;
  }, kReaderRole);

  pin_current_thread(kWriterRole, pin);
  Frame frame{};
  std::uint64_t sent = 0;
  crew.start();
  for (auto _ : state) {
    put_word(frame, clock.now());
    while (!peer.try_push(frame)) spin_pause();  // never full: one frame at a time
    ++sent;
    while (ack.seen.load(kAckObserve) != sent) spin_pause();
  }
  crew.stop_and_join();
  unpin_current_thread();
  report_latency(state, histogram);
}

template <class Peer>
void register_peer(const SweepConfig& config) {
  const bool pin = config.pin;
  const auto axes = {std::pair<std::string_view, std::size_t>{"payload", kPayloadBytes},
                     std::pair<std::string_view, std::size_t>{"cap", kCapacity}};
  const auto finish = [&config](benchmark::internal::Benchmark* b) {
    b->UseRealTime()->MinTime(config.min_time_s)->Unit(benchmark::kNanosecond);
  };
  finish(benchmark::RegisterBenchmark(
      bench_name("peer", "transfer", Peer::kName, axes).c_str(),
      [pin](benchmark::State& state) { run_transfer<Peer>(state, pin); }));
  finish(benchmark::RegisterBenchmark(
      bench_name("peer", "latency", Peer::kName, axes).c_str(),
      [pin](benchmark::State& state) { run_latency<Peer>(state, pin); }));
}

}  // namespace

void register_peer_benchmarks(const SweepConfig& config) {
  if (config.scaling_only) return;  // the scaling sweep is about thread counts
  register_peer<BoostSpsc>(config);
  register_peer<CkRingSpsc>(config);
  register_peer<MoodycamelRwq>(config);
  register_peer<MoodycamelCq>(config);
}

}  // namespace ringlab::bench
