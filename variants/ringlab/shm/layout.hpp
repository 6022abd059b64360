// The layout of a ringlab shared-memory segment and its validation, with no
// system calls: what the segment code, its tests and the fuzz target share.
//
//   offset 0               LayoutHeader (88 bytes)
//   offset kRegionOffset   the storage region (region_bytes), laid out by the storage
//   total_bytes            = kRegionOffset + region_bytes, the object's exact size
//
// A segment is for one machine. Every multi-byte field is in the machine's native
// byte order and the layout assumes its ABI (64-bit, lock-free 32-bit atomics),
// which the static_asserts below pin down. A process of another byte order or
// word size sees a wrong magic or version, never a misread field.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ringlab/detail/region.hpp"
#include "ringlab/disruptor/sequencer.hpp"
#include "ringlab/frame.hpp"

namespace ringlab::shm {

// Which slot storage lays out the region. 0 names none, so a zero-filled header
// never passes for a segment of any variant.
enum class StorageVariant : std::uint8_t { kRwlock = 1, kSeqlock = 2, kDisruptor = 3 };

// The variant whose storage has this kName ("rwlock", "seqlock", "disruptor").
constexpr std::optional<StorageVariant> variant_named(std::string_view name) {
  if (name == "rwlock") return StorageVariant::kRwlock;
  if (name == "seqlock") return StorageVariant::kSeqlock;
  if (name == "disruptor") return StorageVariant::kDisruptor;
  return std::nullopt;
}

// Raw header bytes may hold any value; these name the known ones and show the rest.
inline std::string describe_variant(std::uint8_t raw) {
  switch (raw) {
    case static_cast<std::uint8_t>(StorageVariant::kRwlock): return "rwlock";
    case static_cast<std::uint8_t>(StorageVariant::kSeqlock): return "seqlock";
    case static_cast<std::uint8_t>(StorageVariant::kDisruptor): return "disruptor";
  }
  return absl::StrCat("unknown variant ", raw);
}
inline std::string describe_mode(std::uint8_t raw) {
  switch (raw) {
    case static_cast<std::uint8_t>(OverflowMode::kOverwrite): return "overwrite";
    case static_cast<std::uint8_t>(OverflowMode::kGated): return "gated";
  }
  return absl::StrCat("unknown overflow mode ", raw);
}

// How many processes may write the ring: any number (each registered in the
// storage's writer table) or one, holding the region's writer lease. The
// header's own codes, apart from WriterMode's, so that 0 names neither.
enum class SegmentWriterMode : std::uint8_t { kMulti = 1, kSingle = 2 };

constexpr SegmentWriterMode segment_writer_mode(WriterMode mode) {
  return mode == WriterMode::kSingle ? SegmentWriterMode::kSingle : SegmentWriterMode::kMulti;
}

// Where the slot markers lie: on each slot's first line (seqlock, and rwlock's
// per-slot lock), or in a dense array apart from the bodies (a disruptor
// option). 0 names neither.
enum class SegmentMarkerLayout : std::uint8_t { kInline = 1, kApart = 2 };

inline std::string describe_writer_mode(std::uint8_t raw) {
  switch (raw) {
    case static_cast<std::uint8_t>(SegmentWriterMode::kMulti): return "multi";
    case static_cast<std::uint8_t>(SegmentWriterMode::kSingle): return "single";
  }
  return absl::StrCat("unknown writer mode ", raw);
}
inline std::string describe_marker_layout(std::uint8_t raw) {
  switch (raw) {
    case static_cast<std::uint8_t>(SegmentMarkerLayout::kInline): return "inline";
    case static_cast<std::uint8_t>(SegmentMarkerLayout::kApart): return "apart";
  }
  return absl::StrCat("unknown marker layout ", raw);
}

// What a creator asks for and an attacher expects. The caller computes
// slot_stride and region_bytes from its storage (e.g. SeqlockStorage's
// slot_stride(spec) and region_bytes(spec)), so a storage whose layout changes
// makes old segments mismatch instead of being misread.
struct SegmentSpec {
  std::uint8_t kind = 0;
  StorageVariant variant = StorageVariant::kSeqlock;
  OverflowMode overflow = OverflowMode::kOverwrite;  // kGated for disruptor only
  SegmentWriterMode writer_mode = SegmentWriterMode::kMulti;  // kSingle: seqlock, disruptor
  SegmentMarkerLayout marker_layout = SegmentMarkerLayout::kInline;  // kApart: disruptor only
  std::uint64_t capacity = 0;                         // slots, a power of two
  std::uint64_t payload_capacity = 0;                 // bytes per frame
  std::uint64_t slot_stride = 0;                      // bytes from one slot to the next
  std::uint64_t region_bytes = 0;                     // the storage's whole region
  friend bool operator==(const SegmentSpec&, const SegmentSpec&) = default;
};

inline constexpr std::array<char, 8> kMagic = {'R', 'I', 'N', 'G', 'L', 'A', 'B', 'S'};
// Bumped whenever LayoutHeader, the meaning of a field or a storage's region
// layout changes. 2: writer tables and owner numbers in markers (crash recovery).
// 3: the writer mode (byte 19) and the marker layout (byte 28) take reserved
// bytes; the seqlock and disruptor regions gained the writer lease word, and
// the disruptor's markers may lie apart from the bodies. 4: an rwlock slot's
// lock is a lock word recording its writer (detail/slot_lock.hpp), not a
// pthread rwlock. 5: the header records the first counter (byte 80); the
// disruptor region gained its wait line (the blocking strategy's futex word,
// sleeper count and alert flag) after the sequencer. 6: the rwlock lock word
// gained a generation (revocable shared holds): generation << 47 | pid << 24
// | reader count, where it was pid << 32 | count.
inline constexpr std::uint32_t kLayoutVersion = 6;

// The largest first counter a segment may record: RingOptions::kMaxFirstCounter
// (markers carry counters below 2^54; shm/shared_ring.hpp checks they agree).
inline constexpr std::uint64_t kMaxFirstCounter = std::uint64_t{1} << 53;

// The state word. Non-zero codes, so that zero-filled memory (an object not yet
// written) is neither.
enum class SegmentState : std::uint32_t {
  kInitialising = 0x54494e49,  // "INIT" in little-endian bytes
  kReady = 0x59444552,         // "REDY"
};

struct LayoutHeader {
  std::array<char, 8> magic;       // kMagic
  std::uint32_t version;           // kLayoutVersion
  std::uint32_t state;             // a SegmentState; shared: only through state_word()
  std::uint8_t kind;               // the NetId64 kind the ring carries
  std::uint8_t variant;            // a StorageVariant
  std::uint8_t overflow_mode;      // an OverflowMode
  std::uint8_t writer_mode;        // a SegmentWriterMode
  std::int32_t creator_pid;        // informational: who created it
  std::uint32_t creator_uid;       // informational; fstat's owner is what attach trusts
  std::uint8_t marker_layout;      // a SegmentMarkerLayout
  std::array<std::uint8_t, 3> reserved;  // 0; explicit, so no byte of the header is padding
  std::uint64_t capacity;
  std::uint64_t payload_capacity;
  std::uint64_t slot_stride;
  std::uint64_t region_offset;     // kRegionOffset
  std::uint64_t region_bytes;
  std::uint64_t total_bytes;       // region_offset + region_bytes: the object's size
  std::uint64_t first_counter;     // the counter of the ring's first write, <= kMaxFirstCounter
};

static_assert(std::is_standard_layout_v<LayoutHeader>);
static_assert(std::is_trivially_copyable_v<LayoutHeader>);
static_assert(sizeof(LayoutHeader) == 88);
static_assert(offsetof(LayoutHeader, magic) == 0);
static_assert(offsetof(LayoutHeader, version) == 8);
static_assert(offsetof(LayoutHeader, state) == 12);
static_assert(offsetof(LayoutHeader, kind) == 16);
static_assert(offsetof(LayoutHeader, variant) == 17);
static_assert(offsetof(LayoutHeader, overflow_mode) == 18);
static_assert(offsetof(LayoutHeader, writer_mode) == 19);
static_assert(offsetof(LayoutHeader, creator_pid) == 20);
static_assert(offsetof(LayoutHeader, creator_uid) == 24);
static_assert(offsetof(LayoutHeader, marker_layout) == 28);
static_assert(offsetof(LayoutHeader, reserved) == 29);
static_assert(offsetof(LayoutHeader, capacity) == 32);
static_assert(offsetof(LayoutHeader, payload_capacity) == 40);
static_assert(offsetof(LayoutHeader, slot_stride) == 48);
static_assert(offsetof(LayoutHeader, region_offset) == 56);
static_assert(offsetof(LayoutHeader, region_bytes) == 64);
static_assert(offsetof(LayoutHeader, total_bytes) == 72);
static_assert(offsetof(LayoutHeader, first_counter) == 80);
// Another process maps the same word: the atomic must be address-free, which
// means lock-free, and atomic_ref's alignment must be what the offset gives.
static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free);
static_assert(offsetof(LayoutHeader, state) % std::atomic_ref<std::uint32_t>::required_alignment ==
              0);

