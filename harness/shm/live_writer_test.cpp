// A live writer caught mid-frame [WriterStallBound]: a writer process stops
// (SIGSTOP, raised at its kMidPayload crash point) with half of its frame
// stored and its slot's marker in flight; two other writer processes lap onto
// that slot meanwhile, and a reader process polls throughout; then the stopped
// writer is continued. What must hold:
//   - a live registered writer's slot is never taken over: each lapping write
//     that lands on it waits at least the writer stall bound, then drops its
//     own frame (its counter is never Ready), and the marker still names the
//     stopped writer;
//   - the stopped writer, continued, finishes its write: its frame is then
//     committed whole, never mixed with a lapping writer's words;
//   - no reader ever gets a torn frame, and every poll's account is exact
//     (the dropped counters are counted as loss, stalled or overwritten).
// A writer that took the live writer's slot over would write its frame into
// the same words that the continued writer then finishes: torn frames.
// Label shm only: it measures the writer stall bound (20 ms here).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "crash_fixture.hpp"
#include "ringlab/detail/versioned_slot.hpp"

namespace ringlab::shm::crash_test {
namespace {

// The spec's short writer stall bound for tests.
struct QuickStall : StdSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{20};
};
constexpr Clock::duration kWriterBound = QuickStall::kWriterStallBound;
// What a busy machine may add to a write that waits the bound out.
constexpr Clock::duration kWriterSlack = 3s;

// The point at which this process stops itself; armed only in the child that
// is to stop, right before its write.
inline std::optional<CrashPoint> g_stop_at;

// Base's Sync policy, but the process stops (SIGSTOP) at the armed point, once:
// alive and registered, its slot in flight, until the parent continues it.
template <class Base>
struct StopAt : Base {
  static void crash_point(CrashPoint where) {
    if (g_stop_at != where) return;
    g_stop_at.reset();
    ::raise(SIGSTOP);
  }
};

template <template <class> class StorageOf>
struct LiveVariant : Variant<StorageOf, OverflowMode::kOverwrite, QuickStall> {
  using Stopping = StorageOf<StopAt<QuickStall>>;
};
using SeqlockLive = LiveVariant<SeqlockOf>;
using DisruptorLive = LiveVariant<DisruptorOf>;

constexpr std::uint32_t kStoppedWriter = 4;
constexpr std::uint32_t kLappingWriters[] = {5, 6};
// Counters: a lap and one by the parent, then the stopped writer's, then each
// lapping writer's frames (they reach the stopped writer's slot twice or more).
constexpr std::uint64_t kHeld = kCapacity + 1;
constexpr std::uint64_t kLapFramesEach = 2 * kCapacity + 1;

// What a lapping writer saw of its own writes.
struct LapReport {
  std::uint64_t written = 0;
  std::uint64_t on_held_slot = 0;  // writes whose counter maps to the stopped writer's slot
  std::int64_t min_held_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_held_ns = 0;
};

struct Board {
  std::atomic<int> reading{0};  // (X1)/(X2): the reader has attached and polled
  std::atomic<int> stop{0};     // (X1)/(X2): every writer is done; the reader drains
  Tally reader;                 // the reader process's tally, after its drain
  bool reader_reached_head = false;
  LapReport lappers[2];
};

bool on_held_slot(std::uint64_t c) { return c > kHeld && (c - kHeld) % kCapacity == 0; }

// A stopped child is killed and reaped however the test ends.
class StoppedChild {
 public:
  explicit StoppedChild(pid_t pid) : pid_(pid) {}
  ~StoppedChild() {
    if (!reaped_) kill_and_reap(pid_);
  }
  StoppedChild(const StoppedChild&) = delete;
  StoppedChild& operator=(const StoppedChild&) = delete;

