// Ring<Storage>: the seed's ring contract over any slot storage. The ring
// validates input, mints ids and maps slot answers onto the seed's operations;
// the storage owns claiming, publishing and reading.
//
// Hot path: write, claim/publish, the batches and loans of claims.hpp,
// read_state_at, visit, probe and the FrameBuffer overloads of read,
// read_head and read_at never allocate (their error paths may). Readers
// decide from a counter's own slot first and read the shared head only when
// the slot cannot say (see read_state_at and cursor.hpp).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/capabilities.hpp"
#include "ringlab/claims.hpp"
#include "ringlab/detail/region.hpp"
#include "ringlab/detail/writer_lease.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"
#include "ringlab/ordering.hpp"
#include "ringlab/sync.hpp"

namespace ringlab {

struct RingOptions {
  // The counter of the first write (tests start near 2^32 and 2^40).
  std::uint64_t first_counter = 0;
  // Markers carry the counter and a writer's owner number in 64 bits
  // (detail/versioned_slot.hpp): counters stay below 2^54.
  static constexpr std::uint64_t kMaxFirstCounter = std::uint64_t{1} << 53;
};

// A claimed counter whose frame is not yet published: read_state_at reports it
// Pending until publish() or abandon().
struct WriteTicket {
  std::uint64_t counter = 0;
  NetId64 id;
  std::size_t payload_size = 0;
};

template <class S>
concept SlotStorage = requires(S s, const S cs, std::uint64_t c, FrameHeader h,
                               std::span<const std::byte> p, FrameBuffer& b) {
  { S::kName } -> std::convertible_to<std::string_view>;
  { S::kWriterMode } -> std::convertible_to<WriterMode>;
  { S::region_bytes(RingSpec{}) } -> std::same_as<std::size_t>;
  { s.claim() } -> std::same_as<std::uint64_t>;
  { s.claim(c) } -> std::same_as<std::uint64_t>;
  { cs.head() } -> std::same_as<std::uint64_t>;
  s.publish(c, h, p);
  s.abandon(c);
  { cs.read_counter(c, b) } -> std::same_as<SlotRead>;
  { cs.read_slot(c, b) } -> std::same_as<bool>;
  s.reset(c);
};

// Whether this build checks that a single-writer ring has one writer thread:
// debug and ThreadSanitizer builds. A release build relies on the caller, as
// the LMAX Disruptor's single-producer mode does (and TSan reports the plain
// counter two writers would share).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RINGLAB_THREAD_SANITIZER 1
#endif
#endif
#if !defined(NDEBUG) || defined(__SANITIZE_THREAD__) || defined(RINGLAB_THREAD_SANITIZER)
inline constexpr bool kCheckWriterThread = true;
#else
inline constexpr bool kCheckWriterThread = false;
#endif

// The ring's own atomics: the checked builds' record of the writer thread.
// Relaxed throughout: they catch misuse and order no data (the slot protocol
// does; a caller handing the writer role to another thread synchronises with
// it by its own means).
struct RingOrders {
  static constexpr std::array<OrderSite, 5> kSites{{
      {"writer_thread.load (T1)", AtomicOp::kLoad, std::memory_order_relaxed, ""},
      {"writer_thread.take (T2)", AtomicOp::kRmw, std::memory_order_relaxed, ""},
      {"writer_thread.release (T3)", AtomicOp::kStore, std::memory_order_relaxed, ""},
      {"writer_entry.due_load (T4)", AtomicOp::kLoad, std::memory_order_acquire, "T5"},
      {"writer_entry.due_store (T5)", AtomicOp::kStore, std::memory_order_release, "T4"},
  }};
  static_assert(tags_unique(kSites));
};

template <SlotStorage Storage>
class Ring {
 public:
  using storage_type = Storage;
  using StorageOptions = typename Storage::Options;
  static constexpr bool kSingleWriter = Storage::kWriterMode == WriterMode::kSingle;
  // Many writers, each process registered in the region's writer table.
  static constexpr bool kTakesWriterEntry =
      !kSingleWriter && requires(Storage& s) { s.register_writer_process(); };

