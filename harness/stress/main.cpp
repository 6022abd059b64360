// ringlab_stress: W writers and R readers hammer one ring with self-checking
// frames (common/stress_frame.hpp) for a bounded time. The run fails unless
//   - no reader ever receives a torn frame,
//   - no cursor receives a counter at or below one it already had, and no slot
//     is seen going back from a newer counter to an older one,
//   - every poll's loss accounting is exact, and after the writers stop every
//     cursor reaches head with delivered + overwritten + unavailable equal to
//     the distance it moved (and zero loss for gated readers),
//   - no wait for a counter (Ring::wait_for) misses its wake-up.
// Small capacities make writers lap each other on purpose.
//
// With --processes, every writer, reader and watcher is a forked process
// attached to one ring in POSIX shared memory (shm/shared_ring.hpp); they
// report through a board in shared memory and the parent judges the same
// way. Shared-memory rings start at counter 0. A single-writer variant runs
// one writer process, which attaches with the writer role (it holds the
// ring's writer lease); readers and watchers attach as readers.
//
// The variants are the registry's (harness/common/variants.hpp);
// --list-variants prints them with their traits, and ctest's stress list is
// made from that (harness/stress/CMakeLists.txt).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "board.hpp"
#include "common/variants.hpp"
#include "known_bad/seed_seqlock.hpp"
#include "run.hpp"

namespace ringlab::stress {
namespace {

// Designs that must fail: not in the registry (they live with the model
// checks, models/known_bad/), run only by name, never across processes.
// The plain payload copy is a data race that ThreadSanitizer must report.
using KnownBad = harness::VariantList<harness::Variant<
    "known-bad-plain-payload", Ring<known_bad::PlainPayloadSeqlock<StdSync>>, harness::Traits{}>>;

template <class List, class Keep>
std::vector<std::string> names_of(Keep keep) {
  std::vector<std::string> names;
  List::for_each([&]<class V>() {
    if (keep.template operator()<V>()) names.emplace_back(V::name);
  });
  return names;
}
std::string all_variants() {
  return absl::StrJoin(names_of<harness::Variants>([]<class>() { return true; }), " | ");
}
std::string shareable_variants() {
  return absl::StrJoin(names_of<harness::Variants>([]<class V>() { return V::shareable; }), ", ");
}
std::string known_bad_variants() {
  return absl::StrJoin(names_of<KnownBad>([]<class>() { return true; }), ", ");
}

}  // namespace
}  // namespace ringlab::stress

ABSL_FLAG(std::string, variant, "seqlock",
          ringlab::stress::all_variants() + " (--list-variants says what each is); known bad, " +
              "expected to fail under ThreadSanitizer: " + ringlab::stress::known_bad_variants());
ABSL_FLAG(int, writers, 2,
          "writers (threads, or processes with --processes), 1..64; a variant with a single "
          "writer takes 1 only, and 1 is its default");
ABSL_FLAG(int, readers, 2, "cursor readers, 1..32 (each polls with its own cursor)");
ABSL_FLAG(int, watchers, 1,
          "slot watchers, 0..32: read slots round-robin, check each frame and that no "
          "slot goes back to an older counter");
ABSL_FLAG(uint64_t, capacity, 4, "ring capacity, a power of two; small values force laps");
ABSL_FLAG(uint64_t, payload, 48, "payload capacity in bytes, 24..65536; frame sizes vary up to it");
ABSL_FLAG(double, min_frames, 1e7, "stop once the readers have checked this many frames");
ABSL_FLAG(double, max_seconds, 120, "fail if min_frames is not reached by then");
ABSL_FLAG(uint64_t, first_counter, (uint64_t{1} << 32) - 100000,
          "counter of the first write (default: just below 2^32, so every run crosses it; "
          "not with --processes, whose rings start at 0)");
ABSL_FLAG(bool, trickle, false,
          "each writer waits, after each frame, until every cursor reader has consumed it: "
          "readers sleep between frames, and a wake-up the writer's signal missed shows");
ABSL_FLAG(uint64_t, batch, 0,
          "writers claim N counters at once (Ring::claim_batch) and publish them in order, "
          "1..capacity; 0: one claim per frame");
ABSL_FLAG(bool, loan, false,
          "writers fill each frame in place through a slot loan (Ring::loan); not with --batch");
ABSL_FLAG(bool, preempt_sleepers, false,
          "for a variant with wait=blocking: its ring over a Sync policy under which every "
          "sleeper yields the processor right before its futex wait, so that a "
          "writer's signal lands in that gap often (a lost wake-up shows within seconds)");
