// The ring contract (README.md, "The ring contract"), one typed suite run
// against every variant of the registry (harness/common/variants.hpp). The
// seed's tests come first, prefixed "Seed".
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/gtest_variants.hpp"
#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

template <class V>
class Conformance : public harness::VariantTest<V> {
 protected:
  using RingT = typename V::ring;
  static constexpr std::uint8_t kKind = 3;
  static constexpr std::size_t kPayload = 16;

  static std::unique_ptr<RingT> make(std::size_t capacity, std::size_t payload_capacity = kPayload,
                                     const RingOptions& options = {}, std::uint8_t kind = kKind) {
    return make_ring<RingT>(kind, RingSpec{capacity, payload_capacity}, options, V::options());
  }

  // Counters from first_counter on, across an edge a few writes in: every id
  // reads back and a cursor from first_counter delivers them all.
  void check_counters_from(std::uint64_t first) {
    constexpr std::size_t kWrites = 6;
    auto ring = make(8, kPayload, RingOptions{.first_counter = first});
    EXPECT_EQ(ring->head(), first);
    std::vector<NetId64> written;
    for (std::size_t i = 0; i < kWrites; ++i) {
      const NetId64 id = put(*ring, "f" + std::to_string(i));
      EXPECT_EQ(id.counter(), (first + i) & NetId64::kCounterMask);
      EXPECT_EQ(id.kind(), kKind);
      EXPECT_EQ(id.node(), kNode);
      written.push_back(id);
    }
    EXPECT_EQ(ring->head(), first + kWrites);

    FrameBuffer buffer = ring->make_buffer();
    for (std::size_t i = 0; i < kWrites; ++i) {
      SCOPED_TRACE(first + i);
      const std::optional<Frame> frame = ring->read(written[i]);
      ASSERT_TRUE(frame.has_value());
      EXPECT_EQ(frame->id, written[i]);
      EXPECT_EQ(text(*frame), "f" + std::to_string(i));
      ASSERT_EQ(ring->read_state_at(first + i, buffer), ReadState::kReady);
      EXPECT_EQ(buffer.id, written[i]);
    }
    EXPECT_EQ(ring->read_state_at(first - 1, buffer), ReadState::kUnavailable);
    EXPECT_EQ(ring->read_state_at(first - 8, buffer), ReadState::kUnavailable);

    RingCursor cursor = RingCursor::from_counter(first);
    const PollResult r = poll(*ring, cursor);
    EXPECT_EQ(ids(r.frames), written);
    EXPECT_EQ(r.loss, Loss{});
    EXPECT_EQ(r.from, first);
    EXPECT_EQ(r.to, first + kWrites);
    EXPECT_EQ(cursor.next_counter, first + kWrites);
  }
};

TYPED_TEST_SUITE(Conformance, harness::gtest_types_t<harness::Variants>, harness::VariantNames);

// What the registry says of a variant and its ring agree.
TYPED_TEST(Conformance, RegistryTraitsHold) {
  using V = typename TestFixture::Variant;
  auto ring = this->make(4);
  EXPECT_EQ(ring->gated(), V::lossless) << "lossless in the registry, but not gated (or back)";
  EXPECT_EQ(ring->variant(), V::storage);
  EXPECT_EQ(V::waits, (WaitingRing<typename V::ring>));
  if constexpr (V::shareable) {
    using SharedStorage = typename V::shared_ring::storage_type;
    const auto spec =
        shm::segment_spec<SharedStorage>(TestFixture::kKind, RingSpec{4, 16}, V::shared_options());
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->overflow == OverflowMode::kGated, V::lossless);
    EXPECT_EQ(spec->writer_mode == shm::SegmentWriterMode::kSingle, V::single_writer)
        << "the shared ring's writer mode is not the in-process ring's";
  }
}

// ---- The seed's tests --------------------------------------------------------

TYPED_TEST(Conformance, SeedPollFromStartDeliversAllWithoutLoss) {
  auto ring = this->make(4);
  const NetId64 a = put(*ring, "a");
  const NetId64 b = put(*ring, "b");
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ids(r.frames), (std::vector<NetId64>{a, b}));
  EXPECT_EQ(r.loss, Loss{});
  EXPECT_EQ(cursor.next_counter, 2u);

  const PollResult again = poll(*ring, cursor);
  EXPECT_TRUE(again.frames.empty());
  EXPECT_EQ(again.loss, Loss{});
  EXPECT_EQ(cursor.next_counter, 2u);
}

