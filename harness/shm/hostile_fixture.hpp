// What hostile_region_test.cpp is made of: every shareable storage over a Sync
// policy with a short writer stall bound, where each shared word of its region
// lies (RegionMap), and the corruptions the tests plant there (Corruption).
//
// A region belongs to the processes of one user; any of them may write any
// bytes into it. The library must then still end every operation within its
// bounds with a status or a counted loss. The corruptions are named, so that a
// failing case says exactly which bytes broke what.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ringlab/ringlab.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::shm::hostile {

using namespace std::chrono_literals;

// The writer stall bound under test (the library's [WriterStallBound]): a
// writer facing an in-flight marker that does not change gives up or takes
// over after it. 20 ms, so that a case that waits out a bound on every slot
// still takes a fraction of a second.
struct FastSync : StdSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{20};
};
struct FastSharedSync : ProcessSharedSync {
  static constexpr std::chrono::milliseconds kWriterStallBound{20};
};

inline constexpr std::uint8_t kKind = 11;
inline constexpr RingSpec kSpec{4, 48};
// Frames the creator writes before the corruption: two laps and one, so that
// every slot holds a committed frame and head is not a multiple of capacity.
inline constexpr std::uint64_t kPrefilled = 2 * kSpec.capacity + 1;
inline constexpr std::uint32_t kCreatorNode = 1;
inline constexpr std::uint32_t kChildNode = 2;

// One shareable storage as the tests drive it.
template <class S, auto kOptions = typename S::Options{}>
struct Variant {
  using Storage = S;
  using RingT = Ring<S>;
  static constexpr bool kSingle = RingT::kSingleWriter;
  static constexpr bool kRwlock = S::kName == std::string_view("rwlock");
  static constexpr bool kDisruptor = S::kName == std::string_view("disruptor");
  static typename S::Options options() { return kOptions; }
  static constexpr bool gated() {
    if constexpr (kDisruptor) {
      return kOptions.mode == OverflowMode::kGated;
    } else {
      return false;
    }
  }
  static constexpr bool apart() {
    if constexpr (kDisruptor) {
      return kOptions.layout == MarkerLayout::kApart;
    } else {
      return false;
    }
  }
  static std::string name() {
    std::string out(S::kName);
    if (gated()) out += "_gated";
    if (apart()) out += "_apart";
    if (kSingle) out += "_single";
    return out;
  }
};

template <class Sync, WriterMode kWriters>
using DisruptorOf = DisruptorStorage<Sync, YieldingWait, DisruptorOrders, kWriters>;
inline constexpr DisruptorOptions kOverwriteInline{OverflowMode::kOverwrite, MarkerLayout::kInline};
inline constexpr DisruptorOptions kOverwriteApart{OverflowMode::kOverwrite, MarkerLayout::kApart};
inline constexpr DisruptorOptions kGatedInline{OverflowMode::kGated, MarkerLayout::kInline};
inline constexpr DisruptorOptions kGatedApart{OverflowMode::kGated, MarkerLayout::kApart};

template <class... Vs>
struct TypeList {};

// Every shareable storage: rwlock over Shared (a ProcessSharedSync), the
// others over Sync; many writers and one, overwrite and gated, markers inline
// and apart. The fuzz target (harness/fuzz/fuzz_region.cpp) drives the same list.
template <class Sync, class Shared>
using VariantsOver = TypeList<
    Variant<RwlockStorage<Shared>>, Variant<SeqlockStorage<Sync>>,
    Variant<SeqlockStorage<Sync, SeqlockOrders, WriterMode::kSingle>>,
    Variant<DisruptorOf<Sync, WriterMode::kMulti>, kOverwriteInline>,
    Variant<DisruptorOf<Sync, WriterMode::kMulti>, kOverwriteApart>,
    Variant<DisruptorOf<Sync, WriterMode::kMulti>, kGatedInline>,
    Variant<DisruptorOf<Sync, WriterMode::kMulti>, kGatedApart>,
    Variant<DisruptorOf<Sync, WriterMode::kSingle>, kOverwriteInline>,
    Variant<DisruptorOf<Sync, WriterMode::kSingle>, kOverwriteApart>,
    Variant<DisruptorOf<Sync, WriterMode::kSingle>, kGatedInline>>;

// ---- Where the shared words lie ---------------------------------------------

// Byte offsets into the region, from the storages' public layout functions.
// The sequencer's gate lines and the rwlock slot header are private; their
// offsets are mirrored here, and the fixture reads every planted value back
// through the storages' inspection API (gate_value, peek_slot, marker), so a
// layout change fails loudly instead of corrupting the wrong bytes.
struct RegionMap {
  std::size_t bytes = 0;
  std::size_t head = 0;                 // every storage: the claim counter
  std::optional<std::size_t> lease;     // single writer
  std::optional<std::size_t> writers;   // many-writer versioned slots: the writer table
  std::size_t owners = 0;               // its entries 1..owners
  bool gated = false;
  std::vector<std::size_t> markers;     // versioned slots, by slot index
  std::vector<std::size_t> bodies;      // versioned slots: body word 0 (id); meta at +16
  std::vector<std::size_t> rw_slots;    // rwlock slot headers
  std::size_t rw_lock_bytes = 0;        // the lock word at the start of each

