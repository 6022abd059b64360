// Single-writer rings across processes (WriterMode::kSingle in POSIX shared
// memory, shm/shared_ring.hpp): one process at a time holds the ring's writer
// lease, taken by attaching with RingRole::kWriter; readers attach without it.
//
//   Contract  one writer process and reader processes: frames whole, exact
//             loss, wraparound, and a writer lease handed from one writer
//             process to the next as each exits. (The registry's single-writer
//             variants run shared_ring_test.cpp's contract too; this list adds
//             the disruptor's markers apart and a yielding gated ring.)
//   Lease     a second live writer is refused, naming the writer's pid and the
//             segment; a reader cannot write (until it takes the lease); the
//             other writer mode or marker layout does not attach.
//   Takeover  a writer SIGKILLed at each crash point (crash_fixture.hpp's
//             KillAt) leaves its lease and a Pending counter; the next
//             writer's attach takes the lease over and commits that counter as
//             abandoned, so cursors, bounded or not, move past it at once as
//             Unavailable, and the new writer's frames reach a reader that
//             started before the crash.
//   Fleet     a node writes only the kinds it declared with the writer role.
//
// Children leave by _exit, never back into GoogleTest; each runs under alarm()
// and the parent kills any that outlives its deadline. Every test has its own
// segment (pid + serial + test name), unlinked in TearDown.
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

namespace ringlab::shm {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using crash_test::KillAt;
using harness::Exit;
using harness::require;
using harness::SharedBlock;
using test_util::announce;

constexpr std::uint8_t kKind = 11;
// Four slots: a lap is short, so the frames after a crash lap the dead slot.
constexpr std::uint64_t kCapacity = 4;
constexpr RingSpec kSpec{kCapacity, 48};
constexpr Clock::duration kChildLimit = 10s;
constexpr unsigned kAlarmSeconds = 30;
// Far longer than any test: a cursor with this bound that moves past a dead
// writer's counter was not moved by the bound.
constexpr Clock::duration kUnreachedBound = 1h;

constexpr std::uint32_t kFirstWriter = 1;
constexpr std::uint32_t kSecondWriter = 2;

#if defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kSlowdown = 8;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr std::uint64_t kSlowdown = 8;
#else
constexpr std::uint64_t kSlowdown = 1;
#endif
#else
constexpr std::uint64_t kSlowdown = 1;
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
void write_frame(RingT& ring, std::uint32_t writer) {
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

void expect_whole_and_exact(const Tally& t) {
  EXPECT_EQ(t.torn, 0u) << "a torn or misplaced frame was delivered";
  EXPECT_TRUE(t.adds_up()) << t.inexact_polls << " polls' accounts did not add up";
  EXPECT_EQ(t.loss.stalled, 0u) << "no cursor here gives anything up for its bound";
}

// Waits until `count` reaches n, calling meanwhile() between looks; false if
// it has not by kChildLimit.
bool await(const std::atomic<int>& count, int n, const std::function<void()>& meanwhile = [] {}) {
  const Clock::time_point deadline = Clock::now() + kChildLimit;
  while (count.load(test_util::kAwait) < n) {  // (X2)
    if (Clock::now() >= deadline) return false;
    meanwhile();
    std::this_thread::sleep_for(50us);
  }
  return true;
}

// In a child: as await, but gives up by throwing.
void await_or_throw(const std::atomic<int>& count, int n, const char* what) {
  require(await(count, n), absl::StrCat("timed out waiting for ", what));
}

pid_t spawn(const std::function<void()>& body) {
  return harness::spawn_child(body, kAlarmSeconds);
}
Exit reap(pid_t pid, const std::function<void()>& meanwhile = [] {}) {
  return harness::reap(pid, Clock::now() + kChildLimit, meanwhile);
}

// "sw<pid>-<serial>-<test>": the serial keeps the typed suites' tests of one
// name apart when the cut makes their names alike.
SegmentName name_for_this_test() {
  static int serial = 0;
  return test_util::segment_name_for_test(absl::StrCat("sw", ::getpid(), "-", ++serial), "",
                                          kKind);
}

// The whole content of a file, to show that a refused attach wrote nothing.
std::string file_bytes(const std::string& path) {
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

TYPED_TEST_SUITE(SingleWriterRing, Variants, VariantName);

// ---- The contract across processes ------------------------------------------------

TYPED_TEST(SingleWriterRing, WriterProcessesTakeTurnsAndReadersSeeEveryFrame) {
  auto ring = this->create();
  EXPECT_FALSE(ring->holds_writer_lease());
  Follower follower(*ring, TypeParam::kGated);
  const auto write_three = [](auto& writer) {
    for (int i = 0; i < 3; ++i) write_frame(writer, kFirstWriter);
  };
  this->in_child(RingRole::kWriter, write_three, [&] { follower.poll(); });
  // Exiting gave the lease back: nobody's to take over.
  EXPECT_EQ(ring->storage().writer_lease_holder(), 0u);
  EXPECT_EQ(ring->head(), 3u);
  this->in_child(RingRole::kWriter, write_three, [&] { follower.poll(); });
  EXPECT_EQ(ring->head(), 6u) << "the second writer did not continue from head";
  follower.poll();
  const Tally& t = follower.tally();
  expect_whole_and_exact(t);
  EXPECT_EQ(t.loss.unavailable, 0u) << "a lease given back leaves nothing to abandon";
  EXPECT_EQ(follower.next(), 6u);
  if (TypeParam::kGated) {
    EXPECT_EQ(t.delivered, 6u);
  }
}

TYPED_TEST(SingleWriterRing, PollLossIsExactAndTheRingWrapsAround) {
  auto ring = this->create();
  RingCursor cursor = RingCursor::from_start();

  // A frame, a claim given up, a frame: one counter is unavailable.
  this->in_child(RingRole::kWriter, [&](auto& writer) {
    conformance::put(writer, "a");
    conformance::claim_and_abandon(writer);
    conformance::put(writer, "b");
  });
  PollResult r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.loss, (Loss{0, 1}));

  // Nine more on four slots while this cursor waits: five overwritten.
  SharedBlock<std::uint64_t> first_raw_id;
  this->in_child(RingRole::kWriter, [&](auto& writer) {
    *first_raw_id = conformance::put(writer, "n0").raw();
    for (int i = 1; i < 9; ++i) conformance::put(writer, absl::StrCat("n", i));
  });
  r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"n5", "n6", "n7", "n8"}));
  EXPECT_EQ(r.loss, (Loss{5, 0}));
  EXPECT_EQ(r.frames.size() + r.loss.total(), r.to - r.from);
  EXPECT_EQ(r.to, 12u);
  FrameBuffer buffer = ring->make_buffer();
  EXPECT_EQ(ring->read(NetId64::from_raw(*first_raw_id), buffer).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(conformance::text(ring->read_at(8)), "n5");  // slot 0 holds counter 8 now
}

