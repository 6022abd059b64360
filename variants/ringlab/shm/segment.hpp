// Segment: a named, versioned, validated POSIX shared-memory object that a
// ring's storage region lives in (layout in shm/layout.hpp, names in
// shm/name.hpp). Linux: objects are files of the tmpfs at /dev/shm.
//
// Creation protocol. The final name only ever names a finished object:
//   1. open /dev/shm/<final>.tmp.<pid>.<serial> with O_CREAT|O_EXCL, the mode
//      asked for, then fchmod it (the umask must not change the mode);
//   2. ftruncate and posix_fallocate it to its total size (a full /dev/shm is
//      an error here, not a SIGBUS later), and map it;
//   3. write the header (state kInitialising), run the caller's init(region),
//      then store state kReady with release order;
//   4. link(2) the temporary name to the final name. link never replaces an
//      existing name: if another creator won, it fails with EEXIST, and this one
//      reports AlreadyExists (open_or_create attaches to the winner);
//   5. unlink the temporary name (also on every failure path).
// Why it is race-free: an attacher opens the final name only, which appears
// atomically with the object already sized (no SIGBUS before ftruncate), its
// header and region written and its state kReady (no "wrong magic 0"); the
// release store and the attacher's acquire load order the writes of init()
// before the attacher's reads. Exactly one link to a name succeeds, so two
// creators never both initialise one segment. A creator that dies anywhere
// leaves at most its temporary name, which nobody attaches to and which blocks
// nobody; create() removes temporary names of the same final name whose pid is
// gone (kill(pid, 0) fails with ESRCH).
//
// Limits: processes that share /dev/shm must share a pid namespace, or the sweep
// may take a live creator in another namespace for dead (its link then fails
// with a clear error; nothing is corrupted). An owner that shrinks a segment
// while another process maps it makes that process's accesses fault: the owner
// check in attach() limits that to the same user (or a trusted group).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ringlab/shm/layout.hpp"
#include "ringlab/shm/name.hpp"
#include "ringlab/shm/posix.hpp"

namespace ringlab::shm {

inline constexpr char kShmDirectory[] = "/dev/shm";

struct CreateOptions {
  // 0660 instead of 0600: members of the file's group may attach (and write).
  bool group_access = false;
  // Runs once on the zero-filled region before any attacher can see the
  // segment (e.g. to construct a storage's atomics). Empty: nothing to do.
  std::function<void(std::byte* region)> init;
  // Recorded in the header (LayoutHeader::first_counter); init starts the ring there.
  std::uint64_t first_counter = 0;
};

inline mode_t permissions(const CreateOptions& options) {
  return options.group_access ? 0660 : 0600;
}

namespace detail {

inline constexpr char kTempInfix[] = ".tmp.";

// The segment's own orders, (S1)..(S3): the ready state word, and the serials
// of temporary names.
inline constexpr std::memory_order kReadyStore = std::memory_order_release;
inline constexpr std::memory_order kReadyLoad = std::memory_order_acquire;
inline constexpr std::memory_order kSerialClaim = std::memory_order_relaxed;

inline std::string octal(mode_t mode) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
    mode >>= 3;
  } while (mode != 0);
  return "0" + digits;
}

// "/ringlab.u.f.k1" -> "/dev/shm/ringlab.u.f.k1"
inline std::string object_path(const std::string& shm) { return absl::StrCat(kShmDirectory, shm); }

// The same status, its message prefixed with the segment it is about.
inline absl::Status about(const std::string& shm, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat("segment ", shm, ": ", s.message()));
}

inline absl::Status require_shm_directory() {
  struct stat st {};
  std::string problem;
  if (::stat(kShmDirectory, &st) != 0) {
    problem = std::string(errno_status(errno, kShmDirectory).message());
  } else if (!S_ISDIR(st.st_mode)) {
    problem = absl::StrCat(kShmDirectory, ": not a directory");
  } else {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(problem, "; POSIX shared memory needs a tmpfs mounted there"));
}

inline absl::StatusOr<struct stat> stat_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status(errno, "fstat");
  return st;
}

