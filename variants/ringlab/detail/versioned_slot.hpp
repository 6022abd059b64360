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
//           (P14) close an entry never registered (detail/writer_table.hpp)
// A loan (Ring::loan) is a write split where the caller fills the payload:
// (P1)..(P4) or (P13) when it is taken, the holder's payload stores (P5)
// through PayloadWords, then the header (P5) and the commit (P6) when it is
// published. Ring::visit reads in place with (P7)..(P10) through SlotView.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

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


// A writer's view of the payload words of a slot it holds (a loan, or a
// write's own copy). The words are relaxed atomics (P5), published by the
// commit (P6): the view stores whole words and never hands out bytes, since a
// plain byte store racing a reader's word load would be a data race.
// Move-only, so that a loan can empty the one view it hands out when it
// publishes (no store can land after the commit).
template <class Sync, class Orders>
class PayloadWords {
 public:
  using Word = typename Sync::template atomic<std::uint64_t>;

  PayloadWords() = default;
  PayloadWords(Word* words, std::size_t size) : words_(words), size_(size) {}
  PayloadWords(PayloadWords&& other) noexcept
      : words_(std::exchange(other.words_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  PayloadWords& operator=(PayloadWords&& other) noexcept {
    words_ = std::exchange(other.words_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  PayloadWords(const PayloadWords&) = delete;
  PayloadWords& operator=(const PayloadWords&) = delete;

  // Bytes, and words (the last one partial when size() is not a multiple of 8).
  std::size_t size() const { return size_; }
  std::size_t word_count() const { return (size_ + 7) / 8; }

  // Stores `bytes` from byte `offset` on: whole words, then the trailing
  // partial word zero-padded. False, and nothing stored, when offset is not a
  // multiple of 8 or the bytes reach past size().
  bool store(std::size_t offset, std::span<const std::byte> bytes) const {
    if (offset % 8 != 0 || offset > size_ || bytes.size() > size_ - offset) return false;
    store_words(words_ + offset / 8, bytes);
    return true;
  }

  // Stores `bytes` into words (as many as they fill): whole words, then the
  // trailing partial word zero-padded. Unchecked: a write of a frame the
  // caller has sized, or store() after its checks.
  static void store_words(Word* words, std::span<const std::byte> bytes) {
    // (P5) relaxed: published by the commit (P6), guarded by (P4)/(P9).
    constexpr auto order = order_of<Orders>("P5");
    const std::size_t full = bytes.size() / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      if (i == full / 2) Sync::crash_point(CrashPoint::kMidPayload);
      std::uint64_t w;
      std::memcpy(&w, bytes.data() + 8 * i, 8);
      words[i].store(w, order);  // (P5)
    }
    if (const std::size_t tail = bytes.size() % 8; tail != 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, bytes.data() + 8 * full, tail);
      words[full].store(w, order);  // (P5)
    }
  }

  // Stores payload word i (bytes 8i..8i+7); false when i >= word_count().
  bool store_word(std::size_t i, std::uint64_t word) const {
    if (i >= word_count()) return false;
    words_[i].store(word, order_of<Orders>("P5"));  // (P5), as in store()
    return true;
  }

 private:
  Word* words_ = nullptr;
  std::size_t size_ = 0;
};

// A reader's view of a committed frame in its slot (Ring::visit): the header
// as loaded, and the payload words loaded on demand. Every load is relaxed
// (P8) and means nothing until the reader's recheck (P9)/(P10) says the slot
// did not change; size() is bounded by the payload capacity, so a torn or
// hostile length never reaches past the slot.
template <class Sync, class Orders>
class SlotView {
 public:
  using Word = typename Sync::template atomic<std::uint64_t>;

  SlotView(std::uint64_t id, std::uint64_t ver, std::uint64_t meta, std::size_t size,
           const Word* words)
      : id_(id), ver_(ver), meta_(meta), size_(size), words_(words) {}

  NetId64 id() const { return NetId64::from_raw(id_); }
  std::uint8_t kind() const { return static_cast<std::uint8_t>(meta_ & 0xFF); }
  std::uint64_t ver() const { return ver_; }
  std::size_t size() const { return size_; }
  std::size_t word_count() const { return (size_ + 7) / 8; }

  // Payload word i (bytes 8i..8i+7); 0 when i >= word_count().
  std::uint64_t word(std::size_t i) const {
    if (i >= word_count()) return 0;
    return words_[i].load(order_of<Orders>("P8"));  // (P8) relaxed: validated by (P9)/(P10)
  }

  // Copies payload bytes from `offset` on into `out`, as many as both have;
  // how many.
  std::size_t load(std::size_t offset, std::span<std::byte> out) const {
    if (offset >= size_) return 0;
    const std::size_t n = std::min(out.size(), size_ - offset);
    if (offset % 8 == 0) {
      load_words(words_ + offset / 8, out.first(n));
      return n;
    }
    for (std::size_t done = 0; done < n;) {
      const std::size_t at = offset + done;
      const std::uint64_t w = words_[at / 8].load(order_of<Orders>("P8"));  // (P8), as in word()
      const std::size_t take = std::min(8 - at % 8, n - done);
      std::memcpy(out.data() + done, reinterpret_cast<const std::byte*>(&w) + at % 8, take);
      done += take;
    }
    return n;
  }

  // Fills `out` from words: whole words with a constant-size copy (one move
  // each), then the tail. Unchecked: the caller has bounded out.size().
  static void load_words(const Word* words, std::span<std::byte> out) {
    const std::size_t full = out.size() / 8;
#pragma GCC unroll 8
    for (std::size_t i = 0; i < full; ++i) {
      const std::uint64_t w = words[i].load(order_of<Orders>("P8"));  // (P8), as in word()
      std::memcpy(out.data() + 8 * i, &w, 8);
    }
    if (const std::size_t tail = out.size() % 8; tail != 0) {
      const std::uint64_t w = words[full].load(order_of<Orders>("P8"));  // (P8), as in word()
      std::memcpy(out.data() + 8 * full, &w, tail);
    }
  }

 private:
  std::uint64_t id_, ver_, meta_;
  std::size_t size_;
  const Word* words_;
};

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
  using Payload = PayloadWords<Sync, Orders>;
  using View = SlotView<Sync, Orders>;
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
  // [WriterStallBound] In shared memory no writer waits much longer than
  // Sync::kWriterStallBound on one marker: see stalled_on().
  static bool begin_write(Word& marker, std::uint64_t c, const Writer& writer = {}) {
    const std::uint64_t mine = writing_marker(c, writer.owner);
    // (P1) relaxed: only a guess for the CAS (P2), which decides.
    std::uint64_t seen = marker.load(order_of<Orders>("P1"));
    StallWatch watch;
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
        const Blocked verdict = blocked_on(seen, writer, watch);
        if (verdict == Blocked::kDrop) return false;
        if (verdict == Blocked::kWait) {
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

  // Takes the slot for counter c as a writer of this mode: begin_write for
  // one of many, begin_sole_write for the only one (which always takes it).
  template <WriterMode kMode>
  static bool begin(Word& marker, std::uint64_t c, const Writer& writer) {
    if constexpr (kMode == WriterMode::kMulti) {
      return begin_write(marker, c, writer);
    } else {
      begin_sole_write(marker, c);
      return true;
    }
  }

  static void write_body(Word* body, const FrameHeader& header,
                         std::span<const std::byte> payload, bool abandoned = false) {
    write_header(body, header, abandoned ? kAbandonedLength : payload.size());
    Payload::store_words(body + kBodyHeaderWords, payload);
    Sync::crash_point(CrashPoint::kBeforePublish);
  }

  // The end of a loan: the header words, then the commit. The payload words
  // are the loan holder's, stored through Payload (PayloadWords).
  static void finish_loan(Word& marker, Word* body, std::uint64_t c, const FrameHeader& header,
                          std::size_t length, bool abandoned) {
    write_header(body, header, abandoned ? kAbandonedLength : length);
    Sync::crash_point(CrashPoint::kBeforePublish);
    commit(marker, c);
  }

  // After a single writer's lease is taken over [SoleWriter]: the counters
  // below head whose slots the dead writer never committed, newest first and
  // at most a lap back (counters it claimed, or marked, and left), for the new
  // writer to commit as abandoned so readers see them Unavailable rather than
  // Pending for good. marker_of(c) is counter c's marker.
  template <class MarkerOf, class Abandon>
  static void abandon_unfinished(std::uint64_t head, std::uint64_t capacity, MarkerOf&& marker_of,
                                 Abandon&& abandon) {
    for (std::uint64_t c = head; c-- > 0 && head - c <= capacity;) {
      // (P7), as in read(): the dead writer's stores are all visible [DeadWritesVisible].
      if (marker_of(c).load(order_of<Orders>("P7")) >= committed_marker(c)) break;
      abandon(c);
    }
  }

  // Whether any of the first `slots` markers is in flight for owner `owner`
  // (marker_at(i) is slot i's): a dead owner's table entry is reused only once
  // none is, so that no marker ever names two processes [OwnerEntryReuse].
  template <class MarkerAt>
  static bool names_owner(std::uint64_t slots, std::uint64_t owner, MarkerAt&& marker_at) {
    for (std::uint64_t i = 0; i < slots; ++i) {
      // (P7), as in read(): the dead owner's stores are all visible [DeadWritesVisible].
      const std::uint64_t m = marker_at(i).load(order_of<Orders>("P7"));
      if (is_writing(m) && marker_owner(m) == owner) return true;
    }
    return false;
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

  // Calls visitor(const View&) over the frame of counter c in place if the
  // slot holds it, then validates: kCopied only if the slot did not change
  // meanwhile. Otherwise whatever the visitor saw may be torn, and must be
  // thrown away. Not called for an abandoned counter.
  template <class Visitor>
  static SlotRead visit(const Word& marker, const Word* body, std::size_t payload_capacity,
                        std::uint64_t c, Visitor&& visitor) {
    const std::uint64_t before = marker.load(order_of<Orders>("P7"));  // (P7), as in read()
    if (const SlotRead seen = classify(before, c); seen != SlotRead::kCopied) return seen;
    return visit_validated(marker, before, body, payload_capacity, visitor);
  }

 private:
  enum class Blocked : std::uint8_t { kWait, kTakeOver, kDrop };
  // The in-flight marker a writer is waiting on, and since when.
  struct StallWatch {
    std::uint64_t marker = 0;
    typename Sync::clock::time_point since{};
  };

  // What a writer does about the in-flight marker `seen` on its slot, after
  // spinning on it. In-process (no table): wait, since threads of one process
  // never die alone. In shared memory: take over at once from an owner whose
  // process is gone [DeadWriterTakeover]; otherwise wait, but once the same
  // marker has stood for Sync::kWriterStallBound [WriterStallBound]:
  //  - an owner that cannot be a live registered process (number 0 or out of
  //    range, an entry that was never registered, a pid that names no process)
  //    wrote no frame this writer could tear: take over, as from a dead one;
  //  - a live owner (this process included) may still be copying: never take
  //    over, drop this writer's frame instead. Its counter stays unwritten,
  //    which readers count as loss (stalled, or overwritten a lap later).
  // So a hostile or stale marker costs a writer the bound, never for ever.
  [[gnu::noinline]] static Blocked blocked_on(std::uint64_t seen, const Writer& writer,
                                              StallWatch& watch) {
    if (writer.table == nullptr) return Blocked::kWait;
    const std::uint64_t owner = marker_owner(seen);
    if (owner != writer.owner && writer.table->owner_gone(owner)) return Blocked::kTakeOver;
    const auto now = Sync::clock::now();
    if (seen != watch.marker) {
      watch = {seen, now};
      return Blocked::kWait;
    }
    if (now - watch.since < Sync::kWriterStallBound) return Blocked::kWait;
    if (owner == writer.owner) return Blocked::kDrop;
    return writer.table->owner_provably_alive(owner) ? Blocked::kDrop : Blocked::kTakeOver;
  }

  static void write_header(Word* body, const FrameHeader& header, std::uint64_t length) {
    // (P5) relaxed: published by the commit (P6), guarded by (P4)/(P9).
    constexpr auto order = order_of<Orders>("P5");
    body[0].store(header.id.raw(), order);
    body[1].store(header.ver, order);
    body[2].store(std::uint64_t{header.kind} | length << 8, order);
  }

  template <class Visitor>
  static SlotRead visit_validated(const Word& marker, std::uint64_t before, const Word* body,
                                  std::size_t payload_capacity, Visitor& visitor) {
    // (P8) relaxed: validated by (P9)/(P10).
    constexpr auto order = order_of<Orders>("P8");
    const std::uint64_t id = body[0].load(order);
    const std::uint64_t ver = body[1].load(order);
    const std::uint64_t meta = body[2].load(order);
    const std::uint64_t length = meta >> 8;
    if (length != kAbandonedLength) {
      // A torn or hostile length never reaches past the slot.
      const auto size =
          static_cast<std::size_t>(std::min<std::uint64_t>(length, payload_capacity));
      const View view(id, ver, meta, size, body + kBodyHeaderWords);
      visitor(view);
    }
    // (P9) acquire fence: pairs with the writer's release fence (P4); if any
    // load above saw a newer writer's store, the reload (P10) sees its marker.
    Sync::fence(order_of<Orders>("P9"));
    // (P10) relaxed: ordered after the body loads by (P9).
    if (marker.load(order_of<Orders>("P10")) != before) return SlotRead::kNewer;
    return length == kAbandonedLength ? SlotRead::kAbandoned : SlotRead::kCopied;
  }

  // read()'s copy: as visit_validated with a visitor that copies the frame,
  // written out so that the copy is one move a word and nothing else.
  static SlotRead copy_validated(const Word& marker, std::uint64_t before, const Word* body,
                                 std::size_t payload_capacity, FrameBuffer& out) {
    // (P8) relaxed: validated by (P9)/(P10).
    constexpr auto order = order_of<Orders>("P8");
    const std::uint64_t id = body[0].load(order);
    const std::uint64_t ver = body[1].load(order);
    const std::uint64_t meta = body[2].load(order);
    const std::uint64_t length = meta >> 8;
    // A torn or hostile length never reaches past the slot or the buffer.
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(length, std::min(payload_capacity, out.capacity())));
    View::load_words(body + kBodyHeaderWords, out.storage().first(n));
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

// The protocol's rows of a storage's site table, (P1)..(P14): a storage
// appends them to its own rows.
inline constexpr std::array<OrderSite, 14> kVersionedSlotSites{{
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
    {"owners.close_unregistered (P14)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
}};

}  // namespace ringlab::detail