// The region starts on its own cache line, so the storage's first atomic does
// not share a line with the header.
inline constexpr std::uint64_t kRegionOffset =
    ringlab::detail::round_up(sizeof(LayoutHeader), ringlab::detail::kCacheLine);
// Every slot holds 64-bit atomics.
inline constexpr std::uint64_t kSlotAlignment = alignof(std::uint64_t);
// Far above any real segment (64 TiB), and far enough below 2^64 that no sum of
// a valid header's fields can overflow.
inline constexpr std::uint64_t kMaxRegionBytes = std::uint64_t{1} << 46;
inline constexpr std::uint64_t kMaxTotalBytes = kRegionOffset + kMaxRegionBytes;

namespace detail {

inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

inline bool is_known_variant(std::uint8_t raw) {
  return raw >= static_cast<std::uint8_t>(StorageVariant::kRwlock) &&
         raw <= static_cast<std::uint8_t>(StorageVariant::kDisruptor);
}
inline bool is_known_mode(std::uint8_t raw) {
  return raw <= static_cast<std::uint8_t>(OverflowMode::kGated);
}
inline bool is_known_writer_mode(std::uint8_t raw) {
  return raw == static_cast<std::uint8_t>(SegmentWriterMode::kMulti) ||
         raw == static_cast<std::uint8_t>(SegmentWriterMode::kSingle);
}
inline bool is_known_marker_layout(std::uint8_t raw) {
  return raw == static_cast<std::uint8_t>(SegmentMarkerLayout::kInline) ||
         raw == static_cast<std::uint8_t>(SegmentMarkerLayout::kApart);
}

// Each returns the first problem of one group of a spec's fields, as
// "field: problem", or nothing.
using Problem = std::optional<std::string>;

inline Problem storage_problem(const SegmentSpec& spec) {
  const auto variant = static_cast<std::uint8_t>(spec.variant);
  const auto mode = static_cast<std::uint8_t>(spec.overflow);
  if (!is_known_variant(variant)) return absl::StrCat("variant: ", describe_variant(variant));
  if (!is_known_mode(mode)) return absl::StrCat("overflow mode: ", describe_mode(mode));
  if (spec.overflow == OverflowMode::kGated && spec.variant != StorageVariant::kDisruptor) {
    return absl::StrCat("overflow mode: gated, but only a disruptor can be gated, not a ",
                        describe_variant(variant));
  }
  return std::nullopt;
}

inline Problem writers_problem(const SegmentSpec& spec) {
  const auto writers = static_cast<std::uint8_t>(spec.writer_mode);
  const auto layout = static_cast<std::uint8_t>(spec.marker_layout);
  if (!is_known_writer_mode(writers)) {
    return absl::StrCat("writer mode: ", describe_writer_mode(writers));
  }
  if (!is_known_marker_layout(layout)) {
    return absl::StrCat("marker layout: ", describe_marker_layout(layout));
  }
  if (spec.writer_mode == SegmentWriterMode::kSingle && spec.variant == StorageVariant::kRwlock) {
    return "writer mode: single, but a rwlock has no single-writer mode";
  }
  if (spec.marker_layout == SegmentMarkerLayout::kApart &&
      spec.variant != StorageVariant::kDisruptor) {
    return absl::StrCat("marker layout: apart, but only a disruptor keeps its markers apart, "
                        "not a ", describe_variant(static_cast<std::uint8_t>(spec.variant)));
  }
  return std::nullopt;
}

// The bounds of RingSpec::validate, which the ring will apply to the same values.
inline Problem ring_problem(const SegmentSpec& spec) {
  if (spec.capacity == 0 || !std::has_single_bit(spec.capacity)) {
    return absl::StrCat("capacity: ", spec.capacity, " is not a power of two > 0");
  }
  if (spec.capacity > RingSpec::kMaxCapacity) {
    return absl::StrCat("capacity: ", spec.capacity, " exceeds the maximum ",
                        RingSpec::kMaxCapacity);
  }
  if (spec.payload_capacity > RingSpec::kMaxPayloadCapacity) {
    return absl::StrCat("payload capacity: ", spec.payload_capacity, " exceeds the maximum ",
                        RingSpec::kMaxPayloadCapacity);
  }
  return std::nullopt;
}

inline Problem stride_problem(const SegmentSpec& spec) {
  if (spec.slot_stride == 0 || spec.slot_stride % kSlotAlignment != 0) {
    return absl::StrCat("slot stride: ", spec.slot_stride, " is not a positive multiple of ",
                        kSlotAlignment);
  }
  if (spec.slot_stride < spec.payload_capacity) {
    return absl::StrCat("slot stride: ", spec.slot_stride, " bytes cannot hold a payload of ",
                        spec.payload_capacity);
  }
  return std::nullopt;
}

// Every slot address an attacher computes, region + (counter & (capacity - 1))
// * stride, stays inside a region that passes this.
inline Problem region_problem(const SegmentSpec& spec) {
  if (spec.region_bytes > kMaxRegionBytes) {
    return absl::StrCat("region bytes: ", spec.region_bytes, " exceeds the maximum ",
                        kMaxRegionBytes);
  }
  if (spec.region_bytes % kSlotAlignment != 0) {
    return absl::StrCat("region bytes: ", spec.region_bytes, " is not a multiple of ",
                        kSlotAlignment);
  }
  const std::optional<std::uint64_t> slots = checked_mul(spec.capacity, spec.slot_stride);
  if (!slots || *slots > spec.region_bytes) {
    return absl::StrCat("region bytes: ", spec.region_bytes, " cannot hold ", spec.capacity,
                        " slots of ", spec.slot_stride, " bytes");
  }
  return std::nullopt;
}

// The first problem of a spec's own fields. Shared by the caller's spec and
// the spec a segment's header claims.
inline Problem spec_problem(const SegmentSpec& spec) {
  for (Problem (*check)(const SegmentSpec&) :
       {&storage_problem, &writers_problem, &ring_problem, &stride_problem, &region_problem}) {
    if (Problem problem = check(spec)) return problem;
  }
  return std::nullopt;
}

template <class T>
std::string show(const T& value) {
  return absl::StrCat(value);
}
inline std::string show(StorageVariant v) { return describe_variant(static_cast<std::uint8_t>(v)); }
inline std::string show(OverflowMode m) { return describe_mode(static_cast<std::uint8_t>(m)); }
inline std::string show(SegmentWriterMode m) {
  return describe_writer_mode(static_cast<std::uint8_t>(m));
}
inline std::string show(SegmentMarkerLayout l) {
  return describe_marker_layout(static_cast<std::uint8_t>(l));
}
inline std::string show(std::uint8_t v) { return absl::StrCat(unsigned{v}); }
inline std::string show(const std::array<char, 8>& magic) {
  return absl::StrCat("\"", absl::CHexEscape(absl::string_view(magic.data(), magic.size())), "\"");
}

// "field: segment has X, expected Y", or OK when they agree.
template <class T>
absl::Status expect_equal(std::string_view field, const T& found, const T& expected) {
  if (found == expected) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(ringlab::detail::sv(field), ": segment has ", show(found), ", expected ", show(expected)));
}

}  // namespace detail

