// The ring contract across processes, for every shareable variant of the
// registry: its ring in POSIX shared memory (shm/shared_ring.hpp), with
// writers and readers in forked processes (shared_ring_fixture.hpp).
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "shared_ring_fixture.hpp"

namespace ringlab::shm::shared_ring_test {
namespace {

TYPED_TEST_SUITE(SharedRing, harness::gtest_types_t<harness::ShareableVariants>,
                 harness::VariantNames);

// ---- The seed's contract, across processes -----------------------------------

TYPED_TEST(SharedRing, ChildWritesParentReads) {
  const RingSpec spec{8, kPayload};
  auto ring = this->create(spec);
  const std::vector<NetId64> ids = this->written_by_child(spec, {"a", "b", "c"});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ring->head(), 3u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ids[i].counter(), i);
    EXPECT_EQ(ids[i].kind(), kKind);
    EXPECT_EQ(text(ring->read(ids[i])), std::string(1, static_cast<char>('a' + i)));
  }
  EXPECT_EQ(text(ring->read_head()), "c");
  EXPECT_EQ(text(ring->read_at(1)), "b");

  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(conformance::ids(r.frames), ids);
  EXPECT_EQ(r.loss, Loss{});
  EXPECT_EQ(r.from, 0u);
  EXPECT_EQ(r.to, 3u);
}

TYPED_TEST(SharedRing, PollLossIsExactAcrossProcesses) {
  const RingSpec spec{4, kPayload};
  auto ring = this->create(spec);
  RingCursor cursor = RingCursor::from_start();

  // A frame, a claim given up, a frame: one counter is unavailable.
  this->in_child(spec, [&](auto& child) {
    WrittenIds unused;
    put_all(child, unused, {"a"});
    absl::StatusOr<WriteTicket> ticket = child.claim(kNode, 0);
    require_ok(ticket.status(), "claim");
    child.abandon(*ticket);
    put_all(child, unused, {"b"});
  });
  PollResult r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.loss, (Loss{0, 1}));
  EXPECT_EQ(r.frames.size() + r.loss.total(), r.to - r.from);
  EXPECT_EQ(r.to, 3u);

  // Nine more on four slots while the parent's cursor waits: five overwritten.
  this->written_by_child(spec, {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"});
  r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"n5", "n6", "n7", "n8"}));
  EXPECT_EQ(r.loss, (Loss{5, 0}));
  EXPECT_EQ(r.frames.size() + r.loss.total(), r.to - r.from);
  EXPECT_EQ(r.from, 3u);
  EXPECT_EQ(r.to, 12u);
}

TYPED_TEST(SharedRing, WraparoundSeenFromAnotherProcess) {
  const RingSpec spec{4, kPayload};
  auto ring = this->create(spec);
  const std::vector<NetId64> ids =
      this->written_by_child(spec, {"w0", "w1", "w2", "w3", "w4", "w5"});
  ASSERT_EQ(ids.size(), 6u);
  FrameBuffer buffer = ring->make_buffer();
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(ring->read(ids[i]).has_value());
    EXPECT_EQ(ring->read(ids[i], buffer).code(), absl::StatusCode::kNotFound);
  }
  for (std::size_t i = 2; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(text(ring->read(ids[i])), absl::StrCat("w", i));
  }
  EXPECT_EQ(text(ring->read_at(0)), "w4");  // slot 0 holds counter 4 now
  RingCursor cursor = RingCursor::from_start();
  const PollResult r = poll(*ring, cursor);
  EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"w2", "w3", "w4", "w5"}));
  EXPECT_EQ(r.loss, (Loss{2, 0}));
}

// What the child's oversized write returned.
struct RefusedWrite {
  int write_code = 0, claim_code = 0;
  std::uint64_t head_after = 0;
  char message[256] = {};
};

