// Helpers shared by the conformance tests: payload bytes, ring construction,
// and GoogleTest printers for ringlab's value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ringlab/ringlab.hpp"

namespace ringlab {

// Printers found by GoogleTest through ADL, so failures show values, not bytes.
inline void PrintTo(const NetId64& id, std::ostream* os) { *os << id.to_string(); }
inline void PrintTo(const Loss& loss, std::ostream* os) {
  *os << "{overwritten " << loss.overwritten << ", unavailable " << loss.unavailable
      << ", stalled " << loss.stalled << "}";
}
inline void PrintTo(ReadState state, std::ostream* os) { *os << to_string(state); }
inline void PrintTo(WaitResult result, std::ostream* os) {
  switch (result) {
    case WaitResult::kPublished: *os << "Published"; return;
    case WaitResult::kTimeout: *os << "Timeout"; return;
    default: *os << "WaitResult(" << static_cast<int>(result) << ")";
  }
}
inline void PrintTo(const Frame& f, std::ostream* os) {
  *os << "{id " << f.id.to_string() << ", kind " << int{f.kind} << ", ver " << f.ver << ", "
      << f.payload.size() << " payload bytes}";
}

namespace conformance {

inline constexpr NodeId kNode{7};

inline std::vector<std::byte> bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

inline std::string text(std::span<const std::byte> payload) {
  std::string out(payload.size(), '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) out[i] = static_cast<char>(payload[i]);
  return out;
}
inline std::string text(const Frame& frame) { return text(frame.payload); }
inline std::string text(const std::optional<Frame>& frame) {
  return frame ? text(frame->payload) : "<none>";
}

// n bytes, none of them zero, that differ with `salt`: a tail copied short, or
// bytes left from another frame, show up as a mismatch.
inline std::vector<std::byte> pattern(std::size_t n, std::uint8_t salt) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((salt * 37 + i * 11) % 255 + 1);
  return out;
}

// A ring, or an exception (reported by GoogleTest as a test failure).
template <class RingT>
std::unique_ptr<RingT> make_ring(std::uint8_t kind, const RingSpec& spec,
                                 const RingOptions& options = {},
                                 const typename RingT::StorageOptions& storage_options = {}) {
  auto ring = RingT::create(kind, spec, options, storage_options);
  if (!ring.ok()) throw std::runtime_error("create failed: " + ring.status().ToString());
  return std::move(*ring);
}

// Writes a frame whose payload is `payload`, or throws.
template <class RingT>
NetId64 put(RingT& ring, std::string_view payload, std::uint8_t frame_kind = 0,
            std::uint64_t ver = 0) {
  auto id = ring.write(kNode, frame_kind, ver, bytes(payload));
  if (!id.ok()) throw std::runtime_error("write failed: " + id.status().ToString());
  return *id;
}

// Claims a counter and gives it up: it reads Unavailable from then on.
template <class RingT>
std::uint64_t claim_and_abandon(RingT& ring) {
  auto ticket = ring.claim(kNode, 0);
  if (!ticket.ok()) throw std::runtime_error("claim failed: " + ticket.status().ToString());
  ring.abandon(*ticket);
  return ticket->counter;
}

inline std::vector<std::string> texts(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back(text(f));
  return out;
}

inline std::vector<NetId64> ids(const std::vector<Frame>& frames) {
  std::vector<NetId64> out;
  for (const Frame& f : frames) out.push_back(f.id);
  return out;
}

}  // namespace conformance
}  // namespace ringlab
