// The soak of one variant: a ring in POSIX shared memory, writer and reader
// processes forked onto it, each SIGKILLed at a random moment of a short life
// and replaced at once, for the variant's share of the run. The parent judges
// from the seats (board.hpp) of the processes it reaps, and watches the ring's
// progress: the longest time no reader saw a new frame while writers were
// alive, and (through a watcher process, roles.hpp) the longest a claimed
// counter stayed Pending; neither may pass the progress bound. The parent
// itself reads nothing of the ring but its head, so it never blocks on it.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "board.hpp"
#include "common/children.hpp"
#include "common/shared_block.hpp"
#include "figures.hpp"
#include "roles.hpp"

namespace ringlab::soak {

// How long a process lives before it is killed, in milliseconds: short, so
// that a minute starts thousands of processes. Readers live longer, so that
// most of their polls deliver frames rather than set up.
inline constexpr int kWriterLifeMs[2] = {2, 25};
inline constexpr int kReaderLifeMs[2] = {5, 60};
// Failures kept per variant (later ones are counted only).
inline constexpr std::size_t kMaxFailures = 8;

struct Plan {
  double seconds = 0;         // this variant's share
  double progress_bound = 0;  // seconds
  std::uint64_t serial = 0;   // names this run's segments apart from others'
};

// How a child that ended by itself ended: the reason it left in its seat, or
// what waitpid says.
inline std::string why_ended(const harness::Exit& exit, const Seat& seat) {
  const std::string_view reason = seat.reason();
  return reason.empty() ? exit.describe() : absl::StrCat("gave up: ", std::string(reason));
}

template <class V>
class VariantSoak {
  struct Child {
    pid_t pid = 0;
    bool writer = false;
    Seat* seat = nullptr;
    std::int64_t dies_ns = 0;
  };

 public:
  VariantSoak(const Plan& plan, std::mt19937_64& random) : plan_(plan), random_(random) {
    figures_.variant = std::string(V::name);
    figures_.single_writer = V::single_writer;
    name_ = shm::SegmentName{
        absl::StrCat("soak", ::getpid(), "-", plan.serial, "-", std::string(V::name)), kKind, ""};
  }

  Figures run() {
    using Storage = typename V::shared_ring::storage_type;
    (void)shm::Segment::unlink(name_);
    auto ring = shm::create_ring<Storage>(name_, kSpec, V::shared_options(),
                                          {.first_counter = kFirstCounter});
    if (!ring.ok()) {
      fail(absl::StrCat("create_ring: ", ring.status().ToString()));
      return figures_;
    }
    ring_ = ring->get();
    const std::int64_t start = monotonic_ns();
    const std::int64_t end = start + static_cast<std::int64_t>(plan_.seconds * 1e9);
    last_new_ns_ = start;
    std::int64_t next_report = start + 1'000'000'000;
    for (std::size_t i = 0; i < (V::single_writer ? 1 : kMaxWriters); ++i) {
      children_.push_back(Child{0, true, &board_->writers[i], 0});
    }
    for (std::size_t i = 0; i < kMaxReaders; ++i) {
      children_.push_back(Child{0, false, &board_->readers[i], 0});
    }
    start_watcher();
    for (std::int64_t now = start; now < end && !stopped_; now = monotonic_ns()) {
      for (Child& child : children_) tend(child, now);
      watch_progress(monotonic_ns());
      watch_watcher(monotonic_ns());
      if (now >= next_report) {
        report_progress(now - start, ring_->head());
        next_report += 1'000'000'000;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    for (Child& child : children_) {
      if (child.pid != 0) end_child(child);
    }
    watch_progress(monotonic_ns());
    if (watcher_ != 0) {
      watch_watcher(monotonic_ns());
      if (watcher_ != 0) harness::kill_and_reap(watcher_);
    }
    figures_.seconds = static_cast<double>(monotonic_ns() - start) / 1e9;
    (void)shm::Segment::unlink(name_);
    return figures_;
  }

 private:
  void fail(std::string why) {
    if (figures_.failures.size() < kMaxFailures) {
      figures_.failures.push_back(std::move(why));
    } else if (figures_.failures.size() == kMaxFailures) {
      figures_.failures.push_back("(later failures not shown)");
    }
  }

  // Starts the seat's process, or kills it when its time is up, or collects
  // it if it ended by itself (it gave up: its seat says why).
  void tend(Child& child, std::int64_t now) {
    if (child.pid == 0) {
      start(child, now);
      return;
    }
    harness::Exit exit;
    if (harness::ended(child.pid, exit)) {
      fail(absl::StrCat(child.writer ? "a writer " : "a reader ", why_ended(exit, *child.seat)));
      collect(child);
      return;
    }
    if (now >= child.dies_ns) end_child(child);
  }

  void start(Child& child, std::int64_t now) {
    child.seat->clear();
    const std::uint16_t node = static_cast<std::uint16_t>(1 + figures_.processes_started % 65535);
    Seat& seat = *child.seat;
    const shm::SegmentName& name = name_;
    const bool writer = child.writer;
    const unsigned alarm_s = static_cast<unsigned>(plan_.seconds) + 60;
    child.pid = harness::spawn_child(
        [&] {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphans if the parent dies
          if (writer) writer_main<V>(name, seat, node);
          reader_main<V>(name, seat);
        },
        alarm_s);
    ++figures_.processes_started;
    const int* life = child.writer ? kWriterLifeMs : kReaderLifeMs;
    const std::int64_t ms = std::uniform_int_distribution<int>(life[0], life[1])(random_);
    child.dies_ns = now + ms * 1'000'000;
  }

  // The watcher lives as long as the variant's soak, and is never killed before.
  void start_watcher() {
    const shm::SegmentName& name = name_;
    Seat& seat = board_->watcher;
    const auto bound = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(plan_.progress_bound));
    watcher_started_ns_ = monotonic_ns();
    watcher_ = harness::spawn_child(
        [&] {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          watcher_main<V>(name, seat, bound);
        },
        static_cast<unsigned>(plan_.seconds) + 60);
  }

