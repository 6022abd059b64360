// What the suites of batched claims (Ring::claim_batch, write_batch), zero-copy
// loans (Ring::loan) and in-place reads (Ring::visit) share: batch_test.cpp and
// loan_visit_test.cpp. Each suite runs over the variants of the registry
// (common/variants.hpp) that have what it tests, each ring built with its
// variant's options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "common/gtest_variants.hpp"
#include "test_util.hpp"

namespace ringlab::conformance::batch_loan {

inline constexpr std::uint8_t kKind = 5;
inline constexpr std::size_t kPayload = 20;  // not a multiple of 8: the last word is partial

template <class RingT>
std::unique_ptr<RingT> make_ring_of(std::size_t capacity, std::uint64_t first_counter,
                                    const typename RingT::StorageOptions& options) {
  return make_ring<RingT>(kKind, RingSpec{capacity, kPayload},
                          RingOptions{.first_counter = first_counter}, options);
}

template <class V>
class BatchLoanTest : public harness::VariantTest<V> {
 protected:
  using RingT = typename V::ring;

  static std::unique_ptr<RingT> make(std::size_t capacity, std::uint64_t first_counter = 0) {
    return make_ring_of<RingT>(capacity, first_counter, V::options());
  }
};

inline std::vector<std::byte> payload_of(const FrameBuffer& frame) {
  return {frame.payload().begin(), frame.payload().end()};
}

// What a visitor saw, copied out of the view.
struct Seen {
  int calls = 0;
  NetId64 id;
  std::uint8_t kind = 0;
  std::uint64_t ver = 0;
  std::vector<std::byte> payload;
  std::vector<std::uint64_t> words;
};

template <class View>
void look(const View& view, Seen& seen) {
  ++seen.calls;
  seen.id = view.id();
  seen.kind = view.kind();
  seen.ver = view.ver();
  seen.payload.assign(view.size(), std::byte{0});
  EXPECT_EQ(view.load(0, seen.payload), view.size());
  seen.words.clear();
  for (std::size_t i = 0; i < view.word_count(); ++i) seen.words.push_back(view.word(i));
  EXPECT_EQ(view.word(view.word_count()), 0u);  // past the payload
}

// The bytes of little words as the ring stores them: word i is bytes 8i..8i+7.
inline std::vector<std::uint64_t> words_of(std::span<const std::byte> bytes) {
  std::vector<std::uint64_t> words((bytes.size() + 7) / 8, 0);
  if (!bytes.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
  return words;
}

}  // namespace ringlab::conformance::batch_loan
