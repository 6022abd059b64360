// The benchmark's side of every cross-process scenario (cross_process.cpp,
// cross_process_stalled.cpp): a ring in POSIX shared memory, the peer
// processes attached to it, each with its own control block, and their start
// and finish around the benchmark's loop.
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/shared_block.hpp"
#include "rings/cross_process.hpp"
#include "rings/ring_roles.hpp"
#include "rings/stamped.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "support/peer_process.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench::xproc {

// Starting a process and mapping a ring take milliseconds; a loaded 2-core
// machine may stretch that a lot before anything is wrong.
inline constexpr auto kPeerTimeout = std::chrono::seconds(10);
inline constexpr std::size_t kWriterRole = 0;
inline constexpr std::size_t kReaderRole = 1;  // as the in-process reader of 1 x 1

// The ring's name: this process's pid keeps runs apart, the serial the
// benchmark calls of one run (all made by the benchmark's main thread).
inline std::string unique_fleet() {
  static std::uint64_t serial = 0;
  return absl::StrCat("bench-xproc-", ::getpid(), "-", serial++);
}

// pin: the peer reads on the in-process reader's CPU; otherwise anywhere.
inline PeerTask make_task(PeerScenario scenario, std::string_view variant, std::size_t payload,
                          std::size_t capacity, bool pin) {
  PeerTask task;
  task.scenario = scenario;
  copy_text(task.variant, variant);
  copy_text(task.fleet, unique_fleet());
  task.payload = payload;
  task.capacity = capacity;
  task.cpu = pin ? cpu_of_role(kReaderRole) : -1;
  task.clock = StampClock::get().calibration();
  return task;
}

// A ring in shared memory whose name goes when this does, or as soon as the
// peers have mapped it, so that a crash leaves a name behind only while the
// peers start.
template <class RingT>
class SharedRing {
 public:
  static absl::StatusOr<SharedRing> create(const PeerTask& task,
                                           const typename RingT::StorageOptions& options) {
    const shm::SegmentName name = task.ring_name();
    // A name with our pid in it can only be a dead process's leftover.
    (void)shm::Segment::unlink(name);
    // The writer role: this process writes, which a single-writer ring allows
    // its lease holder only; the peers attach as readers.
    auto ring = shm::create_ring<typename RingT::storage_type>(name, task.ring_spec(), options,
                                                               {.role = shm::RingRole::kWriter});
    if (!ring.ok()) return ring.status();
    return SharedRing(name, *std::move(ring));
  }

  SharedRing(SharedRing&& other) noexcept
      : name_(std::move(other.name_)),
        ring_(std::move(other.ring_)),
        linked_(std::exchange(other.linked_, false)) {}
  SharedRing& operator=(SharedRing&&) = delete;
  ~SharedRing() { unlink(); }

  RingT& ring() const { return *ring_; }

  void unlink() {
    if (std::exchange(linked_, false)) (void)shm::Segment::unlink(name_);
  }

 private:
  SharedRing(shm::SegmentName name, std::unique_ptr<RingT> ring)
      : name_(std::move(name)), ring_(std::move(ring)), linked_(true) {}

  shm::SegmentName name_;
  std::unique_ptr<RingT> ring_;
  bool linked_;
};

// A peer process and the control block it shares with the benchmark.
class Peer {
 public:
  static absl::StatusOr<std::unique_ptr<Peer>> launch(const PeerTask& task) {
    absl::StatusOr<harness::SharedBlock<PeerControl>> control =
        harness::SharedBlock<PeerControl>::create();
    if (!control.ok()) return control.status();
    (*control)->task = task;
    absl::StatusOr<PeerProcess> process = PeerProcess::spawn(
        {std::string(kPeerFlag), absl::StrCat("--control-fd=", control->fd()),
         absl::StrCat("--parent=", ::getpid())},
        control->fd());
    if (!process.ok()) return process.status();
    return std::unique_ptr<Peer>(new Peer(*std::move(control), *std::move(process)));
  }

  const PeerControl& control() const { return *control_; }

  // Until the peer stands at the start line, attached to the ring.
  absl::Status await_ready() { return await(PeerState::kReady, "attached to the ring"); }

  // (X3) release: pairs with the peer's (X4).
  void go() { control_->command.store(PeerCommand::kGo, kGiveCommand); }

  // After the writer's last frame. (X5) release: pairs with (X6).
  void stop() { control_->command.store(PeerCommand::kStop, kGiveCommand); }

  // The peer's results, once stopped and reported.
  absl::StatusOr<ReaderLatency> results() {
    if (absl::Status s = await(PeerState::kDone, "reported its results"); !s.ok()) return s;
    return control_->result;
  }

