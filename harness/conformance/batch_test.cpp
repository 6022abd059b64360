// Batched claims (Ring::claim_batch, write_batch): every variant of the
// registry, those of a single writer without the writer lease, and the gated
// (lossless) ones waiting for room for a whole batch.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "batch_loan_fixture.hpp"

namespace ringlab::conformance::batch_loan {
namespace {

using namespace std::chrono_literals;

// ---- Batches: every variant ---------------------------------------------------

template <class V>
class Batch : public BatchLoanTest<V> {
 protected:
  // Batches, loans and visits over counters that cross 2^32 and 2^40 (ids
  // keep the low 40 bits).
  void check_edge(std::uint64_t edge);
};
TYPED_TEST_SUITE(Batch, harness::gtest_types_t<harness::Variants>, harness::VariantNames);

TYPED_TEST(Batch, IdsAreConsecutiveAndFramesReadAndPollInOrder) {
  auto ring = this->make(8);
  const NetId64 before = put(*ring, "before");
  auto batch = ring->claim_batch(kNode, 5);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(ring->head(), 6u);  // one claim of five
  ASSERT_EQ(batch->size(), 5u);
  std::vector<NetId64> written{before};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(batch->counter(i), 1 + i);
    EXPECT_EQ(batch->id(i), NetId64::make(kKind, kNode, 1 + i));
    ASSERT_TRUE(batch->publish(i, 2, 100 + i, pattern(i + 3, i)).ok());
    written.push_back(batch->id(i));
  }
  FrameBuffer buffer = ring->make_buffer();
  for (std::size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(ring->read_state_at(1 + i, buffer), ReadState::kReady);
    EXPECT_EQ(buffer.id, written[1 + i]);
    EXPECT_EQ(buffer.kind, 2);
    EXPECT_EQ(buffer.ver, 100 + i);
    EXPECT_EQ(payload_of(buffer), pattern(i + 3, i));
  }
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(ids(r.frames), written);
  EXPECT_EQ(r.loss, Loss{});
  EXPECT_EQ(cursor.next_counter, 6u);
}

TYPED_TEST(Batch, UnpublishedCountersArePendingThenAbandonedByTheDestructor) {
  auto ring = this->make(8);
  FrameBuffer buffer = ring->make_buffer();
  RingCursor cursor = RingCursor::from_start();
  {
    auto batch = ring->claim_batch(kNode, 4).value();
    ASSERT_TRUE(batch.publish(0, 0, 0, bytes("zero")).ok());
    ASSERT_TRUE(batch.publish(1, 0, 0, bytes("one")).ok());
    EXPECT_EQ(ring->read_state_at(2, buffer), ReadState::kPending);
    EXPECT_EQ(ring->read_state_at(3, buffer), ReadState::kPending);
    const PollResult r = poll(*ring, cursor);
    EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"zero", "one"}));
    EXPECT_EQ(cursor.next_counter, 2u);  // stopped at the Pending counter
  }
  for (std::uint64_t c : {2u, 3u}) {
    bool overwritten = true;
    EXPECT_EQ(ring->read_state_at(c, buffer, &overwritten), ReadState::kUnavailable) << c;
    EXPECT_FALSE(overwritten) << c;
  }
  const PollResult r = poll(*ring, cursor);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.loss, (Loss{.unavailable = 2}));
  EXPECT_EQ(cursor.next_counter, 4u);
  // The ring goes on from there.
  EXPECT_EQ(put(*ring, "after").counter(), 4u);
}

TYPED_TEST(Batch, PublishOutOfOrderOrTwiceIsRefusedAndWritesNothing) {
  auto ring = this->make(8);
  auto batch = ring->claim_batch(kNode, 4).value();
  // Skipping an index gives it up: increasing order, gaps allowed.
  ASSERT_TRUE(batch.publish(1, 0, 0, bytes("one")).ok());
  EXPECT_EQ(batch.next_index(), 2u);
  for (std::size_t i : {0u, 1u, 4u, 99u}) {
    const absl::Status s = batch.publish(i, 0, 0, bytes("late"));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << i;
    EXPECT_FALSE(s.message().empty());
  }
  EXPECT_EQ(batch.next_index(), 2u);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(0, buffer), ReadState::kUnavailable);
  ASSERT_EQ(ring->read_state_at(1, buffer), ReadState::kReady);
  EXPECT_EQ(text(buffer.payload()), "one");
  EXPECT_EQ(ring->read_state_at(2, buffer), ReadState::kPending);
  ASSERT_TRUE(batch.publish(3, 0, 0, bytes("three")).ok());
  EXPECT_EQ(ring->read_state_at(2, buffer), ReadState::kUnavailable);
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(r.loss, (Loss{.unavailable = 2}));
}

