// What the single-writer shared-memory tests (single_writer_test.cpp,
// single_writer_takeover_test.cpp) share: the variants, frames that say who
// wrote them, a Follower that polls and tallies, and the SingleWriterRing
// fixture with a segment of its own per test.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "common/shared_block.hpp"
#include "common/stress_frame.hpp"
#include "common/tally.hpp"
#include "crash_fixture.hpp"  // KillAt, and names for the crash points
#include "gtest/gtest.h"
#include "ringlab/cursor.hpp"
#include "ringlab/shm/fleet.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "shm_test_util.hpp"
#include "test_util.hpp"  // GoogleTest printers for Loss and ReadState

namespace ringlab::shm::single_writer_test {


using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using crash_test::KillAt;
using harness::Exit;
using harness::require;
using harness::SharedBlock;
using test_util::announce;

inline constexpr std::uint8_t kKind = 11;
// Four slots: a lap is short, so the frames after a crash lap the dead slot.
inline constexpr std::uint64_t kCapacity = 4;
inline constexpr RingSpec kSpec{kCapacity, 48};
inline constexpr Clock::duration kChildLimit = 10s;
inline constexpr unsigned kAlarmSeconds = 30;
// Far longer than any test: a cursor with this bound that moves past a dead
// writer's counter was not moved by the bound.
inline constexpr Clock::duration kUnreachedBound = 1h;

inline constexpr std::uint32_t kFirstWriter = 1;
inline constexpr std::uint32_t kSecondWriter = 2;

#if defined(__SANITIZE_THREAD__)
inline constexpr std::uint64_t kSlowdown = 8;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr std::uint64_t kSlowdown = 8;
#else
inline constexpr std::uint64_t kSlowdown = 1;
#endif
#else
inline constexpr std::uint64_t kSlowdown = 1;
#endif

// ---- Variants ---------------------------------------------------------------

template <class Sync>
using SeqlockOf = SeqlockStorage<Sync, SeqlockOrders, WriterMode::kSingle>;
template <class Sync>
using DisruptorSpinOf = DisruptorStorage<Sync, BusySpinWait, DisruptorOrders, WriterMode::kSingle>;
// Yielding: a gated writer waits for readers, and this machine may have fewer
// cores than processes.
template <class Sync>
using DisruptorYieldOf =
    DisruptorStorage<Sync, YieldingWait, DisruptorOrders, WriterMode::kSingle>;

// A storage as the surviving processes use it, and as a doomed writer does:
// the same layout in the segment, only the crash points differ.
template <template <class> class StorageOf, DisruptorOptions kDisruptor = DisruptorOptions{}>
struct Single {
  using Storage = StorageOf<StdSync>;
  using Doomed = StorageOf<KillAt<StdSync>>;
  using RingT = Ring<Storage>;
  static constexpr bool kGated = kDisruptor.mode == OverflowMode::kGated;

