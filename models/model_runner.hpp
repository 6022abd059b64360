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
// No crash plan unless the scenario has a Processes member (built after this),
// and no SeqCstFenceRule unless the scenario's constructor turns it on.
template <class Derived, unsigned kThreads>
struct Scenario : rl::test_suite<Derived, kThreads> {
  static_assert(kThreads <= Processes::kMaxThreads);
  Scenario() {
    RelacySync::clock::reset();
    Processes::current() = nullptr;
    SeqCstFenceRule::on() = false;
  }
  // The kernel's futex queue of this iteration (RelacySync::futex_wait).
  Futexes futexes;
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

// One run of one case under one scheduler.
struct Outcome {
  bool failed = false;
  std::string verdict;    // Relacy's test result, e.g. "USER ASSERT FAILED"
  std::string scheduler;  // "random", "context-bound(1)", "full"
  unsigned long long iterations = 0;
  double ms = 0;
  std::string trace;    // path of the saved report (failures only)
  std::string excerpt;  // the report's lines naming the variant's files
};

struct RunOptions {
  rl::iteration_t random_iterations = 100000;
  unsigned context_bound = 1;
  std::string trace_dir = ".";
  std::string filter;  // run cases whose name contains this
  std::string audit;   // --audit FILE: run every weakening, write a Markdown section
  bool full_search = false;  // also Relacy's full search (small scenarios only)
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
    } else if (a == "--audit") {
      o.audit = value();
    } else if (a == "--full-search") {
      o.full_search = true;
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--iterations N] [--context-bound K] [--trace-dir DIR] [--filter TEXT]"
                   " [--audit FILE.md] [--full-search] [-v]\n";
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
    // The global history comes first; the per-thread histories repeat it.
    if (line.rfind("thread ", 0) == 0) break;
    bool names_file = false;  // `file` may list several, separated by '|'
    for (std::string_view rest = file; !rest.empty() && !names_file;) {
      const auto bar = rest.find('|');
      const std::string_view f = rest.substr(0, bar);
      names_file = !f.empty() && line.find(f) != std::string::npos;
      rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    if (names_file || line.find("ASSERT") != std::string::npos ||
        line.find("DATA RACE") != std::string::npos || line.find("DEADLOCK") != std::string::npos ||
        line.find("LIVELOCK") != std::string::npos) {
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

inline const char* scheduler_name(rl::scheduler_type_e s) {
  switch (s) {
    case rl::random_scheduler_type: return "random";
    case rl::fair_context_bound_scheduler_type: return "context-bound";
    default: return "full";
  }
}

// Runs one case under one scheduler; the report is kept (and excerpted) only
// when the run fails.
inline Outcome run_one(const ModelCase& c, rl::scheduler_type_e sched, const RunOptions& o,
                       std::string_view files_of_interest) {
  std::filesystem::create_directories(o.trace_dir);
  std::ostream quiet(nullptr);  // Relacy's progress lines
  const std::string path =
      o.trace_dir + "/" + c.name + "." + scheduler_name(sched) + ".trace.txt";
  Outcome out;
  {
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
    out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    out.failed = p.test_result != rl::test_result_success;
    out.verdict = rl::test_result_str(p.test_result);
    out.iterations = out.failed ? p.stop_iteration + 1 : p.stop_iteration;
  }
  out.scheduler = sched == rl::fair_context_bound_scheduler_type
                      ? "context-bound(" + std::to_string(o.context_bound) + ")"
                      : scheduler_name(sched);
  if (out.failed) {
    std::ostringstream text;
    text << std::ifstream(path).rdbuf();
    out.trace = path;
    if (text.str().find("variants/ringlab/") != std::string::npos) {
      out.excerpt = trace_excerpt(text.str(), files_of_interest, 24);
    }
    if (out.excerpt.empty()) out.excerpt = trace_excerpt(text.str(), "variants/ringlab/", 24);
    if (o.verbose) std::cout << text.str();
  } else {
    std::filesystem::remove(path);
  }
  return out;
}

inline std::vector<rl::scheduler_type_e> schedulers(const RunOptions& o) {
  std::vector<rl::scheduler_type_e> s = {rl::random_scheduler_type,
                                         rl::fair_context_bound_scheduler_type};
  if (o.full_search) s.push_back(rl::fair_full_search_scheduler_type);
  return s;
}

inline void print_outcome(bool ok, const std::string& name, const Outcome& r, bool mutant) {
  std::printf("%-4s %-58s %-17s %-20s %9llu iterations %9.1f ms\n", ok ? "ok" : (mutant ? "--" : "FAIL"),
              name.c_str(), r.scheduler.c_str(),
              r.failed ? (mutant ? "caught" : r.verdict.c_str())
                       : (mutant ? "NOT CAUGHT" : "passed"),
              r.iterations, r.ms);
  if (r.failed) {
    std::printf("     %s; trace: %s\n%s", r.verdict.c_str(), r.trace.c_str(), r.excerpt.c_str());
  }
  std::fflush(stdout);
}

// Runs every case under both schedulers; returns the number of unexpected
// results. A conforming case must pass under each; a known-bad case must be
// caught (by either), with a counterexample naming the variant's files.
struct LoggedOutcome {
  std::string name;
  bool mutant;
  Outcome outcome;
};

inline int run_cases(const std::vector<ModelCase>& cases, const RunOptions& o,
                     std::string_view files_of_interest,
                     std::vector<LoggedOutcome>* log = nullptr) {
  int failures = 0;
  for (const ModelCase& c : cases) {
    if (!o.filter.empty() && c.name.find(o.filter) == std::string::npos) continue;
    bool caught = false;
    for (const rl::scheduler_type_e sched : schedulers(o)) {
      if (c.mutant && caught) break;
      const Outcome r = run_one(c, sched, o, files_of_interest);
      if (log != nullptr) log->push_back({c.name, c.mutant, r});
      const bool named = !r.excerpt.empty() &&
                         r.excerpt.find("variants/ringlab/") != std::string::npos;
      caught = caught || (r.failed && named);
      const bool ok = c.mutant ? (r.failed && named) : !r.failed;
      print_outcome(ok, c.name, r, c.mutant);
      if (!c.mutant && !ok) ++failures;
    }
    if (c.mutant && !caught) {
      std::printf("FAIL %s: not caught by any scheduler\n", c.name.c_str());
      ++failures;
    }
  }
  return failures;
}

}  // namespace ringlab::models
