// The versioned-slot protocol shared by the seqlock and disruptor storages: a
// 64-bit marker that says which counter a slot holds and whether its write is
// in flight, and a body of relaxed atomic words (no data race, no UB: the
// spirit of P1478's byte-wise atomic memcpy). Fence placement follows Boehm,
// "Can seqlocks get along with programming language memory models?" (MSPC 2012).
//
// The two storages differ in where markers live and how counters are claimed;
// the order of every operation here still comes from the calling storage's
// site table, so each storage is audited and mutated on its own.
//
// Ordering points of the protocol, cited as (Pn):
//   writer: (P1) marker load  (P2) CAS to writing  (P3) its failure load
//           (P13) the sole writer's plain mark instead of (P1)..(P3)
//           (P4) release fence  (P5) body stores  (P6) commit store
//   reader: (P7) marker load  (P8) body loads  (P9) acquire fence  (P10) marker reload
//   owners: (P11) register a writer process  (P12) look an owner up
//           (detail/writer_table.hpp)
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "ringlab/detail/writer_table.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab::detail {

// Invariant [MarkerMonotone]: a slot's marker only grows. Encoding, with
// b = kOwnerBits and w the writer's owner number (detail/writer_table.hpp):
//   0                   empty
//   (2c + 1) << b | w   counter c is being written, by owner w
//   (2c + 2) << b       counter c is committed (a frame, or an abandoned claim)
// So a slot never goes back from a newer counter to an older one, and a reader
// that sees the same marker before and after its copy copied one frame whole.
// Counters stay below 2^(63 - b) (kMaxCounter).
constexpr std::uint64_t writing_marker(std::uint64_t c, std::uint64_t owner = 0) {
  return (2 * c + 1) << kOwnerBits | owner;
}
constexpr std::uint64_t committed_marker(std::uint64_t c) { return (2 * c + 2) << kOwnerBits; }
constexpr bool is_writing(std::uint64_t marker) { return ((marker >> kOwnerBits) & 1) != 0; }
constexpr std::uint64_t committed_counter(std::uint64_t marker) {
  return (marker >> kOwnerBits) / 2 - 1;
}
constexpr std::uint64_t marker_owner(std::uint64_t marker) { return marker & kOwnerMask; }
inline constexpr std::uint64_t kMaxCounter = (std::uint64_t{1} << (62 - kOwnerBits)) - 1;

// Body words: [0] id, [1] ver, [2] frame kind | payload length << 8, [3..] payload.
inline constexpr std::size_t kBodyHeaderWords = 3;
// A length no frame can have: marks a claim that was given up (see abandon()).
inline constexpr std::uint64_t kAbandonedLength = 0xFFFF'FFFF;
constexpr std::size_t body_words(std::size_t payload_capacity) {
  return kBodyHeaderWords + (payload_capacity + 7) / 8;
}


// Who is writing: the owner number this process put in its in-flight markers,
// and the table to look other owners up in (nullptr: an in-process ring).
template <class Sync, class Orders>
struct WriterId {
  std::uint64_t owner = 0;
  const WriterTable<Sync, Orders>* table = nullptr;
};

template <class Sync, class Orders>
class VersionedSlot {
 public:
  using Word = typename Sync::template atomic<std::uint64_t>;
  using Writer = WriterId<Sync, Orders>;
  static constexpr unsigned kSpinsBeforeYield = 64;

  // What a slot's marker says about counter c, from one load (P7): a reader
  // decides from this alone whether to copy, wait or move on, and touches no
  // other shared line.
  static SlotRead classify(std::uint64_t marker, std::uint64_t c) {
    if (marker < writing_marker(c)) return SlotRead::kOlder;
    if (marker < committed_marker(c)) return SlotRead::kWriting;
    if (marker > committed_marker(c)) return SlotRead::kNewer;
    return SlotRead::kCopied;  // not yet: the caller copies and validates
  }