  static absl::StatusOr<std::unique_ptr<Ring>> create(std::uint8_t kind, const RingSpec& spec,
                                                      const RingOptions& options = {},
                                                      const StorageOptions& storage_options = {}) {
    if (absl::Status s = spec.validate(); !s.ok()) return s;
    if (absl::Status s = check_first_counter(options.first_counter); !s.ok()) return s;
    const std::size_t bytes = region_bytes(spec, storage_options);
    try {
      auto region = std::make_shared<detail::AlignedRegion>(bytes);
      std::byte* const data = region->data();
      auto ring = std::unique_ptr<Ring>(
          new Ring(kind, spec, options, storage_options, data, std::move(region)));
      // An in-process single-writer ring's lease is its creator's: the lease
      // word was free a moment ago and nobody else can reach the ring yet.
      if constexpr (kSingleWriter) (void)ring->take_writer_lease();
      return ring;
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError(absl::StrCat("cannot allocate ", bytes,
                                                       " bytes for a ring of ", to_string(spec)));
    }
  }

  // A ring over a region that Storage::initialise has prepared, possibly in
  // another process (shared memory: see shm/shared_ring.hpp). The storage
  // adopts the region's objects without touching them; `keeper` keeps the
  // region mapped for as long as the ring lives. Counters start at 0.
  static std::unique_ptr<Ring> adopt(std::uint8_t kind, const RingSpec& spec,
                                     const StorageOptions& storage_options, std::byte* region,
                                     std::shared_ptr<void> keeper) {
    return std::unique_ptr<Ring>(new Ring(kind, spec, storage_options, region, std::move(keeper)));
  }

  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    if constexpr (kSingleWriter) give_back_writer_lease();
  }

  // The bytes a ring of this storage takes (options may change the layout).
  static std::size_t region_bytes(const RingSpec& spec, const StorageOptions& options = {}) {
    if constexpr (requires { Storage::region_bytes(spec, options); }) {
      return Storage::region_bytes(spec, options);
    } else {
      return Storage::region_bytes(spec);
    }
  }

  std::uint8_t kind() const { return kind_; }
  std::size_t capacity() const { return spec_.capacity; }
  std::size_t payload_capacity() const { return spec_.payload_capacity; }
  const RingSpec& spec() const { return spec_; }
  const StorageOptions& storage_options() const { return storage_options_; }
  // Counts claims, not completed writes (seed contract).
  std::uint64_t head() const { return storage_.head(); }
  std::string_view variant() const { return Storage::kName; }

  // A buffer large enough for any frame of this ring.
  FrameBuffer make_buffer() const { return FrameBuffer(spec_.payload_capacity); }

  // Claims a counter, mints its id and publishes the frame. A payload over
  // payload_capacity is an error before any counter is claimed.
  absl::StatusOr<NetId64> write(NodeId node, std::uint8_t frame_kind, std::uint64_t ver,
                                std::span<const std::byte> payload) {
    if (absl::Status s = check_payload(payload.size()); !s.ok()) return s;
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::uint64_t counter = storage_.claim();
    const NetId64 id = NetId64::make(kind_, node, counter);
    storage_.publish(counter, FrameHeader{id, frame_kind, ver}, payload);
    return id;
  }

  // Gated storages only: ResourceExhausted (the ring is full) instead of
  // waiting for the slowest registered reader. Nothing is claimed then.
  absl::StatusOr<NetId64> try_write(NodeId node, std::uint8_t frame_kind, std::uint64_t ver,
                                    std::span<const std::byte> payload)
    requires requires(Storage s) { s.try_claim(); }
  {
    if (absl::Status s = check_payload(payload.size()); !s.ok()) return s;
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::optional<std::uint64_t> counter = storage_.try_claim();
    // Routine back-pressure that callers retry: a status without a message,
    // which allocates nothing.
    if (!counter) return absl::Status(absl::StatusCode::kResourceExhausted, "");
    const NetId64 id = NetId64::make(kind_, node, *counter);
    storage_.publish(*counter, FrameHeader{id, frame_kind, ver}, payload);
    return id;
  }