  template <class S = Storage>
  static typename S::Options options() {
    if constexpr (std::is_same_v<typename S::Options, DisruptorOptions>) {
      return kDisruptor;
    } else {
      return {};
    }
  }
};

struct SeqlockSingle : Single<SeqlockOf> {
  static constexpr char kName[] = "SeqlockSingle";
};
struct DisruptorSingle : Single<DisruptorSpinOf> {
  static constexpr char kName[] = "DisruptorSingle";
};
struct DisruptorSingleApart
    : Single<DisruptorYieldOf, DisruptorOptions{OverflowMode::kOverwrite, MarkerLayout::kApart}> {
  static constexpr char kName[] = "DisruptorSingleApart";
};
struct DisruptorSingleGated : Single<DisruptorYieldOf, DisruptorOptions{OverflowMode::kGated}> {
  static constexpr char kName[] = "DisruptorSingleGated";
};

using Variants =
    ::testing::Types<SeqlockSingle, DisruptorSingle, DisruptorSingleApart, DisruptorSingleGated>;

struct VariantName {
  template <class V>
  static std::string GetName(int) {
    return V::kName;
  }
};

// The many-writer storage of the same layout otherwise.
template <class Storage>
struct ManyWriterTwin;
template <class Sync, class Orders>
struct ManyWriterTwin<SeqlockStorage<Sync, Orders, WriterMode::kSingle>> {
  using type = SeqlockStorage<Sync, Orders, WriterMode::kMulti>;
};
template <class Sync, template <class...> class Wait, class Orders>
struct ManyWriterTwin<DisruptorStorage<Sync, Wait, Orders, WriterMode::kSingle>> {
  using type = DisruptorStorage<Sync, Wait, Orders, WriterMode::kMulti>;
};

// ---- Frames and readers -----------------------------------------------------

// Writes the self-checking frame of the writer's next counter.
template <class RingT>
inline void write_frame(RingT& ring, std::uint32_t writer) {
  const std::uint64_t c = ring.head();  // the sole writer's own count
  std::vector<std::byte> frame(stress::frame_size(writer, c, ring.payload_capacity()));
  stress::fill_frame(frame, c, writer);
  const absl::StatusOr<NetId64> id = ring.write(NodeId(static_cast<std::uint16_t>(writer)),
                                                stress::frame_kind(c), stress::frame_ver(c), frame);
  require(id.ok(), absl::StrCat("write: ", id.status().ToString()));
  require(id->counter() == c, absl::StrCat("wrote counter ", id->counter(), ", expected ", c));
}

// What a reader saw. Plain data, so that a child can leave it in a SharedBlock.
struct Tally : harness::PollTally {
  std::uint64_t torn = 0;  // frames not whole, or not of the counter polled
  std::uint64_t last = 0;  // counter + 1 of the last frame delivered
};

// A cursor in this process that checks every frame it is given; on a gated
// ring it reads through a GatedReader, whose gate the writer waits for.
template <class RingT>
class Follower {
 public:
  Follower(RingT& ring, bool gated, Clock::duration stall_bound = RingCursor::kNoStallBound)
      : ring_(ring), buffer_(ring.make_buffer()) {
    cursor_.stall_bound = stall_bound;
    if constexpr (GatingRing<RingT> && WaitingRing<RingT>) {
      if (gated) {
        auto reader = GatedReader<RingT>::attach(ring, stall_bound);
        require(reader.ok(), absl::StrCat("register a gate: ", reader.status().ToString()));
        gate_.emplace(*std::move(reader));
      }
    }
  }

  PollStats poll() {
    const auto check = [this](const FrameBuffer& f, std::uint64_t c) {
      const stress::Checked checked = stress::verify(f, kKind);
      if (!checked.whole || checked.counter != c) ++tally_.torn;
      tally_.last = c + 1;
    };
    PollStats stats;
    if constexpr (GatingRing<RingT> && WaitingRing<RingT>) {
      stats = gate_ ? gate_->poll(buffer_, check) : poll_into(ring_, cursor_, buffer_, check);
    } else {
      stats = poll_into(ring_, cursor_, buffer_, check);
    }
    tally_.add(stats);
    return stats;
  }

  // Nothing new: waits on the barrier where there is one.
  void idle() {
    if constexpr (WaitingRing<RingT>) {
      ring_.wait_for(next(), 1ms);
    } else {
      std::this_thread::yield();
    }
  }

  std::uint64_t next() const {
    if constexpr (GatingRing<RingT> && WaitingRing<RingT>) {
      if (gate_) return gate_->cursor().next_counter;
    }
    return cursor_.next_counter;
  }
  const Tally& tally() const { return tally_; }

