// ringlab_shm over objects that are not (valid) ringlab segments: each command
// gives a one-line error and exit 1 in time, never a crash or a wait; list
// --all names them; remove --force unlinks them. And a valid header over a
// slot with a hostile frame length: the reader path bounds it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ringlab/shm/shared_ring.hpp"
#include "tool_fixture.hpp"

namespace ringlab::tools::shm::test {
namespace {

void write_file(const std::string& path, const std::vector<char>& bytes, mode_t mode = 0600) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

void overwrite(const std::string& path, std::uint64_t offset, const void* bytes, std::size_t n) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::pwrite(fd, bytes, n, static_cast<off_t>(offset)), static_cast<ssize_t>(n));
  ::close(fd);
}

// A valid seqlock segment with kFrames frames, its ring closed.
void make_valid(const TestSegment& segment) {
  ASSERT_NO_THROW((void)make_ring<SeqlockStorage<>>(segment.name(), {}));
}

// show, tail and remove refuse the object naming `problem`; list --all names
// it; remove --force unlinks it.
void expect_refused_everywhere(const TestSegment& segment, const std::string& problem) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", segment.file()}, {"tail", segment.file()},
        {"remove", segment.file()}}) {
    SCOPED_TRACE(args.front());
    expect_segment_error(run_tool_process(args), problem);
  }
  EXPECT_TRUE(segment.exists());
  const ToolRun list = run_tool_process({"list", "--all"});
  EXPECT_EQ(list.code, 0) << describe(list);
  EXPECT_NE(line_with(list.out, segment.file()).find("not a ringlab segment"), std::string::npos)
      << list.out;
  EXPECT_TRUE(line_with(run_tool_process({"list"}).out, segment.file()).empty());
  EXPECT_EQ(run_tool_process({"remove", "--force", segment.file()}).code, 0);
  EXPECT_FALSE(segment.exists());
}

TEST(ToolHostile, RandomBytes) {
  TestSegment segment;
  std::mt19937 random(7);
  std::vector<char> bytes(4096);
  for (char& b : bytes) b = static_cast<char>(random());
  write_file(segment.path(), bytes);
  expect_refused_everywhere(segment, "magic");
}

TEST(ToolHostile, EmptyObject) {
  TestSegment segment;
  write_file(segment.path(), {});
  expect_refused_everywhere(segment, "smaller than the 88-byte header");
}

TEST(ToolHostile, TruncatedSegment) {
  TestSegment segment;
  make_valid(segment);
  struct stat st {};
  ASSERT_EQ(::stat(segment.path().c_str(), &st), 0);
  ASSERT_EQ(::truncate(segment.path().c_str(), st.st_size - 64), 0);
  expect_refused_everywhere(segment, "truncated or resized");
}

TEST(ToolHostile, WrongMagic) {
  TestSegment segment;
  make_valid(segment);
  overwrite(segment.path(), 0, "RINGLABX", 8);
  expect_refused_everywhere(segment, "magic: segment has");
}

TEST(ToolHostile, HugeCapacityAndRegionInTheHeader) {
  TestSegment segment;
  make_valid(segment);
  const std::uint64_t huge = std::uint64_t{1} << 40;
  overwrite(segment.path(), offsetof(rs::LayoutHeader, capacity), &huge, sizeof huge);
  overwrite(segment.path(), offsetof(rs::LayoutHeader, region_bytes), &huge, sizeof huge);
  expect_refused_everywhere(segment, "capacity: 1099511627776 exceeds the maximum");
}

TEST(ToolHostile, AStrideThatIsNotTheStoragesOwn) {
  TestSegment segment;
  make_valid(segment);
  // Self-consistent (the stride still holds the payload and the region every
  // slot), but not the seqlock's layout: refused by the storage's own spec.
  rs::LayoutHeader h;
  const int fd = ::open(segment.path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(::pread(fd, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  ::close(fd);
  const std::uint64_t stride = h.slot_stride - 64;
  overwrite(segment.path(), offsetof(rs::LayoutHeader, slot_stride), &stride, sizeof stride);
  expect_refused_everywhere(segment, "slot stride: segment has");
}

TEST(ToolHostile, OtherUsersMayReadIt) {
  TestSegment segment;
  make_valid(segment);
  ASSERT_EQ(::chmod(segment.path().c_str(), 0644), 0);
  expect_refused_everywhere(segment, "gives other users access");
}

TEST(ToolHostile, AFifoUnderTheNameNeverMakesTheToolWait) {
  TestSegment segment;
  ASSERT_EQ(::mkfifo(segment.path().c_str(), 0600), 0);
  expect_refused_everywhere(segment, "not a regular file");
}

TEST(ToolHostile, ASymlinkIsNotFollowed) {
  TestSegment target("target");
  make_valid(target);
  TestSegment segment;
  ASSERT_EQ(::symlink(target.path().c_str(), segment.path().c_str()), 0);
  for (const std::string verb : {"show", "tail", "remove"}) {
    expect_segment_error(run_tool_process({verb, segment.file()}), "open");
  }
  EXPECT_TRUE(target.exists());
}

// A committed length above the payload capacity is no frame [LengthBound]:
// shown as the abandoned counter it reads as, never a frame cut short.
TEST(ToolHostile, AHugeFrameLengthIsNoFrame) {
  TestSegment segment;
  make_valid(segment);
  // Counter 1's body: [marker][id][ver][kind | length << 8][payload...].
  using S = SeqlockStorage<>;
  const std::uint64_t meta = std::uint64_t{1} << 48;  // length 2^40
  const std::uint64_t at = rs::kRegionOffset + S::slots_offset() + 1 * S::slot_stride(kSpec) + 8 * 3;
  overwrite(segment.path(), at, &meta, sizeof meta);
  const ToolRun tail = run_tool_process({"tail", segment.file()});
  ASSERT_EQ(tail.code, 0) << describe(tail);
  EXPECT_TRUE(line_with(tail.out, "counter 1 ").ends_with("abandoned")) << tail.out;
  EXPECT_TRUE(line_with(tail.out, "counter 2 ").ends_with(printed_payload(2))) << tail.out;
  const ToolRun show = run_tool_process({"show", segment.file()});
  EXPECT_TRUE(line_with(show.out, "counter 1 ").ends_with("abandoned 1")) << show.out;
}

TEST(ToolHostile, AMarkerNamingAnotherSlotsCounterIsCorrupt) {
  TestSegment segment;
  make_valid(segment);
  using S = SeqlockStorage<>;
  const std::uint64_t marker = ringlab::detail::committed_marker(5);  // in counter 1's slot
  const std::uint64_t at = rs::kRegionOffset + S::slots_offset() + 1 * S::slot_stride(kSpec);
  overwrite(segment.path(), at, &marker, sizeof marker);
  const ToolRun show = run_tool_process({"show", segment.file()});
  ASSERT_EQ(show.code, 0) << describe(show);
  EXPECT_NE(line_with(show.out, "counter 1 ").find("corrupt"), std::string::npos) << show.out;
  const ToolRun tail = run_tool_process({"tail", segment.file()});
  EXPECT_TRUE(line_with(tail.out, "counter 1 ").ends_with("overwritten")) << tail.out;
}

}  // namespace
}  // namespace ringlab::tools::shm::test
