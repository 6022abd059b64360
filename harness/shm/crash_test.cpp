// Crash tests for rings in POSIX shared memory (README.md, "Shared memory"): a writer
// or a reader process is SIGKILLed at a chosen point, and the processes that
// survive it must carry on.
//
// What holds when a writer dies (seqlock; disruptor, overwrite and gated), by
// where it dies (Sync::crash_point, ringlab/sync.hpp):
//   AfterClaim     its counter is claimed and its slot untouched: the counter
//                  reads Pending, the slot still gives its previous frame whole.
//   AfterMark,     the slot's marker says "being written" by the dead process:
//   MidPayload,    the counter reads Pending, no read returns the slot's bytes,
//   BeforePublish  and the next writer to lap onto the slot sees its owner gone
//                  and takes the slot over [DeadWriterTakeover].
//   At every point a cursor with stall bound kStallBound (20 ms) gives the dead
//                  counter up as loss.stalled [StallBound]: never before the
//                  bound, and at the first poll after it (checked exactly: no
//                  poll that starts after the bound finds it Pending). Measured
//                  from the first poll that found it Pending to the poll that
//                  gave it up, polling every 100 us: 20.0 to 20.3 ms on an idle
//                  2-core machine, up to 27 ms with two busy processes on it
//                  (each test prints it and records it as the property
//                  give_up_us). A cursor without a bound waits at the dead
//                  counter until a writer laps its slot, then counts it
//                  overwritten. The lapping writer completes; its frames, the
//                  one on the dead slot too, reach a reader started before the
//                  crash whole; a gated ring loses the dead counter, nothing else.
// When a reader dies mid-read: seqlock and disruptor readers write nothing
// shared, so writers and other readers do not notice. A gated reader leaves
// its gate behind, which holds writers back within a lap until
// release_dead_gates() frees it [DeadGateRelease]; a writer blocked in claim()
// calls that itself. How soon: GatedClaimReleasesADeadGateSoonOnABusyCpu wants
// it within kRecoveryOnABusyCpu with another process busy on the writer's CPU.
// rwlock's slot locks: rwlock_crash_test.cpp.
//
// Children leave by _exit, never back into GoogleTest; each runs under alarm()
// and the parent kills any that outlives its deadline. Every test has its own
// segment (pid + test name), unlinked in TearDown.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "crash_fixture.hpp"

namespace ringlab::shm::crash_test {
namespace {

// ---- A writer killed at each crash point --------------------------------------

class WriterCrash : public CrashTest, public ::testing::WithParamInterface<CrashPoint> {
 protected:
  template <class V>
  void run() {
    const CrashPoint point = GetParam();
    auto ring = create<V>();
    CheckedReader reader(*ring, RingCursor::from_start().with_stall_bound(kStallBound), V::kGated);
    // No bound and no gate: it waits at the dead counter until a lap passes it.
    CheckedReader patient(*ring, RingCursor::from_start(), /*gated=*/false);
    for (std::uint64_t c = 0; c < kBeforeCrash; ++c) {
      write_frame(*ring, c, kParentWriter);
      reader.poll();  // keeps a gated ring's gate moving
      patient.poll();
    }
    ASSERT_EQ(reader.tally().delivered, kBeforeCrash);
    ASSERT_EQ(patient.tally().delivered, kBeforeCrash);

    kill_writer_at<V>(point, kDead);
    if (HasFatalFailure()) return;
    EXPECT_EQ(ring->head(), kDead + 1);
    expect_dead_slot(*ring, point);

    expect_within_bound(give_up_on_pending(reader));
    EXPECT_EQ(reader.tally().loss.stalled, 1u);
    EXPECT_EQ(reader.next(), kDead + 1);
    // An unbounded cursor waits at the dead counter; it knows the counter is
    // Pending only where the dead writer left its mark (after the claim alone,
    // the slot still holds an older counter and the cursor does not ask head).
    const PollStats waiting = patient.poll();
    EXPECT_EQ(waiting.to, kDead) << "an unbounded cursor gave up";
    EXPECT_EQ(waiting.stopped_at_pending, point != CrashPoint::kAfterClaim);

    lap_the_dead_slot<V>(*ring, reader);
    if (HasFatalFailure()) return;
    expect_intact(reader.tally());
    EXPECT_EQ(reader.next(), kEnd);
    EXPECT_TRUE(reader.tally().delivered_lapping)
        << "the frame written over the dead writer's slot was not delivered whole";
    expect_dead_counter_overwritten(*ring);
    expect_patient_reader_lapped(patient);
  }

