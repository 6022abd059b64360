// Tests of the shared-memory segment: names, the layout's validation, and the
// create / attach protocol across processes. Every test uses its own name
// (pid + test name) and unlinks it afterwards; every segment is a few KiB.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/children.hpp"
#include "common/variants.hpp"
#include "shm_test_util.hpp"
#include "gtest/gtest.h"
#include "ringlab/shm/segment.hpp"
#include "storage_specs.hpp"

namespace ringlab::shm {
namespace {

constexpr std::uint8_t kKind = 3;

// A seqlock ring of 8 slots of 48-byte payloads: 1088 region bytes.
SegmentSpec small_spec() { return specs::seqlock_spec(kKind, RingSpec{8, 48}); }

void expect_error(const absl::Status& s, absl::StatusCode code, std::string_view fragment) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_NE(std::string(s.message()).find(fragment), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << fragment << "\"";
}

// FNV-1a over a file's bytes, read through a raw descriptor.
std::uint64_t checksum(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::uint64_t h = 14695981039346656037ull;
  unsigned char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    for (ssize_t i = 0; i < n; ++i) h = (h ^ buffer[i]) * 1099511628211ull;
  }
  ::close(fd);
  return h;
}

// Runs `fn` on a raw read-write descriptor of `path`, as a rogue process would.
void with_raw_fd(const std::string& path, const std::function<void(int)>& fn) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  fn(fd);
  ::close(fd);
}

template <class T>
void overwrite_at(const std::string& path, std::size_t offset, const T& value) {
  with_raw_fd(path, [&](int fd) {
    ASSERT_EQ(::pwrite(fd, &value, sizeof value, static_cast<off_t>(offset)),
              static_cast<ssize_t>(sizeof value));
  });
}

struct stat stat_path(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Whether /dev/shm holds a temporary name of the segment at `path` made by `pid`.
bool has_temp_of(const std::string& path, pid_t pid) {
  const std::string prefix =
      absl::StrCat(path.substr(std::strlen(kShmDirectory) + 1), ".tmp.", pid, ".");
  DIR* dir = ::opendir(kShmDirectory);
  if (dir == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) {
    found = found || std::string_view(entry->d_name).starts_with(prefix);
  }
  ::closedir(dir);
  return found;
}

// Waits for a child and returns its exit code (-1 if it did not exit normally).
int exit_code_of(pid_t child) {
  return harness::reap(child, harness::ChildClock::time_point::max(), [] {}).code();
}

// A pid that no process has: a child's, after it is reaped.
pid_t dead_pid() {
  const pid_t child = harness::spawn_child([] {}, /*alarm_seconds=*/10);
  exit_code_of(child);
  return child;
}

void fill(std::byte* p, std::size_t n, std::uint8_t salt) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>((i * 31 + salt) & 0xff);
}

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override { name_ = name_for(""); }
  void TearDown() override {
    for (const SegmentName& n : used_) (void)Segment::unlink(n);
  }

  // A name of this test and process: "t<pid>-<test>[-suffix]", up to 64 chars.
  SegmentName name_for(std::string_view suffix) {
    used_.push_back(test_util::segment_name_for_test(absl::StrCat("t", ::getpid()), suffix, kKind));
    return used_.back();
  }

  static std::string path_of(const SegmentName& name) {
    return detail::object_path(*shm_name(name));
  }
  std::string path() const { return path_of(name_); }

  Segment create(const CreateOptions& options = {}) {
    absl::StatusOr<Segment> segment = Segment::create(name_, small_spec(), options);
    EXPECT_TRUE(segment.ok()) << segment.status();
    return std::move(*segment);
  }

  SegmentName name_;
  std::vector<SegmentName> used_;
};

// ---- names -----------------------------------------------------------------

TEST(SegmentName, BuildsThePosixName) {
  EXPECT_EQ(*shm_name(SegmentName{"fleet_1", 7, "alice"}), "/ringlab.alice.fleet_1.k7");
  EXPECT_EQ(*shm_name(SegmentName{"f", 255, "u-2"}), "/ringlab.u-2.f.k255");
}

