// A segment read into plain values: what `show`, `tail`, `list` and `remove`
// print or decide on. Reading goes through the library's own storages and
// reader paths over a read-only mapping (read_only_segment.hpp); nothing here
// registers, takes a lock or waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ringlab/shm/layout.hpp"
#include "read_only_segment.hpp"

namespace ringlab::tools::shm {

// A registered process: a writer table entry, the single writer's lease
// holder, or a gated reader's gate owner.
struct ProcessEntry {
  std::uint64_t number = 0;  // owner number (writer table) or gate index
  std::uint64_t pid = 0;
  bool alive = false;  // !StdSync::process_gone(pid), the library's check
};

struct GateEntry {
  ProcessEntry owner;
  std::uint64_t value = 0;  // the counter the gate's reader is owed frames from
  bool releasing = false;   // its owner word says a releaser is freeing it
};

// One counter's slot as its marker (or, rwlock, its unlocked header) says.
struct SlotEntry {
  std::uint64_t counter = 0;          // the counter asked about
  std::uint64_t index = 0;            // its slot
  std::string state;                  // empty, writing, committed, abandoned, changed
  std::optional<std::uint64_t> held;  // the counter the slot holds
  std::optional<std::uint64_t> owner; // writing: the writer's owner number
  std::optional<std::uint64_t> length;  // committed: the frame's payload bytes
  // rwlock: the slot lock's writer, and its reader count.
  std::optional<ProcessEntry> locked_by;
  std::uint64_t readers = 0;
};

// One counter read by the ring's reader path (Ring::probe).
struct FrameEntry {
  std::uint64_t counter = 0;
  std::string state;  // ready, writing, pending, not written, overwritten, abandoned
  std::string id;     // ready only
  unsigned kind = 0;
  std::uint64_t ver = 0;
  std::uint64_t length = 0;        // ready only: the frame's payload bytes
  std::vector<std::byte> payload;  // ready only: its first kMaxShownBytes
};

// Of each frame's payload, what tail keeps and shows: the memory a report
// takes stays bounded (kMaxWindow frames) whatever the payload capacity.
inline constexpr std::size_t kMaxShownBytes = 1024;

struct SegmentReport {
  std::string file_name;
  ObjectInfo object;
  ringlab::shm::LayoutHeader header{};
  std::uint64_t head = 0;
  bool head_corrupt = false;  // beyond any counter a marker can carry
  bool creator_alive = false;
  // Many-writer seqlock and disruptor: every registered entry.
  bool has_writer_table = false;
  std::vector<ProcessEntry> writers;
  // Single writer: the lease holder, if any.
  bool has_lease = false;
  std::optional<ProcessEntry> lease_holder;
  // Gated disruptor: every owned gate.
  bool has_gates = false;
  std::vector<GateEntry> gates;
  std::vector<SlotEntry> slots;
  // rwlock: slot states are unlocked snapshots and no payload is read.
  bool payload_hidden = false;
  std::vector<FrameEntry> frames;

  std::size_t writers_alive() const;
  // Every pid registered and alive (writers, lease holder, gate owners), in order.
  std::vector<std::uint64_t> live_pids() const;
};

struct InspectOptions {
  std::uint64_t slots = 0;   // slot states of the last this many counters
  std::uint64_t frames = 0;  // frames of the last this many counters
};

// The most --slots or --count may ask for: enough for any look, and a bound
// on the work whatever a segment claims its capacity is.
inline constexpr std::uint64_t kMaxWindow = 4096;

absl::StatusOr<SegmentReport> inspect(const ReadOnlySegment& segment, const InspectOptions& options);

}  // namespace ringlab::tools::shm
