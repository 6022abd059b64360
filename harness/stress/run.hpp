// A stress run: its roles on threads of this process over one ring, or (with
// --processes) each in a forked process attached to one ring in POSIX shared
// memory; the board in memory they all share; the judgement when they stop.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "board.hpp"
#include "common/variants.hpp"
#include "common/children.hpp"
#include "common/crew.hpp"
#include "common/shared_block.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "preempted.hpp"
#include "roles.hpp"

namespace ringlab::stress {

// The members of one side of a run (the writers, or the readers): threads
// over this process's ring, or, when `attach` is set, forked processes each
// over its own attachment.
template <class RingT>
class Members {
 public:
  using Role = std::function<void(RingT&)>;
  using Attach = std::function<std::unique_ptr<RingT>()>;

  Members(RingT& ring, Attach attach, unsigned alarm_seconds)
      : ring_(ring), attach_(std::move(attach)), alarm_seconds_(alarm_seconds) {}
  Members(const Members&) = delete;
  Members& operator=(const Members&) = delete;
  ~Members() { (void)join(Clock::now()); }

  void spawn(Role role) {
    if (!attach_) {
      threads_.spawn(threads_spawned_++, [this, role = std::move(role)](std::size_t,
                                                                         const harness::Crew&) {
        role(ring_);
      });
      return;
    }
    try {
      children_.push_back(harness::spawn_child(
          [&] {
            const std::unique_ptr<RingT> ring = attach_();
            harness::require(ring != nullptr, "cannot attach to the ring");
            role(*ring);
          },
          alarm_seconds_));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ringlab_stress: %s\n", e.what());
      ++failed_;
    }
  }

  // The threads start at once; processes started when they were spawned.
  void start() { threads_.start(); }

  // Waits for every member. Processes still running at `deadline` are killed;
  // they, and processes that exited non-zero or by a signal, count as failed.
  // Threads cannot be killed: a hung one meets ctest's timeout instead.
  std::uint64_t join(Clock::time_point deadline) {
    threads_.stop_and_join();
    for (const harness::Exit& exit : harness::reap_all(children_, deadline)) {
      if (exit.clean()) continue;
      std::fprintf(stderr, "ringlab_stress: a role's process %s\n", exit.describe().c_str());
      ++failed_;
    }
    children_.clear();
    return std::exchange(failed_, 0);
  }

 private:
  RingT& ring_;
  const Attach attach_;
  const unsigned alarm_seconds_;
  harness::Crew threads_;
  std::size_t threads_spawned_ = 0;
  std::vector<pid_t> children_;
  std::uint64_t failed_ = 0;
};

template <class RingT>
class StressRun {
 public:
  // How a forked member attaches: as a writer or a reader, which matters to a
  // single-writer ring (its writer takes the ring's writer lease).
  using AttachAs = std::function<std::unique_ptr<RingT>(shm::RingRole)>;

  StressRun(const Config& config, RingT& ring, AttachAs attach = {})
      : config_(config), ring_(ring), attach_(std::move(attach)) {}

  Result run() {
    Result result;
    const auto start = Clock::now();
    const unsigned alarm_seconds = static_cast<unsigned>(config_.max_seconds) + 120;
    Members<RingT> readers(ring_, attach_as(shm::RingRole::kReader), alarm_seconds);
    Members<RingT> writers(ring_, attach_as(shm::RingRole::kWriter), alarm_seconds);
    const auto cursors = static_cast<std::size_t>(config_.readers);
    for (std::size_t r = 0; r < cursors; ++r) readers.spawn(role(&Roles<RingT>::read, r));
    for (std::size_t r = cursors; r < cursors + static_cast<std::size_t>(config_.watchers); ++r) {
      readers.spawn(role(&Roles<RingT>::watch, r));
    }
    readers.start();
    if (readers_ready()) {
      for (std::size_t w = 0; w < static_cast<std::size_t>(config_.writers); ++w) {
        writers.spawn(role(&Roles<RingT>::write, w));
      }
      writers.start();
      result.min_reached = monitor(start);
    } else {
      std::printf("the readers were not ready within %lld s\n",
                  static_cast<long long>(kSetupLimit.count()));
      ++result.failed_roles;
    }
    board_->stop_writers.store(true, kStopWriters);  // (S1)
    result.failed_roles += writers.join(Clock::now() + kDrainLimit);
    board_->writers_done_at = Clock::now();
    board_->writers_done.store(true, kWritersDone);  // (S3)
    // Wakes every waiting reader, those of other processes too (the alert
    // flag is the region's); a reader not waiting sees writers_done.
    if constexpr (WaitingRing<RingT>) ring_.alert();
    result.failed_roles += readers.join(Clock::now() + kDrainLimit + 2 * kWaitTimeout);
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return tally(result);
  }

 private:
  template <class Body>
  typename Members<RingT>::Role role(Body body, std::size_t index) const {
    return [this, body, index](RingT& ring) {
      Roles<RingT> roles(config_, ring, *board_);
      (roles.*body)(index);
    };
  }

  typename Members<RingT>::Attach attach_as(shm::RingRole role) const {
    if (!attach_) return {};
    return [attach = attach_, role] { return attach(role); };
  }

