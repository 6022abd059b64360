// Segment names: "/ringlab.<user>.<fleet>.k<kind>", a POSIX shared-memory name
// (one component, a leading slash), which glibc keeps as /dev/shm/ringlab.….
// Fleet and user are restricted to [A-Za-z0-9_-], so '.' separates the parts
// unambiguously and no name can climb out of /dev/shm or hide a control
// character in a log line.
#pragma once

#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ringlab/net_id.hpp"  // ringlab::detail::sv

namespace ringlab::shm {

struct SegmentName {
  std::string fleet;
  std::uint8_t kind = 0;
  std::string user;  // empty: the effective user (default_user())
};

inline constexpr std::size_t kMaxNamePart = 64;

namespace detail {

constexpr bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

constexpr bool is_valid_name_part(std::string_view part) {
  if (part.empty() || part.size() > kMaxNamePart) return false;
  for (char c : part) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

// The effective user's login name, or nothing if it has none or it is not a
// valid name part (e.g. "first.last").
inline std::string login_name(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return {};
  }
  std::string name = found->pw_name;
  return is_valid_name_part(name) ? name : std::string{};
}

}  // namespace detail

// OK, or InvalidArgument saying which part is wrong and why.
inline absl::Status check_name_part(std::string_view what, std::string_view part) {
  if (detail::is_valid_name_part(part)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(ringlab::detail::sv(what), " \"", absl::CHexEscape(ringlab::detail::sv(part)), "\" must be 1..", kMaxNamePart,
                   " characters of [A-Za-z0-9_-]"));
}

// The effective user's login name if it is a valid name part, else its uid.
inline std::string default_user() {
  const uid_t uid = geteuid();
  std::string name = detail::login_name(uid);
  return name.empty() ? absl::StrCat(uid) : name;
}

// "/ringlab.<user>.<fleet>.k<kind>", or InvalidArgument.
inline absl::StatusOr<std::string> shm_name(const SegmentName& name) {
  const std::string user = name.user.empty() ? default_user() : name.user;
  if (absl::Status s = check_name_part("user", user); !s.ok()) return s;
  if (absl::Status s = check_name_part("fleet", name.fleet); !s.ok()) return s;
  return absl::StrCat("/ringlab.", user, ".", name.fleet, ".k", unsigned{name.kind});
}

}  // namespace ringlab::shm