TEST(SegmentName, RejectsPartsOutsideTheAlphabet) {
  const std::string too_long(kMaxNamePart + 1, 'a');
  for (const std::string& fleet : {std::string(), std::string("a.b"), std::string("../x"),
                                   std::string("a/b"), std::string("a b"), too_long}) {
    expect_error(shm_name(SegmentName{fleet, 1, "u"}).status(),
                 absl::StatusCode::kInvalidArgument, "fleet");
  }
  expect_error(shm_name(SegmentName{"f", 1, "first.last"}).status(),
               absl::StatusCode::kInvalidArgument, "user \"first.last\" must be 1..64");
  EXPECT_TRUE(shm_name(SegmentName{std::string(kMaxNamePart, 'a'), 1, "u"}).ok());
}

TEST(SegmentName, DefaultUserIsTheEffectiveUser) {
  const std::string user = default_user();
  EXPECT_TRUE(check_name_part("user", user).ok()) << user;
  EXPECT_EQ(*shm_name(SegmentName{"f", 1, ""}), absl::StrCat("/ringlab.", user, ".f.k1"));
}

// ---- the layout ----------------------------------------------------------------

TEST(SegmentSpec, EveryStorageLayoutValidates) {
  for (std::size_t capacity : {1, 2, 64, 4096}) {
    for (std::size_t payload : {0, 1, 48, 4096}) {
      const RingSpec ring{capacity, payload};
      SCOPED_TRACE(to_string(ring));
      harness::ShareableVariants::for_each([&]<class V>() {
        using Storage = typename V::shared_ring::storage_type;
        EXPECT_TRUE(validate(*segment_spec<Storage>(1, ring, V::shared_options())).ok()) << V::name;
      });
    }
  }
}

TEST(SegmentSpec, InvalidSpecsNameTheField) {
  struct Case {
    std::function<void(SegmentSpec&)> change;
    std::string_view fragment;
  };
  const Case cases[] = {
      {[](SegmentSpec& s) { s.capacity = 6; }, "capacity: 6 is not a power of two"},
      {[](SegmentSpec& s) { s.capacity = 0; }, "capacity: 0 is not a power of two"},
      {[](SegmentSpec& s) { s.overflow = OverflowMode::kGated; }, "only a disruptor can be gated"},
      {[](SegmentSpec& s) { s.variant = StorageVariant{9}; }, "variant: unknown variant 9"},
      {[](SegmentSpec& s) { s.overflow = OverflowMode{4}; }, "overflow mode: unknown overflow mode 4"},
      {[](SegmentSpec& s) { s.writer_mode = SegmentWriterMode{0}; }, "writer mode: unknown writer mode 0"},
      {[](SegmentSpec& s) { s.marker_layout = SegmentMarkerLayout{3}; },
       "marker layout: unknown marker layout 3"},
      {[](SegmentSpec& s) { s.marker_layout = SegmentMarkerLayout::kApart; },
       "marker layout: apart, but only a disruptor keeps its markers apart, not a seqlock"},
      {[](SegmentSpec& s) {
         s.variant = StorageVariant::kRwlock;
         s.writer_mode = SegmentWriterMode::kSingle;
       },
       "writer mode: single, but a rwlock has no single-writer mode"},
      {[](SegmentSpec& s) { s.slot_stride = 100; }, "slot stride: 100 is not a positive multiple of 8"},
      {[](SegmentSpec& s) { s.slot_stride = 40; }, "slot stride: 40 bytes cannot hold a payload of 48"},
      {[](SegmentSpec& s) { s.region_bytes = 512; }, "region bytes: 512 cannot hold 8 slots of 128"},
      {[](SegmentSpec& s) { s.region_bytes = std::uint64_t{1} << 50; }, "region bytes"},
      {[](SegmentSpec& s) { s.payload_capacity = std::uint64_t{1} << 30; }, "payload capacity"},
  };
  for (const Case& c : cases) {
    SegmentSpec spec = small_spec();
    c.change(spec);
    expect_error(validate(spec), absl::StatusCode::kInvalidArgument, c.fragment);
  }
}

