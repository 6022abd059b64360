// ringlab_cost: what one 64-byte frame costs each ring variant, each peer
// queue and the bare single-writer seqlock protocol (protocol_floor.hpp), in
// instructions, counted by callgrind. harness/bench/cost/measure_cost.py runs
// it and reads the counts.
//
// Single-threaded: per subject, a warm-up, then rounds of kBatch frames
// written and then delivered to one reader, with callgrind collecting only
// during those rounds and dumping once per subject. Rings write with
// write_frame and read with CursorReader::poll, the benchmark's own calls
// (rings/ring_roles.hpp); peers push and pop through their adapters
// (peers/queues.hpp). Each subject's write and read are [[gnu::noinline]]
// functions, so that callgrind's inclusive counts and objdump each see one
// function per path; every line this prints names their addresses.
#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cost/protocol_floor.hpp"
#include "peers/queues.hpp"
#include "rings/ring_roles.hpp"
#include "ringlab/ringlab.hpp"

// Never called: its address, printed beside the subjects', lets a reader of
// the symbol table map run-time addresses to symbols (position-independent
// or not, under valgrind or not).
extern "C" [[gnu::noinline, gnu::used]] void ringlab_cost_anchor() { asm volatile(""); }

namespace ringlab::bench {
namespace {

constexpr std::size_t kCapacity = kPeerCapacity;
constexpr std::size_t kPayload = kPeerPayloadBytes;
// Frames written before they are read: well under a lap, so a gated ring never
// waits for its reader, no ring loses a frame and no peer is ever full.
constexpr std::uint64_t kBatch = kCapacity / 4;
// Two laps: every slot and every line of each subject touched before counting.
constexpr std::uint64_t kWarmupFrames = 2 * kCapacity;
constexpr std::uint64_t kDefaultFrames = 8 * kCapacity;

// What the benchmark's readers do with a frame.
struct Consume {
  template <class FrameT>
  void operator()(const FrameT& frame) const {
    benchmark::DoNotOptimize(&frame);
  }
};

template <class RingT>
[[gnu::noinline]] bool ring_write(RingT& ring, std::span<const std::byte> payload) {
  return write_frame(ring, NodeId(0), payload, &kNeverStop);
}

template <class RingT>
[[gnu::noinline]] std::uint64_t ring_read(CursorReader<RingT>& reader) {
  return reader.poll(Consume{}).delivered;
}

// One frame in: the adapter's own waiting push where it has one (it never
// waits here: the queue is never full), else try_push.
template <class Peer>
[[gnu::noinline]] bool peer_write(Peer& peer, const Frame& frame) {
  if constexpr (requires { peer.push(0, frame); }) {
    peer.push(0, frame);
    return true;
  } else {
    return peer.try_push(0, frame);
  }
}

// Every frame the queue holds, as a ring reader's poll takes every frame up to
// the head.
template <class Peer>
[[gnu::noinline]] std::uint64_t peer_read(Peer& peer, Frame& frame) {
  std::uint64_t delivered = 0;
  while (peer.try_pop(frame)) {
    Consume{}(frame);
    ++delivered;
  }
  return delivered;
}

using Floor = ProtocolFloor<kCapacity, kPayload>;

[[gnu::noinline]] bool floor_write(Floor& floor, std::span<const std::byte> payload) {
  floor.write(payload);
  return true;
}

[[gnu::noinline]] std::uint64_t floor_read(const Floor& floor, Floor::Reader& reader) {
  return floor.poll(reader, Consume{});
}

template <class Fn>
std::uintptr_t address_of(Fn* fn) {
  return reinterpret_cast<std::uintptr_t>(fn);
}

struct Tally {
  std::uint64_t written = 0;
  std::uint64_t delivered = 0;
};

template <class Write, class Read>
Tally rounds(std::uint64_t frames, Write& write, Read& read) {
  Tally tally;
  for (std::uint64_t done = 0; done < frames; done += kBatch) {
    for (std::uint64_t i = 0; i < kBatch; ++i) tally.written += write() ? 1 : 0;
    tally.delivered += read();
  }
  return tally;
}

class Run {
 public:
  Run(std::uint64_t frames, bool measure) : frames_(frames), measure_(measure) {}

  // Prints the subject's line; when measuring, first runs it with callgrind
  // collecting over the counted rounds only, and dumps the counts under its name.
  template <class Write, class Read>
  void subject(std::string_view name, std::string_view family, bool single_writer,
               std::uintptr_t write_fn, std::uintptr_t read_fn, Write&& write, Read&& read) {
    Tally tally;
    if (measure_) {
      rounds(kWarmupFrames, write, read);
      CALLGRIND_TOGGLE_COLLECT;
      tally = rounds(frames_, write, read);
      CALLGRIND_TOGGLE_COLLECT;
      const std::string dump(name);
      CALLGRIND_DUMP_STATS_AT(dump.c_str());
      if (tally.written != frames_ || tally.delivered != frames_) {
        std::fprintf(stderr, "ringlab_cost: %.*s wrote %ju and delivered %ju of %ju frames\n",
                     static_cast<int>(name.size()), name.data(),
                     static_cast<std::uintmax_t>(tally.written),
                     static_cast<std::uintmax_t>(tally.delivered),
                     static_cast<std::uintmax_t>(frames_));
        failed_ = true;
      }
    }
    // Callgrind counts calls in the warm-up too (not their instructions): the
    // warm-up's frames let a reader turn call counts into calls per frame.
    std::printf(
        "subject\tname=%.*s\tfamily=%.*s\twriters=%s\twrite=%#jx\tread=%#jx\tframes=%ju"
        "\tdelivered=%ju\twarmup=%ju\n",
        static_cast<int>(name.size()), name.data(), static_cast<int>(family.size()),
        family.data(), single_writer ? "single" : "multi", static_cast<std::uintmax_t>(write_fn),
        static_cast<std::uintmax_t>(read_fn),
        static_cast<std::uintmax_t>(tally.written), static_cast<std::uintmax_t>(tally.delivered),
        static_cast<std::uintmax_t>(measure_ ? kWarmupFrames : 0));
  }

