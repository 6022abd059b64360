// What the soak's children and its parent share (one SharedBlock per variant):
// a seat per child. A child is SIGKILLed at any instruction, so what it
// reports must be whole whenever it dies: counters are single atomic words,
// and a reader's tally is double-buffered behind a sequence word, so the
// parent reads the last whole snapshot of a dead reader (the poll it died in
// is simply not counted, and its cursor's move with it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/stress_frame.hpp"
#include "common/tally.hpp"

namespace ringlab::soak {

inline std::int64_t monotonic_ns() {
  // steady_clock is CLOCK_MONOTONIC: one clock for every process of the machine.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One reader lifetime's account: what its polls came to, and its frame checks.
struct ReaderTally {
  harness::PollTally polls;
  stress::CursorJudge frames;
};

struct Seat {
  // writer: frames published (one killed between a publish and this count misses
  // it); watcher: the longest a counter stayed Pending, in microseconds
  std::atomic<std::uint64_t> written{0};
  // reader: when a poll last delivered a frame; watcher: when a look last finished
  std::atomic<std::int64_t> last_new_ns{0};
  std::atomic<std::uint32_t> took_over{0};     // writer: took a dead writer's lease over
  std::atomic<std::uint32_t> failed{0};        // set once `why` is written, before _exit
  char why[200] = {};
  std::atomic<std::uint64_t> sequence{0};      // reader: snapshots published
  ReaderTally snapshot[2];

  // Called by the parent between two processes of this seat.
  void clear() {
    written.store(0);
    last_new_ns.store(0);
    took_over.store(0);
    failed.store(0);
    std::memset(why, 0, sizeof why);
    sequence.store(0);
    snapshot[0] = snapshot[1] = ReaderTally{};
  }

  // Reader: publishes its tally (it is the only writer of this seat).
  void publish(const ReaderTally& tally) {
    const std::uint64_t next = sequence.load(std::memory_order_relaxed) + 1;
    snapshot[next & 1] = tally;
    sequence.store(next, std::memory_order_release);
  }
  // Parent, after the reader is reaped: its last whole snapshot.
  ReaderTally last_snapshot() const {
    const std::uint64_t seq = sequence.load(std::memory_order_acquire);
    return seq == 0 ? ReaderTally{} : snapshot[seq & 1];
  }

  void fail(std::string_view what) {
    const std::size_t n = what.size() < sizeof why - 1 ? what.size() : sizeof why - 1;
    std::memcpy(why, what.data(), n);
    failed.store(1, std::memory_order_release);
  }
  // Parent: the child's reason, bounded whatever the block holds.
  std::string_view reason() const {
    if (failed.load(std::memory_order_acquire) == 0) return {};
    return std::string_view(why, strnlen(why, sizeof why - 1));
  }
};

inline constexpr std::size_t kMaxWriters = 2;
inline constexpr std::size_t kMaxReaders = 2;

struct Board {
  Seat writers[kMaxWriters];
  Seat readers[kMaxReaders];
  Seat watcher;
};

}  // namespace ringlab::soak
