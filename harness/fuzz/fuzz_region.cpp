// libFuzzer target: a ring's region as another process of the user may leave
// it, operated on. The input picks a shareable storage (every one of
// shm/hostile_fixture.hpp's list, rwlock included) and a ring spec, a short
// script of operations, and bytes that overwrite the region of a freshly
// created segment (shm::create_ring); the script then runs on that ring:
// writes of every kind, reads of every kind, polls, gates, the writer lease,
// and pokes of region words between them.
//
//   input: [storage][spec][script length n][n script bytes][region bytes...]
//
// No hang is possible by construction: the Sync policy's writer stall bound
// is 1 ms, and a gated ring is written only with try_write and
// try_claim_batch (a blocking gated claim waits, by design, for a gate that
// a live process owns; shm.hostile checks its dead-gate release). Polls are
// bounded by a lap whatever the cursor. The rwlock's pthread locks keep the
// bytes initialise() gave them: a corrupted pthread lock is beyond defence.
//
// Any read outside the region is an AddressSanitizer report, UB a UBSan one,
// a loop without end a libFuzzer timeout, a broken invariant an abort.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include <unistd.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hostile_fixture.hpp"
#include "ringlab/ringlab.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::fuzz_region {

struct FuzzSync : StdSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{1};
};
struct FuzzSharedSync : shm::ProcessSharedSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{1};
};

}  // namespace ringlab::fuzz_region

namespace {

using namespace ringlab;
using ringlab::fuzz_region::FuzzSharedSync;
using ringlab::fuzz_region::FuzzSync;
using ringlab::shm::hostile::RegionMap;

void require(bool condition, const char* invariant) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_region: broken invariant: %s\n", invariant);
    std::abort();
  }
}

