// What only the disruptor storage has: gated mode (back-pressure from
// registered readers) and the wait strategies behind its SequenceBarrier.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr DisruptorOptions kGated{.mode = OverflowMode::kGated};
constexpr std::size_t kMaxGates = Sequencer<StdSync, DisruptorOrders>::kMaxGates;

template <class RingT>
std::unique_ptr<RingT> make_gated(std::size_t capacity) {
  return make_ring<RingT>(1, RingSpec{capacity, 16}, {}, kGated);
}

// ---- Gated mode ---------------------------------------------------------------

using GatedRing = DisruptorRing<BusySpinWait>;
using Reader = GatedReader<GatedRing>;

// Polls everything there is; the payload texts go to `seen`.
PollStats drain(Reader& reader, FrameBuffer& buffer, std::vector<std::string>& seen,
                std::uint64_t max_frames = ~std::uint64_t{0}) {
  return reader.poll(
      buffer, [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); }, max_frames);
}

TEST(DisruptorGated, WritersStopAtCapacityUntilTheReaderPolls) {
  constexpr std::size_t kCapacity = 8;
  auto ring = make_gated<GatedRing>(kCapacity);
  put(*ring, "before reader");
  auto reader = Reader::attach(*ring);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->cursor().next_counter, 1u);

  std::size_t fitted = 0;
  while (fitted <= kCapacity && ring->try_write(kNode, 0, 0, bytes(std::to_string(fitted))).ok()) {
    ++fitted;
  }
  EXPECT_EQ(fitted, kCapacity);
  const std::uint64_t head = ring->head();
  EXPECT_EQ(head, 1 + kCapacity);
  const auto full = ring->try_write(kNode, 0, 0, bytes("full"));
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  // No message: "full" is routine back-pressure, and a message would allocate.
  EXPECT_EQ(ring->head(), head);
  EXPECT_EQ(text(ring->read_at(1)), "0");  // the reader's next frame is intact

  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  const PollStats s = drain(*reader, buffer, seen);
  EXPECT_EQ(s.delivered, kCapacity);
  EXPECT_EQ(s.loss, Loss{});
  EXPECT_EQ(seen.front(), "0");
  EXPECT_EQ(seen.back(), std::to_string(kCapacity - 1));
  EXPECT_TRUE(ring->try_write(kNode, 0, 0, bytes("again")).ok());
  EXPECT_EQ(ring->head(), head + 1);
}