TYPED_TEST(Batch, OversizedPayloadAbandonsItsCounterOnly) {
  auto ring = this->make(4);
  auto batch = ring->claim_batch(kNode, 2).value();
  const absl::Status s = batch.publish(0, 0, 0, pattern(kPayload + 1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.message().empty());
  ASSERT_TRUE(batch.publish(1, 0, 0, pattern(kPayload, 2)).ok());
  FrameBuffer buffer = ring->make_buffer();
  bool overwritten = true;
  EXPECT_EQ(ring->read_state_at(0, buffer, &overwritten), ReadState::kUnavailable);
  EXPECT_FALSE(overwritten);
  ASSERT_EQ(ring->read_state_at(1, buffer), ReadState::kReady);
  EXPECT_EQ(payload_of(buffer), pattern(kPayload, 2));
}

TYPED_TEST(Batch, SizesOutsideOneToCapacityAreRefusedBeforeClaiming) {
  auto ring = this->make(4);
  put(*ring, "x");
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{1} << 40}) {
    SCOPED_TRACE(n);
    const auto batch = ring->claim_batch(kNode, n);
    EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(batch.status().message().empty());
    EXPECT_EQ(ring->head(), 1u);
  }
  const std::vector<std::byte> p = bytes("p");
  const std::vector<std::span<const std::byte>> five(5, p);
  EXPECT_EQ(ring->write_batch(kNode, 0, 0, five).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring->write_batch(kNode, 0, 0, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring->head(), 1u);
  // The whole ring in one batch is allowed.
  auto whole = ring->claim_batch(kNode, 4);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(ring->head(), 5u);
}

TYPED_TEST(Batch, WriteBatchPublishesEveryPayload) {
  auto ring = this->make(8);
  put(*ring, "x");
  const std::vector<std::vector<std::byte>> payloads{pattern(0, 1), pattern(8, 2),
                                                     pattern(kPayload, 3)};
  const std::vector<std::span<const std::byte>> spans(payloads.begin(), payloads.end());
  const auto first = ring->write_batch(kNode, 9, 77, spans);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, NetId64::make(kKind, kNode, 1));
  EXPECT_EQ(ring->head(), 4u);
  FrameBuffer buffer = ring->make_buffer();
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(ring->read_state_at(1 + i, buffer), ReadState::kReady);
    EXPECT_EQ(buffer.id, NetId64::make(kKind, kNode, 1 + i));
    EXPECT_EQ(buffer.kind, 9);
    EXPECT_EQ(buffer.ver, 77u);
    EXPECT_EQ(payload_of(buffer), payloads[i]);
  }
}

TYPED_TEST(Batch, WriteBatchRejectsAnOversizedPayloadBeforeClaiming) {
  auto ring = this->make(8);
  const std::vector<std::vector<std::byte>> payloads{pattern(1, 1), pattern(kPayload + 1, 2),
                                                     pattern(1, 3)};
  const std::vector<std::span<const std::byte>> spans(payloads.begin(), payloads.end());
  const auto first = ring->write_batch(kNode, 0, 0, spans);
  EXPECT_EQ(first.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(first.status().message().empty());
  EXPECT_EQ(ring->head(), 0u);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(0, buffer), ReadState::kUnavailable);
}

TYPED_TEST(Batch, MovedBatchPublishesOnceAndAbandonsOnce) {
  auto ring = this->make(8);
  auto batch = ring->claim_batch(kNode, 3).value();
  ASSERT_TRUE(batch.publish(0, 0, 0, bytes("a")).ok());
  auto moved = std::move(batch);
  EXPECT_EQ(batch.size(), 0u);  // the moved-from state
  EXPECT_EQ(batch.publish(1, 0, 0, bytes("b")).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(moved.publish(1, 0, 0, bytes("b")).ok());
  auto other = ring->claim_batch(kNode, 1).value();
  other = std::move(moved);  // `other`'s own counter 3 is abandoned here
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(3, buffer), ReadState::kUnavailable);
  EXPECT_EQ(ring->read_state_at(2, buffer), ReadState::kPending);
  other.abandon_rest();
  EXPECT_EQ(ring->read_state_at(2, buffer), ReadState::kUnavailable);
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.loss, (Loss{.unavailable = 2}));
}

template <class V>
void Batch<V>::check_edge(std::uint64_t edge) {
  auto ring = this->make(8, edge - 2);
  auto batch = ring->claim_batch(kNode, 4).value();
  std::vector<NetId64> written;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(batch.counter(i), edge - 2 + i);
    EXPECT_EQ(batch.id(i), NetId64::make(kKind, kNode, edge - 2 + i));
    ASSERT_TRUE(batch.publish(i, 1, i, pattern(4 + i, i)).ok());
    written.push_back(batch.id(i));
  }
  if constexpr (V::lends) {
    auto loan = ring->loan(kNode, 9).value();
    EXPECT_EQ(loan.counter(), edge + 2);
    ASSERT_TRUE(loan.payload().store(0, pattern(9, 9)));
    ASSERT_TRUE(loan.publish(1, 4).ok());
    written.push_back(loan.id());
  }
  for (std::size_t i = 0; i < written.size(); ++i) {
    SCOPED_TRACE(i);
    Seen seen;
    ASSERT_EQ(ring->visit(edge - 2 + i, [&](const auto& v) { look(v, seen); }), ReadState::kReady);
    EXPECT_EQ(seen.id, written[i]);
    EXPECT_EQ(seen.payload, i < 4 ? pattern(4 + i, i) : pattern(9, 9));
    EXPECT_TRUE(ring->read(written[i]).has_value());
  }
  RingCursor cursor = RingCursor::from_counter(edge - 2);
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(ids(r.frames), written);
  EXPECT_EQ(r.loss, Loss{});
}

