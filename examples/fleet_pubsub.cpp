// fleet_pubsub: publish to, or subscribe to, one kind of a shared-memory fleet.
//
//   fleet_pubsub publish   --fleet=demo --node=1 --kind=7 --count=5 --message=hello
//   fleet_pubsub subscribe --fleet=demo --node=2 --kind=7 --count=5
//   fleet_pubsub remove    --fleet=demo --kind=7
//
// Every node of a kind must give the same --capacity and --payload-capacity:
// the first one to use the kind creates its ring with them, and a node asking
// for another spec gets an error naming the field.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ringlab/shm/fleet.hpp"

namespace {

using ringlab::FrameBuffer;
using ringlab::NodeId;
using ringlab::RingCursor;
using ringlab::RingSpec;
using Fleet = ringlab::shm::Fleet<>;

constexpr int kBadArguments = 2;

constexpr char kUsage[] = R"(usage: fleet_pubsub MODE --fleet=NAME --kind=K [options]

modes:
  publish     publish --count frames "<message> #i" (ver = i) to kind K
  subscribe   print kind K's frames as they come, from the oldest one kept
  remove      unlink kind K's segment (nodes that have it mapped keep it)

options:
  --fleet=NAME             fleet name, 1..64 of [A-Za-z0-9_-] (required)
  --kind=K                 the kind, 0..255 (required)
  --node=N                 this node's id, 0..65535 (default 1)
  --capacity=C             slots of the kind's ring, a power of two (default 1024)
  --payload-capacity=P     bytes per frame (default 256)
  --count=N                publish: frames to send (default 10);
                           subscribe: frames to wait for, 0 = until idle (default 0)
  --interval-ms=MS         publish: pause between frames (default 100)
  --idle-timeout-ms=MS     subscribe: give up after this long without a frame (default 5000)
  --message=TEXT           publish: payload prefix (default "hello")
  --help                   this text
exit status: 0 done, 1 runtime error or subscribe timeout, 2 bad arguments
)";

struct Options {
  std::string mode;
  std::string fleet;
  std::optional<std::uint8_t> kind;
  std::uint16_t node = 1;
  RingSpec spec{1024, 256};
  std::uint64_t count = 10;
  std::uint64_t interval_ms = 100;
  std::uint64_t idle_timeout_ms = 5000;
  std::string message = "hello";
};

[[noreturn]] void bad_arguments(std::string_view why) {
  std::fprintf(stderr, "fleet_pubsub: %.*s\n\n%s", static_cast<int>(why.size()), why.data(),
               kUsage);
  std::exit(kBadArguments);
}

std::uint64_t number(std::string_view flag, const std::string& text, std::uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || value > max) {
    bad_arguments(absl::StrCat("--", std::string(flag), ": \"", text,
                               "\" is not a number in 0..", max));
  }
  return value;
}

void apply_flag(Options& o, const std::string& name, const std::string& value, bool& count_set) {
  constexpr std::uint64_t kAny = UINT64_MAX;
  if (name == "fleet") {
    o.fleet = value;
  } else if (name == "kind") {
    o.kind = static_cast<std::uint8_t>(number(name, value, 255));
  } else if (name == "node") {
    o.node = static_cast<std::uint16_t>(number(name, value, 65535));
  } else if (name == "capacity") {
    o.spec.capacity = number(name, value, RingSpec::kMaxCapacity);
  } else if (name == "payload-capacity") {
    o.spec.payload_capacity = number(name, value, RingSpec::kMaxPayloadCapacity);
  } else if (name == "count") {
    o.count = number(name, value, kAny);
    count_set = true;
  } else if (name == "interval-ms") {
    o.interval_ms = number(name, value, 3'600'000);
  } else if (name == "idle-timeout-ms") {
    o.idle_timeout_ms = number(name, value, 86'400'000);
  } else if (name == "message") {
    o.message = value;
  } else {
    bad_arguments(absl::StrCat("unknown flag --", name));
  }
}

