// What the crash tests (crash_test.cpp) are made of: fault injection by the
// Sync policy's crash points, the storages as the doomed writer and the
// survivors use them, children, self-checking frames, a checked reader and the
// fixture that names each test's segment.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "common/tally.hpp"
#include "shm_test_util.hpp"
#include "ringlab/cursor.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "common/stress_frame.hpp"
#include "test_util.hpp"  // GoogleTest printers for Loss and ReadState

namespace ringlab {

// For the test names, and GoogleTest's messages (PrintTo is found by ADL).
inline const char* name_of(CrashPoint point) {
  switch (point) {
    case CrashPoint::kAfterClaim: return "AfterClaim";
    case CrashPoint::kAfterMark: return "AfterMark";
    case CrashPoint::kMidPayload: return "MidPayload";
    case CrashPoint::kBeforePublish: return "BeforePublish";
  }
  return "Unknown";
}
inline void PrintTo(CrashPoint point, std::ostream* os) { *os << name_of(point); }

}  // namespace ringlab

namespace ringlab::shm::crash_test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint8_t kKind = 9;
// Four slots: a lap is short, so a test reaches the dead writer's slot again soon.
constexpr std::uint64_t kCapacity = 4;
constexpr RingSpec kSpec{kCapacity, 48};

// [StallBound] The bound under test, and what a loaded machine may add to it
// (the poll period, and a parent that is not scheduled at once).
constexpr Clock::duration kStallBound = 20ms;
constexpr Clock::duration kStallSlack = 200ms;
// A child that has not finished by then is hung; alarm() ends one whose parent
// is gone too.
constexpr Clock::duration kChildLimit = 5s;
constexpr unsigned kAlarmSeconds = 15;

// Node ids of the writers, which stress::verify checks against the payload.
constexpr std::uint32_t kParentWriter = 1;
constexpr std::uint32_t kDoomedWriter = 2;
constexpr std::uint32_t kLappingWriter = 3;

// ---- A writer-crash test's counters ---------------------------------------

// Counters the parent writes before the crash: more than a lap, so the dead
// writer's slot holds a committed frame from the lap before.
constexpr std::uint64_t kBeforeCrash = kCapacity + 1;
constexpr std::uint64_t kDead = kBeforeCrash;
// What the lapping writer writes after the crash: a lap and a few, so that one
// of them (kDead + kCapacity) lands on the dead writer's slot.
constexpr std::uint64_t kLapFrames = kCapacity + 3;
constexpr std::uint64_t kLapping = kDead + kCapacity;
constexpr std::uint64_t kEnd = kDead + 1 + kLapFrames;

// ---- Fault injection --------------------------------------------------------

// The point at which this process dies; armed only in a child, right before
// the write that must not finish.
inline std::optional<CrashPoint> g_armed;

// Base's Sync policy, but a process dies by SIGKILL at the armed point: no
// handler, no unwinding, nothing flushed, as when the OOM killer strikes.
template <class Base>
struct KillAt : Base {
  static void crash_point(CrashPoint where) {
    if (g_armed == where) ::raise(SIGKILL);
  }
};

constexpr CrashPoint kCrashPoints[] = {CrashPoint::kAfterClaim, CrashPoint::kAfterMark,
                                       CrashPoint::kMidPayload, CrashPoint::kBeforePublish};

// ---- Variants ---------------------------------------------------------------

template <class Sync>
using SeqlockOf = SeqlockStorage<Sync>;
template <class Sync>
using DisruptorOf = DisruptorStorage<Sync, BusySpinWait>;
template <class Sync>
using RwlockOf = RwlockStorage<Sync>;

// A storage as the surviving processes use it, and as the doomed writer does:
// the same layout in the segment, only the crash points differ.
template <template <class> class StorageOf, OverflowMode kMode = OverflowMode::kOverwrite,
          class BaseSync = StdSync>
struct Variant {
  using Storage = StorageOf<BaseSync>;
  using Doomed = StorageOf<KillAt<BaseSync>>;
  static constexpr OverflowMode kOverflow = kMode;
  static constexpr bool kGated = kMode == OverflowMode::kGated;
};

using SeqlockV = Variant<SeqlockOf>;
using DisruptorV = Variant<DisruptorOf>;
using GatedV = Variant<DisruptorOf, OverflowMode::kGated>;
using RwlockV = Variant<RwlockOf, OverflowMode::kOverwrite, ProcessSharedSync>;

template <class Storage>
typename Storage::Options options_for(OverflowMode mode) {
  if constexpr (std::is_same_v<typename Storage::Options, DisruptorOptions>) {
    return DisruptorOptions{mode};
  } else {
    return {};
  }
}

// ---- Processes --------------------------------------------------------------

using test_util::require;
using test_util::SharedBlock;
using harness::ended;
using harness::Exit;
using harness::kill_and_reap;

inline pid_t spawn(const std::function<void()>& body) {
  return harness::spawn_child(body, kAlarmSeconds);
}

