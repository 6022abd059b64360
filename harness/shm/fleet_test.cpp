// Tests of shm::Fleet: nodes in separate processes publishing and reading by
// kind, first-use creation (one ring per kind, also when processes race), spec
// clashes, and the hot path's promise to allocate nothing. Each test uses its
// own fleet names (pid + serial) and removes their segments in TearDown.
// Children never return into gtest: they _exit, and every wait has a deadline.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "fleet_fixture.hpp"

// Sanitizers bring their own operator new, so they count nothing here.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define FLEET_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define FLEET_TEST_SANITIZED 1
#endif
#endif

// Counts every allocation of this binary, so that a test can show that the hot
// path makes none.
namespace {
// Calls of operator new in this process. (N1) relaxed: a count that only the
// thread reading it compares, around code it runs itself; it orders nothing.
constexpr std::memory_order kCountOnly = std::memory_order_relaxed;
std::atomic<std::uint64_t> allocations{0};
#ifdef FLEET_TEST_SANITIZED
constexpr bool kCountsAllocations = false;
#else
constexpr bool kCountsAllocations = true;
#endif
}  // namespace

#ifndef FLEET_TEST_SANITIZED
// GCC takes the free() below, once inlined, for a mismatch with operator new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t bytes) {
  allocations.fetch_add(1, kCountOnly);  // (N1) relaxed: a tally, read by this thread
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace ringlab::shm::fleet_test {
namespace {

class FleetNamesTest : public ::testing::Test {
 protected:
  std::string fleet_name() {
    names_.push_back(unique_fleet_name());
    return names_.back();
  }
  void TearDown() override {
    for (const std::string& name : names_) EXPECT_TRUE(Fleet<>::remove(name, every_kind()).ok());
  }

 private:
  std::vector<std::string> names_;
};

// Fleet's tests are about names, first use and specs, which a storage's mode
// does not change: one variant per storage (its shared ring's), the first of
// the registry that can live in shared memory, overwrites and has writers in
// several processes (nodes of one kind in two processes both write).
template <class V>
class FleetTest : public harness::VariantTest<V, FleetNamesTest> {
 public:
  using Storage = typename V::shared_ring::storage_type;
};

template <class V>
struct Candidate : std::bool_constant<V::shareable && !V::single_writer && !V::lossless> {};
using Candidates = harness::filter_t<Candidate, harness::Variants>;
template <class V>
struct FirstOfItsStorage
    : std::bool_constant<harness::first_of_its_storage<V>(Candidates{})> {};
using FleetVariants = harness::filter_t<FirstOfItsStorage, Candidates>;
TYPED_TEST_SUITE(FleetTest, harness::gtest_types_t<FleetVariants>, harness::VariantNames);

// Node 2 (a child) publishes 20 frames of kind A (16 slots: 4 overwritten),
// node 1 (this process) 6 of kind B; each reads the other's by id and by poll.
TYPED_TEST(FleetTest, TwoNodesInTwoProcessesReadEachOthersFrames) {
  constexpr std::size_t kChildFrames = 20, kParentFrames = 6;
  constexpr std::size_t kOverwritten = kChildFrames - kSpecA.capacity;
  const std::string name = this->fleet_name();
  Pipe to_parent, to_child;
  Child child([&] {
    auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(2));
    if (!fleet.ok()) return report(1, status_text(fleet.status()));
    auto ids = publish_frames(*fleet, kA, kChildFrames);
    if (!ids.ok()) return report(2, status_text(ids.status()));
    if (!send_ids(to_parent.write_end(), *ids)) return report(3, "cannot send ids");
    const auto theirs = receive_ids(to_child.read_end(), kParentFrames);
    if (!theirs) return report(4, "no ids from the parent before the deadline");
    if (std::string e = check_reads(*fleet, *theirs, 0, NodeId(1)); !e.empty()) return report(5, e);
    if (std::string e = check_poll(*fleet, kB, *theirs, 0); !e.empty()) return report(6, e);
    return 0;
  });
  auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  auto ids = publish_frames(*fleet, kB, kParentFrames);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_TRUE(send_ids(to_child.write_end(), *ids));
  const auto theirs = receive_ids(to_parent.read_end(), kChildFrames);
  ASSERT_TRUE(theirs.has_value()) << "no ids from the child before the deadline";
  EXPECT_EQ(check_reads(*fleet, *theirs, kOverwritten, NodeId(2)), "");
  EXPECT_EQ(check_poll(*fleet, kA, *theirs, kOverwritten), "");
  EXPECT_EQ(child.wait(), 0);
}

// Two processes make their first use of kinds A and B at once, in rounds: each
// kind gets one segment, which both write (counters 0 and 1, not 0 and 0).
TYPED_TEST(FleetTest, ProcessesRacingFirstUseCreateOneRingPerKind) {
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = this->fleet_name();
    Pipe go, to_parent;
    Child child([&] {
      auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(2));
      if (!fleet.ok()) return report(1, status_text(fleet.status()));
      if (!await_go(go.read_end())) return report(2, "no go before the deadline");
      auto a = fleet->publish(kA, 0, 0, payload_of(kA, 0));
      auto b = fleet->publish(kB, 0, 0, payload_of(kB, 0));
      if (!a.ok() || !b.ok()) return report(3, status_text(a.ok() ? b.status() : a.status()));
      return send_ids(to_parent.write_end(), {*a, *b}) ? 0 : report(4, "cannot send ids");
    });
    auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(1));
    ASSERT_TRUE(fleet.ok()) << fleet.status();
    ASSERT_TRUE(write_all(go.write_end(), "g", 1));
    auto a = fleet->publish(kA, 0, 0, payload_of(kA, 0));
    auto b = fleet->publish(kB, 0, 0, payload_of(kB, 0));
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
    const auto theirs = receive_ids(to_parent.read_end(), 2);
    ASSERT_TRUE(theirs.has_value()) << "round " << round;
    ASSERT_EQ(child.wait(), 0) << "round " << round;
    const std::array<NetId64, 2> mine{*a, *b};
    for (std::size_t k = 0; k < mine.size(); ++k) {
      const std::set<std::uint64_t> counters{mine[k].counter(), (*theirs)[k].counter()};
      EXPECT_EQ(counters, (std::set<std::uint64_t>{0, 1})) << "round " << round;
      EXPECT_EQ((*fleet->ring(mine[k].kind()))->head(), 2u) << "round " << round;
      const std::optional<Frame> frame = fleet->read((*theirs)[k]);
      ASSERT_TRUE(frame.has_value()) << "round " << round;
      EXPECT_EQ(frame->id.node(), NodeId(2));
    }
    EXPECT_EQ(segments_of(fleet->user(), name).size(), 2u) << "round " << round;
  }
}

