// The peer queues, each behind a small adapter that moves one 64-byte Frame by
// value per call, as an expert user of its library would call it.
//
// An adapter has:
//   static constexpr PeerTraits kTraits      name, writers and readers it allows, detail
//   Peer(std::size_t capacity, std::size_t writers)
//   bool try_push(std::size_t writer, const Frame&)   false, copying nothing, when full
//   bool try_pop(Frame&)                             false when empty
// or, in place of try_push where the library has a push that waits for room
// itself and says it is the faster way to wait, void push(std::size_t writer,
// const Frame&).
// `writer` (0 .. writers-1) names the calling writer thread; only queues that
// keep per-producer state (moodycamel's tokens) look at it. No push allocates:
// every queue is built with room for about `capacity` frames (each adapter
// says exactly how many) and refuses a frame when full.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <vector>

#include <atomic_queue/atomic_queue.h>
#include <boost/lockfree/spsc_queue.hpp>
#include <concurrentqueue/concurrentqueue.h>
#include <readerwriterqueue/readerwriterqueue.h>
#include <xenium/vyukov_bounded_queue.hpp>

#include "peers/ck_ring_queue.h"

// DPDK's headers last: they define function-like macros (likely, unlikely)
// that no header after them should see. rte_config.h first, as DPDK's own
// build does with -include.
#include <rte_config.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#undef likely
#undef unlikely

namespace ringlab::bench {

inline constexpr std::size_t kPeerPayloadBytes = 64;
// Every configuration runs the peers at this one capacity: they are a fixed
// point of comparison, not a sweep of their own. Queues sized at compile time
// are built for it.
inline constexpr std::size_t kPeerCapacity = 1024;
inline constexpr std::size_t kCacheLine = 64;
// What a shared object is aligned to so that nothing else sits on its lines:
// two lines, since the adjacent-line prefetcher moves lines in pairs.
inline constexpr std::size_t kIsolation = 2 * kCacheLine;

// The frame every peer carries by value. Line-aligned so that in every peer's
// storage a slot is exactly one cache line where the library lets it be, and
// no peer pays for frames straddling two lines.
struct alignas(kCacheLine) Frame {
  std::array<unsigned char, kPeerPayloadBytes> bytes;
};
static_assert(sizeof(Frame) == kPeerPayloadBytes);
static_assert(std::is_trivially_copyable_v<Frame>);

// The frame's first words carry what a workload needs (a sequence number or a
// stamp, the writer); the rest is payload that is copied but not read.
inline void put_word(Frame& frame, std::size_t index, std::uint64_t word) {
  std::memcpy(frame.bytes.data() + index * sizeof word, &word, sizeof word);
}
inline std::uint64_t get_word(const Frame& frame, std::size_t index) {
  std::uint64_t word;
  std::memcpy(&word, frame.bytes.data() + index * sizeof word, sizeof word);
  return word;
}

struct PeerTraits {
  std::string_view name;  // the <subject> part of the benchmark names
  bool multi_writer;      // more than one thread may push at once
  bool multi_reader;      // more than one thread may pop at once
  std::string_view detail;
  // Each writer's frames come out in the order it pushed them, whatever the
  // other writers do.
  bool fifo_per_writer = true;
};

// boost::lockfree::spsc_queue sized at compile time (its capacity<> option),
// as every peer here is built for one capacity: the ring is an array inside
// the queue object and its bound a constant. It holds exactly kSlots frames.
class BoostSpsc {
 public:
  static constexpr std::size_t kSlots = kPeerCapacity;
  static constexpr PeerTraits kTraits{
      "boost-spsc", false, false,
      "Boost.Lockfree spsc_queue<Frame, capacity<1024>>; push/pop copy the frame"};
  BoostSpsc(std::size_t capacity, std::size_t) {
    if (capacity != kSlots) throw std::invalid_argument("boost peer: capacity is fixed");
  }
  bool try_push(std::size_t, const Frame& frame) { return queue_.push(frame); }
  bool try_pop(Frame& frame) { return queue_.pop(frame); }

