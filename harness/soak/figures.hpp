// What a soak found per variant, its verdict, and how it is written: a table
// on stderr and a JSON file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ringlab/cursor.hpp"

namespace ringlab::soak {

struct Figures {
  std::string variant;
  bool single_writer = false;
  double seconds = 0;
  std::uint64_t processes_started = 0;
  std::uint64_t writer_kills = 0, reader_kills = 0;
  std::uint64_t frames_written = 0, frames_checked = 0;
  std::uint64_t torn = 0, misordered = 0;
  std::uint64_t reader_lifetimes = 0, inexact_lifetimes = 0;
  Loss loss;
  std::uint64_t recoveries = 0;
  double longest_stall_ms = 0;
  double longest_pending_ms = 0;  // the longest a claimed counter stayed uncommitted
  std::vector<std::string> failures;  // children that gave up, stalls past the bound

  bool loss_exact() const { return inexact_lifetimes == 0; }
  bool passed() const { return torn == 0 && misordered == 0 && loss_exact() && failures.empty(); }
  const char* recovery_kind() const {
    return single_writer ? "lease takeovers" : "writer kills after which readers saw new frames";
  }
};

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string to_json(const Figures& f) {
  std::vector<std::string> failures;
  for (const std::string& why : f.failures) failures.push_back(json_string(why));
  return absl::StrFormat(
      "{\"variant\": %s, \"writers\": \"%s\", \"kills\": \"anywhere\", \"seconds\": %.3f, "
      "\"processes_started\": %d, \"writer_kills\": %d, \"reader_kills\": %d, "
      "\"frames_written\": %d, \"frames_checked\": %d, \"torn\": %d, \"misordered\": %d, "
      "\"reader_lifetimes\": %d, \"inexact_lifetimes\": %d, \"loss_exact\": %s, "
      "\"loss\": {\"overwritten\": %d, \"unavailable\": %d, \"stalled\": %d}, "
      "\"recoveries\": %d, \"recovery_kind\": %s, \"longest_stall_ms\": %.1f, "
      "\"longest_pending_ms\": %.1f, \"failures\": [%s], \"verdict\": \"%s\"}",
      json_string(f.variant), f.single_writer ? "single" : "multi", f.seconds,
      f.processes_started, f.writer_kills, f.reader_kills, f.frames_written, f.frames_checked,
      f.torn, f.misordered, f.reader_lifetimes, f.inexact_lifetimes,
      f.loss_exact() ? "true" : "false", f.loss.overwritten, f.loss.unavailable, f.loss.stalled,
      f.recoveries, json_string(f.recovery_kind()), f.longest_stall_ms,
      f.longest_pending_ms, absl::StrJoin(failures, ", "), f.passed() ? "pass" : "fail");
}

struct Summary {
  std::uint64_t seed = 0;
  double seconds = 0;           // asked for
  double progress_bound_s = 0;  // the longest stall a pass allows
  std::vector<Figures> variants;

  std::uint64_t processes_started() const {
    std::uint64_t n = 0;
    for (const Figures& f : variants) n += f.processes_started;
    return n;
  }
  bool passed() const {
    for (const Figures& f : variants) {
      if (!f.passed()) return false;
    }
    return !variants.empty();
  }
};

inline std::string to_json(const Summary& s) {
  std::vector<std::string> variants;
  for (const Figures& f : s.variants) variants.push_back(to_json(f));
  return absl::StrFormat(
      "{\"tool\": \"ringlab_soak\", \"seed\": %d, \"seconds\": %.3f, \"progress_bound_s\": %.1f, "
      "\"processes_started\": %d, \"verdict\": \"%s\",\n \"variants\": [\n  %s\n ]}\n",
      s.seed, s.seconds, s.progress_bound_s, s.processes_started(), s.passed() ? "pass" : "fail",
      absl::StrJoin(variants, ",\n  "));
}

// The end-of-run table, one line a variant, then each failure.
inline void print_table(const Summary& s, std::FILE* out) {
  std::fprintf(out, "%-22s %6s %6s %6s %11s %11s %5s %5s %10s %7s %7s %5s\n", "variant",
               "starts", "kill-w", "kill-r", "written", "checked", "torn", "loss", "recoveries",
               "stall", "pending", "verdict");
  for (const Figures& f : s.variants) {
    std::fprintf(out, "%-22s %6llu %6llu %6llu %11llu %11llu %5llu %5s %10llu %5.0fms %5.0fms %5s\n",
                 f.variant.c_str(), static_cast<unsigned long long>(f.processes_started),
                 static_cast<unsigned long long>(f.writer_kills),
                 static_cast<unsigned long long>(f.reader_kills),
                 static_cast<unsigned long long>(f.frames_written),
                 static_cast<unsigned long long>(f.frames_checked),
                 static_cast<unsigned long long>(f.torn + f.misordered),
                 f.loss_exact() ? "exact" : "NO", static_cast<unsigned long long>(f.recoveries),
                 f.longest_stall_ms, f.longest_pending_ms, f.passed() ? "pass" : "FAIL");
  }
  for (const Figures& f : s.variants) {
    for (const std::string& why : f.failures) std::fprintf(out, "  %s: %s\n", f.variant.c_str(), why.c_str());
  }
  std::fprintf(out,
               "recoveries: lease takeovers for single-writer rings; for the others, writer kills "
               "after which readers saw new frames. stall: the longest time no reader saw a new "
               "frame; pending: the longest a claimed counter stayed uncommitted (bound %.1f s "
               "each).\n",
               s.progress_bound_s);
  std::fprintf(out, "%llu processes started; seed %llu; verdict: %s\n",
               static_cast<unsigned long long>(s.processes_started()),
               static_cast<unsigned long long>(s.seed), s.passed() ? "pass" : "FAIL");
}

}  // namespace ringlab::soak
