// ringlab_stress: W writers and R readers hammer one ring with self-checking
// frames (stress_frame.hpp) for a bounded time. The run fails unless
//   - no reader ever receives a torn frame,
//   - no cursor receives a counter at or below one it already had, and no slot
//     is seen going back from a newer counter to an older one,
//   - every poll's loss accounting is exact, and after the writers stop every
//     cursor reaches head with delivered + overwritten + unavailable equal to
//     the distance it moved (and zero loss for gated readers),
//   - no wait on the disruptor's barrier misses its wake-up.
// Small capacities make writers lap each other on purpose.
//
// With --processes, every writer, reader and watcher is a forked process
// attached to one ring in POSIX shared memory (shm/shared_ring.hpp); they
// report through a MAP_SHARED anonymous board and the parent judges the same
// way. Shared-memory rings start at counter 0.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ringlab/known_bad/seed_seqlock.hpp"
#include "ringlab/ringlab.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "stress_frame.hpp"

ABSL_FLAG(std::string, variant, "seqlock",
          "rwlock | seqlock | disruptor-spin | disruptor-yield | disruptor-blocking | "
          "disruptor-gated (gated mode, blocking wait); one writer (--writers=1): seqlock-single | "
          "disruptor-single-yield | disruptor-single-gated; known bad, expected to fail: "
          "known-bad-plain-payload (a seqlock copying its payload as plain memory)");
ABSL_FLAG(int, writers, 2, "writers (threads, or processes with --processes), 1..64");
ABSL_FLAG(int, readers, 2, "cursor readers, 1..32 (each polls with its own cursor)");
ABSL_FLAG(int, watchers, 1,
          "slot watchers, 0..32: read slots round-robin, check each frame and that no "
          "slot goes back to an older counter");
ABSL_FLAG(uint64_t, capacity, 4, "ring capacity, a power of two; small values force laps");
ABSL_FLAG(uint64_t, payload, 48, "payload capacity in bytes, 24..65536; frame sizes vary up to it");
ABSL_FLAG(double, min_frames, 1e7, "stop once the readers have checked this many frames");
ABSL_FLAG(double, max_seconds, 120, "fail if min_frames is not reached by then");
ABSL_FLAG(uint64_t, first_counter, (uint64_t{1} << 32) - 100000,
          "counter of the first write (default: just below 2^32, so every run crosses it; "
          "not with --processes, whose rings start at 0)");
ABSL_FLAG(bool, trickle, false,
          "each writer waits, after each frame, until every cursor reader has consumed it: "
          "readers sleep between frames, and a wake-up the writer's signal missed shows");
ABSL_FLAG(std::string, json, "", "also write the result as JSON to this file");
ABSL_FLAG(bool, processes, false,
          "run every writer, reader and watcher as a forked process over a ring in POSIX shared "
          "memory: seqlock, disruptor-spin, disruptor-yield, disruptor-gated (yielding wait: "
          "BlockingWait is process-local), rwlock, or a single-writer variant (its writer "
          "process takes the ring's writer lease). Counters then start at 0, so "
          "--first_counter may not be given");

namespace ringlab::stress {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint8_t kRingKind = 42;
// Writers publish every few microseconds; a barrier wait that ends this long
// after it began, on a counter that is published by then, was woken by its
// deadline rather than by the writer: a lost wake-up.
constexpr auto kWaitTimeout = std::chrono::milliseconds(1000);
// How long cursors may take to drain the ring after the writers stop.
constexpr auto kDrainLimit = std::chrono::seconds(10);
// How long readers may take to attach and register before the writers start.
constexpr auto kSetupLimit = std::chrono::seconds(10);
constexpr int kMaxWriters = 64, kMaxReaders = 32, kMaxWatchers = 32;

// The harness's own atomic orders. Across processes they hold as between
// threads: the words are lock-free atomics in one shared mapping.
// (S1) relaxed store / (S2) relaxed load of stop_writers: the flag only ends
//      the writers' loops; joining them (or reaping them) orders the rest.
constexpr std::memory_order kStopWriters = std::memory_order_relaxed;
constexpr std::memory_order kCheckStop = std::memory_order_relaxed;
// (S3) release store of writers_done / (S4) acquire load by the readers: every
//      commit happens before the readers' final polls, which therefore reach head.
constexpr std::memory_order kWritersDone = std::memory_order_release;
constexpr std::memory_order kSeeWritersDone = std::memory_order_acquire;
// (S5) release store of a reader's progress / (S6) acquire load by a trickle
//      writer: the reader has consumed everything below it.
constexpr std::memory_order kPublishProgress = std::memory_order_release;
constexpr std::memory_order kReadProgress = std::memory_order_acquire;
// (S7) release increment of readers_ready / (S8) acquire load by the run: a
//      reader's gate and first progress are in place before any writer starts.
constexpr std::memory_order kReaderReady = std::memory_order_release;
constexpr std::memory_order kAwaitReaders = std::memory_order_acquire;
// (S9) relaxed: frames checked, a count for the progress monitor only.
constexpr std::memory_order kCount = std::memory_order_relaxed;
// (S10) relaxed increment / (S11) relaxed load of writers_running: it only
//      says whether a reader's wait can be judged, and orders no data.
constexpr std::memory_order kWriterRunning = std::memory_order_relaxed;
constexpr std::memory_order kSeeWritersRunning = std::memory_order_relaxed;

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
};