 private:
  boost::lockfree::spsc_queue<Frame, boost::lockfree::capacity<kSlots>> queue_;
};

// Concurrency Kit's ck_ring through the C wrapper (peers/ck_ring_queue.h),
// which stores the 64 bytes in the ring's slots. ck_ring keeps one slot free,
// so it holds capacity - 1 frames.
class CkRingSpsc {
 public:
  static constexpr PeerTraits kTraits{
      "ck-ring-spsc", false, false,
      "Concurrency Kit ck_ring SPSC with 64-byte typed slots (CK_RING_PROTOTYPE), "
      "through a C wrapper: one call per push or pop"};
  CkRingSpsc(std::size_t capacity, std::size_t)
      : queue_(ringlab_ck_ring_queue_create(static_cast<unsigned int>(capacity))) {
    if (!queue_) throw std::bad_alloc();
  }
  bool try_push(std::size_t, const Frame& frame) {
    return ringlab_ck_ring_queue_try_push(queue_.get(), &frame);
  }
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
// kMaxBlock it is one block of `capacity` slots, holding capacity - 1 frames,
// the same ring as ck_ring's.
class MoodycamelRwq {
 public:
  static constexpr std::size_t kMaxBlock = 1024;
  static constexpr PeerTraits kTraits{
      "moodycamel-rwq", false, false,
      "moodycamel::ReaderWriterQueue<Frame>, one preallocated block; try_enqueue/try_dequeue"};
  MoodycamelRwq(std::size_t capacity, std::size_t) : queue_(capacity - 1) {}
  bool try_push(std::size_t, const Frame& frame) { return queue_.try_enqueue(frame); }
  bool try_pop(Frame& frame) { return queue_.try_dequeue(frame); }

 private:
  moodycamel::ReaderWriterQueue<Frame, kMaxBlock> queue_;
};

// moodycamel::ConcurrentQueue (multi-producer multi-consumer): blocks for
// `capacity` frames are preallocated, and tokens take the explicit-producer
// fast path: a ProducerToken per writer, one ConsumerToken for the reader,
// all built before any thread starts. try_enqueue fails rather than take a
// new block; a block is reused only once it is wholly drained, so the queue
// may refuse a frame slightly before it holds `capacity` of them.
// An explicit producer takes blocks from the shared pool and never gives them
// back, and one that finds the pool empty on its first push would never get
// one: each token therefore pushes (and the consumer pops) one frame here, so
// every writer owns a block before the run.
class MoodycamelCq {
 public:
  static constexpr PeerTraits kTraits{
      "moodycamel-cq", true, true,
      "moodycamel::ConcurrentQueue<Frame>, a ProducerToken per writer and a ConsumerToken; "
      "try_enqueue/try_dequeue"};
  MoodycamelCq(std::size_t capacity, std::size_t writers) : queue_(capacity), consumer_(queue_) {
    producers_.reserve(writers);
    Frame frame{};
    for (std::size_t w = 0; w < writers; ++w) {
      producers_.emplace_back(queue_);
      if (!queue_.try_enqueue(producers_.back(), frame) || !queue_.try_dequeue(consumer_, frame)) {
        throw std::runtime_error("moodycamel::ConcurrentQueue: no block for a producer");
      }
    }
  }
  bool try_push(std::size_t writer, const Frame& frame) {
    return queue_.try_enqueue(producers_[writer], frame);
  }
  bool try_pop(Frame& frame) { return queue_.try_dequeue(consumer_, frame); }

 private:
  moodycamel::ConcurrentQueue<Frame> queue_;  // declared first: the tokens refer to it
  std::vector<moodycamel::ProducerToken> producers_;  // read-only once built
  moodycamel::ConsumerToken consumer_;
};

// atomic_queue::AtomicQueue2 (its queue for elements that are not atomics),
// sized at compile time: exactly `capacity` frames, each slot one line, a
// state byte per slot. The library's README names push, which waits for the
// slot's state itself, the faster way to wait for room ("optimist" push); the
// reader must be able to stop, so it pops with try_pop. In SPSC mode the
// indices move by plain loads and stores; otherwise by fetch_add (push) and
// compare-exchange (try_pop).
// With several writers it is not FIFO per writer once full: a slot holds only
// a state, not the lap it was claimed for, so a writer that claimed position
// n + capacity can fill the slot before the writer that claimed n does, and
// the reader takes the later frame at n.
template <bool kSpsc>
class AtomicQueue {
 public:
  static constexpr PeerTraits kTraits =
      kSpsc ? PeerTraits{"atomic-queue-spsc", false, false,
                         "atomic_queue::AtomicQueue2<Frame, 1024> in SPSC mode; "
                         "push (optimist: waits on the slot) and try_pop"}
            : PeerTraits{"atomic-queue-mpmc", true, true,
                         "atomic_queue::AtomicQueue2<Frame, 1024> (MPMC); "
                         "push (optimist: fetch_add, waits on the slot) and try_pop; "
                         "a writer's frames may overtake its own when full",
                         false};
  static constexpr unsigned kSlots = kPeerCapacity;
  AtomicQueue(std::size_t capacity, std::size_t) {
    if (capacity != kSlots) throw std::invalid_argument("atomic_queue peer: capacity is fixed");
  }
  void push(std::size_t, const Frame& frame) { queue_.push(frame); }
  bool try_pop(Frame& frame) { return queue_.try_pop(frame); }

