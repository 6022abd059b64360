#include "commands.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "inspect.hpp"
#include "print.hpp"
#include "read_only_segment.hpp"
#include "ringlab/shm/segment.hpp"

namespace ringlab::tools::shm {

namespace rs = ringlab::shm;

namespace {

int fail(std::ostream& err, absl::string_view message, int status) {
  err << "ringlab_shm: " << message << "\n";
  return status;
}

// The names in /dev/shm of objects the effective user owns, sorted; symlinks
// are not followed.
absl::StatusOr<std::vector<std::pair<std::string, struct stat>>> own_objects() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(rs::kShmDirectory), &::closedir);
  if (dir == nullptr) return rs::detail::errno_status(errno, absl::StrCat("open ", rs::kShmDirectory));
  std::vector<std::pair<std::string, struct stat>> found;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_uid != ::geteuid()) continue;
    found.emplace_back(std::string(name), st);
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return found;
}

// Whether an object's name is "ringlab.<user>.<fleet>.k<kind>" of `fleet`; name parts
// hold no '.', so the fleet is the third of four.
bool in_fleet(std::string_view name, std::string_view fleet) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(name.data(), name.size()), '.');
  return parts.size() == 4 && parts[0] == "ringlab" && parts[2] == fleet;
}

int list(const Command& cmd, std::ostream& out, std::ostream& err) {
  const auto objects = own_objects();
  if (!objects.ok()) return fail(err, objects.status().message(), kExitSegment);
  std::vector<std::vector<std::string>> rows{list_columns()};
  std::vector<std::string> others;
  for (const auto& [name, st] : *objects) {
    if (!cmd.name.empty() && !in_fleet(name, cmd.name)) continue;
    absl::Status problem = absl::FailedPreconditionError("not a regular file");
    if (S_ISREG(st.st_mode)) {
      absl::StatusOr<ReadOnlySegment> seg = ReadOnlySegment::open(name);
      absl::StatusOr<SegmentReport> report =
          seg.ok() ? inspect(*seg, {}) : absl::StatusOr<SegmentReport>(seg.status());
      if (report.ok()) {
        rows.push_back(list_row(*report));
        rows.back().front() = absl::CHexEscape(name);
        continue;
      }
      problem = report.status();
    }
    others.push_back(absl::StrCat(absl::CHexEscape(name), "  not a ringlab segment: ", problem.message()));
  }
  if (rows.size() == 1) {
    out << "no ringlab segments of uid " << ::geteuid()
        << (cmd.name.empty() ? "" : absl::StrCat(" in fleet ", absl::CHexEscape(cmd.name)))
        << " in " << rs::kShmDirectory << "\n";
  } else {
    print_table(out, rows);
  }
  if (cmd.all) {
    for (const std::string& line : others) out << line << "\n";
  }
  return kExitOk;
}

// show and tail: one segment, read into a report and printed.
int print_segment(const Command& cmd, std::ostream& out, std::ostream& err) {
  const absl::StatusOr<std::string> file = file_name_of(cmd.name);
  if (!file.ok()) return fail(err, file.status().message(), kExitUsage);
  const absl::StatusOr<ReadOnlySegment> seg = ReadOnlySegment::open(*file);
  if (!seg.ok()) return fail(err, seg.status().message(), kExitSegment);
  const InspectOptions options = cmd.verb == Verb::kShow
                                     ? InspectOptions{.slots = cmd.slots, .frames = 0}
                                     : InspectOptions{.slots = cmd.count, .frames = cmd.count};
  const absl::StatusOr<SegmentReport> report = inspect(*seg, options);
  if (!report.ok()) return fail(err, report.status().message(), kExitSegment);
  if (cmd.verb == Verb::kShow) {
    print_show(out, *report);
  } else {
    print_tail(out, *report);
  }
  return kExitOk;
}

int remove(const Command& cmd, std::ostream& out, std::ostream& err) {
  const absl::StatusOr<std::string> file = file_name_of(cmd.name);
  if (!file.ok()) return fail(err, file.status().message(), kExitUsage);
  const std::string path = absl::StrCat(rs::kShmDirectory, "/", *file);
  const absl::StatusOr<ReadOnlySegment> seg = ReadOnlySegment::open(*file);
  absl::StatusOr<SegmentReport> report =
      seg.ok() ? inspect(*seg, {}) : absl::StatusOr<SegmentReport>(seg.status());
  if (!cmd.force) {
    if (absl::IsNotFound(report.status())) return fail(err, report.status().message(), kExitSegment);
    if (!report.ok()) {
      return fail(err, absl::StrCat(report.status().message(), "; not removed (--force removes it)"),
                  kExitSegment);
    }
    if (const std::vector<std::uint64_t> pids = report->live_pids(); !pids.empty()) {
      return fail(err,
                  absl::StrCat("segment ", path, ": in use by live process",
                               pids.size() == 1 ? " " : "es ", absl::StrJoin(pids, ", "),
                               "; not removed (--force removes it)"),
                  kExitSegment);
    }
  }
  if (::unlink(path.c_str()) != 0) {
    return fail(err, rs::detail::errno_status(errno, absl::StrCat("unlink ", path)).message(),
                kExitSegment);
  }
  out << "removed " << absl::CHexEscape(*file) << "\n";
  return kExitOk;
}

}  // namespace

int run(const Command& cmd, std::ostream& out, std::ostream& err) {
  switch (cmd.verb) {
    case Verb::kHelp: out << usage(cmd.help_topic); return kExitOk;
    case Verb::kList: return list(cmd, out, err);
    case Verb::kShow:
    case Verb::kTail: return print_segment(cmd, out, err);
    case Verb::kRemove: return remove(cmd, out, err);
  }
  return kExitUsage;
}

int run_tool(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  const absl::StatusOr<Command> cmd = parse(args);
  if (!cmd.ok()) return fail(err, cmd.status().message(), kExitUsage);
  return run(*cmd, out, err);
}

}  // namespace ringlab::tools::shm
