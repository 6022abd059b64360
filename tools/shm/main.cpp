// ringlab_shm: inspects ringlab shared-memory rings (list, show, tail, remove).
// The work is in commands.cpp; see cli.hpp for the grammar.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <string_view>
#include <vector>

#include "commands.hpp"

namespace {

// An owner that shrinks a segment while it is mapped makes reads past the new
// end fault: that is an error about the segment (exit 1), not a crash.
extern "C" void on_sigbus(int) {
  constexpr char kMessage[] = "ringlab_shm: the segment shrank while it was read (SIGBUS)\n";
  (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(ringlab::tools::shm::kExitSegment);
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGBUS, on_sigbus);
  const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return ringlab::tools::shm::run_tool(args, std::cout, std::cerr);
}