// OK, or InvalidArgument naming the first field that no segment could have.
inline absl::Status validate(const SegmentSpec& spec) {
  if (std::optional<std::string> problem = detail::spec_problem(spec)) {
    return absl::InvalidArgumentError(*problem);
  }
  return absl::OkStatus();
}

// The object size of a segment of a valid spec (kRegionOffset + region_bytes;
// validate() bounds region_bytes, so the sum cannot overflow).
inline std::uint64_t total_bytes(const SegmentSpec& spec) {
  return kRegionOffset + spec.region_bytes;
}

// The header a creator writes for a valid spec; its state is kInitialising.
inline LayoutHeader make_header(const SegmentSpec& spec, std::int32_t creator_pid,
                                std::uint32_t creator_uid, std::uint64_t first_counter = 0) {
  LayoutHeader h{};
  h.magic = kMagic;
  h.version = kLayoutVersion;
  h.state = static_cast<std::uint32_t>(SegmentState::kInitialising);
  h.kind = spec.kind;
  h.variant = static_cast<std::uint8_t>(spec.variant);
  h.overflow_mode = static_cast<std::uint8_t>(spec.overflow);
  h.writer_mode = static_cast<std::uint8_t>(spec.writer_mode);
  h.creator_pid = creator_pid;
  h.creator_uid = creator_uid;
  h.marker_layout = static_cast<std::uint8_t>(spec.marker_layout);
  h.capacity = spec.capacity;
  h.payload_capacity = spec.payload_capacity;
  h.slot_stride = spec.slot_stride;
  h.region_offset = kRegionOffset;
  h.region_bytes = spec.region_bytes;
  h.total_bytes = total_bytes(spec);
  h.first_counter = first_counter;
  return h;
}

