// libFuzzer target: untrusted bytes through check_header, the way attach()
// meets a segment it did not create; for a header that passes, the walk an
// attacher makes over the region it claims; and when the header describes a
// seqlock or disruptor ring (many writers or one; a disruptor's markers inline
// or apart), frame decoding: the region's bytes adopted as that storage, every
// slot read, and cursors polled from several counters. A single-writer ring
// adopted so holds no writer lease: only its reader side runs, which is the
// same code as the many-writer storage's. Whatever
// the markers, lengths and head hold, no read may leave the region, no frame
// exceed the payload capacity, no poll break [ExactLoss] or loop past a lap.
// (rwlock regions are operated on by fuzz_region.cpp, with a short stall
// bound: a lock word naming a live pid costs a reader the bound.)
// Any read outside the input is an AddressSanitizer report, a loop without end
// a libFuzzer timeout, a broken invariant an abort: each fails the run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "absl/status/status.h"
#include "ringlab/ringlab.hpp"
#include "ringlab/shm/layout.hpp"
#include "ringlab/shm/shared_ring.hpp"
#include "seed_specs.hpp"

namespace {

using ringlab::shm::LayoutHeader;
using ringlab::shm::SegmentSpec;

void require(bool condition, const char* invariant) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_attach: broken invariant: %s\n", invariant);
    std::abort();
  }
}

// Either accepted, or refused with one of the two documented codes and a message.
void require_well_formed(const absl::Status& s) {
  if (s.ok()) return;
  require(s.code() == absl::StatusCode::kFailedPrecondition ||
              s.code() == absl::StatusCode::kInvalidArgument,
          "an error is FailedPrecondition or InvalidArgument");
  require(!s.message().empty(), "an error has a message");
}

// Touches the first and last byte of every slot, for counters 0..capacity-1 and
// the same counters a lap and 2^40 counters on, at the address an attacher
// computes: the storages keep their slots at the end of the region.
void walk_slots(std::span<const std::byte> object, const LayoutHeader& h) {
  require(h.region_offset + h.region_bytes == object.size(), "the region ends the object");
  const std::uint64_t slots_bytes = h.capacity * h.slot_stride;
  require(slots_bytes <= h.region_bytes, "the slots fit the region");
  const std::uint64_t slots_begin = h.region_offset + h.region_bytes - slots_bytes;
  const std::uint64_t mask = h.capacity - 1;
  std::byte seen{};
  for (std::uint64_t counter = 0; counter < h.capacity; ++counter) {
    for (std::uint64_t lap : {std::uint64_t{0}, h.capacity, std::uint64_t{1} << 40}) {
      const std::uint64_t slot = slots_begin + ((counter + lap) & mask) * h.slot_stride;
      require(slot >= h.region_offset && slot + h.slot_stride <= object.size(),
              "every slot lies in the region");
      seen ^= object[slot] ^ object[slot + h.slot_stride - 1];
    }
  }
  volatile std::byte sink = seen;  // keep the loads
  (void)sink;
}

void require_sound(const ringlab::FrameBuffer& frame, const ringlab::RingSpec& ring) {
  require(frame.payload().size() <= ring.payload_capacity, "a decoded frame fits the payload capacity");
}

// Reads every slot and polls cursors from 0, from a lap behind head and from a
// counter the input chose, over the region's bytes adopted as Storage, if the
// header describes a ring of that storage.
template <class Storage>
void decode_frames(std::span<const std::byte> object, const LayoutHeader& h,
                   const typename Storage::Options& options) {
  using ringlab::shm::SharedStorage;
  const ringlab::RingSpec spec{h.capacity, h.payload_capacity};
  if (!spec.validate().ok()) return;
  if (!(SharedStorage<Storage>::segment_spec(h.kind, spec, options) == ringlab::shm::spec_of(h))) {
    return;
  }
  // An aligned copy: the storage's words are atomics, and the input's bytes
  // need not be 8-byte aligned.
  ringlab::detail::AlignedRegion region(h.region_bytes);
  std::memcpy(region.data(), object.data() + h.region_offset, h.region_bytes);
  auto ring = ringlab::Ring<Storage>::adopt(h.kind, spec, options, region.data(), nullptr);
  ringlab::FrameBuffer frame = ring->make_buffer();
  for (std::uint64_t c = 0; c < spec.capacity; ++c) {
    if (ring->read_at(c, frame)) require_sound(frame, spec);
  }
  if (ring->read_head(frame)) require_sound(frame, spec);
  const std::uint64_t head = ring->head();
  std::uint64_t chosen;
  std::memcpy(&chosen, object.data() + h.region_offset, sizeof chosen);  // the head word's bytes
  for (const std::uint64_t from : {std::uint64_t{0}, head - spec.capacity, chosen ^ 0x5a5a}) {
    ringlab::RingCursor cursor = ringlab::RingCursor::from_counter(from);
    const ringlab::PollStats stats = ringlab::poll_into(
        *ring, cursor, frame, [&](const ringlab::FrameBuffer& f) { require_sound(f, spec); });
    require(stats.delivered + stats.loss.total() == stats.to - stats.from,
            "[ExactLoss] holds over any bytes");
    require(stats.delivered <= spec.capacity, "a poll delivers at most one lap");
  }
}

// check_header against `expected`; on success, the header must claim exactly
// `expected`, and its region is walked.
void check_and_walk(std::span<const std::byte> object, const SegmentSpec& expected) {
  const absl::Status s = ringlab::shm::check_header(object, expected, object.size());
  require_well_formed(s);
  if (!s.ok()) return;
  LayoutHeader h;
  std::memcpy(&h, object.data(), sizeof h);
  require(ringlab::shm::spec_of(h) == expected, "an accepted header claims the expected spec");
  walk_slots(object, h);
  using ringlab::WriterMode;
  using SeqlockSingle =
      ringlab::SeqlockStorage<ringlab::StdSync, ringlab::SeqlockOrders, WriterMode::kSingle>;
  using DisruptorSingle = ringlab::DisruptorStorage<ringlab::StdSync, ringlab::BusySpinWait,
                                                    ringlab::DisruptorOrders, WriterMode::kSingle>;
  const bool apart =
      h.marker_layout == static_cast<std::uint8_t>(ringlab::shm::SegmentMarkerLayout::kApart);
  const ringlab::DisruptorOptions disruptor{
      static_cast<ringlab::OverflowMode>(h.overflow_mode),
      apart ? ringlab::MarkerLayout::kApart : ringlab::MarkerLayout::kInline};
  decode_frames<ringlab::SeqlockStorage<>>(object, h, {});
  decode_frames<SeqlockSingle>(object, h, {});
  decode_frames<ringlab::DisruptorStorage<>>(object, h, disruptor);
  decode_frames<DisruptorSingle>(object, h, disruptor);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> object(reinterpret_cast<const std::byte*>(data), size);
  check_and_walk(object, ringlab::shm::fuzz::fixed_spec());
  // Expecting what the header itself claims reaches past the comparisons,
  // into the placement checks, for any self-consistent input.
  if (size >= sizeof(LayoutHeader)) {
    LayoutHeader claimed;
    std::memcpy(&claimed, data, sizeof claimed);
    check_and_walk(object, ringlab::shm::spec_of(claimed));
  }
  return 0;
}
