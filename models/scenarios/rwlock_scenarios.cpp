// Relacy scenarios for the reader-writer-lock slot storage (variants/ringlab/
// storage/rwlock.hpp), model-checked as it ships, through RelacySync (its slot
// lock is Relacy's rw mutex; plain slot data, so Relacy reports any access
// outside the lock as a data race).
//
//   lapped_writers_cap1, lapped_writers_cap2, wrap_readers, poll_wrap: as for
//   the seqlock (scenarios/common.hpp).
//
// RwlockOrders has only relaxed sites (the locks order the data): no weakening
// exists; the expectation list still names every site.
//
// Results hold for these bounded scenarios under Relacy's memory model only.

#include "ringlab/storage/rwlock.hpp"
#include "scenarios/common.hpp"
// After the scenarios.
#include "expectations.hpp"
#include "mutation.hpp"

namespace ringlab::models {

template <class Orders>
struct RwlockCases {
  static std::vector<ModelCase> make() {
    using S = RwlockStorage<RelacySync, Orders>;
    return {
        model_case<LappedWriters1<S>>("rwlock.lapped_writers_cap1"),
        model_case<WrapReaders<S>>("rwlock.wrap_readers"),
        model_case<LappedWriters2<S>>("rwlock.lapped_writers_cap2"),
        model_case<PollWrap<S>>("rwlock.poll_wrap"),
        model_case<PollLateCommit<S>>("rwlock.poll_late_commit"),
    };
  }
};

}  // namespace ringlab::models

int main(int argc, char** argv) {
  using namespace ringlab::models;
  return model_main<Audited<RwlockTable, RwlockCases>>(
      argc, argv, "## rwlock\n\nScenarios (conforming, `storage/rwlock.hpp` as it ships):",
      "rwlock.hpp", RwlockCases<ringlab::RwlockOrders>::make());
}
