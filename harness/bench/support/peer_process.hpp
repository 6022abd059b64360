// A peer process for the cross-process scenarios. The benchmark and its peer
// talk through a SharedBlock (common/shared_block.hpp) whose descriptor the
// peer inherits.
//
// The peer is this very binary started again (posix_spawn of /proc/self/exe,
// which names the running image even if the file was rebuilt meanwhile), never
// a fork: the benchmark process has threads, and the child of a threaded
// process's fork may make only async-signal-safe calls until it execs. The
// peer never outlives the benchmark: PeerProcess kills and reaps it on every
// exit path, and the peer has the kernel kill it if its parent dies first
// (die_with_parent).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "ringlab/shm/posix.hpp"

extern char** environ;

namespace ringlab::bench {

// This binary, run again with other arguments.
class PeerProcess {
 public:
  // argv[1..] = args; stdin and stdout on /dev/null (the benchmark's stdout may
  // carry its JSON); `keep_fd` stays open in the peer under the same number.
  static absl::StatusOr<PeerProcess> spawn(const std::vector<std::string>& args, int keep_fd) {
    std::vector<std::string> words{own_path()};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    // dup2 onto itself clears close-on-exec (POSIX, glibc since 2.29), so the
    // descriptor is inherited by this child only.
    ::posix_spawn_file_actions_adddup2(&actions, keep_fd, keep_fd);
    pid_t pid = -1;
    const int err = ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (err != 0) return shm::detail::errno_status(err, "posix_spawn of the peer process");
    return PeerProcess(pid);
  }

  PeerProcess(PeerProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  PeerProcess& operator=(PeerProcess&&) = delete;
  ~PeerProcess() { kill_and_reap(); }

  // How the peer ended, once it has (it is then reaped); nothing while it runs.
  std::optional<std::string> exited() {
    if (pid_ < 0) return "peer process already reaped";
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    if (WIFEXITED(status)) {
      return absl::StrCat("peer process exited with status ", WEXITSTATUS(status));
    }
    return absl::StrCat("peer process killed by signal ", WTERMSIG(status));
  }

  // A peer that is not reaped yet cannot have had its pid reused: killing it
  // here never hits another process.
  void kill_and_reap() {
    if (pid_ >= 0) harness::kill_and_reap(std::exchange(pid_, -1));
  }

 private:
  explicit PeerProcess(pid_t pid) : pid_(pid) {}

  // For argv[0] (what ps shows); the image itself is /proc/self/exe.
  static std::string own_path() {
    char path[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : "ringlab_bench";
  }

  pid_t pid_ = -1;
};

// The peer's side: has the kernel send SIGKILL when the parent dies. False if
// it died already (before the request could cover it). The signal follows the
// parent's thread that spawned the peer: the benchmark's own thread, which
// lives as long as the benchmark.
inline bool die_with_parent(pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return false;
  return ::getppid() == parent;
}

}  // namespace ringlab::bench
