// ringlab_shm and the processes a segment records: a writer killed mid-write
// shows dead (and its slot in flight), remove refuses while a registered
// process lives and succeeds once it is gone, and a writer wedged mid-write
// (holding an rwlock slot's lock, or a seqlock slot's in-flight marker) never
// makes the tool wait.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ringlab/shm/shared_ring.hpp"
#include "tool_fixture.hpp"

namespace ringlab::tools::shm::test {
namespace {

constexpr unsigned kChildAlarm = 60;

// Armed (>= 0) in a child right before the write that must stop, half its
// payload written; a wedged writer tells the parent on it.
inline int g_ready_fd = -1;
// The wedged writer of tail_over_wedged_writer.
inline pid_t g_wedged_pid = 0;

// Base's Sync policy, but the write stops at kMidPayload: by SIGKILL, or by
// telling the parent and waiting there for good.
template <class Base, bool kKill>
struct StopMidPayload : Base {
  static void crash_point(CrashPoint where) {
    if (where != CrashPoint::kMidPayload || g_ready_fd < 0) return;
    if constexpr (kKill) {
      ::raise(SIGKILL);
    } else {
      const char byte = 1;
      (void)!::write(g_ready_fd, &byte, 1);
      for (;;) ::pause();
    }
  }
};

template <class Storage>
void write_frames_then_stop(const rs::SegmentName& name, bool create, int ready_fd) {
  auto ring = create ? rs::create_ring<Storage>(name, kSpec) : rs::attach_ring<Storage>(name, kSpec);
  harness::require(ring.ok(), std::string(ring.status().message()));
  harness::require((*ring)->write(NodeId(1), 0, 0, payload_of(0)).ok(), "first write");
  g_ready_fd = ready_fd;
  (void)(*ring)->write(NodeId(1), 0, 1, payload_of(1));  // stops in here
}

TEST(ToolProcesses, AWriterKilledMidWriteShowsDeadAndItsSlotInFlight) {
  TestSegment segment;
  using Doomed = SeqlockStorage<StopMidPayload<StdSync, true>>;
  const pid_t child = harness::spawn_child(
      // Any fd arms the stop: a killed writer tells nobody.
      [&] { write_frames_then_stop<Doomed>(segment.name(), true, /*ready_fd=*/0); }, kChildAlarm);
  const harness::Exit exit = harness::reap(child, harness::ChildClock::now() + 20s, [] {});
  ASSERT_TRUE(exit.killed_by(SIGKILL)) << exit.describe();

  const ToolRun show = run_tool_process({"show", segment.file()});
  ASSERT_EQ(show.code, 0) << describe(show);
  const std::string entry = line_with(show.out, "entry 1");
  EXPECT_NE(entry.find(absl::StrCat("pid ", child)), std::string::npos) << show.out;
  EXPECT_TRUE(entry.ends_with("dead")) << show.out;
  EXPECT_NE(show.out.find("1 registered, 0 alive"), std::string::npos) << show.out;
  EXPECT_NE(line_with(show.out, "counter 0 ").find("committed 0"), std::string::npos) << show.out;
  EXPECT_NE(line_with(show.out, "counter 1 ").find("writing 1 by entry 1"), std::string::npos) << show.out;

  const ToolRun tail = run_tool_process({"tail", segment.file()});
  ASSERT_EQ(tail.code, 0) << describe(tail);
  EXPECT_TRUE(line_with(tail.out, "counter 0 ").ends_with(printed_payload(0))) << tail.out;
  EXPECT_TRUE(line_with(tail.out, "counter 1 ").ends_with("writing")) << tail.out;

  const ToolRun list = run_tool_process({"list"});
  EXPECT_TRUE(line_with(list.out, segment.file()).ends_with(" 1/0")) << list.out;
  // Nobody alive is registered: remove goes ahead.
  EXPECT_EQ(run_tool_process({"remove", segment.file()}).code, 0);
  EXPECT_FALSE(segment.exists());
}

TEST(ToolProcesses, RemoveRefusesWhileARegisteredWriterLivesThenSucceeds) {
  TestSegment segment;
  // The creator writes and exits; a second writer attaches, writes (a process
  // takes its writer-table entry at its first write) and stays.
  const pid_t creator = harness::spawn_child(
      [&] {
        auto ring = rs::create_ring<SeqlockStorage<>>(segment.name(), kSpec);
        harness::require(ring.ok() && (*ring)->write(NodeId(1), 0, 0, payload_of(0)).ok(), "create");
      },
      kChildAlarm);
  ASSERT_TRUE(harness::reap(creator, harness::ChildClock::now() + 20s, [] {}).clean());
  ReadyPipe ready;
  const pid_t writer = harness::spawn_child(
      [&] {
        auto ring = rs::attach_ring<SeqlockStorage<>>(segment.name(), kSpec);
        harness::require(ring.ok() && (*ring)->write(NodeId(2), 0, 0, payload_of(1)).ok(),
                         "attach and write");
        ready.signal();
        for (;;) ::pause();
      },
      kChildAlarm);
  ASSERT_TRUE(ready.wait());

  const ToolRun refused = run_tool_process({"remove", segment.file()});
  expect_segment_error(refused, absl::StrCat("in use by live process ", writer, ";"));
  EXPECT_EQ(refused.err.find(std::to_string(creator)), std::string::npos) << refused.err;
  EXPECT_TRUE(segment.exists());
  const ToolRun show = run_tool_process({"show", segment.file()});
  EXPECT_TRUE(line_with(show.out, "entry 1").ends_with("dead")) << show.out;
  EXPECT_TRUE(line_with(show.out, "entry 2").ends_with("alive")) << show.out;

  harness::kill_and_reap(writer);
  const ToolRun removed = run_tool_process({"remove", segment.file()});
  EXPECT_EQ(removed.code, 0) << describe(removed);
  EXPECT_EQ(removed.out, absl::StrCat("removed ", segment.file(), "\n"));
  EXPECT_FALSE(segment.exists());
}

// A writer that stops for good mid-write, holding what it holds: the tool's
// show and tail still return at once, exit 0.
template <class Storage>
ToolRun tail_over_wedged_writer(const TestSegment& segment, ToolRun* show) {
  ReadyPipe ready;
  const pid_t writer = harness::spawn_child(
      [&] { write_frames_then_stop<Storage>(segment.name(), true, ready.fds[1]); }, kChildAlarm);
  g_wedged_pid = writer;
  EXPECT_TRUE(ready.wait());
  *show = run_tool_process({"show", segment.file()});
  ToolRun tail = run_tool_process({"tail", segment.file()});
  harness::kill_and_reap(writer);
  return tail;
}

TEST(ToolProcesses, AWedgedRwlockWriterHoldingASlotLockNeverBlocksTheTool) {
  TestSegment segment;
  ToolRun show;
  const ToolRun tail = tail_over_wedged_writer<
      RwlockStorage<StopMidPayload<rs::ProcessSharedSync, false>>>(segment, &show);
  ASSERT_TRUE(show.in_time && tail.in_time) << describe(show) << describe(tail);
  EXPECT_EQ(show.code, 0) << describe(show);
  EXPECT_EQ(tail.code, 0) << describe(tail);
  EXPECT_TRUE(tail.out.starts_with("payload not shown")) << tail.out;
  EXPECT_NE(line_with(show.out, "counter 0 ").find("committed 0"), std::string::npos) << show.out;
  EXPECT_TRUE(line_with(show.out, "counter 1 ").ends_with("locked by pid " +
                                                          std::to_string(g_wedged_pid) + " (alive)"))
      << show.out;
}

TEST(ToolProcesses, AWedgedSeqlockWriterShowsItsCounterWriting) {
  TestSegment segment;
  ToolRun show;
  const ToolRun tail = tail_over_wedged_writer<SeqlockStorage<StopMidPayload<StdSync, false>>>(
      segment, &show);
  ASSERT_TRUE(show.in_time && tail.in_time) << describe(show) << describe(tail);
  EXPECT_EQ(tail.code, 0) << describe(tail);
  EXPECT_TRUE(line_with(tail.out, "counter 1 ").ends_with("writing")) << tail.out;
  EXPECT_TRUE(line_with(show.out, "entry 1").ends_with("alive")) << show.out;
}

}  // namespace
}  // namespace ringlab::tools::shm::test