 private:
  // Before any writer comes back to it: the dead counter is Pending, and the
  // slot gives nothing of the dead write.
  template <class RingT>
  void expect_dead_slot(const RingT& ring, CrashPoint point) {
    FrameBuffer buffer = ring.make_buffer();
    EXPECT_EQ(ring.read_state_at(kDead, buffer), ReadState::kPending);
    const bool previous_lap_kept = point == CrashPoint::kAfterClaim;
    ASSERT_EQ(ring.read_at(kDead, buffer), previous_lap_kept)
        << (previous_lap_kept ? "the slot lost its previous frame"
                              : "read_at returned a slot that is being written");
    if (previous_lap_kept) {
      EXPECT_TRUE(whole_frame_of(buffer, kDead - kCapacity));
    }
  }

  // Another writer process writes past the dead writer's slot. In overwrite
  // mode the reader polls afterwards, so its losses are known exactly; in gated
  // mode it must poll meanwhile, or the writer would wait for it.
  template <class V, class RingT>
  void lap_the_dead_slot(RingT& ring, CheckedReader<RingT>& reader) {
    reader.drop_stall_bound();
    reader.watch_for(kLapping);
    const Clock::time_point start = Clock::now();
    const Exit exit = reap(spawn([&] {
      const auto mine = attach<V>();
      for (std::uint64_t c = kDead + 1; c < kEnd; ++c) write_frame(*mine, c, kLappingWriter);
    }), [&] {
      if (V::kGated) reader.poll();
    });
    const Clock::duration took = Clock::now() - start;
    std::printf("  the lapping writer took %.3f ms\n", in_ms(took));
    ASSERT_TRUE(exit.clean()) << "the lapping writer " << exit.describe();
    reader.poll();
    EXPECT_EQ(ring.head(), kEnd);
    const Tally& t = reader.tally();
    if (V::kGated) {
      EXPECT_EQ(t.loss, (Loss{0, 0, 1})) << "a gated ring lost more than the dead counter";
      EXPECT_EQ(t.delivered, kBeforeCrash + kLapFrames);
    } else {
      EXPECT_EQ(t.loss, (Loss{kLapFrames - kCapacity, 0, 1}));
      EXPECT_EQ(t.delivered, kBeforeCrash + kCapacity);
    }
  }

  // The unbounded cursor, still at the dead counter, polls once after the lap:
  // the dead counter and the three after it are a lap old by then.
  template <class RingT>
  void expect_patient_reader_lapped(CheckedReader<RingT>& patient) {
    patient.watch_for(kLapping);
    patient.poll();
    const Tally& t = patient.tally();
    expect_intact(t);
    EXPECT_EQ(t.loss, (Loss{kCapacity, 0, 0}));
    EXPECT_EQ(t.delivered, kBeforeCrash + kCapacity);
    EXPECT_TRUE(t.delivered_lapping);
    EXPECT_EQ(patient.next(), kEnd);
  }

