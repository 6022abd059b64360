// ringlab_stress: W writers and R readers hammer one ring with self-checking
// frames (stress_frame.hpp) for a bounded time. The run fails unless
//   - no reader ever receives a torn frame,
//   - no cursor receives a counter at or below one it already had, and no slot
//     is seen going back from a newer counter to an older one,
//   - every poll's loss accounting is exact, and after the writers stop every
//     cursor reaches head with delivered + overwritten + unavailable equal to
//     the distance it moved (and zero loss for gated readers),
//   - no wait on the disruptor's barrier misses its wake-up.
// Small capacities make writers lap each other on purpose.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_format.h"
#include "ringlab/known_bad/seed_seqlock.hpp"
#include "ringlab/ringlab.hpp"
#include "stress_frame.hpp"

ABSL_FLAG(std::string, variant, "seqlock",
          "rwlock | seqlock | disruptor-spin | disruptor-yield | disruptor-blocking | "
          "disruptor-gated (gated mode, blocking wait); known bad, expected to fail: "
          "known-bad-plain-payload (a seqlock copying its payload as plain memory)");
ABSL_FLAG(int, writers, 2, "writer threads, 1..64");
ABSL_FLAG(int, readers, 2, "cursor reader threads, 1..32 (each polls with its own cursor)");
ABSL_FLAG(int, watchers, 1,
          "slot watcher threads, 0..32: read slots round-robin, check each frame and that no "
          "slot goes back to an older counter");
ABSL_FLAG(uint64_t, capacity, 4, "ring capacity, a power of two; small values force laps");
ABSL_FLAG(uint64_t, payload, 48, "payload capacity in bytes, 24..65536; frame sizes vary up to it");
ABSL_FLAG(double, min_frames, 1e7, "stop once the readers have checked this many frames");
ABSL_FLAG(double, max_seconds, 120, "fail if min_frames is not reached by then");
ABSL_FLAG(uint64_t, first_counter, (uint64_t{1} << 32) - 100000,
          "counter of the first write (default: just below 2^32, so every run crosses it)");
ABSL_FLAG(bool, trickle, false,
          "each writer waits, after each frame, until every cursor reader has consumed it: "
          "readers sleep between frames, and a wake-up the writer's signal missed shows");
ABSL_FLAG(std::string, json, "", "also write the result as JSON to this file");

namespace ringlab::stress {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint8_t kRingKind = 42;
// Writers publish every few microseconds; a barrier wait that ends this long
// after it began, on a counter that is published by then, was woken by its
// deadline rather than by the writer: a lost wake-up.
constexpr auto kWaitTimeout = std::chrono::milliseconds(1000);
// How long cursors may take to drain the ring after the writers stop.
constexpr auto kDrainLimit = std::chrono::seconds(10);

struct Config {
  std::string variant;
  int writers = 0;
  int readers = 0;
  int watchers = 0;
  RingSpec spec;
  std::uint64_t min_frames = 0;
  double max_seconds = 0;
  std::uint64_t first_counter = 0;
  bool trickle = false;
};

struct alignas(64) ReaderTally {
  std::atomic<std::uint64_t> checked{0};  // also read by the progress monitor
  std::atomic<std::uint64_t> progress{0};  // cursor position, read by trickle writers
  std::uint64_t delivered = 0, moved = 0, torn = 0, regressions = 0, inexact_polls = 0;
  std::uint64_t slot_reads = 0, waits = 0, lost_wakeups = 0;
  Loss loss;
  bool reached_head = false;
  bool cursor = false;  // a cursor reader, not a slot watcher
  std::optional<std::uint64_t> stuck_at;  // Pending counter the drain never got past
};

struct alignas(64) WriterTally {
  std::uint64_t written = 0;
  std::uint64_t lost_wakeups = 0;  // trickle: readers missed this writer's frame
};

struct Result {
  std::uint64_t frames_checked = 0, written = 0, delivered = 0, torn = 0, regressions = 0;
  std::uint64_t inexact_polls = 0, lost_wakeups = 0, waits = 0, slot_reads = 0;
  std::uint64_t overwritten = 0, unavailable = 0, head = 0;
  bool loss_exact = true, all_reached_head = true, min_reached = false;
  double seconds = 0;