struct alignas(64) ReaderTally {
  std::atomic<std::uint64_t> checked{0};   // (S9), also read by the progress monitor
  std::atomic<std::uint64_t> progress{0};  // (S5)/(S6) cursor position, read by trickle writers
  std::uint64_t delivered = 0, moved = 0, torn = 0, regressions = 0, inexact_polls = 0;
  std::uint64_t slot_reads = 0, waits = 0, lost_wakeups = 0;
  Loss loss;
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

// What the run and its roles share. It lives in a MAP_SHARED anonymous
// mapping, so roles forked after it is made write into the parent's copy.
struct Board {
  std::atomic<bool> stop_writers{false};  // (S1)/(S2)
  std::atomic<bool> writers_done{false};  // (S3)/(S4)
  std::atomic<int> readers_ready{0};      // (S7)/(S8)
  std::atomic<int> writers_running{0};    // (S10)/(S11)
  Clock::time_point writers_done_at;      // written before writers_done, read after it
  std::array<ReaderTally, kMaxReaders + kMaxWatchers> readers;
  std::array<WriterTally, kMaxWriters> writers;
};

struct BoardUnmap {
  void operator()(Board* board) const {
    board->~Board();
    ::munmap(board, sizeof(Board));
  }
};
using BoardPtr = std::unique_ptr<Board, BoardUnmap>;

BoardPtr make_board() {
  void* p = ::mmap(nullptr, sizeof(Board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("ringlab_stress: mmap");
    std::exit(2);
  }
  return BoardPtr(new (p) Board);
}

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

template <class RingT>
constexpr bool kHasBarrier = requires(RingT& r) { r.storage().barrier(); };

// Stands in for GatedReader where the storage has no sequencer; never engaged.
struct NoGate {
  RingCursor cursor() const { return {}; }
  template <class OnFrame>
  PollStats poll(FrameBuffer&, OnFrame&&) { return {}; }
};
template <class RingT>
using GateFor = gated_reader_or_t<RingT, NoGate>;

// The work of each writer, cursor reader and slot watcher, over this
// process's view of the ring; tallies and flags on the board.
template <class RingT>
class Roles {
 public:
  Roles(const Config& config, RingT& ring, Board& board)
      : config_(config), ring_(ring), board_(board) {}

  void write(std::size_t w) {
    const auto writer = static_cast<std::uint32_t>(w);
    const NodeId node(static_cast<std::uint16_t>(w));
    std::vector<std::byte> payload(ring_.payload_capacity());
    WriterTally& tally = board_.writers[w];
    board_.writers_running.fetch_add(1, kWriterRunning);  // (S10)
    for (std::uint64_t seq = 0; !board_.stop_writers.load(kCheckStop); ++seq) {  // (S2)
      const std::size_t size = frame_size(writer, seq, payload.size());
      auto ticket = ring_.claim(node, size);
      if (!ticket.ok()) {
        std::fprintf(stderr, "claim failed: %s\n", std::string(ticket.status().message()).c_str());
        std::abort();
      }
      const std::uint64_t c = ticket->counter;
      const std::span<std::byte> frame(payload.data(), size);
      fill_frame(frame, c, writer);
      if (!ring_.publish(*ticket, frame_kind(c), frame_ver(c), frame).ok()) std::abort();
      ++tally.written;
      if (config_.trickle && !consumed_by_all_readers(c)) ++tally.lost_wakeups;
    }
  }

  // A cursor reader. A gated one registers its gate here, in its own thread
  // or process, before it says it is ready: the writers start after that, so
  // it loses nothing.
  void read(std::size_t r) {
    ReaderTally& tally = board_.readers[r];
    tally.cursor = true;
    std::optional<GateFor<RingT>> gate;
    if constexpr (kHasBarrier<RingT>) {
      if (ring_.storage().sequencer().mode() == OverflowMode::kGated) {
        auto reader = GatedReader<RingT>::attach(ring_);
        if (!reader.ok()) {
          std::fprintf(stderr, "cannot register reader: %s\n",
                       std::string(reader.status().message()).c_str());
          tally.gate_refused = true;
        } else {
          gate.emplace(std::move(*reader));
          tally.gated = true;
        }
      }
    }
    RingCursor cursor = RingCursor::from_counter(config_.first_counter);
    if (gate) cursor = gate->cursor();
    tally.progress.store(cursor.next_counter, kPublishProgress);  // (S5)
    board_.readers_ready.fetch_add(1, kReaderReady);               // (S7)
    if (!tally.gate_refused) read_until_drained(tally, gate, cursor);
  }

  // Reads the slots round-robin until the writers are done. Every frame must
  // be whole, and a slot never goes back to an older counter [MarkerMonotone].
  void watch(std::size_t r) {
    ReaderTally& tally = board_.readers[r];
    FrameBuffer buffer = ring_.make_buffer();
    std::vector<std::uint64_t> held(ring_.capacity(), 0);  // counter + 1 last seen per slot
    const std::uint64_t mask = ring_.capacity() - 1;
    for (std::uint64_t i = 0; !board_.writers_done.load(kSeeWritersDone); ++i) {  // (S4)
      const std::uint64_t slot = i & mask;
      if (!ring_.read_at(slot, buffer)) continue;
      ++tally.slot_reads;
      tally.checked.fetch_add(1, kCount);  // (S9)
      const Checked checked = verify(buffer, kRingKind);
      if (!checked.whole) {
        ++tally.torn;
        continue;
      }
      if (checked.counter + 1 < held[slot]) ++tally.regressions;
      held[slot] = checked.counter + 1;
    }
    tally.reached_head = true;
  }

 private:
  // Trickle mode: waits until every cursor reader has moved past counter c.
  // No other frame is in flight meanwhile, so no later signal can wake a
  // reader that missed ours. A reader whose wake-up was lost sleeps until its
  // own timeout (kWaitTimeout after it began waiting, just before c was
  // published); half of that is the limit here.
  bool consumed_by_all_readers(std::uint64_t c) {
    const auto deadline = Clock::now() + kWaitTimeout / 2;
    for (std::size_t r = 0; r < static_cast<std::size_t>(config_.readers); ++r) {
      while (board_.readers[r].progress.load(kReadProgress) <= c) {  // (S6)
        if (board_.stop_writers.load(kCheckStop)) return true;       // (S2)
        if (Clock::now() >= deadline) return false;
        std::this_thread::yield();
      }
    }
    return true;
  }

  void read_until_drained(ReaderTally& tally, std::optional<GateFor<RingT>>& gate,
                          RingCursor& cursor) {
    FrameBuffer buffer = ring_.make_buffer();
    std::uint64_t last = 0;  // counter + 1 of the last frame delivered
    for (;;) {
      const bool done = board_.writers_done.load(kSeeWritersDone);  // (S4)
      const std::uint64_t from = gate ? gate->cursor().next_counter : cursor.next_counter;
      auto on_frame = [&](const FrameBuffer& f, std::uint64_t polled) {
        const Checked checked = verify(f, kRingKind);
        tally.checked.fetch_add(1, kCount);  // (S9)
        if (!checked.whole) {
          ++tally.torn;
          return;
        }
        // The frame must be the one of the counter polled, after the last one.
        if (checked.counter != polled || checked.counter + 1 <= last || checked.counter < from) {
          ++tally.regressions;
        }
        last = checked.counter + 1;
      };
      const PollStats stats =
          gate ? gate->poll(buffer, on_frame) : poll_into(ring_, cursor, buffer, on_frame);
      if (stats.delivered + stats.loss.total() != stats.to - stats.from) ++tally.inexact_polls;
      tally.delivered += stats.delivered;
      tally.loss += stats.loss;
      tally.moved += stats.to - stats.from;

      const std::uint64_t next = gate ? gate->cursor().next_counter : cursor.next_counter;
      tally.progress.store(next, kPublishProgress);  // (S5)
      if (done && !stats.stopped_at_pending && next == ring_.head()) {
        tally.reached_head = true;
        break;
      }
      // Every claim is published once the writers are done; a cursor still
      // held at a Pending counter long after that has lost a frame for good.
      if (done && Clock::now() - board_.writers_done_at > kDrainLimit) {
        tally.stuck_at = next;
        break;
      }
      if (stats.delivered == 0 && !done) idle(tally, next);
    }
  }

  void idle(ReaderTally& tally, std::uint64_t next) {
    if constexpr (kHasBarrier<RingT>) {
      ++tally.waits;
      // A wait that began before every writer ran (a forked writer may take
      // a second to attach on a busy machine) had no wake-up to lose.
      const bool judged =
          board_.writers_running.load(kSeeWritersRunning) == config_.writers;  // (S11)
      const auto began = Clock::now();
      const WaitResult result = ring_.storage().barrier().wait_for(next, kWaitTimeout);
      if (judged && result == WaitResult::kPublished && Clock::now() - began >= kWaitTimeout) {
        ++tally.lost_wakeups;
      }
    } else {
      std::this_thread::yield();
    }
  }

  const Config& config_;
  RingT& ring_;
  Board& board_;
};

// Runs roles on threads of this process over its ring, or (when `attach` is
// set) each in a forked process over its own attachment to the segment.
template <class RingT>
class Crew {
 public:
  using Role = std::function<void(RingT&)>;
  using Attach = std::function<std::unique_ptr<RingT>()>;

  Crew(RingT& ring, Attach attach, unsigned alarm_seconds)
      : ring_(ring), attach_(std::move(attach)), alarm_seconds_(alarm_seconds) {}
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;
  ~Crew() { (void)join(Clock::now()); }

  void spawn(Role role) {
    if (!attach_) {
      threads_.emplace_back([this, role = std::move(role)] { role(ring_); });
      return;
    }
    std::fflush(nullptr);  // nothing buffered is written twice
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("ringlab_stress: fork");
      ++failed_;
      return;
    }
    if (pid > 0) {
      children_.push_back(pid);
      return;
    }
    // A child that outlives a parent gone wrong ends here at the latest.
    ::alarm(alarm_seconds_);
    // The child leaves here, whatever happens: never back into the parent's run.
    try {
      const std::unique_ptr<RingT> ring = attach_();
      if (ring == nullptr) ::_exit(3);
      role(*ring);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ringlab_stress: process %d: %s\n", static_cast<int>(::getpid()),
                   e.what());
      ::_exit(4);
    }
    ::_exit(0);
  }