struct BroadcastBoard {
  std::atomic<int> readers_ready{0};  // (X1)/(X2): the writer starts once both are
  Tally readers[2];
  bool reached_end[2] = {};
};

TYPED_TEST(SingleWriterRing, OneWriterTwoReaderProcesses) {
  using RingT = typename TestFixture::RingT;
  constexpr std::uint64_t kFrames = 100'000 / kSlowdown;
  constexpr int kReaders = 2;
  const RingSpec spec{64, 48};
  auto ring = this->create(RingRole::kReader, spec);
  SharedBlock<BroadcastBoard> board;
  std::vector<pid_t> children;
  for (int r = 0; r < kReaders; ++r) {
    children.push_back(spawn([&, r] {
      const Clock::time_point deadline = Clock::now() + kChildLimit;
      const auto mine = this->attach(RingRole::kReader, spec);
      Follower<RingT> follower(*mine, TypeParam::kGated);
      announce(board->readers_ready);
      while (follower.next() < kFrames) {
        require(Clock::now() < deadline, absl::StrCat("reader stuck at ", follower.next()));
        const PollStats stats = follower.poll();
        if (stats.to == stats.from) follower.idle();
      }
      board->readers[r] = follower.tally();
      board->reached_end[r] = true;
    }));
  }
  children.push_back(spawn([&] {
    const auto mine = this->attach(RingRole::kWriter, spec);
    await_or_throw(board->readers_ready, kReaders, "the readers");
    for (std::uint64_t c = 0; c < kFrames; ++c) write_frame(*mine, kFirstWriter);
  }));
  for (const pid_t child : children) {
    const Exit exit = reap(child);
    EXPECT_TRUE(exit.clean()) << "child " << child << " " << exit.describe();
  }
  EXPECT_EQ(ring->head(), kFrames);
  for (int r = 0; r < kReaders; ++r) {
    SCOPED_TRACE(absl::StrCat("reader ", r));
    const Tally& t = board->readers[r];
    EXPECT_TRUE(board->reached_end[r]);
    expect_whole_and_exact(t);
    EXPECT_EQ(t.loss.unavailable, 0u) << "nothing is abandoned: all loss is a later lap's";
    EXPECT_EQ(t.moved, kFrames);
    EXPECT_GT(t.delivered, 0u);
    if (TypeParam::kGated) {
      EXPECT_EQ(t.delivered, kFrames) << "a gated reader lost frames";
    }
  }
}

