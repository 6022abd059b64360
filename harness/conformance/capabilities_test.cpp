// What a ring offers beyond the seed's contract (ringlab/capabilities.hpp),
// for every variant of the registry that offers it: reader gates and
// back-pressure (Lossless, the lossless variants) and waiting for a counter
// (Waiting, the variants whose ring has wait_for).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/gtest_variants.hpp"
#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <class V>
class Capability : public harness::VariantTest<V> {
 protected:
  using RingT = typename V::ring;
  using Reader = GatedReader<RingT>;

  static std::unique_ptr<RingT> make(std::size_t capacity) {
    return make_ring<RingT>(1, RingSpec{capacity, 16}, {}, V::options());
  }

  // Polls everything there is; the payload texts go to `seen`.
  static PollStats drain(Reader& reader, FrameBuffer& buffer, std::vector<std::string>& seen,
                         std::uint64_t max_frames = ~std::uint64_t{0}) {
    return reader.poll(
        buffer, [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); }, max_frames);
  }
};

// ---- Gated mode: writers wait for registered readers ----------------------------

template <class V>
class Lossless : public Capability<V> {};

TYPED_TEST_SUITE(Lossless, harness::gtest_types_t<harness::LosslessVariants>,
                 harness::VariantNames);

TYPED_TEST(Lossless, WritersStopAtCapacityUntilTheReaderPolls) {
  constexpr std::size_t kCapacity = 8;
  auto ring = this->make(kCapacity);
  put(*ring, "before reader");
  auto reader = TestFixture::Reader::attach(*ring);
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
  const PollStats s = this->drain(*reader, buffer, seen);
  EXPECT_EQ(s.delivered, kCapacity);
  EXPECT_EQ(s.loss, Loss{});
  EXPECT_EQ(seen.front(), "0");
  EXPECT_EQ(seen.back(), std::to_string(kCapacity - 1));
  EXPECT_TRUE(ring->try_write(kNode, 0, 0, bytes("again")).ok());
  EXPECT_EQ(ring->head(), head + 1);
}

TYPED_TEST(Lossless, SlowestReaderHoldsWritersBack) {
  auto ring = this->make(4);
  auto fast = TestFixture::Reader::attach(*ring);
  auto slow = TestFixture::Reader::attach(*ring);
  ASSERT_TRUE(fast.ok() && slow.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  EXPECT_EQ(this->drain(*fast, buffer, seen).delivered, 4u);
  EXPECT_EQ(ring->try_write(kNode, 0, 0, bytes("x")).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(this->drain(*slow, buffer, seen, 1).delivered, 1u);
  EXPECT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  EXPECT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
}

// Random bursts of try_write and partial polls: the writer is refused exactly
// when the ring is full for the reader, and the reader sees every frame once,
// in order.
TYPED_TEST(Lossless, ReaderLosesNothingSingleThreaded) {
  constexpr std::uint64_t kCapacity = 4;
  auto ring = this->make(kCapacity);
  auto reader = TestFixture::Reader::attach(*ring);
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
      const PollStats s = this->drain(*reader, buffer, seen, 1 + rng() % kCapacity);
      ASSERT_EQ(s.loss, Loss{});
      ASSERT_FALSE(s.stopped_at_pending);
    }
  }
  this->drain(*reader, buffer, seen);
  ASSERT_EQ(seen.size(), written);
  for (std::uint64_t i = 0; i < written; ++i) ASSERT_EQ(seen[i], std::to_string(i));
}

// A writer blocked in write() waits for the reader's gate. If its claim shows
// in head() (head counts claims), the reader's poll must still not read head as
// a lap past its oldest unread frame and skip that frame as overwritten.
TYPED_TEST(Lossless, PollWhileAWriterWaitsForTheGateLosesNothing) {
  constexpr std::size_t kCapacity = 4;
  auto ring = this->make(kCapacity);
  auto reader = TestFixture::Reader::attach(*ring);
  ASSERT_TRUE(reader.ok());
  for (std::size_t i = 0; i < kCapacity; ++i) put(*ring, std::to_string(i));
  ring->release_writer_thread();  // a single-writer ring's role passes to `writer`
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
  const PollStats s = this->drain(*reader, buffer, seen, kCapacity);
  EXPECT_EQ(s.loss, Loss{});
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3"}));
  writer.join();
  this->drain(*reader, buffer, seen);
  EXPECT_EQ(seen.back(), "waited");
}