  // Whether it stopped within kChildLimit (false: it exited, died or ran on).
  bool await_stop() {
    const Clock::time_point deadline = Clock::now() + kChildLimit;
    while (Clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WUNTRACED | WNOHANG);
      if (r == pid_) {
        if (WIFSTOPPED(status)) return true;
        reaped_ = true;
        return false;
      }
      std::this_thread::sleep_for(100us);
    }
    return false;
  }

  Exit resume_and_reap() {
    ::kill(pid_, SIGCONT);
    reaped_ = true;
    return reap(pid_);
  }

 private:
  const pid_t pid_;
  bool reaped_ = false;
};

template <class V>
class LiveWriter : public CrashTest {
 protected:
  using Storage = typename V::Storage;

  void run() {
    auto ring = create<V>();
    for (std::uint64_t c = 0; c < kHeld; ++c) write_frame(*ring, c, kParentWriter);
    const SharedBlock<Board> board;
    const pid_t reader = spawn([&] { read_until_stopped(*board); });
    ASSERT_TRUE(await(board->reading)) << "the reader did not start";

    StoppedChild stopped(spawn([&] {
      const auto mine = attach<V, typename V::Stopping>();
      g_stop_at = CrashPoint::kMidPayload;
      write_frame(*mine, kHeld, kStoppedWriter);
    }));
    ASSERT_TRUE(stopped.await_stop()) << "the writer did not stop mid-payload";
    const std::uint64_t held_marker = ring->storage().marker(kHeld).load();
    ASSERT_TRUE(ringlab::detail::is_writing(held_marker)) << "the stopped writer's slot is not in flight";

    lap_the_held_slot(*ring, *board);
    if (HasFatalFailure()) return;
    EXPECT_EQ(ring->storage().marker(kHeld).load(), held_marker)
        << "a lapping writer took the live writer's slot over";
    FrameBuffer out = ring->make_buffer();
    for (std::uint64_t c = kHeld + 1; c < ring->head(); ++c) {
      if (on_held_slot(c)) {
        EXPECT_NE(ring->read_state_at(c, out), ReadState::kReady)
            << "counter " << c << " was written over the live writer's slot";
      }
    }

    const Exit resumed = stopped.resume_and_reap();
    EXPECT_TRUE(resumed.clean()) << "the continued writer " << resumed.describe();
    // Committed whole, or (were it ever given up) not there at all.
    if (ring->read_state_at(kHeld, out) == ReadState::kReady) {
      EXPECT_TRUE(whole_frame_of(out, kHeld)) << "the continued writer's frame is torn";
    }
    if (ring->read_at(kHeld, out)) {
      const stress::Checked slot = stress::verify(out, kKind);
      EXPECT_TRUE(slot.whole) << "the stopped writer's slot holds a torn frame";
    }

    test_util::announce(board->stop);
    const Exit read = reap(reader);
    ASSERT_TRUE(read.clean()) << "the reader " << read.describe();
    expect_reader_intact(*board, ring->head());
  }

 private:
  // Two writer processes at once, each a couple of laps, so that both land on
  // the stopped writer's slot. They must finish: the stall bound per write.
  void lap_the_held_slot(Ring<Storage>& ring, Board& board) {
    std::vector<pid_t> lappers;
    for (std::size_t i = 0; i < std::size(kLappingWriters); ++i) {
      lappers.push_back(spawn([&, i] { lap(kLappingWriters[i], board.lappers[i]); }));
    }
    const Clock::duration limit = kLapFramesEach * (kWriterBound + kWriterSlack);
    for (const pid_t pid : lappers) {
      const Exit exit = reap(pid, [] {}, limit);
      ASSERT_TRUE(exit.clean()) << "a lapping writer " << exit.describe()
                                << " (waiting on a live writer for ever?)";
    }
    EXPECT_EQ(ring.head(), kHeld + 1 + std::size(kLappingWriters) * kLapFramesEach);
    std::uint64_t on_held = 0;
    for (const LapReport& r : board.lappers) {
      EXPECT_EQ(r.written, kLapFramesEach);
      on_held += r.on_held_slot;
      if (r.on_held_slot == 0) continue;
      std::printf("  writes onto the stopped writer's slot: %llu, %.1f to %.1f ms (bound %.0f ms)\n",
                  static_cast<unsigned long long>(r.on_held_slot), r.min_held_ns / 1e6,
                  r.max_held_ns / 1e6, in_ms(kWriterBound));
      EXPECT_GE(std::chrono::nanoseconds(r.min_held_ns), kWriterBound)
          << "a write gave up on (or took over) the live writer's slot before the bound";
      EXPECT_LT(std::chrono::nanoseconds(r.max_held_ns), kWriterBound + kWriterSlack);
    }
    EXPECT_GE(on_held, 2u) << "the lapping writers did not reach the stopped writer's slot";
  }

