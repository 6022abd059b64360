// What a reader's polls came to. Every counter a poll moves past is delivered
// or lost; a poll whose delivered + loss is not how far it moved is inexact
// [ExactLoss]. Plain data, so that it can sit in memory processes share.
#pragma once

#include <cstdint>

#include "ringlab/cursor.hpp"

namespace ringlab::harness {

struct PollTally {
  std::uint64_t polls = 0;
  std::uint64_t delivered = 0;
  Loss loss;
  std::uint64_t moved = 0;  // how far the cursor went, in counters
  std::uint64_t inexact_polls = 0;
  std::uint64_t stopped_at_pending = 0;  // polls that ended at a Pending counter

  void add(const PollStats& stats) {
    ++polls;
    delivered += stats.delivered;
    loss += stats.loss;
    moved += stats.to - stats.from;
    if (stats.delivered + stats.loss.total() != stats.to - stats.from) ++inexact_polls;
    if (stats.stopped_at_pending) ++stopped_at_pending;
  }

  // Every counter moved past is accounted for.
  bool adds_up() const { return inexact_polls == 0 && delivered + loss.total() == moved; }
};

}  // namespace ringlab::harness