// The script's bytes, read front to back; zeros once they run out.
class Script {
 public:
  explicit Script(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool done() const { return at_ >= bytes_.size(); }
  std::uint8_t byte() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  std::uint64_t word() {
    std::uint64_t w = 0;
    for (int i = 0; i < 8; ++i) w = w << 8 | byte();
    return w;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

constexpr std::size_t kPayloads[] = {8, 16, 48, 64};

RingSpec spec_of(std::uint8_t b) {
  return RingSpec{std::size_t{1} << (b & 3), kPayloads[(b >> 2) & 3]};
}

// A counter to read: near 0, a lap around head, or any word.
template <class RingT>
std::uint64_t counter_from(Script& script, const RingT& ring) {
  const std::uint8_t how = script.byte();
  switch (how % 3) {
    case 0: return how / 3;
    case 1: return ring.head() - ring.capacity() + how / 3;
    default: return script.word();
  }
}

void check_frame(const FrameBuffer& f, const RingSpec& spec) {
  require(f.payload().size() <= spec.payload_capacity, "a frame fits the payload capacity");
}

template <class RingT>
void poll_from(const RingT& ring, std::uint64_t from, bool bounded, const RingSpec& spec) {
  RingCursor cursor = RingCursor::from_counter(from);
  if (bounded) cursor.with_stall_bound(std::chrono::nanoseconds(1));
  FrameBuffer scratch = ring.make_buffer();
  for (int round = 0; round < 3; ++round) {
    const PollStats s =
        poll_into(ring, cursor, scratch, [&](const FrameBuffer& f) { check_frame(f, spec); });
    require(s.delivered + s.loss.total() == s.to - s.from, "[ExactLoss] holds over any bytes");
    require(s.delivered <= spec.capacity, "a poll delivers at most a lap");
  }
}

// Writes one frame of the script's size by the script's means; never waits
// on a gate.
template <class V, class RingT>
void write_some(Script& script, RingT& ring, const RingSpec& spec) {
  const std::uint8_t how = script.byte();
  const std::size_t size = script.byte() % (spec.payload_capacity + 1);
  std::vector<std::byte> payload(size, std::byte{how});
  const NodeId node(how);
  const bool gated = ring.gated();
  switch (how % 4) {
    case 0:
      if (gated) {
        if constexpr (requires { ring.try_write(node, 0, 0, payload); }) {
          (void)ring.try_write(node, how, how, payload);
        }
      } else {
        (void)ring.write(node, how, how, payload);
      }
      break;
    case 1: {
      if (gated) break;
      absl::StatusOr<WriteTicket> t = ring.claim(node, size);
      if (!t.ok()) break;
      if (how & 0x10) {
        ring.abandon(*t);
      } else {
        (void)ring.publish(*t, how, how, payload);
      }
      break;
    }
    case 2:
      if constexpr (LoaningRing<RingT>) {
        if (gated) break;
        auto loan = ring.loan(node, size);
        if (!loan.ok()) break;
        (void)loan->payload().store(0, payload);
        if (how & 0x10) (void)loan->publish(how, how);
      }
      break;
    default: {
      const std::size_t n = 1 + how / 4 % spec.capacity;
      absl::StatusOr<WriteBatch<RingT>> batch;
      if constexpr (requires { ring.try_claim_batch(node, n); }) {
        batch = gated ? ring.try_claim_batch(node, n) : ring.claim_batch(node, n);
      } else {
        batch = ring.claim_batch(node, n);
      }
      if (!batch.ok()) break;
      for (std::size_t i = 0; i < n; i += 1 + (how & 1)) (void)batch->publish(i, how, how, payload);
      break;
    }
  }
}

template <class V>
void run(std::span<const std::uint8_t> script_bytes, std::span<const std::uint8_t> region_bytes,
         const RingSpec& spec) {
  using RingT = typename V::RingT;
  using S = typename V::Storage;
  // A real segment, as shm's creator makes it, unlinked at once (its
  // mappings stay): the ring as create_ring opens it, and a second mapping of
  // the region for the input's bytes and the script's pokes.
  const shm::SegmentName name{absl::StrCat("fuzzregion", ::getpid()), 3, ""};
  (void)shm::Segment::unlink(name);
  shm::SharedRingOptions shared;
  if (V::kSingle) shared.role = shm::RingRole::kWriter;
  auto ring = shm::create_ring<S>(name, spec, V::options(), shared);
  require(ring.ok(), "create_ring succeeds");
  absl::StatusOr<shm::Segment> segment =
      shm::Segment::attach(name, *shm::segment_spec<S>(3, spec, V::options()));
  (void)shm::Segment::unlink(name);
  require(segment.ok(), "the new segment attaches");
  std::byte* const region = segment->region();
  const RegionMap map = shm::hostile::region_map<V>(spec);
  require(segment->region_bytes() == map.bytes, "the region is the storage's size");
  // The input's bytes over the region, all but rwlock's lock words: nearly any
  // value there (a count, a live pid) costs each operation on the slot the
  // 1 s stall bound, which would starve the fuzzer. shm.hostile plants
  // random and chosen lock words with a 20 ms bound.
  for (std::size_t i = 0; i < std::min(map.bytes, region_bytes.size()); ++i) {
    if (!map.in_rw_lock(i, 1)) region[i] = static_cast<std::byte>(region_bytes[i]);
  }
  RingT& r = **ring;
  FrameBuffer out = r.make_buffer();
  Script script(script_bytes);
  for (int ops = 0; ops < 32 && !script.done(); ++ops) {
    switch (script.byte() % 12) {
      case 0: write_some<V>(script, r, spec); break;
      case 1: {
        const NetId64 id = NetId64::make(3, NodeId(script.byte()), counter_from(script, r));
        if (r.read(id, out).ok()) check_frame(out, spec);
        break;
      }
      case 2:
        if (r.read_at(counter_from(script, r), out)) check_frame(out, spec);
        break;
      case 3: {
        bool overwritten = false;
        if (r.read_state_at(counter_from(script, r), out, &overwritten) == ReadState::kReady) {
          check_frame(out, spec);
        }
        break;
      }
      case 4:
        if (r.read_head(out)) check_frame(out, spec);
        break;
      case 5:
        (void)r.visit(counter_from(script, r), [&](const FrameViewOf<RingT>& v) {
          require(v.size() <= spec.payload_capacity, "a view fits the payload capacity");
          std::uint64_t sum = 0;
          for (std::size_t w = 0; w < v.word_count(); ++w) sum += v.word(w);
          (void)v.load(v.size() / 2, out.storage());
          volatile std::uint64_t sink = sum;
          (void)sink;
        });
        break;
      case 6: poll_from(r, counter_from(script, r), false, spec); break;
      case 7: poll_from(r, counter_from(script, r), true, spec); break;
      case 8: {
        // A poke: another process writes a word of the region meanwhile
        // (never into an rwlock's lock word, as above).
        const std::size_t at = (std::size_t{script.byte()} << 8 | script.byte()) % map.bytes / 8 * 8;
        const std::uint64_t value = script.word();
        if (!map.in_rw_lock(at, 8)) std::memcpy(region + at, &value, 8);
        break;
      }
      case 9:
        if constexpr (V::gated()) {
          auto gate = r.register_gate();
          if (gate.ok()) {
            r.advance_gate(*gate, counter_from(script, r));
            if (script.byte() & 1) r.release_gate(*gate);
          }
        }
        break;
      case 10:
        if constexpr (V::gated()) (void)r.release_dead_gates();
        break;
      default:
        if constexpr (V::kSingle) {
          if (script.byte() & 1) {
            r.give_back_writer_lease();
          } else {
            (void)r.take_writer_lease();
          }
        }
        break;
    }
  }
}

template <class... Vs>
void dispatch(std::size_t index, shm::hostile::TypeList<Vs...>, std::span<const std::uint8_t> script,
              std::span<const std::uint8_t> region, const RingSpec& spec) {
  std::size_t i = 0;
  ((i++ == index ? run<Vs>(script, region, spec) : void()), ...);
}

template <class... Vs>
constexpr std::size_t count(shm::hostile::TypeList<Vs...>) {
  return sizeof...(Vs);
}

using FuzzVariants = shm::hostile::VariantsOver<FuzzSync, FuzzSharedSync>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t variant = data[0] % count(FuzzVariants{});
  const RingSpec spec = spec_of(data[1]);
  const std::size_t script_size = std::min<std::size_t>(data[2], size - 3);
  const std::span<const std::uint8_t> script(data + 3, script_size);
  const std::span<const std::uint8_t> region(data + 3 + script_size, size - 3 - script_size);
  dispatch(variant, FuzzVariants{}, script, region, spec);
  return 0;
}