  bool passed() const {
    return torn == 0 && regressions == 0 && inexact_polls == 0 && lost_wakeups == 0 &&
           loss_exact && all_reached_head && min_reached;
  }
};

template <class RingT>
constexpr bool kHasBarrier = requires(RingT& r) { r.storage().barrier(); };

// Stands in for GatedReader where the storage has no sequencer; never engaged.
struct NoGate {
  RingCursor cursor() const { return {}; }
  template <class OnFrame>
  PollStats poll(FrameBuffer&, OnFrame&&) { return {}; }
};
template <class RingT>
using GateFor = std::conditional_t<kHasBarrier<RingT>, GatedReader<RingT>, NoGate>;

template <class RingT>
class StressRun {
 public:
  StressRun(const Config& config, RingT& ring)
      : config_(config),
        ring_(ring),
        readers_(static_cast<std::size_t>(config.readers + config.watchers)),
        writers_(static_cast<std::size_t>(config.writers)) {}

  Result run() {
    // Gated readers register before the first write, so they lose nothing.
    std::vector<std::optional<GateFor<RingT>>> gates(static_cast<std::size_t>(config_.readers));
    if constexpr (kHasBarrier<RingT>) {
      if (ring_.storage().sequencer().mode() == OverflowMode::kGated) {
        for (auto& gate : gates) {
          auto reader = GatedReader<RingT>::attach(ring_);
          if (!reader.ok()) {
            std::fprintf(stderr, "cannot register reader: %s\n",
                         std::string(reader.status().message()).c_str());
            std::exit(2);
          }
          gate.emplace(std::move(*reader));
        }
      }
    }
    for (std::size_t r = 0; r < gates.size(); ++r) {
      readers_[r].progress.store(gates[r] ? gates[r]->cursor().next_counter
                                          : config_.first_counter);
    }
    const auto start = Clock::now();
    std::vector<std::thread> reader_threads, writer_threads;
    for (std::size_t r = 0; r < gates.size(); ++r) {
      reader_threads.emplace_back([this, r, &gates] { read(r, gates[r]); });
    }
    for (std::size_t r = gates.size(); r < readers_.size(); ++r) {
      reader_threads.emplace_back([this, r] { watch(readers_[r]); });
    }
    for (std::size_t w = 0; w < writers_.size(); ++w) {
      writer_threads.emplace_back([this, w] { write(w); });
    }

    Result result;
    double last_report = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::uint64_t checked = 0;
      for (const auto& t : readers_) checked += t.checked.load(std::memory_order_relaxed);
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed - last_report >= 5) {
        last_report = elapsed;
        std::printf("  [%s] %.1f s: %.3g frames checked (%.0f%% of %.3g)\n",
                    config_.variant.c_str(), elapsed, double(checked),
                    100.0 * double(checked) / double(config_.min_frames),
                    double(config_.min_frames));
        std::fflush(stdout);
      }
      if (checked >= config_.min_frames) {
        result.min_reached = true;
        break;
      }
      if (elapsed >= config_.max_seconds) break;
    }
    stop_writers_.store(true, std::memory_order_relaxed);
    for (auto& t : writer_threads) t.join();
    // Release: the readers' acquire load of writers_done_ orders every commit
    // before their final polls, which therefore reach head.
    writers_done_at_ = Clock::now();
    writers_done_.store(true, std::memory_order_release);
    if constexpr (kHasBarrier<RingT>) ring_.storage().barrier().alert();
    for (auto& t : reader_threads) t.join();
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return tally(result, gates.front().has_value());
  }

 private:
  void write(std::size_t w) {
    const auto writer = static_cast<std::uint32_t>(w);
    const NodeId node(static_cast<std::uint16_t>(w));
    std::vector<std::byte> payload(ring_.payload_capacity());
    WriterTally& tally = writers_[w];
    for (std::uint64_t seq = 0; !stop_writers_.load(std::memory_order_relaxed); ++seq) {
      const std::size_t size = frame_size(writer, seq, payload.size());
      auto ticket = ring_.claim(node, size);
      if (!ticket.ok()) {
        std::fprintf(stderr, "claim failed: %s\n", std::string(ticket.status().message()).c_str());
        std::abort();
      }
      const std::uint64_t c = ticket->counter;
      const std::span<std::byte> frame(payload.data(), size);
      fill_frame(frame, c, writer);
      if (!ring_.publish(*ticket, frame_kind(c), frame_ver(c), frame).ok()) std::abort();
      ++tally.written;
      if (config_.trickle && !consumed_by_all_readers(c)) ++tally.lost_wakeups;
    }
  }

  // Trickle mode: waits until every cursor reader has moved past counter c.
  // No other frame is in flight meanwhile, so no later signal can wake a
  // reader that missed ours. A reader whose wake-up was lost sleeps until its
  // own timeout (kWaitTimeout after it began waiting, just before c was
  // published); half of that is the limit here.
  bool consumed_by_all_readers(std::uint64_t c) {
    const auto deadline = Clock::now() + kWaitTimeout / 2;
    for (std::size_t r = 0; r < static_cast<std::size_t>(config_.readers); ++r) {
      while (readers_[r].progress.load(std::memory_order_acquire) <= c) {
        if (stop_writers_.load(std::memory_order_relaxed)) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::yield();
      }
    }
    return true;
  }

  void read(std::size_t r, std::optional<GateFor<RingT>>& gate) {
    ReaderTally& tally = readers_[r];
    FrameBuffer buffer = ring_.make_buffer();
    RingCursor cursor = RingCursor::from_counter(config_.first_counter);
    if (gate) cursor = gate->cursor();
    std::uint64_t last = 0;  // counter + 1 of the last frame delivered

    for (;;) {
      const bool done = writers_done_.load(std::memory_order_acquire);
      const std::uint64_t from = gate ? gate->cursor().next_counter : cursor.next_counter;
      auto on_frame = [&](const FrameBuffer& f, std::uint64_t polled) {
        const Checked checked = verify(f, kRingKind);
        tally.checked.fetch_add(1, std::memory_order_relaxed);
        if (!checked.whole) {
          ++tally.torn;
          return;
        }
        // The frame must be the one of the counter polled, after the last one.
        if (checked.counter != polled || checked.counter + 1 <= last || checked.counter < from) {
          ++tally.regressions;
        }
        last = checked.counter + 1;
      };
      const PollStats stats =
          gate ? gate->poll(buffer, on_frame) : poll_into(ring_, cursor, buffer, on_frame);
      if (stats.delivered + stats.loss.total() != stats.to - stats.from) ++tally.inexact_polls;
      tally.delivered += stats.delivered;
      tally.loss += stats.loss;
      tally.moved += stats.to - stats.from;

      const std::uint64_t next = gate ? gate->cursor().next_counter : cursor.next_counter;
      tally.progress.store(next, std::memory_order_release);
      if (done && !stats.stopped_at_pending && next == ring_.head()) {
        tally.reached_head = true;
        break;
      }
      // Every claim is published once the writers are done; a cursor still
      // held at a Pending counter long after that has lost a frame for good.
      if (done && Clock::now() - writers_done_at_ > kDrainLimit) {
        tally.stuck_at = next;
        break;
      }
      if (stats.delivered == 0 && !done) idle(tally, next);
    }
    tally.cursor = true;
  }

  // Reads the slots round-robin until the writers are done. Every frame must
  // be whole, and a slot never goes back to an older counter [MarkerMonotone].
  void watch(ReaderTally& tally) {
    FrameBuffer buffer = ring_.make_buffer();
    std::vector<std::uint64_t> held(ring_.capacity(), 0);  // counter + 1 last seen per slot
    const std::uint64_t mask = ring_.capacity() - 1;
    for (std::uint64_t i = 0; !writers_done_.load(std::memory_order_acquire); ++i) {
      const std::uint64_t slot = i & mask;
      if (!ring_.read_at(slot, buffer)) continue;
      ++tally.slot_reads;
      tally.checked.fetch_add(1, std::memory_order_relaxed);
      const Checked checked = verify(buffer, kRingKind);
      if (!checked.whole) {
        ++tally.torn;
        continue;
      }
      if (checked.counter + 1 < held[slot]) ++tally.regressions;
      held[slot] = checked.counter + 1;
    }
    tally.reached_head = true;
  }

  void idle(ReaderTally& tally, std::uint64_t next) {
    if constexpr (kHasBarrier<RingT>) {
      ++tally.waits;
      const auto began = Clock::now();
      const WaitResult result = ring_.storage().barrier().wait_for(next, kWaitTimeout);
      if (result == WaitResult::kPublished && Clock::now() - began >= kWaitTimeout) {
        ++tally.lost_wakeups;
      }
    } else {
      std::this_thread::yield();
    }
  }

  Result tally(Result result, bool gated) const {
    result.head = ring_.head();
    for (const auto& t : writers_) {
      result.written += t.written;
      result.lost_wakeups += t.lost_wakeups;
    }
    for (const auto& t : readers_) {
      result.frames_checked += t.checked.load(std::memory_order_relaxed);
      result.delivered += t.delivered;
      result.overwritten += t.loss.overwritten;
      result.unavailable += t.loss.unavailable;
      result.torn += t.torn;
      result.regressions += t.regressions;
      result.inexact_polls += t.inexact_polls;
      result.lost_wakeups += t.lost_wakeups;
      result.waits += t.waits;
      result.slot_reads += t.slot_reads;
      result.all_reached_head = result.all_reached_head && t.reached_head;
      if (t.stuck_at) {
        std::printf("a cursor is stuck at Pending counter %llu, head %llu: a frame was lost\n",
                    static_cast<unsigned long long>(*t.stuck_at),
                    static_cast<unsigned long long>(result.head));
      }
      const std::uint64_t expected_moved = result.head - config_.first_counter;
      if (t.cursor && (t.delivered + t.loss.total() != t.moved || t.moved != expected_moved)) {
        result.loss_exact = false;
      }
      if (gated && t.loss.total() != 0) result.loss_exact = false;
      // Nothing is abandoned here, so every loss is a counter a later lap took
      // (the slot tells poll so). An Unavailable count means a cursor moved
      // past a frame that was still to come (the seed's defect 3).
      if (t.loss.unavailable != 0) result.loss_exact = false;
    }
    return result;
  }

  const Config& config_;
  RingT& ring_;
  std::vector<ReaderTally> readers_;
  std::vector<WriterTally> writers_;
  std::atomic<bool> stop_writers_{false};
  std::atomic<bool> writers_done_{false};
  Clock::time_point writers_done_at_;  // written before writers_done_, read after it
};

