// The command line of ringlab_shm: its grammar, usage texts and parser.
//
//   ringlab_shm [--help]
//   ringlab_shm list [--all] [FLEET]
//   ringlab_shm show NAME [--slots N]
//   ringlab_shm tail NAME [--count N]
//   ringlab_shm remove NAME [--force]
//
// NAME: a segment's name in /dev/shm as list prints it ("ringlab.<user>.<fleet>.k<kind>"),
// also accepted with a leading "/" or "/dev/shm/". N: 0..4096. Options may come before or
// after NAME, as "--slots N" or "--slots=N". --help (or -h) anywhere after a subcommand
// shows that subcommand's usage.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringlab::tools::shm {

enum class Verb { kHelp, kList, kShow, kTail, kRemove };

struct Command {
  Verb verb = Verb::kHelp;
  std::string help_topic;  // kHelp: "" for the tool, or a subcommand's name
  std::string name;        // show, tail, remove; list: the fleet to keep ("": all)
  bool all = false;        // list
  std::uint64_t slots = 8;  // show
  std::uint64_t count = 10; // tail
  bool force = false;      // remove
};

// The usage text of the tool ("") or of one subcommand.
std::string usage(std::string_view topic);

// Parses the arguments after the program name. InvalidArgument with a
// one-line message ending in how to get help.
absl::StatusOr<Command> parse(std::span<const std::string_view> args);

}  // namespace ringlab::tools::shm
