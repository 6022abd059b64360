// Single-writer rings across processes: a writer SIGKILLed at each crash point
// (crash_fixture.hpp's KillAt) leaves its lease and a Pending counter; the
// next writer's attach takes the lease over and commits that counter as
// abandoned, so cursors, bounded or not, move past it at once as Unavailable,
// and the new writer's frames reach a reader that started before the crash.
// single_writer_test.cpp has the contract, the lease and the fleet.

#include "single_writer_fixture.hpp"

namespace ringlab::shm {
namespace single_writer_test {
namespace {

// ---- A writer killed at each crash point, and its successor ---------------------

// Between the parent and the writers of a takeover test.
struct TakeoverBoard {
  std::atomic<int> written{0};   // (X1)/(X2): the doomed writer's first frames are in
  std::atomic<int> crash{0};     // (X1)/(X2): the parent has read them; die now
  std::atomic<int> attached{0};  // (X1)/(X2): the successor holds the lease
  std::atomic<int> go{0};        // (X1)/(X2): the parent has polled; write on
};

// More than a lap before the crash, so that the dead writer's slot holds a
// committed frame from the lap before; a lap and a few after it, so that one
// frame lands on the dead writer's slot.
constexpr std::uint64_t kBeforeCrash = kCapacity + 1;
constexpr std::uint64_t kDead = kBeforeCrash;
constexpr std::uint64_t kAfterFrames = kCapacity + 3;
constexpr std::uint64_t kEnd = kDead + 1 + kAfterFrames;

template <class V>
class Takeover : public SingleWriterRing<V> {
 protected:
  void run(CrashPoint point) {
    SCOPED_TRACE(name_of(point));
    auto ring = this->create();
    // A gated reader with a bound no test reaches, and an unbounded one
    // without a gate; each polls only when it must, so its losses are known.
    Follower bounded(*ring, V::kGated, kUnreachedBound);
    Follower patient(*ring, /*gated=*/false);
    const auto poll_if_gated = [&] {
      if (V::kGated) bounded.poll();
    };
    SharedBlock<TakeoverBoard> board;

    const pid_t doomed = spawn([&] {
      const auto mine = this->template attach<typename V::Doomed>(RingRole::kWriter);
      for (std::uint64_t c = 0; c < kBeforeCrash; ++c) write_frame(*mine, kFirstWriter);
      announce(board->written);
      await_or_throw(board->crash, 1, "the parent");
      crash_test::g_armed = point;
      write_frame(*mine, kFirstWriter);
    });
    ASSERT_TRUE(await(board->written, 1, poll_if_gated)) << "the doomed writer never wrote";
    bounded.poll();
    patient.poll();
    const std::uint64_t delivered_before = V::kGated ? kBeforeCrash : kCapacity;
    EXPECT_EQ(bounded.tally().delivered, delivered_before);
    EXPECT_EQ(patient.tally().delivered, kCapacity);
    announce(board->crash);
    const Exit died = reap(doomed);
    ASSERT_TRUE(died.killed_by(SIGKILL)) << "the doomed writer " << died.describe();

    // The dead writer left its lease and a Pending counter behind.
    EXPECT_EQ(ring->storage().writer_lease_holder(), static_cast<std::uint64_t>(doomed));
    EXPECT_EQ(ring->head(), kDead + 1);
    FrameBuffer buffer = ring->make_buffer();
    EXPECT_EQ(ring->read_state_at(kDead, buffer), ReadState::kPending);
    if (point == CrashPoint::kAfterClaim) {
      ASSERT_TRUE(ring->read_at(kDead, buffer)) << "the slot lost its previous frame";
      EXPECT_EQ(stress::verify(buffer, kKind).counter, kDead - kCapacity);
    }
    EXPECT_EQ(bounded.poll().to, kDead) << "a cursor passed a Pending counter";
    EXPECT_EQ(patient.poll().to, kDead);

    // The next writer's attach takes the lease over and abandons the counter.
    const pid_t successor = spawn([&] {
      const auto mine = this->attach(RingRole::kWriter);
      announce(board->attached);
      await_or_throw(board->go, 1, "the parent");
      for (std::uint64_t i = 0; i < kAfterFrames; ++i) write_frame(*mine, kSecondWriter);
    });
    ASSERT_TRUE(await(board->attached, 1)) << "the successor never attached";
    EXPECT_EQ(ring->storage().writer_lease_holder(), static_cast<std::uint64_t>(successor));
    bool overwritten = true;
    EXPECT_EQ(ring->read_state_at(kDead, buffer, &overwritten), ReadState::kUnavailable);
    EXPECT_FALSE(overwritten) << "the dead counter reads as lapped, not abandoned";
    for (Follower<typename V::RingT>* f : {&bounded, &patient}) {
      const PollStats moved_on = f->poll();
      EXPECT_EQ(moved_on.to, kDead + 1) << "a cursor still waits at the dead counter";
      EXPECT_EQ(moved_on.loss, (Loss{0, 1, 0}));
    }
    announce(board->go);
    const Exit finished = reap(successor, poll_if_gated);
    ASSERT_TRUE(finished.clean()) << "the successor " << finished.describe();
    EXPECT_EQ(ring->storage().writer_lease_holder(), 0u) << "the successor kept its lease";

    // The successor's frames reach both readers whole, the dead slot's too.
    EXPECT_EQ(ring->head(), kEnd);
    bounded.poll();
    patient.poll();
    const std::uint64_t lapped_after = V::kGated ? 0 : kAfterFrames - kCapacity;
    const Tally& b = bounded.tally();
    expect_whole_and_exact(b);
    EXPECT_EQ(b.loss, (Loss{kBeforeCrash - delivered_before + lapped_after, 1, 0}));
    EXPECT_EQ(b.moved, kEnd);
    const Tally& p = patient.tally();
    expect_whole_and_exact(p);
    EXPECT_EQ(p.loss, (Loss{1 + kAfterFrames - kCapacity, 1, 0}));
    EXPECT_EQ(p.last, kEnd);
    EXPECT_EQ(p.delivered, 2 * kCapacity);
    ASSERT_TRUE(ring->read_at(kDead + kCapacity, buffer));
    EXPECT_EQ(stress::verify(buffer, kKind).counter, kDead + kCapacity);
  }
};

TYPED_TEST_SUITE(Takeover, Variants, VariantName);

TYPED_TEST(Takeover, AfterClaim) { this->run(CrashPoint::kAfterClaim); }
TYPED_TEST(Takeover, AfterMark) { this->run(CrashPoint::kAfterMark); }
TYPED_TEST(Takeover, MidPayload) { this->run(CrashPoint::kMidPayload); }
TYPED_TEST(Takeover, BeforePublish) { this->run(CrashPoint::kBeforePublish); }

}  // namespace
}  // namespace single_writer_test
}  // namespace ringlab::shm