// Calls meanwhile() until the child ends, or kills it after `limit`.
inline Exit reap(pid_t pid, const std::function<void()>& meanwhile = [] {},
          Clock::duration limit = kChildLimit) {
  return harness::reap(pid, Clock::now() + limit, meanwhile);
}

// Kills a child that the test means to kill; killed_by(SIGKILL) unless it had
// ended already.
inline Exit kill_now(pid_t pid) {
  ::kill(pid, SIGKILL);
  return reap(pid);
}

// Pins this process to the first CPU it may run on: the same one in every
// child of one parent.
inline void pin_to_first_cpu() {
  cpu_set_t allowed;
  require(::sched_getaffinity(0, sizeof allowed, &allowed) == 0, "sched_getaffinity");
  int first = 0;
  while (first < CPU_SETSIZE && !CPU_ISSET(first, &allowed)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  require(::sched_setaffinity(0, sizeof one, &one) == 0, "sched_setaffinity");
}

// Whether another process announced (test_util's (X1)) within kChildLimit.
inline bool await(const std::atomic<int>& flag) {
  const Clock::time_point deadline = Clock::now() + kChildLimit;
  while (flag.load(test_util::kAwait) == 0) {  // (X2)
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50us);
  }
  return true;
}

// ---- Frames -----------------------------------------------------------------

// Writes the self-checking frame of counter c from `writer`; c must be the
// counter the write gets (a single writer at a time knows it).
template <class RingT>
void write_frame(RingT& ring, std::uint64_t c, std::uint32_t writer) {
  std::vector<std::byte> frame(stress::frame_size(writer, c, kSpec.payload_capacity));
  stress::fill_frame(frame, c, writer);
  const absl::StatusOr<NetId64> id = ring.write(NodeId(static_cast<std::uint16_t>(writer)),
                                                stress::frame_kind(c), stress::frame_ver(c), frame);
  require(id.ok(), absl::StrCat("write: ", id.status().ToString()));
  require(id->counter() == c, absl::StrCat("wrote counter ", id->counter(), ", expected ", c));
}

// As write_frame, without waiting on a gated ring: false when it is full.
template <class RingT>
bool try_write_frame(RingT& ring, std::uint32_t writer) {
  const std::uint64_t c = ring.head();
  std::vector<std::byte> frame(stress::frame_size(writer, c, kSpec.payload_capacity));
  stress::fill_frame(frame, c, writer);
  const absl::StatusOr<NetId64> id = ring.try_write(
      NodeId(static_cast<std::uint16_t>(writer)), stress::frame_kind(c), stress::frame_ver(c), frame);
  if (absl::IsResourceExhausted(id.status())) return false;
  require(id.ok() && id->counter() == c, absl::StrCat("try_write of ", c, ": ", id.status().ToString()));
  return true;
}

inline bool whole_frame_of(const FrameBuffer& frame, std::uint64_t c) {
  const stress::Checked checked = stress::verify(frame, kKind);
  return checked.whole && checked.counter == c;
}

// ---- Readers ----------------------------------------------------------------

// What a reader saw. Plain data, so that a child can leave it in a SharedBlock.
struct Tally : harness::PollTally {
  std::uint64_t torn = 0;  // frames that failed the stress check or were of another counter
  bool delivered_lapping = false;  // the frame of lapping_counter was delivered whole
};

// A cursor in this process that checks every frame it is given; on a gated
// ring it also holds a registered gate, which each poll advances.
template <class RingT>
class CheckedReader {
 public:
  CheckedReader(RingT& ring, RingCursor cursor, bool gated)
      : ring_(ring), cursor_(cursor), buffer_(ring.make_buffer()) {
    if constexpr (GatingRing<RingT>) {
      if (gated) register_gate();
    }
  }
  ~CheckedReader() {
    if constexpr (GatingRing<RingT>) {
      if (gate_) ring_.release_gate(*gate_);
    }
  }
  CheckedReader(const CheckedReader&) = delete;
  CheckedReader& operator=(const CheckedReader&) = delete;

  PollStats poll() {
    const PollStats stats = poll_into(ring_, cursor_, buffer_, [this](const FrameBuffer& f,
                                                                      std::uint64_t c) {
      if (!whole_frame_of(f, c)) ++tally_.torn;
      if (c == lapping_counter_) tally_.delivered_lapping = true;
    });
    if constexpr (GatingRing<RingT>) {
      if (gate_ && stats.to != stats.from) ring_.advance_gate(*gate_, cursor_.next_counter);
    }
    tally_.add(stats);
    return stats;
  }

  // Once the dead counter is given up: a live writer descheduled for longer
  // than the bound between claim and commit would be given up too, and the
  // tests after that point want exact accounts.
  void drop_stall_bound() { cursor_.stall_bound = RingCursor::kNoStallBound; }
  // The counter whose frame lands on the dead writer's slot a lap later.
  void watch_for(std::uint64_t lapping_counter) { lapping_counter_ = lapping_counter; }

