// Ring<Storage>: the seed's ring contract over any slot storage. The ring
// validates input, mints ids and maps slot answers onto the seed's operations;
// the storage owns claiming, publishing and reading.
//
// Hot path: write, claim/publish, read_state_at and the FrameBuffer overloads of
// read, read_head and read_at never allocate (their error paths may).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/capabilities.hpp"
#include "ringlab/detail/region.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"

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
  { S::region_bytes(RingSpec{}) } -> std::same_as<std::size_t>;
  { s.claim() } -> std::same_as<std::uint64_t>;
  { cs.head() } -> std::same_as<std::uint64_t>;
  s.publish(c, h, p);
  s.abandon(c);
  { cs.slot_state(c, b) } -> std::same_as<ReadState>;
  { cs.read_slot(c, b) } -> std::same_as<bool>;
  s.reset(c);
};

template <SlotStorage Storage>
class Ring {
 public:
  using storage_type = Storage;
  using StorageOptions = typename Storage::Options;

  static absl::StatusOr<std::unique_ptr<Ring>> create(std::uint8_t kind, const RingSpec& spec,
                                                      const RingOptions& options = {},
                                                      const StorageOptions& storage_options = {}) {
    if (absl::Status s = spec.validate(); !s.ok()) return s;
    if (options.first_counter > RingOptions::kMaxFirstCounter) {
      return absl::InvalidArgumentError(absl::StrCat("first counter ", options.first_counter,
                                                     " exceeds the maximum ",
                                                     RingOptions::kMaxFirstCounter));
    }
    try {
      auto region = std::make_shared<detail::AlignedRegion>(Storage::region_bytes(spec));
      std::byte* const bytes = region->data();
      return std::unique_ptr<Ring>(new Ring(kind, spec, options, storage_options, bytes,
                                            std::move(region)));
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate ", Storage::region_bytes(spec), " bytes for a ring of ",
                       to_string(spec)));
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
  ReadState read_state_at(std::uint64_t counter, FrameBuffer& out,
                          bool* overwritten = nullptr) const {
    if (overwritten != nullptr) *overwritten = false;
    // Head first: a counter claimed by then whose slot still holds an older
    // one is Pending; one not claimed is never Pending.
    const std::uint64_t h = head();
    if (counter < first_counter_ || counter >= h) return ReadState::kUnavailable;
    out.ensure_capacity(spec_.payload_capacity);
    if constexpr (requires(bool* o) { storage_.slot_state(counter, out, o); }) {
      return storage_.slot_state(counter, out, overwritten);
    } else {
      const ReadState state = storage_.slot_state(counter, out);
      if (overwritten != nullptr) *overwritten = counter + spec_.capacity < head();
      return state;
    }
  }

  // Clears every slot; the next write gets `first_counter`. Not while writers
  // or readers run (seed contract).
  void reset(std::uint64_t first_counter = 0) {
    first_counter_ = first_counter;
    storage_.reset(first_counter);
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

  absl::Status check_payload(std::size_t size) const {
    if (size > spec_.payload_capacity) {
      return absl::InvalidArgumentError(absl::StrCat("payload of ", size,
                                                     " bytes exceeds the ring's payload capacity ",
                                                     spec_.payload_capacity));
    }
    return absl::OkStatus();
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
};

}  // namespace ringlab