  // In a child: writes kLapFramesEach frames by claim and publish, timing the
  // ones whose counter lands on the stopped writer's slot.
  void lap(std::uint32_t writer, LapReport& report) {
    const auto ring = attach<V>();
    std::vector<std::byte> payload(kSpec.payload_capacity);
    for (std::uint64_t i = 0; i < kLapFramesEach; ++i) {
      const std::size_t size = stress::frame_size(writer, i, kSpec.payload_capacity);
      const Clock::time_point start = Clock::now();
      auto ticket = ring->claim(NodeId(static_cast<std::uint16_t>(writer)), size);
      require(ticket.ok(), "claim: " + ticket.status().ToString());
      const std::uint64_t c = ticket->counter;
      const std::span<std::byte> frame(payload.data(), size);
      stress::fill_frame(frame, c, writer);
      const absl::Status published =
          ring->publish(*ticket, stress::frame_kind(c), stress::frame_ver(c), frame);
      require(published.ok(), "publish: " + published.ToString());
      const std::int64_t ns = std::chrono::nanoseconds(Clock::now() - start).count();
      ++report.written;
      if (on_held_slot(c)) {
        ++report.on_held_slot;
        report.min_held_ns = std::min(report.min_held_ns, ns);
        report.max_held_ns = std::max(report.max_held_ns, ns);
      }
    }
  }

  // In a child: a stall-bounded cursor polls from the start until told to
  // stop, then until it reaches head (giving the dropped counters up).
  void read_until_stopped(Board& board) {
    const auto ring = attach<V>();
    CheckedReader reader(*ring, RingCursor::from_start().with_stall_bound(kStallBound), false);
    reader.poll();
    test_util::announce(board.reading);
    while (board.stop.load(test_util::kAwait) == 0) {  // (X2)
      reader.poll();
      std::this_thread::sleep_for(100us);
    }
    const Clock::time_point deadline = Clock::now() + kChildLimit;
    while (reader.next() != ring->head() && Clock::now() < deadline) {
      reader.poll();
      std::this_thread::sleep_for(1ms);
    }
    board.reader = reader.tally();
    board.reader_reached_head = reader.next() == ring->head();
  }

  void expect_reader_intact(const Board& board, std::uint64_t head) {
    const Tally& t = board.reader;
    expect_intact(t);
    EXPECT_TRUE(board.reader_reached_head) << "the reader did not reach head";
    EXPECT_EQ(t.moved, head);
    EXPECT_GE(t.loss.overwritten + t.loss.stalled, 2u)
        << "the dropped frames were not counted as loss";
  }
};

using SeqlockLiveWriter = LiveWriter<SeqlockLive>;
TEST_F(SeqlockLiveWriter, StoppedMidPayloadIsNeverTakenOver) { run(); }
using DisruptorLiveWriter = LiveWriter<DisruptorLive>;
TEST_F(DisruptorLiveWriter, StoppedMidPayloadIsNeverTakenOver) { run(); }

}  // namespace
}  // namespace ringlab::shm::crash_test