TYPED_TEST(Batch, CountersAcross2To32) { this->check_edge(std::uint64_t{1} << 32); }
TYPED_TEST(Batch, CountersAcross2To40) { this->check_edge(std::uint64_t{1} << 40); }

// ---- Batches of a single writer ------------------------------------------------

template <class V>
class SingleWriterBatch : public BatchLoanTest<V> {};
TYPED_TEST_SUITE(SingleWriterBatch, harness::gtest_types_t<harness::SingleWriterVariants>,
                 harness::VariantNames);

TYPED_TEST(SingleWriterBatch, ProcessWithoutTheLeaseIsRefused) {
  auto ring = this->make(4);
  ring->give_back_writer_lease();
  const std::vector<std::byte> p = bytes("p");
  const std::array<std::span<const std::byte>, 1> one{p};
  EXPECT_EQ(ring->claim_batch(kNode, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring->write_batch(kNode, 0, 0, one).status().code(),
            absl::StatusCode::kFailedPrecondition);
  if constexpr (TypeParam::lends) {
    EXPECT_EQ(ring->loan(kNode, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(ring->head(), 0u);
  ASSERT_TRUE(ring->take_writer_lease().ok());
  EXPECT_TRUE(ring->claim_batch(kNode, 1).ok());
}

// ---- Gated variants: a batch waits for room for all of it -----------------------

template <class V>
class GatedBatch : public BatchLoanTest<V> {};
TYPED_TEST_SUITE(GatedBatch, harness::gtest_types_t<harness::LosslessVariants>,
                 harness::VariantNames);

TYPED_TEST(GatedBatch, TryClaimBatchRefusesWithoutRoomForAll) {
  constexpr std::size_t kCapacity = 8;
  auto ring = this->make(kCapacity);
  auto reader = GatedReader<typename TestFixture::RingT>::attach(*ring);
  ASSERT_TRUE(reader.ok());
  for (int i = 0; i < 5; ++i) put(*ring, "w");
  const auto refused = ring->try_claim_batch(kNode, 4);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ring->head(), 5u);
  {
    auto batch = ring->try_claim_batch(kNode, 3);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_EQ(batch->counter(0), 5u);
    ASSERT_TRUE(batch->publish(0, 0, 0, bytes("b")).ok());
  }  // 6 and 7 abandoned
  EXPECT_EQ(ring->try_claim_batch(kNode, 1).status().code(), absl::StatusCode::kResourceExhausted);
  FrameBuffer buffer = ring->make_buffer();
  const PollStats s = reader->poll(buffer, [](const FrameBuffer&) {});
  EXPECT_EQ(s.delivered, 6u);
  EXPECT_EQ(s.loss, (Loss{.unavailable = 2}));
  auto whole = ring->try_claim_batch(kNode, kCapacity);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(ring->head(), 8 + kCapacity);
}

TYPED_TEST(GatedBatch, ClaimBatchWaitsForRoomForAll) {
  constexpr std::size_t kCapacity = 4;
  auto ring = this->make(kCapacity);
  auto reader = GatedReader<typename TestFixture::RingT>::attach(*ring);
  ASSERT_TRUE(reader.ok());
  for (std::size_t i = 0; i < kCapacity; ++i) put(*ring, "w" + std::to_string(i));
  ring->release_writer_thread();  // a single-writer ring's role passes to `writer`
  std::atomic<bool> claimed{false};
  std::thread writer([&] {
    auto batch = ring->claim_batch(kNode, 2);
    claimed = true;
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_EQ(batch->counter(0), kCapacity);
    ASSERT_TRUE(batch->publish(0, 0, 0, bytes("b0")).ok());
    ASSERT_TRUE(batch->publish(1, 0, 0, bytes("b1")).ok());
  });
  FrameBuffer buffer = ring->make_buffer();
  std::vector<std::string> seen;
  auto keep = [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); };
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(claimed) << "claimed with no room at all";
  EXPECT_EQ(reader->poll(buffer, keep, 1).delivered, 1u);  // room for one of the two
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(claimed) << "claimed with room for one of two";
  EXPECT_EQ(ring->head(), kCapacity);
  while (reader->cursor().next_counter < kCapacity + 2) {
    if (reader->poll(buffer, keep).delivered == 0) reader->wait(1ms);
  }
  writer.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"w0", "w1", "w2", "w3", "b0", "b1"}));
}

}  // namespace
}  // namespace ringlab::conformance::batch_loan