 private:
  // Defaults but for SPSC: minimise contention (index shuffling, a no-op at
  // this size), maximise throughput (pause while waiting), no total order.
  atomic_queue::AtomicQueue2<Frame, kSlots, true, true, false, kSpsc> queue_;
};

// xenium::vyukov_bounded_queue (Vyukov's bounded MPMC array queue): holds
// exactly `capacity` frames. A cell is a sequence word beside the value, so
// with the line-aligned Frame a cell is two lines, the word's and the
// frame's; with a plain 64-byte array instead, cells of 72 bytes straddle
// lines and neighbours share them, which measured slower here in both
// workloads. try_push/try_pop are the library's default (strong) forms: they
// fail only when the queue is full or empty.
class XeniumVyukov {
 public:
  static constexpr PeerTraits kTraits{
      "xenium-vyukov", true, true,
      "xenium::vyukov_bounded_queue<Frame> (Vyukov bounded MPMC); try_push/try_pop"};
  XeniumVyukov(std::size_t capacity, std::size_t) : queue_(capacity) {}
  bool try_push(std::size_t, const Frame& frame) { return queue_.try_push(frame); }
  bool try_pop(Frame& frame) { return queue_.try_pop(frame); }

 private:
  xenium::vyukov_bounded_queue<Frame> queue_;
};

// DPDK's rte_ring with 64-byte elements (the rte_ring_*_elem calls copy the
// frame into and out of the ring's slots). rte_ring_create reserves an EAL
// memzone and so needs rte_eal_init; rte_ring_init on memory of our own does
// not (it only fills in the header), and the enqueue and dequeue calls are
// inline code over that memory. The ring keeps one slot free: capacity - 1
// frames. SP/SC or classic MP/MC (compare-exchange on the head, then wait for
// earlier claims to publish), called by their explicit names rather than
// through the flags' run-time dispatch.
template <bool kMulti>
class DpdkRing {
 public:
  static constexpr PeerTraits kTraits =
      kMulti ? PeerTraits{"dpdk-ring-mpmc", true, true,
                          "DPDK rte_ring, MP/MC, 64-byte elements (rte_ring_mp_enqueue_elem, "
                          "rte_ring_mc_dequeue_elem) in own memory, no EAL"}
             : PeerTraits{"dpdk-ring-spsc", false, false,
                          "DPDK rte_ring, SP/SC, 64-byte elements (rte_ring_sp_enqueue_elem, "
                          "rte_ring_sc_dequeue_elem) in own memory, no EAL"};
  DpdkRing(std::size_t capacity, std::size_t) {
    const auto count = static_cast<unsigned int>(capacity);
    const ssize_t bytes = rte_ring_get_memsize_elem(kElementBytes, count);
    if (bytes < 0) throw std::invalid_argument("rte_ring: capacity must be a power of two");
    const std::size_t rounded = (static_cast<std::size_t>(bytes) + kIsolation - 1) /
                                kIsolation * kIsolation;
    ring_.reset(static_cast<rte_ring*>(std::aligned_alloc(kIsolation, rounded)));
    if (!ring_) throw std::bad_alloc();
    const unsigned int flags = kMulti ? 0 : RING_F_SP_ENQ | RING_F_SC_DEQ;
    if (rte_ring_init(ring_.get(), "ringlab-peer", count, flags) != 0) {
      throw std::runtime_error("rte_ring_init failed");
    }
  }
  // The enqueue calls take a non-const pointer but only read through it.
  bool try_push(std::size_t, const Frame& frame) {
    void* source = const_cast<Frame*>(&frame);
    if constexpr (kMulti) return rte_ring_mp_enqueue_elem(ring_.get(), source, kElementBytes) == 0;
    return rte_ring_sp_enqueue_elem(ring_.get(), source, kElementBytes) == 0;
  }
  bool try_pop(Frame& frame) {
    if constexpr (kMulti) return rte_ring_mc_dequeue_elem(ring_.get(), &frame, kElementBytes) == 0;
    return rte_ring_sc_dequeue_elem(ring_.get(), &frame, kElementBytes) == 0;
  }

 private:
  static constexpr unsigned int kElementBytes = sizeof(Frame);
  struct Free {
    void operator()(rte_ring* ring) const { std::free(ring); }
  };
  std::unique_ptr<rte_ring, Free> ring_;
};

}  // namespace ringlab::bench
