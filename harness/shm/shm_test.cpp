// Tests of the shared-memory segment: names, the layout's validation, and the
// create / attach protocol across processes. Every test uses its own name
// (pid + test name) and unlinks it afterwards; every segment is a few KiB.

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/variants.hpp"
#include "segment_fixture.hpp"

namespace ringlab::shm {
namespace {

using namespace segment_test;

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
    EXPECT_NE(s.message().find(size < sizeof(LayoutHeader) ? "smaller than the 88-byte header"
                                                           : "total bytes"),
              absl::string_view::npos)
        << s;
  }
}

// The first counter the header records is bounded as create bounds it: one
// past the maximum is refused as corrupt, the maximum itself accepted.
TEST(CheckHeader, RejectsAFirstCounterPastTheMaximum) {
  std::vector<std::byte> bytes = valid_segment_bytes();
  const auto set_first = [&](std::uint64_t first) {
    std::memcpy(bytes.data() + offsetof(LayoutHeader, first_counter), &first, sizeof first);
  };
  set_first(kMaxFirstCounter);
  EXPECT_TRUE(check(bytes, small_spec()).ok());
  for (const std::uint64_t bad : {kMaxFirstCounter + 1, ~std::uint64_t{0}}) {
    set_first(bad);
    expect_error(check(bytes, small_spec()), absl::StatusCode::kFailedPrecondition,
                 "first counter: segment has");
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

bool is_first_counter(std::size_t offset) {
  return offset >= offsetof(LayoutHeader, first_counter) &&
         offset < offsetof(LayoutHeader, first_counter) + sizeof(std::uint64_t);
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
      std::uint64_t first = 0;
      std::memcpy(&first, bytes.data() + offsetof(LayoutHeader, first_counter), sizeof first);
      // The first counter is checked by its bound only: any value up to it is a ring's start.
      if (value == original || is_unchecked_offset(offset) ||
          (is_first_counter(offset) && first <= kMaxFirstCounter)) {
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
               "size: object is 40 bytes, smaller than the 88-byte header");
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


}  // namespace
}  // namespace ringlab::shm