// The bytes of a valid, ready segment of small_spec().
std::vector<std::byte> valid_segment_bytes() {
  const SegmentSpec spec = small_spec();
  std::vector<std::byte> bytes(total_bytes(spec));
  LayoutHeader header = make_header(spec, 1234, 1000);
  header.state = static_cast<std::uint32_t>(SegmentState::kReady);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

absl::Status check(const std::vector<std::byte>& bytes, const SegmentSpec& expected) {
  return check_header(bytes, expected, bytes.size());
}

TEST(CheckHeader, AcceptsAValidHeader) {
  EXPECT_TRUE(check(valid_segment_bytes(), small_spec()).ok());
}

TEST(CheckHeader, RejectsAnInvalidExpectedSpec) {
  SegmentSpec expected = small_spec();
  expected.capacity = 3;
  expect_error(check(valid_segment_bytes(), expected), absl::StatusCode::kInvalidArgument,
               "expected spec: capacity: 3");
}

TEST(CheckHeader, RejectsEveryTruncation) {
  const std::vector<std::byte> bytes = valid_segment_bytes();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const std::span<const std::byte> prefix(bytes.data(), size);
    const absl::Status s = check_header(prefix, small_spec(), size);
    ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << size << ": " << s;
    EXPECT_NE(s.message().find(size < sizeof(LayoutHeader) ? "smaller than the 80-byte header"
                                                           : "total bytes"),
              absl::string_view::npos)
        << s;
  }
}

TEST(CheckHeader, RejectsASizeThatDisagreesWithTheBytes) {
  const std::vector<std::byte> bytes = valid_segment_bytes();
  expect_error(check_header(bytes, small_spec(), bytes.size() + 1),
               absl::StatusCode::kInvalidArgument, "bytes given for an object of");
}

TEST(CheckHeader, RejectsTotalBytesThatDoNotAddUp) {
  std::vector<std::byte> bytes = valid_segment_bytes();
  const std::uint64_t total = bytes.size() + 64;
  std::memcpy(bytes.data() + offsetof(LayoutHeader, total_bytes), &total, sizeof total);
  expect_error(check(bytes, small_spec()), absl::StatusCode::kFailedPrecondition,
               "do not add up");
}

// The bytes the header check ignores: the shared state word (the attacher
// loads it atomically) and the informational creator pid and uid.
bool is_unchecked_offset(std::size_t offset) {
  const auto within = [offset](std::size_t field, std::size_t size) {
    return offset >= field && offset < field + size;
  };
  return within(offsetof(LayoutHeader, state), 4) ||
         within(offsetof(LayoutHeader, creator_pid), 4) ||
         within(offsetof(LayoutHeader, creator_uid), 4);
}

TEST(CheckHeader, EverySingleByteCorruptionFailsWithAMessageOrIsIgnored) {
  const std::vector<std::byte> valid = valid_segment_bytes();
  for (std::size_t offset = 0; offset < sizeof(LayoutHeader); ++offset) {
    const auto original = static_cast<std::uint8_t>(valid[offset]);
    for (std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0x01}, std::uint8_t{0x7f},
                               std::uint8_t{0x80}, std::uint8_t{0xff},
                               static_cast<std::uint8_t>(original ^ 0x01),
                               static_cast<std::uint8_t>(original ^ 0x40)}) {
      std::vector<std::byte> bytes = valid;
      bytes[offset] = static_cast<std::byte>(value);
      const absl::Status s = check(bytes, small_spec());
      if (value == original || is_unchecked_offset(offset)) {
        EXPECT_TRUE(s.ok()) << "offset " << offset << " value " << int{value} << ": " << s;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition)
            << "offset " << offset << " value " << int{value} << ": " << s;
        EXPECT_NE(s.message().find(": "), absl::string_view::npos) << s;
      }
    }
  }
}

// ---- create and attach ---------------------------------------------------------

TEST_F(SegmentTest, CreateThenAttachShareTheRegion) {
  CreateOptions options;
  options.init = [](std::byte* region) { fill(region, small_spec().region_bytes, 7); };
  Segment created = create(options);
  ASSERT_NE(created.region(), nullptr);
  EXPECT_TRUE(created.created());
  EXPECT_EQ(created.region_bytes(), small_spec().region_bytes);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(created.region()) % 64, 0u);

  absl::StatusOr<Segment> attached = Segment::attach(name_, small_spec());
  ASSERT_TRUE(attached.ok()) << attached.status();
  EXPECT_FALSE(attached->created());
  EXPECT_NE(attached->region(), created.region());  // two mappings of one object
  std::vector<std::byte> expected(small_spec().region_bytes);
  fill(expected.data(), expected.size(), 7);
  EXPECT_EQ(std::memcmp(attached->region(), expected.data(), expected.size()), 0)
      << "the attacher does not see what init wrote";

  created.region()[100] = std::byte{0xab};
  EXPECT_EQ(attached->region()[100], std::byte{0xab});
  attached->region()[200] = std::byte{0xcd};
  EXPECT_EQ(created.region()[200], std::byte{0xcd});
}

