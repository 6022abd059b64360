// Cross-process scenarios, each the twin of an in-process one at 1 writer x
// 1 reader, with the reader in another process:
//   latency_xproc    latency (latency.cpp): one-way, stamp to receipt, the
//                    writer waiting for the acknowledgement between frames
//   broadcast_xproc  broadcast (throughput.cpp): the writer flat out, the
//                    reader counting what it receives and loses
// Names and axes are the twins' (ring/<scenario>_xproc/<variant>/w:1/r:1/
// payload/cap), so a report sets each beside its twin. The writer is the
// benchmark's own thread on the writer's CPU; the peer process, this binary
// run with --xproc-peer, reads on the CPU the in-process reader would take.
// It measures as the in-process reader does (rings/stamped.hpp, CursorReader)
// and hands its histogram and tally back through shared memory.
#include "rings/cross_process.hpp"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "rings/ring_roles.hpp"
#include "rings/stamped.hpp"
#include "support/config.hpp"
#include "support/counters.hpp"
#include "common/shared_block.hpp"
#include "support/peer_process.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

// Starting a process and mapping a ring take milliseconds; a loaded 2-core
// machine may stretch that a lot before anything is wrong.
constexpr auto kPeerTimeout = std::chrono::seconds(10);
constexpr std::size_t kWriterRole = 0;
constexpr std::size_t kReaderRole = 1;  // as the in-process reader of 1 x 1

// The ring's name: this process's pid keeps runs apart, the serial the
// benchmark calls of one run (all made by the benchmark's main thread).
std::string unique_fleet() {
  static std::uint64_t serial = 0;
  return absl::StrCat("bench-xproc-", ::getpid(), "-", serial++);
}