TYPED_TEST(SharedRing, PayloadOverCapacityIsAnErrorAndClaimsNothing) {
  const RingSpec spec{4, kPayload};
  auto ring = this->create(spec);
  SharedBlock<RefusedWrite> refused;
  this->in_child(spec, [&](auto& child) {
    const std::vector<std::byte> big(kPayload + 1, std::byte{1});
    const absl::Status write = child.write(kNode, 0, 0, big).status();
    refused->write_code = static_cast<int>(write.code());
    refused->claim_code = static_cast<int>(child.claim(kNode, kPayload + 1).status().code());
    refused->head_after = child.head();
    std::snprintf(refused->message, sizeof refused->message, "%s",
                  std::string(write.message()).c_str());
  });

  EXPECT_EQ(refused->write_code, static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(refused->claim_code, static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(std::string_view(refused->message).find("payload"), std::string_view::npos)
      << refused->message;
  EXPECT_EQ(refused->head_after, 0u);
  EXPECT_EQ(ring->head(), 0u);
  this->become_writer(*ring);  // the child gave the lease back as it exited
  EXPECT_EQ(conformance::put(*ring, "first").counter(), 0u) << "a counter was claimed";
}

// ---- One writer process, two reader processes ---------------------------------

struct BroadcastBoard {
  std::atomic<int> readers_ready{0};  // (X1)/(X2): the writer starts once both are
  ReaderReport readers[2];
  std::uint64_t written = 0;
};

TYPED_TEST(SharedRing, OneWriterTwoReaderProcesses) {
  using RingT = typename TestFixture::RingT;
  constexpr std::uint64_t kFrames = 200'000 / kSlowdown;
  constexpr int kReaders = 2;
  const RingSpec spec{64, kStressPayload};
  auto ring = this->create(spec);
  SharedBlock<BroadcastBoard> board;

  std::vector<pid_t> children;
  for (int r = 0; r < kReaders; ++r) {
    children.push_back(spawn([&, r] {
      const Clock::time_point deadline = this->child_deadline();
      const std::unique_ptr<RingT> mine = this->attach(spec);
      Walker<RingT> walker(*mine, TestFixture::kGated, board->readers[r]);
      announce(board->readers_ready);
      while (walker.next() < kFrames) {
        require(Clock::now() < deadline, absl::StrCat("reader stuck at ", walker.next()));
        if (!walker.poll()) walker.idle();
      }
      board->readers[r].reached_end = true;
    }));
  }
  children.push_back(spawn([&] {
    const Clock::time_point deadline = this->child_deadline();
    const std::unique_ptr<RingT> mine = this->attach(spec, RingRole::kWriter);
    std::vector<std::byte> buffer(spec.payload_capacity);
    await(board->readers_ready, kReaders, deadline, "the readers");
    for (std::uint64_t c = 0; c < kFrames; ++c) write_next(*mine, buffer, c, deadline);
    board->written = kFrames;
  }));
  expect_all_exited_cleanly(harness::reap_all(children, this->reap_deadline()));

  EXPECT_EQ(board->written, kFrames);
  EXPECT_EQ(ring->head(), kFrames);
  for (int r = 0; r < kReaders; ++r) {
    SCOPED_TRACE(absl::StrCat("reader ", r));
    const ReaderReport& report = board->readers[r];
    EXPECT_TRUE(report.reached_end);
    expect_clean(report);
    EXPECT_EQ(report.start, 0u);
    EXPECT_EQ(report.polls.moved, kFrames);
    EXPECT_GT(report.polls.delivered, 0u);
    if (TestFixture::kGated) {
      EXPECT_TRUE(report.gate_registered);
      EXPECT_EQ(report.polls.loss.overwritten, 0u) << "a gated reader loses nothing";
      EXPECT_EQ(report.polls.delivered, kFrames);
    }
  }
}

// ---- Lapped writers across processes ----------------------------------------

struct LappedBoard {
  std::atomic<int> readers_ready{0};  // (X1)/(X2): writers start once the reader is
  std::atomic<int> slot_read{0};      // (X1)/(X2): writers finish once it has read a slot
  std::atomic<int> writers_done{0};   // (X1)/(X2): the reader stops once both are
  ReaderReport reader;
};

TYPED_TEST(SharedRing, LappedWriterProcesses) {
  RINGLAB_SKIP_IF_SINGLE_WRITER(TypeParam, "two writer processes lapping each other");
  using RingT = typename TestFixture::RingT;
  constexpr std::uint64_t kFramesPerWriter = 20'000 / kSlowdown;
  constexpr int kWriters = 2;
  for (const std::size_t capacity : {std::size_t{1}, std::size_t{2}}) {
    SCOPED_TRACE(absl::StrCat("capacity ", capacity));
    this->name_ = this->name_for(absl::StrCat("c", capacity));
    const RingSpec spec{capacity, kStressPayload};
    auto ring = this->create(spec);
    SharedBlock<LappedBoard> board;

    // A cursor and a slot watcher in one process; no gate, so that nothing
    // holds the writers back from lapping each other.
    std::vector<pid_t> children{spawn([&] {
      const Clock::time_point deadline = this->child_deadline();
      const std::unique_ptr<RingT> mine = this->attach(spec);
      ReaderReport& report = board->reader;
      Walker<RingT> walker(*mine, /*gated=*/false, report);
      FrameBuffer buffer = mine->make_buffer();
      std::vector<std::uint64_t> held(capacity, 0);
      announce(board->readers_ready);
      while (board->writers_done.load(kAwait) < kWriters) {  // (X2)
        require(Clock::now() < deadline, "the writers did not finish");
        walker.poll();
        watch_slots(*mine, buffer, held, report);
        if (report.slots.slot_reads > 0 && board->slot_read.load(kAwait) == 0) {
          announce(board->slot_read);
        }
      }
      walker.poll();
      report.reached_end = true;
    })};
    for (int w = 0; w < kWriters; ++w) {
      children.push_back(spawn([&, w] {
        const Clock::time_point deadline = this->child_deadline();
        const std::unique_ptr<RingT> mine = this->attach(spec);
        std::vector<std::byte> buffer(spec.payload_capacity);
        await(board->readers_ready, 1, deadline, "the reader");
        for (std::uint64_t seq = 0; seq < kFramesPerWriter; ++seq) {
          // Halfway, until the watcher has read a slot: a reader descheduled
          // all along (a loaded machine) would otherwise watch nothing.
          if (seq == kFramesPerWriter / 2) await(board->slot_read, 1, deadline, "a slot read");
          claim_and_publish(*mine, buffer, static_cast<std::uint32_t>(w), seq);
        }
        announce(board->writers_done);
      }));
    }
    expect_all_exited_cleanly(harness::reap_all(children, this->reap_deadline()));

    const ReaderReport& report = board->reader;
    EXPECT_TRUE(report.reached_end);
    expect_clean(report);
    EXPECT_EQ(report.polls.moved, kWriters * kFramesPerWriter);
    EXPECT_GT(report.slots.slot_reads, 0u);
    EXPECT_EQ(ring->head(), kWriters * kFramesPerWriter);
  }
}

// ---- Attach and open_or_create ----------------------------------------------

// The first shareable variant whose storage is another than V's.
template <class V, class List>
struct OtherStorage {
  using type = void;
};
template <class V, class W, class... Ws>
struct OtherStorage<V, harness::VariantList<W, Ws...>> {
  using type = std::conditional_t<W::storage != V::storage, W,
                                  typename OtherStorage<V, harness::VariantList<Ws...>>::type>;
};

void expect_names_field(const absl::Status& s, absl::string_view field) {
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // "segment /ringlab.…: <field>: segment has …, expected …"
  EXPECT_NE(s.message().find(absl::StrCat(": ", field, ": segment has ")), absl::string_view::npos)
      << "\"" << s.message() << "\" does not name " << field;
}

TYPED_TEST(SharedRing, AttachWithAnotherSpecNamesTheFieldAndWritesNothing) {
  using Storage = typename TestFixture::Storage;
  const RingSpec spec{8, kPayload};
  auto ring = this->create(spec, RingRole::kWriter);
  conformance::put(*ring, "kept");
  const std::string before = file_bytes(this->path_of(this->name_));
  ASSERT_FALSE(before.empty());
  const auto unchanged = [&] { EXPECT_EQ(file_bytes(this->path_of(this->name_)), before); };

  expect_names_field(
      attach_ring<Storage>(this->name_, {16, kPayload}, TestFixture::options()).status(),
      "capacity");
  unchanged();
  expect_names_field(
      attach_ring<Storage>(this->name_, {8, kPayload + 8}, TestFixture::options()).status(),
      "payload capacity");
  unchanged();
  using Other = typename OtherStorage<TypeParam, harness::ShareableVariants>::type;
  expect_names_field(attach_ring<typename Other::shared_ring::storage_type>(
                         this->name_, spec, Other::shared_options())
                         .status(),
                     "variant");
  unchanged();
  if constexpr (std::is_same_v<typename Storage::Options, DisruptorOptions>) {
    const DisruptorOptions flipped{TestFixture::kGated ? OverflowMode::kOverwrite
                                                     : OverflowMode::kGated};
    expect_names_field(attach_ring<Storage>(this->name_, spec, flipped).status(), "overflow mode");
    unchanged();
  }
  // The name carries the kind: the same object under another kind's name.
  const SegmentName renamed = this->name_for("renamed", kKind + 1);
  ASSERT_EQ(::link(this->path_of(this->name_).c_str(), this->path_of(renamed).c_str()), 0);
  expect_names_field(attach_ring<Storage>(renamed, spec, TestFixture::options()).status(), "kind");
  unchanged();

  // And the right spec still attaches, to the same frames.
  auto again = attach_ring<Storage>(this->name_, spec, TestFixture::options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(text((*again)->read_head()), "kept");
}

TYPED_TEST(SharedRing, AttachNeverCreates) {
  using Storage = typename TestFixture::Storage;
  const absl::Status s =
      attach_ring<Storage>(this->name_, {8, kPayload}, TestFixture::options()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(::access(this->path_of(this->name_).c_str(), F_OK), -1);
}

struct RaceBoard {
  std::atomic<int> go{0};       // (X1)/(X2): the parent starts both racers at once
  std::atomic<int> written{0};  // (X1)/(X2): a racer reads once both have written
  std::uint64_t raw_ids[2] = {};
  bool created[2] = {};
  bool read_other[2] = {};
};

TYPED_TEST(SharedRing, OpenOrCreateRaceHasOneCreator) {
  RINGLAB_SKIP_IF_SINGLE_WRITER(TypeParam, "two racing processes that both write");
  using Storage = typename TestFixture::Storage;
  const RingSpec spec{8, kPayload};
  SharedBlock<RaceBoard> board;
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    children.push_back(spawn([&, i] {
      const Clock::time_point deadline = this->child_deadline();
      await(board->go, 1, deadline, "the start");
      bool created = false;
      auto ring = open_or_create_ring<Storage>(this->name_, spec, TestFixture::options(), {},
                                               &created);
      require_ok(ring.status(), "open_or_create_ring");
      board->created[i] = created;
      const std::string mine = absl::StrCat("from ", i);
      absl::StatusOr<NetId64> id = (*ring)->write(NodeId(static_cast<std::uint16_t>(i)), 0, 0,
                                                  bytes(mine));
      require_ok(id.status(), "write");
      board->raw_ids[i] = id->raw();
      announce(board->written);
      await(board->written, 2, deadline, "the other racer's frame");
      const std::optional<Frame> theirs =
          (*ring)->read(NetId64::from_raw(board->raw_ids[1 - i]));
      board->read_other[i] = theirs && text(*theirs) == absl::StrCat("from ", 1 - i);
    }));
  }
  announce(board->go);
  expect_all_exited_cleanly(harness::reap_all(children, this->reap_deadline()));

  EXPECT_EQ(board->created[0] + board->created[1], 1) << "exactly one creator";
  EXPECT_TRUE(board->read_other[0]);
  EXPECT_TRUE(board->read_other[1]);
  auto ring = attach_ring<Storage>(this->name_, spec, TestFixture::options());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->head(), 2u);
}

// ---- Counters far from 0, waits and alerts, across processes ------------------

// A ring created at `first` (recorded in the header), written across the 2^32
// or 2^40 edge by a child: every id reads back in the parent, an attacher's
// header names the first counter, and a cursor from it sees the lap's loss.
TYPED_TEST(SharedRing, CountersCrossTheEdgesAcrossProcesses) {
  for (const std::uint64_t first : {(std::uint64_t{1} << 32) - 3, (std::uint64_t{1} << 40) - 3}) {
    SCOPED_TRACE(first);
    this->name_ = this->name_for(absl::StrCat("first", first));
    const RingSpec spec{4, kPayload};
    auto ring = this->create(spec, RingRole::kReader, first);
    EXPECT_EQ(ring->head(), first);
    const absl::StatusOr<SegmentSpec> expected =
        segment_spec<typename TestFixture::Storage>(kKind, spec, TestFixture::options());
    ASSERT_TRUE(expected.ok()) << expected.status();
    const absl::StatusOr<Segment> segment = Segment::attach(this->name_, *expected);
    ASSERT_TRUE(segment.ok()) << segment.status();
    EXPECT_EQ(segment->header().first_counter, first);

    const std::vector<NetId64> ids =
        this->written_by_child(spec, {"e0", "e1", "e2", "e3", "e4", "e5"});
    ASSERT_EQ(ids.size(), 6u);
    EXPECT_EQ(ring->head(), first + 6);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(ids[i].counter(), (first + i) & NetId64::kCounterMask);
      if (i < 2) {
        EXPECT_FALSE(ring->read(ids[i]).has_value()) << "overwritten a lap later";
      } else {
        EXPECT_EQ(text(ring->read(ids[i])), absl::StrCat("e", i));
      }
    }
    RingCursor cursor = RingCursor::from_counter(first);
    const PollResult r = poll(*ring, cursor);
    EXPECT_EQ(conformance::texts(r.frames), (std::vector<std::string>{"e2", "e3", "e4", "e5"}));
    EXPECT_EQ(r.loss, (Loss{2, 0}));
    EXPECT_EQ(r.from, first);
    EXPECT_EQ(r.to, first + 6);
  }
}

TYPED_TEST(SharedRing, CreateRefusesAFirstCounterPastTheMaximum) {
  const absl::StatusOr<std::unique_ptr<typename TestFixture::RingT>> ring =
      create_ring<typename TestFixture::Storage>(
          this->name_, RingSpec{4, kPayload}, TestFixture::options(),
          {.first_counter = RingOptions::kMaxFirstCounter + 1});
  ASSERT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument) << ring.status();
  EXPECT_NE(ring.status().message().find("first counter"), absl::string_view::npos);
  EXPECT_FALSE(std::filesystem::exists(this->path_of(this->name_))) << "nothing is created";
}

TYPED_TEST(SharedRing, AWriteWakesAWaiterOfAnotherProcess) {
  if constexpr (!WaitingRing<typename TestFixture::RingT>) {
    GTEST_SKIP() << TypeParam::name << " cannot wait for a counter";
  } else {
    this->check_wait_across_processes([](auto& ring) { conformance::put(ring, "awaited"); },
                                      WaitResult::kPublished);
  }
}

TYPED_TEST(SharedRing, AnAlertReachesAWaiterOfAnotherProcess) {
  if constexpr (!WaitingRing<typename TestFixture::RingT>) {
    GTEST_SKIP() << TypeParam::name << " cannot wait for a counter";
  } else {
    this->check_wait_across_processes([](auto& ring) { ring.alert(); }, WaitResult::kAlerted);
  }
}

}  // namespace
}  // namespace ringlab::shm::shared_ring_test
