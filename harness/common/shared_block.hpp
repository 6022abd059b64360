// A T in memory that several processes map: the board of a stress run across
// processes, what forked test children report, the control block of a
// benchmark and its peer. A memfd: it has no name, so nothing is left behind
// whatever happens. Children forked after it is made share it; a process
// started anew (posix_spawn) maps it from the descriptor it inherited.
//
// T's atomics must be address-free (lock-free) to be shared; the creator
// constructs T, and destroys it when its block goes.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/shm/posix.hpp"

namespace ringlab::harness {

template <class T>
class SharedBlock {
 public:
  // Made and constructed here; throws if the kernel refuses (tests, stress).
  SharedBlock() {
    absl::StatusOr<SharedBlock> block = create();
    if (!block.ok()) throw std::runtime_error(std::string(block.status().message()));
    *this = *std::move(block);
  }

  static absl::StatusOr<SharedBlock> create() {
    shm::detail::UniqueFd fd(::memfd_create("ringlab-harness", MFD_CLOEXEC));
    if (fd.get() < 0) return shm::detail::errno_status(errno, "memfd_create");
    if (::ftruncate(fd.get(), static_cast<off_t>(sizeof(T))) != 0) {
      return shm::detail::errno_status(errno, "ftruncate of a shared block");
    }
    absl::StatusOr<SharedBlock> block = map(std::move(fd));
    if (block.ok()) {
      block->value_ = new (block->mapping_.data()) T{};
      block->owner_ = true;
    }
    return block;
  }

  // Another process's block, from the descriptor it inherited, once its size
  // checks. Its T was constructed by the creator.
  static absl::StatusOr<SharedBlock> adopt(int fd) {
    shm::detail::UniqueFd owned(fd);
    struct stat st {};
    if (::fstat(owned.get(), &st) != 0) return shm::detail::errno_status(errno, "fstat");
    if (static_cast<std::size_t>(st.st_size) != sizeof(T)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the shared block has ", st.st_size, " bytes, expected ", sizeof(T)));
    }
    absl::StatusOr<SharedBlock> block = map(std::move(owned));
    if (block.ok()) block->value_ = std::launder(reinterpret_cast<T*>(block->mapping_.data()));
    return block;
  }

  SharedBlock(SharedBlock&& other) noexcept { *this = std::move(other); }
  SharedBlock& operator=(SharedBlock&& other) noexcept {
    destroy();
    fd_ = std::move(other.fd_);
    mapping_ = std::move(other.mapping_);
    value_ = std::exchange(other.value_, nullptr);
    owner_ = std::exchange(other.owner_, false);
    return *this;
  }
  ~SharedBlock() { destroy(); }

  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }
  // For a process to be started with it (posix_spawn keeps it open there).
  int fd() const { return fd_.get(); }

 private:
  SharedBlock(shm::detail::UniqueFd fd, shm::detail::Mapping mapping)
      : fd_(std::move(fd)), mapping_(std::move(mapping)) {}

  static absl::StatusOr<SharedBlock> map(shm::detail::UniqueFd fd) {
    absl::StatusOr<shm::detail::Mapping> mapping = shm::detail::Mapping::map(
        fd.get(), sizeof(T), PROT_READ | PROT_WRITE, "mmap of a shared block");
    if (!mapping.ok()) return mapping.status();
    return SharedBlock(std::move(fd), *std::move(mapping));
  }

  void destroy() {
    if (std::exchange(owner_, false) && value_ != nullptr) value_->~T();
    value_ = nullptr;
  }

  shm::detail::UniqueFd fd_;
  shm::detail::Mapping mapping_;
  T* value_ = nullptr;
  bool owner_ = false;
};

}  // namespace ringlab::harness
