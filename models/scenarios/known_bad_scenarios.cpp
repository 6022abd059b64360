// The known-bad designs (models/known_bad/), each run through the
// scenario that must catch it. Every case here must be caught, under at least
// one scheduler, with a counterexample that names variant source lines.
//
//   seed_ordering          orbit-rs 0.1.0's defect in the seqlock's orders, as it
//                          shipped (odd marker a release store with no fence,
//                          reader's second marker load acquire with no fence,
//                          plain payload): Relacy reports the data race
//                          (1 writer x 2 readers)
//   seed_ordering_atomic   the same orders with a relaxed-atomic payload (so no
//                          race to report): a torn frame passes the check
//   lapped_tear            orbit-rs 0.1.0's lapped writers: the odd marker stored
//                          unconditionally, no CAS, no check for a newer lap
//                          (2 writers, capacity 1)
//   poll_skip_pending      orbit-rs 0.1.0's poll moves past a Pending counter;
//                          with a late commit the frame is lost
//   plain_payload          a seqlock otherwise conforming whose payload is plain
//                          memory: Relacy reports the data race
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include "known_bad/seed_poll.hpp"
#include "known_bad/seed_seqlock.hpp"
#include "ringlab/storage/seqlock.hpp"
#include "scenarios/common.hpp"
// After the scenarios.
#include "mutation.hpp"

namespace ringlab::models {

struct SeedPoll {
  template <class Source, class OnFrame>
  static PollStats poll(const Source& s, RingCursor& cursor, FrameBuffer& scratch, OnFrame&& f) {
    return known_bad::seed_poll_into(s, cursor, scratch, f);
  }
};

using SeedOrdering = known_bad::SeedOrderingSeqlock<RelacySync>;
using SeedOrderingAtomic =
    known_bad::SeedSeqlockStorage<RelacySync, known_bad::SeedSeqlockOrders,
                                  known_bad::Claim::kCas, known_bad::Body::kAtomic>;
using LappedTear = known_bad::LappedTearSeqlock<RelacySync>;
using PlainPayload = known_bad::PlainPayloadSeqlock<RelacySync>;

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  const RunOptions o = parse_options(argc, argv);
  const std::vector<ModelCase> cases = {
      model_case<WrapReaders<SeedOrdering>>("known_bad.seed_ordering.wrap_readers", true),
      model_case<WrapReaders<SeedOrderingAtomic>>("known_bad.seed_ordering_atomic.wrap_readers",
                                                  true),
      model_case<LappedWriters1<LappedTear>>("known_bad.lapped_tear.lapped_writers_cap1", true),
      model_case<PollLateCommit<ringlab::SeqlockStorage<RelacySync>, SeedPoll>>(
          "known_bad.poll_skip_pending.poll_late_commit", true),
      model_case<WrapReaders<PlainPayload>>("known_bad.plain_payload.wrap_readers", true),
  };
  std::vector<LoggedOutcome> log;
  const int failures = run_cases(cases, o, "known_bad/|versioned_slot.hpp|seqlock.hpp", &log);
  if (!o.audit.empty()) {
    std::ofstream md(o.audit);
    md << "## Known-bad designs (models/known_bad/): must be caught\n\n";
    write_scenario_table(md, log);
    for (const LoggedOutcome& l : log) {
      if (!l.outcome.failed) continue;
      md << "\n#### " << l.name << " (" << l.outcome.scheduler << ")\n\n```\n"
         << l.outcome.excerpt << "```\n";
    }
  }
  std::printf("%s\n", failures == 0 ? "all model checks as expected" : "MODEL CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