  template <class RingT>
  void expect_dead_counter_overwritten(const RingT& ring) {
    FrameBuffer buffer = ring.make_buffer();
    bool overwritten = false;
    EXPECT_EQ(ring.read_state_at(kDead, buffer, &overwritten), ReadState::kUnavailable);
    EXPECT_TRUE(overwritten);
    ASSERT_TRUE(ring.read_at(kDead, buffer));
    EXPECT_TRUE(whole_frame_of(buffer, kLapping));
  }
};

TEST_P(WriterCrash, Seqlock) { run<SeqlockV>(); }
TEST_P(WriterCrash, DisruptorOverwrite) { run<DisruptorV>(); }
TEST_P(WriterCrash, DisruptorGated) { run<GatedV>(); }

INSTANTIATE_TEST_SUITE_P(AtEachPoint, WriterCrash, ::testing::ValuesIn(kCrashPoints),
                         [](const ::testing::TestParamInfo<CrashPoint>& info) {
                           return std::string(name_of(info.param));
                         });

// ---- A reader killed mid-read -------------------------------------------------

// Between the parent and the children of a reader-crash test.
struct ReaderBoard {
  std::atomic<int> reading{0};      // (X1)/(X2): the victim has polled once
  std::atomic<int> writing{0};      // (X1)/(X2): the writer has attached and writes
  std::atomic<int> victim_dead{0};  // (X1)/(X2): the parent has killed and reaped the victim
  Tally victim;                     // what the victim saw, up to its last poll
  std::uint64_t written = 0;        // how many frames the writer wrote in all
};

// Frames the writer writes after the victim is dead: a gated writer meets the
// dead gate within a lap of them.
constexpr std::uint64_t kFramesAfterKill = 4 * kCapacity;

// A value in [low, high], fresh each run; printed and recorded, so that a
// failure can be replayed by hand.
std::uint64_t random_in(std::uint64_t low, std::uint64_t high, const char* what) {
  const std::uint64_t seed = std::random_device{}();
  std::mt19937_64 engine(seed);
  const std::uint64_t value = std::uniform_int_distribution<std::uint64_t>(low, high)(engine);
  ::testing::Test::RecordProperty(what, std::to_string(value));
  std::printf("  %s: %llu\n", what, static_cast<unsigned long long>(value));
  return value;
}

class ReaderCrash : public CrashTest {
 protected:
  // A victim reader, a writer and a surviving reader (this process) run
  // together; the victim is killed at a random moment while the writer writes,
  // and the writer then writes kFramesAfterKill more.
  template <class V>
  void run() {
    auto ring = create<V>();
    SharedBlock<ReaderBoard> board;
    const pid_t victim = started_victim<V>(*board);
    CheckedReader survivor(*ring, RingCursor::from_start(), V::kGated);
    const pid_t writer = spawn_writer<V>(*board);
    if (!await(board->writing)) {
      kill_and_reap(victim);
      kill_and_reap(writer);
      FAIL() << "the writer never started";
    }

    const Clock::time_point kill_at =
        Clock::now() + std::chrono::microseconds(random_in(0, 20'000, "kill_after_us"));
    while (Clock::now() < kill_at) survivor.poll();  // a gated writer needs our gate moving
    const Exit victim_exit = kill_now(victim);
    const Clock::time_point killed = Clock::now();
    test_util::announce(board->victim_dead);
    const Exit writer_exit = reap(writer, [&] { survivor.poll(); });
    std::printf("  the writer finished %.3f ms after the kill\n", in_ms(Clock::now() - killed));

    EXPECT_TRUE(victim_exit.killed_by(SIGKILL)) << "the victim " << victim_exit.describe();
    EXPECT_GT(board->victim.polls, 0u);
    EXPECT_EQ(board->victim.torn, 0u) << "the victim saw a torn frame before it died";
    ASSERT_TRUE(writer_exit.clean()) << "the writer " << writer_exit.describe();
    survivor.poll();
    const Tally& t = survivor.tally();
    expect_intact(t);
    EXPECT_EQ(t.loss.stalled, 0u);
    EXPECT_EQ(survivor.next(), board->written);
    EXPECT_EQ(ring->head(), board->written);
    if constexpr (V::kGated) {
      EXPECT_EQ(t.delivered, board->written) << "a gated reader lost frames";
      // The writer got past the dead gate only by releasing it in claim().
      EXPECT_EQ(ring->release_dead_gates(), 0u);
    }
  }

  // A reader that has polled once, and polls on until it is killed (exits 1
  // if it never is). Throws if it does not start.
  template <class V>
  pid_t started_victim(ReaderBoard& board) {
    const pid_t victim = spawn([&] {
      const auto mine = attach<V>();
      CheckedReader reader(*mine, RingCursor::from_start(), V::kGated);
      for (const Clock::time_point deadline = Clock::now() + kChildLimit;
           Clock::now() < deadline;) {
        reader.poll();
        board.victim = reader.tally();
        test_util::announce(board.reading);  // from the first poll on: it is killed while it reads
      }
      throw std::runtime_error("the reader was never killed");
    });
    if (!await(board.reading)) {
      kill_and_reap(victim);
      throw std::runtime_error("the reader to be killed never started");
    }
    return victim;
  }

  // Writes until the victim is dead, then kFramesAfterKill more.
  template <class V>
  pid_t spawn_writer(ReaderBoard& board) {
    return spawn([&] {
      const auto mine = attach<V>();
      test_util::announce(board.writing);
      const Clock::time_point deadline = Clock::now() + kChildLimit;
      std::uint64_t c = 0;
      while (board.victim_dead.load(test_util::kAwait) == 0) {  // (X2)
        require(Clock::now() < deadline, "the victim was never killed");
        write_frame(*mine, c++, kLappingWriter);
      }
      for (const std::uint64_t end = c + kFramesAfterKill; c < end;) {
        write_frame(*mine, c++, kLappingWriter);
      }
      board.written = c;
    });
  }
};

TEST_F(ReaderCrash, Seqlock) { run<SeqlockV>(); }
TEST_F(ReaderCrash, DisruptorOverwrite) { run<DisruptorV>(); }
// The writer meets the dead reader's gate and releases it itself, in claim().
TEST_F(ReaderCrash, DisruptorGated) { run<GatedV>(); }

// The dead reader's gate holds a writer that does not wait (try_write) back
// for good, until someone calls release_dead_gates().
TEST_F(ReaderCrash, DeadGateReleasedByReleaseDeadGates) {
  auto ring = create<GatedV>();
  SharedBlock<ReaderBoard> board;
  const pid_t victim = started_victim<GatedV>(*board);
  CheckedReader survivor(*ring, RingCursor::from_start(), /*gated=*/true);
  const auto write_one = [&] {
    const bool written = try_write_frame(*ring, kParentWriter);
    survivor.poll();
    return written;
  };

  // A random number of frames while the victim reads them too, so that it
  // dies with its gate at a random place.
  const std::uint64_t before_kill = random_in(1, 3 * kCapacity, "frames_before_kill");
  const Clock::time_point deadline = Clock::now() + kChildLimit;
  while (ring->head() < before_kill && Clock::now() < deadline) write_one();
  const Exit victim_exit = kill_now(victim);
  ASSERT_TRUE(victim_exit.killed_by(SIGKILL)) << "the victim " << victim_exit.describe();
  ASSERT_EQ(ring->head(), before_kill);

  std::uint64_t accepted = 0;
  while (accepted <= kCapacity && write_one()) ++accepted;
  EXPECT_LE(accepted, kCapacity) << "the dead reader's gate held nothing back";
  EXPECT_FALSE(write_one()) << "the dead gate let a writer go a lap past it";

  EXPECT_EQ(ring->release_dead_gates(), 1u);
  EXPECT_EQ(ring->release_dead_gates(), 0u) << "released twice";
  for (std::uint64_t i = 0; i < kCapacity + 2; ++i) {
    EXPECT_TRUE(write_one()) << "refused after the dead gate was released";
  }
  const Tally& t = survivor.tally();
  expect_intact(t);
  EXPECT_EQ(t.loss, Loss{});
  EXPECT_EQ(t.delivered, ring->head());
}

// Both on one CPU, a process that never waits and a gated writer that a dead
// reader's gate holds back: claim() must free the gate in good time although
// each of its waits (a yield to the busy process) may last a time slice.
constexpr Clock::duration kRecoveryOnABusyCpu = 250ms;

TEST_F(ReaderCrash, GatedClaimReleasesADeadGateSoonOnABusyCpu) {
  auto ring = create<GatedV>();
  SharedBlock<ReaderBoard> board;
  const Exit victim_exit = kill_now(started_victim<GatedV>(*board));
  ASSERT_TRUE(victim_exit.killed_by(SIGKILL)) << "the victim " << victim_exit.describe();

  const pid_t busy = spawn([] {
    pin_to_first_cpu();
    for (const Clock::time_point end = Clock::now() + kChildLimit; Clock::now() < end;) {
    }
  });
  const Clock::time_point start = Clock::now();
  // The dead gate is at 0: the last of these frames waits for it.
  const Exit writer = reap(spawn([&] {
    pin_to_first_cpu();
    const auto mine = attach<GatedV>();
    for (std::uint64_t c = 0; c <= kCapacity; ++c) write_frame(*mine, c, kLappingWriter);
  }), [] {}, kRecoveryOnABusyCpu);
  const Clock::duration took = Clock::now() - start;
  kill_and_reap(busy);
  std::printf("  the gated writer got past the dead gate in %.3f ms\n", in_ms(took));
  ASSERT_TRUE(writer.clean()) << "the writer " << writer.describe()
                              << ": the dead gate still held it back after "
                              << in_ms(kRecoveryOnABusyCpu) << " ms";
  EXPECT_EQ(ring->head(), kCapacity + 1);
}

}  // namespace
}  // namespace ringlab::shm::crash_test