// Threads of one process racing the first use of a kind share one ring.
TYPED_TEST(FleetTest, ThreadsRacingFirstUseShareOneRing) {
  constexpr int kThreads = 4, kFramesEach = 50;
  auto fleet = join_declared<typename TestFixture::Storage>(this->fleet_name(), NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  std::vector<std::vector<NetId64>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto published = publish_frames(*fleet, kA, kFramesEach);
      if (published.ok()) ids[t] = *published;
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::uint64_t> counters;
  for (const auto& per_thread : ids) {
    EXPECT_EQ(per_thread.size(), std::size_t{kFramesEach});
    for (NetId64 id : per_thread) counters.insert(id.counter());
  }
  EXPECT_EQ(counters.size(), std::size_t{kThreads * kFramesEach});
  EXPECT_EQ((*fleet->ring(kA))->head(), std::uint64_t{kThreads * kFramesEach});
}

// Another process made kind A with 8 slots and kind B with 32-byte payloads;
// asking for 16 slots and 64 bytes is an error naming the kind and the field,
// every time, and the existing rings are left as they were.
TYPED_TEST(FleetTest, SpecClashAcrossProcessesNamesKindAndField) {
  const std::string name = this->fleet_name();
  Child child([&] {
    auto fleet = Fleet<typename TestFixture::Storage>::join(name, NodeId(2));
    if (!fleet.ok()) return report(1, status_text(fleet.status()));
    absl::Status s = fleet->declare(kA, RingSpec{8, 32});
    if (s.ok()) s = fleet->declare(kB, RingSpec{8, 32});
    if (s.ok()) s = fleet->publish(kA, 0, 0, {}).status();
    if (s.ok()) s = fleet->publish(kB, 0, 0, {}).status();
    return s.ok() ? 0 : report(2, status_text(s));
  });
  ASSERT_EQ(child.wait(), 0);
  auto fleet = Fleet<typename TestFixture::Storage>::join(name, NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  ASSERT_TRUE(fleet->declare(kA, RingSpec{16, 32}).ok());
  ASSERT_TRUE(fleet->declare(kB, RingSpec{8, 64}).ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    expect_error(fleet->publish(kA, 0, 0, {}).status(), absl::StatusCode::kFailedPrecondition,
                 {"kind 10", "capacity: segment has 8, expected 16"});
    expect_error(fleet->ring(kB).status(), absl::StatusCode::kFailedPrecondition,
                 {"kind 20", "payload capacity: segment has 32, expected 64"});
  }
  auto matching = Fleet<typename TestFixture::Storage>::join(name, NodeId(3));
  ASSERT_TRUE(matching.ok()) << matching.status();
  ASSERT_TRUE(matching->declare(kA, RingSpec{8, 32}).ok());
  auto ring = matching->ring(kA);
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->head(), 1u);
}

TYPED_TEST(FleetTest, RedeclaringAKindWithAnotherSpecNamesKindAndField) {
  auto fleet = Fleet<typename TestFixture::Storage>::join(this->fleet_name(), NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  ASSERT_TRUE(fleet->declare(kA, RingSpec{8, 32}).ok());
  EXPECT_TRUE(fleet->declare(kA, RingSpec{8, 32}).ok()) << "the same spec again is no clash";
  expect_error(fleet->declare(kA, RingSpec{16, 32}), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "capacity: declared 8, redeclared 16"});
  expect_error(fleet->declare(kA, RingSpec{8, 64}), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "payload capacity: declared 32, redeclared 64"});
  ASSERT_TRUE(fleet->publish(kA, 0, 0, {}).ok());
  expect_error(fleet->declare(kA, RingSpec{16, 32}), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "capacity: declared 8"});
  EXPECT_EQ((*fleet->ring(kA))->capacity(), 8u);
}

