// The SegmentSpec of a ring of each storage, from the library's own
// shm::segment_spec: what the tests and the fuzz corpus use so that they see
// real strides and region sizes.
#pragma once

#include <cstdint>

#include "ringlab/ringlab.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::shm::specs {

inline SegmentSpec seqlock_spec(std::uint8_t kind, const RingSpec& ring,
                                WriterMode writers = WriterMode::kMulti) {
  using Single = SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>;
  if (writers == WriterMode::kSingle) return SharedStorage<Single>::segment_spec(kind, ring, {});
  return SharedStorage<SeqlockStorage<>>::segment_spec(kind, ring, {});
}

inline SegmentSpec rwlock_spec(std::uint8_t kind, const RingSpec& ring) {
  return SharedStorage<RwlockStorage<ProcessSharedSync>>::segment_spec(kind, ring, {});
}

inline SegmentSpec disruptor_spec(std::uint8_t kind, const RingSpec& ring, OverflowMode mode,
                                  WriterMode writers = WriterMode::kMulti,
                                  MarkerLayout layout = MarkerLayout::kInline) {
  using Single = DisruptorStorage<StdSync, BusySpinWait, DisruptorOrders, WriterMode::kSingle>;
  const DisruptorOptions options{mode, layout};
  if (writers == WriterMode::kSingle) return SharedStorage<Single>::segment_spec(kind, ring, options);
  return SharedStorage<DisruptorStorage<>>::segment_spec(kind, ring, options);
}

}  // namespace ringlab::shm::specs
