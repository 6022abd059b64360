// Zero-copy loans (Ring::loan) and in-place reads (Ring::visit): visits on
// every variant of the registry, loans on those that lend, a loan holding its
// slot against a lapping writer on those that lend to many writers, and a loan
// overtaken between its claim and its slot on one of those per storage.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "batch_loan_fixture.hpp"

namespace ringlab::conformance::batch_loan {
namespace {

using namespace std::chrono_literals;

// ---- Visits: every variant ----------------------------------------------------

template <class V>
class Visit : public BatchLoanTest<V> {};
TYPED_TEST_SUITE(Visit, harness::gtest_types_t<harness::Variants>, harness::VariantNames);

TYPED_TEST(Visit, SeesTheFrameInPlace) {
  auto ring = this->make(4);
  const std::vector<std::byte> p = pattern(kPayload - 1, 7);  // 19 bytes: 3 words, the last partial
  const NetId64 id = ring->write(kNode, 6, 42, p).value();
  Seen seen;
  std::array<std::byte, 5> middle{};
  std::size_t middle_n = 0, past_end = 1;
  const ReadState state = ring->visit(id.counter(), [&](const auto& view) {
    look(view, seen);
    middle_n = view.load(9, middle);
    past_end = view.load(p.size(), middle);
  });
  ASSERT_EQ(state, ReadState::kReady);
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.id, id);
  EXPECT_EQ(seen.kind, 6);
  EXPECT_EQ(seen.ver, 42u);
  EXPECT_EQ(seen.payload, p);
  EXPECT_EQ(seen.words, words_of(p));  // the partial word zero-padded
  EXPECT_EQ(middle_n, 5u);
  EXPECT_EQ(std::vector<std::byte>(middle.begin(), middle.end()),
            std::vector<std::byte>(p.begin() + 9, p.begin() + 14));
  EXPECT_EQ(past_end, 0u);
}

// Every kind of counter: visit answers as read_state_at does, and calls the
// visitor only for Ready.
TYPED_TEST(Visit, AnswersAsReadStateAt) {
  constexpr std::uint64_t kFirst = 100;
  auto ring = this->make(4, kFirst);
  put(*ring, "lapped");                       // 100, overwritten below
  const std::uint64_t abandoned = claim_and_abandon(*ring);  // 101
  for (int i = 0; i < 3; ++i) put(*ring, "w");               // 102..104
  auto pending = ring->claim(kNode, 1).value();               // 105
  FrameBuffer buffer = ring->make_buffer();
  for (std::uint64_t c : {kFirst - 5, kFirst - 1, kFirst, abandoned, kFirst + 2, kFirst + 4,
                          pending.counter, kFirst + 6, kFirst + 50}) {
    SCOPED_TRACE(c);
    bool overwritten_read = false, overwritten_visit = true;
    const ReadState expected = ring->read_state_at(c, buffer, &overwritten_read);
    int calls = 0;
    EXPECT_EQ(ring->visit(c, [&](const auto&) { ++calls; }, &overwritten_visit), expected);
    EXPECT_EQ(overwritten_visit, overwritten_read);
    EXPECT_EQ(calls, expected == ReadState::kReady ? 1 : 0);
  }
  bool overwritten = false;
  EXPECT_EQ(ring->visit(kFirst, [](const auto&) {}, &overwritten), ReadState::kUnavailable);
  EXPECT_TRUE(overwritten);
  EXPECT_EQ(ring->visit(abandoned, [](const auto&) {}), ReadState::kUnavailable);
  EXPECT_EQ(ring->visit(pending.counter, [](const auto&) {}), ReadState::kPending);
  EXPECT_EQ(ring->visit(kFirst + 6, [](const auto&) {}), ReadState::kUnavailable);
  ASSERT_TRUE(ring->publish(pending, 0, 0, bytes("p")).ok());
  EXPECT_EQ(ring->visit(pending.counter, [](const auto&) {}), ReadState::kReady);
}

// ---- Loans: the variants that lend (seqlock, disruptor) -------------------------

template <class V>
class Loan : public BatchLoanTest<V> {};
TYPED_TEST_SUITE(Loan, harness::gtest_types_t<harness::LendingVariants>, harness::VariantNames);

TYPED_TEST(Loan, PayloadWrittenInPlaceReadsBackWhole) {
  auto ring = this->make(4);
  put(*ring, "x");
  const std::vector<std::byte> p = pattern(kPayload - 1, 4);
  auto loan = ring->loan(kNode, p.size());
  ASSERT_TRUE(loan.ok()) << loan.status();
  EXPECT_EQ(loan->counter(), 1u);
  EXPECT_EQ(loan->id(), NetId64::make(kKind, kNode, 1));
  EXPECT_FALSE(loan->superseded());
  const auto& words = loan->payload();
  ASSERT_EQ(words.size(), p.size());
  EXPECT_EQ(words.word_count(), 3u);
  const std::span<const std::byte> all(p);
  EXPECT_FALSE(words.store(3, all.subspan(3, 8)));   // not a word boundary
  EXPECT_FALSE(words.store(16, all.subspan(8, 8)));  // past the payload
  EXPECT_FALSE(words.store_word(3, 1));
  ASSERT_TRUE(words.store(8, all.subspan(8)));   // the tail first: any order
  ASSERT_TRUE(words.store(0, all.first(8)));
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(1, buffer), ReadState::kPending);
  ASSERT_TRUE(loan->publish(3, 33).ok());
  EXPECT_EQ(loan->payload().size(), 0u);  // nothing lands after the commit
  EXPECT_FALSE(loan->payload().store_word(0, 1));
  EXPECT_EQ(loan->publish(3, 33).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(ring->read_state_at(1, buffer), ReadState::kReady);
  EXPECT_EQ(buffer.id, loan->id());
  EXPECT_EQ(buffer.kind, 3);
  EXPECT_EQ(buffer.ver, 33u);
  EXPECT_EQ(payload_of(buffer), p);
  Seen seen;
  ASSERT_EQ(ring->visit(1, [&](const auto& v) { look(v, seen); }), ReadState::kReady);
  EXPECT_EQ(seen.words, words_of(p));
}

TYPED_TEST(Loan, WordsStoredOneByOneReadBack) {
  auto ring = this->make(4);
  auto loan = ring->loan(kNode, 16).value();
  ASSERT_TRUE(loan.payload().store_word(1, 0x1122334455667788u));
  ASSERT_TRUE(loan.payload().store_word(0, 0x99AABBCCDDEEFF00u));
  ASSERT_TRUE(loan.publish(0, 0).ok());
  const std::optional<Frame> frame = ring->read(loan.id());
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(words_of(frame->payload),
            (std::vector<std::uint64_t>{0x99AABBCCDDEEFF00u, 0x1122334455667788u}));
}

TYPED_TEST(Loan, UnpublishedLoanIsAbandoned) {
  auto ring = this->make(4);
  std::uint64_t dropped = 0;
  {
    auto loan = ring->loan(kNode, 8).value();
    dropped = loan.counter();
    ASSERT_TRUE(loan.payload().store(0, pattern(8, 1)));
  }
  auto explicit_loan = ring->loan(kNode, 8).value();
  explicit_loan.abandon();
  EXPECT_EQ(explicit_loan.publish(0, 0).code(), absl::StatusCode::kFailedPrecondition);
  FrameBuffer buffer = ring->make_buffer();
  for (std::uint64_t c : {dropped, explicit_loan.counter()}) {
    bool overwritten = true;
    EXPECT_EQ(ring->read_state_at(c, buffer, &overwritten), ReadState::kUnavailable) << c;
    EXPECT_FALSE(overwritten);
  }
  put(*ring, "after");
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), std::vector<std::string>{"after"});
  EXPECT_EQ(r.loss, (Loss{.unavailable = 2}));
}

