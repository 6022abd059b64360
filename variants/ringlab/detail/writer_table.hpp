// The writer processes of a ring in shared memory, so that a writer can tell
// whether the writer it waits for has died. Each process that writes registers
// once and gets an owner number, which it puts in every in-flight marker it
// writes (detail/versioned_slot.hpp); a writer stuck behind that marker looks
// the number up here and asks whether that process is gone.
//
// Invariant [OwnerEntryReuse]: an entry holds one pid from its registration
// until that process is gone and no in-flight marker names its owner number;
// only then may a new writer process take it (register_process). So a pid
// read from an entry names the process that wrote every in-flight marker with
// that number: dead processes write nothing more, and a marker that named the
// old owner was gone before the entry changed. A stale read of an entry (0, or
// the old pid) only delays a takeover.
// A process takes one at its first write (Ring::check_writer); readers take
// none. So kOwners bounds the writer processes alive at once, not those ever
// started nor the readers.
// kOwners is 255, unless the Sync policy says fewer (kMaxWriterProcesses): the
// model checker's does, since every entry is an atomic it must track.
//
// Owner 0 means "no table": in-process rings never register, and their writers
// are threads of one process, which never die alone. In shared memory every
// writer has an entry, so a marker naming owner 0 was written by no writer.
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
  // An entry closed by owner_provably_alive: no pid, so reusable as a gone one.
  static constexpr std::uint64_t kNeverRegistered = ~std::uint64_t{0};
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

  // This process's owner number: a free entry, or else that of a process
  // that is gone and that no in-flight marker names ([OwnerEntryReuse];
  // names_owner(owner) scans the ring's markers); kNoOwner when every entry
  // belongs to a live process or is still named.
  template <class NamesOwner>
  std::uint64_t register_process(std::uint64_t pid, NamesOwner&& names_owner) {
    for (std::uint64_t owner = 1; owner <= kOwners; ++owner) {
      std::uint64_t expected = 0;
      // (P11) relaxed: only the entry itself is published, and a reader that
      // misses it reads 0, which never allows a takeover before the stall
      // bound, and not after it either (owner_provably_alive's CAS reads it).
      if (entry(owner).compare_exchange_strong(expected, pid, order_of<Orders>("P11"),
                                               cas_failure_order(order_of<Orders>("P11")))) {
        return owner;
      }
    }
    for (std::uint64_t owner = 1; owner <= kOwners; ++owner) {
      std::uint64_t old = entry(owner).load(order_of<Orders>("P12"));  // (P12), as in pid_of
      if (old == pid || !Sync::process_gone(old) || names_owner(owner)) continue;
      // (P11), as above: the gone process's markers were all read by names_owner.
      if (entry(owner).compare_exchange_strong(old, pid, order_of<Orders>("P11"),
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

  // True only once the process that registered `owner` is gone for good (a
  // word that is no pid names no process, see Sync::valid_pid).
  bool owner_gone(std::uint64_t owner) const {
    if (owner == kNoOwner || owner > kOwners) return false;
    const std::uint64_t pid = entry(owner).load(order_of<Orders>("P12"));  // (P12) relaxed: see (P11)
    return pid != 0 && pid != Sync::process_id() && Sync::process_gone(pid);
  }

  // Whether `owner` is a registered process that is alive, decided for good:
  // an entry read as 0 is closed with kNeverRegistered, since a relaxed load
  // of 0 may be stale, while a CAS reads the entry's latest value. If the CAS
  // closes it, no process ever registered that number (every registration
  // expects 0 and would have come first), so its markers are nobody's.
  bool owner_provably_alive(std::uint64_t owner) const {
    if (owner == kNoOwner || owner > kOwners) return false;
    std::uint64_t pid = 0;
    // (P14) relaxed: the CAS decides alone, by the entry's modification order.
    if (entry(owner).compare_exchange_strong(pid, kNeverRegistered, order_of<Orders>("P14"),
                                             cas_failure_order(order_of<Orders>("P14")))) {
      return false;
    }
    return pid == Sync::process_id() || !Sync::process_gone(pid);
  }

 private:
  Word& entry(std::uint64_t owner) const { return *object_at<Word>(region_, 8 * owner); }

  std::byte* const region_;
};

}  // namespace ringlab::detail
