// A segment name of its own for each test: what the shared-memory tests
// create, and unlink when they end.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ringlab/net_id.hpp"
#include "ringlab/shm/name.hpp"
#include "ringlab/shm/segment.hpp"

namespace ringlab::shm {

// "<prefix><pid>-<serial>-<suite>-<test>", cut to a name part; the serial
// keeps it unique when the cut makes two names alike. Unlinks a leftover of
// an earlier run that was killed.
inline SegmentName segment_name_for_test(std::string_view prefix, std::uint8_t kind) {
  static int serial = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string fleet = absl::StrCat(ringlab::detail::sv(prefix), ::getpid(), "-", ++serial, "-",
                                   info->test_suite_name(), "-", info->name());
  for (char& c : fleet) {
    if (!detail::is_name_char(c)) c = '_';
  }
  SegmentName name{fleet.substr(0, kMaxNamePart), kind, ""};
  (void)Segment::unlink(name);
  return name;
}

}  // namespace ringlab::shm
