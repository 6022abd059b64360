#include "cli.hpp"

#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "inspect.hpp"
#include "ringlab/net_id.hpp"

namespace ringlab::tools::shm {

namespace {

using ringlab::detail::sv;

struct Subcommand {
  std::string_view name;
  Verb verb;
  std::string_view option;  // its one option, "" for none
  bool takes_name;
  bool name_required;
  bool option_takes_number;
  std::string_view text;
};

constexpr Subcommand kSubcommands[] = {
    {"list", Verb::kList, "--all", true, false, false,
     "usage: ringlab_shm list [--all] [FLEET]\n"
     "Lists the current user's ringlab segments in /dev/shm (only FLEET's, if given): name,\n"
     "storage, layout version, capacity, payload bytes, writer mode, head counter, and\n"
     "registered/alive processes (writer table entries, or the single writer's lease holder;\n"
     "'-' for rwlock).\n"
     "  --all   also list the user's other objects there, as \"not a ringlab segment\" and why\n"},
    {"show", Verb::kShow, "--slots", true, true, true,
     "usage: ringlab_shm show NAME [--slots N]\n"
     "Shows one segment: its header, head, creator, writer table or writer lease (each pid\n"
     "alive or dead), reader gates (gated disruptor), and the slot states of the last N\n"
     "counters: counter, slot, marker state (empty, writing, committed, abandoned), length.\n"
     "  --slots N   how many counters (0..4096, at most a lap; default 8)\n"},
    {"tail", Verb::kTail, "--count", true, true, true,
     "usage: ringlab_shm tail NAME [--count N]\n"
     "Prints the frames of the last N counters, read by the ring's reader path (never a torn\n"
     "frame): counter, length, id, version and the payload (printable ASCII; other bytes,\n"
     "'\"' and '\\' as \\xNN; the first 1024 bytes), or the counter's state (writing, pending,\n"
     "overwritten, abandoned).\n"
     "rwlock segments: their payloads are read under a lock this tool never takes, so only\n"
     "slot states are printed.\n"
     "  --count N   how many counters (0..4096, at most a lap; default 10)\n"},
    {"remove", Verb::kRemove, "--force", true, true, false,
     "usage: ringlab_shm remove NAME [--force]\n"
     "Unlinks a segment; refused (exit 1, naming the pids) while a registered process (writer\n"
     "table entry, writer lease holder, gate owner) is alive, or if NAME is not a valid\n"
     "ringlab segment. Processes that have it mapped keep their mapping.\n"
     "  --force   unlink it anyway\n"},
};

constexpr std::string_view kToolUsage =
    "usage: ringlab_shm <command> [options]\n"
    "Inspects ringlab shared-memory rings in /dev/shm, read-only: it never registers, locks\n"
    "or waits (remove unlinks, and nothing else).\n"
    "commands:\n"
    "  list [--all] [FLEET]       the current user's ringlab segments (of one fleet)\n"
    "  show NAME [--slots N]      one segment's header, processes, gates and slot states\n"
    "  tail NAME [--count N]      the last N frames as text\n"
    "  remove NAME [--force]      unlink a segment no live process is registered in\n"
    "NAME is a name as list prints it (ringlab.<user>.<fleet>.k<kind>; a leading / or\n"
    "/dev/shm/ is accepted). 'ringlab_shm <command> --help' describes a command.\n"
    "exit status: 0 done, 1 a segment is missing, unreadable, invalid or in use, 2 bad usage\n";

const Subcommand* find_subcommand(std::string_view name) {
  for (const Subcommand& s : kSubcommands) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::Status usage_error(std::string_view topic, std::string_view what) {
  const std::string help =
      topic.empty() ? "ringlab_shm --help" : absl::StrCat("ringlab_shm ", sv(topic), " --help");
  return absl::InvalidArgumentError(absl::StrCat(sv(what), " (see '", help, "')"));
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(sv(text), &n) || n > kMaxWindow) return std::nullopt;
  return n;
}

absl::StatusOr<Command> parse_subcommand(const Subcommand& sub,
                                         std::span<const std::string_view> args) {
  Command cmd;
  cmd.verb = sub.verb;
  bool named = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      Command help;
      help.help_topic = std::string(sub.name);
      return help;
    }
    std::string_view option = arg;
    std::optional<std::string_view> value;
    if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      option = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (!sub.option.empty() && option == sub.option) {
      if (!sub.option_takes_number) {
        if (value) return usage_error(sub.name, absl::StrCat(sv(sub.option), " takes no value"));
        (sub.verb == Verb::kList ? cmd.all : cmd.force) = true;
        continue;
      }
      if (!value) {
        if (i + 1 == args.size()) return usage_error(sub.name, absl::StrCat(sv(option), " needs a number"));
        value = args[++i];
      }
      const std::optional<std::uint64_t> n = parse_count(*value);
      if (!n) {
        return usage_error(sub.name, absl::StrCat(sv(option), " takes a number 0..", kMaxWindow,
                                                  ", not \"", absl::CHexEscape(sv(*value)), "\""));
      }
      (sub.verb == Verb::kShow ? cmd.slots : cmd.count) = *n;
      continue;
    }
    if (arg.starts_with("-") && arg != "-") {
      return usage_error(sub.name, absl::StrCat("unknown option \"", absl::CHexEscape(sv(arg)), "\""));
    }
    if (!sub.takes_name || named) {
      return usage_error(sub.name, absl::StrCat("unexpected argument \"", absl::CHexEscape(sv(arg)), "\""));
    }
    cmd.name = std::string(arg);
    named = true;
  }
  if (sub.name_required && !named) return usage_error(sub.name, "a segment NAME is needed");
  return cmd;
}

}  // namespace

std::string usage(std::string_view topic) {
  if (const Subcommand* sub = find_subcommand(topic)) return std::string(sub->text);
  return std::string(kToolUsage);
}

absl::StatusOr<Command> parse(std::span<const std::string_view> args) {
  if (args.empty()) return usage_error("", "a command is needed");
  const std::string_view first = args.front();
  if (first == "--help" || first == "-h") {
    if (args.size() > 1) return usage_error("", "--help takes no arguments");
    return Command{};  // kHelp, the tool's
  }
  const Subcommand* sub = find_subcommand(first);
  if (sub == nullptr) return usage_error("", absl::StrCat("unknown command \"", absl::CHexEscape(sv(first)), "\""));
  return parse_subcommand(*sub, args.subspan(1));
}

}  // namespace ringlab::tools::shm
