// Relacy scenarios for the seqlock slot storage (variants/ringlab/storage/
// seqlock.hpp), model-checked as it ships, through RelacySync.
//
// Many writers (WriterMode::kMulti):
//   lapped_writers_cap1  2 writers x 1 reader, capacity 1: counters c and c + 1
//                        share the slot (a writer a full lap ahead)
//   lapped_writers_cap2  2 writers x 1 reader, capacity 2, 4 writes from 2^32 - 1
//   wrap_readers         1 writer x 2 readers, capacity 2, 3 writes: the writer
//                        laps slot 0 while readers copy it; counters cross 2^40
//   poll_wrap            1 writer x 1 polling reader (poll_into), capacity 2,
//                        3 writes across 2^40: exact loss accounting
//   poll_late_commit     the same, capacity 4, 2 writes: no frame may be lost
//   stall_unclaimed      1 writer x 1 reader with a stall bound, capacity 2: the
//                        cursor waits at a counter nobody claims; it must not
//                        start its clock nor give the counter up
//   pending_lapped       2 writers x 1 reader with a stall bound, capacity 1: a
//                        counter found Pending is lapped while the reader waits;
//                        overwritten, never stalled once lapped, never torn
//   (scenarios/common.hpp)
// Crash recovery (scenarios/crash_scenarios.hpp), 2 writer processes x 1
// reader, capacity 1; writer A (counter c) dies, writer B (c + 1, same slot)
// must complete, the reader never gets a torn frame nor A's counter Ready:
//   dead_writer_takeover_after_mark       A dies with its in-flight mark set:
//   dead_writer_takeover_mid_payload      B takes the slot over
//   dead_writer_takeover_before_publish   [DeadWriterTakeover]
//   dead_writer_after_claim               A dies before touching the slot
// Stalled markers and owner reuse (scenarios/crash_scenarios.hpp):
//   stalled_marker_unregistered, _owner_zero  a foreign in-flight marker: the
//                        writer behind it takes it over after the stall bound
//   stalled_marker_live_owner  never taken over: waited for, or the frame dropped
//   owner_reuse_after_exit, _after_claim  a full writer table: a gone writer's
//                        entry is reused; _blocked_mid_payload: not while its
//                        in-flight marker names it
//
// One writer (WriterMode::kSingle), named single_writer.*:
//   wrap_readers_cap1    1 writer x 2 readers, capacity 1, 2 writes from 2^32 - 1:
//                        the writer laps the only slot while readers copy it
//   wrap_readers, poll_wrap, stall_unclaimed: as above
//   poll_late_commit     capacity 2, 2 writes across 2^32: nothing may be lost
//   pending_lapped       1 writer (3 writes) x 1 reader with a stall bound,
//                        capacity 1
//   lease_give_back      writer process A writes 2 frames and gives the writer
//                        lease back; writer process B takes it and writes on
//                        from head; 1 polling reader (crash_scenarios.hpp)
//   lease_takeover_after_claim, _after_mark, _mid_payload, _before_publish:
//                        A dies on its second frame instead; B takes the lease
//                        over, commits A's counter as abandoned and writes on
//   lease_takeover_mid_payload_cap1: the same at capacity 1, where B's frame
//                        then laps A's counter (abandoned or overwritten)
//
// Invariants are checked inside each test. Mutants: each single site of
// SeqlockOrders weakened (mutation.hpp), run against each writer mode's
// scenarios apart; ctest runs those the committed lists (expectations.hpp) say
// must be caught; `--audit FILE` runs every weaker order of every site and
// writes the audit section.
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
    for (ModelCase& c : bounded_poll_cases<S>("seqlock")) v.push_back(c);
    for (ModelCase& c : dead_writer_cases<S>("seqlock")) v.push_back(c);
    for (ModelCase& c : stall_and_reuse_cases<S>("seqlock")) v.push_back(c);
    return v;
  }
};

template <class Orders>
struct SoleSeqlockCases {
  static std::vector<ModelCase> make() {
    using S = SeqlockStorage<RelacySync, Orders, WriterMode::kSingle>;
    const std::string p = "seqlock.single_writer";
    std::vector<ModelCase> v = {
        model_case<WrapReaders1<S>>(p + ".wrap_readers_cap1"),
        model_case<WrapReaders<S>>(p + ".wrap_readers"),
        lease_give_back_case<S>(p),
        model_case<PollWrap<S>>(p + ".poll_wrap"),
        model_case<PollLateCommitCap2<S>>(p + ".poll_late_commit"),
    };
    for (ModelCase& c : bounded_poll_cases<S>(p)) v.push_back(c);
    for (ModelCase& c : lease_takeover_cases<S>(p)) v.push_back(c);
    return v;
  }
};

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  std::vector<ModelCase> conforming = SeqlockCases<ringlab::SeqlockOrders>::make();
  for (ModelCase& c : SoleSeqlockCases<ringlab::SeqlockOrders>::make()) conforming.push_back(c);
  return model_main<Audited<SeqlockTable, SeqlockCases>,
                    Audited<SoleSeqlockTable, SoleSeqlockCases>>(
      argc, argv, "## seqlock\n\nScenarios (conforming, `storage/seqlock.hpp` as it ships):",
      "versioned_slot.hpp|seqlock.hpp|writer_lease.hpp", conforming);
}
