// The writer processes of a ring in shared memory, so that a writer can tell
// whether the writer it waits for has died. Each process that writes registers
// once and gets an owner number, which it puts in every in-flight marker it
// writes (detail/versioned_slot.hpp); a writer stuck behind that marker looks
// the number up here and asks whether that process is gone.
//
// Invariant [OwnerEntryWriteOnce]: an entry goes from 0 to a pid once and never
// changes again. So a pid read from an entry names the process that wrote the
// marker, never a later one, and a stale read (0) only delays a takeover.
// The price: at most kOwners processes can ever write to one segment; later
// ones write as owner 0, whose in-flight slots are never taken over. kOwners
// is 255, unless the Sync policy says fewer (kMaxWriterProcesses): the model
// checker's does, since every entry is an atomic it must track.
//
// Owner 0 means "no table": in-process rings never register, and their writers
// are threads of one process, which never die alone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "ringlab/detail/region.hpp"
#include "ringlab/ordering.hpp"

namespace ringlab::detail {

inline constexpr unsigned kOwnerBits = 8;
inline constexpr std::uint64_t kOwnerMask = (std::uint64_t{1} << kOwnerBits) - 1;

template <class Sync>
constexpr std::size_t writer_processes() {
  if constexpr (requires { Sync::kMaxWriterProcesses; }) {
    static_assert(Sync::kMaxWriterProcesses >= 1 && Sync::kMaxWriterProcesses <= kOwnerMask);
    return Sync::kMaxWriterProcesses;
  } else {
    return kOwnerMask;
  }
}

template <class Sync, class Orders>
class WriterTable {
  using Word = typename Sync::template atomic<std::uint64_t>;

 public:
  static constexpr std::uint64_t kNoOwner = 0;
  static constexpr std::size_t kOwners = writer_processes<Sync>();  // owners 1..kOwners
  static constexpr std::size_t region_bytes() {
    return round_up(8 * (kOwners + 1), kCacheLine);
  }

  static void initialise(std::byte* region) {
    for (std::size_t i = 0; i <= kOwners; ++i) construct_at_offset<Word>(region, 8 * i);
  }
  static void destroy(std::byte* region) {
    for (std::size_t i = 0; i <= kOwners; ++i) destroy_at_offset<Word>(region, 8 * i);
  }

  explicit WriterTable(std::byte* region) : region_(region) {}

  // This process's owner number: a free entry, taken; kNoOwner when all are taken.
  std::uint64_t register_process(std::uint64_t pid) {
    for (std::uint64_t owner = 1; owner <= kOwners; ++owner) {
      std::uint64_t expected = 0;
      // (P11) relaxed: only the entry itself is published, and a reader that
      // misses it reads 0, which never allows a takeover [OwnerEntryWriteOnce].
      if (entry(owner).compare_exchange_strong(expected, pid, order_of<Orders>("P11"),
                                               cas_failure_order(order_of<Orders>("P11")))) {
        return owner;
      }
    }
    return kNoOwner;
  }

  // The pid that registered `owner`; 0 if none (or owner out of range).
  std::uint64_t pid_of(std::uint64_t owner) const {
    if (owner == kNoOwner || owner > kOwners) return 0;
    return entry(owner).load(order_of<Orders>("P12"));  // (P12) relaxed: see (P11)
  }

  // True only once the process that registered `owner` is gone for good.
  bool owner_gone(std::uint64_t owner) const {
    if (owner == kNoOwner || owner > kOwners) return false;
    const std::uint64_t pid = entry(owner).load(order_of<Orders>("P12"));  // (P12) relaxed: see (P11)
    return pid != 0 && pid != Sync::process_id() && Sync::process_gone(pid);
  }

 private:
  Word& entry(std::uint64_t owner) const { return *object_at<Word>(region_, 8 * owner); }

  std::byte* const region_;
};

}  // namespace ringlab::detail