// The spec a header claims, raw enum values included (validate() rejects unknown ones).
inline SegmentSpec spec_of(const LayoutHeader& h) {
  return SegmentSpec{.kind = h.kind,
                     .variant = static_cast<StorageVariant>(h.variant),
                     .overflow = static_cast<OverflowMode>(h.overflow_mode),
                     .writer_mode = static_cast<SegmentWriterMode>(h.writer_mode),
                     .marker_layout = static_cast<SegmentMarkerLayout>(h.marker_layout),
                     .capacity = h.capacity,
                     .payload_capacity = h.payload_capacity,
                     .slot_stride = h.slot_stride,
                     .region_bytes = h.region_bytes};
}

// The shared state word of a mapped header. `header_bytes` is the segment's
// first byte: a mapping, page-aligned, so the word is aligned for atomic_ref.
inline std::atomic_ref<std::uint32_t> state_word(std::byte* header_bytes) {
  return std::atomic_ref<std::uint32_t>(
      *std::launder(reinterpret_cast<std::uint32_t*>(header_bytes + offsetof(LayoutHeader, state))));
}

// OK when an object of object_size bytes can hold a header and is no larger
// than any segment; FailedPrecondition otherwise. Checked before mapping it.
inline absl::Status check_object_size(std::uint64_t object_size) {
  if (object_size < sizeof(LayoutHeader)) {
    return absl::FailedPreconditionError(
        absl::StrCat("size: object is ", object_size, " bytes, smaller than the ",
                     sizeof(LayoutHeader), "-byte header (truncated, or not a ringlab segment)"));
  }
  if (object_size > kMaxTotalBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "size: object is ", object_size, " bytes, more than any segment (", kMaxTotalBytes, ")"));
  }
  return absl::OkStatus();
}