TEST(DisruptorGated, SlowestReaderHoldsWritersBack) {
  auto ring = make_gated<GatedRing>(4);
  auto fast = Reader::attach(*ring);
  auto slow = Reader::attach(*ring);
  ASSERT_TRUE(fast.ok() && slow.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  EXPECT_EQ(drain(*fast, buffer, seen).delivered, 4u);
  EXPECT_EQ(ring->try_write(kNode, 0, 0, bytes("x")).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(drain(*slow, buffer, seen, 1).delivered, 1u);
  EXPECT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  EXPECT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
}

// Random bursts of try_write and partial polls: the writer is refused exactly
// when the ring is full for the reader, and the reader sees every frame once,
// in order.
TEST(DisruptorGated, ReaderLosesNothingSingleThreaded) {
  constexpr std::uint64_t kCapacity = 4;
  auto ring = make_gated<GatedRing>(kCapacity);
  auto reader = Reader::attach(*ring);
  ASSERT_TRUE(reader.ok());
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  std::mt19937 rng(42);
  std::uint64_t written = 0;
  for (int step = 0; step < 2000; ++step) {
    SCOPED_TRACE(step);
    if (rng() % 2 == 0) {
      const bool full = ring->head() - reader->cursor().next_counter == kCapacity;
      const auto id = ring->try_write(kNode, 0, 0, bytes(std::to_string(written)));
      ASSERT_EQ(id.ok(), !full) << id.status();
      if (id.ok()) ++written;
    } else {
      const PollStats s = drain(*reader, buffer, seen, 1 + rng() % kCapacity);
      ASSERT_EQ(s.loss, Loss{});
      ASSERT_FALSE(s.stopped_at_pending);
    }
  }
  drain(*reader, buffer, seen);
  ASSERT_EQ(seen.size(), written);
  for (std::uint64_t i = 0; i < written; ++i) ASSERT_EQ(seen[i], std::to_string(i));
}

// A writer blocked in write() waits for the reader's gate. If its claim shows
// in head() (head counts claims), the reader's poll must still not read head as
// a lap past its oldest unread frame and skip that frame as overwritten.
TEST(DisruptorGated, PollWhileAWriterWaitsForTheGateLosesNothing) {
  constexpr std::size_t kCapacity = 4;
  auto ring = make_gated<GatedRing>(kCapacity);
  auto reader = Reader::attach(*ring);
  ASSERT_TRUE(reader.ok());
  for (std::size_t i = 0; i < kCapacity; ++i) put(*ring, std::to_string(i));
  std::atomic<bool> writing{false};
  std::thread writer([&] {
    writing.store(true);
    EXPECT_TRUE(ring->write(kNode, 0, 0, bytes("waited")).ok());
  });
  // Give the writer time to claim and block. A sequencer that claims only once
  // the gate allows never shows the claim in head(); then this just waits.
  while (!writing.load()) std::this_thread::yield();
  const auto patience = Clock::now() + 200ms;
  while (ring->head() == kCapacity && Clock::now() < patience) std::this_thread::yield();

  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  const PollStats s = drain(*reader, buffer, seen, kCapacity);
  EXPECT_EQ(s.loss, Loss{});
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3"}));
  writer.join();
  drain(*reader, buffer, seen);
  EXPECT_EQ(seen.back(), "waited");
}

// write() waits for the reader instead of failing: a writer thread far ahead
// of a reader still loses it nothing.
TEST(DisruptorGated, BlockingWriterLosesTheReaderNothing) {
  constexpr int kFrames = 20000;
  auto ring = make_gated<GatedRing>(8);
  auto reader = Reader::attach(*ring);
  ASSERT_TRUE(reader.ok());
  std::thread writer([&] {
    for (int i = 0; i < kFrames; ++i) {
      EXPECT_TRUE(ring->write(kNode, 0, 0, bytes(std::to_string(i))).ok());
    }
  });
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  Loss loss;
  while (reader->cursor().next_counter < static_cast<std::uint64_t>(kFrames)) {
    const PollStats s = drain(*reader, buffer, seen);
    loss += s.loss;
    if (s.delivered == 0) reader->wait(1ms);
  }
  writer.join();
  EXPECT_EQ(loss, Loss{});
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ(seen[i], std::to_string(i));
}

// Readers that register while a writer runs must never stall it: claims made
// between the gate's floor and the reader's start could take head a lap past
// the floor, and a gate left there would hold the writer forever.
TEST(DisruptorGated, ReaderRegisteredWhileWritingNeverStallsTheWriter) {
  auto ring = make_gated<GatedRing>(1);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    while (!stop) {
      if (ring->try_write(kNode, 0, 0, bytes("w")).ok()) ++written;
    }
  });
  FrameBuffer buffer = ring->make_buffer();
  for (int attach = 0; attach < 500; ++attach) {
    auto reader = GatedReader<GatedRing>::attach(*ring);
    ASSERT_TRUE(reader.ok());
    // The writer keeps going: this reader receives a frame soon.
    const std::uint64_t before = written;
    std::uint64_t delivered = 0;
    const auto until = Clock::now() + 10s;
    while (delivered == 0 && Clock::now() < until) {
      delivered += reader->poll(buffer, [](const FrameBuffer&) {}).delivered;
    }
    ASSERT_GT(delivered, 0u) << "attach " << attach << ": the writer stalled at head "
                             << ring->head() << " after " << before << " writes";
  }
  stop = true;
  writer.join();
}

TEST(DisruptorGated, ReaderOnOverwriteRingIsFailedPrecondition) {
  auto ring = make_ring<GatedRing>(1, RingSpec{8, 16});
  const auto reader = Reader::attach(*ring);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DisruptorGated, GatesAreLimitedAndReleasedReadersFreeTheirGate) {
  auto ring = make_gated<GatedRing>(8);
  std::vector<Reader> readers;
  readers.reserve(kMaxGates);
  for (std::size_t i = 0; i < kMaxGates; ++i) {
    auto reader = Reader::attach(*ring);
    ASSERT_TRUE(reader.ok()) << i << ": " << reader.status();
    readers.push_back(std::move(*reader));
  }
  const auto one_too_many = Reader::attach(*ring);
  ASSERT_FALSE(one_too_many.ok());
  EXPECT_EQ(one_too_many.status().code(), absl::StatusCode::kResourceExhausted);
  readers.pop_back();
  EXPECT_TRUE(Reader::attach(*ring).ok());
}

TEST(DisruptorGated, ReleasedGateNoLongerHoldsWritersBack) {
  constexpr std::size_t kCapacity = 4;
  auto ring = make_gated<GatedRing>(kCapacity);
  {
    auto reader = Reader::attach(*ring);
    ASSERT_TRUE(reader.ok());
    for (std::size_t i = 0; i < kCapacity; ++i) {
      ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
    }
    ASSERT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
    // A moved-from reader holds no gate; the moved-to one still does.
    Reader moved = std::move(*reader);
    ASSERT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  }
  for (std::size_t i = 0; i < 3 * kCapacity; ++i) {
    ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok()) << i;
  }
  EXPECT_EQ(ring->head(), 4 * kCapacity);
}