  static constexpr std::size_t kGateCache = 64;
  static constexpr std::size_t gate(std::size_t g) { return (2 + g) * 64; }
  static constexpr std::size_t gate_owner(std::size_t g) { return gate(g) + 8; }
  static constexpr std::size_t kGates = 32;
  // Whether bytes [offset, offset + n) touch a slot's lock word.
  bool in_rw_lock(std::size_t offset, std::size_t n) const {
    for (const std::size_t slot : rw_slots) {
      if (offset + n > slot && offset < slot + rw_lock_bytes) return true;
    }
    return false;
  }
  // The slot header: the lock word, then held, id, ver, length (4 bytes),
  // kind and abandoned (a byte each); MapMatchesLayout checks it.
  std::size_t rw_lock(std::size_t s) const { return rw_slots[s]; }
  std::size_t rw_held(std::size_t s) const { return rw_slots[s] + rw_lock_bytes; }
  std::size_t rw_length(std::size_t s) const { return rw_held(s) + 24; }
  std::size_t rw_abandoned(std::size_t s) const { return rw_length(s) + 5; }
};

template <class V>
RegionMap region_map(const RingSpec& spec = kSpec) {
  using S = typename V::Storage;
  RegionMap m;
  m.bytes = V::RingT::region_bytes(spec, V::options());
  if constexpr (V::kRwlock) {
    m.rw_lock_bytes = 8;  // the slot's lock word (detail/slot_lock.hpp)
    for (std::size_t s = 0; s < spec.capacity; ++s) {
      m.rw_slots.push_back(ringlab::detail::kCacheLine + s * S::slot_stride(spec));
    }
  } else {
    if constexpr (V::kSingle) m.lease = 8;  // seqlock's kLeaseOffset, the sequencer's
    if constexpr (!V::kSingle) {
      m.writers = S::writers_offset();
      m.owners = ringlab::detail::writer_processes<FastSync>();
    }
    m.gated = V::gated();
    for (std::size_t s = 0; s < spec.capacity; ++s) {
      if constexpr (V::kDisruptor) {
        const std::size_t stride = S::slot_stride(spec, V::options());
        m.markers.push_back(S::slots_offset() + s * (V::apart() ? 8 : stride));
        m.bodies.push_back(S::bodies_offset(spec, V::options()) + s * stride);
      } else {
        m.markers.push_back(S::slots_offset() + s * S::slot_stride(spec));
        m.bodies.push_back(m.markers.back() + 8);
      }
    }
  }
  return m;
}

// ---- Corruptions ------------------------------------------------------------

inline void poke64(std::byte* region, std::size_t offset, std::uint64_t v) {
  std::memcpy(region + offset, &v, 8);
}
inline void poke32(std::byte* region, std::size_t offset, std::uint32_t v) {
  std::memcpy(region + offset, &v, 4);
}
inline std::uint64_t peek64(const std::byte* region, std::size_t offset) {
  std::uint64_t v;
  std::memcpy(&v, region + offset, 8);
  return v;
}

struct Corruption {
  std::string name;
  std::function<void(std::byte*, const RegionMap&)> apply;
  // Slot bodies keep the creator's frames: then every frame a read delivers
  // must be a whole stress frame. Random bytes make bodies garbage, and only
  // bounds and loss accounting can be checked.
  bool bodies_intact = true;
};

// A pid that was a process of ours and is gone (reaped): not reused this soon.
inline std::uint64_t dead_pid() {
  static const std::uint64_t pid = [] {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return static_cast<std::uint64_t>(child);
  }();
  return pid;
}

// The counter the creator's slot s holds: the last of the prefill in it.
constexpr std::uint64_t prefilled_counter(std::size_t s) {
  std::uint64_t c = kPrefilled - 1;
  while ((c & (kSpec.capacity - 1)) != s) --c;
  return c;
}

// Seeded random bytes over the whole region, rwlock's lock words included: a
// word naming a live writer costs an operation the stall bound, a count
// nobody holds is revoked by the next writer [RevocableReads], and any other
// writer pid reads as gone and is recovered.
inline Corruption random_bytes(std::uint32_t seed) {
  return {absl::StrCat("random_seed", seed),
          [seed](std::byte* region, const RegionMap& m) {
            std::mt19937_64 rng(seed);
            for (std::size_t i = 0; i + 8 <= m.bytes; i += 8) poke64(region, i, rng());
          },
          false};
}

// Every slot's marker set to marker_of(the prefilled counter in that slot).
inline Corruption every_marker(std::string name, std::function<std::uint64_t(std::uint64_t)> marker_of) {
  return {std::move(name), [marker_of](std::byte* region, const RegionMap& m) {
            for (std::size_t s = 0; s < m.markers.size(); ++s) {
              poke64(region, m.markers[s], marker_of(prefilled_counter(s)));
            }
          }};
}

// A corruption of single words: each (offset of the map, value).
inline Corruption words(std::string name,
                        std::function<void(std::byte*, const RegionMap&)> apply) {
  return {std::move(name), std::move(apply)};
}

}  // namespace ringlab::shm::hostile