Options parse(int argc, char** argv) {
  Options o;
  bool count_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (!arg.starts_with("--")) {
      if (!o.mode.empty()) bad_arguments(absl::StrCat("a second mode \"", arg, "\""));
      o.mode = arg;
      continue;
    }
    const std::size_t eq = arg.find('=');
    if (eq == std::string::npos) bad_arguments(absl::StrCat(arg, ": expected --flag=value"));
    apply_flag(o, arg.substr(2, eq - 2), arg.substr(eq + 1), count_set);
  }
  if (o.mode != "publish" && o.mode != "subscribe" && o.mode != "remove") {
    bad_arguments(o.mode.empty() ? "no mode given"
                                 : absl::StrCat("unknown mode \"", o.mode, "\""));
  }
  if (o.fleet.empty()) bad_arguments("--fleet is required");
  if (!o.kind) bad_arguments("--kind is required");
  if (o.mode == "subscribe" && !count_set) o.count = 0;
  return o;
}

int fail(const absl::Status& s) {
  std::fprintf(stderr, "fleet_pubsub: %s\n", s.ToString().c_str());
  return 1;
}

// A bad fleet name or spec is a bad argument too.
int fail_setup(const absl::Status& s) {
  fail(s);
  return absl::IsInvalidArgument(s) ? kBadArguments : 1;
}

int publish(Fleet& fleet, const Options& o) {
  for (std::uint64_t i = 0; i < o.count; ++i) {
    const std::string text = absl::StrCat(o.message, " #", i);
    const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
    const absl::StatusOr<ringlab::NetId64> id = fleet.publish(*o.kind, 0, i, bytes);
    if (!id.ok()) return fail(id.status());
    std::printf("published %s \"%s\"\n", id->to_string().c_str(), text.c_str());
    std::fflush(stdout);
    if (i + 1 < o.count) std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
  }
  return 0;
}

void print_frame(const FrameBuffer& frame) {
  const auto payload = frame.payload();
  std::printf("%s ver %llu \"%.*s\"\n", frame.id.to_string().c_str(),
              static_cast<unsigned long long>(frame.ver), static_cast<int>(payload.size()),
              reinterpret_cast<const char*>(payload.data()));
}

int subscribe(Fleet& fleet, const Options& o) {
  const auto ring = fleet.ring(*o.kind);
  if (!ring.ok()) return fail(ring.status());
  FrameBuffer scratch = (*ring)->make_buffer();
  RingCursor cursor = RingCursor::from_start();
  std::uint64_t received = 0;
  auto last_frame = std::chrono::steady_clock::now();
  const auto idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  while (o.count == 0 || received < o.count) {
    const absl::StatusOr<ringlab::PollStats> stats =
        fleet.poll_into(*o.kind, cursor, scratch, print_frame,
                        o.count == 0 ? UINT64_MAX : o.count - received);
    if (!stats.ok()) return fail(stats.status());
    if (stats->loss.total() != 0) {
      std::printf("lost %llu (overwritten %llu, unavailable %llu)\n",
                  static_cast<unsigned long long>(stats->loss.total()),
                  static_cast<unsigned long long>(stats->loss.overwritten),
                  static_cast<unsigned long long>(stats->loss.unavailable));
    }
    std::fflush(stdout);
    received += stats->delivered;
    const auto now = std::chrono::steady_clock::now();
    if (stats->to != stats->from) last_frame = now;
    if (now - last_frame > idle_timeout) {
      if (o.count == 0) return 0;
      std::fprintf(stderr, "fleet_pubsub: %llu of %llu frames before the idle timeout\n",
                   static_cast<unsigned long long>(received),
                   static_cast<unsigned long long>(o.count));
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.mode == "remove") {
    const std::uint8_t kinds[] = {*o.kind};
    const absl::Status s = Fleet::remove(o.fleet, kinds);
    return s.ok() ? 0 : fail_setup(s);
  }
  absl::StatusOr<Fleet> fleet = Fleet::join(o.fleet, NodeId(o.node));
  if (!fleet.ok()) return fail_setup(fleet.status());
  if (absl::Status s = fleet->declare(*o.kind, o.spec); !s.ok()) return fail_setup(s);
  return o.mode == "publish" ? publish(*fleet, o) : subscribe(*fleet, o);
}
