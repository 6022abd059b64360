// Forked children, for the shared-memory tests and the stress harness. A child
// runs its body and leaves by _exit, never back into its parent's code (main,
// GoogleTest): it says why on stderr and exits 1 if the body throws, and
// alarm() ends it if it hangs, its parent gone or not. The parent reaps its
// children by a deadline and kills what outlives it.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace ringlab::harness {

// In a child: throws, so that the child says why on stderr and exits 1.
inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// Runs body() in a forked child, which exits 0 if it returns and 1 (after
// saying why) if it throws; alarm() ends it after alarm_seconds. No destructor
// or atexit handler of the parent's runs twice.
template <class Body>
pid_t spawn_child(Body&& body, unsigned alarm_seconds) {
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

  bool clean() const { return code() == 0; }
  // The exit status; -1 for a child killed by a signal, or by the deadline.
  int code() const { return in_time && WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  bool killed_by(int signal) const {
    return in_time && WIFSIGNALED(status) && WTERMSIG(status) == signal;
  }
  std::string describe() const {
    if (!in_time) return "still running at the deadline (killed)";
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exited " + std::to_string(WEXITSTATUS(status)) + " (1: it said why on stderr)";
  }
};

// Whether the child has ended; reaps it if so.
inline bool ended(pid_t pid, Exit& exit) {
  if (::waitpid(pid, &exit.status, WNOHANG) != pid) return false;
  exit.in_time = true;
  return true;
}

// For a child past its deadline, or one no longer needed. A child not reaped
// yet cannot have had its pid reused: this never hits another process.
inline void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

using ChildClock = std::chrono::steady_clock;

// Calls meanwhile() between looks (every `period`) until the child ends, or
// kills it at the deadline.
template <class Meanwhile>
Exit reap(pid_t pid, ChildClock::time_point deadline, Meanwhile&& meanwhile,
          ChildClock::duration period = std::chrono::microseconds(50)) {
  Exit exit;
  while (!ended(pid, exit)) {
    if (ChildClock::now() >= deadline) {
      kill_and_reap(pid);
      return exit;
    }
    meanwhile();
    std::this_thread::sleep_for(period);  // leaves a core to the children
  }
  return exit;
}

// Every child's end, in order; those still running at the deadline are killed.
inline std::vector<Exit> reap_all(const std::vector<pid_t>& children,
                                  ChildClock::time_point deadline) {
  std::vector<Exit> exits(children.size());
  std::vector<bool> done(children.size(), false);
  for (std::size_t left = children.size(); left > 0 && ChildClock::now() < deadline;) {
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (!done[i] && ended(children[i], exits[i])) {
        done[i] = true;
        --left;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (!done[i]) kill_and_reap(children[i]);
  }
  return exits;
}

}  // namespace ringlab::harness
