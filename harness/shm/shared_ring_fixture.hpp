// The fixture of shared_ring_test.cpp and what its children do: every
// shareable variant of the registry (common/variants.hpp) in POSIX shared
// memory, with writers and readers in forked processes.
//
// Children report through a SharedBlock mapped before the fork, or through
// their exit status. A child always leaves by _exit (never back into
// GoogleTest), gives up at its own deadline, runs under alarm() in case it
// hangs anyway, and is killed by the parent if it outlives the parent's
// deadline. Every test uses its own segment names (pid + variant + test) and
// unlinks them afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/gtest_variants.hpp"
#include "common/stress_frame.hpp"
#include "common/tally.hpp"
#include "shm_test_util.hpp"
#include "gtest/gtest.h"
#include "ringlab/shm/shared_ring.hpp"
#include "test_util.hpp"

namespace ringlab::shm::shared_ring_test {

using Clock = std::chrono::steady_clock;
using conformance::bytes;
using conformance::kNode;
using conformance::text;
using test_util::announce;
using test_util::kAwait;
using test_util::require;
using test_util::SharedBlock;

inline constexpr std::uint8_t kKind = 5;
inline constexpr std::size_t kPayload = 16;
inline constexpr std::size_t kStressPayload = 48;

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
inline constexpr std::uint64_t kSlowdown = 8;
#else
inline constexpr std::uint64_t kSlowdown = 1;
#endif

// How long a child works before giving up; the parent waits a little longer,
// then kills what is left; alarm() ends a child whose parent is gone.
inline constexpr auto kChildLimit = std::chrono::seconds(20);
inline constexpr auto kReapLimit = kChildLimit + std::chrono::seconds(5);
inline constexpr unsigned kAlarmSeconds = 40;

// ---- Children ---------------------------------------------------------------

inline void require_ok(const absl::Status& s, absl::string_view what) {
  require(s.ok(), absl::StrCat(what, ": ", s.ToString()));
}

template <class Body>
pid_t spawn(Body&& body) {
  return harness::spawn_child(std::forward<Body>(body), kAlarmSeconds);
}

inline void expect_all_exited_cleanly(const std::vector<harness::Exit>& exits) {
  for (std::size_t i = 0; i < exits.size(); ++i) {
    EXPECT_TRUE(exits[i].clean()) << "child " << i << " " << exits[i].describe();
  }
}

// Waits until `count` reaches `n`, or throws at the deadline.
inline void await(const std::atomic<int>& count, int n, Clock::time_point deadline,
                  absl::string_view what) {
  while (count.load(kAwait) < n) {  // (X2)
    require(Clock::now() < deadline, absl::StrCat("timed out waiting for ", what));
    std::this_thread::yield();
  }
}

// The whole content of a file, to show that a refused attach wrote nothing.
inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---- Stress frames ----------------------------------------------------------

// Fills `buffer` with the frame of counter c from `writer`; returns its bytes.
inline std::span<const std::byte> stress_frame(std::vector<std::byte>& buffer,
                                               std::uint32_t writer, std::uint64_t seq,
                                               std::uint64_t c) {
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
  harness::PollTally polls;
  stress::CursorJudge frames;
  stress::SlotJudge slots;
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
    if constexpr (kGates) {
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
    if constexpr (kGates) {
      if (gate_) return gate_->cursor().next_counter;
    }
    return cursor_.next_counter;
  }

  // One poll; false if it found nothing new.
  bool poll() {
    const auto check = [this](const FrameBuffer& f, std::uint64_t polled) {
      report_.frames(f, polled, kKind);
    };
    PollStats stats;
    if constexpr (kGates) {
      stats = gate_ ? gate_->poll(buffer_, check) : poll_into(ring_, cursor_, buffer_, check);
    } else {
      stats = poll_into(ring_, cursor_, buffer_, check);
    }
    report_.polls.add(stats);
    return stats.to != stats.from;
  }

  // Nothing new: waits for the next counter (polling shared memory) where the
  // ring can, or gives the processor away. A gated reader whose wait spins
  // gives it away too: the writer it would spin against is waiting for it,
  // and with more processes than cores only the scheduler's tick would let
  // the writer run.
  void idle() {
    if constexpr (WaitingRing<RingT>) {
      if (!(gated() && kSpins)) {
        ring_.wait_for(next(), std::chrono::milliseconds(1));
        return;
      }
    }
    std::this_thread::yield();
  }

 private:
  static constexpr bool kGates = GatingRing<RingT> && WaitingRing<RingT>;
  static constexpr bool kSpins =
      harness::wait_strategy_of<typename RingT::storage_type>() == "busy-spin";

  bool gated() const {
    if constexpr (kGates) return gate_.has_value();
    return false;
  }

  RingT& ring_;
  FrameBuffer buffer_;
  ReaderReport& report_;
  RingCursor cursor_;
  std::optional<gated_reader_or_t<RingT, std::monostate>> gate_;
};

// Reads every slot once; `held`: counter + 1 per slot (stress::SlotJudge).
template <class RingT>
void watch_slots(const RingT& ring, FrameBuffer& buffer, std::vector<std::uint64_t>& held,
                 ReaderReport& report) {
  for (std::uint64_t slot = 0; slot < ring.capacity(); ++slot) {
    if (ring.read_at(slot, buffer)) report.slots(buffer, held[slot], kKind);
  }
}

inline void expect_clean(const ReaderReport& r) {
  EXPECT_EQ(r.frames.torn + r.slots.torn, 0u);
  EXPECT_EQ(r.frames.regressions + r.slots.regressions, 0u);
  EXPECT_TRUE(r.polls.adds_up()) << r.polls.inexact_polls << " inexact polls";
  EXPECT_EQ(r.polls.loss.unavailable, 0u) << "nothing is abandoned: all loss is a later lap's";
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

// What a waiting child saw.
struct WaitReport {
  std::atomic<int> waiting{0};  // (X1)/(X2): announced just before the wait
  int result = -1;              // a WaitResult
  double waited_ms = 0;
};

// ---- The fixture -------------------------------------------------------------

template <class V>
class SharedRing : public harness::VariantTest<V> {
 protected:
  using RingT = typename V::shared_ring;
  using Storage = typename RingT::storage_type;
  static constexpr bool kGated = V::lossless;

  static auto options() { return V::shared_options(); }

  void SetUp() override { name_ = name_for(""); }
  void TearDown() override {
    for (const SegmentName& n : used_) (void)Segment::unlink(n);
  }

  // "t<pid>-<variant>-<test>[-suffix]", unique to this process and test.
  SegmentName name_for(std::string_view suffix, std::uint8_t kind = kKind) {
    used_.push_back(test_util::segment_name_for_test(
        absl::StrCat("t", ::getpid(), "-", std::string(V::name)), suffix, kind));
    return used_.back();
  }
  static std::string path_of(const SegmentName& name) {
    return detail::object_path(*shm_name(name));
  }

  // `role` matters to a single-writer ring only: its writer process takes the
  // ring's writer lease, and readers cannot write. A many-writer ring is
  // every process's to write.
  std::unique_ptr<RingT> create(const RingSpec& spec, RingRole role = RingRole::kReader,
                                std::uint64_t first_counter = 0) const {
    auto ring =
        create_ring<Storage>(name_, spec, options(), {.role = role, .first_counter = first_counter});
    if (!ring.ok()) throw std::runtime_error("create_ring: " + ring.status().ToString());
    return *std::move(ring);
  }

  // The ring of name_, attached in this (child) process.
  std::unique_ptr<RingT> attach(const RingSpec& spec, RingRole role = RingRole::kReader) const {
    auto ring = attach_ring<Storage>(name_, spec, options(), {.role = role});
    require_ok(ring.status(), absl::StrCat("attach_ring as ", to_string(role)));
    return *std::move(ring);
  }

  // Makes this process the ring's writer, once the last writer process has
  // given the lease back.
  static void become_writer(RingT& ring) {
    if constexpr (RingT::kSingleWriter) {
      const absl::Status taken = ring.take_writer_lease();
      ASSERT_TRUE(taken.ok()) << taken;
    }
  }

  static Clock::time_point child_deadline() { return Clock::now() + kChildLimit; }
  static Clock::time_point reap_deadline() { return Clock::now() + kReapLimit; }

  // Runs body(ring) in a child attached to name_ as its writer, and waits for it.
  template <class Body>
  void in_child(const RingSpec& spec, Body body) {
    const pid_t child = spawn([&] {
      const std::unique_ptr<RingT> ring = attach(spec, RingRole::kWriter);
      body(*ring);
    });
    expect_all_exited_cleanly(harness::reap_all({child}, reap_deadline()));
  }

  // The ids of `payloads`, written in this order by a child process.
  std::vector<NetId64> written_by_child(const RingSpec& spec,
                                        std::initializer_list<std::string_view> payloads) {
    SharedBlock<WrittenIds> written;
    in_child(spec, [&](auto& child) { put_all(child, *written, payloads); });
    return written->ids();
  }

  // A reader process waits on the next counter of a ring created near 2^40;
  // wake(ring), in this process, writes it or alerts. The wait must end with
  // `expected` long before its 10 s timeout, whatever the wait strategy: the
  // blocking one sleeps on the segment's futex, which this commit or alert wakes.
  template <class Wake>
  void check_wait_across_processes(Wake wake, WaitResult expected) {
    const RingSpec spec{8, kPayload};
    auto ring = create(spec, RingRole::kWriter, (std::uint64_t{1} << 40) - 1);
    const std::uint64_t next = ring->head();
    SharedBlock<WaitReport> report;
    const pid_t child = spawn([&] {
      const std::unique_ptr<RingT> reader = attach(spec);
      announce(report->waiting);  // (X1)
      const auto start = Clock::now();
      report->result = static_cast<int>(reader->wait_for(next, std::chrono::seconds(10)));
      report->waited_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    });
    await(report->waiting, 1, Clock::now() + kChildLimit, "the waiting child");
    // Long enough that a blocking waiter is asleep on the futex by now.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    wake(*ring);
    expect_all_exited_cleanly(harness::reap_all({child}, reap_deadline()));
    EXPECT_EQ(report->result, static_cast<int>(expected));
    EXPECT_LT(report->waited_ms, 5000.0) << "woken by the timeout, not by this process";
  }

  SegmentName name_;

 private:
  std::vector<SegmentName> used_;
};

}  // namespace ringlab::shm::shared_ring_test