template <class RingT>
Result run_variant(const Config& config, const typename RingT::StorageOptions& options = {}) {
  auto ring = RingT::create(kRingKind, config.spec, RingOptions{config.first_counter}, options);
  if (!ring.ok()) {
    std::fprintf(stderr, "ringlab_stress: %s\n", std::string(ring.status().message()).c_str());
    std::exit(2);
  }
  return StressRun<RingT>(config, **ring).run();
}

constexpr std::array<std::string_view, 7> kVariants = {
    "rwlock",          "seqlock",         "disruptor-spin",        "disruptor-yield",
    "disruptor-blocking", "disruptor-gated", "known-bad-plain-payload"};

bool is_variant(std::string_view name) {
  return std::find(kVariants.begin(), kVariants.end(), name) != kVariants.end();
}

std::optional<Result> run(const Config& config) {
  const DisruptorOptions gated{OverflowMode::kGated};
  if (config.variant == "rwlock") return run_variant<RwlockRing>(config);
  if (config.variant == "seqlock") return run_variant<SeqlockRing>(config);
  if (config.variant == "disruptor-spin") return run_variant<DisruptorRing<BusySpinWait>>(config);
  if (config.variant == "disruptor-yield") return run_variant<DisruptorRing<YieldingWait>>(config);
  if (config.variant == "disruptor-blocking") {
    return run_variant<DisruptorRing<BlockingWait>>(config);
  }
  if (config.variant == "disruptor-gated") {
    return run_variant<DisruptorRing<BlockingWait>>(config, gated);
  }
  if (config.variant == "known-bad-plain-payload") {
    // Never conforming: its payload copy is a data race that TSan must report.
    return run_variant<Ring<known_bad::PlainPayloadSeqlock<StdSync>>>(config);
  }
  return std::nullopt;
}