TYPED_TEST(Conformance, SeedCursorAtHeadSeesOnlyLaterFrames) {
  auto ring = this->make(4);
  put(*ring, "old1");
  put(*ring, "old2");
  RingCursor cursor = RingCursor::from_counter(ring->head());
  put(*ring, "new");
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(texts(r.frames), std::vector<std::string>{"new"});
  EXPECT_EQ(r.loss, Loss{});
  EXPECT_EQ(cursor.next_counter, 3u);
}

TYPED_TEST(Conformance, SeedOverwrittenFramesAreLoss) {
  auto ring = this->make(2);
  for (const char* payload : {"one", "two", "three"}) put(*ring, payload);
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(r.loss.overwritten, 1u);
  EXPECT_EQ(r.loss.unavailable, 0u);
  EXPECT_EQ(texts(r.frames), (std::vector<std::string>{"two", "three"}));
  EXPECT_EQ(cursor.next_counter, 3u);
}

// The seed's source held [ok, empty, counter 99]; on a real ring the two
// unreadable counters are claims given up (poll_test.cpp has the literal one).
TYPED_TEST(Conformance, SeedUnavailableSlotsAreLoss) {
  auto ring = this->make(4);
  put(*ring, "ok");
  EXPECT_EQ(claim_and_abandon(*ring), 1u);
  EXPECT_EQ(claim_and_abandon(*ring), 2u);
  ASSERT_EQ(ring->head(), 3u);
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(r.loss.unavailable, 2u);
  EXPECT_EQ(r.loss.overwritten, 0u);
  EXPECT_EQ(texts(r.frames), std::vector<std::string>{"ok"});
  EXPECT_EQ(cursor.next_counter, 3u);
}

TYPED_TEST(Conformance, SeedWraparound) {
  auto ring = this->make(4);
  std::vector<NetId64> written;
  for (int i = 0; i < 6; ++i) written.push_back(put(*ring, "w" + std::to_string(i)));
  FrameBuffer buffer = ring->make_buffer();
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(ring->read(written[i]).has_value());
    EXPECT_EQ(ring->read(written[i], buffer).code(), absl::StatusCode::kNotFound);
  }
  for (int i = 2; i < 6; ++i) {
    SCOPED_TRACE(i);
    const std::optional<Frame> frame = ring->read(written[i]);
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->id, written[i]);
    EXPECT_EQ(text(*frame), "w" + std::to_string(i));
    EXPECT_TRUE(ring->read(written[i], buffer).ok());
  }
}

TYPED_TEST(Conformance, SeedRingsPerKindIndependent) {
  auto first = this->make(4, 16, {}, 1);
  auto second = this->make(4, 16, {}, 2);
  const NetId64 x = put(*first, "x");
  const NetId64 y1 = put(*second, "y1");
  const NetId64 y2 = put(*second, "y2");
  EXPECT_EQ(first->head(), 1u);
  EXPECT_EQ(second->head(), 2u);
  EXPECT_EQ(x.kind(), 1);
  EXPECT_EQ(y1.kind(), 2);
  EXPECT_EQ(text(first->read(x)), "x");
  EXPECT_EQ(text(second->read(y1)), "y1");
  EXPECT_EQ(text(second->read(y2)), "y2");
  // Same counter, other kind: each ring answers only for its own.
  EXPECT_FALSE(second->read(x).has_value());
  EXPECT_FALSE(first->read(y1).has_value());
}

TYPED_TEST(Conformance, SeedUnknownKindReadsNothing) {
  auto ring = this->make(4);
  const NetId64 id = put(*ring, "mine");
  const NetId64 foreign = NetId64::make(9, id.node(), id.counter());
  EXPECT_FALSE(ring->read(foreign).has_value());
  FrameBuffer buffer = ring->make_buffer();
  const absl::Status status = ring->read(foreign, buffer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(status.message().empty());
}

TYPED_TEST(Conformance, SeedHeadAdvancesPerWrite) {
  auto ring = this->make(4);
  EXPECT_EQ(ring->head(), 0u);
  for (std::uint64_t i = 0; i < 9; ++i) {
    EXPECT_EQ(put(*ring, "h").counter(), i);
    EXPECT_EQ(ring->head(), i + 1);
  }
  // head counts claims, not completed writes.
  auto ticket = ring->claim(kNode, 0);
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(ticket->counter, 9u);
  EXPECT_EQ(ring->head(), 10u);
}

TYPED_TEST(Conformance, SeedReadHeadIsLatest) {
  auto ring = this->make(4);
  EXPECT_FALSE(ring->read_head().has_value());
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_FALSE(ring->read_head(buffer));
  for (const char* payload : {"a", "b", "c", "d", "e"}) {
    const NetId64 id = put(*ring, payload);
    const std::optional<Frame> head = ring->read_head();
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->id, id);
    EXPECT_EQ(text(*head), payload);
    ASSERT_TRUE(ring->read_head(buffer));
    EXPECT_EQ(buffer.id, id);
  }
}