TYPED_TEST(FleetTest, InvalidSpecIsInvalidArgumentAtDeclare) {
  auto fleet = Fleet<typename TestFixture::Storage>::join(this->fleet_name(), NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  expect_error(fleet->declare(kA, RingSpec{12, 32}), absl::StatusCode::kInvalidArgument,
               {"kind 10", "power of two"});
  expect_error(fleet->publish(kA, 0, 0, {}).status(), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "never declared"});
}

TYPED_TEST(FleetTest, UndeclaredKindIsAnErrorAndCreatesNothing) {
  constexpr std::uint8_t kUndeclared = 77;
  const std::string name = this->fleet_name();
  auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const std::initializer_list<std::string_view> fragments{"kind 77", "never declared",
                                                          "declare(77"};
  constexpr auto kCode = absl::StatusCode::kFailedPrecondition;
  const NetId64 id = NetId64::make(kUndeclared, 1, 0);
  FrameBuffer buffer(32);
  RingCursor cursor;
  expect_error(fleet->publish(kUndeclared, 0, 0, {}).status(), kCode, fragments);
  expect_error(fleet->read(id, buffer), kCode, fragments);
  expect_error(fleet->poll(kUndeclared, cursor).status(), kCode, fragments);
  expect_error(fleet->poll_into(kUndeclared, cursor, buffer, [](const FrameBuffer&) {}).status(),
               kCode, fragments);
  expect_error(fleet->ring(kUndeclared).status(), kCode, fragments);
  EXPECT_FALSE(fleet->read(id).has_value());
  EXPECT_TRUE(segments_of(fleet->user(), name).empty());
}

