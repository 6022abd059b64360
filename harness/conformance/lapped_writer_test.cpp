// Lapped writers, interleaved deterministically: writer A (counter c) is paused
// right after it has taken its slot, at the release fence (P4) before its body
// stores, while writer B (counter c + capacity, the same slot) publishes. The
// variant code is the production code; only the Sync policy differs, adding a
// hook to fence(). A correct storage makes B wait for A and then land B's frame;
// a storage without the lapped-writer guard lets A's older frame land over B's.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ringlab/ringlab.hpp"

namespace ringlab {
namespace {

using namespace std::chrono_literals;

// StdSync whose release fences can run a one-shot hook on the calling thread.
struct PausingSync : StdSync {
  static inline thread_local std::function<void()> on_release_fence;
  static void fence(std::memory_order order) {
    StdSync::fence(order);
    if (order == std::memory_order_release && on_release_fence) {
      std::exchange(on_release_fence, nullptr)();
    }
  }
};

template <class RingT>
class LappedWriterTest : public ::testing::Test {};

using LappedRings = ::testing::Types<Ring<SeqlockStorage<PausingSync>>,
                                     Ring<DisruptorStorage<PausingSync, BusySpinWait>>>;
struct LappedNames {
  template <class T>
  static std::string GetName(int) {
    return std::string(T::storage_type::kName);
  }
};
TYPED_TEST_SUITE(LappedWriterTest, LappedRings, LappedNames);

std::vector<std::byte> bytes_of(std::size_t n, std::uint8_t seed) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = std::byte(static_cast<std::uint8_t>(seed + 13 * i));
  return out;
}

TYPED_TEST(LappedWriterTest, OlderWriterPausedInSlotNeverLandsOverNewer) {
  for (std::size_t capacity : {1u, 2u}) {
    SCOPED_TRACE(capacity);
    auto ring = TypeParam::create(5, RingSpec{capacity, 64}).value();
    const auto a_payload = bytes_of(64, 1);
    const auto b_payload = bytes_of(64, 2);
    auto a = ring->claim(NodeId(1), a_payload.size()).value();
    for (std::size_t i = 1; i < capacity; ++i) {
      ASSERT_TRUE(ring->write(NodeId(3), 0, 0, {}).ok());
    }
    auto b = ring->claim(NodeId(2), b_payload.size()).value();
    ASSERT_EQ(b.counter, a.counter + capacity);  // same slot, one lap later

    std::atomic<bool> b_done{false};
    std::thread writer_b;
    PausingSync::on_release_fence = [&] {
      // A holds the slot. B publishes now; a correct storage makes B wait for
      // A, so B cannot finish while A is paused here.
      writer_b = std::thread([&] {
        ASSERT_TRUE(ring->publish(b, 0, 2, b_payload).ok());
        b_done = true;
      });
      const auto until = std::chrono::steady_clock::now() + 200ms;
      while (!b_done && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    };
    ASSERT_TRUE(ring->publish(a, 0, 1, a_payload).ok());
    writer_b.join();
    EXPECT_FALSE(PausingSync::on_release_fence) << "the storage never reached its fence";

    FrameBuffer out = ring->make_buffer();
    EXPECT_EQ(ring->read_state_at(b.counter, out), ReadState::kReady)
        << "the newer frame must hold the slot";
    EXPECT_EQ(out.id, b.id);
    EXPECT_EQ(std::vector<std::byte>(out.payload().begin(), out.payload().end()), b_payload);
    EXPECT_EQ(ring->read_state_at(a.counter, out), ReadState::kUnavailable);
    EXPECT_FALSE(ring->read(a.id).has_value());
    ASSERT_TRUE(ring->read_at(a.counter).has_value());
    EXPECT_EQ(ring->read_at(a.counter)->id, b.id);
  }
}

TYPED_TEST(LappedWriterTest, NewerWriterPausedInSlotMakesOlderWriterDropItsFrame) {
  auto ring = TypeParam::create(5, RingSpec{1, 64}).value();
  const auto a_payload = bytes_of(40, 3);
  const auto b_payload = bytes_of(24, 4);
  auto a = ring->claim(NodeId(1), a_payload.size()).value();
  auto b = ring->claim(NodeId(2), b_payload.size()).value();

  PausingSync::on_release_fence = [&] {
    // B holds the slot; A, a lap older, must give its frame up and return.
    std::thread writer_a([&] { ASSERT_TRUE(ring->publish(a, 0, 1, a_payload).ok()); });
    writer_a.join();
  };
  ASSERT_TRUE(ring->publish(b, 0, 2, b_payload).ok());

  FrameBuffer out = ring->make_buffer();
  ASSERT_EQ(ring->read_state_at(b.counter, out), ReadState::kReady);
  EXPECT_EQ(std::vector<std::byte>(out.payload().begin(), out.payload().end()), b_payload);
  EXPECT_EQ(ring->read_state_at(a.counter, out), ReadState::kUnavailable);
}

}  // namespace
}  // namespace ringlab