// Whether gid is our effective group or one of our supplementary groups.
inline bool in_our_groups(gid_t gid) {
  if (::getegid() == gid) return true;
  const int count = ::getgroups(0, nullptr);
  if (count <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  const int got = ::getgroups(count, groups.data());
  return got > 0 && std::find(groups.begin(), groups.begin() + got, gid) != groups.begin() + got;
}

// Names in /dev/shm are first come, first served: anyone may create ours
// before us and fill it with crafted bytes. Only an object we own, or one whose
// owner shared it with a group of ours (mode 0660, CreateOptions::group_access),
// may be trusted to be a ringlab segment made by our side; and one that grants
// other users any access is not ours to trust, whoever owns it.
inline absl::Status check_owner(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  const mode_t mode = st.st_mode & 07777;
  if ((mode & 0007) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("mode ", octal(mode), " gives other users access; refused"));
  }
  if (st.st_uid == ::geteuid()) return absl::OkStatus();
  const bool shared_with_group = (mode & 0060) == 0060;
  if (shared_with_group && in_our_groups(st.st_gid)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "owner: uid ", st.st_uid, " (mode ", octal(mode), ", gid ", st.st_gid,
      "), expected our euid ", ::geteuid(), " or a group-access segment of a group of ours"));
}

inline absl::Status check_ready(std::byte* base) {
  // (S2) acquire: pairs with (S1); init()'s writes happen-before our reads.
  const std::uint32_t state = state_word(base).load(kReadyLoad);
  if (state == static_cast<std::uint32_t>(SegmentState::kReady)) return absl::OkStatus();
  const bool initialising = state == static_cast<std::uint32_t>(SegmentState::kInitialising);
  return absl::FailedPreconditionError(absl::StrCat(
      "state: segment has ", initialising ? "initialising" : absl::StrCat("unknown ", state),
      ", expected ready"));
}

// The pid in "<pid>.<serial>", the tail of a temporary name; nothing if the
// tail is not of that form.
inline std::optional<pid_t> temp_creator(std::string_view tail) {
  const std::size_t dot = tail.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::int32_t pid = 0;
  std::uint64_t serial = 0;
  if (!absl::SimpleAtoi(ringlab::detail::sv(tail.substr(0, dot)), &pid) ||
      !absl::SimpleAtoi(ringlab::detail::sv(tail.substr(dot + 1)), &serial) || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

inline bool process_is_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Removes the temporary names of `shm` left by creators that died before
// unlinking them. Best effort: a name we may not remove (another user's, in
// the sticky /dev/shm) is left, and cannot block us anyway.
inline void remove_stale_temps(const std::string& shm) {
  const std::string prefix = absl::StrCat(shm.substr(1), kTempInfix);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(kShmDirectory),
                                          &::closedir);
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view entry_name = entry->d_name;
    if (!entry_name.starts_with(prefix)) continue;
    const std::optional<pid_t> pid = temp_creator(entry_name.substr(prefix.size()));
    if (pid && process_is_gone(*pid)) ::unlinkat(::dirfd(dir.get()), entry->d_name, 0);
  }
}