  // A ring variant: created, given one reader, measured, destroyed.
  template <class RingT>
  void ring(std::string_view name, const typename RingT::StorageOptions& options) {
    std::unique_ptr<RingT> ring;
    std::unique_ptr<CursorReader<RingT>> reader;
    if (measure_) {
      auto created = RingT::create(kBenchKind, RingSpec{kCapacity, kPayload}, RingOptions{},
                                   options);
      if (!created.ok()) {
        std::fprintf(stderr, "ringlab_cost: %.*s: %s\n", static_cast<int>(name.size()),
                     name.data(), std::string(created.status().message()).c_str());
        failed_ = true;
        return;
      }
      ring = *std::move(created);
      reader = std::make_unique<CursorReader<RingT>>(*ring);
    }
    auto write = [&] { return ring_write(*ring, payload_); };
    auto read = [&] { return ring_read(*reader); };
    subject(name, "ring", RingT::kSingleWriter, address_of(&ring_write<RingT>),
            address_of(&ring_read<RingT>), write, read);
  }

  template <class Peer>
  void peer() {
    std::unique_ptr<Peer> peer;
    if (measure_) peer = std::make_unique<Peer>(kCapacity, 1);
    Frame in{};
    std::memcpy(in.bytes.data(), payload_.data(), kPayload);
    Frame out{};
    auto write = [&] { return peer_write(*peer, in); };
    auto read = [&] { return peer_read(*peer, out); };
    subject(Peer::kTraits.name, "peer", !Peer::kTraits.multi_writer, address_of(&peer_write<Peer>),
            address_of(&peer_read<Peer>), write, read);
  }

  void protocol_floor() {
    std::unique_ptr<Floor> floor;
    auto reader = std::make_unique<Floor::Reader>();
    if (measure_) floor = std::make_unique<Floor>();
    auto write = [&] { return floor_write(*floor, payload_); };
    auto read = [&] { return floor_read(*floor, *reader); };
    subject("protocol-floor", "limit", true, address_of(&floor_write), address_of(&floor_read),
            write, read);
  }

  bool failed() const { return failed_; }

 private:
  const std::uint64_t frames_;
  const bool measure_;
  const std::vector<std::byte> payload_ = payload_of(kPayload);
  bool failed_ = false;
};

// The ring variants: the registry's, through the benchmark's own list
// (rings/ring_roles.hpp).
template <class F>
void for_each_ring(F&& f) {
  for_each_variant([&]<class V>() { f.template operator()<typename V::ring>(V::name, V::options()); });
}

// The peers of peers/peers.cpp, in its order.
template <class F>
void for_each_peer(F&& f) {
  f.template operator()<BoostSpsc>();
  f.template operator()<CkRingSpsc>();
  f.template operator()<MoodycamelRwq>();
  f.template operator()<MoodycamelCq>();
  f.template operator()<AtomicQueue<true>>();
  f.template operator()<AtomicQueue<false>>();
  f.template operator()<XeniumVyukov>();
  f.template operator()<DpdkRing<false>>();
  f.template operator()<DpdkRing<true>>();
}

constexpr const char* kUsage =
    "Usage: ringlab_cost [--frames N] [--symbols]\n"
    "Writes and then delivers N 64-byte frames (default 8192, a multiple of 256) through\n"
    "every ring variant, peer queue and the bare seqlock protocol, one thread, with\n"
    "callgrind collecting only then (run under valgrind --tool=callgrind\n"
    "--collect-atstart=no; measure_cost.py does). Prints the anchor's address and one\n"
    "line per subject: its name, family, writers (single or multi), write and read\n"
    "functions' addresses, frames\n"
    "written and delivered while counting, and warm-up frames before.\n"
    "  --frames N   frames counted per subject\n"
    "  --symbols    print the lines without running anything\n"
    "  -h, --help   this text\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ringlab_cost: %s (see --help)\n", message.c_str());
  return 2;
}

}  // namespace
}  // namespace ringlab::bench

int main(int argc, char** argv) {
  using namespace ringlab::bench;
  std::uint64_t frames = kDefaultFrames;
  bool symbols_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--symbols") {
      symbols_only = true;
    } else if (arg == "--frames") {
      if (i + 1 == argc) return usage_error("--frames needs a number");
      const std::string_view value = argv[++i];
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), frames);
      if (ec != std::errc{} || end != value.data() + value.size() || frames == 0 ||
          frames % kBatch != 0) {
        return usage_error("--frames takes a positive multiple of " + std::to_string(kBatch) +
                           ", got '" + std::string(value) + "'");
      }
    } else {
      return usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  std::printf("anchor\t%#jx\n", static_cast<std::uintmax_t>(address_of(&ringlab_cost_anchor)));
  Run run(frames, !symbols_only);
  for_each_ring([&]<class RingT>(std::string_view name, const auto& options) {
    run.ring<RingT>(name, options);
  });
  for_each_peer([&]<class Peer>() { run.peer<Peer>(); });
  run.protocol_floor();
  if (run.failed()) {
    return 1;
  }
  return 0;
}