  // Waits for every member. Processes still running at `deadline` are killed;
  // they, and processes that exited non-zero or by a signal, count as failed.
  // Threads cannot be killed: a hung one meets ctest's timeout instead.
  std::uint64_t join(Clock::time_point deadline) {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    while (!children_.empty() && Clock::now() < deadline) {
      reap(WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const pid_t pid : children_) {
      std::fprintf(stderr, "ringlab_stress: process %d overran its deadline; killed\n",
                   static_cast<int>(pid));
      ::kill(pid, SIGKILL);
    }
    reap(0);
    return std::exchange(failed_, 0);
  }

 private:
  void reap(int options) {
    std::erase_if(children_, [&](pid_t pid) {
      int status = 0;
      if (::waitpid(pid, &status, options) != pid) return false;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed_;
      return true;
    });
  }

  RingT& ring_;
  const Attach attach_;
  const unsigned alarm_seconds_;
  std::vector<std::thread> threads_;
  std::vector<pid_t> children_;
  std::uint64_t failed_ = 0;
};

template <class RingT>
class StressRun {
 public:
  // Writer processes attach with attach_writer (a single-writer ring's writer
  // role), the others with attach.
  StressRun(const Config& config, RingT& ring, typename Crew<RingT>::Attach attach = {},
            typename Crew<RingT>::Attach attach_writer = {})
      : config_(config),
        ring_(ring),
        attach_(std::move(attach)),
        attach_writer_(attach_writer ? std::move(attach_writer) : attach_),
        board_(make_board()) {}

