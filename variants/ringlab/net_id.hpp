// NetId64 and NodeId: the ring's frame identity (layout from the seed; see
// docs/design.md, "Ids and frames").
//
//   bit 63            56 55                40 39                              0
//       +--------------+--------------------+--------------------------------+
//       |  KIND (8)    |     NODE (16)      |          COUNTER (40)          |
//       +--------------+--------------------+--------------------------------+
//
// The counter field is the low 40 bits of the ring's 64-bit claim counter.
// Nothing in ringlab compares a 40-bit id counter with a 64-bit ring counter
// (the seed's defect 4, docs/design.md "Origin"): rings keep full 64-bit
// counters in their slots.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace ringlab {

// A fleet member. Any 16-bit value is a valid node.
class NodeId {
 public:
  constexpr NodeId() = default;
  constexpr explicit NodeId(std::uint16_t value) : value_(value) {}
  constexpr std::uint16_t get() const { return value_; }
  friend constexpr auto operator<=>(NodeId, NodeId) = default;

 private:
  std::uint16_t value_ = 0;
};

class NetId64 {
 public:
  static constexpr int kCounterBits = 40;
  static constexpr int kNodeBits = 16;
  static constexpr std::uint64_t kCounterMask = (std::uint64_t{1} << kCounterBits) - 1;

  constexpr NetId64() = default;

  // Counters wider than 40 bits are truncated, as in the seed.
  static constexpr NetId64 make(std::uint8_t kind, std::uint16_t node, std::uint64_t counter) {
    return NetId64(std::uint64_t{kind} << (kNodeBits + kCounterBits) |
                   std::uint64_t{node} << kCounterBits | (counter & kCounterMask));
  }
  static constexpr NetId64 make(std::uint8_t kind, NodeId node, std::uint64_t counter) {
    return make(kind, node.get(), counter);
  }
  static constexpr NetId64 from_raw(std::uint64_t raw) { return NetId64(raw); }

  constexpr std::uint64_t raw() const { return raw_; }
  constexpr std::uint8_t kind() const {
    return static_cast<std::uint8_t>(raw_ >> (kNodeBits + kCounterBits));
  }
  constexpr NodeId node() const {
    return NodeId(static_cast<std::uint16_t>(raw_ >> kCounterBits));
  }
  constexpr std::uint64_t counter() const { return raw_ & kCounterMask; }
  // ZERO is "not a valid mint" (seed contract).
  constexpr bool is_zero() const { return raw_ == 0; }

  friend constexpr auto operator<=>(NetId64, NetId64) = default;

  // Text form "kind:node:counter" in decimal.
  std::string to_string() const { return absl::StrCat(kind(), ":", node().get(), ":", counter()); }

  // Accepts "kind:node:counter" (decimal, each field in range) or "0x" + 1..16
  // hex digits (the raw value). Anything else is an InvalidArgument error.
  static absl::StatusOr<NetId64> parse(std::string_view text);

  // Wire form: 8 bytes, big-endian.
  constexpr std::array<std::byte, 8> to_bytes() const {
    std::array<std::byte, 8> out{};
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(raw_ >> (56 - 8 * i));
    return out;
  }
  static constexpr NetId64 from_bytes(const std::array<std::byte, 8>& bytes) {
    std::uint64_t raw = 0;
    for (std::byte b : bytes) raw = raw << 8 | std::to_integer<std::uint64_t>(b);
    return NetId64(raw);
  }
  // Same, from an unsized span: anything but exactly 8 bytes is an error.
  static absl::StatusOr<NetId64> from_bytes(std::span<const std::byte> bytes) {
    if (bytes.size() != 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("NetId64 wire form is 8 bytes, got ", bytes.size()));
    }
    std::array<std::byte, 8> raw{};
    std::copy(bytes.begin(), bytes.end(), raw.begin());
    return from_bytes(raw);
  }

 private:
  constexpr explicit NetId64(std::uint64_t raw) : raw_(raw) {}
  std::uint64_t raw_ = 0;
};

inline constexpr NetId64 kZeroId{};

namespace detail {
// Debian's Abseil is built with its own absl::string_view, which does not take
// a std::string_view implicitly.
inline absl::string_view sv(std::string_view s) { return {s.data(), s.size()}; }

// Parses one decimal field no larger than `max`; the whole field must be digits.
inline absl::StatusOr<std::uint64_t> parse_field(std::string_view field, std::string_view name,
                                                 std::uint64_t max, std::string_view text) {
  if (field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NetId64 \"", sv(text), "\": empty ", sv(name), " field"));
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NetId64 \"", sv(text), "\": ", sv(name), " field \"", sv(field), "\" is not a number"));
  }
  if (value > max) {
    return absl::InvalidArgumentError(absl::StrCat("NetId64 \"", sv(text), "\": ", sv(name), " ", value,
                                                   " exceeds its maximum ", max));
  }
  return value;
}
}  // namespace detail

inline absl::StatusOr<NetId64> NetId64::parse(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    std::string_view hex = text.substr(2);
    if (hex.empty() || hex.size() > 16) {
      return absl::InvalidArgumentError(
          absl::StrCat("NetId64 \"", detail::sv(text), "\": raw hex form needs 1 to 16 digits"));
    }
    std::uint64_t raw = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), raw, 16);
    if (ec != std::errc() || end != hex.data() + hex.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("NetId64 \"", detail::sv(text), "\": not a hexadecimal number"));
    }
    return from_raw(raw);
  }
  std::array<std::string_view, 3> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    std::size_t colon = text.find(':', start);
    if (i < 2 && colon == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "NetId64 \"", detail::sv(text), "\": expected kind:node:counter or 0x<hex>"));
    }
    if (i == 2 && colon != std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("NetId64 \"", detail::sv(text), "\": more than three fields"));
    }
    fields[i] = text.substr(start, i < 2 ? colon - start : std::string_view::npos);
    start = colon + 1;
  }
  auto kind = detail::parse_field(fields[0], "kind", 0xFF, text);
  if (!kind.ok()) return kind.status();
  auto node = detail::parse_field(fields[1], "node", 0xFFFF, text);
  if (!node.ok()) return node.status();
  auto counter = detail::parse_field(fields[2], "counter", kCounterMask, text);
  if (!counter.ok()) return counter.status();
  return make(static_cast<std::uint8_t>(*kind), static_cast<std::uint16_t>(*node), *counter);
}

}  // namespace ringlab
