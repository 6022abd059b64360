// Self-checking stress frames. A frame for counter c from writer w carries, in
// its payload: c (8 bytes), w (4), its length (4), a checksum (8), then bytes
// derived from c and w. Its header carries id = (kind, w, c), ver and kind
// derived from c. Any mix of two frames, or of a frame and stale bytes, fails
// verify(): the checksum covers every other byte, and no two frames share
// their derived bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "ringlab/cursor.hpp"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"

namespace ringlab::stress {

inline constexpr std::size_t kFrameHeaderBytes = 24;

constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a, 64 bit, over every payload byte but the checksum's own eight.
inline std::uint64_t checksum(std::span<const std::byte> payload) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    if (i >= 16 && i < 24) continue;
    h = (h ^ std::to_integer<std::uint64_t>(payload[i])) * 0x100000001B3ull;
  }
  return h;
}

// Frame sizes vary from write to write, so the length word is exercised too.
// A writer needs the size before its claim reveals the counter, so the size
// comes from the writer's own sequence number.
inline std::size_t frame_size(std::uint32_t writer, std::uint64_t sequence,
                              std::size_t max_payload) {
  std::uint64_t state = sequence ^ (std::uint64_t{writer} << 40);
  return kFrameHeaderBytes + splitmix64(state) % (max_payload - kFrameHeaderBytes + 1);
}

constexpr std::uint64_t frame_ver(std::uint64_t counter) { return counter * 0x9E3779B97F4A7C15ull; }
constexpr std::uint8_t frame_kind(std::uint64_t counter) {
  return static_cast<std::uint8_t>(counter * 31 + 7);
}

// Fills `out` (frame_size(counter) bytes) for counter and writer.
inline void fill_frame(std::span<std::byte> out, std::uint64_t counter, std::uint32_t writer) {
  const std::uint32_t size = static_cast<std::uint32_t>(out.size());
  std::memcpy(out.data(), &counter, 8);
  std::memcpy(out.data() + 8, &writer, 4);
  std::memcpy(out.data() + 12, &size, 4);
  std::uint64_t state = counter ^ (std::uint64_t{writer} << 48);
  for (std::size_t i = kFrameHeaderBytes; i < out.size(); i += 8) {
    const std::uint64_t r = splitmix64(state);
    std::memcpy(out.data() + i, &r, std::min<std::size_t>(8, out.size() - i));
  }
  const std::uint64_t sum = checksum(out);
  std::memcpy(out.data() + 16, &sum, 8);
}

struct Checked {
  bool whole = false;        // header and payload agree and the checksum holds
  std::uint64_t counter = 0;  // the payload's 64-bit counter
};

inline Checked verify(const FrameBuffer& f, std::uint8_t ring_kind) {
  Checked result;
  const std::span<const std::byte> p = f.payload();
  if (p.size() < kFrameHeaderBytes) return result;
  std::uint64_t counter = 0;
  std::uint32_t writer = 0;
  std::uint32_t size = 0;
  std::uint64_t sum = 0;
  std::memcpy(&counter, p.data(), 8);
  std::memcpy(&writer, p.data() + 8, 4);
  std::memcpy(&size, p.data() + 12, 4);
  std::memcpy(&sum, p.data() + 16, 8);
  result.counter = counter;
  result.whole = size == p.size() && sum == checksum(p) &&
                 f.id == NetId64::make(ring_kind, static_cast<std::uint16_t>(writer), counter) &&
                 f.ver == frame_ver(counter) && f.kind == frame_kind(counter);
  return result;
}

// Judges the frames a cursor delivers, in order: each whole, the frame of the
// counter it was delivered for, and later than the one before. Plain data, so
// that it can sit in memory that processes share.
struct CursorJudge {
  std::uint64_t torn = 0, regressions = 0;
  std::uint64_t last = 0;  // counter + 1 of the last whole frame

  void operator()(const FrameBuffer& f, std::uint64_t polled, std::uint8_t ring_kind) {
    const Checked checked = verify(f, ring_kind);
    if (!checked.whole) {
      ++torn;
      return;
    }
    if (checked.counter != polled || checked.counter + 1 <= last) ++regressions;
    last = checked.counter + 1;
  }
};

// Judges what slots give when read again and again [MarkerMonotone]: each
// frame whole, and no slot back to an older counter than it held before.
// `held` is counter + 1 of the frame last seen in the slot.
struct SlotJudge {
  std::uint64_t slot_reads = 0, torn = 0, regressions = 0;

  void operator()(const FrameBuffer& f, std::uint64_t& held, std::uint8_t ring_kind) {
    ++slot_reads;
    const Checked checked = verify(f, ring_kind);
    if (!checked.whole) {
      ++torn;
      return;
    }
    if (checked.counter + 1 < held) ++regressions;
    held = checked.counter + 1;
  }
};

}  // namespace ringlab::stress
