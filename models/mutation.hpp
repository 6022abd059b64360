// Mutants generated from a variant's site table (ordering.hpp), never copied
// code: for site I and a weaker order o, the variant is instantiated with
// WeakenedOrders<Orders, I, o>. Also the per-site expectations (which
// weakenings must be caught), checked against the tables, and the ordering
// audit (results/ordering-audit.md) that walks each site down from its
// declared order.
//
// Include after the scenarios (model_runner.hpp brings Relacy's macros).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model_runner.hpp"
#include "ringlab/ordering.hpp"

namespace ringlab::models {

// What the committed expectation list says about a site's weakenings.
enum class Expect : unsigned char {
  kMustCatch,      // every one-step weakening is caught (checked in ctest)
  kOverStrong,     // a weaker order passes every scenario and is argued correct
  kNotDetectable,  // a weaker order passes, but Relacy's model cannot show why
                   // the declared one is needed (it still is, by argument)
  kScenarioGap,    // a weaker order passes only because no scenario exercises it
  kNotOnPath,      // the site is not executed in the writer mode of this list
  kNothingWeaker,  // declared relaxed (or a fence that can go no lower)
};

inline const char* to_string(Expect e) {
  switch (e) {
    case Expect::kMustCatch: return "must be caught";
    case Expect::kOverStrong: return "over-strong";
    case Expect::kNotDetectable: return "not detectable in Relacy's model";
    case Expect::kScenarioGap: return "scenario gap";
    case Expect::kNotOnPath: return "not on this writer mode's path";
    case Expect::kNothingWeaker: return "relaxed: nothing weaker";
  }
  return "?";
}

struct SiteExpectation {
  std::string_view site;  // exactly the name in the site table
  Expect expect;
  std::string_view why;
};

inline const char* order_name(std::memory_order o) {
  switch (o) {
    case std::memory_order_relaxed: return "relaxed";
    case std::memory_order_consume: return "consume";
    case std::memory_order_acquire: return "acquire";
    case std::memory_order_release: return "release";
    case std::memory_order_acq_rel: return "acq_rel";
    case std::memory_order_seq_cst: return "seq_cst";
  }
  return "?";
}

inline const char* op_name(AtomicOp op) {
  switch (op) {
    case AtomicOp::kLoad: return "load";
    case AtomicOp::kStore: return "store";
    case AtomicOp::kRmw: return "rmw";
    case AtomicOp::kCasFailure: return "cas-failure";
    case AtomicOp::kFence: return "fence";
  }
  return "?";
}

inline constexpr std::array<std::memory_order, 5> kOrderLadder = {
    std::memory_order_seq_cst, std::memory_order_acq_rel, std::memory_order_release,
    std::memory_order_acquire, std::memory_order_relaxed};

constexpr bool legal_order(AtomicOp op, std::memory_order o) {
  using enum std::memory_order;
  switch (op) {
    case AtomicOp::kLoad:
    case AtomicOp::kCasFailure: return o == relaxed || o == acquire || o == seq_cst;
    case AtomicOp::kStore: return o == relaxed || o == release || o == seq_cst;
    default: return o != consume;
  }
}

// w is strictly weaker than d.
constexpr bool strictly_weaker(std::memory_order w, std::memory_order d) {
  using enum std::memory_order;
  if (w == d) return false;
  if (w == relaxed) return true;
  if (d == seq_cst) return true;
  return d == acq_rel && (w == acquire || w == release);
}

constexpr bool one_step_weaker(AtomicOp op, std::memory_order d, std::memory_order w) {
  const auto steps = weaker_orders(op, d);
  return (steps[0] && *steps[0] == w) || (steps[1] && *steps[1] == w);
}

template <std::size_t N>
constexpr Expect expectation_of(const std::array<SiteExpectation, N>& list, std::string_view site) {
  for (const auto& e : list) {
    if (e.site == site) return e.expect;
  }
  return Expect::kMustCatch;  // unlisted: the table check fails anyway
}

inline std::string slug(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_';
    if (keep) {
      out += ch;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

struct Mutant {
  std::string table;  // e.g. "SeqlockOrders"
  std::size_t site;
  std::string_view site_name;
  std::memory_order order;
  bool one_step;
  Expect expect;
  std::vector<ModelCase> cases;  // the scenarios, instantiated with this weakening
  std::string name() const {
    return "mutant." + table + "." + slug(site_name) + "." + order_name(order);
  }
};

// A site table and its committed expectations: Table::Orders, Table::kName,
// Table::kExpect (std::array<SiteExpectation, N>). CasesFor<O>::make() lists the
// scenarios with the table's orders replaced by O.
//
// kAudit false: only one-step weakenings of must-be-caught sites (ctest).
// kAudit true: every legal order weaker than the declared one (the audit).
template <class Table, template <class> class CasesFor, bool kAudit>
std::vector<Mutant> mutants_of() {
  using Orders = typename Table::Orders;
  std::vector<Mutant> out;
  [&]<std::size_t... N>(std::index_sequence<N...>) {
    (
        [&] {
          constexpr std::size_t kSite = N / kOrderLadder.size();
          constexpr std::memory_order kOrder = kOrderLadder[N % kOrderLadder.size()];
          constexpr OrderSite site = Orders::kSites[kSite];
          constexpr bool kOneStep = one_step_weaker(site.op, site.order, kOrder);
          constexpr Expect kExpect = expectation_of(Table::kExpect, site.name);
          constexpr bool kWanted =
              legal_order(site.op, kOrder) && strictly_weaker(kOrder, site.order) &&
              (kAudit || (kOneStep && kExpect == Expect::kMustCatch));
          if constexpr (kWanted) {
            out.push_back(Mutant{std::string(Table::kName), kSite, site.name, kOrder, kOneStep,
                                 kExpect,
                                 CasesFor<WeakenedOrders<Orders, kSite, kOrder>>::make()});
          }
        }(),
        ...);
  }(std::make_index_sequence<Orders::kSites.size() * kOrderLadder.size()>{});
  return out;
}

// The committed expectation list must name exactly the table's sites, in order,
// and say kNothingWeaker exactly where the table allows nothing weaker. So a
// new site in a table fails this check until someone decides about it.
template <class Table>
int check_expectations() {
  using Orders = typename Table::Orders;
  int errors = 0;
  if (Table::kExpect.size() != Orders::kSites.size()) {
    std::printf("FAIL %s: %zu sites in the table, %zu in the expectation list\n",
                std::string(Table::kName).c_str(), Orders::kSites.size(), Table::kExpect.size());
    ++errors;
  }
  for (std::size_t i = 0; i < Orders::kSites.size() && i < Table::kExpect.size(); ++i) {
    const OrderSite& s = Orders::kSites[i];
    const SiteExpectation& e = Table::kExpect[i];
    if (s.name != e.site) {
      std::printf("FAIL %s: site %zu is '%s' in the table, '%s' in the expectation list\n",
                  std::string(Table::kName).c_str(), i, std::string(s.name).c_str(),
                  std::string(e.site).c_str());
      ++errors;
    }
    const bool nothing_weaker = !weaker_orders(s.op, s.order)[0].has_value();
    if (nothing_weaker != (e.expect == Expect::kNothingWeaker)) {
      std::printf("FAIL %s: site '%s' is declared %s; expectation '%s' does not fit\n",
                  std::string(Table::kName).c_str(), std::string(s.name).c_str(),
                  order_name(s.order), to_string(e.expect));
      ++errors;
    }
  }
  std::printf("%-4s %s: expectation list covers exactly the %zu sites of the table\n",
              errors == 0 ? "ok" : "FAIL", std::string(Table::kName).c_str(),
              Orders::kSites.size());
  return errors;
}

// Runs a mutant's scenarios under each scheduler until one catches it.
struct MutantResult {
  bool caught = false;
  std::string scenario;
  Outcome outcome;  // the catching run, or the last run
  double total_ms = 0;
};

inline MutantResult run_mutant(const Mutant& m, const RunOptions& o, std::string_view files,
                               bool print) {
  MutantResult res;
  for (const ModelCase& c : m.cases) {
    for (const rl::scheduler_type_e sched : schedulers(o)) {
      ModelCase named = c;
      named.name = m.name() + "." + c.name;
      const Outcome r = run_one(named, sched, o, files);
      res.total_ms += r.ms;
      res.outcome = r;
      res.scenario = c.name;
      if (r.failed) {
        res.caught = true;
        if (print) print_outcome(true, named.name, r, true);
        return res;
      }
    }
  }
  if (print) {
    std::printf("%-4s %-58s not caught by any scenario (%zu scenarios x %zu schedulers, %.1f ms)\n",
                "FAIL", m.name().c_str(), m.cases.size(), schedulers(o).size(), res.total_ms);
  }
  return res;
}

// ctest: every must-be-caught mutant is caught.
inline int run_must_catch(const std::vector<Mutant>& mutants, const RunOptions& o,
                          std::string_view files) {
  int failures = 0;
  for (const Mutant& m : mutants) {
    if (!m.one_step || m.expect != Expect::kMustCatch) continue;
    if (!o.filter.empty() && m.name().find(o.filter) == std::string::npos) continue;
    if (!run_mutant(m, o, files, true).caught) ++failures;
  }
  return failures;
}

// The audit of one site table: for each site, walk down from the declared
// order while some one-step weakening passes every scenario; report the
// weakest passing order and the first counterexample one step below it.
template <class Table>
int audit_table(const std::vector<Mutant>& mutants, const RunOptions& o, std::string_view files,
                std::ostream& md, std::ostream& cex) {
  using Orders = typename Table::Orders;
  int mismatches = 0;
  std::vector<std::pair<const Mutant*, MutantResult>> results;
  auto result_of = [&](std::size_t site, std::memory_order order) -> const MutantResult* {
    for (auto& [m, r] : results) {
      if (m->site == site && m->order == order) return &r;
    }
    for (const Mutant& m : mutants) {
      if (m.table == Table::kName && m.site == site && m.order == order) {
        results.emplace_back(&m, run_mutant(m, o, files, false));
        const MutantResult& r = results.back().second;
        std::printf("audit %-60s %s (%.0f ms)\n", m.name().c_str(),
                    r.caught ? "caught" : "passes", r.total_ms);
        std::fflush(stdout);
        return &r;
      }
    }
    return nullptr;
  };
  md << "\n### " << Table::kName << "\n\n"
     << "| site | op | declared | weakest passing | next weaker: first counterexample | verdict "
        "| expectation |\n|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < Orders::kSites.size(); ++i) {
    const OrderSite& s = Orders::kSites[i];
    const SiteExpectation& e = Table::kExpect[i];
    std::memory_order cur = s.order;
    std::string next_cex = "—";
    for (;;) {
      const auto steps = weaker_orders(s.op, cur);
      if (!steps[0]) break;
      bool moved = false;
      std::string first_fail;
      for (const auto& w : steps) {
        if (!w) continue;
        const MutantResult* r = result_of(i, *w);
        if (r == nullptr) continue;
        if (!r->caught) {
          cur = *w;
          moved = true;
          break;
        }
        if (first_fail.empty()) {
          const std::string anchor = slug(std::string(Table::kName) + "-" +
                                          std::string(s.name) + "-" + order_name(*w));
          first_fail = std::string(order_name(*w)) + ": " + r->outcome.verdict + " in `" +
                       r->scenario + "`, " + r->outcome.scheduler + ", iteration " +
                       std::to_string(r->outcome.iterations) + " ([trace](#" + anchor + "))";
          cex << "\n<a id=\"" << anchor << "\"></a>\n\n#### " << anchor << "\n\n" << Table::kName << " `" << s.name << "` "
              << order_name(s.order) << " -> " << order_name(*w) << ": " << r->outcome.verdict
              << " in `" << r->scenario << "` (" << r->outcome.scheduler << ", iteration "
              << r->outcome.iterations << ")\n\n```\n" << r->outcome.excerpt << "```\n";
        }
      }
      if (!moved) {
        next_cex = first_fail.empty() ? "—" : first_fail;
        break;
      }
    }
    const bool weakened = cur != s.order;
    std::string verdict;
    if (!weaker_orders(s.op, s.order)[0]) {
      verdict = "relaxed already";
    } else if (!weakened) {
      verdict = "needed: every one-step weakening caught";
    } else {
      verdict = std::string("survives down to ") + order_name(cur);
    }
    const bool consistent = (e.expect == Expect::kNothingWeaker) ||
                            (e.expect == Expect::kMustCatch ? !weakened : weakened);
    if (!consistent) ++mismatches;
    md << "| `" << s.name << "` | " << op_name(s.op) << " | " << order_name(s.order) << " | "
       << order_name(cur) << " | " << next_cex << " | " << verdict << " | "
       << to_string(e.expect) << (consistent ? "" : " **(MISMATCH)**")
       << (e.why.empty() ? "" : ": ") << e.why << " |\n";
  }
  return mismatches;
}

}  // namespace ringlab::models

namespace ringlab::models {

// Writes the Markdown section of one variant: its scenarios (scheduler,
// iterations, time, verdict) and, per site table, the audit.
inline void write_scenario_table(std::ostream& md, const std::vector<LoggedOutcome>& log) {
  md << "| scenario | scheduler | iterations | time (ms) | verdict |\n|---|---|---|---|---|\n";
  for (const LoggedOutcome& l : log) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", l.outcome.ms);
    md << "| `" << l.name << "` | " << l.outcome.scheduler << " | " << l.outcome.iterations
       << " | " << ms << " | "
       << (l.outcome.failed ? (l.mutant ? "caught: " + l.outcome.verdict : l.outcome.verdict)
                            : (l.mutant ? std::string("NOT CAUGHT") : std::string("passed")))
       << " |\n";
  }
}

#ifdef RINGLAB_MODEL_AUDIT
inline constexpr bool kAudit = true;  // the *_audit executables
#else
inline constexpr bool kAudit = false;
#endif

// A site table together with the scenario lists its mutants run against.
template <class Table, template <class> class Cases>
struct Audited {
  static int check() { return check_expectations<Table>(); }
  static std::vector<Mutant> mutants() { return mutants_of<Table, Cases, kAudit>(); }
  static int audit(const std::vector<Mutant>& mutants, const RunOptions& o,
                   std::string_view files, std::ostream& md, std::ostream& cex) {
    return audit_table<Table>(mutants, o, files, md, cex);
  }
};

// The main of one variant's model executable: the expectation check, the
// conforming scenarios, then the must-be-caught mutants (ctest) or, with
// --audit FILE, every weaker order of every site and the audit section.
// `files` names the variant's sources that counterexample traces must cite.
template <class... Tables>
int model_main(int argc, char** argv, std::string_view heading, std::string_view files,
               const std::vector<ModelCase>& conforming) {
  const RunOptions o = parse_options(argc, argv);
  int failures = (Tables::check() + ... + 0);
  std::vector<LoggedOutcome> log;
  failures += run_cases(conforming, o, files, &log);
  std::vector<Mutant> mutants;
  for (auto&& list : {Tables::mutants()...}) {
    for (const Mutant& m : list) mutants.push_back(m);
  }
  if (o.audit.empty()) {
    failures += run_must_catch(mutants, o, files);
  } else {
    std::ofstream md(o.audit);
    std::ostringstream cex;
    md << heading << "\n\n";
    write_scenario_table(md, log);
    ((failures += Tables::audit(mutants, o, files, md, cex)), ...);
    if (!cex.str().empty()) md << "\n#### Counterexamples\n" << cex.str();
  }
  std::printf("%s\n", failures == 0 ? "all model checks as expected" : "MODEL CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace ringlab::models