// A name that is unlinked when this goes away: the temporary name of an
// object being created, on success (after link) and on failure alike.
class TempName {
 public:
  explicit TempName(std::string path) : path_(std::move(path)) {}
  TempName(TempName&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempName& operator=(TempName&&) = delete;
  ~TempName() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct PendingObject {
  UniqueFd fd;
  TempName name;
};

// Serials keep the temporary names of one process's threads apart.
inline std::atomic<std::uint64_t> temp_serial{0};

// Opens a fresh temporary object for `shm`. A name already taken (a dead
// creator of our pid, reused) is skipped for the next serial.
inline absl::StatusOr<PendingObject> open_pending_object(const std::string& shm, mode_t mode) {
  constexpr int kAttempts = 16;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = absl::StrCat(object_path(shm), kTempInfix, ::getpid(), ".",
                                    // (S3) relaxed: uniqueness only
                                    temp_serial.fetch_add(1, kSerialClaim));
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return PendingObject{UniqueFd(fd), TempName(std::move(path))};
    if (errno != EEXIST) return errno_status(errno, absl::StrCat("create ", path));
  }
  return absl::AbortedError(
      absl::StrCat("create: ", kAttempts, " temporary names in a row were taken"));
}

// fchmod, because open's mode went through the umask; then checks the result.
inline absl::Status set_mode(int fd, mode_t mode) {
  if (::fchmod(fd, mode) != 0) return errno_status(errno, "fchmod");
  absl::StatusOr<struct stat> st = stat_of(fd);
  if (!st.ok()) return st.status();
  const mode_t got = st->st_mode & 07777;
  if (got != mode) {
    return absl::FailedPreconditionError(
        absl::StrCat("mode: object has ", octal(got), ", asked for ", octal(mode)));
  }
  return absl::OkStatus();
}

// Sizes the object and reserves its memory now, so that a full /dev/shm is an
// error here rather than a SIGBUS on first touch.
inline absl::Status size_object(int fd, std::uint64_t bytes) {
  const auto length = static_cast<off_t>(bytes);
  if (::ftruncate(fd, length) != 0) return errno_status(errno, "ftruncate");
  if (const int err = ::posix_fallocate(fd, 0, length); err != 0) {
    return errno_status(err, absl::StrCat("reserve ", bytes, " bytes in ", kShmDirectory));
  }
  return absl::OkStatus();
}

// Step 3 of the protocol: header, init, then kReady. Returns the header written.
inline LayoutHeader initialise(std::byte* base, const SegmentSpec& spec,
                               const CreateOptions& options) {
  LayoutHeader header = make_header(spec, ::getpid(), ::geteuid(), options.first_counter);
  std::memcpy(base, &header, sizeof header);
  if (options.init) options.init(base + kRegionOffset);
  header.state = static_cast<std::uint32_t>(SegmentState::kReady);
  // (S1) release: pairs with an attacher's (S2); publishes header and init().
  state_word(base).store(header.state, kReadyStore);
  return header;
}

// Step 4: gives the finished object its final name, unless the name exists.
inline absl::Status publish(const std::string& temp_path, const std::string& shm) {
  if (::link(temp_path.c_str(), object_path(shm).c_str()) == 0) return absl::OkStatus();
  const int err = errno;
  if (err == EEXIST) return absl::AlreadyExistsError("already exists");
  if (err == ENOENT) {
    return absl::AbortedError(absl::StrCat(
        "temporary name ", temp_path, " vanished before publication (removed by a process "
        "that took this one for dead, e.g. from another pid namespace?)"));
  }
  return errno_status(err, "link");
}

// An existing object, opened for attach (never created) and fstat'ed.
struct ExistingObject {
  UniqueFd fd;
  std::uint64_t size = 0;
};

// Opens `shm` and checks, before anything is mapped, that its owner may be
// trusted and that it can hold a header.
inline absl::StatusOr<ExistingObject> open_existing(const std::string& shm) {
  const std::string path = object_path(shm);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return errno_status(errno, absl::StrCat("open ", path));
  const absl::StatusOr<struct stat> st = stat_of(fd.get());
  if (!st.ok()) return st.status();
  const auto size = static_cast<std::uint64_t>(st->st_size);
  absl::Status s = check_owner(*st);
  if (s.ok()) s = check_object_size(size);
  if (!s.ok()) return s;
  return ExistingObject{std::move(fd), size};
}

// Steps 1 and 2 of the protocol: a fresh temporary object of `bytes` bytes and
// mode `mode`.
inline absl::StatusOr<PendingObject> make_pending_object(const std::string& shm, mode_t mode,
                                                         std::uint64_t bytes) {
  absl::StatusOr<PendingObject> pending = open_pending_object(shm, mode);
  if (!pending.ok()) return pending;
  absl::Status s = set_mode(pending->fd.get(), mode);
  if (s.ok()) s = size_object(pending->fd.get(), bytes);
  if (!s.ok()) return s;  // ~PendingObject unlinks the temporary name
  return pending;
}

inline absl::Status check_creatable(const SegmentName& name, const SegmentSpec& spec) {
  if (name.kind != spec.kind) {
    return absl::InvalidArgumentError(absl::StrCat("kind: the name has ", unsigned{name.kind},
                                                   ", the spec ", unsigned{spec.kind}));
  }
  return validate(spec);
}

}  // namespace detail

// A mapped segment. Move-only; unmaps and closes when destroyed, and never
// unlinks (Segment::unlink does, explicitly).
class Segment {
 public:
  Segment(Segment&&) noexcept = default;
  Segment& operator=(Segment&&) noexcept = default;
  ~Segment() = default;

  // Creates the segment, initialised by options.init, under the protocol above.
  // AlreadyExists if the name exists; InvalidArgument for a bad name or spec.
  static absl::StatusOr<Segment> create(const SegmentName& name, const SegmentSpec& spec,
                                        const CreateOptions& options = {}) {
    const absl::StatusOr<std::string> shm = shm_name(name);
    if (!shm.ok()) return shm.status();
    absl::StatusOr<Segment> segment = create_named(*shm, name, spec, options);
    if (!segment.ok()) return detail::about(*shm, segment.status());
    return segment;
  }

  // Maps an existing segment after checking its owner, size and header
  // against `expected`. Never creates (NotFound if absent), and writes nothing:
  // the mapping is read-only until every check has passed.
  static absl::StatusOr<Segment> attach(const SegmentName& name, const SegmentSpec& expected) {
    const absl::StatusOr<std::string> shm = shm_name(name);
    if (!shm.ok()) return shm.status();
    absl::StatusOr<Segment> segment = attach_named(*shm, expected);
    if (!segment.ok()) return detail::about(*shm, segment.status());
    return segment;
  }

