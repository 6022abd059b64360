// RingRegistry: one ring per kind byte; the first creator fixes the spec.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace ringlab::conformance {
namespace {

using Registry = RingRegistry<SeqlockRing>;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

TEST(Registry, SameKindAndSpecGivesTheSameRing) {
  Registry registry;
  const RingSpec spec{8, 32};
  auto first = registry.get_or_create(5, spec);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = registry.get_or_create(5, spec);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(registry.lookup(5), *first);
  EXPECT_EQ((*first)->kind(), 5);
  EXPECT_EQ((*first)->spec(), spec);

  const NetId64 id = put(**first, "shared");
  EXPECT_EQ(text((*second)->read(id)), "shared");

  auto other_kind = registry.get_or_create(6, spec);
  ASSERT_TRUE(other_kind.ok());
  EXPECT_NE(other_kind->get(), first->get());
  EXPECT_EQ((*other_kind)->kind(), 6);
}

TEST(Registry, AnotherSpecForAnExistingKindIsAlreadyExists) {
  Registry registry;
  const RingSpec spec{8, 32};
  auto ring = registry.get_or_create(5, spec);
  ASSERT_TRUE(ring.ok());
  const NetId64 id = put(**ring, "kept");

  for (const RingSpec other : {RingSpec{16, 32}, RingSpec{8, 64}}) {
    SCOPED_TRACE(to_string(other));
    const auto clash = registry.get_or_create(5, other);
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
    const std::string_view message(clash.status().message().data(), clash.status().message().size());
    EXPECT_TRUE(contains(message, to_string(spec))) << message;
    EXPECT_TRUE(contains(message, to_string(other))) << message;
    ASSERT_EQ(registry.lookup(5), *ring);
    EXPECT_EQ(registry.lookup(5)->spec(), spec);
    EXPECT_EQ(text(registry.lookup(5)->read(id)), "kept");
  }
}

TEST(Registry, AnotherStorageModeForAnExistingKindIsAlreadyExists) {
  RingRegistry<DisruptorRing<BusySpinWait>> registry;
  const RingSpec spec{8, 32};
  const DisruptorOptions gated{OverflowMode::kGated};
  auto ring = registry.get_or_create(5, spec, {}, gated);
  ASSERT_TRUE(ring.ok());
  const auto clash = registry.get_or_create(5, spec);  // overwrite mode
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(clash.status().message().empty());
  auto same = registry.get_or_create(5, spec, {}, gated);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *ring);
}

TEST(Registry, BadSpecCreatesNothing) {
  Registry registry;
  const auto bad = registry.get_or_create(5, RingSpec{3, 8});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.lookup(5), nullptr);
  const auto bad_options = registry.get_or_create(
      5, RingSpec{4, 8}, RingOptions{.first_counter = RingOptions::kMaxFirstCounter + 1});
  EXPECT_EQ(bad_options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.lookup(5), nullptr);
  // The kind is still free for a good spec.
  const auto good = registry.get_or_create(5, RingSpec{4, 8});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(registry.lookup(5), *good);
}

TEST(Registry, LookupOfAnUnknownKindIsNull) {
  Registry registry;
  EXPECT_EQ(registry.lookup(0), nullptr);
  EXPECT_EQ(registry.lookup(255), nullptr);
  ASSERT_TRUE(registry.get_or_create(1, RingSpec{4, 8}).ok());
  EXPECT_EQ(registry.lookup(2), nullptr);
  EXPECT_NE(registry.lookup(1), nullptr);
}

TEST(Registry, ConcurrentGetOrCreateYieldsOneRing) {
  constexpr int kThreads = 4;
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE(round);
    Registry registry;
    std::array<std::shared_ptr<SeqlockRing>, kThreads> got;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        auto ring = registry.get_or_create(9, RingSpec{8, 16});
        EXPECT_TRUE(ring.ok()) << ring.status();
        if (ring.ok()) got[t] = *ring;
      });
    }
    go.store(true);
    for (std::thread& thread : threads) thread.join();
    ASSERT_NE(got[0], nullptr);
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(got[t], got[0]) << "thread " << t;
    EXPECT_EQ(registry.lookup(9), got[0]);
  }
}

}  // namespace
}  // namespace ringlab::conformance
