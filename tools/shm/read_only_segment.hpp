// A segment opened for inspection: O_RDONLY, mapped PROT_READ, its header
// validated by the library (shm/layout.hpp) before anything past it is read.
// Nothing is written and nothing waits, whatever the object holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringlab/shm/layout.hpp"
#include "ringlab/shm/posix.hpp"

namespace ringlab::tools::shm {

// A name as the user gives it: "ringlab.u.f.k1", "/ringlab.u.f.k1" or
// "/dev/shm/ringlab.u.f.k1", made into the file name in /dev/shm; InvalidArgument
// for anything that is not one path component.
absl::StatusOr<std::string> file_name_of(std::string_view name);

// What fstat said about the object, for display.
struct ObjectInfo {
  std::uint64_t size = 0;
  std::uint32_t uid = 0;
  std::uint32_t mode = 0;
};

class ReadOnlySegment {
 public:
  // Opens /dev/shm/<file_name> and validates it: a regular file we may trust
  // (the library's owner check), a header that passes check_header_alone, and
  // the ready state. Errors name the segment and the first problem.
  static absl::StatusOr<ReadOnlySegment> open(const std::string& file_name);

  const std::string& file_name() const { return file_name_; }
  const ObjectInfo& object() const { return object_; }
  // The validated copy: every bound comes from it, not from the shared bytes.
  const ringlab::shm::LayoutHeader& header() const { return header_; }
  // The region, read-only. The storages' adopt constructors take a mutable
  // pointer; they and the reader paths used here never store through it.
  std::byte* region() const { return mapping_.data() + header_.region_offset; }

 private:
  ReadOnlySegment() = default;

  std::string file_name_;
  ObjectInfo object_;
  ringlab::shm::detail::UniqueFd fd_;
  ringlab::shm::detail::Mapping mapping_;
  ringlab::shm::LayoutHeader header_{};
};

}  // namespace ringlab::tools::shm