 private:
  RingT& ring_;
  FrameBuffer buffer_;
  RingCursor cursor_;
  std::optional<gated_reader_or_t<RingT, std::monostate>> gate_;
  Tally tally_;
};

inline void expect_whole_and_exact(const Tally& t) {
  EXPECT_EQ(t.torn, 0u) << "a torn or misplaced frame was delivered";
  EXPECT_TRUE(t.adds_up()) << t.inexact_polls << " polls' accounts did not add up";
  EXPECT_EQ(t.loss.stalled, 0u) << "no cursor here gives anything up for its bound";
}

// Waits until `count` reaches n, calling meanwhile() between looks; false if
// it has not by kChildLimit.
inline bool await(const std::atomic<int>& count, int n, const std::function<void()>& meanwhile = [] {}) {
  const Clock::time_point deadline = Clock::now() + kChildLimit;
  while (count.load(test_util::kAwait) < n) {  // (X2)
    if (Clock::now() >= deadline) return false;
    meanwhile();
    std::this_thread::sleep_for(50us);
  }
  return true;
}

// In a child: as await, but gives up by throwing.
inline void await_or_throw(const std::atomic<int>& count, int n, const char* what) {
  require(await(count, n), absl::StrCat("timed out waiting for ", what));
}

inline pid_t spawn(const std::function<void()>& body) {
  return harness::spawn_child(body, kAlarmSeconds);
}
inline Exit reap(pid_t pid, const std::function<void()>& meanwhile = [] {}) {
  return harness::reap(pid, Clock::now() + kChildLimit, meanwhile);
}

// "sw<pid>-<serial>-<test>": the serial keeps the typed suites' tests of one
// name apart when the cut makes their names alike.
inline SegmentName name_for_this_test() {
  static int serial = 0;
  return test_util::segment_name_for_test(absl::StrCat("sw", ::getpid(), "-", ++serial), "",
                                          kKind);
}

// The whole content of a file, to show that a refused attach wrote nothing.
inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- The fixture -------------------------------------------------------------

template <class V>
class SingleWriterRing : public ::testing::Test {
 protected:
  using Storage = typename V::Storage;
  using RingT = typename V::RingT;

  void SetUp() override { name_ = name_for_this_test(); }
  void TearDown() override { (void)Segment::unlink(name_); }
  std::string path() const { return detail::object_path(*shm_name(name_)); }

  std::unique_ptr<RingT> create(RingRole role = RingRole::kReader,
                                const RingSpec& spec = kSpec) const {
    auto ring = create_ring<Storage>(name_, spec, V::options(), {.role = role});
    if (!ring.ok()) throw std::runtime_error("create_ring: " + ring.status().ToString());
    return *std::move(ring);
  }

  // The segment attached as S (the doomed writer's storage, or another one).
  template <class S = Storage>
  absl::StatusOr<std::unique_ptr<Ring<S>>> open(RingRole role, const RingSpec& spec = kSpec) const {
    return attach_ring<S>(name_, spec, V::template options<S>(), {.role = role});
  }

  // In a child: open<S>, or throw.
  template <class S = Storage>
  std::unique_ptr<Ring<S>> attach(RingRole role, const RingSpec& spec = kSpec) const {
    auto ring = open<S>(role, spec);
    require(ring.ok(), absl::StrCat("attach_ring as ", to_string(role), ": ",
                                    ring.status().ToString()));
    return *std::move(ring);
  }

  // Runs body(ring) in a child attached as `role`, and expects it to succeed.
  template <class Body>
  void in_child(RingRole role, Body body, const std::function<void()>& meanwhile = [] {}) {
    const Exit exit = reap(spawn([&] { body(*attach(role)); }), meanwhile);
    EXPECT_TRUE(exit.clean()) << "the child " << exit.describe();
  }

  SegmentName name_;
};


// What a child's refused attach returned.
struct Refusal {
  int code = 0;
  char message[512] = {};
  void record(const absl::Status& s) {
    code = static_cast<int>(s.code());
    std::snprintf(message, sizeof message, "%s", std::string(s.message()).c_str());
  }
};

}  // namespace ringlab::shm::single_writer_test
