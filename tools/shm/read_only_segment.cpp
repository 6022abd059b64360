#include "read_only_segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ringlab/shm/segment.hpp"

namespace ringlab::tools::shm {

namespace rs = ringlab::shm;

absl::StatusOr<std::string> file_name_of(std::string_view name) {
  const std::string_view dir_prefix = "/dev/shm/";
  if (name.starts_with(dir_prefix)) {
    name.remove_prefix(dir_prefix.size());
  } else if (name.starts_with('/')) {
    name.remove_prefix(1);
  }
  const bool bad = name.empty() || name == "." || name == ".." || name.size() > NAME_MAX ||
                   name.find('/') != std::string_view::npos ||
                   name.find('\0') != std::string_view::npos;
  if (bad) {
    return absl::InvalidArgumentError(absl::StrCat(
        "segment name \"", absl::CHexEscape(ringlab::detail::sv(name)),
        "\" is not one name in /dev/shm (e.g. ringlab.<user>.<fleet>.k<kind>)"));
  }
  return std::string(name);
}

namespace {

absl::StatusOr<rs::LayoutHeader> read_header(int fd) {
  rs::LayoutHeader h;
  std::size_t done = 0;
  while (done < sizeof h) {
    const ssize_t n = ::pread(fd, reinterpret_cast<char*>(&h) + done, sizeof h - done,
                              static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return rs::detail::errno_status(errno, "read header");
    if (n == 0) return absl::FailedPreconditionError("size: the object shrank while read");
    done += static_cast<std::size_t>(n);
  }
  return h;
}

}  // namespace

absl::StatusOr<ReadOnlySegment> ReadOnlySegment::open(const std::string& file_name) {
  const std::string path = absl::StrCat(rs::kShmDirectory, "/", file_name);
  auto about = [&](const absl::Status& s) { return rs::detail::about(path, s); };
  ReadOnlySegment seg;
  seg.file_name_ = file_name;
  // O_NONBLOCK: a FIFO planted under the name must not make open() wait.
  seg.fd_ = rs::detail::UniqueFd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (seg.fd_.get() < 0) return about(rs::detail::errno_status(errno, "open"));
  const absl::StatusOr<struct stat> st = rs::detail::stat_of(seg.fd_.get());
  if (!st.ok()) return about(st.status());
  seg.object_ = {static_cast<std::uint64_t>(st->st_size), st->st_uid,
                 static_cast<std::uint32_t>(st->st_mode & 07777)};
  absl::Status s = rs::detail::check_owner(*st);
  if (s.ok()) s = rs::check_object_size(seg.object_.size);
  if (!s.ok()) return about(s);
  absl::StatusOr<rs::LayoutHeader> header = read_header(seg.fd_.get());
  if (!header.ok()) return about(header.status());
  seg.header_ = *header;
  if (s = rs::check_header_alone(seg.header_, seg.object_.size); !s.ok()) return about(s);
  absl::StatusOr<rs::detail::Mapping> mapping =
      rs::detail::Mapping::map(seg.fd_.get(), seg.object_.size, PROT_READ, "mmap");
  if (!mapping.ok()) return about(mapping.status());
  seg.mapping_ = std::move(*mapping);
  // An acquire load, as attach makes: the creator's init() is visible after it.
  if (s = rs::detail::check_ready(seg.mapping_.data()); !s.ok()) return about(s);
  return seg;
}

}  // namespace ringlab::tools::shm
