// The Sync policy of rwlock rings in shared memory. RwlockStorage's slot locks
// are lock words (detail/slot_lock.hpp) made of lock-free atomics, which are
// address-free, so this is StdSync: the lock that ships in shared memory is
// the one in-process rings use and the models check. A writer that dies
// holding a slot's lock is recovered by the next process that waits for it
// [DeadWriterRecovery]; and since a lock's holder here may be another process,
// which can stop or die alone, no wait on a slot outlasts
// StdSync::kWriterStallBound [LockStallBound] (harness/shm/crash_test.cpp
// shows both).
//
// It stays a type of its own because shm/shared_ring.hpp admits rwlock
// storages by it (ProcessSharedLocks names ProcessSharedRwLock). That lock is
// gone: the name now only marks the policy, and nothing can construct it.
#pragma once

#include "ringlab/sync.hpp"

namespace ringlab::shm {

struct ProcessSharedRwLock {
  ProcessSharedRwLock() = delete;
};

struct ProcessSharedSync : StdSync {
  using shared_mutex = ProcessSharedRwLock;
  static constexpr bool kBoundedLockWaits = true;
};

}  // namespace ringlab::shm
