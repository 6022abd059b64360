// Reader-writer-lock slot storage: the seed's V0. Each slot is a frame behind
// its own lock word (detail/slot_lock.hpp), which records its writer: a lock a
// dead writer process left held is recovered, and in shared memory no wait
// outlasts the stall bound. The reference design: plainly correct, but every reader writes the
// lock word, and a writer waits for the slot's readers.
//
// The slot's data is read and written under its lock: in one process, plain
// memory (in the model, cells whose every unordered access is a reported data
// race); in shared memory, where a writer revokes readers that held a slot
// past the stall bound [RevocableReads], atomic words loaded and stored
// relaxed, and a revoked reader keeps nothing it read.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>

#include "ringlab/detail/region.hpp"
#include "ringlab/detail/slot_lock.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

// Ordering points of RwlockStorage: (1)..(3) here, (R1)..(R14) in
// detail/slot_lock.hpp. Slot data is ordered by the slot's lock.
struct RwlockOrders {
  static constexpr auto kSites = concat_sites(
      std::array<OrderSite, 3>{{
          {"head.claim (1)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
          {"head.load (2)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
          {"reset.store (3)", AtomicOp::kStore, std::memory_order_relaxed, ""},
      }},
      detail::kSlotLockSites);
  static_assert(tags_unique(kSites));
};

template <class Sync = StdSync, class Orders = RwlockOrders>
class RwlockStorage {
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Lock = detail::SlotLock<Sync, Orders>;
  template <class T>
  using Cell = detail::slot_cell_t<Sync, Orders, T>;
  using PayloadWord = Cell<std::uint64_t>;
  static constexpr bool kRevocable = detail::bounded_lock_waits<Sync>();

  // Everything but the lock is data read and written under it.
  struct SlotHeader {
    Word lock;
    Cell<std::uint64_t> held;  // counter + 1 of the frame in the slot; 0: empty
    Cell<std::uint64_t> id;  // the frame header: NetId64's raw word, ver, kind
    Cell<std::uint64_t> ver;
    Cell<std::uint32_t> length;
    Cell<std::uint8_t> kind;
    // A byte, not a bool: a region in shared memory may hold any value here
    // (nonzero: abandoned).
    Cell<std::uint8_t> abandoned;
    Word blocked;  // writers' shared stall clock (detail/slot_lock.hpp)
  };
  static constexpr std::size_t kPayloadOffset = detail::round_up(sizeof(SlotHeader), 8);
  static_assert(sizeof(PayloadWord) == 8 && alignof(PayloadWord) <= 8);

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

  // Constructs the region's head, slot locks and slot data and empties every
  // slot: once per region, before any storage adopts it.
  static void initialise(const RingSpec& spec, std::byte* region, std::uint64_t first_counter,
                         const Options& options = {}) {
    detail::construct_at_offset<Word>(region, 0);
    for (std::size_t i = 0; i < spec.capacity; ++i) {
      const std::size_t at = detail::kCacheLine + i * slot_stride(spec);
      detail::construct_at_offset<SlotHeader>(region, at);
      for (std::size_t w = 0; w < payload_words(spec); ++w) {
        detail::construct_at_offset<PayloadWord>(region, at + kPayloadOffset + 8 * w);
      }
    }
    RwlockStorage(detail::kAdoptRegion, spec, region, options).reset(first_counter);
  }

  // Over a region that initialise() has prepared (here or in another process).
  // The storage takes its locks as the process that made it: one storage per
  // process (a child of fork() adopts the region anew, as attach does).
  RwlockStorage(detail::AdoptRegion, const RingSpec& spec, std::byte* region, const Options& = {})
      : spec_(spec),
        mask_(spec.capacity - 1),
        stride_(slot_stride(spec)),
        region_(region),
        head_(detail::object_at<Word>(region, 0)),
        pid_(Sync::process_id()) {}

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
      for (std::size_t w = 0; w < payload_words(spec_); ++w) {
        detail::destroy_at_offset<PayloadWord>(region_, slot_offset(i) + kPayloadOffset + 8 * w);
      }
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
  // same accessors as the versioned slots' view, over the slot's words.
  class FrameView {
   public:
    FrameView(const FrameHeader& header, std::size_t size, const PayloadWord* words)
        : header_(header), size_(size), words_(words) {}
    NetId64 id() const { return header_.id; }
    std::uint8_t kind() const { return header_.kind; }
    std::uint64_t ver() const { return header_.ver; }
    std::size_t size() const { return size_; }
    std::size_t word_count() const { return (size_ + 7) / 8; }
    // Payload word i, zero-padded past size(); 0 when i >= word_count().
    std::uint64_t word(std::size_t i) const { return i < word_count() ? words_[i].load() : 0; }
    std::size_t load(std::size_t offset, std::span<std::byte> out) const {
      if (offset >= size_) return 0;
      const std::size_t n = std::min(out.size(), size_ - offset);
      detail::load_bytes(words_, offset, out.first(n));
      return n;
    }

   private:
    FrameHeader header_;
    std::size_t size_;
    const PayloadWord* words_;
  };

  // What counter's slot says about it; copies the frame when it is there. A
  // writer holds the slot's lock for the whole write, so a slot is never seen
  // mid-write: kWriting ("not now") only in shared memory, when its lock stayed
  // held past the stall bound [LockStallBound] (a live writer stopped inside
  // it), or when this reader was slower than the bound and a writer revoked
  // its hold [RevocableReads] (what it copied is not a frame).
  SlotRead read_counter(std::uint64_t counter, FrameBuffer& out) const {
    return visit_counter(counter, [&](const FrameView& view) { copy_out(view, out); });
  }

  // Calls visitor(const FrameView&) under the slot's shared lock (writers of
  // the slot wait for it) if the slot holds counter's frame. In shared memory
  // the visitor's conclusions count only if this returns kCopied: a writer may
  // have revoked the hold while it ran [RevocableReads].
  template <class Visitor>
  SlotRead visit_counter(std::uint64_t counter, Visitor&& visitor) const {
    SlotHeader& s = slot(counter);
    SharedGuard hold{s.lock, lock_shared(s)};
    if (!hold.locked()) return SlotRead::kWriting;
    const SlotRead read = visit_held(s, counter, visitor);
    return hold.release() ? read : SlotRead::kWriting;
  }

  bool read_slot(std::uint64_t counter, FrameBuffer& out) const {
    SlotHeader& s = slot(counter);
    SharedGuard hold{s.lock, lock_shared(s)};
    if (!hold.locked()) return false;
    const bool copied = s.held.load() != 0 && s.abandoned.load() == 0 &&
                        s.length.load() <= spec_.payload_capacity;
    if (copied) copy_out(view_of(s), out);
    return hold.release() && copied;
  }

  // Not while writers or readers run (seed contract): frees every lock and
  // empties every slot.
  void reset(std::uint64_t first_counter) {
    for (std::size_t i = 0; i < spec_.capacity; ++i) {
      SlotHeader& s = slot(i);
      s.lock.store(0, order_of<Orders>("3"));  // (3) relaxed: no concurrent access
      s.blocked.store(0, order_of<Orders>("3"));  // (3)
      s.held.store(0);
      s.abandoned.store(0);
      s.length.store(0);
    }
    head_->store(first_counter, order_of<Orders>("3"));  // (3)
  }

  const RingSpec& spec() const { return spec_; }

  // Counter's slot lock word (public, as the versioned slots' markers are, for
  // inspection and the models).
  Word& lock_word(std::uint64_t counter) const { return slot(counter).lock; }

  // A slot's state read without its lock, for inspection only (tools/shm, which
  // must never block on a held lock): loads of cells that a writer may change
  // meanwhile, so the values may be stale or mutually inconsistent; never the
  // payload. Shared-memory rings only (their cells are atomic words).
  struct SlotPeek {
    std::uint64_t held = 0;  // counter + 1; 0: empty
    std::uint32_t length = 0;
    std::uint8_t abandoned = 0;
    std::uint64_t writer_pid = 0;  // the lock's writer; 0: none
    std::uint32_t readers = 0;     // the lock's reader count
    std::uint64_t generation = 0;  // the lock's count of revocations, mod 2^17
  };
  SlotPeek peek_slot(std::uint64_t counter) const
    requires kRevocable
  {
    const SlotHeader& s = slot(counter);
    SlotPeek peek;
    peek.held = s.held.load();
    peek.length = s.length.load();
    peek.abandoned = s.abandoned.load();
    const std::uint64_t word = s.lock.load(order_of<Orders>("R1"));  // (R1) relaxed: a snapshot
    peek.writer_pid = detail::writer_of(word);
    peek.readers = static_cast<std::uint32_t>(detail::readers_of(word));
    peek.generation = detail::generation_of(word);
    return peek;
  }

 private:
  // A reader's hold on a slot, let go by release() (which says whether it was
  // still ours) or, if a visitor throws, at the end of scope.
  class SharedGuard {
   public:
    SharedGuard(Word& lock, detail::SharedHold hold) : lock_(lock), hold_(hold) {}
    SharedGuard(const SharedGuard&) = delete;
    SharedGuard& operator=(const SharedGuard&) = delete;
    ~SharedGuard() {
      if (hold_.locked) (void)Lock::unlock_shared(lock_, hold_);
    }
    bool locked() const { return hold_.locked; }
    bool release() {
      hold_.locked = false;
      return Lock::unlock_shared(lock_, hold_);
    }

   private:
    Word& lock_;
    detail::SharedHold hold_;
  };

  template <class Visitor>
  SlotRead visit_held(const SlotHeader& s, std::uint64_t counter, Visitor& visitor) const {
    const std::uint64_t held = s.held.load();
    if (held < counter + 1) return SlotRead::kOlder;
    if (held > counter + 1) return SlotRead::kNewer;
    // [LengthBound]: a length above the payload capacity is a foreign byte, no frame.
    if (s.abandoned.load() != 0 || s.length.load() > spec_.payload_capacity) {
      return SlotRead::kAbandoned;
    }
    visitor(view_of(s));
    return SlotRead::kCopied;
  }

  // [DeadWriterRecovery] A dead writer's stores may be any part of its write:
  // its frame (or, if it died before its first store, the frame it was
  // replacing) is lost, and readers see it abandoned.
  static void mark_abandoned(SlotHeader& s) { s.abandoned.store(1); }

  detail::SharedHold lock_shared(SlotHeader& s) const {
    return Lock::lock_shared(s.lock, pid_, [&] { mark_abandoned(s); });
  }

  // No guard object here: a crash point must leave the lock held, as a killed
  // writer does (the models end a thread there by an exception).
  void store(std::uint64_t counter, const FrameHeader& header, std::span<const std::byte> payload,
             bool abandoned) {
    Sync::crash_point(CrashPoint::kAfterClaim);
    SlotHeader& s = slot(counter);
    // [LockStallBound] Held past the bound by a live process (shared memory):
    // the frame is dropped (the counter stays unwritten: Pending, then stalled
    // or lapped).
    if (Lock::lock(s.lock, s.blocked, pid_, [&] { mark_abandoned(s); }) ==
        detail::LockResult::kTimedOut) {
      return;
    }
    // A lapping writer got here first: never put an older frame over it.
    if (s.held.load() > counter) {
      Lock::unlock(s.lock);
      return;
    }
    Sync::crash_point(CrashPoint::kAfterMark);
    s.held.store(counter + 1);
    s.id.store(header.id.raw());
    s.ver.store(header.ver);
    s.kind.store(header.kind);
    s.length.store(static_cast<std::uint32_t>(payload.size()));
    s.abandoned.store(abandoned ? 1 : 0);
    // Half the words, then the rest.
    const std::size_t half = payload.size() / 16 * 8;
    detail::store_bytes(payload_of(s), payload.first(half));
    Sync::crash_point(CrashPoint::kMidPayload);
    detail::store_bytes(payload_of(s) + half / 8, payload.subspan(half));
    Sync::crash_point(CrashPoint::kBeforePublish);
    Lock::unlock(s.lock);
  }

  // A hostile length never reaches past the slot.
  FrameView view_of(const SlotHeader& s) const {
    return FrameView(FrameHeader{NetId64::from_raw(s.id.load()), s.kind.load(), s.ver.load()},
                     std::min<std::size_t>(s.length.load(), spec_.payload_capacity),
                     payload_of(s));
  }

  static void copy_out(const FrameView& view, FrameBuffer& out) {
    out.set_size(view.load(0, out.storage()));  // nor past the buffer
    out.id = view.id();
    out.kind = view.kind();
    out.ver = view.ver();
  }

  static std::size_t payload_words(const RingSpec& spec) { return (spec.payload_capacity + 7) / 8; }
  std::size_t slot_offset(std::uint64_t counter) const {
    return detail::kCacheLine + (counter & mask_) * stride_;
  }
  SlotHeader& slot(std::uint64_t counter) const {
    return *detail::object_at<SlotHeader>(region_, slot_offset(counter));
  }
  static PayloadWord* payload_of(const SlotHeader& s) {
    return std::launder(reinterpret_cast<PayloadWord*>(
        const_cast<std::byte*>(reinterpret_cast<const std::byte*>(&s)) + kPayloadOffset));
  }

  const RingSpec spec_;
  const std::uint64_t mask_;
  const std::size_t stride_;
  std::byte* const region_;
  Word* const head_;
  const std::uint64_t pid_;  // this process's, as its locks record it
  bool owns_objects_ = false;
};

}  // namespace ringlab
