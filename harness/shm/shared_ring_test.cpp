// The ring contract across processes: every shareable variant in POSIX shared
// memory (shm/shared_ring.hpp), with writers and readers in forked processes.
//
// Children report through a block of MAP_SHARED|MAP_ANONYMOUS memory mapped
// before the fork, or through their exit code. A child always leaves by
// _exit (never back into GoogleTest), gives up at its own deadline, runs
// under alarm() in case it hangs anyway, and is killed by the parent if it
// outlives the parent's deadline. Every test uses its own segment names
// (pid + variant + test) and unlinks them afterwards.
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "fork_util.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "stress_frame.hpp"
#include "test_util.hpp"

namespace ringlab::shm {
namespace {

using Clock = std::chrono::steady_clock;
using conformance::bytes;
using conformance::kNode;
using conformance::text;

constexpr std::uint8_t kKind = 5;
constexpr std::size_t kPayload = 16;
constexpr std::size_t kStressPayload = 48;

// Under ThreadSanitizer (GCC says so by __SANITIZE_THREAD__, clang by
// __has_feature) the same runs check fewer frames.
#if defined(__SANITIZE_THREAD__)
#define RINGLAB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RINGLAB_TSAN 1
#endif
#endif
#ifdef RINGLAB_TSAN
constexpr std::uint64_t kSlowdown = 8;
#else
constexpr std::uint64_t kSlowdown = 1;
#endif

// How long a child works before giving up; the parent waits a little longer,
// then kills what is left; alarm() ends a child whose parent is gone.
constexpr auto kChildLimit = std::chrono::seconds(20);
constexpr auto kReapLimit = kChildLimit + std::chrono::seconds(5);
constexpr unsigned kAlarmSeconds = 40;

// ---- Variants ---------------------------------------------------------------

template <class RingT, OverflowMode kMode = OverflowMode::kOverwrite>
struct Shared {
  using Ring = RingT;
  using Storage = typename RingT::storage_type;
  static constexpr bool kGated = kMode == OverflowMode::kGated;
  static typename RingT::StorageOptions options() {
    if constexpr (std::is_same_v<typename RingT::StorageOptions, DisruptorOptions>) {
      return DisruptorOptions{kMode};
    } else {
      return {};
    }
  }
};

struct Seqlock : Shared<SharedSeqlockRing> {
  static constexpr char kName[] = "Seqlock";
};
struct DisruptorSpin : Shared<SharedDisruptorRing<BusySpinWait>> {
  static constexpr char kName[] = "DisruptorSpin";
};
struct DisruptorYield : Shared<SharedDisruptorRing<YieldingWait>> {
  static constexpr char kName[] = "DisruptorYield";
};
// Yielding: a gated writer waits for readers, and this machine may have fewer
// cores than processes.
struct DisruptorGated : Shared<SharedDisruptorRing<YieldingWait>, OverflowMode::kGated> {
  static constexpr char kName[] = "DisruptorGated";
};
struct Rwlock : Shared<SharedRwlockRing> {
  static constexpr char kName[] = "Rwlock";
};

using Variants = ::testing::Types<Seqlock, DisruptorSpin, DisruptorYield, DisruptorGated, Rwlock>;

struct VariantName {
  template <class V>
  static std::string GetName(int) {
    return V::kName;
  }
};

template <class RingT>
constexpr bool kHasSequencer = requires(RingT& r) { r.storage().sequencer(); };

// ---- Children ---------------------------------------------------------------

using fork_util::require;
using fork_util::SharedBlock;

void require_ok(const absl::Status& s, absl::string_view what) {
  require(s.ok(), absl::StrCat(what, ": ", s.ToString()));
}

template <class Body>
pid_t spawn(Body&& body) {
  return fork_util::spawn(std::forward<Body>(body), kAlarmSeconds);
}

constexpr int kKilled = -1;  // killed by a signal, or by us at the deadline

// Each child's exit code, in order. A child still running at `deadline` is
// killed and reads kKilled.
std::vector<int> reap(const std::vector<pid_t>& children, Clock::time_point deadline) {
  std::vector<std::optional<int>> codes(children.size());
  for (std::size_t left = children.size(); left > 0 && Clock::now() < deadline;) {
    for (std::size_t i = 0; i < children.size(); ++i) {
      int status = 0;
      if (codes[i] || ::waitpid(children[i], &status, WNOHANG) != children[i]) continue;
      codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : kKilled;
      --left;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::vector<int> result;
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (!codes[i]) {
      ::kill(children[i], SIGKILL);
      ::waitpid(children[i], nullptr, 0);
    }
    result.push_back(codes[i].value_or(kKilled));
  }
  return result;
}

void expect_all_exited_cleanly(const std::vector<int>& codes) {
  for (std::size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(codes[i], 0) << "child " << i << " (exit 1: it failed and said why on stderr; "
                           << kKilled << ": killed or overran its deadline)";
  }
}

using fork_util::announce;
using fork_util::kAwait;

// Waits until `count` reaches `n`, or throws at the deadline.
void await(const std::atomic<int>& count, int n, Clock::time_point deadline, absl::string_view what) {
  while (count.load(kAwait) < n) {  // (X2)
    require(Clock::now() < deadline, absl::StrCat("timed out waiting for ", what));
    std::this_thread::yield();
  }
}

// The whole content of a file, to show that a refused attach wrote nothing.
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---- Stress frames ----------------------------------------------------------

// Fills `buffer` with the frame of counter c from `writer`; returns its bytes.
std::span<const std::byte> stress_frame(std::vector<std::byte>& buffer, std::uint32_t writer,
                                        std::uint64_t seq, std::uint64_t c) {
  const std::span<std::byte> frame(buffer.data(), stress::frame_size(writer, seq, buffer.size()));
  stress::fill_frame(frame, c, writer);
  return frame;
}

// A single writer: it knows the counter it gets next, so it can fill the frame
// before writing. A gated ring is retried until the deadline.
template <class RingT>
void write_next(RingT& ring, std::vector<std::byte>& buffer, std::uint64_t c,
                Clock::time_point deadline) {
  const std::span<const std::byte> frame = stress_frame(buffer, 0, c, c);
  absl::StatusOr<NetId64> id;
  if constexpr (requires { ring.try_write(NodeId(0), 0, 0, frame); }) {
    while (absl::IsResourceExhausted(
        (id = ring.try_write(NodeId(0), stress::frame_kind(c), stress::frame_ver(c), frame))
            .status())) {
      require(Clock::now() < deadline, absl::StrCat("gated write of ", c, " timed out"));
      std::this_thread::yield();
    }
  } else {
    id = ring.write(NodeId(0), stress::frame_kind(c), stress::frame_ver(c), frame);
  }
  require_ok(id.status(), "write");
  require(id->counter() == c, absl::StrCat("wrote counter ", id->counter(), ", expected ", c));
}

// One of several writers: the counter is known once claimed.
template <class RingT>
void claim_and_publish(RingT& ring, std::vector<std::byte>& buffer, std::uint32_t writer,
                       std::uint64_t seq) {
  const std::size_t size = stress::frame_size(writer, seq, buffer.size());
  absl::StatusOr<WriteTicket> ticket = ring.claim(NodeId(static_cast<std::uint16_t>(writer)), size);
  require_ok(ticket.status(), "claim");
  const std::uint64_t c = ticket->counter;
  const std::span<const std::byte> frame = stress_frame(buffer, writer, seq, c);
  require_ok(ring.publish(*ticket, stress::frame_kind(c), stress::frame_ver(c), frame), "publish");
}

// What a reader process found, for the parent to judge.
struct ReaderReport {
  std::uint64_t delivered = 0, overwritten = 0, unavailable = 0, moved = 0;
  std::uint64_t torn = 0, regressions = 0, inexact_polls = 0, slot_reads = 0;
  std::uint64_t start = 0;
  bool gate_registered = false;
  bool reached_end = false;
};

// A reader's walk: a GatedReader, registered in this process, on a gated ring;
// a plain cursor otherwise. Every delivered frame is checked.
template <class RingT>
class Walker {
 public:
  Walker(RingT& ring, bool gated, ReaderReport& report)
      : ring_(ring), buffer_(ring.make_buffer()), report_(report) {
    if constexpr (kHasSequencer<RingT>) {
      if (gated) {
        absl::StatusOr<GatedReader<RingT>> reader = GatedReader<RingT>::attach(ring);
        require_ok(reader.status(), "register a gate");
        gate_.emplace(*std::move(reader));
        report_.gate_registered = true;
      }
    }
    report_.start = next();
  }

  std::uint64_t next() const {
    if constexpr (kHasSequencer<RingT>) {
      if (gate_) return gate_->cursor().next_counter;
    }
    return cursor_.next_counter;
  }

  // One poll; false if it found nothing new.
  bool poll() {
    const auto check = [this](const FrameBuffer& f, std::uint64_t polled) { this->check(f, polled); };
    PollStats stats;
    if constexpr (kHasSequencer<RingT>) {
      stats = gate_ ? gate_->poll(buffer_, check) : poll_into(ring_, cursor_, buffer_, check);
    } else {
      stats = poll_into(ring_, cursor_, buffer_, check);
    }
    if (stats.delivered + stats.loss.total() != stats.to - stats.from) ++report_.inexact_polls;
    report_.delivered += stats.delivered;
    report_.overwritten += stats.loss.overwritten;
    report_.unavailable += stats.loss.unavailable;
    report_.moved += stats.to - stats.from;
    return stats.to != stats.from;
  }

  // Nothing new: waits on the barrier (which polls shared memory) where there
  // is one, or gives the processor away.
  void idle() {
    if constexpr (kHasSequencer<RingT>) {
      ring_.storage().barrier().wait_for(next(), std::chrono::milliseconds(1));
    } else {
      std::this_thread::yield();
    }
  }

 private:
  // Whole, the frame of the counter polled, and after the last one delivered.
  void check(const FrameBuffer& f, std::uint64_t polled) {
    const stress::Checked checked = stress::verify(f, kKind);
    if (!checked.whole) {
      ++report_.torn;
      return;
    }
    if (checked.counter != polled || checked.counter + 1 <= last_) ++report_.regressions;
    last_ = checked.counter + 1;
  }

  RingT& ring_;
  FrameBuffer buffer_;
  ReaderReport& report_;
  RingCursor cursor_;
  std::uint64_t last_ = 0;  // counter + 1 of the last frame delivered
  std::optional<gated_reader_or_t<RingT, std::monostate>> gate_;
};

// Reads every slot once: each frame whole, and no slot back to an older
// counter than it held before (`held`: counter + 1 per slot).
template <class RingT>
void watch_slots(const RingT& ring, FrameBuffer& buffer, std::vector<std::uint64_t>& held,
                 ReaderReport& report) {
  for (std::uint64_t slot = 0; slot < ring.capacity(); ++slot) {
    if (!ring.read_at(slot, buffer)) continue;
    ++report.slot_reads;
    const stress::Checked checked = stress::verify(buffer, kKind);
    if (!checked.whole) {
      ++report.torn;
      continue;
    }
    if (checked.counter + 1 < held[slot]) ++report.regressions;
    held[slot] = checked.counter + 1;
  }
}

void expect_clean(const ReaderReport& r) {
  EXPECT_EQ(r.torn, 0u);
  EXPECT_EQ(r.regressions, 0u);
  EXPECT_EQ(r.inexact_polls, 0u);
  EXPECT_EQ(r.unavailable, 0u) << "nothing is abandoned: all loss is a later lap's";
  EXPECT_EQ(r.delivered + r.overwritten + r.unavailable, r.moved);
}

// Ids a child wrote, for the parent to read by.
struct WrittenIds {
  std::uint64_t count = 0;
  std::uint64_t raw[16] = {};
  std::vector<NetId64> ids() const {
    std::vector<NetId64> out;
    for (std::uint64_t i = 0; i < count; ++i) out.push_back(NetId64::from_raw(raw[i]));
    return out;
  }
};

template <class RingT>
void put_all(RingT& ring, WrittenIds& out, std::initializer_list<std::string_view> payloads) {
  for (std::string_view p : payloads) {
    require(out.count < std::size(out.raw), "too many ids to report");
    absl::StatusOr<NetId64> id = ring.write(kNode, 0, 0, bytes(p));
    require_ok(id.status(), "write");
    out.raw[out.count++] = id->raw();
  }
}

// ---- The fixture -------------------------------------------------------------

template <class V>
class SharedRing : public ::testing::Test {
 protected:
  using RingT = typename V::Ring;
  using Storage = typename RingT::storage_type;

  void SetUp() override { name_ = name_for(""); }
  void TearDown() override {
    for (const SegmentName& n : used_) (void)Segment::unlink(n);
  }

  // "t<pid>-<variant>-<test>[-suffix]", unique to this process and test.
  SegmentName name_for(absl::string_view suffix, std::uint8_t kind = kKind) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string fleet = absl::StrCat("t", ::getpid(), "-", V::kName, "-", info->name());
    for (char& c : fleet) {
      if (!detail::is_name_char(c)) c = '_';
    }
    fleet = fleet.substr(0, kMaxNamePart - 1 - suffix.size());
    if (!suffix.empty()) fleet = absl::StrCat(fleet, "-", suffix);
    SegmentName name{fleet, kind, ""};
    (void)Segment::unlink(name);  // a leftover of an earlier run that crashed
    used_.push_back(name);
    return name;
  }
  static std::string path_of(const SegmentName& name) { return detail::object_path(*shm_name(name)); }

  std::unique_ptr<RingT> create(const RingSpec& spec, const SegmentName& name) const {
    auto ring = create_ring<Storage>(name, spec, V::options());
    if (!ring.ok()) throw std::runtime_error("create_ring: " + ring.status().ToString());
    return *std::move(ring);
  }
  std::unique_ptr<RingT> create(const RingSpec& spec) const { return create(spec, name_); }

  // The ring of name_, attached in this (child) process.
  std::unique_ptr<RingT> attach(const RingSpec& spec) const {
    auto ring = attach_ring<Storage>(name_, spec, V::options());
    require_ok(ring.status(), "attach_ring");
    return *std::move(ring);
  }

  static Clock::time_point child_deadline() { return Clock::now() + kChildLimit; }
  static Clock::time_point reap_deadline() { return Clock::now() + kReapLimit; }

  // Runs body(ring) in a child attached to name_ and waits for it.
  template <class Body>
  void in_child(const RingSpec& spec, Body body) {
    const pid_t child = spawn([&] {
      const std::unique_ptr<RingT> ring = attach(spec);
      body(*ring);
    });
    expect_all_exited_cleanly(reap({child}, reap_deadline()));
  }

  // The ids of `payloads`, written in this order by a child process.
  std::vector<NetId64> written_by_child(const RingSpec& spec,
                                        std::initializer_list<std::string_view> payloads) {
    SharedBlock<WrittenIds> written;
    in_child(spec, [&](auto& child) { put_all(child, *written, payloads); });
    return written->ids();
  }

  SegmentName name_;

 private:
  std::vector<SegmentName> used_;
};

TYPED_TEST_SUITE(SharedRing, Variants, VariantName);

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
      Walker<RingT> walker(*mine, TypeParam::kGated, board->readers[r]);
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
    const std::unique_ptr<RingT> mine = this->attach(spec);
    std::vector<std::byte> buffer(spec.payload_capacity);
    await(board->readers_ready, kReaders, deadline, "the readers");
    for (std::uint64_t c = 0; c < kFrames; ++c) write_next(*mine, buffer, c, deadline);
    board->written = kFrames;
  }));
  expect_all_exited_cleanly(reap(children, this->reap_deadline()));

  EXPECT_EQ(board->written, kFrames);
  EXPECT_EQ(ring->head(), kFrames);
  for (int r = 0; r < kReaders; ++r) {
    SCOPED_TRACE(absl::StrCat("reader ", r));
    const ReaderReport& report = board->readers[r];
    EXPECT_TRUE(report.reached_end);
    expect_clean(report);
    EXPECT_EQ(report.start, 0u);
    EXPECT_EQ(report.moved, kFrames);
    EXPECT_GT(report.delivered, 0u);
    if (TypeParam::kGated) {
      EXPECT_TRUE(report.gate_registered);
      EXPECT_EQ(report.overwritten, 0u) << "a gated reader loses nothing";
      EXPECT_EQ(report.delivered, kFrames);
    }
  }
}