// ---- Wait strategies ----------------------------------------------------------

template <class RingT>
class DisruptorWait : public ::testing::Test {
 protected:
  static constexpr auto kTimeout = 30ms;
  // Long enough that only a lost wake-up reaches it (ctest's timeout fires first).
  static constexpr auto kForever = std::chrono::minutes(10);
};

using WaitRings =
    ::testing::Types<DisruptorRing<BusySpinWait>, DisruptorRing<YieldingWait>, DisruptorRing<BlockingWait>>;

struct WaitName {
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, DisruptorRing<BusySpinWait>>) return "Spin";
    if constexpr (std::is_same_v<T, DisruptorRing<YieldingWait>>) return "Yield";
    if constexpr (std::is_same_v<T, DisruptorRing<BlockingWait>>) return "Blocking";
  }
};

TYPED_TEST_SUITE(DisruptorWait, WaitRings, WaitName);

TYPED_TEST(DisruptorWait, TimesOutOnAnUnpublishedCounter) {
  auto ring = make_gated<TypeParam>(8);
  auto reader = GatedReader<TypeParam>::attach(*ring);
  ASSERT_TRUE(reader.ok());
  for (const bool claimed : {false, true}) {
    SCOPED_TRACE(claimed ? "claimed, never published" : "never claimed");
    if (claimed) {
      ASSERT_TRUE(ring->claim(kNode, 0).ok());
    }
    const auto start = Clock::now();
    EXPECT_EQ(reader->wait(this->kTimeout), WaitResult::kTimeout);
    EXPECT_GE(Clock::now() - start, this->kTimeout);
  }
  // The barrier of an overwrite-mode ring, directly.
  auto overwrite = make_ring<TypeParam>(1, RingSpec{8, 16});
  const auto start = Clock::now();
  EXPECT_EQ(overwrite->storage().barrier().wait_for(overwrite->head(), this->kTimeout),
            WaitResult::kTimeout);
  EXPECT_GE(Clock::now() - start, this->kTimeout);
}

TYPED_TEST(DisruptorWait, WakesWhenAWriterPublishes) {
  auto ring = make_gated<TypeParam>(8);
  auto reader = GatedReader<TypeParam>::attach(*ring);
  ASSERT_TRUE(reader.ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(ring->write(kNode, 0, 0, bytes("wake")).ok());
  });
  const WaitResult result = reader->wait(this->kForever);
  writer.join();
  EXPECT_EQ(result, WaitResult::kPublished);
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  reader->poll(buffer, [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); });
  EXPECT_EQ(seen, std::vector<std::string>{"wake"});
}

// An abandoned claim releases its waiters too (the counter will never hold a frame).
TYPED_TEST(DisruptorWait, WakesWhenAClaimIsAbandoned) {
  auto ring = make_ring<TypeParam>(1, RingSpec{8, 16});
  auto ticket = ring->claim(kNode, 0);
  ASSERT_TRUE(ticket.ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    ring->abandon(*ticket);
  });
  const WaitResult result = ring->storage().barrier().wait_for(ticket->counter, this->kForever);
  writer.join();
  EXPECT_EQ(result, WaitResult::kPublished);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(ticket->counter, buffer), ReadState::kUnavailable);
}

// alert() releases a reader waiting on a counter no writer will publish, and
// keeps later waits from blocking until clear_alert().
TYPED_TEST(DisruptorWait, AlertReleasesWaitersUntilCleared) {
  auto ring = make_ring<TypeParam>(1, RingSpec{8, 16});
  auto& barrier = ring->storage().barrier();
  std::thread alerter([&] {
    std::this_thread::sleep_for(20ms);
    barrier.alert();
  });
  EXPECT_EQ(barrier.wait_for(ring->head(), this->kForever), WaitResult::kAlerted);
  alerter.join();
  EXPECT_EQ(barrier.wait_for(ring->head(), this->kForever), WaitResult::kAlerted);
  barrier.clear_alert();
  EXPECT_EQ(barrier.wait_for(ring->head(), this->kTimeout), WaitResult::kTimeout);
  // A published counter is reported as such even while alerted.
  ASSERT_TRUE(ring->write(kNode, 0, 0, bytes("x")).ok());
  barrier.alert();
  EXPECT_EQ(barrier.wait_for(ring->head() - 1, this->kTimeout), WaitResult::kPublished);
}

}  // namespace
}  // namespace ringlab::conformance
