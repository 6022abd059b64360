// NetId64: bit layout, text form and wire form (docs/design.md, "Ids and frames").
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "test_util.hpp"

namespace ringlab {
namespace {

using Bytes8 = std::array<std::byte, 8>;

constexpr Bytes8 be(std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, std::uint8_t b3,
                    std::uint8_t b4, std::uint8_t b5, std::uint8_t b6, std::uint8_t b7) {
  return {std::byte{b0}, std::byte{b1}, std::byte{b2}, std::byte{b3},
          std::byte{b4}, std::byte{b5}, std::byte{b6}, std::byte{b7}};
}

void expect_invalid(std::string_view text) {
  SCOPED_TRACE(std::string("parse(\"") + std::string(text) + "\")");
  const absl::StatusOr<NetId64> id = NetId64::parse(text);
  ASSERT_FALSE(id.ok()) << "parsed as " << id->to_string();
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(id.status().message().empty());
}

TEST(NetId, MakeHasTheSeedLayout) {
  EXPECT_EQ(NetId64::make(1, 7, 42).raw(), 0x0100'0700'0000'002AULL);
  EXPECT_EQ(NetId64::make(0xFF, 0xFFFF, NetId64::kCounterMask).raw(), ~std::uint64_t{0});
  EXPECT_EQ(NetId64::make(1, NodeId(7), 42), NetId64::make(1, 7, 42));
}

TEST(NetId, Accessors) {
  const NetId64 id = NetId64::make(0xAB, 0xCDEF, 0x12'3456'789AULL);
  EXPECT_EQ(id.kind(), 0xAB);
  EXPECT_EQ(id.node(), NodeId(0xCDEF));
  EXPECT_EQ(id.counter(), 0x12'3456'789AULL);
  EXPECT_EQ(NetId64::from_raw(id.raw()), id);
  EXPECT_FALSE(id.is_zero());
  EXPECT_TRUE(kZeroId.is_zero());
  EXPECT_EQ(kZeroId.raw(), 0u);
  EXPECT_TRUE(NetId64::make(0, 0, 0).is_zero());
}

TEST(NetId, CounterOver40BitsIsTruncated) {
  const NetId64 id = NetId64::make(1, 7, (std::uint64_t{1} << 40) + 5);
  EXPECT_EQ(id.counter(), 5u);
  EXPECT_EQ(id, NetId64::make(1, 7, 5));
  const NetId64 all = NetId64::make(1, 7, ~std::uint64_t{0});
  EXPECT_EQ(all.kind(), 1);
  EXPECT_EQ(all.node(), NodeId(7));
  EXPECT_EQ(all.counter(), NetId64::kCounterMask);
}

TEST(NetId, SeedIdTextRoundTrip) {
  const NetId64 id = NetId64::make(7, 42, 999);
  EXPECT_EQ(id.to_string(), "7:42:999");
  const absl::StatusOr<NetId64> parsed = NetId64::parse("7:42:999");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, id);

  const NetId64 max = NetId64::make(255, 65535, NetId64::kCounterMask);
  EXPECT_EQ(max.to_string(), "255:65535:1099511627775");
  EXPECT_EQ(NetId64::parse(max.to_string()).value(), max);
  EXPECT_EQ(NetId64::parse("0:0:0").value(), kZeroId);
}

TEST(NetId, ParsesRawHex) {
  EXPECT_EQ(NetId64::parse("0x010007000000002A").value(), NetId64::make(1, 7, 42));
  EXPECT_EQ(NetId64::parse("0x010007000000002a").value(), NetId64::make(1, 7, 42));
  EXPECT_EQ(NetId64::parse("0x2A").value().raw(), 0x2Au);
  EXPECT_EQ(NetId64::parse("0xFFFFFFFFFFFFFFFF").value().raw(), ~std::uint64_t{0});
}

TEST(NetId, ParseErrorsAreInvalidArgument) {
  expect_invalid("7:42:999:1");  // a 4th field
  expect_invalid("7::999");      // empty fields
  expect_invalid(":42:999");
  expect_invalid("7:42:");
  expect_invalid("");
  expect_invalid("garbage");  // garbage
  expect_invalid("7:4x:999");
  expect_invalid("7:42:999 ");
  expect_invalid("-1:42:999");
  expect_invalid("7:42");
  expect_invalid("256:0:0");            // kind out of range
  expect_invalid("0:65536:0");          // node out of range
  expect_invalid("0:0:1099511627776");  // counter out of range (2^40)
  expect_invalid("0:0:99999999999999999999999");
  expect_invalid("0x");                   // no digits
  expect_invalid("0x10000000000000000");  // 17 hex digits
  expect_invalid("0xG1");
  expect_invalid("0x-1");
}

TEST(NetId, WireFormIsBigEndian) {
  EXPECT_EQ(NetId64::make(1, 7, 42).to_bytes(), be(0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x2A));
  EXPECT_EQ(NetId64::from_raw(0x0102'0304'0506'0708ULL).to_bytes(),
            be(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08));
}

TEST(NetId, SeedIdByteRoundTrip) {
  for (const NetId64 id : {NetId64::make(1, 7, 42), NetId64::from_raw(0x0102'0304'0506'0708ULL),
                           NetId64::make(255, 65535, NetId64::kCounterMask), kZeroId}) {
    const Bytes8 wire = id.to_bytes();
    EXPECT_EQ(NetId64::from_bytes(wire), id);
    const absl::StatusOr<NetId64> unsized = NetId64::from_bytes(std::span<const std::byte>(wire));
    ASSERT_TRUE(unsized.ok()) << unsized.status();
    EXPECT_EQ(*unsized, id);
  }
  const Bytes8 wire = be(0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x2A);
  EXPECT_EQ(NetId64::from_bytes(wire), NetId64::make(1, 7, 42));
}

TEST(NetId, FromBytesOfWrongLengthIsAnError) {
  const std::array<std::byte, 9> nine{};
  for (std::size_t n : {0u, 7u, 9u}) {
    SCOPED_TRACE(n);
    const absl::StatusOr<NetId64> id = NetId64::from_bytes(std::span<const std::byte>(nine.data(), n));
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(id.status().message().empty());
  }
}

}  // namespace
}  // namespace ringlab
