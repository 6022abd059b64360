// The work of each writer, cursor reader and slot watcher of a stress run,
// over one process's view of the ring; tallies and flags on the board.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "board.hpp"
#include "common/stress_frame.hpp"
#include "ringlab/ringlab.hpp"

namespace ringlab::stress {

// Stands in for GatedReader where the ring has no reader gates; never engaged.
struct NoGate {
  RingCursor cursor() const { return {}; }
  template <class OnFrame>
  PollStats poll(FrameBuffer&, OnFrame&&) { return {}; }
};
template <class RingT>
using GateFor = gated_reader_or_t<RingT, NoGate>;

template <class RingT>
class Roles {
 public:
  Roles(const Config& config, RingT& ring, Board& board)
      : config_(config), ring_(ring), board_(board) {}

  void write(std::size_t w) {
    const auto writer = static_cast<std::uint32_t>(w);
    const NodeId node(static_cast<std::uint16_t>(w));
    std::vector<std::byte> payload(ring_.payload_capacity());
    WriterTally& tally = board_.writers[w];
    board_.writers_running.fetch_add(1, kWriterRunning);  // (S10)
    for (std::uint64_t seq = 0; !board_.stop_writers.load(kCheckStop); ++seq) {  // (S2)
      if (config_.batch > 0 || config_.loan) {
        seq += write_claimed(node, writer, seq, payload) - 1;
        continue;
      }
      const std::size_t size = frame_size(writer, seq, payload.size());
      auto ticket = ring_.claim(node, size);
      if (!ticket.ok()) fail("claim", ticket.status());
      const std::uint64_t c = ticket->counter;
      const std::span<std::byte> frame(payload.data(), size);
      fill_frame(frame, c, writer);
      if (!ring_.publish(*ticket, frame_kind(c), frame_ver(c), frame).ok()) std::abort();
      ++tally.written;
      if (config_.trickle && !consumed_by_all_readers(c)) ++tally.lost_wakeups;
    }
  }

  // A cursor reader. On a gated ring it registers its gate here, in its own
  // thread or process, before it says it is ready: the writers start after
  // that, so it loses nothing.
  void read(std::size_t r) {
    ReaderTally& tally = board_.readers[r];
    tally.cursor = true;
    std::optional<GateFor<RingT>> gate;
    if constexpr (GatingRing<RingT> && WaitingRing<RingT>) {
      if (ring_.gated()) {
        auto reader = GatedReader<RingT>::attach(ring_);
        if (!reader.ok()) {
          std::fprintf(stderr, "cannot register reader: %s\n",
                       std::string(reader.status().message()).c_str());
          tally.gate_refused = true;
        } else {
          gate.emplace(std::move(*reader));
          tally.gated = true;
        }
      }
    }
    RingCursor cursor = RingCursor::from_counter(config_.first_counter);
    if (gate) cursor = gate->cursor();
    tally.progress.store(cursor.next_counter, kPublishProgress);  // (S5)
    board_.readers_ready.fetch_add(1, kReaderReady);               // (S7)
    if (!tally.gate_refused) read_until_drained(tally, gate, cursor);
  }

  // Reads the slots round-robin until the writers are done.
  void watch(std::size_t r) {
    ReaderTally& tally = board_.readers[r];
    FrameBuffer buffer = ring_.make_buffer();
    std::vector<std::uint64_t> held(ring_.capacity(), 0);  // counter + 1 last seen per slot
    const std::uint64_t mask = ring_.capacity() - 1;
    for (std::uint64_t i = 0; !board_.writers_done.load(kSeeWritersDone); ++i) {  // (S4)
      const std::uint64_t slot = i & mask;
      if (!ring_.read_at(slot, buffer)) continue;
      tally.checked.fetch_add(1, kCount);  // (S9)
      tally.slots(buffer, held[slot], kRingKind);
    }
    tally.reached_head = true;
  }