TYPED_TEST(Loan, LoanOverThePayloadCapacityIsRefusedBeforeClaiming) {
  auto ring = this->make(4);
  const auto loan = ring->loan(kNode, kPayload + 1);
  EXPECT_EQ(loan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(loan.status().message().empty());
  EXPECT_EQ(ring->head(), 0u);
  EXPECT_TRUE(ring->loan(kNode, kPayload).ok());
}

TYPED_TEST(Loan, MovedLoanPublishesOnce) {
  auto ring = this->make(4);
  auto loan = ring->loan(kNode, 3).value();
  ASSERT_TRUE(loan.payload().store(0, bytes("abc")));
  auto moved = std::move(loan);
  EXPECT_EQ(loan.publish(0, 0).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(moved.publish(0, 0).ok());
  EXPECT_EQ(text(ring->read(moved.id())), "abc");
}

// A visitor that laps its own slot: the recheck sees the newer marker, and
// visit discards what the visitor saw (rwlock is absent: its visitor holds the
// slot's lock, which the write would wait for).
TYPED_TEST(Loan, VisitDiscardsAFrameOverwrittenWhileVisited) {
  auto ring = this->make(1);
  const NetId64 old_id = put(*ring, "old");
  int calls = 0;
  bool overwritten = false;
  const ReadState state = ring->visit(
      old_id.counter(),
      [&](const auto&) {
        ++calls;
        put(*ring, "new");
      },
      &overwritten);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(state, ReadState::kUnavailable);
  EXPECT_TRUE(overwritten);
  EXPECT_EQ(text(ring->read_at(0)), "new");
}

// ---- Many writers: a loan holds its slot ----------------------------------------

using ManyWriterLending = harness::filter_t<harness::IsMultiWriter, harness::LendingVariants>;

template <class V>
class LoanToMany : public BatchLoanTest<V> {};
TYPED_TEST_SUITE(LoanToMany, harness::gtest_types_t<ManyWriterLending>, harness::VariantNames);

// The writer a lap later waits for the loan, then lands its frame over it.
TYPED_TEST(LoanToMany, LappingWriterWaitsForTheLoan) {
  auto ring = this->make(1);
  auto loan = ring->loan(kNode, 8).value();
  std::atomic<bool> newer_done{false};
  std::thread newer([&] {
    EXPECT_TRUE(ring->write(NodeId(2), 0, 2, pattern(8, 2)).ok());
    newer_done = true;
  });
  while (ring->head() < 2) std::this_thread::yield();
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(newer_done) << "the lapping writer did not wait for the loan";
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(1, buffer), ReadState::kPending);
  ASSERT_TRUE(loan.payload().store(0, pattern(8, 1)));
  ASSERT_TRUE(loan.publish(0, 1).ok());
  newer.join();
  ASSERT_EQ(ring->read_state_at(1, buffer), ReadState::kReady);
  EXPECT_EQ(payload_of(buffer), pattern(8, 2));
  bool overwritten = false;
  EXPECT_EQ(ring->read_state_at(0, buffer, &overwritten), ReadState::kUnavailable);
  EXPECT_TRUE(overwritten);
}

// StdSync whose crash point after a claim can run a one-shot hook: a loan is
// then overtaken between its claim and its taking of the slot.
struct ClaimHookSync : StdSync {
  static inline thread_local std::function<void()> after_claim;
  static void crash_point(CrashPoint where) {
    if (where == CrashPoint::kAfterClaim && after_claim) std::exchange(after_claim, nullptr)();
  }
};

// The Sync policy changes nothing else: one variant per storage.
template <class V>
class SupersededLoan : public BatchLoanTest<V> {
 protected:
  using Hooked = harness::ring_with_sync_t<V, ClaimHookSync>;

  static std::unique_ptr<Hooked> make_hooked(std::size_t capacity) {
    return make_ring_of<Hooked>(capacity, 0, V::template options_for<Hooked>());
  }
};
using OnePerStorage = harness::one_per_storage_t<ManyWriterLending>;
TYPED_TEST_SUITE(SupersededLoan, harness::gtest_types_t<OnePerStorage>, harness::VariantNames);

// Two loans a lap apart on capacity 1: the newer one takes and publishes the
// slot between the older one's claim and its taking the slot.
TYPED_TEST(SupersededLoan, ReportsSupersededAndTheNewerFrameSurvives) {
  auto ring = this->make_hooked(1);
  std::uint64_t newer_counter = 0;
  ClaimHookSync::after_claim = [&] {
    auto newer = ring->loan(NodeId(2), 8).value();
    newer_counter = newer.counter();
    ASSERT_TRUE(newer.payload().store(0, pattern(8, 2)));
    ASSERT_TRUE(newer.publish(0, 2).ok());
  };
  auto older = ring->loan(kNode, 8).value();
  EXPECT_FALSE(ClaimHookSync::after_claim) << "the storage never reached its claim point";
  EXPECT_EQ(older.counter(), 0u);
  EXPECT_EQ(newer_counter, 1u);
  EXPECT_TRUE(older.superseded());
  EXPECT_EQ(older.payload().size(), 0u);
  EXPECT_FALSE(older.payload().store(0, pattern(8, 1)));
  EXPECT_TRUE(older.publish(0, 1).ok());  // a no-op, as a superseded write() is
  FrameBuffer buffer = ring->make_buffer();
  bool overwritten = false;
  EXPECT_EQ(ring->read_state_at(0, buffer, &overwritten), ReadState::kUnavailable);
  EXPECT_TRUE(overwritten);
  ASSERT_EQ(ring->read_state_at(1, buffer), ReadState::kReady);
  EXPECT_EQ(buffer.id, NetId64::make(kKind, NodeId(2), 1));
  EXPECT_EQ(payload_of(buffer), pattern(8, 2));
}

}  // namespace
}  // namespace ringlab::conformance::batch_loan
