// Batched claims (Ring::claim_batch, write_batch), zero-copy loans
// (Ring::loan) and in-place reads (Ring::visit), run against every ring type
// in AllRings: the suites below take what they need from that one list (loans:
// the rings that lend; gating: the disruptor rings, built gated).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

using namespace std::chrono_literals;

// ---- The ring types, in one place ---------------------------------------------

template <class... Ts>
struct TypeList {};

using AllRings = TypeList<RwlockRing, SeqlockRing, SeqlockSingleRing, DisruptorRing<BusySpinWait>,
                          DisruptorRing<YieldingWait>, DisruptorRing<BlockingWait>,
                          DisruptorSingleRing<>>;

template <class T>
std::string ring_name() {
  if constexpr (std::is_same_v<T, RwlockRing>) return "Rwlock";
  if constexpr (std::is_same_v<T, SeqlockRing>) return "Seqlock";
  if constexpr (std::is_same_v<T, SeqlockSingleRing>) return "SeqlockSingle";
  if constexpr (std::is_same_v<T, DisruptorRing<BusySpinWait>>) return "DisruptorSpin";
  if constexpr (std::is_same_v<T, DisruptorRing<YieldingWait>>) return "DisruptorYield";
  if constexpr (std::is_same_v<T, DisruptorRing<BlockingWait>>) return "DisruptorBlocking";
  if constexpr (std::is_same_v<T, DisruptorSingleRing<>>) return "DisruptorSingle";
  return std::string(T::storage_type::kName);
}
struct RingName {
  template <class T>
  static std::string GetName(int) {
    return ring_name<T>();
  }
};

// The types of a list that satisfy Keep, as GoogleTest's Types.
template <template <class> class Keep, class List, class Kept = TypeList<>>
struct Filter;
template <template <class> class Keep, class... Kept>
struct Filter<Keep, TypeList<>, TypeList<Kept...>> {
  using type = ::testing::Types<Kept...>;
};
template <template <class> class Keep, class T, class... Ts, class... Kept>
struct Filter<Keep, TypeList<T, Ts...>, TypeList<Kept...>>
    : Filter<Keep, TypeList<Ts...>,
             std::conditional_t<Keep<T>::value, TypeList<Kept..., T>, TypeList<Kept...>>> {};

template <class T>
struct Any : std::true_type {};
template <class T>
struct Lends : std::bool_constant<LoaningRing<T>> {};
template <class T>
struct LendsToMany : std::bool_constant<LoaningRing<T> && !T::kSingleWriter> {};
template <class T>
struct Gates : std::bool_constant<GatingRing<T>> {};
template <class T>
struct OneWriter : std::bool_constant<T::kSingleWriter> {};

using EveryRing = Filter<Any, AllRings>::type;
using LendingRings = Filter<Lends, AllRings>::type;
using ManyWriterLendingRings = Filter<LendsToMany, AllRings>::type;
using GatingRings = Filter<Gates, AllRings>::type;
using SingleWriterRings = Filter<OneWriter, AllRings>::type;

constexpr std::uint8_t kKind = 5;
constexpr std::size_t kPayload = 20;  // not a multiple of 8: the last word is partial

template <class RingT>
std::unique_ptr<RingT> make(std::size_t capacity, std::uint64_t first_counter = 0,
                            const typename RingT::StorageOptions& options = {}) {
  return make_ring<RingT>(kKind, RingSpec{capacity, kPayload},
                          RingOptions{.first_counter = first_counter}, options);
}

std::vector<std::byte> payload_of(const FrameBuffer& frame) {
  return {frame.payload().begin(), frame.payload().end()};
}

// What a visitor saw, copied out of the view.
struct Seen {
  int calls = 0;
  NetId64 id;
  std::uint8_t kind = 0;
  std::uint64_t ver = 0;
  std::vector<std::byte> payload;
  std::vector<std::uint64_t> words;
};

template <class View>
void look(const View& view, Seen& seen) {
  ++seen.calls;
  seen.id = view.id();
  seen.kind = view.kind();
  seen.ver = view.ver();
  seen.payload.assign(view.size(), std::byte{0});
  EXPECT_EQ(view.load(0, seen.payload), view.size());
  seen.words.clear();
  for (std::size_t i = 0; i < view.word_count(); ++i) seen.words.push_back(view.word(i));
  EXPECT_EQ(view.word(view.word_count()), 0u);  // past the payload
}