  // Takes the slot for counter c. False: a newer counter has it, and the frame
  // of c is dropped rather than written over a newer one [MarkerMonotone].
  // Blocking in one case: when a writer a full lap behind is mid-copy on this
  // slot, this writer waits for that copy (two copies cannot share a body), so
  // a writer suspended mid-copy holds up each writer that reaches its slot.
  // [DeadWriterTakeover] Unless that writer's process has died (shared memory
  // only): once the table says so, this writer takes the slot over with the
  // same CAS (P2). The dead writer's stores are all visible by then
  // [DeadWritesVisible], so they precede ours in every word's modification
  // order, and its half-written frame is never committed: readers see its
  // counter Pending, then overwritten. Bound: one yield per check.
  static bool begin_write(Word& marker, std::uint64_t c, const Writer& writer = {}) {
    const std::uint64_t mine = writing_marker(c, writer.owner);
    // (P1) relaxed: only a guess for the CAS (P2), which decides.
    std::uint64_t seen = marker.load(order_of<Orders>("P1"));
    for (unsigned spins = 0;;) {
      if (seen >= mine) return false;
      if (is_writing(seen)) {
        // Spin briefly, then give the processor to the writer we wait for,
        // asking before each yield whether it is still alive (a system call:
        // not while spinning).
        if (++spins < kSpinsBeforeYield) {
          Sync::spin_pause();
          seen = marker.load(order_of<Orders>("P1"));  // (P1)
          continue;
        }
        if (!abandoned_by_dead_writer(seen, writer)) {
          Sync::yield();
          seen = marker.load(order_of<Orders>("P1"));  // (P1)
          continue;
        }
      }
      // (P2) acquire on success: pairs with the commit (P6) of the slot's
      // previous writer, so its body stores (P5) happen-before ours and can
      // never land after them in the words' modification order.
      // (P3) on failure: relaxed, the loop re-examines `seen`.
      if (marker.compare_exchange_weak(seen, mine, order_of<Orders>("P2"),
                                       cas_failure_order(order_of<Orders>("P3")))) {
        break;
      }
    }
    // (P4) release fence: orders the writing marker (P2) before the body stores
    // (P5); pairs with the reader's acquire fence (P9). A reader that loads any
    // of our body words therefore re-reads (P10) a marker >= ours and rejects.
    Sync::fence(order_of<Orders>("P4"));
    Sync::crash_point(CrashPoint::kAfterMark);
    return true;
  }

  // Takes the slot for counter c when this is the ring's only writer
  // [SoleWriter]: nobody else stores this marker, and this writer's counters
  // only grow, so a plain store keeps [MarkerMonotone] and no lapped writer
  // can be mid-copy here. No locked instruction: the fence (P4) is the
  // protocol's, and on x86 a release fence emits none.
  static void begin_sole_write(Word& marker, std::uint64_t c, std::uint64_t owner = 0) {
    // (P13) relaxed: ordered before the body stores (P5) by the fence (P4).
    marker.store(writing_marker(c, owner), order_of<Orders>("P13"));
    // (P4) release fence: as in begin_write.
    Sync::fence(order_of<Orders>("P4"));
    Sync::crash_point(CrashPoint::kAfterMark);
  }

