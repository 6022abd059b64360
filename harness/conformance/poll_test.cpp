// RingCursor and poll over any FrameSource: the seed's fake-source test,
// max_frames, and the PollStats cursor range.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

// A FrameSource over literal slots, as in the seed's test: a slot answers for
// counter c only if it holds a frame whose counter is c.
struct FakeSource {
  std::uint64_t head_value = 0;
  std::vector<std::optional<Frame>> slots;

  std::uint64_t head() const { return head_value; }
  std::size_t capacity() const { return slots.size(); }
  ReadState read_state_at(std::uint64_t counter, FrameBuffer& out) const {
    const std::optional<Frame>& slot = slots[counter % slots.size()];
    if (!slot || slot->id.counter() != counter) return ReadState::kUnavailable;
    out.id = slot->id;
    out.kind = slot->kind;
    out.ver = slot->ver;
    std::copy(slot->payload.begin(), slot->payload.end(), out.storage().begin());
    out.set_size(slot->payload.size());
    return ReadState::kReady;
  }
};
static_assert(FrameSource<FakeSource>);

TEST(Poll, SeedUnavailableSlotsFromFakeSource) {
  const Frame ok{NetId64::make(1, 7, 0), 0, 0, bytes("ok")};
  const Frame stray{NetId64::make(1, 7, 99), 0, 0, bytes("stray")};
  const FakeSource source{3, {ok, std::nullopt, stray}};
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(source, cursor, 16);
  EXPECT_EQ(r.loss.unavailable, 2u);
  EXPECT_EQ(r.loss.overwritten, 0u);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0], ok);
  EXPECT_EQ(cursor.next_counter, 3u);
  EXPECT_EQ(r.from, 0u);
  EXPECT_EQ(r.to, 3u);
}

TEST(Poll, MaxFramesBoundsEachPoll) {
  auto ring = make_ring<SeqlockRing>(1, {8, 16});
  for (int i = 0; i < 5; ++i) put(*ring, std::to_string(i));
  RingCursor cursor = RingCursor::from_start();
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  auto poll_at_most = [&](std::uint64_t max_frames) {
    return poll_into(
        *ring, cursor, buffer, [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); },
        max_frames);
  };

  const std::uint64_t want[][3] = {{0, 2, 2}, {2, 4, 2}, {4, 5, 1}, {5, 5, 0}};  // from, to, delivered
  for (const auto& [from, to, delivered] : want) {
    SCOPED_TRACE(from);
    const PollStats s = poll_at_most(2);
    EXPECT_EQ(s.from, from);
    EXPECT_EQ(s.to, to);
    EXPECT_EQ(s.delivered, delivered);
    EXPECT_EQ(s.loss, Loss{});
    EXPECT_EQ(cursor.next_counter, to);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4"}));

  // A poll stops right after its last frame; the next one walks the
  // unavailable counters before its frame.
  put(*ring, "a");
  claim_and_abandon(*ring);
  claim_and_abandon(*ring);
  put(*ring, "b");
  const PollStats first = poll_at_most(1);
  EXPECT_EQ(first.delivered, 1u);
  EXPECT_EQ(first.to, 6u);
  EXPECT_EQ(first.loss, Loss{});
  const PollStats second = poll_at_most(1);
  EXPECT_EQ(second.delivered, 1u);
  EXPECT_EQ(second.loss, (Loss{.overwritten = 0, .unavailable = 2}));
  EXPECT_EQ(second.from, 6u);
  EXPECT_EQ(second.to, 9u);
  EXPECT_EQ(seen.back(), "b");
}

TEST(Poll, StatsReportTheCursorRange) {
  auto ring = make_ring<SeqlockRing>(1, {4, 16});
  for (int i = 0; i < 10; ++i) put(*ring, std::to_string(i));
  RingCursor cursor = RingCursor::from_start();
  FrameBuffer buffer = ring->make_buffer();
  const auto ignore = [](const FrameBuffer&) {};

  const PollStats lagging = poll_into(*ring, cursor, buffer, ignore);
  EXPECT_EQ(lagging.from, 0u);
  EXPECT_EQ(lagging.to, 10u);
  EXPECT_EQ(lagging.delivered, 4u);
  EXPECT_EQ(lagging.loss, (Loss{.overwritten = 6, .unavailable = 0}));
  EXPECT_FALSE(lagging.stopped_at_pending);

  put(*ring, "10");
  put(*ring, "11");
  const PollStats caught_up = poll_into(*ring, cursor, buffer, ignore);
  EXPECT_EQ(caught_up.from, 10u);
  EXPECT_EQ(caught_up.to, 12u);
  EXPECT_EQ(caught_up.delivered, 2u);
  EXPECT_EQ(caught_up.loss, Loss{});

  // A cursor ahead of head stays where it is.
  RingCursor ahead = RingCursor::from_counter(20);
  const PollStats idle = poll_into(*ring, ahead, buffer, ignore);
  EXPECT_EQ(idle.from, 20u);
  EXPECT_EQ(idle.to, 20u);
  EXPECT_EQ(idle.delivered + idle.loss.total(), 0u);
  EXPECT_EQ(ahead.next_counter, 20u);

  // poll() reports the same range as poll_into().
  RingCursor again = RingCursor::from_counter(5);
  const PollResult r = poll(*ring, again);
  EXPECT_EQ(r.from, 5u);
  EXPECT_EQ(r.to, 12u);
  EXPECT_EQ(r.loss, (Loss{.overwritten = 3, .unavailable = 0}));
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"8", "9", "10", "11"}));
}

