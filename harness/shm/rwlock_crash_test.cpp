// Crash tests of rwlock rings in shared memory (detail/slot_lock.hpp): a writer
// killed holding a slot's lock is recovered by the next reader or writer of
// that slot, its frame counted lost exactly once and never torn
// [DeadWriterRecovery]; a writer stopped holding it is waited for at most the
// stall bound [LockStallBound]; a reader that dies or stops inside a slot's
// shared lock has its hold revoked by the next writer after the bound, which
// writes its frame, and a revoked reader keeps nothing [RevocableReads].
// Children leave by _exit, each under alarm(); every test has its own segment
// (crash_fixture.hpp).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "crash_fixture.hpp"

namespace ringlab::shm::crash_test {
namespace {

// ---- rwlock: a writer that dies or stops holding a slot's lock -------------------

// How soon a process that meets a dead writer's lock must have its answer:
// recovery needs no bound (the holder is known dead at the first yield), so
// this is only the slack of a loaded machine.
constexpr Clock::duration kRecoveryLimit = 500ms;

struct ProbeBoard {
  std::atomic<int> done{0};  // (X1)/(X2): the probe has read
  ReadState dead_state = ReadState::kReady;  // what it read for the dead counter
  std::int64_t took_us = 0;
};

template <class RingT>
void expect_lock_free(const RingT& ring, std::uint64_t c) {
  const auto peek = ring.storage().peek_slot(c);
  EXPECT_EQ(peek.writer_pid, 0u) << "the slot's lock still names a writer";
  EXPECT_EQ(peek.readers, 0u) << "the slot's lock still counts readers";
}

// [DeadWriterRecovery] A writer killed holding the lock of the dead counter's
// slot: a reader process then gets its answer at once (the frame lost, never
// torn), the lock is free again, a writer process laps the slot, and a cursor
// started before the crash counts the dead counter lost exactly once. (With
// the pthread rwlock this replaced, the probe blocked for good.)
class RwlockWriterCrash : public CrashTest, public ::testing::WithParamInterface<CrashPoint> {};

TEST_P(RwlockWriterCrash, AReaderRecoversTheLockAndTheFrameIsCountedLost) {
  const CrashPoint point = GetParam();
  // Killed before its first store into the slot, the writer leaves the slot
  // naming the lap before: that frame is the one marked lost, and the dead
  // counter stays Pending until the lap.
  const bool before_stores = point == CrashPoint::kAfterMark;
  auto ring = create<RwlockV>();
  CheckedReader reader(*ring, RingCursor::from_start(), /*gated=*/false);
  for (std::uint64_t c = 0; c < kBeforeCrash; ++c) {
    write_frame(*ring, c, kParentWriter);
    reader.poll();
  }
  ASSERT_EQ(reader.tally().delivered, kBeforeCrash);
  kill_writer_at<RwlockV>(point, kDead);
  if (HasFatalFailure()) return;

  SharedBlock<ProbeBoard> board;
  const Exit probe = reap(spawn([&] {
    const auto mine = attach<RwlockV>();
    FrameBuffer buffer = mine->make_buffer();
    const Clock::time_point start = Clock::now();
    board->dead_state = mine->read_state_at(kDead, buffer);
    board->took_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    test_util::announce(board->done);
  }), [] {}, kRecoveryLimit);
  ASSERT_TRUE(probe.clean()) << "a reader of the dead writer's slot " << probe.describe();
  ASSERT_TRUE(await(board->done));
  std::printf("  a reader recovered the dead writer's lock in %.3f ms\n", board->took_us / 1e3);
  EXPECT_EQ(board->dead_state, before_stores ? ReadState::kPending : ReadState::kUnavailable);
  expect_lock_free(*ring, kDead);

  const PollStats after_crash = reader.poll();
  EXPECT_EQ(after_crash.to, before_stores ? kDead : kDead + 1);
  const Exit writer = reap(spawn([&] {
    const auto mine = attach<RwlockV>();
    for (std::uint64_t c = kDead + 1; c < kEnd; ++c) write_frame(*mine, c, kLappingWriter);
  }), [] {}, kRecoveryLimit);
  ASSERT_TRUE(writer.clean()) << "the lapping writer " << writer.describe();
  reader.watch_for(kLapping);
  reader.poll();
  const Tally& t = reader.tally();
  EXPECT_EQ(t.torn, 0u) << "a torn or misplaced frame was delivered";
  EXPECT_TRUE(t.adds_up());
  EXPECT_TRUE(t.delivered_lapping) << "the frame over the dead writer's slot was not delivered";
  EXPECT_EQ(reader.next(), kEnd);
  // Exactly one loss for the crash: the dead counter Unavailable (abandoned),
  // or, killed before its stores, overwritten while the cursor waited there.
  EXPECT_EQ(t.loss, before_stores ? (Loss{kCapacity, 0, 0}) : (Loss{kLapFrames - kCapacity, 1, 0}));
  EXPECT_EQ(t.delivered, kBeforeCrash + kCapacity);
}

INSTANTIATE_TEST_SUITE_P(HoldingTheLock, RwlockWriterCrash,
                         ::testing::Values(CrashPoint::kAfterMark, CrashPoint::kMidPayload,
                                           CrashPoint::kBeforePublish),
                         [](const ::testing::TestParamInfo<CrashPoint>& info) {
                           return std::string(name_of(info.param));
                         });

// [LockStallBound] A policy whose bound a test can wait out, and a writer
// that stops (SIGSTOP) instead of dying: a live holder nobody may take over.
struct ShortBoundSync : ProcessSharedSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{20};
};
template <class Base>
struct StopAt : Base {
  static void crash_point(CrashPoint where) {
    if (g_armed == where) ::raise(SIGSTOP);
  }
};
using ShortV = Variant<RwlockOf, OverflowMode::kOverwrite, ShortBoundSync>;

class RwlockRecovery : public CrashTest {
 protected:
  // A reader process that dies inside kDead's shared lock: it leaves by _exit
  // from within its visitor, and its count stays in the slot's lock word.
  template <class RingT>
  void leave_a_dead_readers_count(RingT& ring) {
    const Exit reader = reap(spawn([&] {
      const auto mine = attach<ShortV>();
      (void)mine->visit(kDead, [](const auto&) { ::_exit(0); });
      ::_exit(3);  // not in the lock: visit never called the visitor
    }), [] {}, kRecoveryLimit);
    ASSERT_TRUE(reader.clean()) << "the reader " << reader.describe();
    ASSERT_EQ(ring.storage().peek_slot(kDead).readers, 1u) << "the dead reader left no count";
  }
};

// A writer process meets the dead writer's lock first: it takes it over and
// writes its frame; the dead frame is lost, nothing else.
TEST_F(RwlockRecovery, AWriterRecoversTheLockOfADeadWriter) {
  auto ring = create<RwlockV>();
  for (std::uint64_t c = 0; c < kBeforeCrash; ++c) write_frame(*ring, c, kParentWriter);
  kill_writer_at<RwlockV>(CrashPoint::kMidPayload, kDead);
  if (HasFatalFailure()) return;
  const Exit writer = reap(spawn([&] {
    const auto mine = attach<RwlockV>();
    for (std::uint64_t c = kDead + 1; c <= kLapping; ++c) write_frame(*mine, c, kLappingWriter);
  }), [] {}, kRecoveryLimit);
  ASSERT_TRUE(writer.clean()) << "the lapping writer " << writer.describe();
  expect_lock_free(*ring, kDead);
  FrameBuffer buffer = ring->make_buffer();
  bool overwritten = false;
  EXPECT_EQ(ring->read_state_at(kDead, buffer, &overwritten), ReadState::kUnavailable);
  EXPECT_TRUE(overwritten);
  ASSERT_TRUE(ring->read_at(kLapping, buffer));
  EXPECT_TRUE(whole_frame_of(buffer, kLapping));
}

// A writer stopped holding a slot's lock: a reader of that slot hears "not
// now" (Pending) after the bound, a writer lapping onto it drops its frame
// after the bound, and a stall-bounded cursor counts that frame stalled. Once
// the stopped writer is killed, its lock is recovered as a dead one.
TEST_F(RwlockRecovery, ALiveHolderIsWaitedForAtMostTheBound) {
  auto ring = create<ShortV>();
  for (std::uint64_t c = 0; c < kBeforeCrash; ++c) write_frame(*ring, c, kParentWriter);
  const pid_t stopped = spawn([&] {
    const auto doomed = attach<ShortV, RwlockOf<StopAt<ShortBoundSync>>>();
    g_armed = CrashPoint::kMidPayload;
    write_frame(*doomed, kDead, kDoomedWriter);
  });
  int status = 0;
  ASSERT_EQ(::waitpid(stopped, &status, WUNTRACED), stopped);
  ASSERT_TRUE(WIFSTOPPED(status)) << "the writer did not stop holding the lock";

  FrameBuffer buffer = ring->make_buffer();
  Clock::time_point start = Clock::now();
  EXPECT_EQ(ring->read_state_at(kDead, buffer), ReadState::kPending);
  const Clock::duration read_took = Clock::now() - start;
  start = Clock::now();
  for (std::uint64_t c = kDead + 1; c <= kLapping; ++c) write_frame(*ring, c, kParentWriter);
  const Clock::duration write_took = Clock::now() - start;
  std::printf("  a reader waited %.3f ms, a lapping writer %.3f ms for the stopped holder\n",
              in_ms(read_took), in_ms(write_took));
  EXPECT_GE(read_took, ShortBoundSync::kWriterStallBound);
  EXPECT_LE(read_took, ShortBoundSync::kWriterStallBound + kStallSlack);
  EXPECT_GE(write_took, ShortBoundSync::kWriterStallBound);
  EXPECT_LE(write_took, ShortBoundSync::kWriterStallBound + kStallSlack);
  EXPECT_EQ(ring->storage().peek_slot(kDead).writer_pid, static_cast<std::uint64_t>(stopped));

  // The lapping frame was dropped: its counter is never written, and a
  // bounded cursor from it counts it stalled, then reads on.
  CheckedReader late(*ring, RingCursor::from_counter(kLapping).with_stall_bound(kStallBound),
                     /*gated=*/false);
  kill_and_reap(stopped);
  (void)give_up_on_pending(late);
  EXPECT_EQ(late.tally().loss, (Loss{0, 0, 1}));
  expect_lock_free(*ring, kDead);
  EXPECT_EQ(ring->read_state_at(kDead, buffer), ReadState::kUnavailable);  // abandoned
}

// ---- rwlock: a reader that dies or stops inside a slot's shared lock ------------

struct ReaderBoard {
  std::atomic<int> done{0};  // (X1)/(X2): the reader has answered
  ReadState in_lock = ReadState::kReady;  // visit's answer for the counter it held
  ReadState after = ReadState::kReady;    // read_state_at's answer after that
};

// Writes the lap over kDead's slot, as the parent, and says how long it took.
template <class RingT>
Clock::duration write_the_lap(RingT& ring) {
  const Clock::time_point start = Clock::now();
  for (std::uint64_t c = kDead + 1; c <= kLapping; ++c) write_frame(ring, c, kParentWriter);
  return Clock::now() - start;
}

// [RevocableReads] A reader process killed inside a slot's shared lock (it
// leaves by _exit from within the visitor) leaves its count. The next writer
// of that slot waits the bound, revokes the count and writes its frame whole;
// the lock is then free, one generation on. (Before revocation, that writer
// dropped its frame after the bound, and so did every writer of the slot, lap
// after lap, until Ring::reset.)
TEST_F(RwlockRecovery, AWriterRevokesTheHoldOfADeadReaderAndWrites) {
  auto ring = create<ShortV>();
  for (std::uint64_t c = 0; c <= kDead; ++c) write_frame(*ring, c, kParentWriter);
  leave_a_dead_readers_count(*ring);
  if (HasFatalFailure()) return;

  const Clock::duration took = write_the_lap(*ring);
  std::printf("  the lapping writer revoked a dead reader's hold after %.3f ms\n", in_ms(took));
  EXPECT_GE(took, ShortBoundSync::kWriterStallBound);
  EXPECT_LE(took, ShortBoundSync::kWriterStallBound + kStallSlack);
  const auto peek = ring->storage().peek_slot(kLapping);
  EXPECT_EQ(peek.readers, 0u);
  EXPECT_EQ(peek.writer_pid, 0u);
  EXPECT_EQ(peek.generation, 1u) << "exactly one revocation";
  FrameBuffer buffer = ring->make_buffer();
  ASSERT_TRUE(ring->read_at(kLapping, buffer)) << "the lapping frame was dropped";
  EXPECT_TRUE(whole_frame_of(buffer, kLapping));
  // The next lap finds the slot free: nothing more to revoke.
  for (std::uint64_t c = kLapping + 1; c <= kLapping + kCapacity; ++c) {
    write_frame(*ring, c, kParentWriter);
  }
  EXPECT_EQ(ring->storage().peek_slot(kLapping).generation, 1u);
  ASSERT_TRUE(ring->read_at(kLapping + kCapacity, buffer));
  EXPECT_TRUE(whole_frame_of(buffer, kLapping + kCapacity));
}

// [SharedReaderStall] The same dead count, met by writer processes that are
// each killed after 60% of the bound: none of them waits the bound alone, but
// they share one clock, so one of the first few revokes the count and writes.
// (With a clock per waiter, no writer of that slot ever wrote again, unless
// a loaded machine let one of them live the whole bound.)
TEST_F(RwlockRecovery, WritersThatDieWaitingShareTheirWait) {
  auto ring = create<ShortV>();
  for (std::uint64_t c = 0; c <= kDead; ++c) write_frame(*ring, c, kParentWriter);
  leave_a_dead_readers_count(*ring);
  if (HasFatalFailure()) return;

  constexpr int kMaxWriters = 12;
  const auto life = ShortBoundSync::kWriterStallBound * 3 / 5;
  int writers = 0;
  while (writers < kMaxWriters && ring->storage().peek_slot(kDead).generation == 0) {
    ++writers;
    const pid_t writer = spawn([&] {
      const auto mine = attach<ShortV>();
      const std::byte payload[8]{};
      for (;;) (void)mine->write(NodeId(kLappingWriter), 1, 0, payload);
    });
    std::this_thread::sleep_for(life);
    kill_and_reap(writer);
  }
  const auto peek = ring->storage().peek_slot(kDead);
  std::printf("  writers living %.0f ms each: %d started, the count %s\n", in_ms(life), writers,
              peek.generation == 0 ? "still there" : "revoked");
  EXPECT_EQ(peek.generation, 1u) << kMaxWriters << " writers never revoked the dead count";
  EXPECT_EQ(peek.readers, 0u);
}

// [RevocableReads] A reader process stopped (SIGSTOP) inside its visitor: the
// lapping writer revokes its hold after the bound and writes. Continued, the
// reader's visit answers Pending (what it saw is not a frame), its late unlock
// takes nothing from the word, and it then reads the counter as overwritten.
TEST_F(RwlockRecovery, ARevokedReaderKeepsNothingAndTakesNoCount) {
  auto ring = create<ShortV>();
  for (std::uint64_t c = 0; c <= kDead; ++c) write_frame(*ring, c, kParentWriter);
  SharedBlock<ReaderBoard> board;
  const pid_t stopped = spawn([&] {
    const auto mine = attach<ShortV>();
    board->in_lock = mine->visit(kDead, [](const auto&) { ::raise(SIGSTOP); });
    FrameBuffer buffer = mine->make_buffer();
    board->after = mine->read_state_at(kDead, buffer);
    test_util::announce(board->done);
  });
  int status = 0;
  ASSERT_EQ(::waitpid(stopped, &status, WUNTRACED), stopped);
  ASSERT_TRUE(WIFSTOPPED(status)) << "the reader did not stop inside its visitor";
  EXPECT_EQ(ring->storage().peek_slot(kDead).readers, 1u);

  const Clock::duration took = write_the_lap(*ring);
  EXPECT_GE(took, ShortBoundSync::kWriterStallBound);
  EXPECT_LE(took, ShortBoundSync::kWriterStallBound + kStallSlack);
  ASSERT_EQ(::kill(stopped, SIGCONT), 0);
  const Exit reader = reap(stopped, [] {}, kRecoveryLimit);
  ASSERT_TRUE(reader.clean()) << "the continued reader " << reader.describe();
  ASSERT_TRUE(await(board->done));
  EXPECT_EQ(board->in_lock, ReadState::kPending) << "a revoked visit must not say Ready";
  EXPECT_EQ(board->after, ReadState::kUnavailable);
  const auto peek = ring->storage().peek_slot(kLapping);
  EXPECT_EQ(peek.readers, 0u) << "the late unlock changed the word";
  EXPECT_EQ(peek.writer_pid, 0u);
  EXPECT_EQ(peek.generation, 1u);
  FrameBuffer buffer = ring->make_buffer();
  ASSERT_TRUE(ring->read_at(kLapping, buffer));
  EXPECT_TRUE(whole_frame_of(buffer, kLapping));
}

}  // namespace
}  // namespace ringlab::shm::crash_test
