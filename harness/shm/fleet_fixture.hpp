// What the fleet tests (fleet_test.cpp) are made of: children and the pipes
// they report through, payloads, and fleets joined, published and checked.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "common/children.hpp"
#include "common/gtest_variants.hpp"
#include "ringlab/shm/fleet.hpp"

namespace ringlab::shm::fleet_test {

using namespace std::chrono_literals;

inline constexpr std::uint8_t kA = 10;
inline constexpr std::uint8_t kB = 20;
inline constexpr RingSpec kSpecA{16, 32};
inline constexpr RingSpec kSpecB{8, 32};
inline constexpr auto kDeadline = 20s;
inline constexpr unsigned kAlarmSeconds = 60;  // a child whose parent is gone

inline std::string status_text(const absl::Status& s) { return std::string(s.ToString()); }

inline void expect_error(const absl::Status& s, absl::StatusCode code,
                         std::initializer_list<std::string_view> fragments) {
  EXPECT_EQ(s.code(), code) << s;
  for (std::string_view fragment : fragments) {
    EXPECT_NE(s.message().find(absl::string_view(fragment.data(), fragment.size())),
              absl::string_view::npos)
        << "message \"" << s.message() << "\" lacks \"" << fragment << "\"";
  }
}

inline std::vector<std::byte> payload_of(std::uint8_t kind, std::size_t i) {
  const std::string text = absl::StrCat("kind ", unsigned{kind}, " frame ", i);
  std::vector<std::byte> bytes(text.size());
  std::transform(text.begin(), text.end(), bytes.begin(), [](char c) { return std::byte(c); });
  return bytes;
}

inline bool has_payload(const FrameBuffer& frame, std::uint8_t kind, std::size_t i) {
  const std::vector<std::byte> expected = payload_of(kind, i);
  return std::equal(expected.begin(), expected.end(), frame.payload().begin(),
                    frame.payload().end());
}

// --- processes and pipes ---------------------------------------------------

// A forked child running `body`, which exits with body's result (1 if it
// throws: common/children.hpp). Destroying an unwaited Child kills and reaps it.
class Child {
 public:
  explicit Child(const std::function<int()>& body)
      : pid_(harness::spawn_child([&] { ::_exit(body()); }, kAlarmSeconds)) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) harness::kill_and_reap(pid_);
  }

  // The child's exit code; -1 if it died of a signal, or if it was still
  // running at the deadline (it is killed then).
  int wait() {
    const auto deadline = harness::ChildClock::now() + kDeadline;
    return harness::reap(std::exchange(pid_, -1), deadline, [] {}, 1ms).code();
  }

 private:
  pid_t pid_;
};

// A child's failure: the reason on stderr, the code as its exit status.
inline int report(int code, std::string_view why) {
  std::fprintf(stderr, "child %d failed (%d): %.*s\n", static_cast<int>(::getpid()), code,
               static_cast<int>(why.size()), why.data());
  return code;
}

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }

 private:
  int fds_[2];
};

inline bool write_all(int fd, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, bytes);
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