TEST_F(SegmentTest, HeaderSaysWhoCreatedWhat) {
  const Segment segment = create();
  const LayoutHeader& h = segment.header();
  EXPECT_EQ(h.magic, kMagic);
  EXPECT_EQ(h.version, kLayoutVersion);
  EXPECT_EQ(h.state, static_cast<std::uint32_t>(SegmentState::kReady));
  EXPECT_EQ(h.creator_pid, ::getpid());
  EXPECT_EQ(h.creator_uid, ::geteuid());
  EXPECT_EQ(h.region_offset, kRegionOffset);
  EXPECT_EQ(spec_of(h), small_spec());
  EXPECT_EQ(static_cast<std::uint64_t>(stat_path(path()).st_size), total_bytes(small_spec()));
}

TEST_F(SegmentTest, AttachToAnAbsentNameIsNotFound) {
  expect_error(Segment::attach(name_, small_spec()).status(), absl::StatusCode::kNotFound,
               "No such file or directory");
  EXPECT_FALSE(path_exists(path())) << "attach created the object";
}

TEST_F(SegmentTest, CreateTwiceIsAlreadyExists) {
  const Segment first = create();
  expect_error(Segment::create(name_, small_spec()).status(), absl::StatusCode::kAlreadyExists,
               "already exists");
}

TEST_F(SegmentTest, CreateRefusesANameAndSpecOfDifferentKinds) {
  SegmentSpec spec = small_spec();
  spec.kind = kKind + 1;
  expect_error(Segment::create(name_, spec).status(), absl::StatusCode::kInvalidArgument,
               "kind: the name has 3, the spec 4");
  EXPECT_FALSE(path_exists(path()));
}

TEST_F(SegmentTest, UnlinkRemovesTheNameNotTheMappings) {
  Segment segment = create();
  segment.region()[0] = std::byte{1};
  ASSERT_TRUE(Segment::unlink(name_).ok());
  EXPECT_EQ(segment.region()[0], std::byte{1});
  EXPECT_TRUE(absl::IsNotFound(Segment::attach(name_, small_spec()).status()));
  EXPECT_TRUE(absl::IsNotFound(Segment::unlink(name_)));
}

struct Mismatch {
  std::string label;
  StorageVariant created_variant;
  std::function<void(SegmentSpec&)> change;
  std::string fragment;
};

class AttachMismatchTest : public SegmentTest,
                           public ::testing::WithParamInterface<Mismatch> {};

SegmentSpec spec_of_variant(StorageVariant v) {
  const RingSpec ring{8, 48};
  switch (v) {
    case StorageVariant::kRwlock: return specs::rwlock_spec(kKind, ring);
    case StorageVariant::kDisruptor:
      return specs::disruptor_spec(kKind, ring, OverflowMode::kOverwrite);
    case StorageVariant::kSeqlock: break;
  }
  return specs::seqlock_spec(kKind, ring);
}

TEST_P(AttachMismatchTest, NamesTheFieldAndWritesNothing) {
  const Mismatch& m = GetParam();
  const SegmentSpec created_spec = spec_of_variant(m.created_variant);
  CreateOptions options;
  options.init = [&](std::byte* region) { fill(region, created_spec.region_bytes, 3); };
  absl::StatusOr<Segment> created = Segment::create(name_, created_spec, options);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::uint64_t before = checksum(path());

  SegmentSpec expected = created_spec;
  m.change(expected);
  ASSERT_TRUE(validate(expected).ok()) << validate(expected);
  expect_error(Segment::attach(name_, expected).status(), absl::StatusCode::kFailedPrecondition,
               m.fragment);
  EXPECT_EQ(checksum(path()), before) << "a refused attach changed the segment";
}