std::string to_json(const Config& c, const Result& r) {
  return absl::StrFormat(
      "{\"variant\": \"%s\", \"writers\": %d, \"readers\": %d, \"watchers\": %d, "
      "\"capacity\": %d, "
      "\"payload_capacity\": %d, \"first_counter\": %d, \"trickle\": %s, \"seconds\": %.3f, "
      "\"frames_checked\": %d, \"frames_written\": %d, \"delivered\": %d, "
      "\"overwritten\": %d, \"unavailable\": %d, \"slot_reads\": %d, \"waits\": %d, "
      "\"torn\": %d, \"regressions\": %d, \"inexact_polls\": %d, \"lost_wakeups\": %d, "
      "\"loss_exact\": %s, \"reached_head\": %s, \"min_frames_reached\": %s, \"passed\": %s}\n",
      c.variant, c.writers, c.readers, c.watchers, c.spec.capacity, c.spec.payload_capacity, c.first_counter,
      c.trickle ? "true" : "false", r.seconds, r.frames_checked, r.written, r.delivered, r.overwritten, r.unavailable,
      r.slot_reads, r.waits, r.torn, r.regressions, r.inexact_polls, r.lost_wakeups,
      r.loss_exact ? "true" : "false", r.all_reached_head ? "true" : "false",
      r.min_reached ? "true" : "false", r.passed() ? "true" : "false");
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ringlab_stress: %s\n%s\nTry --help.\n", message.c_str(),
               std::string(absl::ProgramUsageMessage()).c_str());
  return 2;
}

}  // namespace
}  // namespace ringlab::stress

