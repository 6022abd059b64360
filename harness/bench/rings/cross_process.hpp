// The cross-process scenarios' two sides: the benchmark process writes into a
// ring in POSIX shared memory (shm::create_ring), a peer process (this binary,
// run with --xproc-peer) attaches to it and reads. Besides the ring, the two
// share a PeerControl (common/shared_block.hpp's SharedBlock): the task,
// the start and stop flags, the latency acknowledgement and the reader's
// results, which the peer copies there once it has stopped. The scenarios:
// latency_xproc, broadcast_xproc and oversub_xproc (cross_process.cpp, the
// last with one control block per reader process), stalled_xproc
// (cross_process_stalled.cpp); cross_process_run.hpp holds the benchmark's
// side of them all.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/variants.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "rings/stamped.hpp"
#include "support/stamp_clock.hpp"

namespace ringlab::bench {

// Calls f.template operator()<V>() for each variant of the registry that can
// live in shared memory (common/variants.hpp); its ring there is
// V::shared_ring (rwlock's takes the process-shared lock).
template <class F>
void for_each_shared_variant(F&& f) {
  harness::ShareableVariants::for_each([&]<class V>() { f.template operator()<V>(); });
}

// Text into a fixed field of the control block, cut to fit, NUL-terminated.
template <std::size_t N>
void copy_text(std::array<char, N>& field, std::string_view text) {
  const std::size_t n = std::min(text.size(), N - 1);
  std::copy_n(text.data(), n, field.data());
  field[n] = '\0';
}

// kLatency: read and acknowledge stamped frames; kBroadcast: read and count;
// kStalled: as kBroadcast, beside a busy thread on the peer's CPU when `hog` is 1.
enum class PeerScenario : std::uint32_t { kLatency = 1, kBroadcast = 2, kStalled = 3 };

// What the peer is to do: written by the benchmark before it spawns the peer
// (the spawn orders it before everything the peer does), read-only after.
struct PeerTask {
  PeerScenario scenario = PeerScenario::kLatency;
  std::array<char, 32> variant{};  // a variant of for_each_shared_variant, by name
  std::array<char, 72> fleet{};    // the ring's SegmentName::fleet; kind kBenchKind
  std::uint64_t payload = 0;
  std::uint64_t capacity = 0;
  std::int32_t cpu = -1;  // the peer's CPU; -1: left to the scheduler
  std::uint32_t hog = 0;  // kStalled: 1 = a thread spins on `cpu` beside the reader
  StampClock::Calibration clock;  // the benchmark's: both sides convert ticks alike

  std::string_view variant_name() const { return variant.data(); }
  std::string_view fleet_name() const { return fleet.data(); }
  RingSpec ring_spec() const { return RingSpec{capacity, payload}; }
  shm::SegmentName ring_name() const {
    return shm::SegmentName{.fleet = std::string(fleet_name()), .kind = kBenchKind, .user = {}};
  }
};

enum class PeerState : std::uint32_t { kStarting = 0, kReady = 1, kFailed = 2, kDone = 3 };
enum class PeerCommand : std::uint32_t { kWait = 0, kGo = 1, kStop = 2 };

// The orders of the control block. Like (C1)..(C6) of common/crew.hpp,
// they order the harness's own set-up, start, shutdown and results, never what
// is measured; the acknowledgements keep (A1)/(A2) of rings/stamped.hpp.
//
// (X1) release, peer: state kReady once attached with its cursor placed, or
// kFailed once the error text is written; pairs with (X2). The cursor's read
// of head happens before the writer's first claim, so the reader misses no
// frame; a kFailed reader's text is complete when the benchmark reads it.
// (X7) release, peer: state kDone once the results are copied in; pairs with
// (X8), after which the benchmark reads them.
inline constexpr std::memory_order kReportState = std::memory_order_release;
inline constexpr std::memory_order kReadState = std::memory_order_acquire;  // (X2), (X8)
// (X3) release, benchmark: kGo; pairs with (X4), the peer's wait at the start
// line, as a Crew's (C3)/(C4): nothing the peer reads depends on it but the
// start itself. (X5) release: kStop, after the writer's last frame; pairs with
// (X6), so the peer's last poll sees every frame written and each is counted,
// received or lost.
inline constexpr std::memory_order kGiveCommand = std::memory_order_release;
inline constexpr std::memory_order kReadCommand = std::memory_order_acquire;  // (X4), (X6)

struct PeerControl {
  PeerTask task;
  alignas(128) std::atomic<PeerState> state{PeerState::kStarting};
  // Read by the peer on every poll, like a Crew's stop flag: its own lines.
  alignas(128) std::atomic<PeerCommand> command{PeerCommand::kWait};
  Ack ack;
  ReaderLatency result;  // the reader's tally, and its samples in kLatency
  std::array<char, 512> error{};

  // What a reader loop waits for (CursorReader::read_until_stopped).
  // (X6) acquire: pairs with (X5).
  bool stopping() const { return command.load(kReadCommand) == PeerCommand::kStop; }
};
static_assert(std::atomic<PeerState>::is_always_lock_free &&
                  std::atomic<PeerCommand>::is_always_lock_free,
              "the control block's atomics must be address-free to be shared");
static_assert(std::is_trivially_copyable_v<PeerTask>);

// The peer's entry point: main() hands it argv when argv[1] is kPeerFlag.
inline constexpr std::string_view kPeerFlag = "--xproc-peer";
int cross_process_peer_main(int argc, char** argv);

}  // namespace ringlab::bench