// False if the bytes did not all arrive before the deadline.
inline bool read_all(int fd, void* data, std::size_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  auto* p = static_cast<char*>(data);
  while (bytes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{fd, POLLIN, 0};
    if (left <= 0ms || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = ::read(fd, p, bytes);
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

inline bool send_ids(int fd, const std::vector<NetId64>& ids) {
  std::vector<std::uint64_t> raw;
  for (NetId64 id : ids) raw.push_back(id.raw());
  return write_all(fd, raw.data(), raw.size() * sizeof(std::uint64_t));
}

inline std::optional<std::vector<NetId64>> receive_ids(int fd, std::size_t count) {
  std::vector<std::uint64_t> raw(count);
  if (!read_all(fd, raw.data(), raw.size() * sizeof(std::uint64_t))) return std::nullopt;
  std::vector<NetId64> ids;
  for (std::uint64_t r : raw) ids.push_back(NetId64::from_raw(r));
  return ids;
}

inline bool await_go(int fd) {
  char byte = 0;
  return read_all(fd, &byte, 1);
}

// --- fleets ------------------------------------------------------------------

inline std::string unique_fleet_name() {
  static int serial = 0;
  return absl::StrCat("fleet-test-", ::getpid(), "-", serial++);
}

inline std::vector<std::uint8_t> every_kind() {
  std::vector<std::uint8_t> kinds(256);
  for (std::size_t k = 0; k < kinds.size(); ++k) kinds[k] = static_cast<std::uint8_t>(k);
  return kinds;
}

// The names in /dev/shm of a fleet's segments, temporary ones included.
inline std::vector<std::string> segments_of(const std::string& user,
                                            const std::string& fleet) {
  const std::string prefix = absl::StrCat("ringlab.", user, ".", fleet, ".");
  std::vector<std::string> names;
  DIR* dir = ::opendir(kShmDirectory);
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    if (std::string_view(entry->d_name).starts_with(prefix)) names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

// A node of `fleet_name` that has declared kinds A and B.
template <class Storage>
absl::StatusOr<Fleet<Storage>> join_declared(const std::string& fleet_name, NodeId node) {
  absl::StatusOr<Fleet<Storage>> fleet = Fleet<Storage>::join(fleet_name, node);
  if (!fleet.ok()) return fleet;
  absl::Status s = fleet->declare(kA, kSpecA);
  if (s.ok()) s = fleet->declare(kB, kSpecB);
  if (!s.ok()) return s;
  return fleet;
}

// Publishes frames 0..count-1 of `kind`, each with payload_of(kind, i).
template <class F>
absl::StatusOr<std::vector<NetId64>> publish_frames(F& fleet, std::uint8_t kind,
                                                    std::size_t count) {
  std::vector<NetId64> ids;
  for (std::size_t i = 0; i < count; ++i) {
    absl::StatusOr<NetId64> id = fleet.publish(kind, /*frame_kind=*/1, /*ver=*/i,
                                               payload_of(kind, i));
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return ids;
}

// Empty if ids[first_readable..] read back by id as published by `node`, and
// the ones before them (overwritten) are NotFound; else what went wrong.
template <class F>
std::string check_reads(const F& fleet, const std::vector<NetId64>& ids,
                        std::size_t first_readable, NodeId node) {
  FrameBuffer buffer(64);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const absl::Status s = fleet.read(ids[i], buffer);
    if (i < first_readable) {
      if (!absl::IsNotFound(s)) return absl::StrCat("overwritten id ", i, ": ", status_text(s));
      continue;
    }
    if (!s.ok()) return absl::StrCat("id ", ids[i].to_string(), ": ", status_text(s));
    if (buffer.id != ids[i] || buffer.id.node() != node || buffer.ver != i ||
        !has_payload(buffer, ids[i].kind(), i)) {
      return absl::StrCat("id ", ids[i].to_string(), " read back another frame");
    }
  }
  return {};
}

// Empty if a poll of `kind` from the start delivers exactly
// ids[first_readable..] in order, reports the ones before as overwritten, and
// leaves the cursor at ids.size(); else what went wrong.
template <class F>
std::string check_poll(const F& fleet, std::uint8_t kind, const std::vector<NetId64>& ids,
                       std::size_t first_readable) {
  RingCursor cursor = RingCursor::from_start();
  const absl::StatusOr<PollResult> polled = fleet.poll(kind, cursor);
  if (!polled.ok()) return status_text(polled.status());
  const std::vector<NetId64> expected(ids.begin() + first_readable, ids.end());
  std::vector<NetId64> got;
  for (const Frame& frame : polled->frames) got.push_back(frame.id);
  if (got != expected) return absl::StrCat("poll delivered ", got.size(), " other frames");
  if (polled->loss != Loss{first_readable, 0}) {
    return absl::StrCat("loss: overwritten ", polled->loss.overwritten, ", unavailable ",
                        polled->loss.unavailable, ", expected ", first_readable, " and 0");
  }
  if (polled->from != 0 || polled->to != ids.size() || cursor.next_counter != ids.size()) {
    return absl::StrCat("cursor moved ", polled->from, "..", polled->to);
  }
  return {};
}

}  // namespace ringlab::shm::fleet_test
