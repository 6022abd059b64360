// The claim of the versioned-slot protocol (VersionedSlot::begin_write) against
// each marker a slot can hold when a writer reaches it with counter c:
//   c already in flight by this same owner   refused at once
//   c committed, or any newer counter        refused, marker untouched
//   empty, or an older committed counter     taken: the marker becomes
//                                            writing_marker(c, owner)
// [MarkerMonotone]: a writer never takes a slot whose marker is at or above its
// own in-flight mark. A claim that loops instead of refusing (a writer that
// finds its own mark and waits for it to clear) would hang, so every claim
// runs in a forked child that the test kills at a deadline and reports as a
// failure. No in-process call waits on another writer here: the slots start
// in a state no other writer changes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/children.hpp"
#include "common/shared_block.hpp"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/storage/seqlock.hpp"

namespace ringlab::detail {
namespace {

using Slot = VersionedSlot<StdSync, SeqlockOrders>;
using Writer = Slot::Writer;

// A claim returns in microseconds; one still running after this never will.
constexpr auto kHangLimit = std::chrono::seconds(5);
constexpr unsigned kAlarmSeconds = 30;

// Counters around the 2^40 crossing the stress runs use, and an owner that is
// not 0 (owner bits in the low byte of the marker must not change the order).
constexpr std::uint64_t kCounters[] = {0, 5, (std::uint64_t{1} << 40) - 1, std::uint64_t{1} << 40};
constexpr std::uint64_t kOwners[] = {0, 3};

struct Outcome {
  bool returned = false;
  bool took = false;
  std::uint64_t marker_after = 0;
};

// begin_write(c) by `owner` on a marker that holds `before`, in a child; no
// value if it did not return by the deadline (or the child failed).
std::optional<Outcome> claim_from(std::uint64_t before, std::uint64_t c, std::uint64_t owner) {
  const harness::SharedBlock<Outcome> out;
  const pid_t pid = harness::spawn_child(
      [&] {
        std::atomic<std::uint64_t> marker{before};
        const bool took = Slot::begin_write(marker, c, Writer{owner, nullptr});
        out->took = took;
        out->marker_after = marker.load();
        out->returned = true;
      },
      kAlarmSeconds);
  const harness::Exit exit =
      harness::reap(pid, harness::ChildClock::now() + kHangLimit, [] {});
  if (!exit.clean() || !out->returned) return std::nullopt;
  return *out;
}

std::string described(std::uint64_t before, std::uint64_t c, std::uint64_t owner) {
  return "claim of counter " + std::to_string(c) + " by owner " + std::to_string(owner) +
         " on marker " + std::to_string(before);
}

// The claim must return false at once and leave the marker as it was.
void expect_refused(std::uint64_t before, std::uint64_t c, std::uint64_t owner) {
  SCOPED_TRACE(described(before, c, owner));
  const std::optional<Outcome> outcome = claim_from(before, c, owner);
  ASSERT_TRUE(outcome.has_value()) << "begin_write did not return within 5 s (it waits on a "
                                      "marker at or above its own instead of refusing)";
  EXPECT_FALSE(outcome->took) << "begin_write took a slot at or above its own mark";
  EXPECT_EQ(outcome->marker_after, before) << "a refused claim changed the marker";
}

void expect_taken(std::uint64_t before, std::uint64_t c, std::uint64_t owner) {
  SCOPED_TRACE(described(before, c, owner));
  const std::optional<Outcome> outcome = claim_from(before, c, owner);
  ASSERT_TRUE(outcome.has_value()) << "begin_write did not return within 5 s";
  EXPECT_TRUE(outcome->took) << "begin_write refused a slot holding an older counter";
  EXPECT_EQ(outcome->marker_after, writing_marker(c, owner));
}

TEST(SlotClaim, OwnMarkInFlightIsRefusedAtOnce) {
  for (const std::uint64_t c : kCounters) {
    for (const std::uint64_t owner : kOwners) {
      expect_refused(writing_marker(c, owner), c, owner);
      if (HasFatalFailure()) return;  // one hang is enough: each costs the whole limit
    }
  }
}

TEST(SlotClaim, SameCounterCommittedIsRefused) {
  for (const std::uint64_t c : kCounters) {
    for (const std::uint64_t owner : kOwners) expect_refused(committed_marker(c), c, owner);
  }
}

// A lapping writer holds the slot, or has committed a newer frame there: the
// frame of c is dropped rather than written over it.
TEST(SlotClaim, NewerCounterIsRefused) {
  for (const std::uint64_t c : kCounters) {
    for (const std::uint64_t owner : kOwners) {
      for (const std::uint64_t newer : {c + 1, c + 4, c + 1024}) {
        expect_refused(writing_marker(newer, 0), c, owner);
        expect_refused(writing_marker(newer, 7), c, owner);
        expect_refused(committed_marker(newer), c, owner);
      }
    }
  }
}

TEST(SlotClaim, EmptyOrOlderCommittedIsTaken) {
  for (const std::uint64_t c : kCounters) {
    for (const std::uint64_t owner : kOwners) {
      expect_taken(0, c, owner);
      for (const std::uint64_t back : {1, 4, 1024}) {
        if (c >= back) expect_taken(committed_marker(c - back), c, owner);
      }
    }
  }
}

}  // namespace
}  // namespace ringlab::detail