  // Why the peer has gone, if it has.
  std::optional<std::string> gone() { return process_.exited(); }

 private:
  Peer(harness::SharedBlock<PeerControl> control, PeerProcess process)
      : control_(std::move(control)), process_(std::move(process)) {}

  absl::Status await(PeerState wanted, const std::string& what) {
    const auto deadline = WallClock::now() + kPeerTimeout;
    for (;;) {
      // (X2), (X8) acquire: pairs with the peer's (X1), (X7).
      const PeerState state = control_->state.load(kReadState);
      if (state == wanted) return absl::OkStatus();
      if (state == PeerState::kFailed) {
        return absl::InternalError(absl::StrCat("peer process: ", control_->error.data()));
      }
      if (std::optional<std::string> why = process_.exited()) {
        return absl::AbortedError(absl::StrCat(*why, " before it ", what));
      }
      if (WallClock::now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the peer process has not ", what, " after ",
            std::chrono::duration_cast<std::chrono::seconds>(kPeerTimeout).count(), " s"));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  harness::SharedBlock<PeerControl> control_;
  // Last, so that it goes first: the peer is killed before its mapping goes.
  PeerProcess process_;
};

using Peers = std::vector<std::unique_ptr<Peer>>;

// A ring in shared memory and its peers attached to it, waiting for go().
template <class RingT>
struct CrossProcessRun {
  SharedRing<RingT> shared;
  Peers peers;
};

// `readers` peers, all launched before any is awaited, so that they start
// side by side.
template <class RingT>
absl::StatusOr<CrossProcessRun<RingT>> set_up(const PeerTask& task,
                                              const typename RingT::StorageOptions& options,
                                              std::size_t readers) {
  absl::StatusOr<SharedRing<RingT>> shared = SharedRing<RingT>::create(task, options);
  if (!shared.ok()) return shared.status();
  Peers peers;
  for (std::size_t r = 0; r < readers; ++r) {
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::launch(task);
    if (!peer.ok()) return peer.status();
    peers.push_back(*std::move(peer));
  }
  for (const auto& peer : peers) {
    if (absl::Status s = peer->await_ready(); !s.ok()) return s;
  }
  shared->unlink();  // every process has it mapped: the name has served
  return CrossProcessRun<RingT>{*std::move(shared), std::move(peers)};
}

// The run under way, its writer (the calling thread) on the writer's CPU when
// pin; or nullopt after telling Google Benchmark why not.
template <class RingT>
std::optional<CrossProcessRun<RingT>> start(benchmark::State& state, const PeerTask& task,
                                            const typename RingT::StorageOptions& options,
                                            bool pin, std::size_t readers = 1) {
  absl::StatusOr<CrossProcessRun<RingT>> run = set_up<RingT>(task, options, readers);
  if (!run.ok()) {
    state.SkipWithError(std::string(run.status().message()).c_str());
    return std::nullopt;
  }
  pin_current_thread(kWriterRole, pin);
  for (const auto& peer : run->peers) peer->go();
  return *std::move(run);
}

// Every peer's results after the writer's last frame (all are stopped before
// any is awaited), or nullopt after telling Google Benchmark why not.
inline std::optional<std::vector<ReaderLatency>> finish(benchmark::State& state,
                                                        const Peers& peers) {
  if (state.error_occurred()) return std::nullopt;
  for (const auto& peer : peers) peer->stop();
  std::vector<ReaderLatency> results;
  results.reserve(peers.size());
  for (const auto& peer : peers) {
    absl::StatusOr<ReaderLatency> result = peer->results();
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return std::nullopt;
    }
    results.push_back(*result);
  }
  return results;
}

// Why a peer has gone, if one has.
inline std::optional<std::string> any_gone(const Peers& peers) {
  for (const auto& peer : peers) {
    if (std::optional<std::string> why = peer->gone()) return why;
  }
  return std::nullopt;
}

inline ReaderTotals totals_of(const std::vector<ReaderLatency>& readers) {
  ReaderTotals totals;
  for (const ReaderLatency& reader : readers) reader.tally.add_to(totals);
  return totals;
}

// Each run spawns its peers per call, about a second a repetition: the quick
// set keeps to one targeted variant per storage, the first of each.
template <class V>
struct IsTargeted : std::bool_constant<V::role == harness::Role::kTargeted> {};
using TargetedShared = harness::filter_t<IsTargeted, harness::ShareableVariants>;
template <class V>
constexpr bool kInQuickSet =
    IsTargeted<V>::value && harness::first_of_its_storage<V>(TargetedShared{});

// stalled's twin (cross_process_stalled.cpp).
void register_stalled(const SweepConfig& config);

}  // namespace ringlab::bench::xproc