  static void write_body(Word* body, const FrameHeader& header,
                         std::span<const std::byte> payload, bool abandoned = false) {
    const std::uint64_t length = abandoned ? kAbandonedLength : payload.size();
    // (P5) relaxed: published by the commit (P6), guarded by (P4)/(P9).
    constexpr auto order = order_of<Orders>("P5");
    body[0].store(header.id.raw(), order);
    body[1].store(header.ver, order);
    body[2].store(std::uint64_t{header.kind} | length << 8, order);
    Word* words = body + kBodyHeaderWords;
    const std::size_t full = payload.size() / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      if (i == full / 2) Sync::crash_point(CrashPoint::kMidPayload);
      std::uint64_t w;
      std::memcpy(&w, payload.data() + 8 * i, 8);
      words[i].store(w, order);  // (P5)
    }
    if (const std::size_t tail = payload.size() % 8; tail != 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, payload.data() + 8 * full, tail);
      words[full].store(w, order);  // (P5)
    }
    Sync::crash_point(CrashPoint::kBeforePublish);
  }

  static void commit(Word& marker, std::uint64_t c) {
    // (P6) release: pairs with the reader's acquire load (P7) and with the next
    // writer's CAS (P2); publishes the body stores (P5).
    marker.store(committed_marker(c), order_of<Orders>("P6"));
  }

  // Copies the frame of counter c if the slot holds it. Wait-free: one pass,
  // no retry, since a changed marker can only mean a newer counter.
  static SlotRead read(const Word& marker, const Word* body, std::size_t payload_capacity,
                       std::uint64_t c, FrameBuffer& out) {
    // (P7) acquire: pairs with the commit (P6) of counter c.
    const std::uint64_t before = marker.load(order_of<Orders>("P7"));
    if (before == committed_marker(c)) [[likely]] {
      return copy_validated(marker, before, body, payload_capacity, out);
    }
    return classify(before, c);
  }

  // Copies whatever committed frame the slot holds (its id names the counter).
  static SlotRead read_latest(const Word& marker, const Word* body, std::size_t payload_capacity,
                              FrameBuffer& out) {
    const std::uint64_t before = marker.load(order_of<Orders>("P7"));  // (P7)
    if (before == 0 || is_writing(before)) return SlotRead::kOlder;
    return copy_validated(marker, before, body, payload_capacity, out);
  }

 private:
  static bool abandoned_by_dead_writer(std::uint64_t seen, const Writer& writer) {
    const std::uint64_t owner = marker_owner(seen);
    return writer.table != nullptr && owner != writer.owner && writer.table->owner_gone(owner);
  }

  static SlotRead copy_validated(const Word& marker, std::uint64_t before, const Word* body,
                                 std::size_t payload_capacity, FrameBuffer& out) {
    // (P8) relaxed: validated by (P9)/(P10).
    constexpr auto order = order_of<Orders>("P8");
    const std::uint64_t id = body[0].load(order);
    const std::uint64_t ver = body[1].load(order);
    const std::uint64_t meta = body[2].load(order);
    const std::uint64_t length = meta >> 8;
    // A torn or hostile length never reaches past the slot or the buffer.
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(length, std::min(payload_capacity, out.capacity())));
    const Word* words = body + kBodyHeaderWords;
    std::byte* dst = out.storage().data();
    // Whole words with a constant-size copy (one move each), then the tail.
    const std::size_t full = n / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      const std::uint64_t w = words[i].load(order);  // (P8)
      std::memcpy(dst + 8 * i, &w, 8);
    }
    if (const std::size_t tail = n % 8; tail != 0) {
      const std::uint64_t w = words[full].load(order);  // (P8)
      std::memcpy(dst + 8 * full, &w, tail);
    }
    // (P9) acquire fence: pairs with the writer's release fence (P4); if any
    // load above saw a newer writer's store, the reload (P10) sees its marker.
    Sync::fence(order_of<Orders>("P9"));
    // (P10) relaxed: ordered after the body loads by (P9).
    if (marker.load(order_of<Orders>("P10")) != before) return SlotRead::kNewer;
    if (length == kAbandonedLength) return SlotRead::kAbandoned;
    out.id = NetId64::from_raw(id);
    out.kind = static_cast<std::uint8_t>(meta & 0xFF);
    out.ver = ver;
    out.set_size(n);
    return SlotRead::kCopied;
  }
};

// The protocol's rows of a storage's site table, (P1)..(P13): a storage
// appends them to its own rows.
inline constexpr std::array<OrderSite, 13> kVersionedSlotSites{{
    {"slot.writer_load (P1)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"slot.claim_cas (P2)", AtomicOp::kRmw, std::memory_order_acquire, "P6"},
    {"slot.claim_cas_failure (P3)", AtomicOp::kCasFailure, std::memory_order_relaxed, ""},
    {"slot.writer_fence (P4)", AtomicOp::kFence, std::memory_order_release, "P9"},
    {"slot.body_store (P5)", AtomicOp::kStore, std::memory_order_relaxed, ""},
    {"slot.commit (P6)", AtomicOp::kStore, std::memory_order_release, "P7 P2"},
    {"slot.reader_load (P7)", AtomicOp::kLoad, std::memory_order_acquire, "P6"},
    {"slot.body_load (P8)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"slot.reader_fence (P9)", AtomicOp::kFence, std::memory_order_acquire, "P4"},
    {"slot.reader_recheck (P10)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"owners.register (P11)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
    {"owners.load (P12)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
    {"slot.sole_mark (P13)", AtomicOp::kStore, std::memory_order_relaxed, ""},
}};

}  // namespace ringlab::detail
