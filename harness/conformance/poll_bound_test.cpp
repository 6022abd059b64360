// [PollBound] in cost, not only in loss: a cursor far behind a ring (lapped
// many times, or below its first counter, 2^40 counters back) catches up in
// one poll that reads about a lap of slots, because it jumps to head -
// capacity as soon as a slot says it was lapped. Walking the lost counters
// one by one would account for them just as exactly, so only a count of what
// the poll reads tells the two apart.
//
// The count: every atomic load of the ring's Sync policy on this thread
// (CountingSync below), against a budget calibrated on the same ring: the
// loads of a poll that delivers one frame, times capacity + 2 (a lap of
// frames, the probe that finds the cursor lapped, and the head). Past the
// budget the counting policy throws out of the walk, so a walk over 2^40
// counters fails at once instead of running for hours.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

thread_local std::uint64_t t_loads = 0;
thread_local std::uint64_t t_load_limit = std::numeric_limits<std::uint64_t>::max();

struct WalkTooLong {};

// StdSync whose atomics count their loads on the calling thread.
struct CountingSync : StdSync {
  template <class T>
  struct atomic : std::atomic<T> {
    using std::atomic<T>::atomic;
    T load(std::memory_order order = std::memory_order_seq_cst) const {
      if (++t_loads > t_load_limit) throw WalkTooLong{};
      return std::atomic<T>::load(order);
    }
  };
};

constexpr RingSpec kSpec{16, 8};
constexpr std::uint64_t kLaps = 8;
constexpr std::uint64_t kFirst = (std::uint64_t{1} << 40) - 20;  // the writes cross 2^40
constexpr int kMaxPolls = 2;

template <class Storage>
class PollBound : public ::testing::Test {
 protected:
  using RingT = Ring<Storage>;

  void SetUp() override {
    ring_ = make_ring<RingT>(1, kSpec, RingOptions{kFirst});
    for (std::uint64_t i = 0; i < kLaps * kSpec.capacity; ++i) put(*ring_, "12345678");
    head_ = ring_->head();
    budget_ = (kSpec.capacity + 2) * loads_of_one_frame();
  }
  void TearDown() override { t_load_limit = std::numeric_limits<std::uint64_t>::max(); }

  // The loads of a poll that delivers the newest frame and stops at head.
  std::uint64_t loads_of_one_frame() {
    RingCursor cursor = RingCursor::from_counter(head_ - 1);
    FrameBuffer buffer = ring_->make_buffer();
    t_loads = 0;
    const PollStats s = poll_into(*ring_, cursor, buffer, [](const FrameBuffer&) {});
    EXPECT_EQ(s.delivered, 1u);
    return t_loads;
  }

  // Polls from `from` until head (at most kMaxPolls polls): at most the
  // budget's loads, every poll's account exact, the last lap delivered.
  void expect_catch_up_within_budget(std::uint64_t from) {
    SCOPED_TRACE("cursor at " + std::to_string(from) + ", head " + std::to_string(head_));
    RingCursor cursor = RingCursor::from_counter(from);
    FrameBuffer buffer = ring_->make_buffer();
    std::uint64_t delivered = 0, lost = 0;
    int polls = 0;
    t_loads = 0;
    t_load_limit = budget_;
    try {
      for (; polls < kMaxPolls && cursor.next_counter != head_; ++polls) {
        const PollStats s = poll_into(*ring_, cursor, buffer, [](const FrameBuffer&) {});
        EXPECT_EQ(s.delivered + s.loss.total(), s.to - s.from) << "inexact account";
        delivered += s.delivered;
        lost += s.loss.total();
      }
    } catch (const WalkTooLong&) {
      t_load_limit = std::numeric_limits<std::uint64_t>::max();
      FAIL() << "the poll made more than " << budget_
             << " atomic loads (capacity + 2 frames' worth): it walks the lapped counters";
    }
    t_load_limit = std::numeric_limits<std::uint64_t>::max();
    RecordProperty("loads", std::to_string(t_loads));
    EXPECT_EQ(cursor.next_counter, head_)
        << "not caught up after " << polls << " polls (a walk, not a jump, over the lapped counters)";
    EXPECT_LE(polls, 1) << "a lapped cursor needed more than one poll";
    EXPECT_EQ(delivered, kSpec.capacity) << "the last lap is delivered";
    EXPECT_EQ(delivered + lost, cursor.next_counter - from);
  }

  std::unique_ptr<RingT> ring_;
  std::uint64_t head_ = 0;
  std::uint64_t budget_ = 0;
};

using Storages = ::testing::Types<SeqlockStorage<CountingSync>,
                                  SeqlockStorage<CountingSync, SeqlockOrders, WriterMode::kSingle>,
                                  DisruptorStorage<CountingSync, BusySpinWait>>;
TYPED_TEST_SUITE(PollBound, Storages);

TYPED_TEST(PollBound, LappedCursorJumps) {
  this->expect_catch_up_within_budget(kFirst);
  this->expect_catch_up_within_budget(this->head_ - 3 * kSpec.capacity + 1);
}

// 2^40 counters back: every one of them is below the ring's first counter.
TYPED_TEST(PollBound, CursorBelowTheFirstCounterJumps) {
  this->expect_catch_up_within_budget(0);
  this->expect_catch_up_within_budget(kFirst - 1);
}

}  // namespace
}  // namespace ringlab::conformance