const RingSpec kSmallRing{8, 48};

INSTANTIATE_TEST_SUITE_P(
    Fields, AttachMismatchTest,
    ::testing::Values(
        Mismatch{"capacity", StorageVariant::kSeqlock,
                 [](SegmentSpec& s) { s = specs::seqlock_spec(kKind, RingSpec{16, 48}); },
                 "capacity: segment has 8, expected 16"},
        Mismatch{"payload_capacity", StorageVariant::kSeqlock,
                 [](SegmentSpec& s) { s.payload_capacity = 56; },
                 "payload capacity: segment has 48, expected 56"},
        Mismatch{"kind", StorageVariant::kSeqlock, [](SegmentSpec& s) { s.kind = kKind + 1; },
                 "kind: segment has 3, expected 4"},
        Mismatch{"variant", StorageVariant::kSeqlock,
                 [](SegmentSpec& s) { s = specs::rwlock_spec(kKind, kSmallRing); },
                 "variant: segment has seqlock, expected rwlock"},
        Mismatch{"overflow_mode", StorageVariant::kDisruptor,
                 [](SegmentSpec& s) { s.overflow = OverflowMode::kGated; },
                 "overflow mode: segment has overwrite, expected gated"},
        Mismatch{"writer_mode", StorageVariant::kSeqlock,
                 [](SegmentSpec& s) {
                   s = specs::seqlock_spec(kKind, kSmallRing, WriterMode::kSingle);
                 },
                 "writer mode: segment has multi, expected single"},
        Mismatch{"marker_layout", StorageVariant::kDisruptor,
                 [](SegmentSpec& s) {
                   s = specs::disruptor_spec(kKind, kSmallRing, OverflowMode::kOverwrite,
                                             WriterMode::kMulti, MarkerLayout::kApart);
                 },
                 "marker layout: segment has inline, expected apart"},
        Mismatch{"stride", StorageVariant::kSeqlock,
                 [](SegmentSpec& s) {
                   s.slot_stride += 64;
                   s.region_bytes += s.capacity * 64;
                 },
                 "slot stride: segment has 128, expected 192"},
        Mismatch{"region_bytes", StorageVariant::kRwlock,
                 [](SegmentSpec& s) { s.region_bytes += 64; }, "region bytes: segment has"}),
    [](const ::testing::TestParamInfo<Mismatch>& info) { return info.param.label; });

TEST_F(SegmentTest, ATruncatedObjectIsRefused) {
  const Segment segment = create();
  const std::uint64_t total = total_bytes(small_spec());
  with_raw_fd(path(), [&](int fd) { ASSERT_EQ(::ftruncate(fd, total - 64), 0); });
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition,
               absl::StrCat("total bytes: segment has ", total, ", but the object is ",
                            total - 64, " bytes"));
  with_raw_fd(path(), [](int fd) { ASSERT_EQ(::ftruncate(fd, 40), 0); });
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition,
               "size: object is 40 bytes, smaller than the 80-byte header");
  with_raw_fd(path(), [](int fd) { ASSERT_EQ(::ftruncate(fd, 0), 0); });
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition, "object is 0 bytes");
}

TEST_F(SegmentTest, ACorruptedMagicIsRefused) {
  const Segment segment = create();
  overwrite_at(path(), 0, 'X');
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition,
               "magic: segment has \"XINGLABS\", expected \"RINGLABS\"");
}

TEST_F(SegmentTest, ALayoutVersionBumpIsRefused) {
  const Segment segment = create();
  overwrite_at(path(), offsetof(LayoutHeader, version), kLayoutVersion + 1);
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition,
               absl::StrCat("layout version: segment has ", kLayoutVersion + 1, ", expected ",
                            kLayoutVersion));
}

TEST_F(SegmentTest, ASegmentNotReadyIsRefused) {
  const Segment segment = create();
  overwrite_at(path(), offsetof(LayoutHeader, state),
               static_cast<std::uint32_t>(SegmentState::kInitialising));
  expect_error(Segment::attach(name_, small_spec()).status(),
               absl::StatusCode::kFailedPrecondition, "state: segment has initialising");
}

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
