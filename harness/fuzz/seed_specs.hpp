// The specs behind the fuzz target's fixed expectation and its seed corpus:
// one ring of each storage, from the storages' own layout functions.
#pragma once

#include <array>

#include "ringlab/shm/layout.hpp"
#include "storage_specs.hpp"

namespace ringlab::shm::fuzz {

// What the fuzz target's first check_header call expects.
inline SegmentSpec fixed_spec() { return specs::seqlock_spec(1, RingSpec{4, 48}); }

// One valid segment of each of these goes into the corpus.
inline std::array<SegmentSpec, 7> seed_specs() {
  return {fixed_spec(),
          specs::rwlock_spec(2, RingSpec{2, 16}),
          specs::disruptor_spec(3, RingSpec{8, 8}, OverflowMode::kOverwrite),
          specs::disruptor_spec(4, RingSpec{4, 32}, OverflowMode::kGated),
          specs::seqlock_spec(5, RingSpec{4, 24}, WriterMode::kSingle),
          specs::disruptor_spec(6, RingSpec{8, 16}, OverflowMode::kOverwrite, WriterMode::kSingle,
                                MarkerLayout::kApart),
          specs::disruptor_spec(7, RingSpec{4, 8}, OverflowMode::kGated, WriterMode::kSingle)};
}

}  // namespace ringlab::shm::fuzz