  // Attaches, or creates if absent; when two processes race, one creates and
  // the other attaches to its segment. created() tells which this one did.
  static absl::StatusOr<Segment> open_or_create(const SegmentName& name, const SegmentSpec& spec,
                                                const CreateOptions& options = {}) {
    // Bounded: each retry means another process unlinked the segment between
    // our two steps.
    constexpr int kAttempts = 8;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      absl::StatusOr<Segment> attached = attach(name, spec);
      if (!absl::IsNotFound(attached.status())) return attached;
      absl::StatusOr<Segment> created = create(name, spec, options);
      if (!absl::IsAlreadyExists(created.status())) return created;
    }
    return absl::AbortedError(absl::StrCat("open_or_create: the segment appeared and vanished ",
                                           kAttempts, " times"));
  }

  // Removes the name; processes that have it mapped keep their mapping.
  static absl::Status unlink(const SegmentName& name) {
    const absl::StatusOr<std::string> shm = shm_name(name);
    if (!shm.ok()) return shm.status();
    if (::unlink(detail::object_path(*shm).c_str()) != 0) {
      return detail::about(*shm, detail::errno_status(errno, "unlink"));
    }
    return absl::OkStatus();
  }

  // The storage region: kRegionOffset into the mapping, cache-line aligned.
  std::byte* region() const {
    return mapping_.data() == nullptr ? nullptr : mapping_.data() + header_.region_offset;
  }
  std::size_t region_bytes() const { return header_.region_bytes; }
  // The header as validated (attach) or written (create). A copy: bounds come
  // from it, never from the shared bytes another process could change.
  const LayoutHeader& header() const { return header_; }
  // The POSIX name, "/ringlab.<user>.<fleet>.k<kind>".
  const std::string& posix_name() const { return shm_; }
  // Whether this handle created the segment (and so ran init).
  bool created() const { return created_; }

 private:
  Segment(detail::UniqueFd fd, detail::Mapping mapping, const LayoutHeader& header,
          std::string shm, bool created)
      : fd_(std::move(fd)),
        mapping_(std::move(mapping)),
        header_(header),
        shm_(std::move(shm)),
        created_(created) {}

  static absl::StatusOr<Segment> create_named(const std::string& shm, const SegmentName& name,
                                              const SegmentSpec& spec,
                                              const CreateOptions& options) {
    absl::Status s = detail::check_creatable(name, spec);
    if (s.ok() && options.first_counter > kMaxFirstCounter) {
      s = absl::InvalidArgumentError(absl::StrCat("first counter ", options.first_counter,
                                                  " exceeds the maximum ", kMaxFirstCounter));
    }
    if (s.ok()) s = detail::require_shm_directory();
    if (!s.ok()) return s;
    detail::remove_stale_temps(shm);
    absl::StatusOr<detail::PendingObject> pending =
        detail::make_pending_object(shm, permissions(options), total_bytes(spec));
    if (!pending.ok()) return pending.status();
    absl::StatusOr<detail::Mapping> mapping = detail::Mapping::map(
        pending->fd.get(), total_bytes(spec), PROT_READ | PROT_WRITE, "mmap");
    if (!mapping.ok()) return mapping.status();
    const LayoutHeader header = detail::initialise(mapping->data(), spec, options);
    s = detail::publish(pending->name.path(), shm);
    if (!s.ok()) return s;
    return Segment(std::move(pending->fd), std::move(*mapping), header, shm, true);
  }

  static absl::StatusOr<Segment> attach_named(const std::string& shm,
                                              const SegmentSpec& expected) {
    absl::Status s = detail::require_shm_directory();
    if (!s.ok()) return s;
    absl::StatusOr<detail::ExistingObject> object = detail::open_existing(shm);
    if (!object.ok()) return object.status();
    // Exactly the size fstat reported, read-only until every check has passed.
    absl::StatusOr<detail::Mapping> mapping =
        detail::Mapping::map(object->fd.get(), object->size, PROT_READ, "mmap");
    if (!mapping.ok()) return mapping.status();
    // Validate a copy and keep that copy: region() must use the offsets that
    // were checked, not ones another process wrote since.
    LayoutHeader header;
    std::memcpy(&header, mapping->data(), sizeof header);
    s = check_header_copy(header, expected, object->size);
    if (s.ok()) s = detail::check_ready(mapping->data());
    if (s.ok()) s = mapping->protect(PROT_READ | PROT_WRITE, "mprotect");
    if (!s.ok()) return s;
    return Segment(std::move(object->fd), std::move(*mapping), header, shm, false);
  }

  detail::UniqueFd fd_;
  detail::Mapping mapping_;
  LayoutHeader header_;
  std::string shm_;
  bool created_ = false;
};

}  // namespace ringlab::shm
