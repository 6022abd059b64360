// Everything, and one alias per conforming variant over the standard library.
#pragma once

#include "ringlab/capabilities.hpp"
#include "ringlab/cursor.hpp"
#include "ringlab/disruptor/gated_reader.hpp"
#include "ringlab/disruptor/sequence_barrier.hpp"
#include "ringlab/disruptor/sequencer.hpp"
#include "ringlab/disruptor/wait_strategy.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/registry.hpp"
#include "ringlab/ring.hpp"
#include "ringlab/storage/disruptor.hpp"
#include "ringlab/storage/rwlock.hpp"
#include "ringlab/storage/seqlock.hpp"
#include "ringlab/sync.hpp"
#include "ringlab/version.hpp"

namespace ringlab {

using RwlockRing = Ring<RwlockStorage<StdSync>>;
using SeqlockRing = Ring<SeqlockStorage<StdSync>>;
template <template <class...> class Wait = BusySpinWait>
using DisruptorRing = Ring<DisruptorStorage<StdSync, Wait>>;

// Single-writer rings (WriterMode::kSingle): no locked instruction on the
// write path; one writer thread, in one process, at a time.
using SeqlockSingleRing = Ring<SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>>;
template <template <class...> class Wait = BusySpinWait>
using DisruptorSingleRing =
    Ring<DisruptorStorage<StdSync, Wait, DisruptorOrders, WriterMode::kSingle>>;

}  // namespace ringlab