// ---- Lapped writers across processes ----------------------------------------

struct LappedBoard {
  std::atomic<int> readers_ready{0};  // (X1)/(X2): writers start once the reader is
  std::atomic<int> writers_done{0};   // (X1)/(X2): the reader stops once both are
  ReaderReport reader;
};

TYPED_TEST(SharedRing, LappedWriterProcesses) {
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
          claim_and_publish(*mine, buffer, static_cast<std::uint32_t>(w), seq);
        }
        announce(board->writers_done);
      }));
    }
    expect_all_exited_cleanly(reap(children, this->reap_deadline()));

    const ReaderReport& report = board->reader;
    EXPECT_TRUE(report.reached_end);
    expect_clean(report);
    EXPECT_EQ(report.moved, kWriters * kFramesPerWriter);
    EXPECT_GT(report.slot_reads, 0u);
    EXPECT_EQ(ring->head(), kWriters * kFramesPerWriter);
  }
}

// ---- Attach and open_or_create ----------------------------------------------

template <class Storage>
struct OtherVariant {
  using type = SeqlockStorage<StdSync>;
};
template <>
struct OtherVariant<SeqlockStorage<StdSync>> {
  using type = RwlockStorage<ProcessSharedSync>;
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
  auto ring = this->create(spec);
  conformance::put(*ring, "kept");
  const std::string before = file_bytes(this->path_of(this->name_));
  ASSERT_FALSE(before.empty());
  const auto unchanged = [&] { EXPECT_EQ(file_bytes(this->path_of(this->name_)), before); };

