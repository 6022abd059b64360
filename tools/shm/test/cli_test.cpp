// ringlab_shm's command line: the grammar, --help everywhere (exit 0), bad
// usage (one line, exit 2), and the payload escaping; in process where the
// parts allow, and the executable for the exit statuses.
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "gtest/gtest.h"
#include "print.hpp"
#include "tool_fixture.hpp"

namespace ringlab::tools::shm::test {
namespace {

absl::StatusOr<Command> parse_words(std::vector<std::string_view> words) { return parse(words); }

TEST(ToolCli, ParsesEverySubcommandAndOption) {
  auto list = parse_words({"list", "--all"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->verb, Verb::kList);
  EXPECT_TRUE(list->all);
  EXPECT_EQ(list->name, "");
  auto fleet = parse_words({"list", "prices"});
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  EXPECT_EQ(fleet->name, "prices");
  auto show = parse_words({"show", "--slots", "3", "ringlab.u.f.k1"});
  ASSERT_TRUE(show.ok()) << show.status();
  EXPECT_EQ(show->verb, Verb::kShow);
  EXPECT_EQ(show->name, "ringlab.u.f.k1");
  EXPECT_EQ(show->slots, 3u);
  auto tail = parse_words({"tail", "x", "--count=0"});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->count, 0u);
  EXPECT_EQ(parse_words({"tail", "x"})->count, 10u);
  EXPECT_EQ(parse_words({"show", "x"})->slots, 8u);
  auto remove = parse_words({"remove", "x", "--force"});
  ASSERT_TRUE(remove.ok());
  EXPECT_TRUE(remove->force);
  EXPECT_FALSE(parse_words({"remove", "x"})->force);
}

TEST(ToolCli, RefusesBadUsage) {
  for (const std::vector<std::string_view>& words : std::vector<std::vector<std::string_view>>{
           {},
           {"frobnicate"},
           {"list", "a", "b"},
           {"list", "--force"},
           {"show"},
           {"show", "a", "b"},
           {"show", "a", "--slots"},
           {"show", "a", "--slots", "-1"},
           {"show", "a", "--slots", "4097"},
           {"tail", "a", "--count", "ten"},
           {"remove", "a", "--force=yes"},
           {"--help", "list"},
       }) {
    const absl::StatusOr<Command> cmd = parse_words(words);
    EXPECT_FALSE(cmd.ok()) << words.size();
    EXPECT_NE(cmd.status().message().find("--help'"), std::string::npos) << cmd.status();
  }
}

TEST(ToolCli, HelpExitsZeroForTheToolAndEverySubcommand) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"list", "--help"}, {"show", "--help"}, {"tail", "x", "-h"},
           {"remove", "--help"}}) {
    const ToolRun run = run_tool_process(args);
    EXPECT_EQ(run.code, 0) << describe(run);
    EXPECT_TRUE(run.out.starts_with("usage: ringlab_shm")) << run.out;
    EXPECT_TRUE(run.err.empty()) << run.err;
  }
  EXPECT_NE(run_tool_process({"show", "--help"}).out.find("--slots N"), std::string::npos);
}

TEST(ToolCli, BadUsageIsOneLineAndExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"show"}, {"tail", "x", "--count", "x"}, {"show", "a/b"},
           {"remove", ".."}}) {
    const ToolRun run = run_tool_process(args);
    EXPECT_EQ(run.code, 2) << describe(run);
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_TRUE(run.err.starts_with("ringlab_shm: ")) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

TEST(ToolCli, NamesAreOneComponentOfDevShm) {
  EXPECT_EQ(file_name_of("ringlab.u.f.k1").value(), "ringlab.u.f.k1");
  EXPECT_EQ(file_name_of("/ringlab.u.f.k1").value(), "ringlab.u.f.k1");
  EXPECT_EQ(file_name_of("/dev/shm/ringlab.u.f.k1").value(), "ringlab.u.f.k1");
  for (const std::string_view bad : {"", "/", ".", "..", "a/b", "/dev/shm/", "/dev/shm/x/y"}) {
    EXPECT_FALSE(file_name_of(bad).ok()) << bad;
  }
}

TEST(ToolCli, EscapesEverythingButPrintableAscii) {
  const std::string raw("ok \\ \" \x00\x7f\xff~", 11);
  std::vector<std::byte> bytes(raw.size());
  std::memcpy(bytes.data(), raw.data(), raw.size());
  EXPECT_EQ(escape_bytes(bytes), "ok \\x5c \\x22 \\x00\\x7f\\xff~");
}

TEST(ToolCli, RunsInProcessToo) {
  std::ostringstream out, err;
  const std::vector<std::string_view> args{"show", "ringlab.nobody.absent-segment.k1"};
  EXPECT_EQ(run_tool(args, out, err), kExitSegment);
  EXPECT_NE(err.str().find("No such file"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace ringlab::tools::shm::test