// write() waits for the reader instead of failing: a writer thread far ahead
// of a reader still loses it nothing.
TYPED_TEST(Lossless, BlockingWriterLosesTheReaderNothing) {
  constexpr int kFrames = 20000;
  auto ring = this->make(8);
  auto reader = TestFixture::Reader::attach(*ring);
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
    const PollStats s = this->drain(*reader, buffer, seen);
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
TYPED_TEST(Lossless, ReaderRegisteredWhileWritingNeverStallsTheWriter) {
  auto ring = this->make(1);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    while (!stop) {
      if (ring->try_write(kNode, 0, 0, bytes("w")).ok()) ++written;
    }
  });
  FrameBuffer buffer = ring->make_buffer();
  for (int attach = 0; attach < 500; ++attach) {
    auto reader = TestFixture::Reader::attach(*ring);
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

// The same ring type with default options, where that overwrites.
TYPED_TEST(Lossless, ReaderOnOverwriteRingIsFailedPrecondition) {
  auto ring = make_ring<typename TestFixture::RingT>(1, RingSpec{8, 16});
  if (ring->gated()) GTEST_SKIP() << "this ring type is gated with default options too";
  const auto reader = TestFixture::Reader::attach(*ring);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
}

// However many gates a storage has: the first refusal is ResourceExhausted.
TYPED_TEST(Lossless, GatesAreLimitedAndReleasedReadersFreeTheirGate) {
  constexpr std::size_t kEnough = 4096;
  auto ring = this->make(8);
  std::vector<typename TestFixture::Reader> readers;
  absl::Status refused;
  while (readers.size() < kEnough) {
    auto reader = TestFixture::Reader::attach(*ring);
    if (!reader.ok()) {
      refused = reader.status();
      break;
    }
    readers.push_back(std::move(*reader));
  }
  ASSERT_FALSE(readers.empty());
  ASSERT_LT(readers.size(), kEnough) << "no limit to the gates";
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_FALSE(TestFixture::Reader::attach(*ring).ok());
  readers.pop_back();
  EXPECT_TRUE(TestFixture::Reader::attach(*ring).ok());
}

TYPED_TEST(Lossless, ReleasedGateNoLongerHoldsWritersBack) {
  constexpr std::size_t kCapacity = 4;
  auto ring = this->make(kCapacity);
  {
    auto reader = TestFixture::Reader::attach(*ring);
    ASSERT_TRUE(reader.ok());
    for (std::size_t i = 0; i < kCapacity; ++i) {
      ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
    }
    ASSERT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
    // A moved-from reader holds no gate; the moved-to one still does.
    typename TestFixture::Reader moved = std::move(*reader);
    ASSERT_FALSE(ring->try_write(kNode, 0, 0, bytes("x")).ok());
  }
  for (std::size_t i = 0; i < 3 * kCapacity; ++i) {
    ASSERT_TRUE(ring->try_write(kNode, 0, 0, bytes("x")).ok()) << i;
  }
  EXPECT_EQ(ring->head(), 4 * kCapacity);
}

// ---- Waiting for a counter ------------------------------------------------------

template <class V>
class Waiting : public Capability<V> {
 protected:
  static constexpr auto kTimeout = 30ms;
  // Long enough that only a lost wake-up reaches it (ctest's timeout fires first).
  static constexpr auto kForever = std::chrono::minutes(10);
};

TYPED_TEST_SUITE(Waiting, harness::gtest_types_t<harness::WaitingVariants>, harness::VariantNames);

TYPED_TEST(Waiting, TimesOutOnAnUnpublishedCounter) {
  auto ring = this->make(8);
  for (const bool claimed : {false, true}) {
    SCOPED_TRACE(claimed ? "claimed, never published" : "never claimed");
    std::uint64_t counter = ring->head();
    if (claimed) {
      const auto ticket = ring->claim(kNode, 0);
      ASSERT_TRUE(ticket.ok());
      counter = ticket->counter;
    }
    const auto start = Clock::now();
    EXPECT_EQ(ring->wait_for(counter, this->kTimeout), WaitResult::kTimeout);
    EXPECT_GE(Clock::now() - start, this->kTimeout);
  }
}

TYPED_TEST(Waiting, WakesWhenAWriterPublishes) {
  auto ring = this->make(8);
  const std::uint64_t next = ring->head();
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(ring->write(kNode, 0, 0, bytes("wake")).ok());
  });
  const WaitResult result = ring->wait_for(next, this->kForever);
  writer.join();
  EXPECT_EQ(result, WaitResult::kPublished);
  RingCursor cursor = RingCursor::from_counter(next);
  EXPECT_EQ(texts(poll(*ring, cursor).frames), std::vector<std::string>{"wake"});
}

// An abandoned claim releases its waiters too (the counter will never hold a frame).
TYPED_TEST(Waiting, WakesWhenAClaimIsAbandoned) {
  auto ring = this->make(8);
  auto ticket = ring->claim(kNode, 0);
  ASSERT_TRUE(ticket.ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    ring->abandon(*ticket);
  });
  const WaitResult result = ring->wait_for(ticket->counter, this->kForever);
  writer.join();
  EXPECT_EQ(result, WaitResult::kPublished);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(ticket->counter, buffer), ReadState::kUnavailable);
}

// alert() releases a reader waiting on a counter no writer will publish, and
// keeps later waits from blocking until clear_alert().
TYPED_TEST(Waiting, AlertReleasesWaitersUntilCleared) {
  auto ring = this->make(8);
  std::thread alerter([&] {
    std::this_thread::sleep_for(20ms);
    ring->alert();
  });
  EXPECT_EQ(ring->wait_for(ring->head(), this->kForever), WaitResult::kAlerted);
  alerter.join();
  EXPECT_EQ(ring->wait_for(ring->head(), this->kForever), WaitResult::kAlerted);
  ring->clear_alert();
  EXPECT_EQ(ring->wait_for(ring->head(), this->kTimeout), WaitResult::kTimeout);
  // A published counter is reported as such even while alerted.
  ASSERT_TRUE(ring->write(kNode, 0, 0, bytes("x")).ok());
  ring->alert();
  EXPECT_EQ(ring->wait_for(ring->head() - 1, this->kTimeout), WaitResult::kPublished);
}

}  // namespace
}  // namespace ringlab::conformance