// ---- Pending (orbit-core's fix of the seed's defect 3) ------------------------

TYPED_TEST(Conformance, PollStopsAtPendingAndDeliversItOnceAfterPublish) {
  auto ring = this->make(8);
  put(*ring, "before");
  auto ticket = ring->claim(kNode, 5);
  ASSERT_TRUE(ticket.ok());
  put(*ring, "after");

  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(ticket->counter, buffer), ReadState::kPending);
  std::vector<std::string> seen;
  RingCursor cursor = RingCursor::from_start();
  auto poll_once = [&] {
    return poll_into(*ring, cursor, buffer,
                     [&](const FrameBuffer& f) { seen.push_back(text(f.payload())); });
  };

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const PollStats s = poll_once();
    // The slot still holds an older counter: an unbounded cursor stops there
    // without reading head, so it cannot say whether the counter was claimed.
    EXPECT_FALSE(s.stopped_at_pending);
    EXPECT_EQ(s.loss, Loss{});
    EXPECT_EQ(cursor.next_counter, ticket->counter);
    EXPECT_EQ(s.to, ticket->counter);
    EXPECT_EQ(seen, std::vector<std::string>{"before"});
  }
  // A bounded cursor must know, to start its clock: it reads head and says so.
  RingCursor bounded = RingCursor::from_counter(ticket->counter).with_stall_bound(std::chrono::hours(1));
  FrameBuffer other = ring->make_buffer();
  const PollStats b = poll_into(*ring, bounded, other, [](const FrameBuffer&) {});
  EXPECT_TRUE(b.stopped_at_pending);
  EXPECT_EQ(b.to, ticket->counter);

  ASSERT_TRUE(ring->publish(*ticket, 0, 0, bytes("late!")).ok());
  EXPECT_EQ(ring->read_state_at(ticket->counter, buffer), ReadState::kReady);
  const PollStats s = poll_once();
  EXPECT_FALSE(s.stopped_at_pending);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.loss, Loss{});
  EXPECT_EQ(cursor.next_counter, 3u);
  EXPECT_EQ(poll_once().delivered, 0u);
  EXPECT_EQ(seen, (std::vector<std::string>{"before", "late!", "after"}));
}

// ---- Counter width (the seed's defect 4) --------------------------------------

TYPED_TEST(Conformance, CountersAcross2To32) { this->check_counters_from((std::uint64_t{1} << 32) - 3); }

TYPED_TEST(Conformance, CountersAcross2To40) {
  this->check_counters_from((std::uint64_t{1} << 40) - 3);
  // The id counter wraps at 2^40; the ring's counter does not.
  auto ring = this->make(8, 16, RingOptions{.first_counter = (std::uint64_t{1} << 40) - 1});
  const NetId64 before = put(*ring, "before");
  const NetId64 after = put(*ring, "after");
  EXPECT_EQ(before.counter(), NetId64::kCounterMask);
  EXPECT_EQ(after.counter(), 0u);
  EXPECT_EQ(ring->head(), (std::uint64_t{1} << 40) + 1);
  EXPECT_EQ(text(ring->read(after)), "after");
  EXPECT_EQ(text(ring->read(before)), "before");
}

// ---- Input validation ---------------------------------------------------------

TYPED_TEST(Conformance, PayloadLimitIsExact) {
  auto ring = this->make(4, 16);
  EXPECT_EQ(text(ring->read(put(*ring, std::string(16, 'p')))), std::string(16, 'p'));
  const std::uint64_t head = ring->head();

  const auto too_big = bytes(std::string(17, 'q'));
  const auto write = ring->write(kNode, 0, 0, too_big);
  EXPECT_EQ(write.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring->head(), head);
  const auto claim = ring->claim(kNode, 17);
  EXPECT_EQ(claim.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring->head(), head);
  EXPECT_TRUE(ring->claim(kNode, 16).ok());
  EXPECT_EQ(ring->head(), head + 1);
}

