// Forked children for the shared-memory tests: a child that reports failure
// by its exit code and never returns into GoogleTest, and memory that the
// parent shares with the children it forks afterwards.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

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
