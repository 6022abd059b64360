// Crash tests of rwlock rings in shared memory (detail/slot_lock.hpp): a writer
// killed holding a slot's lock is recovered by the next reader or writer of
// that slot, its frame counted lost exactly once and never torn
// [DeadWriterRecovery]; a writer stopped holding it is waited for at most the
// stall bound [LockStallBound]. Children leave by _exit, each under alarm();
// every test has its own segment (crash_fixture.hpp).
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

using RwlockRecovery = CrashTest;

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

}  // namespace
}  // namespace ringlab::shm::crash_test
