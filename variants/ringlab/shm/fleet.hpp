// Fleet: the seed's fleet layer over shared-memory rings. A process joins a
// named fleet as a node (its 16-bit NodeId is minted into every id it
// publishes), declares the kinds it uses, and publishes, reads and polls by
// kind. Each kind has one ring per fleet, in the segment
// "/ringlab.<user>.<fleet>.k<kind>" (shm/name.hpp); it is created on first use
// with open_or_create_ring, so when processes race exactly one creates it and
// the others attach.
//
//   auto fleet = shm::Fleet<>::join("plant", NodeId(7));
//   fleet->declare(kTemperature, RingSpec{1024, 64});
//   absl::StatusOr<NetId64> id = fleet->publish(kTemperature, 0, ver, bytes);
//   std::optional<Frame> frame = fleet->read(*id);        // routed by id.kind()
//   absl::StatusOr<PollResult> news = fleet->poll(kTemperature, cursor);
//
// Single-writer storages (WriterMode::kSingle): each kind has one writer node
// at a time. declare(kind, spec, options, RingRole::kWriter) makes this node
// the kind's writer at its first use (taking the ring's writer lease, see
// shared_ring.hpp); a kind declared kReader (the default) is read only, and
// publishing to it is FailedPrecondition. A second live writer node's first
// use fails naming the writer's pid; a dead one's lease is taken over.
// Many-writer storages ignore the role: every node may publish to every kind.
//
// Kinds are declared at run time, not as template "kind types" (the seed's
// OrbitTyped): an id names its kind only at run time, so read(id) needs a
// run-time table of kinds anyway, and a process that takes its kinds and specs
// from a configuration or a command line could not name them as types.
// declare() fixes a kind's spec before its first use; using a kind that was
// never declared is FailedPrecondition naming the kind, and creates nothing.
//
// Spec clashes are FailedPrecondition naming the kind and the field:
//   - declare() again with another capacity, payload capacity, storage
//     options or (single writer) role: "capacity: declared 8, redeclared 16";
//   - the kind's ring exists with another spec (another process declared it
//     otherwise, or another storage variant made it): the segment's own
//     message, e.g. "capacity: segment has 8, expected 16". Such a first use
//     fails each time it is tried; it never falls back to the other spec.
//
// Threads: every member but leave(), assignment and the destructor may be
// called from any number of threads at once. A kind's first use takes the
// fleet's std::mutex once (not absl::Mutex: Debian's Abseil is not built for
// ThreadSanitizer); after it, publish, read(id, buffer) and poll_into take no
// lock and allocate nothing (their error statuses may).
//
// Lifetime: nothing is ever unlinked implicitly. leave() (or destruction)
// unmaps this fleet's rings; the segments stay for the other nodes and for
// later joiners. unlink_kind() and remove() take the names away; processes
// that have a ring mapped keep using it, while later joiners create a fresh
// one. A ring handed out by ring() stays usable after leave().
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/cursor.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::shm {

struct FleetOptions {
  std::string user;           // empty: the effective user (default_user())
  bool group_access = false;  // rings this node creates are 0660 instead of 0600
};

template <Shareable Storage = SeqlockStorage<>>
class Fleet {
 public:
  using RingType = Ring<Storage>;
  using StorageOptions = typename Storage::Options;

  // InvalidArgument if the fleet name or the user breaks SegmentName's rules.
  static absl::StatusOr<Fleet> join(std::string_view fleet_name, NodeId node,
                                    const FleetOptions& options = {}) {
    SegmentName name{std::string(fleet_name), 0,
                     options.user.empty() ? default_user() : options.user};
    if (const absl::StatusOr<std::string> shm = shm_name(name); !shm.ok()) return shm.status();
    return Fleet(std::make_unique<State>(std::move(name), node, options.group_access));
  }

  // The spec the kind's ring is created with on first use, and that an
  // existing ring must match. Declaring a kind again with the same spec is a
  // no-op; with another, a clash. `role`: single-writer storages only.
  absl::Status declare(std::uint8_t kind, const RingSpec& spec,
                       const StorageOptions& options = {}, RingRole role = RingRole::kReader) {
    if (!state_) return not_joined();
    const absl::StatusOr<SegmentSpec> segment = segment_spec<Storage>(kind, spec, options);
    absl::Status valid = segment.ok() ? validate(*segment) : segment.status();
    if (!valid.ok()) return state_->about(kind, valid);
    std::lock_guard lock(state_->mutex);
    std::optional<Declaration>& declared = state_->kinds[kind].declared;
    if (!declared) {
      declared = Declaration{spec, options, role};
      return absl::OkStatus();
    }
    return state_->about(kind, redeclaration(*declared, Declaration{spec, options, role}));
  }

  // Mints an id of (kind, this node, the ring's next counter).
  absl::StatusOr<NetId64> publish(std::uint8_t kind, std::uint8_t frame_kind, std::uint64_t ver,
                                  std::span<const std::byte> payload) {
    const absl::StatusOr<RingType*> ring = ring_of(kind);
    if (!ring.ok()) return ring.status();
    return (*ring)->write(state_->node, frame_kind, ver, payload);
  }

  // The frame with exactly this id, from the ring of id.kind(). NotFound (no
  // message) when it is overwritten or was never written.
  absl::Status read(NetId64 id, FrameBuffer& out) const {
    const absl::StatusOr<RingType*> ring = ring_of(id.kind());
    if (!ring.ok()) return ring.status();
    return (*ring)->read(id, out);
  }
  // Empty on a miss and on any error (an undeclared kind included).
  std::optional<Frame> read(NetId64 id) const {
    const absl::StatusOr<RingType*> ring = ring_of(id.kind());
    if (!ring.ok()) return std::nullopt;
    return (*ring)->read(id);
  }

  // ringlab::poll_into on the kind's ring; `scratch` should hold its payload
  // capacity (ring(kind)->make_buffer()), or the first read grows it.
  template <class OnFrame>
  absl::StatusOr<PollStats> poll_into(
      std::uint8_t kind, RingCursor& cursor, FrameBuffer& scratch, OnFrame&& on_frame,
      std::uint64_t max_frames = std::numeric_limits<std::uint64_t>::max()) const {
    const absl::StatusOr<RingType*> ring = ring_of(kind);
    if (!ring.ok()) return ring.status();
    return ringlab::poll_into(**ring, cursor, scratch, std::forward<OnFrame>(on_frame),
                              max_frames);
  }
  absl::StatusOr<PollResult> poll(std::uint8_t kind, RingCursor& cursor) const {
    const absl::StatusOr<RingType*> ring = ring_of(kind);
    if (!ring.ok()) return ring.status();
    return ringlab::poll(**ring, cursor);
  }

  // The kind's ring, created or attached now if this is its first use (e.g.
  // to take a GatedReader, or a buffer from make_buffer()).
  absl::StatusOr<std::shared_ptr<RingType>> ring(std::uint8_t kind) const {
    const absl::StatusOr<RingType*> ring = ring_of(kind);
    if (!ring.ok()) return ring.status();
    return state_->kinds[kind].ring;  // set before ring_of could see it
  }

  // Unmaps this fleet's rings; unlinks nothing. Afterwards every call but
  // assignment and destruction is FailedPrecondition.
  void leave() { state_.reset(); }

  // Removes the kind's segment name (NotFound if there is none).
  absl::Status unlink_kind(std::uint8_t kind) const {
    if (!state_) return not_joined();
    return Segment::unlink(state_->segment(kind));
  }

  // Removes the named kinds' segments of a fleet; kinds without one are
  // skipped. Returns the first other error, after trying every kind.
  static absl::Status remove(std::string_view fleet_name, std::span<const std::uint8_t> kinds,
                             std::string_view user = {}) {
    SegmentName name{std::string(fleet_name), 0,
                     user.empty() ? default_user() : std::string(user)};
    absl::Status first_error;
    for (const std::uint8_t kind : kinds) {
      name.kind = kind;
      const absl::Status s = Segment::unlink(name);
      if (!absl::IsNotFound(s)) first_error.Update(s);
    }
    return first_error;
  }

  bool joined() const { return state_ != nullptr; }
  // These three only while joined().
  NodeId node() const { return state_->node; }
  const std::string& fleet_name() const { return state_->name.fleet; }
  const std::string& user() const { return state_->name.user; }

 private:
  struct Declaration {
    RingSpec ring;
    StorageOptions options;
    RingRole role = RingRole::kReader;
  };

  struct KindEntry {
    // Non-null once `ring` is set; the release store publishes `ring` to the
    // lock-free readers of `ready`.
    std::atomic<RingType*> ready{nullptr};
    std::shared_ptr<RingType> ring;         // written once, under State::mutex
    std::optional<Declaration> declared;    // under State::mutex
  };

  struct State {
    State(SegmentName name, NodeId node, bool group_access)
        : name(std::move(name)), node(node), group_access(group_access) {}

    SegmentName segment(std::uint8_t kind) const { return {name.fleet, kind, name.user}; }

    absl::Status about(std::uint8_t kind, const absl::Status& s) const {
      return absl::Status(s.code(), absl::StrCat("fleet ", name.fleet, ", kind ", unsigned{kind},
                                                 ": ", s.message()));
    }

    // First use: under the mutex, so one thread per process opens the
    // segment; open_or_create_ring makes that one creator across processes.
    absl::StatusOr<RingType*> open(std::uint8_t kind) {
      std::lock_guard lock(mutex);
      KindEntry& entry = kinds[kind];
      // (F1) relaxed: under the mutex, which orders it after any (F2).
      if (RingType* ring = entry.ready.load(kReadyUnderLock)) return ring;
      if (!entry.declared) {
        return about(kind, absl::FailedPreconditionError(absl::StrCat(
                               "never declared; declare(", unsigned{kind},
                               ", spec) must come before its first use")));
      }
      auto ring = open_or_create_ring<Storage>(
          segment(kind), entry.declared->ring, entry.declared->options,
          SharedRingOptions{.group_access = group_access, .role = entry.declared->role});
      if (!ring.ok()) return about(kind, ring.status());
      entry.ring = std::move(*ring);
      // (F2) release: pairs with (F3); the ring's construction happens-before
      // any thread that finds it there.
      entry.ready.store(entry.ring.get(), kPublishReady);
      return entry.ring.get();
    }

    const SegmentName name;
    const NodeId node;
    const bool group_access;
    std::mutex mutex;
    std::array<KindEntry, 256> kinds;
  };

  explicit Fleet(std::unique_ptr<State> state) : state_(std::move(state)) {}

  // The orders of a kind's ring pointer, (F1)..(F3).
  static constexpr std::memory_order kReadyUnderLock = std::memory_order_relaxed;
  static constexpr std::memory_order kPublishReady = std::memory_order_release;
  static constexpr std::memory_order kFindReady = std::memory_order_acquire;

  static absl::Status not_joined() {
    return absl::FailedPreconditionError("fleet: not joined (left, or moved from)");
  }

  template <class T>
  static absl::Status clash(std::string_view field, const T& declared, const T& asked) {
    return absl::FailedPreconditionError(absl::StrCat(ringlab::detail::sv(field), ": declared ",
                                                      declared, ", redeclared ", asked));
  }

  static OverflowMode overflow_mode(const Declaration& d) {
    return SharedStorage<Storage>::segment_spec(0, d.ring, d.options).overflow;
  }

  static absl::Status redeclaration(const Declaration& was, const Declaration& now) {
    if (was.ring.capacity != now.ring.capacity) {
      return clash("capacity", was.ring.capacity, now.ring.capacity);
    }
    if (was.ring.payload_capacity != now.ring.payload_capacity) {
      return clash("payload capacity", was.ring.payload_capacity, now.ring.payload_capacity);
    }
    if (RingType::kSingleWriter && was.role != now.role) {
      return clash("role", to_string(was.role), to_string(now.role));
    }
    if (was.options == now.options) return absl::OkStatus();
    const OverflowMode was_mode = overflow_mode(was);
    const OverflowMode now_mode = overflow_mode(now);
    if (was_mode != now_mode) {
      return clash("overflow mode", to_string(was_mode), to_string(now_mode));
    }
    return absl::FailedPreconditionError("storage options: redeclared with others");
  }

  // The hot path: one acquire load once the kind is open.
  absl::StatusOr<RingType*> ring_of(std::uint8_t kind) const {
    if (!state_) return not_joined();
    // (F3) acquire: pairs with (F2).
    if (RingType* ring = state_->kinds[kind].ready.load(kFindReady)) return ring;
    return state_->open(kind);
  }

  std::unique_ptr<State> state_;
};

}  // namespace ringlab::shm