TYPED_TEST(FleetTest, NodeIdIsMintedIntoIds) {
  const std::string name = this->fleet_name();
  auto beef = join_declared<typename TestFixture::Storage>(name, NodeId(0xBEEF));
  auto top = join_declared<typename TestFixture::Storage>(name, NodeId(0xFFFF));
  ASSERT_TRUE(beef.ok() && top.ok());
  const absl::StatusOr<NetId64> first = beef->publish(kA, 0, 0, {});
  const absl::StatusOr<NetId64> second = top->publish(kA, 0, 0, {});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->to_string(), "10:48879:0");
  EXPECT_EQ(second->to_string(), "10:65535:1");
  EXPECT_EQ(beef->node(), NodeId(0xBEEF));
  const std::optional<Frame> frame = beef->read(*second);
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->id.node(), NodeId(0xFFFF));
}

TYPED_TEST(FleetTest, KindsAreIndependent) {
  auto fleet = join_declared<typename TestFixture::Storage>(this->fleet_name(), NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const auto a = publish_frames(*fleet, kA, 3);
  const auto b = publish_frames(*fleet, kB, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(check_poll(*fleet, kA, *a, 0), "");
  EXPECT_EQ(check_poll(*fleet, kB, *b, 0), "");
  EXPECT_EQ(check_reads(*fleet, *b, 0, NodeId(1)), "");
  EXPECT_EQ((*fleet->ring(kA))->head(), 3u);
  EXPECT_EQ((*fleet->ring(kB))->head(), 5u);
  // Kind A's ring answers nothing for kind B's ids, even where counters coincide.
  FrameBuffer buffer(64);
  EXPECT_EQ((*fleet->ring(kA))->read((*b)[0], buffer).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE((*fleet->ring(kA))->read_at(3, buffer) && buffer.id.kind() == kB);
}

// After a kind's first use, publish, read by id (hit and miss) and poll_into
// allocate nothing.
TYPED_TEST(FleetTest, HotPathAllocatesNothingAfterFirstUse) {
  if (!kCountsAllocations) GTEST_SKIP() << "a sanitizer owns operator new in this build";
  auto fleet = join_declared<typename TestFixture::Storage>(this->fleet_name(), NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const std::vector<std::byte> payload = payload_of(kA, 0);
  ASSERT_TRUE(fleet->publish(kA, 0, 0, payload).ok());
  FrameBuffer buffer((*fleet->ring(kA))->make_buffer());
  RingCursor cursor;
  std::uint64_t delivered = 0, published_ok = 0, found = 0;
  const std::uint64_t before = allocations.load(kCountOnly);  // (N1)
  for (int i = 0; i < 40; ++i) {
    const absl::StatusOr<NetId64> id = fleet->publish(kA, 0, 0, payload);
    published_ok += id.ok();
    found += id.ok() && fleet->read(*id, buffer).ok();
  }
  const bool miss = absl::IsNotFound(fleet->read(NetId64::make(kA, 1, 0), buffer));
  const auto stats = fleet->poll_into(kA, cursor, buffer, [&](const FrameBuffer&) { ++delivered; });
  const std::uint64_t after = allocations.load(kCountOnly);  // (N1)
  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(published_ok, 40u);
  EXPECT_EQ(found, 40u);
  EXPECT_TRUE(miss) << "counter 0 was overwritten";
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(delivered + stats->loss.total(), stats->to - stats->from);
  EXPECT_EQ(delivered, kSpecA.capacity);
}

TYPED_TEST(FleetTest, LeaveUnlinksNothingAndRemoveDoes) {
  const std::string name = this->fleet_name();
  auto fleet = join_declared<typename TestFixture::Storage>(name, NodeId(1));
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const absl::StatusOr<NetId64> id = fleet->publish(kA, 0, 0, payload_of(kA, 0));
  ASSERT_TRUE(id.ok());
  auto ring = fleet->ring(kA);
  ASSERT_TRUE(ring.ok());
  const std::string user = fleet->user();
  fleet->leave();
  EXPECT_FALSE(fleet->joined());
  expect_error(fleet->publish(kA, 0, 0, {}).status(), absl::StatusCode::kFailedPrecondition,
               {"not joined"});
  EXPECT_TRUE((*ring)->read(*id).has_value()) << "a ring handed out outlives leave()";
  EXPECT_EQ(segments_of(user, name).size(), 1u);

  auto again = join_declared<typename TestFixture::Storage>(name, NodeId(2));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->read(*id).has_value()) << "the segment outlived the node that left";
  EXPECT_TRUE(again->unlink_kind(kA).ok());
  EXPECT_TRUE(segments_of(user, name).empty());
  EXPECT_TRUE(absl::IsNotFound(again->unlink_kind(kA)));
  const std::array<std::uint8_t, 2> kinds{kA, kB};
  EXPECT_TRUE(Fleet<typename TestFixture::Storage>::remove(name, kinds).ok())
      << "absent kinds are skipped";
}

TEST_F(FleetNamesTest, BadFleetOrUserNameIsInvalidArgument) {
  const std::vector<std::string> bad_names{"",       "a.b",  "../x", "a/b",
                                           "sp ace", "tab\t", std::string(kMaxNamePart + 1, 'f')};
  for (const std::string& bad : bad_names) {
    expect_error(Fleet<>::join(bad, NodeId(1)).status(), absl::StatusCode::kInvalidArgument,
                 {"fleet"});
  }
  expect_error(Fleet<>::join("ok", NodeId(1), FleetOptions{"first.last"}).status(),
               absl::StatusCode::kInvalidArgument, {"user"});
  EXPECT_TRUE(Fleet<>::join(std::string(kMaxNamePart, 'f'), NodeId(1)).ok());
  expect_error(Fleet<>::remove("a.b", every_kind()), absl::StatusCode::kInvalidArgument,
               {"fleet"});
}

// Overflow mode and storage variant are part of a kind's spec too.
TEST_F(FleetNamesTest, OverflowModeAndVariantClashesNameTheField) {
  using Disruptor = SharedDisruptorRing<>::storage_type;
  const std::string name = fleet_name();
  auto overwrite = Fleet<Disruptor>::join(name, NodeId(1));
  auto gated = Fleet<Disruptor>::join(name, NodeId(2));
  auto seqlock = Fleet<>::join(name, NodeId(3));
  ASSERT_TRUE(overwrite.ok() && gated.ok() && seqlock.ok());
  ASSERT_TRUE(overwrite->declare(kA, kSpecA).ok());
  expect_error(overwrite->declare(kA, kSpecA, DisruptorOptions{OverflowMode::kGated}),
               absl::StatusCode::kFailedPrecondition,
               {"kind 10", "overflow mode: declared overwrite, redeclared gated"});
  ASSERT_TRUE(overwrite->ring(kA).ok());
  ASSERT_TRUE(gated->declare(kA, kSpecA, DisruptorOptions{OverflowMode::kGated}).ok());
  expect_error(gated->ring(kA).status(), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "overflow mode: segment has overwrite, expected gated"});
  ASSERT_TRUE(seqlock->declare(kA, kSpecA).ok());
  expect_error(seqlock->ring(kA).status(), absl::StatusCode::kFailedPrecondition,
               {"kind 10", "variant: segment has disruptor, expected seqlock"});
}

}  // namespace
}  // namespace ringlab::shm::fleet_test
