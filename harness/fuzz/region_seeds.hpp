// The seed corpus of ringlab_fuzz_region (fuzz_region.cpp's input format):
// for every storage of its list, a script of every kind of operation over the
// region as created, and one that first pokes chosen hostile words into it
// (a head near the marker limit, an in-flight marker of owner 0, a body
// length over the capacity) and then writes and reads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hostile_fixture.hpp"

namespace ringlab::shm::fuzz {

// Script bytes: an operation byte (fuzz_region.cpp's switch), then its operands.
struct ScriptWriter {
  std::vector<std::uint8_t> bytes;
  ScriptWriter& op(std::initializer_list<std::uint8_t> b) {
    bytes.insert(bytes.end(), b);
    return *this;
  }
  ScriptWriter& poke(std::size_t offset, std::uint64_t value) {
    op({8, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset)});
    for (int i = 7; i >= 0; --i) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    return *this;
  }
};

// spec byte 0x0A: capacity 4, payload 48 (fuzz_region.cpp's spec_of).
inline constexpr std::uint8_t kSeedSpec = 0x0A;

inline std::vector<std::uint8_t> region_input(std::size_t variant, const ScriptWriter& script) {
  std::vector<std::uint8_t> input(3 + script.bytes.size());
  input[0] = static_cast<std::uint8_t>(variant);
  input[1] = kSeedSpec;
  input[2] = static_cast<std::uint8_t>(script.bytes.size());
  std::copy(script.bytes.begin(), script.bytes.end(), input.begin() + 3);
  return input;
}

// Every operation once or more: writes of each kind, reads, visits, polls,
// gates and the lease (each a no-op where the storage lacks it).
inline ScriptWriter every_op() {
  ScriptWriter s;
  s.op({0, 0, 40}).op({0, 1, 24}).op({0, 0x12, 8}).op({0, 3, 48}).op({0, 7, 16});
  s.op({1, 0, 3}).op({2, 1}).op({3, 4}).op({4}).op({5, 1}).op({6, 0}).op({7, 1});
  s.op({9, 0, 1}).op({10}).op({11, 1}).op({11, 0}).op({0, 0, 8}).op({7, 0});
  return s;
}

template <class V>
ScriptWriter hostile_pokes() {
  const hostile::RegionMap m = hostile::region_map<V>(RingSpec{4, 48});
  ScriptWriter s;
  s.op({0, 0, 40}).op({0, 0, 40});
  if (!m.markers.empty()) {
    // Counters 0..3 in flight for owner 0: the next writes (2, 3) meet them.
    for (std::size_t c = 0; c < m.markers.size(); ++c) {
      s.poke(m.markers[c], ringlab::detail::writing_marker(c, 0));
    }
    s.op({0, 0, 24}).op({0, 0, 24});
    s.poke(m.bodies[1] + 16, std::uint64_t{49} << 8);
  } else {
    // The slot's 32-bit length, in the word that holds it (little-endian).
    s.poke(m.rw_length(1) / 8 * 8, std::uint64_t{49} << (8 * (m.rw_length(1) % 8)));
  }
  s.poke(m.head, (std::uint64_t{1} << 54) - 2);
  s.op({0, 0, 24}).op({0, 1, 24}).op({2, 1}).op({3, 1}).op({6, 0}).op({7, 1}).op({4}).op({5, 4});
  return s;
}

template <class... Vs>
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> region_seeds(
    hostile::TypeList<Vs...>) {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> seeds;
  std::size_t i = 0;
  ((seeds.emplace_back("ops-" + Vs::name(), region_input(i, every_op())),
    seeds.emplace_back("hostile-" + Vs::name(), region_input(i, hostile_pokes<Vs>())), ++i),
   ...);
  return seeds;
}

}  // namespace ringlab::shm::fuzz