ABSL_FLAG(std::string, json, "", "also write the result as JSON to this file");
ABSL_FLAG(bool, processes, false,
          "run every writer, reader and watcher as a forked process over a ring in POSIX "
          "shared memory, for the shareable variants: " +
              ringlab::stress::shareable_variants() +
              " (a single-writer variant's writer process takes the ring's writer lease); "
              "the segment's header records --first_counter");

namespace ringlab::stress {
namespace {

constexpr char kUsage[] =
    "Stress one ring variant with self-checking frames.\n"
    "  ringlab_stress --variant=seqlock --writers=2 --readers=2 --capacity=4 --min_frames=1e7\n"
    "  ringlab_stress --variant=seqlock --processes --capacity=256 --min_frames=1e6\n"
    "  ringlab_stress --variant=disruptor-gated --capacity=64 --batch=8 --min_frames=1e6\n"
    "  ringlab_stress --variant=seqlock --capacity=1 --loan --min_frames=1e6\n"
    "  ringlab_stress --variant=disruptor-blocking --readers=4 --trickle --preempt_sleepers\n"
    "  ringlab_stress --list-variants[=json]   the variants, one a line (or a JSON array):\n"
    "      name writers=single|multi lossless=0|1 waits=0|1 shareable=0|1 lends=0|1\n"
    "      role=targeted|baseline wait=<strategy> storage=<storage>";

// What the registry says of a variant, or nothing if there is none of that name.
struct Facts {
  bool single_writer = false;
  bool shareable = false;
  bool known_bad = false;
  bool lends = false;
  bool blocking_wait = false;  // wait=blocking: sleeps on a futex
};
std::optional<Facts> facts_of(std::string_view name) {
  std::optional<Facts> facts;
  harness::Variants::for_each([&]<class V>() {
    if (V::name == name) {
      facts = Facts{V::single_writer, V::shareable, false, V::lends,
                    V::wait_strategy == BlockingWait<>::kName};
    }
  });
  KnownBad::for_each([&]<class V>() {
    if (V::name == name) facts = Facts{false, false, true};
  });
  return facts;
}

Result run(const Config& config) {
  Result result;
  const auto run_named = [&]<class V>() {
    if (V::name == config.variant) result = run_variant<V>(config);
  };
  harness::Variants::for_each(run_named);
  KnownBad::for_each(run_named);
  return result;
}

void list_variants(bool json) {
  std::vector<std::string> lines;
  harness::Variants::for_each([&]<class V>() {
    lines.push_back(json ? harness::describe_json<V>() : harness::describe<V>());
  });
  if (json) {
    std::printf("[%s]\n", absl::StrJoin(lines, ",\n ").c_str());
  } else {
    for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  }
}

// Whether argv names the flag (--name, -name, --name=…, -name=…): a default
// the user did not ask for may be replaced, one they gave may not.
bool given(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (!arg.starts_with('-')) continue;
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    if (arg.substr(0, arg.find('=')) == name) return true;
  }
  return false;
}

// --list-variants, --list-variants=json or --list-variants=text among argv:
// "text" or "json"; "" if it is not there; the bad value otherwise.
std::optional<std::string> list_request(int argc, char** argv) {
  constexpr std::string_view kFlag = "--list-variants";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == kFlag) return "text";
    if (arg.starts_with(kFlag) && arg[kFlag.size()] == '=') {
      return std::string(arg.substr(kFlag.size() + 1));
    }
  }
  return std::nullopt;
}

// Abseil's parser ends the process itself, with status 1, after --help and on
// a flag it cannot parse (having said why); this tool's statuses are 0 and 2.
// While it parses, an exit handler puts them right.
int g_exit_while_parsing = -1;
void exit_as_parsed() {
  if (g_exit_while_parsing < 0) return;
  std::fflush(nullptr);
  if (g_exit_while_parsing == 2) std::fprintf(stderr, "%s\nTry --help.\n", kUsage);
  std::_Exit(g_exit_while_parsing);
}

// Whether argv asks Abseil for help (or its version): a normal end.
bool asks_for_help(int argc, char** argv) {
  for (const char* flag : {"help", "helpfull", "helpshort", "helppackage", "version",
                           "only_check_args"}) {
    if (given(argc, argv, flag)) return true;
  }
  return given(argc, argv, "helpon") || given(argc, argv, "helpmatch");
}