TYPED_TEST(Conformance, BadSpecsAndOptionsAreInvalidArgument) {
  using RingT = typename TestFixture::RingT;
  const auto options = TypeParam::options();
  const auto expect_invalid = [](const absl::StatusOr<std::unique_ptr<RingT>>& ring) {
    ASSERT_FALSE(ring.ok());
    EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(ring.status().message().empty());
  };
  for (std::size_t capacity : {0u, 3u, 6u}) {
    SCOPED_TRACE(capacity);
    expect_invalid(RingT::create(1, RingSpec{capacity, 8}, {}, options));
  }
  expect_invalid(RingT::create(1, RingSpec{2 * RingSpec::kMaxCapacity, 8}, {}, options));
  expect_invalid(RingT::create(1, RingSpec{4, RingSpec::kMaxPayloadCapacity + 1}, {}, options));
  expect_invalid(RingT::create(
      1, RingSpec{4, 8}, RingOptions{.first_counter = RingOptions::kMaxFirstCounter + 1},
      options));
  EXPECT_TRUE(RingT::create(1, RingSpec{1, 0}, {}, options).ok());
}

TYPED_TEST(Conformance, IdOfAnotherNodeIsNotFound) {
  auto ring = this->make(4);
  const NetId64 id = put(*ring, "n7");
  const NetId64 other = NetId64::make(id.kind(), NodeId(8), id.counter());
  EXPECT_FALSE(ring->read(other).has_value());
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read(other, buffer).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ring->read(id, buffer).ok());
}

// ---- reset ------------------------------------------------------------------

TYPED_TEST(Conformance, ResetClearsAndRestartsCounters) {
  auto ring = this->make(4);
  std::vector<NetId64> old;
  for (int i = 0; i < 3; ++i) old.push_back(put(*ring, "old"));
  ASSERT_TRUE(ring->reset().ok());
  EXPECT_EQ(ring->head(), 0u);
  FrameBuffer buffer = ring->make_buffer();
  for (std::uint64_t c = 0; c < 4; ++c) {
    SCOPED_TRACE(c);
    EXPECT_FALSE(ring->read_at(c).has_value());
    EXPECT_EQ(ring->read_state_at(c, buffer), ReadState::kUnavailable);
  }
  for (const NetId64 id : old) EXPECT_FALSE(ring->read(id).has_value());
  EXPECT_FALSE(ring->read_head().has_value());

  const NetId64 fresh = put(*ring, "fresh");
  EXPECT_EQ(fresh.counter(), 0u);
  RingCursor cursor = RingCursor::from_start();
  EXPECT_EQ(texts(poll(*ring, cursor).frames), std::vector<std::string>{"fresh"});

  ASSERT_TRUE(ring->reset(100).ok());
  EXPECT_EQ(ring->head(), 100u);
  EXPECT_FALSE(ring->read(fresh).has_value());
  EXPECT_FALSE(ring->read_head().has_value());
  EXPECT_EQ(put(*ring, "hundred").counter(), 100u);
  EXPECT_EQ(ring->read_state_at(99, buffer), ReadState::kUnavailable);
  EXPECT_EQ(ring->read_state_at(100, buffer), ReadState::kReady);
  EXPECT_EQ(text(ring->read_head()), "hundred");
}

// reset() refuses what create() refuses, and then changes nothing: a first
// counter near 2^55 would wrap the slot markers (the frame written there would
// be invisible to read_head and read(id)).
TYPED_TEST(Conformance, ResetRefusesAFirstCounterCreateRefuses) {
  auto ring = this->make(4);
  const NetId64 kept = put(*ring, "kept");
  for (const std::uint64_t bad : {RingOptions::kMaxFirstCounter + 1,
                                  (std::uint64_t{1} << 55) - 1, ~std::uint64_t{0}}) {
    SCOPED_TRACE(bad);
    const absl::Status s = ring->reset(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("first counter"), std::string_view::npos) << s;
    EXPECT_EQ(ring->head(), 1u);
    EXPECT_EQ(text(ring->read(kept)), "kept");
  }
  ASSERT_TRUE(ring->reset(RingOptions::kMaxFirstCounter).ok());
  (void)put(*ring, "last");
  EXPECT_EQ(ring->head(), RingOptions::kMaxFirstCounter + 1);
  EXPECT_EQ(text(ring->read_at(RingOptions::kMaxFirstCounter)), "last");
  EXPECT_EQ(text(ring->read_head()), "last");
}

