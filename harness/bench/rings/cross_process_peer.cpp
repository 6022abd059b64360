// The peer process of the cross-process scenarios (cross_process.cpp,
// cross_process_stalled.cpp):
//   ringlab_bench --xproc-peer --control-fd=N --parent=PID
// started by the benchmark, never by hand. It maps the control block it
// inherited as descriptor N, attaches to the task's ring, stands at the start
// line, reads as the in-process reader does until told to stop (beside a busy
// thread on its CPU in stalled_xproc's stall 2), copies its results into the
// control block and exits. Whatever goes wrong is written there as text for
// the benchmark's SkipWithError; nothing goes to stdout, which may carry the
// benchmark's JSON.
#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <stop_token>
#include <system_error>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rings/cross_process.hpp"
#include "rings/ring_roles.hpp"
#include "rings/stamped.hpp"
#include "common/shared_block.hpp"
#include "support/peer_process.hpp"
#include "support/stamp_clock.hpp"
#include "support/threads.hpp"

namespace ringlab::bench {
namespace {

// The value of "--<key>=<integer>" among argv, if given and whole.
std::optional<long long> integer_flag(int argc, char** argv, std::string_view key) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with(key)) continue;
    long long value = 0;
    const std::string_view digits = arg.substr(key.size());
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (err == std::errc() && end == digits.data() + digits.size()) return value;
  }
  return std::nullopt;
}

// The busy thread of stall 2, spinning until stopped: a thread starts with its
// creator's affinity, so it shares the pinned reader's CPU and the scheduler
// preempts the reader at arbitrary points, inside a read too.
std::jthread start_hog(const PeerControl& control) {
  return std::jthread([&control](const std::stop_token& token) {
    std::uint64_t spins = 0;
    while (!token.stop_requested() && !control.stopping()) benchmark::DoNotOptimize(++spins);
  });
}

template <class RingT>
absl::Status read_for_benchmark(PeerControl& control,
                                const typename RingT::StorageOptions& options) {
  const PeerTask& task = control.task;
  auto ring = shm::attach_ring<typename RingT::storage_type>(task.ring_name(), task.ring_spec(),
                                                             options);
  if (!ring.ok()) return ring.status();
  const bool latency = task.scenario == PeerScenario::kLatency;
  CursorReader<RingT> reader(**ring);
  control.state.store(PeerState::kReady, kReportState);  // (X1) release: pairs with (X2)
  // (X4) acquire: pairs with (X3).
  while (control.command.load(kReadCommand) == PeerCommand::kWait) std::this_thread::yield();
  // Joined on every way out (std::jthread asks it to stop first).
  std::optional<std::jthread> hog;
  if (task.hog == 1) hog.emplace(start_hog(control));
  ReaderLatency mine;
  if (latency) {
    reader.read_until_stopped(control, mine.tally, [&](const FrameBuffer& frame) {
      const Stamp stamp = mine.receive(frame);
      control.ack.sequence.store(stamp.sequence, kAckStore);  // (A1)
    });
  } else {
    reader.read_until_stopped(control, mine.tally,
                              [](const FrameBuffer& frame) { benchmark::DoNotOptimize(&frame); });
  }
  hog.reset();
  control.result = mine;
  control.state.store(PeerState::kDone, kReportState);  // (X7) release: pairs with (X8)
  return absl::OkStatus();
}

// The task's fields that choose what the peer runs, checked before anything
// rests on them: the block is shared memory, and its bytes are not trusted.
absl::Status check_task(const PeerTask& task) {
  switch (task.scenario) {
    case PeerScenario::kLatency:
    case PeerScenario::kBroadcast:
    case PeerScenario::kStalled:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown peer scenario ", static_cast<std::uint32_t>(task.scenario)));
  }
  if (task.hog > 1) return absl::InvalidArgumentError(absl::StrCat("hog = ", task.hog));
  if (task.hog == 1 && (task.scenario != PeerScenario::kStalled || task.cpu < 0)) {
    return absl::InvalidArgumentError("a hog runs in the stalled scenario, on a given CPU only");
  }
  return absl::OkStatus();
}

absl::Status serve(PeerControl& control) {
  const PeerTask& task = control.task;
  if (absl::Status s = check_task(task); !s.ok()) return s;
  StampClock::adopt(task.clock);
  if (task.cpu >= 0 && !pin_current_thread_to(task.cpu)) {
    return absl::InternalError(absl::StrCat("cannot pin the peer to CPU ", task.cpu));
  }
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat("no shared-memory variant named '", std::string(task.variant_name()), "'"));
  for_each_shared_variant([&]<class V>() {
    if (V::name == task.variant_name()) {
      status = read_for_benchmark<typename V::shared_ring>(control, V::shared_options());
    }
  });
  return status;
}

// serve(), with exceptions (a lock's system_error, say) as a status too.
absl::Status serve_catching(PeerControl& control) {
  try {
    return serve(control);
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  }
}

}  // namespace

int cross_process_peer_main(int argc, char** argv) {
  const std::optional<long long> fd = integer_flag(argc, argv, "--control-fd=");
  const std::optional<long long> parent = integer_flag(argc, argv, "--parent=");
  if (!fd || !parent) {
    std::fprintf(stderr, "%s: started by ringlab_bench's cross-process benchmarks only\n",
                 std::string(kPeerFlag).c_str());
    return 2;
  }
  if (!die_with_parent(static_cast<pid_t>(*parent))) return 3;  // the benchmark is gone
  // Constructed by the benchmark before it started us.
  absl::StatusOr<harness::SharedBlock<PeerControl>> block =
      harness::SharedBlock<PeerControl>::adopt(static_cast<int>(*fd));
  if (!block.ok()) {
    std::fprintf(stderr, "%s: %s\n", std::string(kPeerFlag).c_str(),
                 std::string(block.status().message()).c_str());
    return 4;
  }
  PeerControl& control = **block;
  const absl::Status status = serve_catching(control);
  if (status.ok()) return 0;
  copy_text(control.error, status.ToString());
  control.state.store(PeerState::kFailed, kReportState);  // (X1) release: pairs with (X2)
  return 1;
}

}  // namespace ringlab::bench