  // Two-phase write: the counter reads Pending between claim and publish.
  absl::StatusOr<WriteTicket> claim(NodeId node, std::size_t payload_size) {
    if (absl::Status s = check_payload(payload_size); !s.ok()) return s;
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::uint64_t counter = storage_.claim();
    return WriteTicket{counter, NetId64::make(kind_, node, counter), payload_size};
  }
  // The payload must be the size given to claim(); otherwise the claim is
  // abandoned (readers see the counter Unavailable) and an error returned.
  absl::Status publish(const WriteTicket& ticket, std::uint8_t frame_kind, std::uint64_t ver,
                       std::span<const std::byte> payload) {
    if (payload.size() != ticket.payload_size) {
      storage_.abandon(ticket.counter);
      return absl::InvalidArgumentError(
          absl::StrCat("publish of counter ", ticket.counter, ": payload of ", payload.size(),
                       " bytes, claimed ", ticket.payload_size, "; the claim is abandoned"));
    }
    storage_.publish(ticket.counter, FrameHeader{ticket.id, frame_kind, ver}, payload);
    return absl::OkStatus();
  }
  // Gives a claim up: readers see its counter Unavailable instead of Pending.
  void abandon(const WriteTicket& ticket) { storage_.abandon(ticket.counter); }

  // --- Batched claims (claims.hpp) ---

  // Claims n consecutive counters at once (one RMW on the head for many
  // writers); a gated ring waits for room for all n, as write() waits for
  // one. n must be 1..capacity(): InvalidArgument before anything is claimed.
  absl::StatusOr<WriteBatch<Ring>> claim_batch(NodeId node, std::size_t n) {
    return claim_batch_with(node, n, [&] { return std::optional(storage_.claim(n)); });
  }
  // Gated storages only: ResourceExhausted, claiming nothing, when the ring
  // has no room for all n (see try_write).
  absl::StatusOr<WriteBatch<Ring>> try_claim_batch(NodeId node, std::size_t n)
    requires requires(Storage s) { s.try_claim(); }
  {
    return claim_batch_with(node, n, [&] { return storage_.try_claim(n); });
  }

  // Writes one frame per payload, all of this kind and ver, on consecutive
  // counters claimed at once; the first one's id. Every size is checked
  // before anything is claimed.
  absl::StatusOr<NetId64> write_batch(NodeId node, std::uint8_t frame_kind, std::uint64_t ver,
                                      std::span<const std::span<const std::byte>> payloads) {
    if (absl::Status s = check_batch_size(payloads.size()); !s.ok()) return s;
    for (const std::span<const std::byte> payload : payloads) {
      if (absl::Status s = check_payload(payload.size()); !s.ok()) return s;
    }
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::uint64_t first = storage_.claim(payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      const std::uint64_t counter = first + i;
      storage_.publish(counter, FrameHeader{NetId64::make(kind_, node, counter), frame_kind, ver},
                       payloads[i]);
    }
    return NetId64::make(kind_, node, first);
  }

  // --- Zero-copy claims and reads (claims.hpp) ---

  // Claims a counter and takes its slot at once, for the caller to fill in
  // place through SlotLoan::payload() and publish. Seqlock and disruptor
  // storages only (their payload is atomic words). Read SlotLoan's comment
  // on how long to hold one, and on superseded loans.
  absl::StatusOr<SlotLoan<Ring>> loan(NodeId node, std::size_t payload_size)
    requires LoaningStorage<Storage>
  {
    if (absl::Status s = check_payload(payload_size); !s.ok()) return s;
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::uint64_t counter = storage_.claim();
    return SlotLoan<Ring>(storage_, NetId64::make(kind_, node, counter), counter, payload_size,
                          storage_.begin_loan(counter, payload_size));
  }