  Result run() {
    Result result;
    const auto start = Clock::now();
    const unsigned alarm_seconds = static_cast<unsigned>(config_.max_seconds) + 120;
    Crew<RingT> readers(ring_, attach_, alarm_seconds), writers(ring_, attach_writer_, alarm_seconds);
    const auto cursors = static_cast<std::size_t>(config_.readers);
    for (std::size_t r = 0; r < cursors; ++r) readers.spawn(role(&Roles<RingT>::read, r));
    for (std::size_t r = cursors; r < cursors + static_cast<std::size_t>(config_.watchers); ++r) {
      readers.spawn(role(&Roles<RingT>::watch, r));
    }
    if (readers_ready()) {
      for (std::size_t w = 0; w < static_cast<std::size_t>(config_.writers); ++w) {
        writers.spawn(role(&Roles<RingT>::write, w));
      }
      result.min_reached = monitor(start);
    } else {
      std::printf("the readers were not ready within %lld s\n",
                  static_cast<long long>(kSetupLimit.count()));
      ++result.failed_roles;
    }
    board_->stop_writers.store(true, kStopWriters);  // (S1)
    result.failed_roles += writers.join(Clock::now() + kDrainLimit);
    board_->writers_done_at = Clock::now();
    board_->writers_done.store(true, kWritersDone);  // (S3)
    // Wakes the readers of this process; those of other processes see
    // writers_done within kWaitTimeout (the alert flag is process-local).
    if constexpr (kHasBarrier<RingT>) ring_.storage().barrier().alert();
    result.failed_roles += readers.join(Clock::now() + kDrainLimit + 2 * kWaitTimeout);
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return tally(result);
  }

