#include "inspect.hpp"

#include <algorithm>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ringlab/detail/versioned_slot.hpp"
#include "ringlab/detail/writer_table.hpp"
#include "ringlab/ring.hpp"
#include "ringlab/shm/segment.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::tools::shm {

namespace rs = ringlab::shm;
namespace rd = ringlab::detail;

std::size_t SegmentReport::writers_alive() const {
  return static_cast<std::size_t>(
      std::count_if(writers.begin(), writers.end(), [](const ProcessEntry& e) { return e.alive; }));
}

std::vector<std::uint64_t> SegmentReport::live_pids() const {
  std::vector<std::uint64_t> pids;
  auto add = [&](const ProcessEntry& e) {
    if (e.alive && std::find(pids.begin(), pids.end(), e.pid) == pids.end()) pids.push_back(e.pid);
  };
  for (const ProcessEntry& e : writers) add(e);
  if (lease_holder) add(*lease_holder);
  for (const GateEntry& g : gates) add(g.owner);
  return pids;
}

namespace {

using SeqlockMulti = SeqlockStorage<StdSync>;
using SeqlockSingle = SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>;
using DisruptorMulti = DisruptorStorage<StdSync, BusySpinWait>;
using DisruptorSingle =
    DisruptorStorage<StdSync, BusySpinWait, DisruptorOrders, WriterMode::kSingle>;
using Rwlock = RwlockStorage<rs::ProcessSharedSync>;

// The writer table type of a versioned-slot storage; void for rwlock, which has none.
template <class S>
struct TableOf {
  using type = void;
};
template <class Sync, class Orders, WriterMode W>
struct TableOf<SeqlockStorage<Sync, Orders, W>> {
  using type = rd::WriterTable<Sync, Orders>;
};
template <class Sync, template <class...> class Wait, class Orders, WriterMode W>
struct TableOf<DisruptorStorage<Sync, Wait, Orders, W>> {
  using type = rd::WriterTable<Sync, Orders>;
};

template <class S>
constexpr bool kVersioned = !std::is_void_v<typename TableOf<S>::type>;

ProcessEntry process(std::uint64_t number, std::uint64_t pid) {
  return {number, pid, !StdSync::process_gone(pid)};
}

// The last `wanted` counters below head, at most a lap and kMaxWindow: [first, head).
std::uint64_t window_start(std::uint64_t head, std::uint64_t wanted, std::uint64_t capacity) {
  return head - std::min({wanted, head, capacity, kMaxWindow});
}

template <class S>
void read_registrations(Ring<S>& ring, const ReadOnlySegment& seg, SegmentReport& r) {
  if constexpr (kVersioned<S>) {
    if constexpr (S::kWriterMode == WriterMode::kMulti) {
      using Table = typename TableOf<S>::type;
      const Table table(seg.region() + S::writers_offset());
      r.has_writer_table = true;
      for (std::uint64_t owner = 1; owner <= Table::kOwners; ++owner) {
        if (const std::uint64_t pid = table.pid_of(owner); pid != 0) {
          r.writers.push_back(process(owner, pid));
        }
      }
    } else {
      r.has_lease = true;
      if (const std::uint64_t pid = ring.storage().writer_lease_holder(); pid != 0) {
        r.lease_holder = process(0, pid);
      }
    }
  }
  if constexpr (std::is_same_v<typename S::Options, DisruptorOptions>) {
    if (!ring.storage().gated()) return;
    r.has_gates = true;
    auto& seq = ring.storage().sequencer();
    using Seq = std::remove_reference_t<decltype(seq)>;
    for (std::size_t g = 0; g < Seq::kMaxGates; ++g) {
      const std::uint64_t owner = seq.gate_owner_value(g);
      if (owner == Seq::kNoOwner) continue;
      r.gates.push_back({process(g, Seq::process_of(owner)), seq.gate_value(g),
                         (owner & Seq::kReleasingBit) != 0});
    }
  }
}

// A versioned slot's marker, decoded with the library's own functions; a
// committed frame's length is taken by a validated visit.
template <class S>
SlotEntry versioned_slot(const S& storage, std::uint64_t c, std::uint64_t mask) {
  SlotEntry e{c, c & mask, "empty", {}, {}, {}};
  const std::uint64_t m = storage.marker(c).load(std::memory_order_acquire);
  if (m == 0) return e;
  if (rd::is_writing(m)) {
    e.held = ((m >> rd::kOwnerBits) - 1) / 2;
    e.owner = rd::marker_owner(m);
    e.state = "writing";
  } else {
    e.held = rd::committed_counter(m);
    std::uint64_t length = 0;
    const SlotRead seen =
        storage.visit_counter(*e.held, [&](const auto& view) { length = view.size(); });
    e.state = seen == SlotRead::kCopied      ? "committed"
              : seen == SlotRead::kAbandoned ? "abandoned"
                                             : "changed while read";
    if (seen == SlotRead::kCopied) e.length = length;
  }
  if ((*e.held & mask) != e.index) e.state = "corrupt (the marker names another slot's counter)";
  return e;
}

SlotEntry rwlock_slot(const Rwlock& storage, std::uint64_t c, std::uint64_t mask,
                      std::uint64_t payload_capacity) {
  SlotEntry e{c, c & mask, "empty", {}, {}, {}};
  const Rwlock::SlotPeek peek = storage.peek_slot(c);
  if (peek.writer_pid != 0) e.locked_by = process(0, peek.writer_pid);
  e.readers = peek.readers;
  if (peek.held == 0) return e;
  e.held = peek.held - 1;
  e.state = peek.abandoned != 0 ? "abandoned" : "committed";
  if (peek.abandoned == 0) e.length = peek.length;
  if ((*e.held & mask) != e.index) {
    e.state = "corrupt (the slot names another slot's counter)";
  } else if (peek.length > payload_capacity) {
    e.state = "corrupt (length beyond the payload capacity)";
  }
  return e;
}

template <class S>
FrameEntry probe_frame(const Ring<S>& ring, std::uint64_t c, FrameBuffer& buffer) {
  FrameEntry f;
  f.counter = c;
  switch (ring.probe(c, buffer)) {
    case SlotRead::kCopied:
      f.state = "ready";
      f.id = buffer.id.to_string();
      f.kind = buffer.kind;
      f.ver = buffer.ver;
      f.length = buffer.payload().size();
      f.payload.assign(buffer.payload().begin(),
                       buffer.payload().begin() + std::min(buffer.payload().size(), kMaxShownBytes));
      break;
    case SlotRead::kWriting: f.state = "writing"; break;
    case SlotRead::kOlder: f.state = c < ring.head() ? "pending" : "not written"; break;
    case SlotRead::kNewer: f.state = "overwritten"; break;
    case SlotRead::kAbandoned: f.state = "abandoned"; break;
    case SlotRead::kBeforeFirst: f.state = "before the first counter"; break;
  }
  return f;
}

template <class S>
absl::Status inspect_as(const ReadOnlySegment& seg, const typename S::Options& storage_options,
                        const InspectOptions& options, SegmentReport& r) {
  const rs::LayoutHeader& h = seg.header();
  const RingSpec spec{h.capacity, h.payload_capacity};
  // The storage's own layout must be the one the header claims: stride and
  // region size come from the storage, so a mismatch is refused, not misread.
  const rs::SegmentSpec expected = rs::SharedStorage<S>::segment_spec(h.kind, spec, storage_options);
  if (absl::Status s = rs::check_header_copy(h, expected, seg.object().size); !s.ok()) {
    return rs::detail::about(absl::StrCat(rs::kShmDirectory, "/", seg.file_name()), s);
  }
  // No keeper: `seg` outlives the ring, which lives only in this call.
  const std::unique_ptr<Ring<S>> ring =
      Ring<S>::adopt(h.kind, spec, storage_options, seg.region(), nullptr);
  r.head = ring->head();
  r.head_corrupt = r.head > rd::kMaxCounter;
  read_registrations(*ring, seg, r);
  if (r.head_corrupt) return absl::OkStatus();
  const std::uint64_t mask = h.capacity - 1;
  for (std::uint64_t c = window_start(r.head, options.slots, h.capacity); c < r.head; ++c) {
    if constexpr (kVersioned<S>) {
      r.slots.push_back(versioned_slot(ring->storage(), c, mask));
    } else {
      r.slots.push_back(rwlock_slot(ring->storage(), c, mask, h.payload_capacity));
    }
  }
  if constexpr (kVersioned<S>) {
    FrameBuffer buffer = ring->make_buffer();
    for (std::uint64_t c = window_start(r.head, options.frames, h.capacity); c < r.head; ++c) {
      r.frames.push_back(probe_frame(*ring, c, buffer));
    }
  } else {
    r.payload_hidden = true;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SegmentReport> inspect(const ReadOnlySegment& seg, const InspectOptions& options) {
  SegmentReport r;
  r.file_name = seg.file_name();
  r.object = seg.object();
  r.header = seg.header();
  r.creator_alive = r.header.creator_pid > 0 &&
                    !StdSync::process_gone(static_cast<std::uint64_t>(r.header.creator_pid));
  const rs::LayoutHeader& h = seg.header();
  const bool single = h.writer_mode == static_cast<std::uint8_t>(rs::SegmentWriterMode::kSingle);
  absl::Status s;
  // check_header_alone has passed: the variant and modes are known ones.
  switch (static_cast<rs::StorageVariant>(h.variant)) {
    case rs::StorageVariant::kSeqlock:
      s = single ? inspect_as<SeqlockSingle>(seg, {}, options, r)
                 : inspect_as<SeqlockMulti>(seg, {}, options, r);
      break;
    case rs::StorageVariant::kDisruptor: {
      const bool apart = h.marker_layout == static_cast<std::uint8_t>(rs::SegmentMarkerLayout::kApart);
      const DisruptorOptions disruptor{static_cast<OverflowMode>(h.overflow_mode),
                                       apart ? MarkerLayout::kApart : MarkerLayout::kInline};
      s = single ? inspect_as<DisruptorSingle>(seg, disruptor, options, r)
                 : inspect_as<DisruptorMulti>(seg, disruptor, options, r);
      break;
    }
    case rs::StorageVariant::kRwlock:
      s = inspect_as<Rwlock>(seg, {}, options, r);
      break;
  }
  if (!s.ok()) return s;
  return r;
}

}  // namespace ringlab::tools::shm
