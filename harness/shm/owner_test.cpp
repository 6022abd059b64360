// Writers in shared memory never wait for ever, and owner entries are reused:
//   WriterStall   an in-flight marker no live registered process owns is taken
//                 over ([WriterStallBound]: at once when its entry holds a word
//                 that is no pid, after Sync::kWriterStallBound when the owner
//                 is 0 or was never registered); a live owner's marker is never
//                 taken over, and the writer behind it drops its own frame
//   OwnerEntries  readers take no writer-table entry; an exited process's entry
//                 is reused ([OwnerEntryReuse]), so a writer killed after 255
//                 earlier writer processes can still be taken over; a table
//                 full of live writers refuses the next with ResourceExhausted
//   GateRelease   a set gate without an owner, or owned by a word that is no
//                 pid, no longer holds a gated writer back ([OrphanGate])
//   Lease         a lease word that is no pid is taken over
// The region's words are changed from the test as a foreign process of the
// same user could change them. Label shm: these measure time bounds.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

#include "crash_fixture.hpp"
#include "ringlab/detail/versioned_slot.hpp"

namespace ringlab::shm::crash_test {
namespace {

constexpr auto kWriterBound = StdSync::kWriterStallBound;

// A word of the region as a foreign process sees it.
std::atomic<std::uint64_t>& word_at(std::byte* region, std::size_t offset) {
  return *reinterpret_cast<std::atomic<std::uint64_t>*>(region + offset);
}

template <class V>
class OwnerTest : public CrashTest {
 protected:
  using Storage = typename V::Storage;
  using Table = typename Storage::WriterTableType;

  void SetUp() override {
    CrashTest::SetUp();
    ring_ = this->template create<V>();
    const auto spec = shm::segment_spec<Storage>(kKind, kSpec, options_for<Storage>(V::kOverflow));
    ASSERT_TRUE(spec.ok());
    auto segment = Segment::attach(this->name_, *spec);
    ASSERT_TRUE(segment.ok()) << segment.status();
    segment_.emplace(*std::move(segment));
  }

  std::byte* region() { return segment_->region(); }
  std::atomic<std::uint64_t>& entry(std::uint64_t owner) {
    return word_at(region(), Storage::writers_offset() + 8 * owner);
  }
  Table table() { return Table(region() + Storage::writers_offset()); }

  // A lap from a child writer, so that the next counter's slot holds a
  // committed frame, and the child's entry is taken.
  std::uint64_t write_a_lap_in_a_child() {
    const std::uint64_t from = ring_->head();
    const Exit exit = reap(spawn([&] {
      const auto ring = this->template attach<V>();
      for (std::uint64_t c = from; c < from + kCapacity; ++c) write_frame(*ring, c, kParentWriter);
    }));
    EXPECT_TRUE(exit.clean()) << exit.describe();
    return ring_->head();
  }

  // Makes counter c's slot say that counter c - capacity is being written by `owner`.
  void mark_in_flight(std::uint64_t c, std::uint64_t owner) {
    ring_->storage().marker(c).store(ringlab::detail::writing_marker(c - kCapacity, owner),
                                     std::memory_order_relaxed);
  }

  // A child writes counter c; how long its write took. Fails the test if the
  // child did not finish within kChildLimit.
  Clock::duration time_a_write(std::uint64_t c) {
    const Clock::time_point start = Clock::now();
    const Exit exit = reap(spawn([&] {
      const auto ring = this->template attach<V>();
      write_frame(*ring, c, kLappingWriter);
    }));
    const Clock::duration took = Clock::now() - start;
    EXPECT_TRUE(exit.clean()) << "the writer behind the marker " << exit.describe();
    return took;
  }

  // A child writes the lap after counter `dead`, whose slot a dead owner left
  // in flight: it must take that slot over well before the stall bound.
  void lap_onto_a_dead_owner(std::uint64_t dead) {
    const Exit exit = reap(spawn([&] {
      const auto ring = this->template attach<V>();
      for (std::uint64_t c = dead + 1; c <= dead + kCapacity; ++c) write_frame(*ring, c, kLappingWriter);
    }), [] {}, kWriterBound / 2 + 200ms);
    EXPECT_TRUE(exit.clean()) << "the writer behind the dead owner " << exit.describe();
    expect_whole(dead + kCapacity);
  }

  void expect_whole(std::uint64_t c) {
    FrameBuffer out = ring_->make_buffer();
    EXPECT_EQ(ring_->read_state_at(c, out), ReadState::kReady) << "counter " << c;
    EXPECT_TRUE(whole_frame_of(out, c)) << "counter " << c;
  }

