// Owners of a file descriptor and of a memory mapping, and system-call errors
// as absl::Status values carrying errno's text.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringlab/net_id.hpp"  // ringlab::detail::sv

namespace ringlab::shm::detail {

// "<what>: <strerror(err)>", with the code errno maps to (ENOENT: NotFound,
// EEXIST: AlreadyExists, EACCES: PermissionDenied, ...).
inline absl::Status errno_status(int err, std::string_view what) {
  return absl::ErrnoToStatus(err, ringlab::detail::sv(what));
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      close_fd();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { close_fd(); }

  int get() const { return fd_; }

 private:
  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

class Mapping {
 public:
  Mapping() = default;
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      unmap();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~Mapping() { unmap(); }

  // MAP_SHARED over exactly `size` bytes of fd (size > 0).
  static absl::StatusOr<Mapping> map(int fd, std::size_t size, int protection,
                                     std::string_view what) {
    void* p = ::mmap(nullptr, size, protection, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return errno_status(errno, what);
    return Mapping(static_cast<std::byte*>(p), size);
  }

  absl::Status protect(int protection, std::string_view what) const {
    if (::mprotect(data_, size_, protection) != 0) return errno_status(errno, what);
    return absl::OkStatus();
  }

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  Mapping(std::byte* data, std::size_t size) : data_(data), size_(size) {}
  void unmap() {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ringlab::shm::detail