  bool readers_ready() const {
    const auto deadline = Clock::now() + kSetupLimit;
    while (board_->readers_ready.load(kAwaitReaders) < config_.readers) {  // (S8)
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // Reports progress until min_frames are checked (true) or time is up.
  bool monitor(Clock::time_point start) const {
    double last_report = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::uint64_t checked = 0;
      for (const auto& t : board_->readers) checked += t.checked.load(kCount);  // (S9)
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed - last_report >= 5) {
        last_report = elapsed;
        std::printf("  [%s] %.1f s: %.3g frames checked (%.0f%% of %.3g)\n",
                    config_.variant.c_str(), elapsed, double(checked),
                    100.0 * double(checked) / double(config_.min_frames),
                    double(config_.min_frames));
        std::fflush(stdout);
      }
      if (checked >= config_.min_frames) return true;
      if (elapsed >= config_.max_seconds) return false;
    }
  }

  Result tally(Result result) const {
    result.head = ring_.head();
    for (const auto& t : board_->writers) {
      result.written += t.written;
      result.lost_wakeups += t.lost_wakeups;
    }
    const std::size_t roles = static_cast<std::size_t>(config_.readers + config_.watchers);
    for (std::size_t r = 0; r < roles; ++r) {
      const ReaderTally& t = board_->readers[r];
      result.frames_checked += t.checked.load(kCount);  // (S9)
      result.delivered += t.polls.delivered;
      result.overwritten += t.polls.loss.overwritten;
      result.unavailable += t.polls.loss.unavailable;
      result.torn += t.frames.torn + t.slots.torn;
      result.regressions += t.frames.regressions + t.slots.regressions;
      result.inexact_polls += t.polls.inexact_polls;
      result.lost_wakeups += t.lost_wakeups;
      result.waits += t.waits;
      result.slot_reads += t.slots.slot_reads;
      result.failed_roles += t.gate_refused ? 1 : 0;
      result.all_reached_head = result.all_reached_head && t.reached_head;
      if (t.stuck_at) {
        std::printf("a cursor is stuck at Pending counter %llu, head %llu: a frame was lost\n",
                    static_cast<unsigned long long>(*t.stuck_at),
                    static_cast<unsigned long long>(result.head));
      }
      if (t.cursor && !cursor_exact(t, result.head)) result.loss_exact = false;
    }
    return result;
  }

  // Every counter from the first to head delivered or lost, and lost only to a
  // later lap: nothing is abandoned here, so an Unavailable count means a
  // cursor moved past a frame that was still to come (the seed's defect 3). A
  // gated reader loses nothing.
  bool cursor_exact(const ReaderTally& t, std::uint64_t head) const {
    return t.polls.adds_up() && t.polls.moved == head - config_.first_counter &&
           t.polls.loss.unavailable == 0 && !(t.gated && t.polls.loss.total() != 0);
  }

  const Config& config_;
  RingT& ring_;
  const AttachAs attach_;
  const harness::SharedBlock<Board> board_;
};

// The segment of a --processes run: named after this process, unlinked when
// the run ends (each process keeps its mapping until it exits).
class RunSegment {
 public:
  RunSegment() : name_{absl::StrCat("stress-", ::getpid()), kRingKind, ""} {
    (void)shm::Segment::unlink(name_);  // a leftover of a crashed run of a reused pid
  }
  ~RunSegment() { (void)shm::Segment::unlink(name_); }
  RunSegment(const RunSegment&) = delete;
  RunSegment& operator=(const RunSegment&) = delete;
  const shm::SegmentName& name() const { return name_; }

 private:
  shm::SegmentName name_;
};

// A run of variant V (harness/common/variants.hpp) as the config says: in this
// process, or across processes over V's shared ring, where writer processes
// attach with the writer role and the rest as readers (the parent never
// writes). Exits 2 if the ring cannot be made (a spec the flags let through
// but the ring refuses).
template <class V>
Result run_variant(const Config& config) {
  const auto refuse = [](const absl::Status& status) {
    std::fprintf(stderr, "ringlab_stress: %s\n", std::string(status.message()).c_str());
    std::exit(2);
  };
  if constexpr (V::shareable) {
    if (config.processes) {
      using RingT = typename V::shared_ring;
      using Storage = typename RingT::storage_type;
      const RunSegment segment;
      auto ring = shm::create_ring<Storage>(segment.name(), config.spec, V::shared_options(),
                                            {.first_counter = config.first_counter});
      if (!ring.ok()) refuse(ring.status());
      auto attach = [name = segment.name(),
                     spec = config.spec](shm::RingRole role) -> std::unique_ptr<RingT> {
        auto attached = shm::attach_ring<Storage>(name, spec, V::shared_options(), {.role = role});
        if (attached.ok()) return *std::move(attached);
        std::fprintf(stderr, "ringlab_stress: process %d: %s\n", static_cast<int>(::getpid()),
                     std::string(attached.status().message()).c_str());
        return nullptr;
      };
      return StressRun<RingT>(config, **ring, attach).run();
    }
  }
  if constexpr (V::wait_strategy == BlockingWait<>::kName) {
    if (config.preempt_sleepers) {
      using RingT = harness::ring_with_sync_t<V, PreemptedSleepSync>;
      auto ring = RingT::create(kRingKind, config.spec, RingOptions{config.first_counter},
                                V::template options_for<RingT>());
      if (!ring.ok()) refuse(ring.status());
      return StressRun<RingT>(config, **ring).run();
    }
  }
  using RingT = typename V::ring;
  auto ring = RingT::create(kRingKind, config.spec, RingOptions{config.first_counter},
                            V::options());
  if (!ring.ok()) refuse(ring.status());
  return StressRun<RingT>(config, **ring).run();
}

}  // namespace ringlab::stress