  std::uint64_t next() const { return cursor_.next_counter; }
  const Tally& tally() const { return tally_; }

 private:
  void register_gate() {
    auto gate = ring_.register_gate();
    require(gate.ok(), absl::StrCat("register_gate: ", gate.status().ToString()));
    gate_ = *gate;
    cursor_.next_counter = gate->start;
  }

  RingT& ring_;
  RingCursor cursor_;
  FrameBuffer buffer_;
  std::optional<ReaderGate> gate_;
  std::uint64_t lapping_counter_ = ~std::uint64_t{0};
  Tally tally_;
};

inline void expect_intact(const Tally& t) {
  EXPECT_EQ(t.torn, 0u) << "a torn or misplaced frame was delivered";
  EXPECT_TRUE(t.adds_up()) << t.inexact_polls << " polls' accounts did not add up";
  EXPECT_EQ(t.loss.unavailable, 0u) << "nothing was abandoned";
}

// How a bounded cursor gave a Pending counter up. The cursor starts its clock
// inside the first poll that finds the counter Pending, so both spans below
// are measured from that poll's start or end and need no guess about when the
// clock started.
struct GiveUp {
  // From the start of the first poll that found the counter Pending to the
  // end of the poll that gave it up: never under the bound.
  Clock::duration took{};
  // From the end of that first poll to the start of the last poll that still
  // found it Pending: always under the bound, however late the polls ran.
  Clock::duration kept_waiting{};
};

// Polls (every 100 us) until the cursor gives its pending counter up.
template <class RingT>
GiveUp give_up_on_pending(CheckedReader<RingT>& reader) {
  const std::uint64_t stalled_before = reader.tally().loss.stalled;
  const Clock::time_point first_start = Clock::now();
  EXPECT_TRUE(reader.poll().stopped_at_pending) << "the dead counter was not Pending";
  const Clock::time_point first_end = Clock::now();
  const Clock::time_point deadline = first_end + kStallBound + kStallSlack + 1s;
  GiveUp result;
  for (;;) {
    std::this_thread::sleep_for(100us);
    const Clock::time_point start = Clock::now();
    reader.poll();
    if (reader.tally().loss.stalled != stalled_before || start >= deadline) break;
    result.kept_waiting = start - first_end;
  }
  result.took = Clock::now() - first_start;
  return result;
}

inline double in_ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// ---- The fixture -------------------------------------------------------------

class CrashTest : public ::testing::Test {
 protected:
  // "crash<pid>-<serial>-<suite>-<test>": the serial keeps it unique when the
  // names make it too long and it is cut.
  void SetUp() override {
    static int serial = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = test_util::segment_name_for_test(
        absl::StrCat("crash", ::getpid(), "-", ++serial, "-", info->test_suite_name()), "", kKind);
  }
  void TearDown() override { (void)Segment::unlink(name_); }

  template <class V, class Storage = typename V::Storage>
  std::unique_ptr<Ring<Storage>> create() const {
    auto ring = create_ring<Storage>(name_, kSpec, options_for<Storage>(V::kOverflow));
    if (!ring.ok()) throw std::runtime_error("create_ring: " + ring.status().ToString());
    return *std::move(ring);
  }

  // In a child: the segment, attached (and registered as a writer process).
  template <class V, class Storage = typename V::Storage>
  std::unique_ptr<Ring<Storage>> attach() const {
    auto ring = attach_ring<Storage>(name_, kSpec, options_for<Storage>(V::kOverflow));
    require(ring.ok(), "attach_ring: " + ring.status().ToString());
    return *std::move(ring);
  }

  // A child attached with the doomed policy writes the frame of counter c and
  // is killed at `point` within that write; fails the test unless it was.
  template <class V>
  void kill_writer_at(CrashPoint point, std::uint64_t c) {
    const Exit exit = reap(spawn([&] {
      const auto doomed = attach<V, typename V::Doomed>();
      g_armed = point;
      write_frame(*doomed, c, kDoomedWriter);
    }));
    ASSERT_TRUE(exit.killed_by(SIGKILL)) << "the doomed writer " << exit.describe();
  }

  // [StallBound] Not before the bound, and not a poll later than it.
  void expect_within_bound(const GiveUp& give_up) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(give_up.took).count();
    RecordProperty("give_up_us", std::to_string(us));
    std::printf("  stall bound %.1f ms: gave the dead counter up after %.3f ms\n",
                in_ms(kStallBound), in_ms(give_up.took));
    EXPECT_GE(give_up.took, kStallBound) << "given up before the bound";
    EXPECT_LT(give_up.kept_waiting, kStallBound) << "still Pending at a poll after the bound";
    EXPECT_LE(give_up.took, kStallBound + kStallSlack);
  }

  SegmentName name_;
};

}  // namespace ringlab::shm::crash_test
