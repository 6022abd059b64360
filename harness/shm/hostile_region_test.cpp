// Hostile regions: any process of the segment's user can write any bytes into
// a ring's region. For every shareable storage (hostile_fixture.hpp) and every
// operation (hostile_ops.hpp), a real segment is created and prefilled, its
// region corrupted (seeded random bytes; chosen bad markers, lengths, slot
// fields, writer-table pids, lease words, gates and head words), and the
// operation run in a forked child with a deadline: it must end in time,
// without a crash or sanitizer report, with frames whole or counted as loss.
//
// Each failing case is named "variant/corruption/op" in the test's output
// (lines "HOSTILE-FAIL ..."). RINGLAB_HOSTILE_OP_DEADLINE_MS sets the
// per-operation deadline (default 5000; operations take milliseconds, and
// the writer stall bound under test is 20 ms).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hostile_fixture.hpp"
#include "hostile_ops.hpp"
#include "shm_test_util.hpp"

namespace ringlab::shm::hostile {
namespace {

using ringlab::detail::committed_marker;
using ringlab::detail::writing_marker;

std::chrono::milliseconds op_deadline() {
  const char* env = std::getenv("RINGLAB_HOSTILE_OP_DEADLINE_MS");
  const long ms = env != nullptr ? std::strtol(env, nullptr, 10) : 0;
  return std::chrono::milliseconds(ms > 0 ? ms : 5000);
}

// Every slot's length word set to `length`, its frame kind kept.
Corruption every_length(std::uint64_t length) {
  return words(absl::StrCat("length_", length), [length](std::byte* r, const RegionMap& m) {
    for (const std::size_t body : m.bodies) {
      const std::uint64_t meta = peek64(r, body + 16);
      poke64(r, body + 16, (meta & 0xFF) | length << 8);
    }
  });
}

Corruption head_at(std::uint64_t head) {
  return words(absl::StrCat("head_", head), [head](std::byte* r, const RegionMap& m) {
    poke64(r, m.head, head);
  });
}

template <class V>
class HostileRegion : public ::testing::Test {
 protected:
  using S = typename V::Storage;

  // Creates the segment, prefills it, then for each operation restores the
  // prefilled bytes, plants `corruption` and runs the operation in a child.
  void run(const Corruption& corruption) {
    const SegmentName name = test_util::segment_name_for_test(
        absl::StrCat("hostile", ::getpid()), V::name(), kKind);
    SharedRingOptions shared;
    if (V::kSingle) shared.role = RingRole::kWriter;
    {
      auto ring = create_ring<S>(name, kSpec, V::options(), shared);
      ASSERT_TRUE(ring.ok()) << ring.status();
      prefill(**ring);
    }  // gives the writer lease back: a child may take it
    const absl::StatusOr<SegmentSpec> spec = segment_spec<S>(kKind, kSpec, V::options());
    absl::StatusOr<Segment> segment = Segment::attach(name, *spec);
    ASSERT_TRUE(segment.ok()) << segment.status();
    std::byte* const region = segment->region();
    const RegionMap map = region_map<V>();
    ASSERT_EQ(segment->region_bytes(), map.bytes);
    const std::vector<std::byte> prefilled(region, region + map.bytes);
    const auto deadline = op_deadline();
    for (const Op op : ops_of<V>()) {
      std::memcpy(region, prefilled.data(), map.bytes);
      corruption.apply(region, map);
      const auto started = std::chrono::steady_clock::now();
      const pid_t child = harness::spawn_child(
          [&] { run_op<V>(op, name, corruption.bodies_intact); },
          static_cast<unsigned>(deadline.count() / 1000 + 10));
      const harness::Exit exit = harness::reap(child, started + deadline, [] {},
                                               std::chrono::microseconds(200));
      const std::string label = absl::StrCat(V::name(), "/", corruption.name, "/", op_name(op));
      if (!exit.clean()) {
        std::printf("HOSTILE-FAIL %s: %s\n", label.c_str(), exit.describe().c_str());
      }
      EXPECT_TRUE(exit.clean()) << label << ": the child " << exit.describe();
    }
    (void)Segment::unlink(name);
  }

  void run_all(const std::vector<Corruption>& cases) {
    if (cases.empty()) GTEST_SKIP() << V::name() << " has no such words";
    for (const Corruption& c : cases) run(c);
  }

