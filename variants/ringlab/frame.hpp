// Frame, the caller-owned FrameBuffer that readers copy into, RingSpec, and the
// three answers a slot can give (ReadState).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ringlab/net_id.hpp"

namespace ringlab {

// One record in a ring. `id.kind()` says which data type the ring carries;
// `kind` is the message class (0 in the seed's V0). Two axes, on purpose.
struct Frame {
  NetId64 id;
  std::uint8_t kind = 0;
  std::uint64_t ver = 0;
  std::vector<std::byte> payload;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// Destination for a read. Allocates at construction; reads into it never
// allocate, except that a ring grows a buffer smaller than its payload capacity
// once rather than hand out a truncated frame.
class FrameBuffer {
 public:
  explicit FrameBuffer(std::size_t payload_capacity) : storage_(payload_capacity) {}

  NetId64 id;
  std::uint8_t kind = 0;
  std::uint64_t ver = 0;

  std::span<const std::byte> payload() const { return {storage_.data(), size_}; }
  std::span<std::byte> storage() { return storage_; }
  std::size_t capacity() const { return capacity_; }
  void set_size(std::size_t size) { size_ = size <= capacity_ ? size : capacity_; }
  // Grows the buffer (allocates) if it is smaller than `bytes`; a no-op for a
  // buffer made by the ring's make_buffer().
  void ensure_capacity(std::size_t bytes) {
    if (capacity_ < bytes) [[unlikely]] grow(bytes);
  }

  Frame to_frame() const { return Frame{id, kind, ver, {payload().begin(), payload().end()}}; }

 private:
  [[gnu::noinline]] void grow(std::size_t bytes) {
    storage_.resize(bytes);
    capacity_ = bytes;
  }

  std::vector<std::byte> storage_;
  std::size_t capacity_ = storage_.size();  // a plain copy: read on every copy into it
  std::size_t size_ = 0;
};

struct RingSpec {
  std::size_t capacity = 0;          // slots; a power of two, > 0
  std::size_t payload_capacity = 0;  // bytes per slot

  // A bound on slot size; the length field of a slot has room for far more.
  static constexpr std::size_t kMaxPayloadCapacity = std::size_t{1} << 24;
  // Keeps 2 * counter + 2 (the slot marker encoding) and slot arithmetic in range.
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 32;

  friend bool operator==(const RingSpec&, const RingSpec&) = default;

  absl::Status validate() const {
    if (capacity == 0 || !std::has_single_bit(capacity)) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring capacity must be a power of two > 0, got ", capacity));
    }
    if (capacity > kMaxCapacity) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring capacity ", capacity, " exceeds the maximum ", kMaxCapacity));
    }
    if (payload_capacity > kMaxPayloadCapacity) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload capacity ", payload_capacity, " exceeds the maximum ", kMaxPayloadCapacity));
    }
    return absl::OkStatus();
  }
};

inline std::string to_string(const RingSpec& spec) {
  return absl::StrCat("{capacity ", spec.capacity, ", payload_capacity ", spec.payload_capacity,
                      "}");
}

// How many threads may write a ring at once. kSingle is the LMAX Disruptor's
// single-producer mode: the writer keeps its counter in a plain field and
// takes slots with plain stores, so no locked instruction is on its path; a
// second writer is refused where that can be checked (Ring::write).
enum class WriterMode : std::uint8_t { kMulti, kSingle };

inline const char* to_string(WriterMode mode) {
  return mode == WriterMode::kSingle ? "single" : "multi";
}

// What read_state_at finds for one counter.
enum class ReadState : std::uint8_t {
  kReady,        // the frame with exactly this counter, copied whole
  kPending,      // claimed by a writer that has not committed it yet
  kUnavailable,  // overwritten, superseded by a lapping writer, abandoned, or never claimed
};

// What one slot's marker says about a counter: the storage-level answer that
// the ring and a cursor's poll build on. Only kCopied and kWriting are final
// by themselves; kOlder means Pending if the counter has been claimed (the
// head says), and not yet written otherwise.
enum class SlotRead : std::uint8_t {
  kCopied,     // the counter's frame, copied whole
  kWriting,    // the counter's writer has taken the slot and not committed
  kOlder,      // the slot holds an older counter (or nothing): c is not written yet
  kNewer,      // a newer counter holds or is writing the slot: c is gone
  kAbandoned,  // the counter was claimed and given up
  kBeforeFirst,  // (rings only) below the ring's first counter: never claimed
};

// A counter's ReadState from its slot's answer. `claimed()` is asked only
// when the slot holds an older counter: whether the counter was claimed (then
// it is Pending) or not yet (Unavailable). *overwritten (if given): Unavailable
// because a newer counter holds the slot.
template <class Claimed>
ReadState read_state_of(SlotRead seen, Claimed&& claimed, bool* overwritten = nullptr) {
  if (overwritten != nullptr) *overwritten = seen == SlotRead::kNewer;
  switch (seen) {
    case SlotRead::kCopied: return ReadState::kReady;
    case SlotRead::kWriting: return ReadState::kPending;
    case SlotRead::kOlder: return claimed() ? ReadState::kPending : ReadState::kUnavailable;
    default: return ReadState::kUnavailable;
  }
}

inline const char* to_string(ReadState state) {
  switch (state) {
    case ReadState::kReady: return "Ready";
    case ReadState::kPending: return "Pending";
    case ReadState::kUnavailable: return "Unavailable";
  }
  return "?";
}

// The fields a writer supplies; the ring mints `id`.
struct FrameHeader {
  NetId64 id;
  std::uint8_t kind = 0;
  std::uint64_t ver = 0;
};

}  // namespace ringlab