  expect_names_field(attach_ring<Storage>(this->name_, {16, kPayload}, TypeParam::options()).status(),
                     "capacity");
  unchanged();
  expect_names_field(
      attach_ring<Storage>(this->name_, {8, kPayload + 8}, TypeParam::options()).status(),
      "payload capacity");
  unchanged();
  using Other = typename OtherVariant<Storage>::type;
  expect_names_field(attach_ring<Other>(this->name_, spec).status(), "variant");
  unchanged();
  if constexpr (std::is_same_v<typename Storage::Options, DisruptorOptions>) {
    const DisruptorOptions flipped{TypeParam::kGated ? OverflowMode::kOverwrite
                                                     : OverflowMode::kGated};
    expect_names_field(attach_ring<Storage>(this->name_, spec, flipped).status(), "overflow mode");
    unchanged();
  }
  // The name carries the kind: the same object under another kind's name.
  const SegmentName renamed = this->name_for("renamed", kKind + 1);
  ASSERT_EQ(::link(this->path_of(this->name_).c_str(), this->path_of(renamed).c_str()), 0);
  expect_names_field(attach_ring<Storage>(renamed, spec, TypeParam::options()).status(), "kind");
  unchanged();

  // And the right spec still attaches, to the same frames.
  auto again = attach_ring<Storage>(this->name_, spec, TypeParam::options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(text((*again)->read_head()), "kept");
}

TYPED_TEST(SharedRing, AttachNeverCreates) {
  using Storage = typename TestFixture::Storage;
  const absl::Status s =
      attach_ring<Storage>(this->name_, {8, kPayload}, TypeParam::options()).status();
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
  using Storage = typename TestFixture::Storage;
  const RingSpec spec{8, kPayload};
  SharedBlock<RaceBoard> board;
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    children.push_back(spawn([&, i] {
      const Clock::time_point deadline = this->child_deadline();
      await(board->go, 1, deadline, "the start");
      bool created = false;
      auto ring = open_or_create_ring<Storage>(this->name_, spec, TypeParam::options(), {},
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
  expect_all_exited_cleanly(reap(children, this->reap_deadline()));

  EXPECT_EQ(board->created[0] + board->created[1], 1) << "exactly one creator";
  EXPECT_TRUE(board->read_other[0]);
  EXPECT_TRUE(board->read_other[1]);
  auto ring = attach_ring<Storage>(this->name_, spec, TypeParam::options());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->head(), 2u);
}

}  // namespace
}  // namespace ringlab::shm