// The bytes of little words as the ring stores them: word i is bytes 8i..8i+7.
std::vector<std::uint64_t> words_of(std::span<const std::byte> bytes) {
  std::vector<std::uint64_t> words((bytes.size() + 7) / 8, 0);
  if (!bytes.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
  return words;
}

// ---- Batches: every ring ------------------------------------------------------

template <class RingT>
class Batch : public ::testing::Test {};
TYPED_TEST_SUITE(Batch, EveryRing, RingName);

TYPED_TEST(Batch, IdsAreConsecutiveAndFramesReadAndPollInOrder) {
  auto ring = make<TypeParam>(8);
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
  auto ring = make<TypeParam>(8);
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
  auto ring = make<TypeParam>(8);
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
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(8);
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
  auto ring = make<TypeParam>(8);
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
  auto ring = make<TypeParam>(8);
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

// Batches, loans and visits over counters that cross 2^32 and 2^40 (ids keep
// the low 40 bits).
template <class RingT>
void check_edge(std::uint64_t edge) {
  auto ring = make<RingT>(8, edge - 2);
  auto batch = ring->claim_batch(kNode, 4).value();
  std::vector<NetId64> written;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(batch.counter(i), edge - 2 + i);
    EXPECT_EQ(batch.id(i), NetId64::make(kKind, kNode, edge - 2 + i));
    ASSERT_TRUE(batch.publish(i, 1, i, pattern(4 + i, i)).ok());
    written.push_back(batch.id(i));
  }
  if constexpr (LoaningRing<RingT>) {
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

TYPED_TEST(Batch, CountersAcross2To32) { check_edge<TypeParam>(std::uint64_t{1} << 32); }
TYPED_TEST(Batch, CountersAcross2To40) { check_edge<TypeParam>(std::uint64_t{1} << 40); }

template <class RingT>
class SingleWriterBatch : public ::testing::Test {};
TYPED_TEST_SUITE(SingleWriterBatch, SingleWriterRings, RingName);

TYPED_TEST(SingleWriterBatch, ProcessWithoutTheLeaseIsRefused) {
  auto ring = make<TypeParam>(4);
  ring->give_back_writer_lease();
  const std::vector<std::byte> p = bytes("p");
  const std::array<std::span<const std::byte>, 1> one{p};
  EXPECT_EQ(ring->claim_batch(kNode, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring->write_batch(kNode, 0, 0, one).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring->loan(kNode, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring->head(), 0u);
  ASSERT_TRUE(ring->take_writer_lease().ok());
  EXPECT_TRUE(ring->claim_batch(kNode, 1).ok());
}

// ---- Visits: every ring -------------------------------------------------------

template <class RingT>
class Visit : public ::testing::Test {};
TYPED_TEST_SUITE(Visit, EveryRing, RingName);

TYPED_TEST(Visit, SeesTheFrameInPlace) {
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(4, kFirst);
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

// ---- Loans: the rings that lend (seqlock, disruptor) ----------------------------

template <class RingT>
class Loan : public ::testing::Test {};
TYPED_TEST_SUITE(Loan, LendingRings, RingName);

TYPED_TEST(Loan, PayloadWrittenInPlaceReadsBackWhole) {
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(4);
  const auto loan = ring->loan(kNode, kPayload + 1);
  EXPECT_EQ(loan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(loan.status().message().empty());
  EXPECT_EQ(ring->head(), 0u);
  EXPECT_TRUE(ring->loan(kNode, kPayload).ok());
}

TYPED_TEST(Loan, MovedLoanPublishesOnce) {
  auto ring = make<TypeParam>(4);
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
  auto ring = make<TypeParam>(1);
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

template <class RingT>
class LoanToMany : public ::testing::Test {};
TYPED_TEST_SUITE(LoanToMany, ManyWriterLendingRings, RingName);

// The writer a lap later waits for the loan, then lands its frame over it.
TYPED_TEST(LoanToMany, LappingWriterWaitsForTheLoan) {
  auto ring = make<TypeParam>(1);
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

template <class RingT>
class SupersededLoan : public ::testing::Test {};
using HookedRings = ::testing::Types<Ring<SeqlockStorage<ClaimHookSync>>,
                                     Ring<DisruptorStorage<ClaimHookSync, BusySpinWait>>>;
struct StorageName {
  template <class T>
  static std::string GetName(int) {
    return std::string(T::storage_type::kName);
  }
};
TYPED_TEST_SUITE(SupersededLoan, HookedRings, StorageName);

// Two loans a lap apart on capacity 1: the newer one takes and publishes the
// slot between the older one's claim and its taking the slot.
TYPED_TEST(SupersededLoan, ReportsSupersededAndTheNewerFrameSurvives) {
  auto ring = make<TypeParam>(1);
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

// ---- Gated rings: a batch waits for room for all of it ------------------------

template <class RingT>
class GatedBatch : public ::testing::Test {};
TYPED_TEST_SUITE(GatedBatch, GatingRings, RingName);

constexpr DisruptorOptions kGated{.mode = OverflowMode::kGated};

TYPED_TEST(GatedBatch, TryClaimBatchRefusesWithoutRoomForAll) {
  constexpr std::size_t kCapacity = 8;
  auto ring = make<TypeParam>(kCapacity, 0, kGated);
  auto reader = GatedReader<TypeParam>::attach(*ring);
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
  auto ring = make<TypeParam>(kCapacity, 0, kGated);
  auto reader = GatedReader<TypeParam>::attach(*ring);
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
}  // namespace ringlab::conformance
