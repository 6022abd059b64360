// What the shared-memory tests share besides common/children.hpp and
// common/shared_block.hpp: a segment name per test, and children announcing
// to each other that they are set up.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "common/shared_block.hpp"
#include "gtest/gtest.h"
#include "ringlab/shm/segment.hpp"

namespace ringlab::shm::test_util {

using harness::require;
using harness::SharedBlock;

// (X1) release / (X2) acquire, on counters in a SharedBlock: a process
// announces that it is set up (attached, its gate registered, its frames
// written, its victim reaped); one that sees it with (X2) sees everything it
// did before (X1).
inline constexpr std::memory_order kAnnounce = std::memory_order_release;
inline constexpr std::memory_order kAwait = std::memory_order_acquire;

inline void announce(std::atomic<int>& count) { count.fetch_add(1, kAnnounce); }  // (X1)

// "<stem>-<test>[-suffix]" for the running test, cut to fit and with every
// character outside the name alphabet made '_'; a leftover of an earlier run
// that crashed is unlinked. The stem keeps processes (a pid) and runs apart.
inline SegmentName segment_name_for_test(const std::string& stem, std::string_view suffix,
                                         std::uint8_t kind) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string fleet = absl::StrCat(stem, "-", info->name());
  for (char& c : fleet) {
    if (!detail::is_name_char(c)) c = '_';
  }
  fleet = fleet.substr(0, kMaxNamePart - 1 - suffix.size());
  if (!suffix.empty()) fleet = absl::StrCat(fleet, "-", std::string(suffix));
  SegmentName name{fleet, kind, ""};
  (void)Segment::unlink(name);
  return name;
}

}  // namespace ringlab::shm::test_util