 private:
  template <class Body>
  typename Crew<RingT>::Role role(Body body, std::size_t index) const {
    return [this, body, index](RingT& ring) {
      Roles<RingT> roles(config_, ring, *board_);
      (roles.*body)(index);
    };
  }

  bool readers_ready() const {
    const auto deadline = Clock::now() + kSetupLimit;
    while (board_->readers_ready.load(kAwaitReaders) < config_.readers) {  // (S8)
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // Reports progress until min_frames are checked (true) or time is up.
  bool monitor(Clock::time_point start) const {
    double last_report = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::uint64_t checked = 0;
      for (const auto& t : board_->readers) checked += t.checked.load(kCount);  // (S9)
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed - last_report >= 5) {
        last_report = elapsed;
        std::printf("  [%s] %.1f s: %.3g frames checked (%.0f%% of %.3g)\n",
                    config_.variant.c_str(), elapsed, double(checked),
                    100.0 * double(checked) / double(config_.min_frames),
                    double(config_.min_frames));
        std::fflush(stdout);
      }
      if (checked >= config_.min_frames) return true;
      if (elapsed >= config_.max_seconds) return false;
    }
  }

  Result tally(Result result) const {
    result.head = ring_.head();
    for (const auto& t : board_->writers) {
      result.written += t.written;
      result.lost_wakeups += t.lost_wakeups;
    }
    for (const auto& t : board_->readers) {
      result.frames_checked += t.checked.load(kCount);  // (S9)
      result.delivered += t.delivered;
      result.overwritten += t.loss.overwritten;
      result.unavailable += t.loss.unavailable;
      result.torn += t.torn;
      result.regressions += t.regressions;
      result.inexact_polls += t.inexact_polls;
      result.lost_wakeups += t.lost_wakeups;
      result.waits += t.waits;
      result.slot_reads += t.slot_reads;
      result.failed_roles += t.gate_refused ? 1 : 0;
    }
    const std::size_t roles = static_cast<std::size_t>(config_.readers + config_.watchers);
    for (std::size_t r = 0; r < roles; ++r) {
      const ReaderTally& t = board_->readers[r];
      result.all_reached_head = result.all_reached_head && t.reached_head;
      if (t.stuck_at) {
        std::printf("a cursor is stuck at Pending counter %llu, head %llu: a frame was lost\n",
                    static_cast<unsigned long long>(*t.stuck_at),
                    static_cast<unsigned long long>(result.head));
      }
      const std::uint64_t expected_moved = result.head - config_.first_counter;
      if (t.cursor && (t.delivered + t.loss.total() != t.moved || t.moved != expected_moved)) {
        result.loss_exact = false;
      }
      if (t.gated && t.loss.total() != 0) result.loss_exact = false;
      // Nothing is abandoned here, so every loss is a counter a later lap took
      // (the slot tells poll so). An Unavailable count means a cursor moved
      // past a frame that was still to come (the seed's defect 3).
      if (t.loss.unavailable != 0) result.loss_exact = false;
    }
    return result;
  }

