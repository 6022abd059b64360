// Reader-writer-lock slot storage: the seed's V0. Each slot is a frame behind
// its own shared mutex. The reference design: plainly correct, but every
// reader writes the lock word, and a writer waits for the slot's readers.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string_view>

#include "ringlab/detail/region.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of RwlockStorage. Slot data is ordered by the slot's lock.
struct RwlockOrders {
  static constexpr std::array<OrderSite, 3> kSites{{
      {"head.claim (1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      {"head.load (2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
      {"reset.store (3)", AtomicOp::kStore, std::memory_order_relaxed, ""},
  }};
  static_assert(tags_unique(kSites));
};

template <class Sync = StdSync, class Orders = RwlockOrders>
class RwlockStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Lock = typename Sync::shared_mutex;

  // Everything but the lock is plain data, read and written under it.
  struct SlotHeader {
    Lock lock;
    std::uint64_t held = 0;  // counter + 1 of the frame in the slot; 0: empty
    FrameHeader frame;
    std::uint32_t length = 0;
    // A byte, not a bool: a region in shared memory may hold any value here.
    std::uint8_t abandoned = 0;
  };
  static constexpr std::size_t kPayloadOffset = detail::round_up(sizeof(SlotHeader), 8);

 public:
  static constexpr std::string_view kName = "rwlock";
  static constexpr WriterMode kWriterMode = WriterMode::kMulti;
  struct Options {
    friend bool operator==(const Options&, const Options&) = default;
  };

  static std::size_t slot_stride(const RingSpec& spec) {
    return detail::round_up(kPayloadOffset + spec.payload_capacity, detail::kCacheLine);
  }
  static std::size_t region_bytes(const RingSpec& spec) {
    return detail::kCacheLine + spec.capacity * slot_stride(spec);
  }

  // Constructs the region's head and slot locks and empties every slot: once
  // per region, before any storage adopts it.
  static void initialise(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                         const Options& options = {}) {
    detail::construct_at_offset<Word>(region, 0);
    for (std::size_t i = 0; i < spec.capacity; ++i) {
      detail::construct_at_offset<SlotHeader>(region, detail::kCacheLine + i * slot_stride(spec));
    }
    RwlockStorage(detail::kAdoptRegion, spec, region, options).reset(first_counter);
  }

  // Over a region that initialise() has prepared (here or in another process).
  RwlockStorage(detail::AdoptRegion, const RingSpec& spec, std::byte* region, const Options& = {})
      : spec_(spec),
        mask_(spec.capacity - 1),
        stride_(slot_stride(spec)),
        region_(region),
        head_(detail::object_at<Word>(region, 0)) {}

  // Owns the region's objects: constructs them now, destroys them at the end.
  RwlockStorage(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                const Options& options = {})
      : RwlockStorage(detail::kAdoptRegion, spec, region, options) {
    initialise(spec, region, first_counter, options);
    owns_objects_ = true;
  }
  ~RwlockStorage() {
    if (!owns_objects_) return;
    detail::destroy_at_offset<Word>(region_, 0);
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      detail::destroy_at_offset<SlotHeader>(region_, slot_offset(i));
    }
  }
  RwlockStorage(const RwlockStorage&) = delete;
  RwlockStorage& operator=(const RwlockStorage&) = delete;

  std::uint64_t claim(std::uint64_t n = 1) {
    return head_->fetch_add(n, order_of<Orders>("1"));  // (1) relaxed: uniqueness only
  }
  std::uint64_t head() const {
    return head_->load(order_of<Orders>("2"));  // (2) relaxed: the slot locks order the data
  }

  void publish(std::uint64_t counter, const FrameHeader& header,
               std::span<const std::byte> payload) {
    store(counter, header, payload, false);
  }
  void abandon(std::uint64_t counter) { store(counter, {}, {}, true); }

  // A frame in place, read under its slot's shared lock (Ring::visit): the
  // same accessors as the versioned slots' view, over plain bytes.
  class FrameView {
   public:
    FrameView(const FrameHeader& header, std::size_t size, const std::byte* payload)
        : header_(header), size_(size), payload_(payload) {}
    NetId64 id() const { return header_.id; }
    std::uint8_t kind() const { return header_.kind; }
    std::uint64_t ver() const { return header_.ver; }
    std::size_t size() const { return size_; }
    std::size_t word_count() const { return (size_ + 7) / 8; }
    // Payload word i, zero-padded past size(); 0 when i >= word_count().
    std::uint64_t word(std::size_t i) const {
      std::uint64_t w = 0;
      (void)load(8 * i, {reinterpret_cast<std::byte*>(&w), 8});
      return w;
    }
    std::size_t load(std::size_t offset, std::span<std::byte> out) const {
      if (offset >= size_) return 0;
      const std::size_t n = std::min(out.size(), size_ - offset);
      if (n != 0) std::memcpy(out.data(), payload_ + offset, n);
      return n;
    }

