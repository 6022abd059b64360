// ringlab_shm over live segments of every shareable storage: list, show, tail
// and remove, run as a subprocess against rings this process created.
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ringlab/shm/shared_ring.hpp"
#include "inspect.hpp"
#include "tool_fixture.hpp"

namespace ringlab::tools::shm::test {
namespace {

using DisruptorSingle =
    DisruptorStorage<StdSync, BusySpinWait, DisruptorOrders, WriterMode::kSingle>;

std::vector<Flavour> flavours() {
  return {
      {"seqlock", "seqlock", "multi", true, false,
       [](const rs::SegmentName& n) { return make_ring<SeqlockStorage<>>(n, {}); }},
      {"seqlock_single", "seqlock", "single", true, false,
       [](const rs::SegmentName& n) {
         return make_ring<SeqlockStorage<StdSync, SeqlockOrders, WriterMode::kSingle>>(n, {});
       }},
      {"disruptor", "disruptor/overwrite/inline", "multi", true, false,
       [](const rs::SegmentName& n) { return make_ring<DisruptorStorage<>>(n, {}); }},
      {"disruptor_gated_apart", "disruptor/gated/apart", "multi", true, true,
       [](const rs::SegmentName& n) {
         return make_ring<DisruptorStorage<>>(n, {OverflowMode::kGated, MarkerLayout::kApart});
       }},
      {"disruptor_single_gated", "disruptor/gated/inline", "single", true, true,
       [](const rs::SegmentName& n) {
         return make_ring<DisruptorSingle>(n, {OverflowMode::kGated, MarkerLayout::kInline});
       }},
      {"rwlock", "rwlock", "multi", false, false,
       [](const rs::SegmentName& n) {
         return make_ring<RwlockStorage<rs::ProcessSharedSync>>(n, {});
       }},
  };
}

class ToolOverStorage : public ::testing::TestWithParam<Flavour> {
 protected:
  void SetUp() override { ring_ = GetParam().make(segment_.name()); }