  const Config& config_;
  RingT& ring_;
  const typename Crew<RingT>::Attach attach_;
  const typename Crew<RingT>::Attach attach_writer_;
  const BoardPtr board_;
};

template <class RingT>
Result run_variant(const Config& config, const typename RingT::StorageOptions& options = {}) {
  auto ring = RingT::create(kRingKind, config.spec, RingOptions{config.first_counter}, options);
  if (!ring.ok()) {
    std::fprintf(stderr, "ringlab_stress: %s\n", std::string(ring.status().message()).c_str());
    std::exit(2);
  }
  return StressRun<RingT>(config, **ring).run();
}

// The segment of a --processes run: named after this process, unlinked when
// the run ends (each process keeps its mapping until it exits).
class RunSegment {
 public:
  RunSegment() : name_{absl::StrCat("stress-", ::getpid()), kRingKind, ""} {
    (void)shm::Segment::unlink(name_);  // a leftover of a crashed run of a reused pid
  }
  ~RunSegment() { (void)shm::Segment::unlink(name_); }
  RunSegment(const RunSegment&) = delete;
  RunSegment& operator=(const RunSegment&) = delete;
  const shm::SegmentName& name() const { return name_; }

 private:
  shm::SegmentName name_;
};

template <class RingT>
Result run_shared_variant(const Config& config,
                          const typename RingT::StorageOptions& options = {}) {
  using Storage = typename RingT::storage_type;
  const RunSegment segment;
  auto ring = shm::create_ring<Storage>(segment.name(), config.spec, options);
  if (!ring.ok()) {
    std::fprintf(stderr, "ringlab_stress: %s\n", std::string(ring.status().message()).c_str());
    std::exit(2);
  }
  const shm::SegmentName name = segment.name();
  auto attach_as = [name, spec = config.spec, options](shm::RingRole role) {
    return [name, spec, options, role]() -> std::unique_ptr<RingT> {
      auto attached = shm::attach_ring<Storage>(name, spec, options, {.role = role});
      if (attached.ok()) return *std::move(attached);
      std::fprintf(stderr, "ringlab_stress: process %d: %s\n", static_cast<int>(::getpid()),
                   std::string(attached.status().message()).c_str());
      return nullptr;
    };
  };
  return StressRun<RingT>(config, **ring, attach_as(shm::RingRole::kReader),
                          attach_as(shm::RingRole::kWriter))
      .run();
}

constexpr std::array<std::string_view, 10> kVariants = {
    "rwlock",          "seqlock",         "disruptor-spin",        "disruptor-yield",
    "disruptor-blocking", "disruptor-gated", "known-bad-plain-payload", "seqlock-single",
    "disruptor-single-yield", "disruptor-single-gated"};

// Variants whose ring has one writer (WriterMode::kSingle).
bool has_one_writer(std::string_view name) {
  return name == "seqlock-single" || name.starts_with("disruptor-single-");
}

bool is_variant(std::string_view name) {
  return std::find(kVariants.begin(), kVariants.end(), name) != kVariants.end();
}

// Why a variant cannot run across processes; nothing if it can.
std::optional<std::string> not_shareable(std::string_view variant) {
  if (variant == "disruptor-blocking") {
    return "BlockingWait sleeps on a process-local condition variable: a writer in another "
           "process could never wake its readers (try disruptor-yield)";
  }
  if (variant == "known-bad-plain-payload") {
    return "known-bad designs are not shareable: their payload is plain memory, and the "
           "ThreadSanitizer check they exist for sees one process only";
  }
  return std::nullopt;
}

std::optional<Result> run_in_process(const Config& config) {
  const DisruptorOptions gated{OverflowMode::kGated};
  if (config.variant == "rwlock") return run_variant<RwlockRing>(config);
  if (config.variant == "seqlock") return run_variant<SeqlockRing>(config);
  if (config.variant == "disruptor-spin") return run_variant<DisruptorRing<BusySpinWait>>(config);
  if (config.variant == "disruptor-yield") return run_variant<DisruptorRing<YieldingWait>>(config);
  if (config.variant == "disruptor-blocking") {
    return run_variant<DisruptorRing<BlockingWait>>(config);
  }
  if (config.variant == "disruptor-gated") {
    return run_variant<DisruptorRing<BlockingWait>>(config, gated);
  }
  if (config.variant == "seqlock-single") return run_variant<SeqlockSingleRing>(config);
  if (config.variant == "disruptor-single-yield") {
    return run_variant<DisruptorSingleRing<YieldingWait>>(config);
  }
  if (config.variant == "disruptor-single-gated") {
    return run_variant<DisruptorSingleRing<BlockingWait>>(config, gated);
  }
  if (config.variant == "known-bad-plain-payload") {
    // Never conforming: its payload copy is a data race that TSan must report.
    return run_variant<Ring<known_bad::PlainPayloadSeqlock<StdSync>>>(config);
  }
  return std::nullopt;
}

std::optional<Result> run_across_processes(const Config& config) {
  using namespace shm;
  const DisruptorOptions gated{OverflowMode::kGated};
  if (config.variant == "rwlock") return run_shared_variant<SharedRwlockRing>(config);
  if (config.variant == "seqlock") return run_shared_variant<SharedSeqlockRing>(config);
  if (config.variant == "disruptor-spin") {
    return run_shared_variant<SharedDisruptorRing<BusySpinWait>>(config);
  }
  if (config.variant == "disruptor-yield") {
    return run_shared_variant<SharedDisruptorRing<YieldingWait>>(config);
  }
  if (config.variant == "disruptor-gated") {
    return run_shared_variant<SharedDisruptorRing<YieldingWait>>(config, gated);
  }
  if (config.variant == "seqlock-single") return run_shared_variant<SharedSeqlockSingleRing>(config);
  if (config.variant == "disruptor-single-yield") {
    return run_shared_variant<SharedDisruptorSingleRing<YieldingWait>>(config);
  }
  if (config.variant == "disruptor-single-gated") {
    return run_shared_variant<SharedDisruptorSingleRing<YieldingWait>>(config, gated);
  }
  return std::nullopt;
}

std::optional<Result> run(const Config& config) {
  return config.processes ? run_across_processes(config) : run_in_process(config);
}

std::string to_json(const Config& c, const Result& r) {
  return absl::StrFormat(
      "{\"variant\": \"%s\", \"writers\": %d, \"readers\": %d, \"watchers\": %d, "
      "\"capacity\": %d, "
      "\"payload_capacity\": %d, \"first_counter\": %d, \"trickle\": %s, \"seconds\": %.3f, "
      "\"frames_checked\": %d, \"frames_written\": %d, \"delivered\": %d, "
      "\"overwritten\": %d, \"unavailable\": %d, \"slot_reads\": %d, \"waits\": %d, "
      "\"torn\": %d, \"regressions\": %d, \"inexact_polls\": %d, \"lost_wakeups\": %d, "
      "\"loss_exact\": %s, \"reached_head\": %s, \"min_frames_reached\": %s, "
      "\"processes\": %s, \"failed_roles\": %d, \"passed\": %s}\n",
      c.variant, c.writers, c.readers, c.watchers, c.spec.capacity, c.spec.payload_capacity, c.first_counter,
      c.trickle ? "true" : "false", r.seconds, r.frames_checked, r.written, r.delivered, r.overwritten, r.unavailable,
      r.slot_reads, r.waits, r.torn, r.regressions, r.inexact_polls, r.lost_wakeups,
      r.loss_exact ? "true" : "false", r.all_reached_head ? "true" : "false",
      r.min_reached ? "true" : "false", c.processes ? "true" : "false", r.failed_roles,
      r.passed() ? "true" : "false");
}

// Whether argv names the flag (--name, -name, --name=…, -name=…): a default
// the user did not ask for may be replaced, one they gave may not.
bool given(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (!arg.starts_with('-')) continue;
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    if (arg.substr(0, arg.find('=')) == name) return true;
  }
  return false;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ringlab_stress: %s\n%s\nTry --help.\n", message.c_str(),
               std::string(absl::ProgramUsageMessage()).c_str());
  return 2;
}

}  // namespace
}  // namespace ringlab::stress