  static void prefill(typename V::RingT& ring) {
    std::vector<std::byte> frame;
    for (std::uint64_t c = 0; c < kPrefilled; ++c) {
      frame.resize(stress::frame_size(kCreatorNode, c, kSpec.payload_capacity));
      stress::fill_frame(frame, c, kCreatorNode);
      const absl::StatusOr<NetId64> id =
          ring.write(NodeId(kCreatorNode), stress::frame_kind(c), stress::frame_ver(c), frame);
      ASSERT_TRUE(id.ok()) << id.status();
      ASSERT_EQ(id->counter(), c);
    }
  }
};

template <class List>
struct GtestTypes;
template <class... Vs>
struct GtestTypes<TypeList<Vs...>> {
  using type = ::testing::Types<Vs...>;
};
struct VariantNames {
  template <class V>
  static std::string GetName(int) {
    return V::name();
  }
};
using Variants = GtestTypes<VariantsOver<FastSync, FastSharedSync>>::type;
TYPED_TEST_SUITE(HostileRegion, Variants, VariantNames);

// The mirrored offsets name the words the storages use: values planted there
// read back through the storages' own inspection API.
TYPED_TEST(HostileRegion, MapMatchesLayout) {
  using V = TypeParam;
  const RegionMap map = region_map<V>();
  ringlab::detail::AlignedRegion region(map.bytes);
  V::Storage::initialise(kSpec, region.data(), 0, V::options());
  auto ring = V::RingT::adopt(kKind, kSpec, V::options(), region.data(), nullptr);
  poke64(region.data(), map.head, 77);
  EXPECT_EQ(ring->head(), 77u);
  if constexpr (!V::kRwlock) {
    for (std::size_t s = 0; s < map.markers.size(); ++s) {
      EXPECT_EQ(reinterpret_cast<std::byte*>(&ring->storage().marker(s)),
                region.data() + map.markers[s]);
      // A frame published into slot s lands in the body the map names.
      const NetId64 id = NetId64::make(kKind, NodeId(1), s);
      const std::byte payload[3]{};
      ring->storage().publish(s, FrameHeader{id, 9, 0}, payload);
      EXPECT_EQ(peek64(region.data(), map.bodies[s]), id.raw());
      EXPECT_EQ(peek64(region.data(), map.bodies[s] + 16), 9u | 3u << 8);
    }
  }
  if constexpr (V::kRwlock) {
    for (std::size_t s = 0; s < map.rw_slots.size(); ++s) {
      poke64(region.data(), map.rw_held(s), 1000 + s);
      poke32(region.data(), map.rw_length(s), 17);
      region.data()[map.rw_abandoned(s)] = std::byte{85};
      poke64(region.data(), map.rw_lock(s), ringlab::detail::writer_word(4242, 5) | 7);
      const auto peek = ring->storage().peek_slot(s);
      poke64(region.data(), map.rw_lock(s), 0);  // free again
      EXPECT_EQ(peek.writer_pid, 4242u);
      EXPECT_EQ(peek.readers, 7u);
      EXPECT_EQ(peek.generation, 5u);
      EXPECT_EQ(peek.held, 1000 + s);
      EXPECT_EQ(peek.length, 17u);
      EXPECT_EQ(peek.abandoned, 85u);
    }
  }
  if constexpr (V::gated()) {
    for (std::size_t g = 0; g < RegionMap::kGates; ++g) {
      poke64(region.data(), RegionMap::gate(g), 500 + g);
      poke64(region.data(), RegionMap::gate_owner(g), 900 + g);
      EXPECT_EQ(ring->storage().sequencer().gate_value(g), 500 + g);
      EXPECT_EQ(ring->storage().sequencer().gate_owner_value(g), 900 + g);
    }
  }
  if constexpr (V::kSingle) {
    poke64(region.data(), *map.lease, 4242);
    EXPECT_EQ(ring->storage().writer_lease_holder(), 4242u);
  }
}

TYPED_TEST(HostileRegion, RandomBytes) {
  this->run_all({random_bytes(1), random_bytes(2), random_bytes(3)});
}

// In-flight markers of the previous lap, so that the next writer of every slot
// meets one: owners nobody registered (0, 255), the creator (alive, entry 1),
// the entry a child writer registers (2: itself); then markers far ahead and
// the largest word.
TYPED_TEST(HostileRegion, Markers) {
  std::vector<Corruption> cases;
  if constexpr (!TypeParam::kRwlock) {
    for (const std::uint64_t owner : {0u, 255u, 1u, 2u}) {
      cases.push_back(every_marker(absl::StrCat("inflight_owner", owner), [owner](std::uint64_t c) {
        return writing_marker(c, owner);
      }));
    }
    cases.push_back(every_marker("inflight_far_future", [](std::uint64_t c) {
      return writing_marker(c + (std::uint64_t{1} << 40), 7);
    }));
    cases.push_back(every_marker("committed_far_future", [](std::uint64_t c) {
      return committed_marker(c + (std::uint64_t{1} << 40));
    }));
    cases.push_back(every_marker("max", [](std::uint64_t) { return ~std::uint64_t{0}; }));
  }
  this->run_all(cases);
}

// A body's length word (meta = kind | length << 8), in every slot: the
// abandoned-claim sentinel, which reads as an abandoned counter.
TYPED_TEST(HostileRegion, BodyLengths) {
  std::vector<Corruption> cases;
  if constexpr (!TypeParam::kRwlock) cases.push_back(every_length(0xFFFF'FFFF));
  this->run_all(cases);
}

// Every frame written has at most the payload capacity, so a longer length
// word can only be hostile: reads must count such a slot as loss, never
// deliver a frame cut to the capacity as good (which, for an honest frame
// with a corrupted length, is a frame nobody wrote).
TYPED_TEST(HostileRegion, LengthOverCapacityIsNeverDelivered) {
  std::vector<Corruption> cases;
  if constexpr (TypeParam::kRwlock) {
    for (const std::uint32_t length : {0xFFFF'FFFFu, 0xFFFF'FFFEu,
                                       static_cast<std::uint32_t>(kSpec.payload_capacity + 1)}) {
      cases.push_back(words(absl::StrCat("length_", length), [length](std::byte* r, const RegionMap& m) {
        for (std::size_t s = 0; s < m.rw_slots.size(); ++s) poke32(r, m.rw_length(s), length);
      }));
    }
  } else {
    for (const std::uint64_t length : {std::uint64_t{1} << 40, std::uint64_t{0xFFFF'FFFE},
                                       std::uint64_t{kSpec.payload_capacity + 1}}) {
      cases.push_back(every_length(length));
    }
  }
  this->run_all(cases);
}

// The rwlock slot header's plain fields (never its pthread lock).
TYPED_TEST(HostileRegion, RwlockSlotFields) {
  std::vector<Corruption> cases;
  if constexpr (TypeParam::kRwlock) {
    const auto each_slot = [](std::string name, auto poke) {
      return words(std::move(name), [poke](std::byte* r, const RegionMap& m) {
        for (std::size_t s = 0; s < m.rw_slots.size(); ++s) poke(r, m, s);
      });
    };
    for (const std::uint64_t held : {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{1} << 54,
                                     std::uint64_t{kPrefilled + 2}}) {
      cases.push_back(each_slot(absl::StrCat("held_", held),
                                [held](std::byte* r, const RegionMap& m, std::size_t s) {
                                  poke64(r, m.rw_held(s), held);
                                }));
    }
    cases.push_back(each_slot("abandoned_85", [](std::byte* r, const RegionMap& m, std::size_t s) {
      r[m.rw_abandoned(s)] = std::byte{85};
    }));
    // ---- rwlock lock-word cases ----------------------------------------------
    // The slot lock word (detail/slot_lock.hpp): generation, writer pid,
    // reader count. A writer pid that is no pid or a dead one is recovered; a
    // live one (init) is waited for only the stall bound; a reader count
    // nobody holds is revoked by the next writer after the bound.
    using ringlab::detail::writer_word;
    for (const std::uint64_t word :
         {writer_word(ringlab::detail::kPidField), writer_word(dead_pid(), 9), writer_word(1),
          std::uint64_t{3}, ringlab::detail::kMaxReaders, writer_word(0, 77) | 2,
          ~std::uint64_t{0}}) {
      cases.push_back(each_slot(absl::StrCat("lock_word_", word),
                                [word](std::byte* r, const RegionMap& m, std::size_t s) {
                                  poke64(r, m.rw_lock(s), word);
                                }));
    }
  }
  this->run_all(cases);
}

// Writer-table entries (many-writer versioned slots), each value in every
// entry, with every slot in flight for owner 3 so that a writer looks it up.
TYPED_TEST(HostileRegion, WriterTable) {
  std::vector<Corruption> cases;
  if constexpr (!TypeParam::kRwlock && !TypeParam::kSingle) {
    for (const std::uint64_t pid :
         {std::uint64_t{0}, std::uint64_t{0xFFFF'FFFF}, std::uint64_t{1} << 63, dead_pid(),
          static_cast<std::uint64_t>(::getpid())}) {
      const std::string name =
          pid == dead_pid() ? "dead_pid" : pid == static_cast<std::uint64_t>(::getpid())
                                               ? "all_live_creator"
                                               : absl::StrCat("pid_", pid);
      cases.push_back(words(name, [pid](std::byte* r, const RegionMap& m) {
        for (std::size_t owner = 1; owner <= m.owners; ++owner) poke64(r, *m.writers + 8 * owner, pid);
        for (std::size_t s = 0; s < m.markers.size(); ++s) {
          poke64(r, m.markers[s], writing_marker(prefilled_counter(s), 3));
        }
      }));
    }
  }
  this->run_all(cases);
}

// The single writer's lease word, with the previous lap left in flight as a
// dead writer would leave it.
TYPED_TEST(HostileRegion, Lease) {
  std::vector<Corruption> cases;
  if constexpr (TypeParam::kSingle) {
    for (const std::uint64_t holder :
         {std::uint64_t{0xFFFF'FFFF}, dead_pid(), std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
      cases.push_back(words(holder == dead_pid() ? "dead_pid" : absl::StrCat("holder_", holder),
                            [holder](std::byte* r, const RegionMap& m) {
                              poke64(r, *m.lease, holder);
                              for (std::size_t s = 0; s < m.markers.size(); ++s) {
                                poke64(r, m.markers[s], writing_marker(prefilled_counter(s), 0));
                              }
                            }));
    }
  }
  this->run_all(cases);
}

// Gated rings: a gate a lap behind head (so the next claim waits for it)
// whose owner word no live process holds; all gates so; a zero gate cache.
TYPED_TEST(HostileRegion, Gates) {
  std::vector<Corruption> cases;
  if constexpr (TypeParam::gated()) {
    constexpr std::uint64_t kReleasing = std::uint64_t{1} << 63;
    constexpr std::uint64_t kLapBehind = kPrefilled - kSpec.capacity;
    for (const std::uint64_t owner : {std::uint64_t{0}, kReleasing | 0xFFFF'FFFF, dead_pid(),
                                      kReleasing | dead_pid(), std::uint64_t{1} << 62}) {
      for (const bool all : {false, true}) {
        cases.push_back(words(
            absl::StrCat(all ? "every_gate" : "gate0", "_owner_",
                         owner == dead_pid() ? "dead" : owner == (kReleasing | dead_pid())
                                                            ? "releasing_dead"
                                                            : absl::StrCat(owner)),
            [owner, all](std::byte* r, const RegionMap&) {
              for (std::size_t g = 0; g < (all ? RegionMap::kGates : 1); ++g) {
                poke64(r, RegionMap::gate(g), kLapBehind);
                poke64(r, RegionMap::gate_owner(g), owner);
              }
              poke64(r, RegionMap::kGateCache, kLapBehind);
            }));
      }
    }
    cases.push_back(words("gate_cache_0", [](std::byte* r, const RegionMap&) {
      poke64(r, RegionMap::kGateCache, 0);
    }));
  }
  this->run_all(cases);
}

// The head (the disruptor's cursor): 0 under committed frames, near the
// marker encoding's limit (2^54), beyond it.
TYPED_TEST(HostileRegion, HeadWords) {
  std::vector<Corruption> cases;
  for (const std::uint64_t head : {std::uint64_t{0}, (std::uint64_t{1} << 54) - 2,
                                   std::uint64_t{1} << 54, std::uint64_t{1} << 62}) {
    cases.push_back(head_at(head));
  }
  this->run_all(cases);
}

// A head two below 2^64: a claim's room check (counter + capacity) must not
// wrap into waiting for ever.
TYPED_TEST(HostileRegion, HeadNearWrapEndsEveryClaim) {
  this->run_all({head_at(~std::uint64_t{0} - 1)});
}

}  // namespace
}  // namespace ringlab::shm::hostile