PeerTask make_task(PeerScenario scenario, std::string_view variant, std::size_t payload,
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
// peer has mapped it, so that a crash leaves a name behind only while the
// peer starts.
template <class RingT>
class SharedRing {
 public:
  static absl::StatusOr<SharedRing> create(const PeerTask& task,
                                           const typename RingT::StorageOptions& options) {
    const shm::SegmentName name = task.ring_name();
    // A name with our pid in it can only be a dead process's leftover.
    (void)shm::Segment::unlink(name);
    // The writer role: this process writes, which a single-writer ring allows
    // its lease holder only; the peer attaches as a reader.
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

// The peer process and the control block it shares with the benchmark.
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

  // Stops the peer after the writer's last frame and takes its results.
  absl::StatusOr<ReaderLatency> finish() {
    control_->command.store(PeerCommand::kStop, kGiveCommand);  // (X5) release: pairs with (X6)
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

// A ring in shared memory and a peer attached to it, waiting for go().
template <class RingT>
struct CrossProcessRun {
  SharedRing<RingT> shared;
  std::unique_ptr<Peer> peer;
};

template <class RingT>
absl::StatusOr<CrossProcessRun<RingT>> set_up(const PeerTask& task,
                                              const typename RingT::StorageOptions& options) {
  absl::StatusOr<SharedRing<RingT>> shared = SharedRing<RingT>::create(task, options);
  if (!shared.ok()) return shared.status();
  absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::launch(task);
  if (!peer.ok()) return peer.status();
  if (absl::Status s = (*peer)->await_ready(); !s.ok()) return s;
  shared->unlink();  // both processes have it mapped: the name has served
  return CrossProcessRun<RingT>{*std::move(shared), *std::move(peer)};
}

// The run under way, its writer (the calling thread) on the writer's CPU; or
// nullopt after telling Google Benchmark why not.
template <class RingT>
std::optional<CrossProcessRun<RingT>> start(benchmark::State& state, const PeerTask& task,
                                            const typename RingT::StorageOptions& options,
                                            bool pin) {
  absl::StatusOr<CrossProcessRun<RingT>> run = set_up<RingT>(task, options);
  if (!run.ok()) {
    state.SkipWithError(std::string(run.status().message()).c_str());
    return std::nullopt;
  }
  pin_current_thread(kWriterRole, pin);
  run->peer->go();
  return *std::move(run);
}

// The peer's results after the writer's last frame, or nullopt after telling
// Google Benchmark why not.
std::optional<ReaderLatency> finish(benchmark::State& state, Peer& peer) {
  if (state.error_occurred()) return std::nullopt;
  absl::StatusOr<ReaderLatency> result = peer.finish();
  if (!result.ok()) {
    state.SkipWithError(std::string(result.status().message()).c_str());
    return std::nullopt;
  }
  return *result;
}

template <class V>
struct IsTargeted : std::bool_constant<V::role == harness::Role::kTargeted> {};
using TargetedShared = harness::filter_t<IsTargeted, harness::ShareableVariants>;
template <class V>
constexpr bool kInQuickSet =
    IsTargeted<V>::value && harness::first_of_its_storage<V>(TargetedShared{});

ReaderTotals totals_of(const ReaderLatency& reader) {
  ReaderTotals totals;
  reader.tally.add_to(totals);
  return totals;
}

template <class RingT>
void latency_xproc(benchmark::State& state, const PeerTask& task,
                   const typename RingT::StorageOptions& options, bool pin) {
  std::vector<std::byte> frame(task.payload);
  std::uint64_t sequence = 0;
  std::uint64_t timeouts = 0;
  std::optional<CrossProcessRun<RingT>> run = start<RingT>(state, task, options, pin);
  if (!run) return;
  RingT& ring = run->shared.ring();
  Peer& peer = *run->peer;
  const auto began = WallClock::now();
  for (auto _ : state) {
    stamp_frame(frame, 0, ++sequence);
    write_frame(ring, NodeId(0), frame);
    if (await_ack(peer.control().ack, sequence, WallClock::now() + kAckTimeout)) continue;
    ++timeouts;
    if (std::optional<std::string> why = peer.gone()) {
      state.SkipWithError(why->c_str());
      break;
    }
  }
  const double seconds = seconds_since(began);
  unpin_current_thread();
  const std::optional<ReaderLatency> reader = finish(state, peer);
  if (!reader) return;
  report_flow(state, seconds, sequence, totals_of(*reader), task.payload);
  report_latency(state, reader->histogram);
  state.counters["ack_timeouts"] = static_cast<double>(timeouts);
  state.counters["backwards_stamps"] = static_cast<double>(reader->backwards);
}

template <class RingT>
void broadcast_xproc(benchmark::State& state, const PeerTask& task,
                     const typename RingT::StorageOptions& options, bool pin) {
  const std::vector<std::byte> payload = payload_of(task.payload);
  std::optional<CrossProcessRun<RingT>> run = start<RingT>(state, task, options, pin);
  if (!run) return;
  RingT& ring = run->shared.ring();
  const auto began = WallClock::now();
  for (auto _ : state) write_frame(ring, NodeId(0), payload, &kNeverStop);
  const double seconds = seconds_since(began);
  unpin_current_thread();
  const std::optional<ReaderLatency> reader = finish(state, *run->peer);
  if (!reader) return;
  report_flow(state, seconds, state.iterations(), totals_of(*reader), task.payload);
}

}  // namespace

void register_cross_process(const SweepConfig& config) {
  if (config.scaling_only) return;
  const auto add = [&](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->MinTime(config.min_time_s);
  };
  for_each_shared_variant([&]<class V>() {
    using RingT = typename V::shared_ring;
    const std::string_view variant = V::name;
    const auto options = V::shared_options();
    // Each run spawns a peer per call, about a second a repetition: the quick
    // set keeps to one targeted variant per storage, the first of each.
    if (config.is_quick_set() && !kInQuickSet<V>) return;
    for (std::size_t cap : config.capacities) {
      for (std::size_t payload : config.payloads) {
        // The quick set's in-process twins run at 64 bytes only.
        if (config.is_quick_set() && payload != 64) continue;
        const auto name = [&](std::string_view scenario) {
          return bench_name("ring", scenario, variant,
                            {{"w", 1}, {"r", 1}, {"payload", payload}, {"cap", cap}});
        };
        // Each call gets a fresh task: its own ring name.
        const auto task = [=](PeerScenario scenario) {
          return make_task(scenario, variant, payload, cap, config.pin);
        };
        if (payload >= kMinLatencyPayload) {
          add(name("latency_xproc"), [=](benchmark::State& s) {
            latency_xproc<RingT>(s, task(PeerScenario::kLatency), options, config.pin);
          });
        }
        add(name("broadcast_xproc"), [=](benchmark::State& s) {
          broadcast_xproc<RingT>(s, task(PeerScenario::kBroadcast), options, config.pin);
        });
      }
    }
  });
}

}  // namespace ringlab::bench