  // Calls visitor(const FrameViewOf<Ring>&) with counter's frame in place,
  // without copying it: the view's id(), kind(), ver(), size(), word(i) and
  // load(offset, out) read the slot (its sizes bounded by the payload
  // capacity). Returns read_state_at's answer, without a buffer.
  //
  // THE VISITOR'S CONCLUSIONS COUNT ONLY IF visit RETURNS Ready. A seqlock or
  // disruptor visitor runs while a lapping writer may be overwriting the
  // slot; visit validates afterwards, and anything else means the visitor may
  // have seen a mix of two frames. So the visitor only gathers; the caller
  // acts once visit says Ready:
  //
  //   std::uint64_t price = 0;
  //   if (ring.visit(c, [&](const auto& v) { price = v.word(2); }) == ReadState::kReady) {
  //     book.update(price);  // never inside the visitor, never on another answer
  //   }
  //
  // The visitor is called at most once, and not at all for a counter that is
  // Pending, Unavailable or abandoned. On rwlock it runs under the slot's
  // shared lock (the slot's writer waits: the visitor must not write to this
  // ring). In one process that answer stands; in shared memory a writer
  // revokes a hold kept past the stall bound, and visit then says Pending.
  template <class Visitor>
  ReadState visit(std::uint64_t counter, Visitor&& visitor, bool* overwritten = nullptr) const
    requires VisitingStorage<Storage>
  {
    const SlotRead seen = counter < first_counter_ ? SlotRead::kBeforeFirst
                                                   : storage_.visit_counter(counter, visitor);
    return read_state_of(seen, [&] { return counter < head(); }, overwritten);
  }

  // The frame with exactly this id. NotFound when it is overwritten or was never
  // written (no message: a miss allocates nothing; `out` then holds whatever
  // the slot held); InvalidArgument when the id is of another kind.
  absl::Status read(NetId64 id, FrameBuffer& out) const {
    if (id.kind() != kind_) {
      return absl::InvalidArgumentError(absl::StrCat("id ", id.to_string(), " is of kind ",
                                                     id.kind(), ", this ring carries kind ",
                                                     kind_));
    }
    out.ensure_capacity(spec_.payload_capacity);
    if (storage_.read_slot(id.counter(), out) && out.id == id) return absl::OkStatus();
    return absl::Status(absl::StatusCode::kNotFound, "");
  }
  std::optional<Frame> read(NetId64 id) const {
    return to_optional([&](auto& b) { return read(id, b).ok(); });
  }

  // The committed frame in the slot of counter head - 1: that counter's frame,
  // or the previous lap's while its writer has not committed yet.
  bool read_head(FrameBuffer& out) const {
    out.ensure_capacity(spec_.payload_capacity);
    const std::uint64_t h = head();
    return h != 0 && storage_.read_slot(h - 1, out);
  }
  std::optional<Frame> read_head() const { return to_optional([&](auto& b) { return read_head(b); }); }

  // Whatever committed frame occupies counter's slot, whichever counter it has.
  bool read_at(std::uint64_t counter, FrameBuffer& out) const {
    out.ensure_capacity(spec_.payload_capacity);
    return storage_.read_slot(counter, out);
  }
  std::optional<Frame> read_at(std::uint64_t counter) const {
    return to_optional([&](auto& b) { return read_at(counter, b); });
  }