// ---- The lease ---------------------------------------------------------------

// What a child's refused attach returned.
struct Refusal {
  int code = 0;
  char message[512] = {};
  void record(const absl::Status& s) {
    code = static_cast<int>(s.code());
    std::snprintf(message, sizeof message, "%s", std::string(s.message()).c_str());
  }
};

TYPED_TEST(SingleWriterRing, ASecondLiveWriterIsRefusedNamingTheWriterAndTheSegment) {
  using Storage = typename TestFixture::Storage;
  auto ring = this->create(RingRole::kWriter);
  ASSERT_TRUE(ring->holds_writer_lease());
  SharedBlock<Refusal> attached, opened;
  const Exit exit = reap(spawn([&] {
    attached->record(this->open(RingRole::kWriter).status());
    opened->record(open_or_create_ring<Storage>(this->name_, kSpec, TypeParam::options(),
                                                {.role = RingRole::kWriter})
                       .status());
  }));
  ASSERT_TRUE(exit.clean()) << exit.describe();
  for (const Refusal* refusal : {&*attached, &*opened}) {
    EXPECT_EQ(refusal->code, static_cast<int>(absl::StatusCode::kFailedPrecondition));
    const std::string message = refusal->message;
    EXPECT_NE(message.find(absl::StrCat("process ", ::getpid(), " is its writer")),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(*shm_name(this->name_)), std::string::npos) << message;
  }
  EXPECT_EQ(ring->storage().writer_lease_holder(), static_cast<std::uint64_t>(::getpid()));
  write_frame(*ring, kFirstWriter);  // still the writer
  EXPECT_EQ(ring->head(), 1u);
}

// What a reader's attempts to write returned.
struct ReaderWrites {
  int write = 0, claim = 0, try_write = -1;
  std::uint64_t head_after = 0;
  bool wrote_after_taking_lease = false;
};