  std::unique_ptr<Ring<Storage>> ring_;
  std::optional<Segment> segment_;
};

using MultiWriterVariants = ::testing::Types<SeqlockV, DisruptorV>;
class VariantNames {
 public:
  template <class V>
  static std::string GetName(int) {
    return std::string(V::Storage::kName);
  }
};

template <class V>
using WriterStall = OwnerTest<V>;
TYPED_TEST_SUITE(WriterStall, MultiWriterVariants, VariantNames);

// Owner 0 (no shared-memory writer has it) and numbers nobody registered: the
// frame behind them is nobody's, taken over once the bound has passed.
TYPED_TEST(WriterStall, ForeignMarkerIsTakenOverAfterTheBound) {
  for (const std::uint64_t owner : {std::uint64_t{0}, std::uint64_t{200}, std::uint64_t{255}}) {
    SCOPED_TRACE(owner);
    const std::uint64_t c = this->write_a_lap_in_a_child();
    this->mark_in_flight(c, owner);
    const Clock::duration took = this->time_a_write(c);
    std::printf("  owner %llu: the write took %.1f ms (bound %.0f ms)\n",
                static_cast<unsigned long long>(owner), in_ms(took), in_ms(kWriterBound));
    EXPECT_GE(took, kWriterBound) << "taken over before the bound";
    EXPECT_LT(took, kWriterBound + 3s);
    this->expect_whole(c);
    if (owner != 0) {
      // Closed, so that no process can register it under the taken-over marker.
      EXPECT_EQ(this->entry(owner).load(), TestFixture::Table::kNeverRegistered);
    }
  }
}

// An entry holding a word that is no pid (kill(-1, 0) or kill(0, 0) would
// "succeed" on it) names no process: taken over at once, as a dead one.
TYPED_TEST(WriterStall, EntryThatIsNoPidIsTakenOverAtOnce) {
  for (const std::uint64_t word : {std::uint64_t{0xFFFF'FFFF}, std::uint64_t{1} << 63,
                                   StdSync::kPidLimit + 1}) {
    SCOPED_TRACE(word);
    const std::uint64_t c = this->write_a_lap_in_a_child();
    this->entry(TestFixture::Table::kOwners).store(word);
    this->mark_in_flight(c, TestFixture::Table::kOwners);
    const Clock::duration took = this->time_a_write(c);
    EXPECT_LT(took, kWriterBound / 2) << "waited for a process that cannot exist";
    this->expect_whole(c);
  }
}

// A live registered writer (here stopped for good after its first frame, as
// one descheduled mid-copy) is never taken over: the writer behind it gives
// its own frame up after the bound. Once the owner is gone, its slot is
// taken over at once.
TYPED_TEST(WriterStall, LiveOwnerIsNeverTakenOverTheFrameBehindIsDropped) {
  SharedBlock<std::atomic<int>> ready;
  const std::uint64_t first = this->ring_->head();
  const pid_t live = spawn([&] {
    const auto ring = this->template attach<TypeParam>();
    write_frame(*ring, first, kParentWriter);
    test_util::announce(*ready);
    for (;;) ::pause();
  });
  ASSERT_TRUE(await(*ready));
  std::uint64_t owner = 0;
  for (std::uint64_t o = 1; o <= TestFixture::Table::kOwners; ++o) {
    if (this->table().pid_of(o) == static_cast<std::uint64_t>(live)) owner = o;
  }
  ASSERT_NE(owner, 0u) << "the live writer has no entry";

  const std::uint64_t c = this->write_a_lap_in_a_child();
  this->mark_in_flight(c, owner);
  const Clock::duration took = this->time_a_write(c);
  EXPECT_GE(took, kWriterBound);
  EXPECT_LT(took, kWriterBound + 3s);
  EXPECT_EQ(this->ring_->storage().marker(c).load(),
            ringlab::detail::writing_marker(c - kCapacity, owner))
      << "a live writer's slot was taken over";
  FrameBuffer out = this->ring_->make_buffer();
  EXPECT_EQ(this->ring_->read_state_at(c, out), ReadState::kPending)
      << "the dropped frame's counter stays unwritten";

  kill_now(live);
  // The counter written a lap later, on the same slot: the dead owner's
  // marker is taken over without waiting for the bound.
  this->lap_onto_a_dead_owner(c);
}

template <class V>
using OwnerEntries = OwnerTest<V>;
TYPED_TEST_SUITE(OwnerEntries, MultiWriterVariants, VariantNames);

// Processes that only read take no entry: the table holds the one writer's.
TYPED_TEST(OwnerEntries, ReadersTakeNoEntry) {
  (void)this->write_a_lap_in_a_child();
  std::vector<pid_t> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(spawn([&] {
      const auto ring = this->template attach<TypeParam>();
      CheckedReader<Ring<typename TypeParam::Storage>> reader(*ring, RingCursor::from_start(), false);
      reader.poll();
      require(reader.tally().delivered == kCapacity && reader.tally().torn == 0, "read the lap");
    }));
  }
  for (const pid_t r : readers) EXPECT_TRUE(reap(r).clean());
  int taken = 0;
  for (std::uint64_t o = 1; o <= TestFixture::Table::kOwners; ++o) taken += this->entry(o).load() != 0;
  EXPECT_EQ(taken, 1) << "only the one writer process may hold an entry";
}

// 300 writer processes come and go, more than the table's entries; the next
// is killed mid-write, and a writer that laps onto its slot takes it over.
// Without reuse the killed writer would have had no entry (owner 0), and the
// lapping writer would wait on its marker for ever.
TYPED_TEST(OwnerEntries, EntriesOfExitedWritersAreReused) {
  constexpr int kStarts = 300;
  static_assert(kStarts > TestFixture::Table::kOwners);
  for (int i = 0; i < kStarts; ++i) {
    const std::uint64_t c = this->ring_->head();
    const Exit exit = reap(spawn([&] {
      const auto ring = this->template attach<TypeParam>();
      write_frame(*ring, c, kParentWriter);
    }));
    ASSERT_TRUE(exit.clean()) << "writer process " << i << " " << exit.describe();
  }
  const std::uint64_t dead = this->ring_->head();
  this->template kill_writer_at<TypeParam>(CrashPoint::kMidPayload, dead);
  this->lap_onto_a_dead_owner(dead);
}

// Every entry held by a live process: a new writer is refused with a clear
// error instead of writing under a number nobody could take over.
TYPED_TEST(OwnerEntries, TableFullOfLiveWritersRefusesTheNext) {
  for (std::uint64_t o = 1; o <= TestFixture::Table::kOwners; ++o) {
    this->entry(o).store(static_cast<std::uint64_t>(::getpid()));
  }
  const Exit exit = reap(spawn([&] {
    const auto ring = this->template attach<TypeParam>();
    const std::byte payload[8]{};
    const absl::StatusOr<NetId64> id = ring->write(NodeId(kLappingWriter), 0, 0, payload);
    require(absl::IsResourceExhausted(id.status()), "expected ResourceExhausted, got " +
                                                        id.status().ToString());
    require(id.status().message().find("writer-table") != std::string_view::npos,
            "the error names the writer table");
  }));
  EXPECT_TRUE(exit.clean()) << exit.describe();
}

// ---- Gates and the lease ------------------------------------------------------

class GateRelease : public CrashTest {};

// A gate set with no owner (or owned by a word that is no pid, releasing or
// not) held gated writers back for good; release_dead_gates frees it.
TEST_F(GateRelease, OrphanGatesAreReleased) {
  using Storage = GatedV::Storage;
  using Seq = std::remove_reference_t<decltype(std::declval<Storage&>().sequencer())>;
  const auto ring = create<GatedV>();
  const auto spec = shm::segment_spec<Storage>(kKind, kSpec, options_for<Storage>(GatedV::kOverflow));
  ASSERT_TRUE(spec.ok());
  auto segment = Segment::attach(name_, *spec);
  ASSERT_TRUE(segment.ok()) << segment.status();
  // The sequencer's layout: the gate lines follow the cursor and cache lines.
  auto gate = [&](std::size_t g) -> std::atomic<std::uint64_t>& {
    return word_at(segment->region(), (2 + g) * ringlab::detail::kCacheLine);
  };
  auto owner = [&](std::size_t g) -> std::atomic<std::uint64_t>& {
    return word_at(segment->region(), (2 + g) * ringlab::detail::kCacheLine + 8);
  };
  for (const std::uint64_t owner_word :
       {Seq::kNoOwner, Seq::releasing(0), Seq::releasing(0xFFFF'FFFF), std::uint64_t{0xFFFF'FFFF}}) {
    SCOPED_TRACE(owner_word);
    gate(3).store(ring->head());
    owner(3).store(owner_word);
    while (try_write_frame(*ring, kParentWriter)) {
    }
    EXPECT_EQ(ring->release_dead_gates(), 1u);
    EXPECT_EQ(gate(3).load(), Seq::kFreeGate);
    EXPECT_EQ(owner(3).load(), Seq::kNoOwner);
    EXPECT_TRUE(try_write_frame(*ring, kParentWriter)) << "still held back";
  }
}

class Lease : public CrashTest {};

TEST_F(Lease, LeaseWordThatIsNoPidIsTakenOver) {
  using Single = SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>;
  auto created = create_ring<Single>(name_, kSpec);
  ASSERT_TRUE(created.ok()) << created.status();
  auto segment = Segment::attach(name_, *shm::segment_spec<Single>(kKind, kSpec));
  ASSERT_TRUE(segment.ok()) << segment.status();
  for (const std::uint64_t word : {std::uint64_t{0xFFFF'FFFF}, std::uint64_t{1} << 40}) {
    SCOPED_TRACE(word);
    word_at(segment->region(), Single::kLeaseOffset).store(word);
    auto writer = attach_ring<Single>(name_, kSpec, {}, {.role = RingRole::kWriter});
    EXPECT_TRUE(writer.ok()) << writer.status();
  }
}

TEST(ProcessGone, WordsThatAreNoPidNameNoProcess) {
  for (const std::uint64_t word : {std::uint64_t{0}, std::uint64_t{0xFFFF'FFFF},
                                   std::uint64_t{1} << 63, StdSync::kPidLimit + 1}) {
    EXPECT_TRUE(StdSync::process_gone(word)) << word;
  }
  EXPECT_FALSE(StdSync::process_gone(static_cast<std::uint64_t>(::getpid())));
  EXPECT_FALSE(StdSync::process_gone(1)) << "init is alive";
}

}  // namespace
}  // namespace ringlab::shm::crash_test
