// Forked children for the shared-memory tests: a child that reports failure
// by its exit code and never returns into GoogleTest, how it ended (reaped by
// a deadline), and memory that the parent shares with the children it forks
// afterwards.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ringlab::shm::fork_util {

// In a child: throws, so that the child says why on stderr and exits 1.
inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// (X1) release / (X2) acquire, on counters in a SharedBlock: a process
// announces that it is set up (attached, its gate registered, its frames
// written, its victim reaped); one that sees it with (X2) sees everything it
// did before (X1).
inline constexpr std::memory_order kAnnounce = std::memory_order_release;
inline constexpr std::memory_order kAwait = std::memory_order_acquire;

inline void announce(std::atomic<int>& count) { count.fetch_add(1, kAnnounce); }  // (X1)

// Runs body() in a forked child, which exits 0 if it returns and 1 (after
// saying why) if it throws; alarm() ends it after alarm_seconds in case it
// hangs, its parent gone or not. The child leaves by _exit: no destructor or
// atexit handler of the parent's runs twice.
template <class Body>
pid_t spawn(Body&& body, unsigned alarm_seconds) {
  std::fflush(nullptr);  // nothing the parent buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid > 0) return pid;
  ::alarm(alarm_seconds);
  int code = 0;
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    code = 1;
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

// How a child ended.
struct Exit {
  bool in_time = false;  // it ended by itself before the parent's deadline
  int status = 0;        // from waitpid

  bool clean() const { return in_time && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  bool killed_by(int signal) const {
    return in_time && WIFSIGNALED(status) && WTERMSIG(status) == signal;
  }
  std::string describe() const {
    if (!in_time) return "still running at the deadline (killed)";
    if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
    return absl::StrCat("exited ", WEXITSTATUS(status), " (1: it said why on stderr)");
  }
};

// Whether the child has ended; reaps it if so.
inline bool ended(pid_t pid, Exit& exit) {
  if (::waitpid(pid, &exit.status, WNOHANG) != pid) return false;
  exit.in_time = true;
  return true;
}

// For a child past its deadline, or one no longer needed.
inline void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Calls meanwhile() until the child ends, or kills it once `limit` has passed.
inline Exit reap(pid_t pid, std::chrono::steady_clock::duration limit,
                 const std::function<void()>& meanwhile = [] {}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  Exit exit;
  while (!ended(pid, exit)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_and_reap(pid);
      return exit;
    }
    meanwhile();
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // leaves a core to the children
  }
  return exit;
}

// Kills a child that the test means to kill; killed_by(SIGKILL) unless it had
// ended already.
inline Exit kill_now(pid_t pid, std::chrono::steady_clock::duration limit) {
  ::kill(pid, SIGKILL);
  return reap(pid, limit);
}

// A T in memory that children forked after its construction share with the
// parent: what they write there, the parent reads after reaping them.
template <class T>
class SharedBlock {
 public:
  SharedBlock() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    value_ = new (p) T{};
  }
  ~SharedBlock() {
    value_->~T();
    ::munmap(value_, sizeof(T));
  }
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_ = nullptr;
};

}  // namespace ringlab::shm::fork_util