  // Ready (copied whole into `out`), Pending (claimed, not committed yet) or
  // Unavailable (overwritten, superseded, abandoned, or never claimed).
  // *overwritten (if given) tells the two kinds of Unavailable apart: true when
  // a later counter holds the slot, false when the counter was abandoned or
  // never claimed. Poll classifies its loss by it.
  //
  // The counter's slot decides first; the head is read only when the slot
  // holds an older counter, to tell Pending (claimed, not yet taken) from
  // never claimed. A committed or newer marker needs no head: its counter was
  // claimed, by the writer or by a lapping one.
  ReadState read_state_at(std::uint64_t counter, FrameBuffer& out,
                          bool* overwritten = nullptr) const {
    return read_state_of(probe(counter, out), [&] { return counter < head(); }, overwritten);
  }

  // What counter's own slot says about it, copying the frame into `out` when
  // it is there (kCopied); kBeforeFirst below the ring's first counter. The
  // one shared line this touches is that slot's: a cursor's poll is built on
  // it (cursor.hpp).
  SlotRead probe(std::uint64_t counter, FrameBuffer& out) const {
    if (counter < first_counter_) return SlotRead::kBeforeFirst;
    out.ensure_capacity(spec_.payload_capacity);
    return storage_.read_counter(counter, out);
  }

  // --- Many-writer rings in shared memory ---

  // The process takes its writer-table entry at its first write, not now, so
  // that a process that only reads takes none (shm/shared_ring.hpp calls this
  // as it opens the ring, before any thread of the process can write).
  void defer_writer_entry()
    requires kTakesWriterEntry
  {
    writer_entry_due_.store(true, order_of<RingOrders>("T5"));  // (T5)
  }

  // --- Single-writer rings ---

  // Makes this process the ring's writer: FailedPrecondition naming the
  // holder when another live process is the writer. A writer process that
  // died holding the lease is replaced; the counters it left unfinished are
  // committed as abandoned (readers see them Unavailable). An in-process ring
  // holds it from create() on; shared memory takes it with the writer role
  // (shm/shared_ring.hpp).
  absl::Status take_writer_lease()
    requires kSingleWriter
  {
    const detail::LeaseTaken taken = storage_.take_writer_lease(StdSync::process_id());
    if (!taken.ok) {
      return absl::FailedPreconditionError(
          absl::StrCat("single-writer ring of kind ", kind_, ": process ", taken.holder,
                       " is its writer and is alive; a second writer is refused"));
    }
    holds_lease_ = true;
    return absl::OkStatus();
  }
  void give_back_writer_lease()
    requires kSingleWriter
  {
    if (!holds_lease_) return;
    storage_.give_back_writer_lease(StdSync::process_id());
    holds_lease_ = false;
  }
  bool holds_writer_lease() const { return !kSingleWriter || holds_lease_; }

  // Checked builds (kCheckWriterThread) refuse a write from a second thread of
  // the writer process; a thread that is done writing hands the role on with
  // this, after which the next thread to write takes it.
  void release_writer_thread() {
    if constexpr (kSingleWriter && kCheckWriterThread) {
      // (T3) relaxed: see RingOrders.
      writer_thread_.store(std::thread::id{}, order_of<RingOrders>("T3"));
    }
  }

  // Clears every slot; the next write gets `first_counter`. Not while writers
  // or readers run (seed contract). InvalidArgument, and nothing cleared, for a
  // first counter create() would refuse.
  absl::Status reset(std::uint64_t first_counter = 0) {
    if (absl::Status s = check_first_counter(first_counter); !s.ok()) return s;
    first_counter_ = first_counter;
    storage_.reset(first_counter);
    return absl::OkStatus();
  }

  // --- Capabilities (capabilities.hpp), where the storage has them ---

