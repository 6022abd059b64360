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
//   Fleet     a node writes only the kinds it declared with the writer role.
//
// Children leave by _exit, never back into GoogleTest; each runs under alarm()
// and the parent kills any that outlives its deadline. Every test has its own
// segment (pid + serial + test name), unlinked in TearDown.

#include "single_writer_fixture.hpp"

namespace ringlab::shm {
namespace single_writer_test {
namespace {

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
}  // namespace single_writer_test
}  // namespace ringlab::shm