std::vector<char*> parse_flags(int argc, char** argv) {
  g_exit_while_parsing = asks_for_help(argc, argv) ? 0 : 2;
  std::atexit(exit_as_parsed);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  g_exit_while_parsing = -1;
  return rest;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ringlab_stress: %s\n%s\nTry --help.\n", message.c_str(),
               std::string(absl::ProgramUsageMessage()).c_str());
  return 2;
}

// The flags, checked; or the exit status of a usage error.
std::variant<Config, int> configure(int argc, char** argv) {
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
  config.processes = absl::GetFlag(FLAGS_processes);
  config.batch = absl::GetFlag(FLAGS_batch);
  config.loan = absl::GetFlag(FLAGS_loan);
  config.preempt_sleepers = absl::GetFlag(FLAGS_preempt_sleepers);
  const std::optional<Facts> facts = facts_of(config.variant);
  if (!facts) return usage_error("unknown --variant \"" + config.variant + "\"");
  if (config.processes) {
    if (!facts->shareable) {
      return usage_error(absl::StrCat("--variant=", config.variant,
                                      " cannot run with --processes: it cannot live in shared "
                                      "memory (shareable: ", shareable_variants(), ")"));
    }
  }
  if (facts->single_writer && !given(argc, argv, "writers")) config.writers = 1;
  if (config.writers < 1 || config.writers > kMaxWriters) {
    return usage_error(absl::StrCat("--writers must be 1..", kMaxWriters));
  }
  if (facts->single_writer && config.writers != 1) {
    return usage_error(absl::StrCat("--variant=", config.variant,
                                    " has a single writer: --writers must be 1"));
  }
  if (config.readers < 1 || config.readers > kMaxReaders) {
    return usage_error(absl::StrCat("--readers must be 1..", kMaxReaders));
  }
  if (config.watchers < 0 || config.watchers > kMaxWatchers) {
    return usage_error(absl::StrCat("--watchers must be 0..", kMaxWatchers));
  }
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
  if (config.batch > config.spec.capacity) {
    return usage_error("--batch must be 0..capacity (a batch takes at most the whole ring)");
  }
  if (config.loan && config.batch != 0) return usage_error("--loan and --batch exclude each other");
  if (config.loan && !facts->lends) {
    return usage_error(absl::StrCat("--loan needs a ring that lends slots; --variant=",
                                    config.variant, " does not"));
  }
  if (config.preempt_sleepers && (!facts->blocking_wait || config.processes)) {
    return usage_error(absl::StrCat("--preempt_sleepers needs a variant with wait=blocking, in "
                                    "one process; --variant=", config.variant, " is not one"));
  }
  config.min_frames = static_cast<std::uint64_t>(min_frames);
  return config;
}

}  // namespace
}  // namespace ringlab::stress

int main(int argc, char** argv) {
  using namespace ringlab::stress;
  // --help lists this directory's flags (Abseil matches files named like the program).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("harness/stress/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(kUsage);
  if (const std::optional<std::string> list = list_request(argc, argv)) {
    if (*list != "text" && *list != "json") {
      return usage_error("--list-variants takes =json, =text or nothing, not \"" + *list + "\"");
    }
    if (argc != 2) return usage_error("--list-variants takes no other arguments");
    list_variants(*list == "json");
    return 0;
  }
  const std::vector<char*> rest = parse_flags(argc, argv);
  if (rest.size() > 1) return usage_error(std::string("unexpected argument: ") + rest[1]);
  const std::variant<Config, int> configured = configure(argc, argv);
  if (const int* status = std::get_if<int>(&configured)) return *status;
  const Config& config = std::get<Config>(configured);

  const std::string writes = config.loan        ? " through loans"
                             : config.batch != 0 ? absl::StrCat(" in batches of ", config.batch)
                                                 : "";
  std::printf("stress %s%s%s%s: %d writers x %d readers + %d slot watchers, capacity %zu, payload "
              "up to %zu B, counters from %llu, until %.3g frames checked (at most %.0f s)\n",
              config.variant.c_str(), config.processes ? " across processes" : "", writes.c_str(),
              config.preempt_sleepers ? ", sleepers preempted before each wait" : "",
              config.writers, config.readers, config.watchers, config.spec.capacity,
              config.spec.payload_capacity,
              static_cast<unsigned long long>(config.first_counter),
              static_cast<double>(config.min_frames), config.max_seconds);
  std::fflush(stdout);
  const Result result = run(config);
  print_result(config, result);
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << to_json(config, result);
  }
  return result.passed() ? 0 : 1;
}
