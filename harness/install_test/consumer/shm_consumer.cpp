// An outside project's use of shared memory through the installed headers:
// this process creates a ring's segment (its name carries the pid, so that
// concurrent runs never meet), forks a reader process that attaches by name
// while this one writes, and removes the segment once the reader has checked
// every frame. The exit status is 0 only if all of that worked.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <ringlab/ringlab.hpp>
#include <ringlab/shm/shared_ring.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using Storage = ringlab::shm::SharedSeqlockRing::storage_type;

constexpr std::uint8_t kKind = 4;
constexpr ringlab::RingSpec kSpec{8, 32};
constexpr std::string_view kTexts[] = {"alpha", "beta", "gamma"};
constexpr std::size_t kFrames = std::size(kTexts);
// The reader gives up after kLimit; the parent kills it a little later; alarm()
// ends it should the parent be gone.
constexpr auto kLimit = std::chrono::seconds(10);
constexpr unsigned kAlarmSeconds = 20;

std::string_view text_of(const ringlab::Frame& frame) {
  return {reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size()};
}

// What a frame should be, or an empty string.
std::string wrong_in(const ringlab::Frame& frame, std::size_t i) {
  if (frame.id.counter() != i) return "counter " + std::to_string(frame.id.counter());
  if (frame.id.kind() != kKind) return "ring kind " + std::to_string(frame.id.kind());
  if (frame.ver != i + 1) return "ver " + std::to_string(frame.ver);
  if (text_of(frame) != kTexts[i]) return "payload \"" + std::string(text_of(frame)) + "\"";
  return {};
}

// The reader process's work; its return value is the process's exit status.
int read_back(const ringlab::shm::SegmentName& name) {
  auto ring = ringlab::shm::attach_ring<Storage>(name, kSpec);
  if (!ring.ok()) {
    std::fprintf(stderr, "shm_consumer reader: %s\n", ring.status().ToString().c_str());
    return 1;
  }
  ringlab::RingCursor cursor = ringlab::RingCursor::from_start();
  std::vector<ringlab::Frame> frames;
  const Clock::time_point deadline = Clock::now() + kLimit;
  while (frames.size() < kFrames) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "shm_consumer reader: %zu of %zu frames after %lld s\n", frames.size(),
                   kFrames, static_cast<long long>(kLimit.count()));
      return 1;
    }
    ringlab::PollResult r = ringlab::poll(**ring, cursor);
    if (r.loss.total() != 0) {
      std::fprintf(stderr, "shm_consumer reader: lost %llu frames\n",
                   static_cast<unsigned long long>(r.loss.total()));
      return 1;
    }
    frames.insert(frames.end(), r.frames.begin(), r.frames.end());
    if (r.frames.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (frames.size() != kFrames) {
    std::fprintf(stderr, "shm_consumer reader: %zu frames, %zu written\n", frames.size(), kFrames);
    return 1;
  }
  for (std::size_t i = 0; i < kFrames; ++i) {
    if (const std::string wrong = wrong_in(frames[i], i); !wrong.empty()) {
      std::fprintf(stderr, "shm_consumer reader: frame %zu has %s\n", i, wrong.c_str());
      return 1;
    }
  }
  std::printf("shm_consumer: reader process %d read back %zu frames\n", static_cast<int>(getpid()),
              kFrames);
  std::fflush(stdout);
  return 0;
}

// The child's exit status, or -1 if it had to be killed or could not be waited for.
int wait_for(pid_t child) {
  const Clock::time_point deadline = Clock::now() + kLimit + std::chrono::seconds(5);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (done < 0 && errno != EINTR) return -1;
    if (Clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      std::fprintf(stderr, "shm_consumer: killed the reader at the deadline\n");
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Removes the segment on every way out of main, the failures included.
struct SegmentRemoval {
  const ringlab::shm::SegmentName& name;
  ~SegmentRemoval() { (void)ringlab::shm::Segment::unlink(name); }
};

int fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "shm_consumer: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  const ringlab::shm::SegmentName name{.fleet = "install-consumer-" + std::to_string(getpid()),
                                       .kind = kKind,
                                       .user = {}};
  auto ring = ringlab::shm::create_ring<Storage>(name, kSpec);
  if (!ring.ok()) return fail("create", ring.status());
  std::string posix_name;
  {
    const SegmentRemoval removal{name};
    posix_name = ringlab::shm::shm_name(name).value();
    std::fflush(stdout);  // a child must not print this process's buffered output again
    const pid_t reader = ::fork();
    if (reader < 0) return fail("fork", absl::InternalError(std::strerror(errno)));
    if (reader == 0) {
      ::alarm(kAlarmSeconds);
      ::_exit(read_back(name));
    }
    for (std::size_t i = 0; i < kFrames; ++i) {
      auto id = (*ring)->write(ringlab::NodeId(7), 0, i + 1, std::as_bytes(std::span(kTexts[i])));
      if (!id.ok()) {
        ::kill(reader, SIGKILL);
        wait_for(reader);
        return fail("write", id.status());
      }
    }
    if (const int status = wait_for(reader); status != 0) {
      std::fprintf(stderr, "shm_consumer: the reader process failed (%d)\n", status);
      return 1;
    }
  }
  // Removed: a new attach finds nothing.
  const absl::Status gone = ringlab::shm::attach_ring<Storage>(name, kSpec).status();
  if (!absl::IsNotFound(gone)) return fail("attach after removal", gone);
  std::printf("shm_consumer: segment %s removed\n", posix_name.c_str());
  return 0;
}
