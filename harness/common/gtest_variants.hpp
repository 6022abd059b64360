// Typed GoogleTest suites over the variant registry (variants.hpp). A suite
// over a VariantList is named by the rule of gtest_name ("Conformance/
// disruptor_spin.SeedWraparound"), and every test of it records the canonical
// name as the property "variant", which --gtest_output=json carries as a field
// of the test: tools group results by it rather than by parsing names.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/variants.hpp"

namespace ringlab::harness {

template <class List>
struct GtestTypes;
template <class... Vs>
struct GtestTypes<VariantList<Vs...>> {
  using type = ::testing::Types<Vs...>;
};
template <class List>
using gtest_types_t = typename GtestTypes<List>::type;

struct VariantNames {
  template <class V>
  static std::string GetName(int) {
    return gtest_name(V::name);
  }
};

// The base of a typed fixture over variants (over another fixture, Base).
template <class V, class Base = ::testing::Test>
class VariantTest : public Base {
 public:
  using Variant = V;
  using RingT = typename V::ring;

 protected:
  // GoogleTest makes the test current before it constructs the fixture, so
  // the property lands on this test whatever SetUp a suite has.
  VariantTest() { ::testing::Test::RecordProperty("variant", std::string(V::name)); }
};

}  // namespace ringlab::harness

// Skips a test of variant V that needs two writers at once, saying why.
#define RINGLAB_SKIP_IF_SINGLE_WRITER(V, what_needs_two)                                   \
  if constexpr (V::single_writer) {                                                         \
    GTEST_SKIP() << V::name << " has a single writer; this test needs " << (what_needs_two); \
  }