  TestSegment segment_;
  std::shared_ptr<void> ring_;
  const std::string me_ = std::to_string(::getpid());
};

TEST_P(ToolOverStorage, ListShowsTheSegmentsRow) {
  const ToolRun run = run_tool_process({"list"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_TRUE(run.out.starts_with("NAME")) << run.out;
  const std::string row = line_with(run.out, segment_.file());
  ASSERT_FALSE(row.empty()) << run.out;
  const Flavour& f = GetParam();
  // name, storage, layout, capacity, payload, writer mode, head, registered/alive
  const std::string registered = f.versioned ? "1/1" : "-";
  const std::vector<std::string> cells{segment_.file(), f.label,
                                       absl::StrCat("v", rs::kLayoutVersion), "16", "48",
                                       f.writer_mode, std::to_string(kFrames), registered};
  std::istringstream words(row);
  for (const std::string& want : cells) {
    std::string got;
    words >> got;
    EXPECT_EQ(got, want) << row;
  }
}

TEST_P(ToolOverStorage, ListOfAFleetKeepsOnlyItsSegments) {
  const rs::SegmentName& name = segment_.name();
  const ToolRun mine = run_tool_process({"list", name.fleet});
  ASSERT_EQ(mine.code, 0) << describe(mine);
  EXPECT_FALSE(line_with(mine.out, segment_.file()).empty()) << mine.out;
  const ToolRun other = run_tool_process({"list", name.fleet + "x"});
  ASSERT_EQ(other.code, 0) << describe(other);
  EXPECT_TRUE(line_with(other.out, segment_.file()).empty()) << other.out;
  EXPECT_NE(other.out.find("no ringlab segments"), std::string::npos) << other.out;
}

TEST_P(ToolOverStorage, ShowGivesHeaderProcessesAndSlots) {
  const ToolRun run = run_tool_process({"show", segment_.file(), "--slots", "4"});
  ASSERT_EQ(run.code, 0) << describe(run);
  const Flavour& f = GetParam();
  EXPECT_NE(run.out.find(absl::StrCat("storage       ", f.label, "\n")), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("capacity      16 slots\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("payload       48 bytes\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(absl::StrCat("head          ", kFrames, " ")), std::string::npos) << run.out;
  if (f.versioned && f.writer_mode == "multi") {
    EXPECT_NE(line_with(run.out, "entry 1").find(absl::StrCat("pid ", me_)), std::string::npos) << run.out;
    EXPECT_NE(line_with(run.out, "entry 1").find("alive"), std::string::npos) << run.out;
  } else if (f.versioned) {
    EXPECT_NE(run.out.find(absl::StrCat("writer lease  pid ", me_, " alive")), std::string::npos) << run.out;
  } else {
    EXPECT_NE(run.out.find("read without taking the slots' locks"), std::string::npos) << run.out;
  }
  if (f.gated) {
    EXPECT_NE(run.out.find("gates         1 registered"), std::string::npos) << run.out;
    EXPECT_NE(line_with(run.out, "gate 0").find(absl::StrCat("pid ", me_)), std::string::npos) << run.out;
  } else {
    EXPECT_EQ(run.out.find("gates"), std::string::npos) << run.out;
  }
  // --slots 4 of a head of 3: counters 0..2, each committed with its length.
  EXPECT_NE(run.out.find("slots         last 3 counters"), std::string::npos) << run.out;
  for (int c = 0; c < kFrames; ++c) {
    const std::string slot = line_with(run.out, absl::StrCat("counter ", c, " "));
    EXPECT_NE(slot.find(absl::StrCat("committed ", c)), std::string::npos) << run.out;
    EXPECT_NE(slot.find(absl::StrCat("length ", payload_of(c).size())), std::string::npos) << run.out;
  }
}

TEST_P(ToolOverStorage, TailPrintsTheLastFrames) {
  const ToolRun run = run_tool_process({"tail", segment_.file(), "--count=2"});
  ASSERT_EQ(run.code, 0) << describe(run);
  if (!GetParam().versioned) {
    EXPECT_TRUE(run.out.starts_with("payload not shown")) << run.out;
    EXPECT_EQ(run.out.find("frame-"), std::string::npos) << run.out;
    return;
  }
  EXPECT_EQ(run.out.find("counter 0 "), std::string::npos) << run.out;
  for (int c = 1; c < kFrames; ++c) {
    const std::string line = line_with(run.out, absl::StrCat("counter ", c, " "));
    EXPECT_NE(line.find(absl::StrCat("length ", payload_of(c).size())), std::string::npos) << run.out;
    EXPECT_NE(line.find(absl::StrCat("ver ", c)), std::string::npos) << run.out;
    EXPECT_TRUE(line.ends_with(printed_payload(c))) << line;
  }
}

TEST_P(ToolOverStorage, RemoveRefusesWhileThisProcessIsRegistered) {
  const ToolRun refused = run_tool_process({"remove", segment_.file()});
  if (GetParam().versioned) {
    expect_segment_error(refused, absl::StrCat("in use by live process ", me_, ";"));
    EXPECT_TRUE(segment_.exists());
    const ToolRun forced = run_tool_process({"remove", "--force", segment_.file()});
    EXPECT_EQ(forced.code, 0) << describe(forced);
  } else {
    // rwlock records no processes: nothing to refuse on.
    EXPECT_EQ(refused.code, 0) << describe(refused);
  }
  EXPECT_FALSE(segment_.exists());
  expect_segment_error(run_tool_process({"show", segment_.file()}), "No such file");
}

INSTANTIATE_TEST_SUITE_P(Storages, ToolOverStorage, ::testing::ValuesIn(flavours()),
                         [](const auto& info) { return info.param.test_name; });

}  // namespace
}  // namespace ringlab::tools::shm::test

namespace ringlab::tools::shm::test {
namespace {

TEST(ToolTail, ShowsTheFirstKilobyteOfALongFrameAndSaysHowMuchMore) {
  TestSegment segment;
  auto ring = rs::create_ring<SeqlockStorage<>>(segment.name(), RingSpec{4, 1500});
  ASSERT_TRUE(ring.ok()) << ring.status();
  const std::vector<std::byte> payload(1500, std::byte{'a'});
  ASSERT_TRUE((*ring)->write(NodeId(1), 0, 0, payload).ok());
  const ToolRun tail = run_tool_process({"tail", segment.file()});
  ASSERT_EQ(tail.code, 0) << describe(tail);
  const std::string line = line_with(tail.out, "counter 0 ");
  EXPECT_NE(line.find("length 1500 "), std::string::npos) << line;
  EXPECT_NE(line.find(absl::StrCat("\"", std::string(kMaxShownBytes, 'a'), "\" (476 more bytes)")),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace ringlab::tools::shm::test
