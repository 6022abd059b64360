// Slot storages live in one flat region of bytes (in-process: a heap block; in
// shared memory: the mapping), laid out by the storage's Layout. These helpers
// build objects in such a region and tear them down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

namespace ringlab::detail {

inline constexpr std::size_t kCacheLine = 64;
// What a writer's private, often-written state is aligned to so that no line
// readers read shares it: two lines, since the adjacent-line prefetcher moves
// lines in pairs.
inline constexpr std::size_t kFalseSharingRange = 2 * kCacheLine;

// The single writer's own counters [SoleWriter]: written on every claim, so
// they sit alone, away from the fields every reader reads (a storage's
// strides and pointers, a barrier's alert flag).
struct alignas(kFalseSharingRange) SoleWriterCounters {
  std::uint64_t next = 0;   // the next counter to claim
  std::uint64_t floor = 0;  // gated: the slowest gate when last scanned
};

constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// An owned, cache-line-aligned, zeroed block. Allocation happens here, once,
// when a ring is created; never on the read or write path.
class AlignedRegion {
 public:
  explicit AlignedRegion(std::size_t bytes)
      : bytes_(round_up(bytes == 0 ? 1 : bytes, kCacheLine)),
        data_(static_cast<std::byte*>(::operator new(bytes_, std::align_val_t{kCacheLine}))) {
    std::memset(data_.get(), 0, bytes_);
  }
  std::byte* data() const { return data_.get(); }
  std::size_t size() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{kCacheLine}); }
  };
  std::size_t bytes_;
  std::unique_ptr<std::byte, Free> data_;
};

// Tag of the storage constructors that adopt a region whose objects another
// storage (or another process, through shared memory) has already constructed:
// they neither construct, reset nor destroy anything in it.
struct AdoptRegion {
  explicit AdoptRegion() = default;
};
inline constexpr AdoptRegion kAdoptRegion{};

template <class T>
T* construct_at_offset(std::byte* base, std::size_t offset) {
  return ::new (static_cast<void*>(base + offset)) T();
}

template <class T>
void destroy_at_offset(std::byte* base, std::size_t offset) {
  if constexpr (!std::is_trivially_destructible_v<T>) {
    std::launder(reinterpret_cast<T*>(base + offset))->~T();
  }
}

template <class T>
T* object_at(std::byte* base, std::size_t offset) {
  return std::launder(reinterpret_cast<T*>(base + offset));
}

}  // namespace ringlab::detail