namespace detail {

inline absl::Status check_identity(const LayoutHeader& h) {
  absl::Status s = expect_equal("magic", h.magic, kMagic);
  if (s.ok()) s = expect_equal("layout version", h.version, kLayoutVersion);
  for (std::size_t i = 0; s.ok() && i < h.reserved.size(); ++i) {
    s = expect_equal(absl::StrCat("reserved byte ", offsetof(LayoutHeader, reserved) + i),
                     h.reserved[i], std::uint8_t{0});
  }
  if (s.ok() && h.first_counter > kMaxFirstCounter) {
    s = absl::FailedPreconditionError(absl::StrCat("first counter: segment has ", h.first_counter,
                                                   ", more than the maximum ", kMaxFirstCounter));
  }
  return s;
}

// The header's own fields, before comparing them with anything: a corrupt
// header says "corrupt", not "mismatch".
inline absl::Status check_claimed_spec(const SegmentSpec& claimed) {
  if (std::optional<std::string> problem = spec_problem(claimed)) {
    return absl::FailedPreconditionError(absl::StrCat("segment header: ", *problem));
  }
  return absl::OkStatus();
}

inline absl::Status check_matches(const SegmentSpec& found, const SegmentSpec& expected) {
  absl::Status s = expect_equal("kind", found.kind, expected.kind);
  if (s.ok()) s = expect_equal("variant", found.variant, expected.variant);
  if (s.ok()) s = expect_equal("overflow mode", found.overflow, expected.overflow);
  if (s.ok()) s = expect_equal("writer mode", found.writer_mode, expected.writer_mode);
  if (s.ok()) s = expect_equal("marker layout", found.marker_layout, expected.marker_layout);
  if (s.ok()) s = expect_equal("capacity", found.capacity, expected.capacity);
  if (s.ok()) s = expect_equal("payload capacity", found.payload_capacity, expected.payload_capacity);
  if (s.ok()) s = expect_equal("slot stride", found.slot_stride, expected.slot_stride);
  if (s.ok()) s = expect_equal("region bytes", found.region_bytes, expected.region_bytes);
  return s;
}

// Where the region lies: at kRegionOffset, ending exactly at the object's end.
inline absl::Status check_placement(const LayoutHeader& h, std::uint64_t object_size) {
  absl::Status s = expect_equal("region offset", h.region_offset, kRegionOffset);
  if (!s.ok()) return s;
  const std::optional<std::uint64_t> end = checked_add(h.region_offset, h.region_bytes);
  if (!end || *end != h.total_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("total bytes: segment has ", h.total_bytes, ", but region offset ",
                     h.region_offset, " + region bytes ", h.region_bytes, " do not add up to it"));
  }
  if (h.total_bytes != object_size) {
    return absl::FailedPreconditionError(absl::StrCat("total bytes: segment has ", h.total_bytes,
                                                      ", but the object is ", object_size,
                                                      " bytes (truncated or resized)"));
  }
  return absl::OkStatus();
}

}  // namespace detail

