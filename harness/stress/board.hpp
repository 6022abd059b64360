// What a stress run is told (Config), what it finds (Result), and the board
// its writers, readers and watchers share: in memory that forked roles share
// too (common/shared_block.hpp), so one board serves threads and processes.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/stress_frame.hpp"
#include "common/tally.hpp"
#include "ringlab/frame.hpp"

namespace ringlab::stress {

using Clock = std::chrono::steady_clock;
inline constexpr std::uint8_t kRingKind = 42;
// Writers publish every few microseconds; a barrier wait that ends this long
// after it began, on a counter that is published by then, was woken by its
// deadline rather than by the writer: a lost wake-up.
inline constexpr auto kWaitTimeout = std::chrono::milliseconds(1000);
// How long cursors may take to drain the ring after the writers stop.
inline constexpr auto kDrainLimit = std::chrono::seconds(10);
// How long readers may take to attach and register before the writers start.
inline constexpr auto kSetupLimit = std::chrono::seconds(10);
inline constexpr int kMaxWriters = 64, kMaxReaders = 32, kMaxWatchers = 32;

// The harness's own atomic orders. Across processes they hold as between
// threads: the words are lock-free atomics in one shared mapping.
// (S1) relaxed store / (S2) relaxed load of stop_writers: the flag only ends
//      the writers' loops; joining them (or reaping them) orders the rest.
inline constexpr std::memory_order kStopWriters = std::memory_order_relaxed;
inline constexpr std::memory_order kCheckStop = std::memory_order_relaxed;
// (S3) release store of writers_done / (S4) acquire load by the readers: every
//      commit happens before the readers' final polls, which therefore reach head.
inline constexpr std::memory_order kWritersDone = std::memory_order_release;
inline constexpr std::memory_order kSeeWritersDone = std::memory_order_acquire;
// (S5) release store of a reader's progress / (S6) acquire load by a trickle
//      writer: the reader has consumed everything below it.
inline constexpr std::memory_order kPublishProgress = std::memory_order_release;
inline constexpr std::memory_order kReadProgress = std::memory_order_acquire;
// (S7) release increment of readers_ready / (S8) acquire load by the run: a
//      reader's gate and first progress are in place before any writer starts.
inline constexpr std::memory_order kReaderReady = std::memory_order_release;
inline constexpr std::memory_order kAwaitReaders = std::memory_order_acquire;
// (S9) relaxed: frames checked, a count for the progress monitor only.
inline constexpr std::memory_order kCount = std::memory_order_relaxed;
// (S10) relaxed increment / (S11) relaxed load of writers_running: it only
//      says whether a reader's wait can be judged, and orders no data.
inline constexpr std::memory_order kWriterRunning = std::memory_order_relaxed;
inline constexpr std::memory_order kSeeWritersRunning = std::memory_order_relaxed;

struct Config {
  std::string variant;
  int writers = 0;
  int readers = 0;
  int watchers = 0;
  RingSpec spec;
  std::uint64_t min_frames = 0;
  double max_seconds = 0;
  std::uint64_t first_counter = 0;
  bool trickle = false;
  bool processes = false;
  std::uint64_t batch = 0;  // --batch: counters per claim_batch, 0 for none
  bool loan = false;        // --loan
  bool preempt_sleepers = false;  // --preempt_sleepers (preempted.hpp)
};

struct alignas(64) ReaderTally {
  std::atomic<std::uint64_t> checked{0};   // (S9), also read by the progress monitor
  std::atomic<std::uint64_t> progress{0};  // (S5)/(S6) cursor position, read by trickle writers
  harness::PollTally polls;                // cursor readers
  CursorJudge frames;                      // cursor readers
  SlotJudge slots;                         // slot watchers
  std::uint64_t waits = 0, lost_wakeups = 0;
  bool reached_head = false;
  bool cursor = false;        // a cursor reader, not a slot watcher
  bool gated = false;         // a cursor reader with a registered gate: it may lose nothing
  bool gate_refused = false;  // a gated reader that could not register
  std::optional<std::uint64_t> stuck_at;  // Pending counter the drain never got past
};

struct alignas(64) WriterTally {
  std::uint64_t written = 0;
  std::uint64_t lost_wakeups = 0;  // trickle: readers missed this writer's frame
};

// What the run and its roles share.
struct Board {
  std::atomic<bool> stop_writers{false};  // (S1)/(S2)
  std::atomic<bool> writers_done{false};  // (S3)/(S4)
  std::atomic<int> readers_ready{0};      // (S7)/(S8)
  std::atomic<int> writers_running{0};    // (S10)/(S11)
  Clock::time_point writers_done_at;      // written before writers_done, read after it
  std::array<ReaderTally, kMaxReaders + kMaxWatchers> readers;
  std::array<WriterTally, kMaxWriters> writers;
};

struct Result {
  std::uint64_t frames_checked = 0, written = 0, delivered = 0, torn = 0, regressions = 0;
  std::uint64_t inexact_polls = 0, lost_wakeups = 0, waits = 0, slot_reads = 0;
  std::uint64_t overwritten = 0, unavailable = 0, head = 0;
  std::uint64_t failed_roles = 0;  // processes that failed or were killed; gates refused
  bool loss_exact = true, all_reached_head = true, min_reached = false;
  double seconds = 0;

  bool passed() const {
    return torn == 0 && regressions == 0 && inexact_polls == 0 && lost_wakeups == 0 &&
           failed_roles == 0 && loss_exact && all_reached_head && min_reached;
  }
};

// The result as JSON, one line: what scripts/ringlab and the evidence read.
std::string to_json(const Config& config, const Result& result);
// The result as one line of text, and a line more if min_frames was not reached.
void print_result(const Config& config, const Result& result);

}  // namespace ringlab::stress
