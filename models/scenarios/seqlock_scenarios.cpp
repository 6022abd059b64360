// Relacy scenarios for the seqlock slot storage (variants/ringlab/storage/
// seqlock.hpp), model-checked as it ships, through RelacySync.
//
//   lapped_writers_cap1  2 writers x 1 reader, capacity 1: counters c and c + 1
//                        share the slot (a writer a full lap ahead)
//   lapped_writers_cap2  2 writers x 1 reader, capacity 2, 4 writes from 2^32 - 1
//   wrap_readers         1 writer x 2 readers, capacity 2, 3 writes: the writer
//                        laps slot 0 while readers copy it; counters cross 2^40
//   poll_wrap            1 writer x 1 polling reader (poll_into), capacity 2,
//                        3 writes across 2^40: exact loss accounting
//   poll_late_commit     the same, capacity 4, 2 writes: no frame may be lost
// Crash recovery (scenarios/crash_scenarios.hpp), 2 writer processes x 1
// reader, capacity 1; writer A (counter c) dies, writer B (c + 1, same slot)
// must complete, the reader never gets a torn frame nor A's counter Ready:
//   dead_writer_takeover_after_mark       A dies with its in-flight mark set:
//   dead_writer_takeover_mid_payload      B takes the slot over
//   dead_writer_takeover_before_publish   [DeadWriterTakeover]
//   dead_writer_after_claim               A dies before touching the slot
//
// Invariants are checked inside each test (scenarios/common.hpp). Mutants: each
// single site of SeqlockOrders weakened (mutation.hpp); ctest runs those the
// committed list (expectations.hpp) says must be caught; `--audit FILE` runs
// every weaker order of every site and writes the audit section.
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include "ringlab/storage/seqlock.hpp"
#include "scenarios/common.hpp"
#include "scenarios/crash_scenarios.hpp"
// After the scenarios.
#include "expectations.hpp"
#include "mutation.hpp"

namespace ringlab::models {

template <class Orders>
struct SeqlockCases {
  static std::vector<ModelCase> make() {
    using S = SeqlockStorage<RelacySync, Orders>;
    std::vector<ModelCase> v = {
        model_case<LappedWriters1<S>>("seqlock.lapped_writers_cap1"),
        model_case<WrapReaders<S>>("seqlock.wrap_readers"),
        model_case<LappedWriters2<S>>("seqlock.lapped_writers_cap2"),
        model_case<PollWrap<S>>("seqlock.poll_wrap"),
        model_case<PollLateCommit<S>>("seqlock.poll_late_commit"),
    };
    for (ModelCase& c : dead_writer_cases<S>("seqlock")) v.push_back(c);
    return v;
  }
};

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  return model_main<Audited<SeqlockTable, SeqlockCases>>(
      argc, argv, "## seqlock\n\nScenarios (conforming, `storage/seqlock.hpp` as it ships):",
      "versioned_slot.hpp|seqlock.hpp", SeqlockCases<ringlab::SeqlockOrders>::make());
}
