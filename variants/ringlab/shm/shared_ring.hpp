// Rings in shared memory: the same Ring and cursor API, with the storage region
// in a Segment (shm/segment.hpp) that other processes attach to.
//
//   create         makes the segment (AlreadyExists if the name is taken)
//   attach         maps an existing one and checks it against the spec; never creates
//   open_or_create either; when processes race, exactly one creates
//
// The creator constructs the storage's objects in the segment before it is
// published (Storage::initialise as the segment's init step); every process,
// the creator included, then adopts them (Ring::adopt). Nothing in the segment
// is destroyed when a ring goes away: the segment outlives its users until
// Segment::unlink and the last unmap. Counters start at
// SharedRingOptions::first_counter (0 by default), which the header records.
//
// Writers. A many-writer storage's ring may be written by every process that
// opens it (each takes an entry in the segment's writer table at its first
// write, so readers take none; a write is ResourceExhausted while every entry
// belongs to a live writer process). A single-writer
// storage's ring (WriterMode::kSingle) has one writer process at a time, and
// each process says which it is by SharedRingOptions::role:
//   kReader (the default)  opens the ring without writing it; Ring::write,
//                          claim and try_write return FailedPrecondition;
//   kWriter                takes the region's writer lease as it opens the ring
//                          (Ring::take_writer_lease): FailedPrecondition naming
//                          the segment and the live writer's pid if another
//                          process holds it; a writer whose process is gone is
//                          taken over, and the counters it left unfinished read
//                          Unavailable. The lease is given back when the ring
//                          goes away (or by Ring::give_back_writer_lease); a
//                          reader may take it later with take_writer_lease().
// The segment records the writer mode, so that a ring of one mode never
// attaches to a segment of the other.
//
// Only storages whose every shared object is address-free may live here
// (SharedStorage below): seqlock and disruptor over StdSync, for many writers
// or one, with any wait strategy (each keeps its words in the region; the
// blocking one sleeps on a futex there, which a writer of any process wakes),
// and rwlock over ProcessSharedSync. alert() sets the region's flag: it stops
// the waits of every process until some process calls clear_alert().
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringlab/ring.hpp"
#include "ringlab/shm/layout.hpp"
#include "ringlab/shm/name.hpp"
#include "ringlab/shm/process_shared_sync.hpp"
#include "ringlab/shm/segment.hpp"
#include "ringlab/storage/disruptor.hpp"
#include "ringlab/storage/rwlock.hpp"
#include "ringlab/storage/seqlock.hpp"