// Validates a header already copied out of an object of object_size bytes
// (at least sizeof(LayoutHeader): check_object_size). InvalidArgument if
// `expected` itself is invalid; FailedPrecondition naming the first field that
// is wrong and both values ("capacity: segment has 64, expected 128")
// otherwise. The state word is not checked here: it is shared, and read with
// an atomic load by the attacher.
inline absl::Status check_header_copy(const LayoutHeader& h, const SegmentSpec& expected,
                                      std::uint64_t object_size) {
  if (absl::Status s = validate(expected); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("expected spec: ", s.message()));
  }
  absl::Status s = detail::check_identity(h);
  if (s.ok()) s = detail::check_claimed_spec(spec_of(h));
  if (s.ok()) s = detail::check_matches(spec_of(h), expected);
  if (s.ok()) s = detail::check_placement(h, object_size);
  return s;
}

// Validates a header copy on its own, for a reader that expects no particular
// spec (tools/shm inspects whatever segments exist): identity, the header's
// own spec and placement, as check_header_copy checks them.
inline absl::Status check_header_alone(const LayoutHeader& h, std::uint64_t object_size) {
  absl::Status s = detail::check_identity(h);
  if (s.ok()) s = detail::check_claimed_spec(spec_of(h));
  if (s.ok()) s = detail::check_placement(h, object_size);
  return s;
}

// Validates untrusted bytes: `bytes` is the whole object as mapped (or a fuzz
// input), object_size what fstat says it is. Reads nothing outside `bytes`,
// whatever they hold: the header is copied out before any field is looked at.
inline absl::Status check_header(std::span<const std::byte> bytes, const SegmentSpec& expected,
                                 std::uint64_t object_size) {
  if (bytes.size() != object_size) {
    return absl::InvalidArgumentError(absl::StrCat("size: ", bytes.size(),
                                                   " bytes given for an object of ",
                                                   object_size, " bytes"));
  }
  if (absl::Status s = check_object_size(object_size); !s.ok()) return s;
  LayoutHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  return check_header_copy(h, expected, object_size);
}

}  // namespace ringlab::shm