  // Kills the child wherever it is (SIGKILL) and collects it.
  void end_child(Child& child) {
    harness::kill_and_reap(child.pid);
    ++(child.writer ? figures_.writer_kills : figures_.reader_kills);
    if (child.writer) writer_kills_ns_.push_back(monotonic_ns());
    collect(child);
  }

  // A reaped child's account, added to the variant's.
  void collect(Child& child) {
    const Seat& seat = *child.seat;
    if (child.writer) {
      figures_.frames_written += seat.written.load();
      if (seat.took_over.load() != 0) ++figures_.recoveries;
    } else {
      const ReaderTally t = seat.last_snapshot();
      ++figures_.reader_lifetimes;
      if (!t.polls.adds_up()) ++figures_.inexact_lifetimes;
      figures_.frames_checked += t.polls.delivered;
      figures_.loss += t.polls.loss;
      figures_.torn += t.frames.torn;
      figures_.misordered += t.frames.regressions;
      last_new_ns_ = std::max(last_new_ns_, seat.last_new_ns.load());
    }
    child.pid = 0;
  }

  // The stall so far, and the writer kills after which new frames came.
  void watch_progress(std::int64_t now) {
    for (const Child& child : children_) {
      if (!child.writer && child.pid != 0) {
        last_new_ns_ = std::max(last_new_ns_, child.seat->last_new_ns.load());
      }
    }
    if (!V::single_writer) {
      const auto resumed = std::remove_if(writer_kills_ns_.begin(), writer_kills_ns_.end(),
                                          [&](std::int64_t t) { return t < last_new_ns_; });
      figures_.recoveries += static_cast<std::uint64_t>(writer_kills_ns_.end() - resumed);
      writer_kills_ns_.erase(resumed, writer_kills_ns_.end());
    }
    const double stall_ms = static_cast<double>(now - last_new_ns_) / 1e6;
    figures_.longest_stall_ms = std::max(figures_.longest_stall_ms, stall_ms);
    if (stall_ms > plan_.progress_bound * 1e3 && !stopped_) {
      stop(absl::StrCat("no reader saw a new frame for ", static_cast<int>(stall_ms),
                        " ms while writers were alive"));
    }
  }

  // The watcher (roles.hpp) must finish a look at the last lap at least once
  // per progress bound; it ends by itself when a counter stays Pending too long.
  void watch_watcher(std::int64_t now) {
    const Seat& seat = board_->watcher;
    figures_.longest_pending_ms =
        std::max(figures_.longest_pending_ms, static_cast<double>(seat.written.load()) / 1e3);
    harness::Exit exit;
    if (harness::ended(watcher_, exit)) {
      watcher_ = 0;
      stop(absl::StrCat("the watcher ", why_ended(exit, seat)));
      return;
    }
    const std::int64_t since = std::max(seat.last_new_ns.load(), watcher_started_ns_);
    if (static_cast<double>(now - since) > plan_.progress_bound * 1e9 && !stopped_) {
      stop(absl::StrCat("the watcher's look at the last lap has not finished for ",
                        (now - since) / 1'000'000, " ms (a slot lock that a killed process held blocks it)"));
    }
  }

  void stop(const std::string& why) {
    fail(absl::StrCat("recovery stopped: ", why, " (after ", figures_.processes_started,
                      " process starts, ", figures_.writer_kills, " writer kills)"));
    stopped_ = true;
  }

  void report_progress(std::int64_t elapsed_ns, std::uint64_t head) const {
    std::fprintf(stderr,
                 "[soak] %s %.0f/%.0f s: %llu processes, head %llu, %llu frames checked, "
                 "torn %llu, longest stall %.0f ms\n",
                 figures_.variant.c_str(), static_cast<double>(elapsed_ns) / 1e9, plan_.seconds,
                 static_cast<unsigned long long>(figures_.processes_started),
                 static_cast<unsigned long long>(head),
                 static_cast<unsigned long long>(figures_.frames_checked),
                 static_cast<unsigned long long>(figures_.torn), figures_.longest_stall_ms);
  }

  const Plan plan_;
  std::mt19937_64& random_;
  shm::SegmentName name_;
  harness::SharedBlock<Board> board_;
  std::vector<Child> children_;
  std::vector<std::int64_t> writer_kills_ns_;
  typename V::shared_ring* ring_ = nullptr;
  pid_t watcher_ = 0;
  std::int64_t watcher_started_ns_ = 0;
  std::int64_t last_new_ns_ = 0;
  bool stopped_ = false;
  Figures figures_;
};

}  // namespace ringlab::soak