  // Waits until the writer of `counter` is done with it (committed, abandoned
  // or superseded), the timeout passes, or alert() is called. A timeout too
  // long for the storage's clock means "until published".
  template <class Rep, class Period>
  WaitResult wait_for(std::uint64_t counter, std::chrono::duration<Rep, Period> timeout)
    requires BarrierStorage<Storage>
  {
    using Duration = typename std::remove_reference_t<decltype(storage_.barrier())>::clock::duration;
    const Duration bounded = timeout >= std::chrono::duration_cast<decltype(timeout)>(Duration::max())
                                 ? Duration::max()
                                 : std::chrono::duration_cast<Duration>(timeout);
    return storage_.barrier().wait_for(counter, bounded);
  }
  // Wakes every waiter of this process and makes its later waits return
  // kAlerted at once, until clear_alert(). For shutting readers down.
  void alert() requires BarrierStorage<Storage> { storage_.barrier().alert(); }
  void clear_alert() requires BarrierStorage<Storage> { storage_.barrier().clear_alert(); }

  // Whether writers wait for registered readers instead of overwriting.
  bool gated() const {
    if constexpr (GatingStorage<Storage>) {
      return storage_.gated();
    } else {
      return false;
    }
  }
  // Registers a reader: frames from the gate's start on are not overwritten
  // until advance_gate moves past them. FailedPrecondition on a ring that is
  // not gated; ResourceExhausted when every gate is taken. Readers normally use
  // GatedReader (disruptor/gated_reader.hpp), which does all of this.
  absl::StatusOr<ReaderGate> register_gate() requires GatingStorage<Storage> {
    return storage_.sequencer().register_gate();
  }
  void advance_gate(const ReaderGate& gate, std::uint64_t next_counter)
    requires GatingStorage<Storage>
  {
    storage_.sequencer().advance_gate(gate.index, next_counter);
  }
  void release_gate(const ReaderGate& gate) requires GatingStorage<Storage> {
    storage_.sequencer().release_gate(gate.index);
  }
  // Frees the gates of reader processes that are gone; how many.
  std::size_t release_dead_gates() requires GatingStorage<Storage> {
    return storage_.sequencer().release_dead_gates();
  }

  // The storage itself: for the library's shared-memory layer and for tests of
  // a storage's own parts. Everything else goes through the ring.
  Storage& storage() { return storage_; }
  const Storage& storage() const { return storage_; }

 private:
  Ring(std::uint8_t kind, const RingSpec& spec, const RingOptions& options,
       const StorageOptions& storage_options, std::byte* region, std::shared_ptr<void> keeper)
      : kind_(kind),
        spec_(spec),
        storage_options_(storage_options),
        first_counter_(options.first_counter),
        region_keeper_(std::move(keeper)),
        storage_(spec, region, options.first_counter, storage_options) {}

  Ring(std::uint8_t kind, const RingSpec& spec, const StorageOptions& storage_options,
       std::byte* region, std::shared_ptr<void> keeper)
      : kind_(kind),
        spec_(spec),
        storage_options_(storage_options),
        first_counter_(0),
        region_keeper_(std::move(keeper)),
        storage_(detail::kAdoptRegion, spec, region, storage_options) {}

  // A single-writer ring refuses writes from a process without the lease and,
  // in checked builds, from a second thread [SoleWriter]. A many-writer ring in
  // shared memory takes its process's writer-table entry at the first write,
  // so that readers take none. Nothing else pays.
  absl::Status check_writer() {
    if constexpr (kTakesWriterEntry) {
      // (T4) acquire: pairs with (T5). Once it reads false the storage's owner
      // number is written, before this thread's write reads it.
      if (writer_entry_due_.load(order_of<RingOrders>("T4"))) [[unlikely]] {
        return take_writer_entry();
      }
    }
    if constexpr (kSingleWriter) {
      if (!holds_lease_) [[unlikely]] return writer_error("this process does not hold the writer lease");
      if constexpr (kCheckWriterThread) {
        const std::thread::id me = std::this_thread::get_id();
        // (T1) relaxed, (T2) relaxed: see RingOrders.
        std::thread::id holder = writer_thread_.load(order_of<RingOrders>("T1"));
        if (holder == std::thread::id{} &&
            writer_thread_.compare_exchange_strong(holder, me, order_of<RingOrders>("T2"),
                                                   order_of<RingOrders>("T1"))) {
          holder = me;
        }
        if (holder != me) {
          return writer_error(
              "a second thread writes while another holds the writer role "
              "(release_writer_thread() hands it on)");
        }
      }
    }
    return absl::OkStatus();
  }

