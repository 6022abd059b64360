// ringlab_shm: inspects ringlab shared-memory rings (list, show, tail, remove).
// The work is in commands.cpp; see cli.hpp for the grammar.
#include <iostream>
#include <string_view>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return ringlab::tools::shm::run_tool(args, std::cout, std::cerr);
}
