// What the segment tests (shm_test.cpp, segment_access_test.cpp) share: a
// small seqlock spec, raw-descriptor helpers that act as a rogue process
// would, and SegmentTest, which names a segment per test and unlinks every
// name it handed out.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "gtest/gtest.h"
#include "ringlab/shm/segment.hpp"
#include "shm_test_util.hpp"
#include "storage_specs.hpp"

namespace ringlab::shm::segment_test {

inline constexpr std::uint8_t kKind = 3;

// A seqlock ring of 8 slots of 48-byte payloads: 1088 region bytes.
inline SegmentSpec small_spec() { return specs::seqlock_spec(kKind, RingSpec{8, 48}); }

inline void expect_error(const absl::Status& s, absl::StatusCode code,
                         std::string_view fragment) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_NE(std::string(s.message()).find(fragment), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << fragment << "\"";
}

// FNV-1a over a file's bytes, read through a raw descriptor.
inline std::uint64_t checksum(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::uint64_t h = 14695981039346656037ull;
  unsigned char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    for (ssize_t i = 0; i < n; ++i) h = (h ^ buffer[i]) * 1099511628211ull;
  }
  ::close(fd);
  return h;
}

// Runs `fn` on a raw read-write descriptor of `path`, as a rogue process would.
inline void with_raw_fd(const std::string& path, const std::function<void(int)>& fn) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  fn(fd);
  ::close(fd);
}

template <class T>
inline void overwrite_at(const std::string& path, std::size_t offset, const T& value) {
  with_raw_fd(path, [&](int fd) {
    ASSERT_EQ(::pwrite(fd, &value, sizeof value, static_cast<off_t>(offset)),
              static_cast<ssize_t>(sizeof value));
  });
}

inline struct stat stat_path(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st;
}

inline bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Whether /dev/shm holds a temporary name of the segment at `path` made by `pid`.
inline bool has_temp_of(const std::string& path, pid_t pid) {
  const std::string prefix =
      absl::StrCat(path.substr(std::strlen(kShmDirectory) + 1), ".tmp.", pid, ".");
  DIR* dir = ::opendir(kShmDirectory);
  if (dir == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) {
    found = found || std::string_view(entry->d_name).starts_with(prefix);
  }
  ::closedir(dir);
  return found;
}

// Waits for a child and returns its exit code (-1 if it did not exit normally).
inline int exit_code_of(pid_t child) {
  return harness::reap(child, harness::ChildClock::time_point::max(), [] {}).code();
}

// A pid that no process has: a child's, after it is reaped.
inline pid_t dead_pid() {
  const pid_t child = harness::spawn_child([] {}, /*alarm_seconds=*/10);
  exit_code_of(child);
  return child;
}

inline void fill(std::byte* p, std::size_t n, std::uint8_t salt) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>((i * 31 + salt) & 0xff);
}

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override { name_ = name_for(""); }
  void TearDown() override {
    for (const SegmentName& n : used_) (void)Segment::unlink(n);
  }

  // A name of this test and process: "t<pid>-<test>[-suffix]", up to 64 chars.
  SegmentName name_for(std::string_view suffix) {
    used_.push_back(test_util::segment_name_for_test(absl::StrCat("t", ::getpid()), suffix, kKind));
    return used_.back();
  }

  static std::string path_of(const SegmentName& name) {
    return detail::object_path(*shm_name(name));
  }
  std::string path() const { return path_of(name_); }

  Segment create(const CreateOptions& options = {}) {
    absl::StatusOr<Segment> segment = Segment::create(name_, small_spec(), options);
    EXPECT_TRUE(segment.ok()) << segment.status();
    return std::move(*segment);
  }

  SegmentName name_;
  std::vector<SegmentName> used_;
};

}  // namespace ringlab::shm::segment_test
