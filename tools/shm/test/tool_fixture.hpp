// What the ringlab_shm tests share: the tool run as a subprocess with a time
// limit, segment names unique to this process (and removed afterwards), rings
// of every shareable storage with frames in them, and children that tell the
// parent they are set up.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "gtest/gtest.h"
#include "ringlab/shm/shared_ring.hpp"
#include "shm/shm_test_util.hpp"

namespace ringlab::tools::shm::test {

namespace rs = ringlab::shm;
using namespace std::chrono_literals;

// Far above what any command takes; a tool that blocks is killed at it.
constexpr auto kToolLimit = 20s;

struct ToolRun {
  bool in_time = false;
  int code = -1;  // exit status; -1 if killed (a crash or the limit)
  std::string out;
  std::string err;
};

inline std::string slurp_and_remove(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path.c_str());
  return text.str();
}

// Runs the ringlab_shm executable with `args`, its stdout and stderr in temporary files.
inline ToolRun run_tool_process(const std::vector<std::string>& args) {
  std::vector<std::string> argv_text{RINGLAB_SHM_TOOL};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string stem = absl::StrCat("/tmp/ringlab_shm_test.", ::getpid(), ".");
  const std::string out_path = stem + "out", err_path = stem + "err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ToolRun run;
  if (spawned != 0) {
    run.err = absl::StrCat("posix_spawn failed: ", spawned);
    return run;
  }
  const harness::Exit exit =
      harness::reap(pid, harness::ChildClock::now() + kToolLimit, [] {}, 1ms);
  run.in_time = exit.in_time;
  run.code = exit.code();
  run.out = slurp_and_remove(out_path);
  run.err = slurp_and_remove(err_path);
  return run;
}

inline std::string describe(const ToolRun& run) {
  return absl::StrCat("exit ", run.code, run.in_time ? "" : " (killed at the limit)",
                      "\n--- stdout\n", run.out, "--- stderr\n", run.err);
}

// An error as the tool must give it: in time, exit 1, one line on stderr.
inline void expect_segment_error(const ToolRun& run, const std::string& mentions) {
  EXPECT_TRUE(run.in_time) << describe(run);
  EXPECT_EQ(run.code, 1) << describe(run);
  EXPECT_TRUE(run.err.starts_with("ringlab_shm: ")) << describe(run);
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << describe(run);
  EXPECT_NE(run.err.find(mentions), std::string::npos) << "want \"" << mentions << "\"\n" << describe(run);
}

// The line of `text` that contains `needle`, or "".
inline std::string line_with(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

// A segment name for the running test, unique to this process; the object is
// unlinked when this goes (and before, should a crashed run have left it).
class TestSegment {
 public:
  explicit TestSegment(std::string_view suffix = "", std::uint8_t kind = 5)
      : name_(rs::test_util::segment_name_for_test(absl::StrCat("shmtool", ::getpid()), suffix,
                                                   kind)),
        file_(rs::shm_name(name_).value().substr(1)) {}
  ~TestSegment() { ::unlink(path().c_str()); }
  TestSegment(const TestSegment&) = delete;
  TestSegment& operator=(const TestSegment&) = delete;

  const rs::SegmentName& name() const { return name_; }
  // The name in /dev/shm, as the tool takes it.
  const std::string& file() const { return file_; }
  std::string path() const { return absl::StrCat(rs::kShmDirectory, "/", file_); }
  bool exists() const {
    struct stat st {};
    return ::lstat(path().c_str(), &st) == 0;
  }

 private:
  rs::SegmentName name_;
  std::string file_;
};

constexpr RingSpec kSpec{16, 48};
constexpr int kFrames = 3;

// Frame i's payload: text, one byte the tool must escape, and a quote.
inline std::vector<std::byte> payload_of(int i) {
  const std::string text = absl::StrCat("frame-", i, "\x01\"");
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}
inline std::string printed_payload(int i) { return absl::StrCat("\"frame-", i, "\\x01\\x22\""); }

// A shareable storage as the tests use it: how the tool labels it, and a ring
// of it created under a name with kFrames frames written (this process its
// writer) and, gated, a reader gate registered.
struct Flavour {
  std::string test_name;
  std::string label;        // list's STORAGE column
  std::string writer_mode;  // multi or single
  bool versioned = true;    // seqlock and disruptor: markers and a reader path without locks
  bool gated = false;
  std::function<std::shared_ptr<void>(const rs::SegmentName&)> make;
};

template <class Storage>
std::shared_ptr<void> make_ring(const rs::SegmentName& name,
                                const typename Storage::Options& options) {
  rs::SharedRingOptions shared;
  shared.role = rs::RingRole::kWriter;
  auto ring = rs::create_ring<Storage>(name, kSpec, options, shared);
  if (!ring.ok()) throw std::runtime_error(std::string(ring.status().message()));
  for (int i = 0; i < kFrames; ++i) {
    const std::vector<std::byte> payload = payload_of(i);
    if (!(*ring)->write(NodeId(9), 0, static_cast<std::uint64_t>(i), payload).ok()) {
      throw std::runtime_error("write failed");
    }
  }
  if constexpr (requires { (*ring)->register_gate(); }) {
    if ((*ring)->storage().gated() && !(*ring)->register_gate().ok()) {
      throw std::runtime_error("register_gate failed");
    }
  }
  return std::shared_ptr<Ring<Storage>>(std::move(*ring));
}

// A child that runs body() and then, if it returns true, tells the parent on
// `ready` and waits to be killed.
struct ReadyPipe {
  int fds[2] = {-1, -1};
  ReadyPipe() {
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  }
  ~ReadyPipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void signal() const {
    const char byte = 1;
    (void)!::write(fds[1], &byte, 1);
  }
  // Whether a child signalled within the limit.
  bool wait(std::chrono::milliseconds limit = 10s) const {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
    char byte = 0;
    return ::read(fds[0], &byte, 1) == 1;
  }
};

}  // namespace ringlab::tools::shm::test