namespace ringlab::shm {

// What a storage's segment says about it. Defined only for storages that can
// live in shared memory.
template <class Storage>
struct SharedStorage;

// StdSync or a policy derived from it (the crash tests' kills at crash points).
template <class Sync>
concept StdAtomics = std::derived_from<Sync, StdSync>;
template <class Sync>
concept ProcessSharedLocks =
    StdAtomics<Sync> && std::same_as<typename Sync::shared_mutex, ProcessSharedRwLock>;

template <StdAtomics Sync, class Orders, WriterMode kWriters>
struct SharedStorage<SeqlockStorage<Sync, Orders, kWriters>> {
  using S = SeqlockStorage<Sync, Orders, kWriters>;
  static SegmentSpec segment_spec(std::uint8_t kind, const RingSpec& ring,
                                  const typename S::Options&) {
    return {.kind = kind,
            .variant = StorageVariant::kSeqlock,
            .overflow = OverflowMode::kOverwrite,
            .writer_mode = segment_writer_mode(kWriters),
            .marker_layout = SegmentMarkerLayout::kInline,
            .capacity = ring.capacity,
            .payload_capacity = ring.payload_capacity,
            .slot_stride = S::slot_stride(ring),
            .region_bytes = S::region_bytes(ring)};
  }
};

constexpr SegmentMarkerLayout segment_marker_layout(MarkerLayout layout) {
  return layout == MarkerLayout::kApart ? SegmentMarkerLayout::kApart
                                        : SegmentMarkerLayout::kInline;
}

template <StdAtomics Sync, template <class...> class Wait, class Orders, WriterMode kWriters>
struct SharedStorage<DisruptorStorage<Sync, Wait, Orders, kWriters>> {
  using S = DisruptorStorage<Sync, Wait, Orders, kWriters>;
  static SegmentSpec segment_spec(std::uint8_t kind, const RingSpec& ring,
                                  const typename S::Options& options) {
    return {.kind = kind,
            .variant = StorageVariant::kDisruptor,
            .overflow = options.mode,
            .writer_mode = segment_writer_mode(kWriters),
            .marker_layout = segment_marker_layout(options.layout),
            .capacity = ring.capacity,
            .payload_capacity = ring.payload_capacity,
            .slot_stride = S::slot_stride(ring, options),
            .region_bytes = S::region_bytes(ring, options)};
  }
};

template <ProcessSharedLocks Sync, class Orders>
struct SharedStorage<RwlockStorage<Sync, Orders>> {
  using S = RwlockStorage<Sync, Orders>;
  static SegmentSpec segment_spec(std::uint8_t kind, const RingSpec& ring,
                                  const typename S::Options&) {
    return {.kind = kind,
            .variant = StorageVariant::kRwlock,
            .overflow = OverflowMode::kOverwrite,
            .writer_mode = SegmentWriterMode::kMulti,
            .marker_layout = SegmentMarkerLayout::kInline,
            .capacity = ring.capacity,
            .payload_capacity = ring.payload_capacity,
            .slot_stride = S::slot_stride(ring),
            .region_bytes = S::region_bytes(ring)};
  }
};

template <class Storage>
concept Shareable = SlotStorage<Storage> && requires(std::uint8_t k, const RingSpec& r,
                                                     const typename Storage::Options& o) {
  { SharedStorage<Storage>::segment_spec(k, r, o) } -> std::same_as<SegmentSpec>;
};

// The segment spec of a ring of this storage; what create writes and attach expects.
template <Shareable Storage>
absl::StatusOr<SegmentSpec> segment_spec(std::uint8_t kind, const RingSpec& ring,
                                         const typename Storage::Options& options = {}) {
  if (absl::Status s = ring.validate(); !s.ok()) return s;
  return SharedStorage<Storage>::segment_spec(kind, ring, options);
}

// What this process does with a single-writer ring (see the top of this file).
enum class RingRole : std::uint8_t { kReader, kWriter };

inline const char* to_string(RingRole role) {
  return role == RingRole::kWriter ? "writer" : "reader";
}

struct SharedRingOptions {
  // 0660 instead of 0600 (see CreateOptions::group_access). Creating only.
  bool group_access = false;
  // Single-writer storages only; a many-writer storage's ring is every
  // process's to write.
  RingRole role = RingRole::kReader;
  // The counter of the first write, recorded in the header (Segment::header()).
  // Creating only, at most RingOptions::kMaxFirstCounter.
  std::uint64_t first_counter = 0;
};
static_assert(kMaxFirstCounter == RingOptions::kMaxFirstCounter);

namespace detail {

// The ring over the segment, as `role` has this process use it. Fails only
// when a writer cannot take the writer lease; the segment stays.
template <Shareable Storage>
absl::StatusOr<std::unique_ptr<Ring<Storage>>> ring_over(Segment segment, const RingSpec& ring,
                                                         const typename Storage::Options& options,
                                                         RingRole role) {
  const std::string shm = segment.posix_name();
  auto keeper = std::make_shared<Segment>(std::move(segment));
  std::byte* const region = keeper->region();
  const std::uint8_t kind = keeper->header().kind;
  std::unique_ptr<Ring<Storage>> adopted =
      Ring<Storage>::adopt(kind, ring, options, region, std::move(keeper));
  if constexpr (Ring<Storage>::kSingleWriter) {
    if (role == RingRole::kWriter) {
      if (absl::Status s = adopted->take_writer_lease(); !s.ok()) return about(shm, s);
    }
  } else if constexpr (Ring<Storage>::kTakesWriterEntry) {
    // The process registers at its first write (Ring::check_writer), so that
    // readers take no entry; a full table then makes that write
    // ResourceExhausted, never a write as owner 0.
    adopted->defer_writer_entry();
  }
  return adopted;
}

template <Shareable Storage>
CreateOptions with_init(const RingSpec& ring, const typename Storage::Options& options,
                        const SharedRingOptions& shared) {
  CreateOptions create;
  create.group_access = shared.group_access;
  create.first_counter = shared.first_counter;
  create.init = [ring, options, first = shared.first_counter](std::byte* region) {
    Storage::initialise(ring, region, first, options);
  };
  return create;
}

}  // namespace detail

template <Shareable Storage>
absl::StatusOr<std::unique_ptr<Ring<Storage>>> create_ring(
    const SegmentName& name, const RingSpec& ring, const typename Storage::Options& options = {},
    const SharedRingOptions& shared = {}) {
  const absl::StatusOr<SegmentSpec> spec = segment_spec<Storage>(name.kind, ring, options);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<Segment> segment =
      Segment::create(name, *spec, detail::with_init<Storage>(ring, options, shared));
  if (!segment.ok()) return segment.status();
  return detail::ring_over<Storage>(std::move(*segment), ring, options, shared.role);
}

template <Shareable Storage>
absl::StatusOr<std::unique_ptr<Ring<Storage>>> attach_ring(
    const SegmentName& name, const RingSpec& ring, const typename Storage::Options& options = {},
    const SharedRingOptions& shared = {}) {
  const absl::StatusOr<SegmentSpec> spec = segment_spec<Storage>(name.kind, ring, options);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<Segment> segment = Segment::attach(name, *spec);
  if (!segment.ok()) return segment.status();
  return detail::ring_over<Storage>(std::move(*segment), ring, options, shared.role);
}

// *created (if given) says whether this call created the segment.
template <Shareable Storage>
absl::StatusOr<std::unique_ptr<Ring<Storage>>> open_or_create_ring(
    const SegmentName& name, const RingSpec& ring, const typename Storage::Options& options = {},
    const SharedRingOptions& shared = {}, bool* created = nullptr) {
  const absl::StatusOr<SegmentSpec> spec = segment_spec<Storage>(name.kind, ring, options);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<Segment> segment = Segment::open_or_create(
      name, *spec, detail::with_init<Storage>(ring, options, shared));
  if (!segment.ok()) return segment.status();
  if (created != nullptr) *created = segment->created();
  return detail::ring_over<Storage>(std::move(*segment), ring, options, shared.role);
}

// The shared-memory aliases of ringlab.hpp's rings.
using SharedSeqlockRing = Ring<SeqlockStorage<StdSync>>;
template <template <class...> class Wait = BusySpinWait>
using SharedDisruptorRing = Ring<DisruptorStorage<StdSync, Wait>>;
using SharedRwlockRing = Ring<RwlockStorage<ProcessSharedSync>>;
using SharedSeqlockSingleRing = Ring<SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>>;
template <template <class...> class Wait = BusySpinWait>
using SharedDisruptorSingleRing =
    Ring<DisruptorStorage<StdSync, Wait, DisruptorOrders, WriterMode::kSingle>>;

}  // namespace ringlab::shm
