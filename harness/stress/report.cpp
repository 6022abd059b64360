#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "board.hpp"

namespace ringlab::stress {

std::string to_json(const Config& c, const Result& r) {
  const auto b = [](bool v) { return v ? "true" : "false"; };
  return absl::StrFormat(
      "{\"variant\": \"%s\", \"writers\": %d, \"readers\": %d, \"watchers\": %d, "
      "\"capacity\": %d, "
      "\"payload_capacity\": %d, \"first_counter\": %d, \"trickle\": %s, \"seconds\": %.3f, "
      "\"frames_checked\": %d, \"frames_written\": %d, \"delivered\": %d, "
      "\"overwritten\": %d, \"unavailable\": %d, \"slot_reads\": %d, \"waits\": %d, "
      "\"torn\": %d, \"regressions\": %d, \"inexact_polls\": %d, \"lost_wakeups\": %d, "
      "\"loss_exact\": %s, \"reached_head\": %s, \"min_frames_reached\": %s, "
      "\"processes\": %s, \"batch\": %d, \"loan\": %s, \"preempt_sleepers\": %s, \"failed_roles\": %d, \"passed\": %s}\n",
      c.variant, c.writers, c.readers, c.watchers, c.spec.capacity, c.spec.payload_capacity,
      c.first_counter, b(c.trickle), r.seconds, r.frames_checked, r.written, r.delivered,
      r.overwritten, r.unavailable, r.slot_reads, r.waits, r.torn, r.regressions,
      r.inexact_polls, r.lost_wakeups, b(r.loss_exact), b(r.all_reached_head), b(r.min_reached),
      b(c.processes), c.batch, b(c.loan), b(c.preempt_sleepers), r.failed_roles, b(r.passed()));
}

void print_result(const Config& c, const Result& r) {
  const auto yes = [](bool v) { return v ? "yes" : "NO"; };
  const auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "stress %s: frames_checked=%llu torn=%llu regressions=%llu inexact_polls=%llu "
      "lost_wakeups=%llu loss_exact=%s reached_head=%s | written=%llu delivered=%llu "
      "overwritten=%llu unavailable=%llu slot_reads=%llu waits=%llu failed_roles=%llu in %.1f s: "
      "%s\n",
      c.variant.c_str(), n(r.frames_checked), n(r.torn), n(r.regressions), n(r.inexact_polls),
      n(r.lost_wakeups), yes(r.loss_exact), yes(r.all_reached_head), n(r.written), n(r.delivered),
      n(r.overwritten), n(r.unavailable), n(r.slot_reads), n(r.waits), n(r.failed_roles),
      r.seconds, r.passed() ? "PASS" : "FAIL");
  if (!r.min_reached) {
    std::printf("stress %s: only %llu of %llu frames checked within %.0f s\n", c.variant.c_str(),
                n(r.frames_checked), n(c.min_frames), c.max_seconds);
  }
}

}  // namespace ringlab::stress
