// The SegmentSpec of a ring of each storage, from the storages' own layout
// functions: what the Ring integration will pass, and what the tests and the
// fuzz corpus use so that they see real strides and region sizes.
#pragma once

#include <cstdint>

#include "ringlab/ringlab.hpp"
#include "ringlab/shm/layout.hpp"

namespace ringlab::shm::specs {

inline SegmentSpec seqlock_spec(std::uint8_t kind, const RingSpec& ring) {
  using S = SeqlockStorage<>;
  return {kind,          StorageVariant::kSeqlock, OverflowMode::kOverwrite, ring.capacity,
          ring.payload_capacity, S::slot_stride(ring), S::region_bytes(ring)};
}

inline SegmentSpec rwlock_spec(std::uint8_t kind, const RingSpec& ring) {
  using S = RwlockStorage<>;
  return {kind,          StorageVariant::kRwlock, OverflowMode::kOverwrite, ring.capacity,
          ring.payload_capacity, S::slot_stride(ring), S::region_bytes(ring)};
}

inline SegmentSpec disruptor_spec(std::uint8_t kind, const RingSpec& ring, OverflowMode mode) {
  using S = DisruptorStorage<>;
  return {kind,          StorageVariant::kDisruptor, mode, ring.capacity,
          ring.payload_capacity, S::body_stride(ring), S::region_bytes(ring)};
}

}  // namespace ringlab::shm::specs