// ---- Two-phase writes -------------------------------------------------------

TYPED_TEST(Conformance, PublishOfAnotherSizeAbandonsTheClaim) {
  auto ring = this->make(4);
  auto ticket = ring->claim(kNode, 4);
  ASSERT_TRUE(ticket.ok());
  const absl::Status status = ring->publish(*ticket, 0, 0, bytes("abc"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(ticket->counter, buffer), ReadState::kUnavailable);
  EXPECT_FALSE(ring->read(ticket->id).has_value());
  EXPECT_FALSE(ring->read_at(ticket->counter).has_value());
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.loss, (Loss{.overwritten = 0, .unavailable = 1}));
  EXPECT_EQ(cursor.next_counter, 1u);
}

TYPED_TEST(Conformance, ReadAtReturnsTheCommittedFrameInTheSlot) {
  auto ring = this->make(4);
  EXPECT_FALSE(ring->read_at(0).has_value());  // never written
  std::vector<NetId64> written;
  for (int i = 0; i < 6; ++i) written.push_back(put(*ring, "r" + std::to_string(i)));
  // Slot 1 holds counter 5 now, whichever counter of slot 1 is asked for.
  for (std::uint64_t c : {1u, 5u, 9u}) {
    SCOPED_TRACE(c);
    const std::optional<Frame> frame = ring->read_at(c);
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->id, written[5]);
    EXPECT_EQ(text(*frame), "r5");
  }
  EXPECT_EQ(ring->read_at(2)->id, written[2]);
  FrameBuffer buffer = ring->make_buffer();
  ASSERT_TRUE(ring->read_at(3, buffer));
  EXPECT_EQ(buffer.id, written[3]);

  // A pending claim leaves the slot's committed frame readable by read_at.
  auto ticket = ring->claim(kNode, 0);
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(ticket->counter, 6u);
  EXPECT_EQ(ring->read_at(6)->id, written[2]);
  // An abandoned claim is no frame.
  ring->abandon(*ticket);
  EXPECT_FALSE(ring->read_at(6).has_value());
}

// ---- Frame contents -----------------------------------------------------------

TYPED_TEST(Conformance, PayloadBytesRoundTripForEverySize) {
  constexpr std::size_t kCapacity = 65;
  auto ring = this->make(4, kCapacity);
  FrameBuffer buffer = ring->make_buffer();
  for (std::size_t size : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 65u}) {
    SCOPED_TRACE(size);
    // A full frame first, so a short copy would show its bytes.
    ASSERT_TRUE(ring->write(kNode, 0, 0, pattern(kCapacity, 0xEE)).ok());
    const auto payload = pattern(size, static_cast<std::uint8_t>(size));
    const auto id = ring->write(kNode, 0, size, payload);
    ASSERT_TRUE(id.ok()) << id.status();
    const std::optional<Frame> frame = ring->read(*id);
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->payload, payload);
    EXPECT_EQ(frame->ver, size);
    ASSERT_TRUE(ring->read(*id, buffer).ok());
    EXPECT_TRUE(std::ranges::equal(buffer.payload(), payload));
  }
}

