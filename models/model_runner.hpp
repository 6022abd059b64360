// A small driver for Relacy scenarios: a test base that resets the fake clock,
// and a runner that runs each registered scenario under the random and the
// context-bound scheduler, times it, and checks the verdict (a conforming
// scenario must pass; a mutant must be caught, its counterexample is saved).
//
// Include after the ringlab headers (see relacy_sync.hpp on include order).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relacy_sync.hpp"

namespace ringlab::models {

// Base of every scenario: a Relacy test suite for kThreads threads. The test
// object is built afresh for each iteration, so per-iteration state lives here.
template <class Derived, unsigned kThreads>
struct Scenario : rl::test_suite<Derived, kThreads> {
  Scenario() { RelacySync::clock::reset(); }
};

struct ModelCase {
  std::string name;
  bool mutant;  // true: must be caught
  bool (*simulate)(rl::test_params&);
};

template <class Test>
ModelCase model_case(std::string name, bool mutant = false) {
  return {std::move(name), mutant, &rl::simulate<Test>};
}

struct RunOptions {
  rl::iteration_t random_iterations = 100000;
  unsigned context_bound = 1;
  std::string trace_dir = ".";
  std::string filter;  // run cases whose name contains this
  bool verbose = false;
};

inline RunOptions parse_options(int argc, char** argv) {
  RunOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "missing value after " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--iterations") {
      o.random_iterations = std::strtoull(value(), nullptr, 10);
    } else if (a == "--context-bound") {
      o.context_bound = static_cast<unsigned>(std::strtoul(value(), nullptr, 10));
    } else if (a == "--trace-dir") {
      o.trace_dir = value();
    } else if (a == "--filter") {
      o.filter = value();
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--iterations N] [--context-bound K] [--trace-dir DIR] [--filter TEXT] [-v]\n";
      std::exit(2);
    }
  }
  return o;
}

// The lines of a Relacy report worth pasting: the verdict, and the history
// lines that name `file` (the variant's own code), with the final assertion.
inline std::string trace_excerpt(const std::string& report, std::string_view file,
                                 std::size_t max_lines = 16) {
  std::istringstream in(report);
  std::vector<std::string> head, hits;
  std::string line;
  bool in_history = false;
  while (std::getline(in, line)) {
    if (!in_history) {
      if (line.find("iteration:") == 0) in_history = true;
      if (!line.empty()) head.push_back(line);
      continue;
    }
    if (line.find(file) != std::string::npos || line.find("ASSERT") != std::string::npos) {
      hits.push_back(line);
    }
  }
  std::string out;  // the verdict and iteration lines, not Relacy's mangled test name
  for (std::size_t i = head.size() > 2 ? head.size() - 2 : 0; i < head.size(); ++i) {
    out += "    " + head[i] + "\n";
  }
  const std::size_t from = hits.size() > max_lines ? hits.size() - max_lines : 0;
  if (from > 0) out += "    ...\n";
  for (std::size_t i = from; i < hits.size(); ++i) out += "    " + hits[i] + "\n";
  return out;
}

// Runs every case under both schedulers; returns the process exit status.
inline int run_cases(const std::vector<ModelCase>& cases, const RunOptions& o,
                     std::string_view trace_file_of_interest) {
  std::ostream quiet(nullptr);  // Relacy's progress lines
  int failures = 0;
  std::filesystem::create_directories(o.trace_dir);
  for (const ModelCase& c : cases) {
    if (!o.filter.empty() && c.name.find(o.filter) == std::string::npos) continue;
    for (const rl::scheduler_type_e sched :
         {rl::random_scheduler_type, rl::fair_context_bound_scheduler_type}) {
      const bool random = sched == rl::random_scheduler_type;
      const std::string path =
          o.trace_dir + "/" + c.name + (random ? ".random" : ".context-bound") + ".trace.txt";
      // Relacy writes its report while its heap hooks are live: give it a file
      // stream, whose buffer was allocated before (a string stream would grow
      // through Relacy's allocator and free a block Relacy never handed out).
      std::ofstream report(path);
      rl::test_params p;
      p.output_stream = &report;
      p.progress_stream = o.verbose ? &std::cerr : &quiet;
      p.search_type = sched;
      p.iteration_count = o.random_iterations;
      p.context_bound = o.context_bound;
      const auto t0 = std::chrono::steady_clock::now();
      c.simulate(p);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      report.close();
      std::ostringstream text;
      text << std::ifstream(path).rdbuf();
      const bool failed = p.test_result != rl::test_result_success;
      // A caught mutant's counterexample must name the variant's own lines.
      const bool ok = c.mutant ? failed && text.str().find(trace_file_of_interest) !=
                                               std::string::npos
                               : !failed;
      const std::string sched_name =
          random ? "random" : "context-bound(" + std::to_string(o.context_bound) + ")";
      std::printf("%-4s %-44s %-18s %-22s %10llu iterations %9.1f ms\n", ok ? "ok" : "FAIL",
                  c.name.c_str(), sched_name.c_str(),
                  failed ? (c.mutant ? "caught" : rl::test_result_str(p.test_result))
                         : (c.mutant ? "NOT CAUGHT" : "passed"),
                  static_cast<unsigned long long>(failed ? p.stop_iteration + 1 : p.stop_iteration),
                  ms);
      if (failed) {
        std::printf("     %s; trace: %s\n%s", rl::test_result_str(p.test_result), path.c_str(),
                    trace_excerpt(text.str(), trace_file_of_interest).c_str());
      }
      if (o.verbose) std::cout << text.str();
      if (!failed) std::filesystem::remove(path);
      std::fflush(stdout);
      if (!ok) ++failures;
    }
  }
  std::printf("%s\n", failures == 0 ? "all model checks as expected" : "MODEL CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace ringlab::models