// Counter k is overwritten only once a later lap claimed its slot, i.e. once
// head > k + capacity. With head == k + capacity, k is still the slot's
// counter: a claim given up there is unavailable, not overwritten.
TEST(Poll, AbandonedOldestCounterIsUnavailableNotOverwritten) {
  auto ring = make_ring<SeqlockRing>(1, {4, 16});
  claim_and_abandon(*ring);
  for (int i = 1; i < 4; ++i) put(*ring, std::to_string(i));
  ASSERT_EQ(ring->head(), 4u);
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(r.loss, (Loss{.overwritten = 0, .unavailable = 1}));
  EXPECT_EQ(cursor.next_counter, 4u);
}

// [StallBound] A claim that is never published (its writer died) holds an
// unbounded cursor for good; a bounded one gives it up once the bound has
// passed since it first found it Pending, counts it as stalled, and delivers
// what follows. The bound is a floor: never given up before it.
TEST(Poll, StallBoundGivesUpAPendingCounterAfterTheBound) {
  using namespace std::chrono_literals;
  constexpr auto kBound = 30ms;
  auto ring = make_ring<SeqlockRing>(1, {8, 16});
  put(*ring, "0");
  ASSERT_TRUE(ring->claim(kNode, 4).ok());  // counter 1: claimed, never published
  put(*ring, "2");
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  const auto collect = [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); };

  RingCursor unbounded = RingCursor::from_start();
  RingCursor bounded = RingCursor::from_start().with_stall_bound(kBound);
  const auto started = std::chrono::steady_clock::now();
  const PollStats first = poll_into(*ring, bounded, buffer, collect);
  EXPECT_TRUE(first.stopped_at_pending);
  EXPECT_EQ(first.delivered, 1u);
  EXPECT_EQ(bounded.next_counter, 1u);

  // A poll before the bound has passed keeps waiting at counter 1.
  const PollStats early = poll_into(*ring, bounded, buffer, collect);
  if (std::chrono::steady_clock::now() - started < kBound) {
    EXPECT_TRUE(early.stopped_at_pending);
    EXPECT_EQ(bounded.next_counter, 1u);
  }
  std::this_thread::sleep_for(kBound);
  const PollStats later = poll_into(*ring, bounded, buffer, collect);
  EXPECT_FALSE(later.stopped_at_pending);
  EXPECT_EQ(later.loss, (Loss{.overwritten = 0, .unavailable = 0, .stalled = 1}));
  EXPECT_EQ(later.delivered, 1u);
  EXPECT_EQ(later.delivered + later.loss.total(), later.to - later.from);  // [ExactLoss]
  EXPECT_EQ(bounded.next_counter, 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "2"}));

  // Unbounded, the cursor stops at the older marker without asking head.
  const PollStats waiting = poll_into(*ring, unbounded, buffer, [](const FrameBuffer&) {});
  EXPECT_FALSE(waiting.stopped_at_pending);
  EXPECT_EQ(unbounded.next_counter, 1u);
  EXPECT_EQ(waiting.loss, Loss{});
}

// The bound runs per counter: a counter that commits before it is delivered,
// and the next Pending counter starts a fresh bound.
TEST(Poll, StallBoundRestartsForEachPendingCounter) {
  using namespace std::chrono_literals;
  auto ring = make_ring<SeqlockRing>(1, {8, 16});
  const WriteTicket late = ring->claim(kNode, 1).value();
  RingCursor cursor = RingCursor::from_start().with_stall_bound(20ms);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_TRUE(poll_into(*ring, cursor, buffer, [](const FrameBuffer&) {}).stopped_at_pending);
  ASSERT_TRUE(ring->publish(late, 0, 0, bytes("x")).ok());
  const PollStats delivered = poll_into(*ring, cursor, buffer, [](const FrameBuffer&) {});
  EXPECT_EQ(delivered.delivered, 1u);
  EXPECT_EQ(delivered.loss, Loss{});

  ASSERT_TRUE(ring->claim(kNode, 1).ok());  // counter 1, never published
  std::this_thread::sleep_for(30ms);        // longer than the bound, before it is seen
  EXPECT_TRUE(poll_into(*ring, cursor, buffer, [](const FrameBuffer&) {}).stopped_at_pending)
      << "the bound counts from when the cursor first finds the counter Pending";
}

}  // namespace
}  // namespace ringlab::conformance