TYPED_TEST(SingleWriterRing, AReaderCannotWriteUntilItTakesTheLease) {
  auto ring = this->create();
  SharedBlock<ReaderWrites> tried;
  this->in_child(RingRole::kReader, [&](auto& reader) {
    const std::vector<std::byte> payload = conformance::bytes("x");
    tried->write = static_cast<int>(reader.write(conformance::kNode, 0, 0, payload).status().code());
    tried->claim = static_cast<int>(reader.claim(conformance::kNode, 1).status().code());
    if constexpr (requires { reader.try_write(conformance::kNode, 0, 0, payload); }) {
      tried->try_write =
          static_cast<int>(reader.try_write(conformance::kNode, 0, 0, payload).status().code());
    }
    tried->head_after = reader.head();
    require(reader.take_writer_lease().ok(), "take_writer_lease with no writer");
    tried->wrote_after_taking_lease = reader.write(conformance::kNode, 0, 0, payload).ok();
  });
  const int refused = static_cast<int>(absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(tried->write, refused);
  EXPECT_EQ(tried->claim, refused);
  if constexpr (requires { ring->try_write(conformance::kNode, 0, 0, {}); }) {
    EXPECT_EQ(tried->try_write, refused);
  }
  EXPECT_EQ(tried->head_after, 0u) << "a refused write claimed a counter";
  EXPECT_TRUE(tried->wrote_after_taking_lease);
  EXPECT_EQ(ring->head(), 1u);
  const absl::Status mine = ring->write(conformance::kNode, 0, 0, conformance::bytes("y")).status();
  EXPECT_EQ(mine.code(), absl::StatusCode::kFailedPrecondition) << mine;
  EXPECT_NE(mine.message().find("does not hold the writer lease"), absl::string_view::npos) << mine;
}

TYPED_TEST(SingleWriterRing, TheOtherWriterModeOrMarkerLayoutNamesTheFieldAndWritesNothing) {
  using Storage = typename TestFixture::Storage;
  using Twin = typename ManyWriterTwin<Storage>::type;
  auto ring = this->create(RingRole::kWriter);
  write_frame(*ring, kFirstWriter);
  const std::string before = file_bytes(this->path());
  const auto expect_refused = [&](const absl::Status& s, const std::string& fragment) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_NE(s.message().find(fragment), absl::string_view::npos) << s;
    EXPECT_EQ(file_bytes(this->path()), before) << "a refused attach wrote";
  };
  expect_refused(this->template open<Twin>(RingRole::kWriter).status(),
                 "writer mode: segment has single, expected multi");
  if constexpr (std::is_same_v<typename Storage::Options, DisruptorOptions>) {
    DisruptorOptions flipped = TypeParam::options();
    flipped.layout =
        flipped.layout == MarkerLayout::kApart ? MarkerLayout::kInline : MarkerLayout::kApart;
    expect_refused(attach_ring<Storage>(this->name_, kSpec, flipped).status(),
                   absl::StrCat("marker layout: segment has ", to_string(TypeParam::options().layout),
                                ", expected ", to_string(flipped.layout)));
  }
}

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

// ---- Fleet -----------------------------------------------------------------------

class SingleWriterFleet : public ::testing::Test {
 protected:
  using FleetT = Fleet<SeqlockOf<StdSync>>;
  void SetUp() override { name_ = name_for_this_test(); }
  void TearDown() override { (void)FleetT::remove(name_.fleet, kinds_); }

  FleetT join(std::uint16_t node) const {
    auto fleet = FleetT::join(name_.fleet, NodeId(node));
    require(fleet.ok(), fleet.status().ToString());
    return *std::move(fleet);
  }

  static constexpr std::uint8_t kinds_[] = {kKind};
  SegmentName name_;
};

TEST_F(SingleWriterFleet, ANodePublishesOnlyTheKindsItWrites) {
  FleetT writer = join(1);
  ASSERT_TRUE(writer.declare(kKind, kSpec, {}, RingRole::kWriter).ok());
  const absl::StatusOr<NetId64> id = writer.publish(kKind, 0, 0, conformance::bytes("first"));
  ASSERT_TRUE(id.ok()) << id.status();
  const absl::Status redeclared = writer.declare(kKind, kSpec);
  EXPECT_EQ(redeclared.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(redeclared.message().find("role: declared writer, redeclared reader"),
            absl::string_view::npos)
      << redeclared;

  SharedBlock<Refusal> second_writer, reader_publish;
  SharedBlock<bool> read_first;
  const Exit exit = reap(spawn([&] {
    FleetT other = join(2);
    require(other.declare(kKind, kSpec, {}, RingRole::kWriter).ok(), "declare");
    second_writer->record(other.publish(kKind, 0, 0, conformance::bytes("no")).status());
    FleetT reader = join(3);
    require(reader.declare(kKind, kSpec).ok(), "declare");
    *read_first = conformance::text(reader.read(*id)) == "first";
    reader_publish->record(reader.publish(kKind, 0, 0, conformance::bytes("no")).status());
  }));
  ASSERT_TRUE(exit.clean()) << exit.describe();
  EXPECT_TRUE(*read_first);
  const int refused = static_cast<int>(absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second_writer->code, refused);
  EXPECT_NE(std::string(second_writer->message).find(absl::StrCat("process ", ::getpid())),
            std::string::npos)
      << second_writer->message;
  EXPECT_EQ(reader_publish->code, refused);
  EXPECT_NE(std::string(reader_publish->message).find("does not hold the writer lease"),
            std::string::npos)
      << reader_publish->message;
  auto ring = writer.ring(kKind);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ((*ring)->head(), 1u) << "a refused node claimed a counter";
}

}  // namespace
}  // namespace ringlab::shm