int main(int argc, char** argv) {
  using namespace ringlab::stress;
  // --help lists this file's flags (Abseil matches files named like the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("harness/stress/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Stress one ring variant with self-checking frames.\n"
      "  ringlab_stress --variant=seqlock --writers=2 --readers=2 --capacity=4 --min_frames=1e7\n"
      "  ringlab_stress --variant=seqlock --processes --capacity=256 --min_frames=1e6");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) return usage_error(std::string("unexpected argument: ") + rest[1]);

  Config config;
  config.variant = absl::GetFlag(FLAGS_variant);
  config.writers = absl::GetFlag(FLAGS_writers);
  config.readers = absl::GetFlag(FLAGS_readers);
  config.watchers = absl::GetFlag(FLAGS_watchers);
  config.spec = {absl::GetFlag(FLAGS_capacity), absl::GetFlag(FLAGS_payload)};
  const double min_frames = absl::GetFlag(FLAGS_min_frames);
  config.max_seconds = absl::GetFlag(FLAGS_max_seconds);
  config.first_counter = absl::GetFlag(FLAGS_first_counter);
  config.trickle = absl::GetFlag(FLAGS_trickle);
  config.processes = absl::GetFlag(FLAGS_processes);
  if (!is_variant(config.variant)) {
    return usage_error("unknown --variant \"" + config.variant + "\"");
  }
  if (config.processes) {
    if (const std::optional<std::string> why = not_shareable(config.variant)) {
      return usage_error("--variant=" + config.variant + " cannot run with --processes: " + *why);
    }
    if (given(argc, argv, "first_counter")) {
      return usage_error(
          "--first_counter cannot be given with --processes: shared-memory rings start at 0");
    }
    config.first_counter = 0;
  }
  if (config.writers < 1 || config.writers > kMaxWriters) {
    return usage_error(absl::StrCat("--writers must be 1..", kMaxWriters));
  }
  if (has_one_writer(config.variant) && !given(argc, argv, "writers")) config.writers = 1;
  if (has_one_writer(config.variant) && config.writers != 1) {
    return usage_error("--variant=" + config.variant + " has one writer: --writers must be 1");
  }
  if (config.readers < 1 || config.readers > kMaxReaders) {
    return usage_error(absl::StrCat("--readers must be 1..", kMaxReaders));
  }
  if (config.watchers < 0 || config.watchers > kMaxWatchers) {
    return usage_error(absl::StrCat("--watchers must be 0..", kMaxWatchers));
  }
  if (config.spec.payload_capacity < kFrameHeaderBytes || config.spec.payload_capacity > 65536) {
    return usage_error("--payload must be 24..65536");
  }
  if (!(min_frames >= 1 && min_frames <= 1e13)) return usage_error("--min_frames must be 1..1e13");
  if (!(config.max_seconds > 0 && config.max_seconds <= 86400)) {
    return usage_error("--max_seconds must be in (0, 86400]");
  }
  if (absl::Status s = config.spec.validate(); !s.ok()) {
    return usage_error(std::string(s.message()));
  }
  config.min_frames = static_cast<std::uint64_t>(min_frames);

  std::printf("stress %s%s: %d writers x %d readers + %d slot watchers, capacity %zu, payload up to %zu B, "
              "counters from %llu, until %.3g frames checked (at most %.0f s)\n",
              config.variant.c_str(), config.processes ? " across processes" : "",
              config.writers, config.readers, config.watchers,
              config.spec.capacity,
              config.spec.payload_capacity, static_cast<unsigned long long>(config.first_counter),
              min_frames, config.max_seconds);
  std::fflush(stdout);
  const std::optional<Result> result = run(config);
  if (!result) return usage_error("unknown --variant \"" + config.variant + "\"");
  const Result& r = *result;
  std::printf(
      "stress %s: frames_checked=%llu torn=%llu regressions=%llu inexact_polls=%llu "
      "lost_wakeups=%llu loss_exact=%s reached_head=%s | written=%llu delivered=%llu "
      "overwritten=%llu unavailable=%llu slot_reads=%llu waits=%llu failed_roles=%llu in %.1f s: "
      "%s\n",
      config.variant.c_str(), (unsigned long long)r.frames_checked, (unsigned long long)r.torn,
      (unsigned long long)r.regressions, (unsigned long long)r.inexact_polls,
      (unsigned long long)r.lost_wakeups, r.loss_exact ? "yes" : "NO",
      r.all_reached_head ? "yes" : "NO", (unsigned long long)r.written,
      (unsigned long long)r.delivered, (unsigned long long)r.overwritten,
      (unsigned long long)r.unavailable, (unsigned long long)r.slot_reads,
      (unsigned long long)r.waits, (unsigned long long)r.failed_roles, r.seconds,
      r.passed() ? "PASS" : "FAIL");
  if (!r.min_reached) {
    std::printf("stress %s: only %llu of %llu frames checked within %.0f s\n",
                config.variant.c_str(), (unsigned long long)r.frames_checked,
                (unsigned long long)config.min_frames, config.max_seconds);
  }
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << to_json(config, r);
  }
  return r.passed() ? 0 : 1;
}
