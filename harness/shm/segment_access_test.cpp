// Tests of who may open a segment (its mode and owner) and of creators that
// die or race: a dead creator's leftovers never block a create, and processes
// racing open_or_create share one segment.

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "segment_fixture.hpp"

namespace ringlab::shm {
namespace {

using namespace segment_test;

// ---- permissions and owner -------------------------------------------------------

// Sets the umask for one scope: the mode must not depend on it.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

TEST_F(SegmentTest, ModeIs0600ByDefault) {
  const ScopedUmask umask(0);
  const Segment segment = create();
  EXPECT_EQ(stat_path(path()).st_mode & 07777, 0600u);
}

TEST_F(SegmentTest, ModeIs0660WithGroupAccessWhateverTheUmask) {
  const ScopedUmask umask(077);
  CreateOptions options;
  options.group_access = true;
  const Segment segment = create(options);
  EXPECT_EQ(stat_path(path()).st_mode & 07777, 0660u);
}

TEST_F(SegmentTest, ASegmentOpenToOtherUsersIsRefused) {
  const Segment segment = create();
  ASSERT_EQ(::chmod(path().c_str(), 0666), 0);
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kPermissionDenied, "mode 0666 gives other users access");
}

// Another user's object: only root can make one here.
class ForeignOwnerTest : public SegmentTest {
 protected:
  static constexpr uid_t kOtherUid = 4242;
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a segment to another user";
    SegmentTest::SetUp();
  }
};

TEST_F(ForeignOwnerTest, AnotherUsersSegmentIsRefused) {
  const Segment segment = create();
  ASSERT_EQ(::chown(path().c_str(), kOtherUid, ::getegid()), 0);
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kPermissionDenied, "owner: uid 4242 (mode 0600");
}

TEST_F(ForeignOwnerTest, AnotherUsersGroupAccessSegmentOfOurGroupIsAccepted) {
  CreateOptions options;
  options.group_access = true;
  const Segment segment = create(options);
  ASSERT_EQ(::chown(path().c_str(), kOtherUid, ::getegid()), 0);
  ASSERT_EQ(::chmod(path().c_str(), 0660), 0);  // chown may clear mode bits
  EXPECT_TRUE(Segment::attach(name_, small_spec()).ok());
  ASSERT_EQ(::chown(path().c_str(), kOtherUid, ::getegid() + 4242), 0);
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kPermissionDenied, "owner: uid 4242");
}

// ---- dead creators and races -----------------------------------------------------

TEST_F(SegmentTest, AStaleTempOfADeadPidDoesNotBlockCreateAndIsRemoved) {
  const std::string stale = absl::StrCat(path(), ".tmp.", dead_pid(), ".0");
  const std::string live = absl::StrCat(path(), ".tmp.", ::getpid(), ".999999");
  for (const std::string& p : {stale, live}) {
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << p << ": " << std::strerror(errno);
    ::close(fd);
  }
  absl::StatusOr<Segment> segment = Segment::create(name_, small_spec());
  EXPECT_TRUE(segment.ok()) << segment.status();
  EXPECT_FALSE(path_exists(stale)) << "the dead creator's temporary name was kept";
  EXPECT_TRUE(path_exists(live)) << "a live creator's temporary name was removed";
  ::unlink(live.c_str());
}

TEST_F(SegmentTest, ACreatorThatDiesDuringInitLeavesNothingThatBlocks) {
  const pid_t child = ::fork();
  if (child == 0) {
    CreateOptions options;
    options.init = [](std::byte*) { ::_exit(42); };  // dies half-way
    (void)Segment::create(name_, small_spec(), options);
    ::_exit(1);
  }
  ASSERT_EQ(exit_code_of(child), 42);
  EXPECT_TRUE(absl::IsNotFound(Segment::attach(name_, small_spec()).status()))
      << "a half-initialised segment is visible";
  EXPECT_TRUE(has_temp_of(path(), child)) << "the dead creator left no temporary name";
  absl::StatusOr<Segment> segment = Segment::create(name_, small_spec());
  EXPECT_TRUE(segment.ok()) << segment.status();
  EXPECT_FALSE(has_temp_of(path(), child)) << "the dead creator's temporary name was kept";
}

// Both processes call open_or_create at once; the child writes through its
// mapping, the parent reads through its own.
TEST_F(SegmentTest, ProcessesRacingOpenOrCreateShareOneSegment) {
  constexpr int kRounds = 8;
  constexpr int kChildCreated = 10, kChildAttached = 11;
  for (int round = 0; round < kRounds; ++round) {
    const SegmentName name = name_for(absl::StrCat(round));
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      char byte = 0;
      ::close(go[1]);
      if (::read(go[0], &byte, 1) != 1) ::_exit(1);
      absl::StatusOr<Segment> segment = Segment::open_or_create(name, small_spec());
      if (!segment.ok()) ::_exit(2);
      const std::uint64_t value = 0x1122334455667788ull + static_cast<std::uint64_t>(round);
      std::memcpy(segment->region() + 64, &value, sizeof value);
      ::_exit(segment->created() ? kChildCreated : kChildAttached);
    }
    ::close(go[0]);
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    ::close(go[1]);
    absl::StatusOr<Segment> segment = Segment::open_or_create(name, small_spec());
    const int child_code = exit_code_of(child);
    ASSERT_TRUE(segment.ok()) << segment.status();
    ASSERT_TRUE(child_code == kChildCreated || child_code == kChildAttached) << child_code;
    EXPECT_NE(segment->created(), child_code == kChildCreated) << "round " << round;
    std::uint64_t value = 0;
    std::memcpy(&value, segment->region() + 64, sizeof value);
    EXPECT_EQ(value, 0x1122334455667788ull + static_cast<std::uint64_t>(round))
        << "round " << round << ": the processes mapped different segments";
  }
}


}  // namespace
}  // namespace ringlab::shm
