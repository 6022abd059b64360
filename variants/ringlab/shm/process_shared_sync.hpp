// The Sync policy for storages whose locks live in shared memory. Atomics are
// the standard ones (lock-free, so address-free: one word may be mapped by
// several processes); the reader-writer lock is a pthread rwlock initialised
// PTHREAD_PROCESS_SHARED, since std::shared_mutex's lock is process-private
// (its futex waits are keyed by address space, so a wake-up never crosses one).
//
// Limit, shown by harness/shm/crash_test.cpp: POSIX rwlocks are not robust
// (only mutexes have PTHREAD_MUTEX_ROBUST). A process that dies holding a
// slot's lock leaves it held for good: every later reader and writer of that
// slot blocks. This is the rwlock variant's crash limit in shared memory.
#pragma once

#include <pthread.h>

#include <cerrno>
#include <system_error>

#include "ringlab/sync.hpp"

namespace ringlab::shm {

class ProcessSharedRwLock {
 public:
  ProcessSharedRwLock() {
    pthread_rwlockattr_t attr;
    ::pthread_rwlockattr_init(&attr);
    ::pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    const int err = ::pthread_rwlock_init(&lock_, &attr);
    ::pthread_rwlockattr_destroy(&attr);
    if (err != 0) throw std::system_error(err, std::generic_category(), "pthread_rwlock_init");
  }
  ~ProcessSharedRwLock() { ::pthread_rwlock_destroy(&lock_); }
  ProcessSharedRwLock(const ProcessSharedRwLock&) = delete;
  ProcessSharedRwLock& operator=(const ProcessSharedRwLock&) = delete;

  void lock() { check(::pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock"); }
  bool try_lock() { return ::pthread_rwlock_trywrlock(&lock_) == 0; }
  void unlock() { ::pthread_rwlock_unlock(&lock_); }
  void lock_shared() { check(::pthread_rwlock_rdlock(&lock_), "pthread_rwlock_rdlock"); }
  bool try_lock_shared() { return ::pthread_rwlock_tryrdlock(&lock_) == 0; }
  void unlock_shared() { ::pthread_rwlock_unlock(&lock_); }

 private:
  static void check(int err, const char* what) {
    if (err != 0) throw std::system_error(err, std::generic_category(), what);
  }
  pthread_rwlock_t lock_;
};

struct ProcessSharedSync : StdSync {
  using shared_mutex = ProcessSharedRwLock;
};

}  // namespace ringlab::shm