int main(int argc, char** argv) {
  using namespace ringlab::stress;
  // --help lists this file's flags (Abseil matches files named like the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("harness/stress/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Stress one ring variant with self-checking frames.\n"
      "  ringlab_stress --variant=seqlock --writers=2 --readers=2 --capacity=4 --min_frames=1e7");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) return usage_error(std::string("unexpected argument: ") + rest[1]);

  Config config;
  config.variant = absl::GetFlag(FLAGS_variant);
  config.writers = absl::GetFlag(FLAGS_writers);
  config.readers = absl::GetFlag(FLAGS_readers);
  config.watchers = absl::GetFlag(FLAGS_watchers);
  config.spec = {absl::GetFlag(FLAGS_capacity), absl::GetFlag(FLAGS_payload)};
  const double min_frames = absl::GetFlag(FLAGS_min_frames);
  config.max_seconds = absl::GetFlag(FLAGS_max_seconds);
  config.first_counter = absl::GetFlag(FLAGS_first_counter);
  config.trickle = absl::GetFlag(FLAGS_trickle);
  if (!is_variant(config.variant)) {
    return usage_error("unknown --variant \"" + config.variant + "\"");
  }
  if (config.writers < 1 || config.writers > 64) return usage_error("--writers must be 1..64");
  if (config.readers < 1 || config.readers > 32) return usage_error("--readers must be 1..32");
  if (config.watchers < 0 || config.watchers > 32) return usage_error("--watchers must be 0..32");
  if (config.spec.payload_capacity < kFrameHeaderBytes || config.spec.payload_capacity > 65536) {
    return usage_error("--payload must be 24..65536");
  }
  if (!(min_frames >= 1 && min_frames <= 1e13)) return usage_error("--min_frames must be 1..1e13");
  if (!(config.max_seconds > 0 && config.max_seconds <= 86400)) {
    return usage_error("--max_seconds must be in (0, 86400]");
  }
  if (absl::Status s = config.spec.validate(); !s.ok()) {
    return usage_error(std::string(s.message()));
  }
  config.min_frames = static_cast<std::uint64_t>(min_frames);

  std::printf("stress %s: %d writers x %d readers + %d slot watchers, capacity %zu, payload up to %zu B, "
              "counters from %llu, until %.3g frames checked (at most %.0f s)\n",
              config.variant.c_str(), config.writers, config.readers, config.watchers,
              config.spec.capacity,
              config.spec.payload_capacity, static_cast<unsigned long long>(config.first_counter),
              min_frames, config.max_seconds);
  std::fflush(stdout);
  const std::optional<Result> result = run(config);
  if (!result) return usage_error("unknown --variant \"" + config.variant + "\"");
  const Result& r = *result;
  std::printf(
      "stress %s: frames_checked=%llu torn=%llu regressions=%llu inexact_polls=%llu "
      "lost_wakeups=%llu loss_exact=%s reached_head=%s | written=%llu delivered=%llu "
      "overwritten=%llu unavailable=%llu slot_reads=%llu waits=%llu in %.1f s: %s\n",
      config.variant.c_str(), (unsigned long long)r.frames_checked, (unsigned long long)r.torn,
      (unsigned long long)r.regressions, (unsigned long long)r.inexact_polls,
      (unsigned long long)r.lost_wakeups, r.loss_exact ? "yes" : "NO",
      r.all_reached_head ? "yes" : "NO", (unsigned long long)r.written,
      (unsigned long long)r.delivered, (unsigned long long)r.overwritten,
      (unsigned long long)r.unavailable, (unsigned long long)r.slot_reads,
      (unsigned long long)r.waits, r.seconds, r.passed() ? "PASS" : "FAIL");
  if (!r.min_reached) {
    std::printf("stress %s: only %llu of %llu frames checked within %.0f s\n",
                config.variant.c_str(), (unsigned long long)r.frames_checked,
                (unsigned long long)config.min_frames, config.max_seconds);
  }
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << to_json(config, r);
  }
  return r.passed() ? 0 : 1;
}
