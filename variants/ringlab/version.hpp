// The library's version, written here and nowhere else: the root
// CMakeLists.txt reads the three numbers below for project(VERSION), from
// which ringlabConfigVersion.cmake and ringlab.pc take theirs.
#pragma once

#include <string_view>

#define RINGLAB_VERSION_MAJOR 0
#define RINGLAB_VERSION_MINOR 1
#define RINGLAB_VERSION_PATCH 0

// "MAJOR.MINOR.PATCH", spelled from the numbers above so that it cannot drift.
#define RINGLAB_DETAIL_STRINGIFY(x) #x
#define RINGLAB_DETAIL_VERSION_STRING(a, b, c) \
  RINGLAB_DETAIL_STRINGIFY(a) "." RINGLAB_DETAIL_STRINGIFY(b) "." RINGLAB_DETAIL_STRINGIFY(c)
#define RINGLAB_VERSION_STRING                                                   \
  RINGLAB_DETAIL_VERSION_STRING(RINGLAB_VERSION_MAJOR, RINGLAB_VERSION_MINOR, \
                                RINGLAB_VERSION_PATCH)

namespace ringlab {

struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  friend constexpr bool operator==(const Version&, const Version&) = default;
};

// The headers' version, for a program to print or compare against.
constexpr Version version() {
  return {RINGLAB_VERSION_MAJOR, RINGLAB_VERSION_MINOR, RINGLAB_VERSION_PATCH};
}
constexpr std::string_view version_string() { return RINGLAB_VERSION_STRING; }

}  // namespace ringlab
