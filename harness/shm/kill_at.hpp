// Fault injection for the crash tests: a Sync policy that kills its process
// by SIGKILL at an armed crash point (Sync::crash_point, ringlab/sync.hpp),
// and names for the points.
#pragma once

#include <signal.h>

#include <optional>
#include <ostream>

#include "ringlab/sync.hpp"

namespace ringlab {

// For the test names, and GoogleTest's messages (PrintTo is found by ADL).
inline const char* name_of(CrashPoint point) {
  switch (point) {
    case CrashPoint::kAfterClaim: return "AfterClaim";
    case CrashPoint::kAfterMark: return "AfterMark";
    case CrashPoint::kMidPayload: return "MidPayload";
    case CrashPoint::kBeforePublish: return "BeforePublish";
  }
  return "Unknown";
}
inline void PrintTo(CrashPoint point, std::ostream* os) { *os << name_of(point); }

}  // namespace ringlab

namespace ringlab::shm::kill_at {

// The point at which this process dies; armed only in a child, right before
// the write that must not finish.
inline std::optional<CrashPoint> g_armed;

// Base's Sync policy, but a process dies by SIGKILL at the armed point: no
// handler, no unwinding, nothing flushed, as when the OOM killer strikes.
template <class Base>
struct KillAt : Base {
  static void crash_point(CrashPoint where) {
    if (g_armed == where) ::raise(SIGKILL);
  }
};

inline constexpr CrashPoint kCrashPoints[] = {CrashPoint::kAfterClaim, CrashPoint::kAfterMark,
                                              CrashPoint::kMidPayload,
                                              CrashPoint::kBeforePublish};

}  // namespace ringlab::shm::kill_at
