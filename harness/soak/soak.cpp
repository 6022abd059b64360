// ringlab_soak: a crash soak of every shareable variant in shared memory
// (run.hpp says what one variant's soak does). Exit status 0 when every
// variant passes; 1 when any frame was torn or misordered, a reader's loss
// was inexact, a process gave up, or the ring stopped making progress; 2 on
// bad arguments.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "common/variants.hpp"
#include "figures.hpp"
#include "options.hpp"
#include "run.hpp"

namespace ringlab::soak {
namespace {

// The longest a pass allows no reader to see a new frame: a dead writer is
// taken over at once, and a live stalled one dropped after a second
// (Sync::kWriterStallBound), so only a ring that stopped comes near it.
constexpr double kProgressBoundSeconds = 3.0;

int soak(const Options& options) {
  const std::regex wanted(options.variant, std::regex::ECMAScript);
  std::vector<std::string> names;
  harness::ShareableVariants::for_each([&]<class V>() {
    if (std::regex_search(std::string(V::name), wanted)) names.emplace_back(V::name);
  });
  if (names.empty()) {
    std::fprintf(stderr, "%s\nringlab_soak: error: --variant \"%s\" matches no shareable variant\n",
                 kUsage, options.variant.c_str());
    return 2;
  }
  Summary summary;
  summary.seconds = options.seconds;
  summary.progress_bound_s = kProgressBoundSeconds;
  summary.seed = options.seed ? *options.seed
                              : static_cast<std::uint64_t>(
                                    std::chrono::system_clock::now().time_since_epoch().count());
  std::mt19937_64 random(summary.seed);
  std::fprintf(stderr, "[soak] %zu variants, %.0f s in all, seed %llu\n", names.size(),
               options.seconds, static_cast<unsigned long long>(summary.seed));
  Plan plan{options.seconds / static_cast<double>(names.size()), kProgressBoundSeconds, 0};
  harness::ShareableVariants::for_each([&]<class V>() {
    if (!std::regex_search(std::string(V::name), wanted)) return;
    ++plan.serial;
    summary.variants.push_back(VariantSoak<V>(plan, random).run());
    const Figures& f = summary.variants.back();
    std::fprintf(stderr, "[soak] %s: %s (%llu processes)\n", f.variant.c_str(),
                 f.passed() ? "pass" : "FAIL", static_cast<unsigned long long>(f.processes_started));
  });
  print_table(summary, stderr);
  if (!options.json.empty()) {
    std::ofstream out(options.json);
    out << to_json(summary);
    if (!out.flush()) {
      std::fprintf(stderr, "ringlab_soak: error: cannot write %s\n", options.json.c_str());
      return 1;
    }
  }
  return summary.passed() ? 0 : 1;
}

}  // namespace
}  // namespace ringlab::soak

int main(int argc, char** argv) {
  const absl::StatusOr<ringlab::soak::Options> options = ringlab::soak::parse(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "%s\nringlab_soak: error: %s\n", ringlab::soak::kUsage,
                 std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(ringlab::soak::kUsage, stdout);
    return 0;
  }
  return ringlab::soak::soak(*options);
}
