// The soak's command line: --seconds or --minutes, --variant (a regex over the
// shareable variants' names), --seed, --json, --help. A bad flag is a
// one-line error after the usage, and status 2.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ringlab::soak {

inline constexpr char kUsage[] =
    "usage: ringlab_soak [--seconds S | --minutes M] [--variant REGEX] [--seed N] [--json PATH]\n"
    "Forks writer and reader processes onto a ring in POSIX shared memory for each shareable\n"
    "variant in turn, SIGKILLs them at random moments and restarts them, and checks every\n"
    "frame: torn must be 0, loss exact, and no stall past the progress bound.\n"
    "  --seconds S      total time, split evenly between the variants (default 60)\n"
    "  --minutes M      the same in minutes\n"
    "  --variant REGEX  only the shareable variants whose name it matches (search)\n"
    "  --seed N         seeds the kill schedule (default: from the clock; printed)\n"
    "  --json PATH      also write the figures as JSON\n"
    "Exit status: 0 pass, 1 fail, 2 bad arguments.\n";

inline constexpr double kMaxSeconds = 7 * 24 * 3600.0;

struct Options {
  double seconds = 60;
  std::string variant = ".*";
  std::optional<std::uint64_t> seed;
  std::string json;
  bool help = false;
};

namespace detail {

inline absl::StatusOr<double> positive_seconds(const std::string& flag, const std::string& text,
                                               double scale) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value <= 0 ||
      value * scale > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " must be a number of ", scale == 1 ? "seconds" : "minutes", " above 0 (at most ",
        kMaxSeconds / scale, "), got \"", text, "\""));
  }
  return value * scale;
}

}  // namespace detail

// Parses argv: "--flag value" or "--flag=value".
inline absl::StatusOr<Options> parse(int argc, char** argv) {
  Options options;
  bool timed = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (!arg.starts_with("--")) return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    std::string flag = arg, value;
    bool has_value = false;
    if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (flag != "--seconds" && flag != "--minutes" && flag != "--variant" && flag != "--seed" &&
        flag != "--json") {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      value = argv[++i];
    }
    if (flag == "--seconds" || flag == "--minutes") {
      if (timed) return absl::InvalidArgumentError("give --seconds or --minutes, once");
      timed = true;
      absl::StatusOr<double> s = detail::positive_seconds(flag, value, flag == "--seconds" ? 1 : 60);
      if (!s.ok()) return s.status();
      options.seconds = *s;
    } else if (flag == "--variant") {
      try {
        (void)std::regex(value, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return absl::InvalidArgumentError(absl::StrCat("--variant \"", value, "\" is not a regex"));
      }
      options.variant = value;
    } else if (flag == "--seed") {
      std::uint64_t seed = 0;
      if (!absl::SimpleAtoi(value, &seed)) {
        return absl::InvalidArgumentError(absl::StrCat("--seed must be an unsigned integer, got \"", value, "\""));
      }
      options.seed = seed;
    } else {
      if (value.empty()) return absl::InvalidArgumentError("--json needs a path");
      options.json = value;
    }
  }
  return options;
}

}  // namespace ringlab::soak