   private:
    FrameHeader header_;
    std::size_t size_;
    const std::byte* payload_;
  };

  // What counter's slot says about it; copies the frame when it is there. A
  // writer holds the slot's lock for the whole write, so no slot is ever seen
  // mid-write (never kWriting).
  SlotRead read_counter(std::uint64_t counter, FrameBuffer& out) const {
    return visit_counter(counter, [&](const FrameView& view) { copy_out(view, out); });
  }

  // Calls visitor(const FrameView&) under the slot's shared lock (writers of
  // the slot wait for it) if the slot holds counter's frame.
  template <class Visitor>
  SlotRead visit_counter(std::uint64_t counter, Visitor&& visitor) const {
    SlotHeader& s = slot(counter);
    std::shared_lock lock(s.lock);
    if (s.held < counter + 1) return SlotRead::kOlder;
    if (s.held > counter + 1) return SlotRead::kNewer;
    // [LengthBound]: a length above the payload capacity is a foreign byte, no frame.
    if (s.abandoned != 0 || s.length > spec_.payload_capacity) return SlotRead::kAbandoned;
    visitor(view_of(s));
    return SlotRead::kCopied;
  }

  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    SlotHeader& s = slot(counter);
    std::shared_lock lock(s.lock);
    if (s.held == 0 || s.abandoned != 0 || s.length > spec_.payload_capacity) return false;
    copy_out(view_of(s), out);
    return true;
  }

  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      SlotHeader& s = slot(i);
      std::unique_lock lock(s.lock);
      s.held = 0;
      s.abandoned = 0;
      s.length = 0;
    }
    head_->store(first_counter, order_of<Orders>("3"));  // (3) relaxed: no concurrent access
  }

  const RingSpec& spec() const { return spec_; }

  // A slot's state read without its lock, for inspection only (tools/shm, which
  // must never block on a held lock): byte copies that a writer may change
  // meanwhile, so the values may be stale or torn; never the payload.
  struct SlotPeek {
    std::uint64_t held = 0;  // counter + 1; 0: empty
    std::uint32_t length = 0;
    std::uint8_t abandoned = 0;
  };
  SlotPeek peek_slot(std::uint64_t counter) const {
    const SlotHeader& s = slot(counter);
    SlotPeek peek;
    std::memcpy(&peek.held, &s.held, sizeof peek.held);
    std::memcpy(&peek.length, &s.length, sizeof peek.length);
    std::memcpy(&peek.abandoned, &s.abandoned, sizeof peek.abandoned);
    return peek;
  }

 private:
  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    SlotHeader& s = slot(counter);
    std::unique_lock lock(s.lock);
    // A lapping writer got here first: never put an older frame over it.
    if (s.held > counter) return;
    Sync::crash_point(CrashPoint::kAfterMark);
    s.held = counter + 1;
    s.frame = header;
    s.length = static_cast<std::uint32_t>(payload.size());
    s.abandoned = abandoned ? 1 : 0;
    // std::copy_n, not memcpy: an abandoned claim's payload is empty, and
    // memcpy from its null data is undefined even for 0 bytes.
    const std::size_t half = payload.size() / 2;
    std::copy_n(payload.data(), half, payload_of(s));
    Sync::crash_point(CrashPoint::kMidPayload);
    std::copy_n(payload.data() + half, payload.size() - half, payload_of(s) + half);
    Sync::crash_point(CrashPoint::kBeforePublish);
  }

  // A hostile length never reaches past the slot.
  FrameView view_of(const SlotHeader& s) const {
    return FrameView(s.frame, std::min<std::size_t>(s.length, spec_.payload_capacity),
                     payload_of(s));
  }

  static void copy_out(const FrameView& view, FrameBuffer& out) {
    out.set_size(view.load(0, out.storage()));  // nor past the buffer
    out.id = view.id();
    out.kind = view.kind();
    out.ver = view.ver();
  }

  std::size_t slot_offset(std::uint64_t counter) const {
    return detail::kCacheLine + (counter & mask_) * stride_;
  }
  SlotHeader& slot(std::uint64_t counter) const {
    return *detail::object_at<SlotHeader>(region_, slot_offset(counter));
  }
  static std::byte* payload_of(const SlotHeader& s) {
    return const_cast<std::byte*>(reinterpret_cast<const std::byte*>(&s)) + kPayloadOffset;
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  std::byte* const region_;
  Word* const head_;
  bool owns_objects_ = false;
};

}  // namespace ringlab