 private:
  // --batch and --loan: writes frames from the writer's sequence number `seq`
  // on, a batch of them or one loan; how many.
  std::uint64_t write_claimed(NodeId node, std::uint32_t writer, std::uint64_t seq,
                              std::vector<std::byte>& payload) {
    WriterTally& tally = board_.writers[writer];
    auto after_frame = [&](std::uint64_t c) {
      ++tally.written;
      if (config_.trickle && !consumed_by_all_readers(c)) ++tally.lost_wakeups;
    };
    if (config_.loan) {
      if constexpr (LoaningRing<RingT>) {
        const std::span<std::byte> frame(payload.data(), frame_size(writer, seq, payload.size()));
        auto loan = ring_.loan(node, frame.size());
        if (!loan.ok()) fail("loan", loan.status());
        fill_frame(frame, loan->counter(), writer);
        // The frame's three header words one by one, the rest at once; a
        // superseded loan (a lapping writer holds the slot) stores nothing.
        const auto& words = loan->payload();
        bool stored = true;
        for (std::size_t i = 0; i < kFrameHeaderBytes / 8; ++i) {
          std::uint64_t w;
          std::memcpy(&w, frame.data() + 8 * i, 8);
          stored = words.store_word(i, w) && stored;
        }
        stored = words.store(kFrameHeaderBytes, frame.subspan(kFrameHeaderBytes)) && stored;
        if (stored == loan->superseded()) std::abort();
        const std::uint64_t c = loan->counter();
        if (!loan->publish(frame_kind(c), frame_ver(c)).ok()) std::abort();
        after_frame(c);
      } else {
        std::abort();  // main() refuses --loan for rings that do not lend
      }
      return 1;
    }
    auto batch = ring_.claim_batch(node, config_.batch);
    if (!batch.ok()) fail("claim_batch", batch.status());
    for (std::size_t i = 0; i < batch->size(); ++i) {
      const std::uint64_t c = batch->counter(i);
      const std::span<std::byte> frame(payload.data(),
                                       frame_size(writer, seq + i, payload.size()));
      fill_frame(frame, c, writer);
      if (!batch->publish(i, frame_kind(c), frame_ver(c), frame).ok()) std::abort();
      after_frame(c);
    }
    return batch->size();
  }

  [[noreturn]] static void fail(const char* what, const absl::Status& status) {
    std::fprintf(stderr, "%s failed: %s\n", what, std::string(status.message()).c_str());
    std::abort();
  }

  // Trickle mode: waits until every cursor reader has moved past counter c.
  // No other frame is in flight meanwhile, so no later signal can wake a
  // reader that missed ours. A reader whose wake-up was lost sleeps until its
  // own timeout (kWaitTimeout after it began waiting, just before c was
  // published); half of that is the limit here.
  bool consumed_by_all_readers(std::uint64_t c) {
    const auto deadline = Clock::now() + kWaitTimeout / 2;
    for (std::size_t r = 0; r < static_cast<std::size_t>(config_.readers); ++r) {
      while (board_.readers[r].progress.load(kReadProgress) <= c) {  // (S6)
        if (board_.stop_writers.load(kCheckStop)) return true;       // (S2)
        if (Clock::now() >= deadline) return false;
        std::this_thread::yield();
      }
    }
    return true;
  }

  void read_until_drained(ReaderTally& tally, std::optional<GateFor<RingT>>& gate,
                          RingCursor& cursor) {
    FrameBuffer buffer = ring_.make_buffer();
    const auto on_frame = [&tally](const FrameBuffer& f, std::uint64_t polled) {
      tally.checked.fetch_add(1, kCount);  // (S9)
      tally.frames(f, polled, kRingKind);
    };
    for (;;) {
      const bool done = board_.writers_done.load(kSeeWritersDone);  // (S4)
      const PollStats stats =
          gate ? gate->poll(buffer, on_frame) : poll_into(ring_, cursor, buffer, on_frame);
      tally.polls.add(stats);

      const std::uint64_t next = gate ? gate->cursor().next_counter : cursor.next_counter;
      tally.progress.store(next, kPublishProgress);  // (S5)
      if (done && !stats.stopped_at_pending && next == ring_.head()) {
        tally.reached_head = true;
        break;
      }
      // Every claim is published once the writers are done; a cursor still
      // held at a Pending counter long after that has lost a frame for good.
      if (done && Clock::now() - board_.writers_done_at > kDrainLimit) {
        tally.stuck_at = next;
        break;
      }
      if (stats.delivered == 0 && !done) idle(tally, next);
    }
  }

  void idle(ReaderTally& tally, std::uint64_t next) {
    if constexpr (WaitingRing<RingT>) {
      ++tally.waits;
      // A wait that began before every writer ran (a forked writer may take
      // a second to attach on a busy machine) had no wake-up to lose.
      const bool judged =
          board_.writers_running.load(kSeeWritersRunning) == config_.writers;  // (S11)
      const auto began = Clock::now();
      const WaitResult result = ring_.wait_for(next, kWaitTimeout);
      if (judged && result == WaitResult::kPublished && Clock::now() - began >= kWaitTimeout) {
        ++tally.lost_wakeups;
      }
    } else {
      std::this_thread::yield();
    }
  }

  const Config& config_;
  RingT& ring_;
  Board& board_;
};

}  // namespace ringlab::stress