TYPED_TEST(Conformance, FrameKindAndVerRoundTrip) {
  auto ring = this->make(4);
  const NetId64 id = put(*ring, "kv", 0xAB, 0xFEDC'BA98'7654'3210ULL);
  const std::optional<Frame> frame = ring->read(id);
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->id, id);
  EXPECT_EQ(frame->id.kind(), this->kKind);
  EXPECT_EQ(frame->id.node(), kNode);
  EXPECT_EQ(frame->kind, 0xAB);
  EXPECT_EQ(frame->ver, 0xFEDC'BA98'7654'3210ULL);

  auto ticket = ring->claim(NodeId(0xFFFF), 2);
  ASSERT_TRUE(ticket.ok());
  ASSERT_TRUE(ring->publish(*ticket, 0xFF, ~std::uint64_t{0}, bytes("tp")).ok());
  const std::optional<Frame> two_phase = ring->read(ticket->id);
  ASSERT_TRUE(two_phase.has_value());
  EXPECT_EQ(two_phase->id.node(), NodeId(0xFFFF));
  EXPECT_EQ(two_phase->kind, 0xFF);
  EXPECT_EQ(two_phase->ver, ~std::uint64_t{0});
  EXPECT_EQ(text(*two_phase), "tp");
}

// ---- Lapped writers (the seed's defect 2), single-threaded ------------------

TYPED_TEST(Conformance, LateWriterNeverOverwritesANewerLap) {
  RINGLAB_SKIP_IF_SINGLE_WRITER(TypeParam, "a late writer lapped by another writer");
  constexpr std::uint64_t kCapacity = 4;
  auto ring = this->make(kCapacity);
  auto late = ring->claim(kNode, 4);
  ASSERT_TRUE(late.ok());
  NetId64 newest;
  for (std::uint64_t i = 1; i <= kCapacity; ++i) newest = put(*ring, "n" + std::to_string(i));
  ASSERT_EQ(newest.counter(), late->counter + kCapacity);

  ring->publish(*late, 0, 0, bytes("late")).IgnoreError();  // status unspecified when lapped
  const std::optional<Frame> slot = ring->read_at(late->counter);
  ASSERT_TRUE(slot.has_value());
  EXPECT_EQ(slot->id, newest);
  EXPECT_EQ(text(*slot), "n4");
  EXPECT_EQ(text(ring->read(newest)), "n4");
  EXPECT_FALSE(ring->read(late->id).has_value());
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read_state_at(late->counter, buffer), ReadState::kUnavailable);
  EXPECT_EQ(ring->read_state_at(newest.counter(), buffer), ReadState::kReady);
}

// ---- Exact loss accounting ----------------------------------------------------

// Random writes, abandoned claims and polls (some with max_frames) on a small
// ring, checked against a model: counter k is readable iff it was written (not
// abandoned) and k >= head - capacity; a cursor behind head - capacity counts
// the gap as overwritten; an abandoned counter still in the ring is unavailable.
TYPED_TEST(Conformance, LossAccountingIsExact) {
  constexpr std::uint64_t kCapacity = 4;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    auto ring = this->make(kCapacity);
    std::mt19937 rng(seed);
    std::vector<bool> abandoned;  // by counter
    RingCursor cursor = RingCursor::from_start();
    FrameBuffer buffer = ring->make_buffer();
    std::uint64_t delivered = 0, lost = 0;

    for (int step = 0; step < 600; ++step) {
      const std::uint32_t action = rng() % 10;
      if (action < 6) {
        put(*ring, std::to_string(abandoned.size()));
        abandoned.push_back(false);
        continue;
      }
      if (action < 7) {
        claim_and_abandon(*ring);
        abandoned.push_back(true);
        continue;
      }
      const std::uint64_t max_frames = action < 9 ? ~std::uint64_t{0} : 1 + rng() % 3;

      // The model's answer.
      const std::uint64_t head = abandoned.size();
      std::uint64_t k = cursor.next_counter;
      Loss want;
      if (head > k + kCapacity) {
        want.overwritten = head - kCapacity - k;
        k = head - kCapacity;
      }
      std::vector<std::uint64_t> want_counters;
      while (k < head && want_counters.size() < max_frames) {
        if (abandoned[k]) {
          ++want.unavailable;
        } else {
          want_counters.push_back(k);
        }
        ++k;
      }

      std::vector<std::uint64_t> got_counters;
      const std::uint64_t from = cursor.next_counter;
      const PollStats s = poll_into(
          *ring, cursor, buffer,
          [&](const FrameBuffer& f) {
            got_counters.push_back(f.id.counter());
            EXPECT_EQ(text(f.payload()), std::to_string(f.id.counter()));
          },
          max_frames);
      ASSERT_EQ(s.from, from);
      ASSERT_EQ(s.to, cursor.next_counter);
      ASSERT_EQ(s.delivered + s.loss.total(), s.to - s.from) << "step " << step;
      ASSERT_FALSE(s.stopped_at_pending);
      ASSERT_EQ(s.loss, want) << "step " << step << ", cursor " << from << ", head " << head;
      ASSERT_EQ(got_counters, want_counters) << "step " << step;
      ASSERT_EQ(s.to, k);
      delivered += s.delivered;
      lost += s.loss.total();
    }
    EXPECT_EQ(delivered + lost, cursor.next_counter);
  }
}

}  // namespace
}  // namespace ringlab::conformance