  static absl::Status check_first_counter(std::uint64_t first_counter) {
    if (first_counter <= RingOptions::kMaxFirstCounter) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "first counter ", first_counter, " exceeds the maximum ", RingOptions::kMaxFirstCounter));
  }

  absl::Status check_batch_size(std::size_t n) const {
    if (n == 0 || n > spec_.capacity) {
      return absl::InvalidArgumentError(absl::StrCat("a batch of ", n,
                                                     " counters: a batch takes 1 to the ring's "
                                                     "capacity, ", spec_.capacity));
    }
    return absl::OkStatus();
  }

  template <class Claim>
  absl::StatusOr<WriteBatch<Ring>> claim_batch_with(NodeId node, std::size_t n, Claim&& claim) {
    if (absl::Status s = check_batch_size(n); !s.ok()) return s;
    if (absl::Status s = check_writer(); !s.ok()) return s;
    const std::optional<std::uint64_t> first = claim();
    // Back-pressure, as in try_write: no message, no allocation.
    if (!first) return absl::Status(absl::StatusCode::kResourceExhausted, "");
    return WriteBatch<Ring>(*this, node, *first, n);
  }

  absl::Status check_payload(std::size_t size) const {
    if (size > spec_.payload_capacity) [[unlikely]] return payload_error(size);
    return absl::OkStatus();
  }

  // Error values are built out of line, so that the write path that does not
  // fail carries none of their code (a message costs a large stack frame).
  [[gnu::cold, gnu::noinline]] absl::Status payload_error(std::size_t size) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload of ", size, " bytes exceeds the ring's payload capacity ", spec_.payload_capacity));
  }
  // The first write of a process (or a retry after a full table): one thread
  // registers while the others wait on the mutex, so no thread reads the owner
  // number while another writes it.
  [[gnu::cold, gnu::noinline]] absl::Status take_writer_entry() {
    std::lock_guard lock(writer_entry_mutex_);
    if (!writer_entry_due_.load(order_of<RingOrders>("T4"))) return absl::OkStatus();  // (T4)
    if (!storage_.register_writer_process()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "ring of kind ", kind_, ": every writer-table entry belongs to a live writer process, "
          "or to a dead one whose unfinished slot no writer has taken over yet; retry once one "
          "exits or a writer laps that slot"));
    }
    writer_entry_due_.store(false, order_of<RingOrders>("T5"));  // (T5) release: pairs with (T4)
    return absl::OkStatus();
  }
  [[gnu::cold, gnu::noinline]] absl::Status writer_error(const char* why) const {
    return absl::FailedPreconditionError(
        absl::StrCat("single-writer ring of kind ", kind_, ": ", why));
  }

  template <class ReadInto>
  std::optional<Frame> to_optional(ReadInto&& read_into) const {
    FrameBuffer buffer = make_buffer();
    if (!read_into(buffer)) return std::nullopt;
    return buffer.to_frame();
  }

  const std::uint8_t kind_;
  const RingSpec spec_;
  const StorageOptions storage_options_;
  std::uint64_t first_counter_;  // counters below it were never claimed
  // Declared before storage_: the region outlives the objects in it.
  std::shared_ptr<void> region_keeper_;
  Storage storage_;
  bool holds_lease_ = false;  // single writer: this process is the writer
  std::atomic<std::thread::id> writer_thread_{};  // checked builds only
  // Shared memory, many writers: this process has no writer-table entry yet
  // (defer_writer_entry); the first write takes one.
  std::atomic<bool> writer_entry_due_{false};
  std::mutex writer_entry_mutex_;
};

}  // namespace ringlab
