// [StallBound] at its edge, on a clock the test moves (RingCursor::with_clock):
// a bounded cursor keeps waiting on a Pending counter one tick before the
// bound and gives it up exactly at the bound, counting it stalled, with every
// poll's account exact. The clock is read only while a counter is Pending.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

using Clock = RingCursor::clock;
using namespace std::chrono_literals;

constexpr Clock::duration kBound = 20ms;
constexpr Clock::duration kTick{1};

// The test's clock: it moves only when the test says so.
Clock::time_point g_now = Clock::time_point{} + 1h;
std::uint64_t g_reads = 0;
Clock::time_point test_now() {
  ++g_reads;
  return g_now;
}

void expect_exact(const PollStats& s) {
  EXPECT_EQ(s.delivered + s.loss.total(), s.to - s.from) << "a poll's account does not add up";
}

// Counter 0 committed, 1 claimed and never published, 2 committed.
std::unique_ptr<SeqlockRing> ring_with_a_pending_counter() {
  auto ring = make_ring<SeqlockRing>(1, {8, 16});
  put(*ring, "a");
  if (!ring->claim(kNode, 1).ok()) throw std::runtime_error("claim failed");
  put(*ring, "c");
  return ring;
}

TEST(StallClock, GivesUpAtTheBoundAndNotATickBefore) {
  const auto ring = ring_with_a_pending_counter();
  FrameBuffer buffer = ring->make_buffer();
  RingCursor cursor = RingCursor::from_start().with_stall_bound(kBound).with_clock(&test_now);
  const auto ignore = [](const FrameBuffer&) {};

  const PollStats first = poll_into(*ring, cursor, buffer, ignore);  // starts the clock at g_now
  expect_exact(first);
  EXPECT_EQ(first.delivered, 1u);
  EXPECT_TRUE(first.stopped_at_pending);
  EXPECT_EQ(first.to, 1u);

  g_now += kBound - kTick;
  const PollStats before = poll_into(*ring, cursor, buffer, ignore);
  expect_exact(before);
  EXPECT_TRUE(before.stopped_at_pending) << "given up a tick before the bound";
  EXPECT_EQ(before.loss.stalled, 0u);
  EXPECT_EQ(before.to, 1u);

  g_now += kTick;
  const PollStats at = poll_into(*ring, cursor, buffer, ignore);
  expect_exact(at);
  EXPECT_EQ(at.loss, (Loss{0, 0, 1})) << "not given up at the bound";
  EXPECT_EQ(at.delivered, 1u);
  EXPECT_FALSE(at.stopped_at_pending);
  EXPECT_EQ(at.to, 3u);
}

// The bound is measured from the first poll that found this counter Pending,
// not from an earlier Pending counter's clock.
TEST(StallClock, EachPendingCounterGetsItsOwnBound) {
  auto ring = make_ring<SeqlockRing>(1, {8, 16});
  ASSERT_TRUE(ring->claim(kNode, 1).ok());  // counter 0: Pending for good
  ASSERT_TRUE(ring->claim(kNode, 1).ok());  // counter 1: Pending for good
  put(*ring, "c");
  FrameBuffer buffer = ring->make_buffer();
  RingCursor cursor = RingCursor::from_start().with_stall_bound(kBound).with_clock(&test_now);
  const auto ignore = [](const FrameBuffer&) {};

  (void)poll_into(*ring, cursor, buffer, ignore);
  g_now += kBound;
  const PollStats gave_up_first = poll_into(*ring, cursor, buffer, ignore);
  expect_exact(gave_up_first);
  EXPECT_EQ(gave_up_first.to, 1u) << "the next Pending counter was given up on the old clock";
  g_now += kBound - kTick;
  EXPECT_TRUE(poll_into(*ring, cursor, buffer, ignore).stopped_at_pending);
  g_now += kTick;
  const PollStats gave_up_second = poll_into(*ring, cursor, buffer, ignore);
  expect_exact(gave_up_second);
  EXPECT_EQ(gave_up_second.loss.stalled, 1u);
  EXPECT_EQ(gave_up_second.to, 3u);
}

// The clock costs nothing on the hot path: no read while nothing is Pending,
// and none ever by an unbounded cursor.
TEST(StallClock, ReadOnlyWhileACounterIsPending) {
  const auto ring = ring_with_a_pending_counter();
  FrameBuffer buffer = ring->make_buffer();
  const auto ignore = [](const FrameBuffer&) {};

  RingCursor unbounded = RingCursor::from_start().with_clock(&test_now);
  g_reads = 0;
  EXPECT_EQ(poll_into(*ring, unbounded, buffer, ignore).to, 1u);  // waits at the claim
  EXPECT_EQ(g_reads, 0u) << "an unbounded cursor read the clock";

  RingCursor caught_up = RingCursor::from_counter(2).with_stall_bound(kBound).with_clock(&test_now);
  const PollStats s = poll_into(*ring, caught_up, buffer, ignore);
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(g_reads, 0u) << "a bounded cursor read the clock with nothing Pending";
}

}  // namespace
}  // namespace ringlab::conformance
