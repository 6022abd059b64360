// The subcommands of ringlab_shm, over streams so that tests can run them in
// process: parse, then run. Exit statuses: 0 done; 1 a segment is missing,
// unreadable, not a valid ringlab segment, or (remove) in use; 2 bad usage.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

#include "cli.hpp"

namespace ringlab::tools::shm {

inline constexpr int kExitOk = 0;
inline constexpr int kExitSegment = 1;
inline constexpr int kExitUsage = 2;

int run(const Command& command, std::ostream& out, std::ostream& err);

// The whole tool: the arguments after the program name in, an exit status out.
int run_tool(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace ringlab::tools::shm
