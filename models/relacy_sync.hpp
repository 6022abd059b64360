// RelacySync: the Sync policy (variants/ringlab/sync.hpp) mapped onto the
// Relacy race detector, so that the variant headers are model-checked exactly
// as they ship.
//
//   Sync::atomic<T>         an 8-byte handle to a heap-allocated Relacy atomic:
//                           the storages lay their words out 8 bytes apart in a
//                           byte region, and rl::atomic<uint64_t> is 56 bytes.
//   Sync::fence             rl::atomic_thread_fence (relaxed: a no-op, as in std);
//                           seq_cst fences also order seq_cst loads where a
//                           scenario turns SeqCstFenceRule on
//   Sync::shared_mutex      Relacy's reader-writer mutex (the rwlock emulation)
//   Sync::clock             a fake steady clock: every now() advances one tick
//   Sync::futex_wait/_wake_all  the kernel's futex as one mutex and condition
//                           variable (Futexes below): the wait compares the word
//                           under the mutex and sleeps on the condvar; a wake
//                           notifies under it. A timed wait may time out at any
//                           point; an untimed one woken by nobody is a deadlock
//   Sync::spin_pause/yield  rl::yield, so fair schedulers see spinning
//   Sync::process_id        the Relacy thread index + 1: each model thread is
//                           a process of its own (see Processes below)
//   Sync::process_gone      the dead flag of that thread, an acquire load
//   Sync::crash_point       throws ProcessDied where the scenario's crash plan
//                           says this thread dies
//
// Every operation takes a defaulted std::source_location, filled in at the
// caller, and hands it to Relacy as rl::debug_info: counterexample traces name
// the variant's own lines (e.g. versioned_slot.hpp(187)), not this file's.
//
// Everything here must be created and destroyed while a Relacy test runs (in a
// test's constructor, before(), a thread, after() or destructor).
//
// Include order: relacy.hpp defines macros (new, delete, malloc, free, assert,
// errno, memory_order_*, and POSIX/Win32 emulation such as pthread_mutex_t).
// This header removes the ones that break standard C++ (and restores assert and
// errno) but leaves the POSIX/Win32 ones, so include it last in a scenario file
// (the ringlab headers, Abseil's included, also parse after it today).
//
// One translation unit per model executable: Relacy replaces the global
// operator new/delete with inline definitions in its headers.
#pragma once

#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <ratio>
#include <shared_mutex>
#include <source_location>

#include "ringlab/sync.hpp"  // CrashPoint; before Relacy's macros

#pragma push_macro("assert")
#pragma push_macro("errno")
#include <relacy/relacy.hpp>
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#undef assert
#undef errno
#pragma pop_macro("assert")
#pragma pop_macro("errno")

// Relacy replaces the global operator new/delete (it tracks every allocation
// made while a test runs) but predates C++14's sized delete, which C++20 code
// calls (std::allocator, delete-expressions). Unreplaced, libstdc++'s sized
// delete hands Relacy's blocks to libc free(). Route it to Relacy's delete.
inline void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
inline void operator delete[](void* p, std::size_t) noexcept { ::operator delete[](p); }

namespace ringlab::models {

namespace adapter {

constexpr rl::memory_order to_rl(std::memory_order mo) {
  switch (mo) {
    case std::memory_order_relaxed: return rl::mo_relaxed;
    case std::memory_order_consume: return rl::mo_consume;
    case std::memory_order_acquire: return rl::mo_acquire;
    case std::memory_order_release: return rl::mo_release;
    case std::memory_order_acq_rel: return rl::mo_acq_rel;
    case std::memory_order_seq_cst: return rl::mo_seq_cst;
  }
  return rl::mo_seq_cst;
}

// Relacy accepts only C++11's (success, failure) pairs: failure no stronger
// than success. C++17 allows e.g. (relaxed, acquire); model such a pair by
// raising the success order just enough (stronger than asked: say so in audits).
constexpr std::memory_order cas_success_for(std::memory_order success,
                                            std::memory_order failure) {
  using enum std::memory_order;
  if (failure == seq_cst) return seq_cst;
  if (failure == acquire || failure == consume) {
    if (success == relaxed) return acquire;
    if (success == release) return acq_rel;
  }
  return success;
}

// GCC's function_name() is the whole signature with its template arguments;
// a trace line wants "ringlab::detail::VersionedSlot<Sync, Orders>::read".
// Interned once per function, in memory the model never tracks or frees.
inline const char* short_function_name(const char* full) {
  struct Entry {
    const char* full;
    const char* name;
  };
  static Entry table[1024];
  const std::size_t n = sizeof table / sizeof table[0];
  std::size_t i = (reinterpret_cast<std::uintptr_t>(full) >> 4) % n;
  for (std::size_t probes = 0; probes < n; ++probes, i = (i + 1) % n) {
    if (table[i].full == full) return table[i].name;
    if (table[i].full != nullptr) continue;
    // [begin, end): from after the return type (last top-level space) to the
    // parameter list (first top-level '(').
    const char* begin = full;
    const char* end = full + std::strlen(full);
    int depth = 0;
    for (const char* p = full; *p != '\0'; ++p) {
      if (*p == '<' || *p == '[') ++depth;
      if (*p == '>' || *p == ']') --depth;
      if (depth == 0 && *p == ' ') begin = p + 1;
      if (depth == 0 && *p == '(' && p != full && p[-1] != 'r') {  // not "operator()"
        end = p;
        break;
      }
    }
    const std::size_t len = end > begin ? static_cast<std::size_t>(end - begin) : 0;
    char* copy = static_cast<char*>(std::malloc(len + 1));
    if (copy == nullptr) return full;
    std::memcpy(copy, begin, len);
    copy[len] = '\0';
    table[i] = {full, copy};
    return copy;
  }
  return full;
}

inline rl::debug_info info(const std::source_location& loc) {
  return rl::debug_info(short_function_name(loc.function_name()), loc.file_name(),
                        static_cast<unsigned>(loc.line()));
}

}  // namespace adapter

class Processes;

// Relacy (C++ mode) orders a seq_cst fence only against other seq_cst fences.
// C++20 also orders it against seq_cst operations ([atomics.order] p4.2): if a
// store happens before a seq_cst fence, a seq_cst load after that fence in
// the total order S reads that store or a later one. With S following
// execution order, as it does in Relacy: a seq_cst load sees every store that
// happens before a seq_cst fence executed earlier. Scenarios whose verdict
// rests on that rule turn it on (the single writer's (D18) against a
// registering reader's (D7)); before each seq_cst load the loading thread
// then takes in the clock of the latest seq_cst fence. The clock stays with
// the thread, so its later operations see those stores too: stronger than
// C++, which constrains only that load. So the rule can hide a weakening,
// never invent a failure.
struct SeqCstFenceRule {
  // Off unless the running scenario turns it on (models::Scenario resets it).
  static bool& on() {
    static bool enabled = false;
    return enabled;
  }
  static void before_seq_cst_load(const rl::debug_info& info) {
    rl::context& c = rl::ctx();
    rl::thread_info_base& t = *c.threadx_;
    bool raised = false;
    for (rl::thread_id_t i = 0; i != c.get_thread_count(); ++i) {
      if (i != t.index_ && c.seq_cst_fence_order_[i] > t.acq_rel_order_[i]) {
        t.acq_rel_order_[i] = c.seq_cst_fence_order_[i];
        raised = true;
      }
    }
    if (raised && c.collecting_history()) {
      c.exec_log_msg(info, "seq_cst load after a seq_cst fence: sees the stores before it");
    }
  }
};

// Thrown by RelacySync::crash_point where a crash plan says the calling
// thread's process dies; caught by Processes::run in the scenario's thread.
struct ProcessDied {};

struct RelacySync {
  using here = std::source_location;
  // Writer tables (detail/writer_table.hpp) of 4 entries: every entry is an
  // atomic the checker tracks, and no scenario has more writer processes.
  static constexpr std::size_t kMaxWriterProcesses = 4;
  // [WriterStallBound] in ticks of the fake clock below (one per now()): a
  // waiting writer gives up on a marker after a few of its own checks, so the
  // scenarios reach the stall path without long runs.
  static constexpr std::chrono::duration<std::int64_t, std::micro> kWriterStallBound{3};

  // Same operations as std::atomic, each with an explicit order (no implicit
  // conversions or operators: every site names its order).
  template <class T>
  class atomic {
    using Impl = rl::generic_atomic<T, /*strong_init=*/true>;

   public:
    // Value-initialised, as std::atomic<T>() in C++20, by a relaxed store
    // rather than Relacy's strong_init alone: Relacy's atomic_init leaves the
    // init record's first_seen_order_ unset (slab memory, reused from earlier
    // atomics or fresh from malloc), and loads consult it to decide whether a
    // spinning thread must see the latest value after a yield. With it unset,
    // runs depended on heap contents (a context-bound search passed or failed
    // with the length of --filter), a spinner could read a stale value for
    // ever, and a failure found in the first pass need not recur in Relacy's
    // replay (which then reports success). The store sets every field of the
    // record; the cost is one history entry per atomic built.
    atomic(here loc = here::current()) : impl_(make()) {  // NOLINT: default constructor
      impl_->store(T(), rl::mo_relaxed, adapter::info(loc));
    }
    atomic(T value, here loc = here::current()) : impl_(make()) {  // NOLINT: as std::atomic
      impl_->store(value, rl::mo_relaxed, adapter::info(loc));
    }
    ~atomic() {
      impl_->~Impl();
      std::free(impl_);
    }
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(std::memory_order mo, here loc = here::current()) const {
      if (mo == std::memory_order_seq_cst && SeqCstFenceRule::on()) {
        SeqCstFenceRule::before_seq_cst_load(adapter::info(loc));
      }
      return impl_->load(adapter::to_rl(mo), adapter::info(loc));
    }
    void store(T value, std::memory_order mo, here loc = here::current()) {
      impl_->store(value, adapter::to_rl(mo), adapter::info(loc));
    }
    T exchange(T value, std::memory_order mo, here loc = here::current()) {
      return impl_->exchange(value, adapter::to_rl(mo), adapter::info(loc));
    }
    T fetch_add(T value, std::memory_order mo, here loc = here::current()) {
      return impl_->fetch_add(value, adapter::to_rl(mo), adapter::info(loc));
    }
    T fetch_sub(T value, std::memory_order mo, here loc = here::current()) {
      return impl_->fetch_sub(value, adapter::to_rl(mo), adapter::info(loc));
    }
    T fetch_or(T value, std::memory_order mo, here loc = here::current()) {
      return impl_->fetch_or(value, adapter::to_rl(mo), adapter::info(loc));
    }
    T fetch_and(T value, std::memory_order mo, here loc = here::current()) {
      return impl_->fetch_and(value, adapter::to_rl(mo), adapter::info(loc));
    }

    bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                               std::memory_order failure, here loc = here::current()) {
      return cas<true>(expected, desired, success, failure, loc);
    }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                                 std::memory_order failure, here loc = here::current()) {
      return cas<false>(expected, desired, success, failure, loc);
    }
    bool compare_exchange_weak(T& expected, T desired, std::memory_order mo,
                               here loc = here::current()) {
      return cas<true>(expected, desired, mo, implied_failure(mo), loc);
    }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order mo,
                                 here loc = here::current()) {
      return cas<false>(expected, desired, mo, implied_failure(mo), loc);
    }

   private:
    // Untracked memory (libc, not Relacy's heap): Relacy makes every free()
    // inside a test a scheduling choice (reuse the block now or later), which
    // would double the context-bound search per atomic destroyed. Relacy still
    // tracks the atomic itself (its atomic_dtor reports leaks and misuse).
    static Impl* make() {
      void* p = std::malloc(sizeof(Impl));
      if (p == nullptr) throw std::bad_alloc();
      return ::new (p) Impl();
    }

    static constexpr std::memory_order implied_failure(std::memory_order mo) {
      if (mo == std::memory_order_acq_rel) return std::memory_order_acquire;
      if (mo == std::memory_order_release) return std::memory_order_relaxed;
      return mo;
    }
    template <bool kWeak>
    bool cas(T& expected, T desired, std::memory_order success, std::memory_order failure,
             const here& loc) {
      return impl_->compare_exchange(rl::bool_t<kWeak>(), expected, desired,
                                     adapter::to_rl(adapter::cas_success_for(success, failure)),
                                     adapter::to_rl(failure), adapter::info(loc));
    }

    Impl* impl_;
  };

  static void fence(std::memory_order mo, here loc = here::current()) {
    if (mo == std::memory_order_relaxed) {
      // No effect in std; Relacy rejects it. Keep the site visible in traces
      // (a mutant's weakened fence lands here).
      rl::context& c = rl::ctx();
      if (c.collecting_history()) c.exec_log_msg(adapter::info(loc), "relaxed fence (no effect)");
      return;
    }
    rl::atomic_thread_fence(adapter::to_rl(mo), adapter::info(loc));
  }

  // A plain (non-atomic) memory cell that Relacy watches for data races. Not
  // part of the Sync interface the conforming variants use: only the known-bad
  // designs (models/known_bad/) keep data in plain memory.
  template <class T>
  class plain {
   public:
    plain() : impl_(make()) {}
    ~plain() {
      impl_->~Impl();
      std::free(impl_);
    }
    plain(const plain&) = delete;
    plain& operator=(const plain&) = delete;
    T load(here loc = here::current()) const { return (*impl_)(adapter::info(loc)).load(); }
    void store(T value, here loc = here::current()) { (*impl_)(adapter::info(loc)).store(value); }

   private:
    using Impl = rl::var<T>;
    static Impl* make() {
      void* p = std::malloc(sizeof(Impl));
      if (p == nullptr) throw std::bad_alloc();
      return ::new (p) Impl(T{});
    }
    Impl* impl_;
  };

  static void spin_pause(here loc = here::current()) { rl::yield(1, adapter::info(loc)); }
  static void yield(here loc = here::current()) { rl::yield(1, adapter::info(loc)); }

  // Relacy's threads are fibers of one OS thread (thread_local would not tell
  // them apart): the process of a model thread is its Relacy thread index + 1,
  // never 0 (0 means "no owner" in the writer table and the gate owner words).
  static std::uint64_t process_id() {
    return static_cast<std::uint64_t>(rl::ctx().current_thread()) + 1;
  }
  // Defined after Processes. Without a Processes object in the running
  // scenario, no process is ever gone and no crash point fires, and neither
  // touches Relacy (no scheduling point added to the other scenarios).
  static bool process_gone(std::uint64_t pid, here loc = here::current());
  template <class TimePoint>
  static bool futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected, TimePoint deadline,
                         here loc = here::current());
  static void futex_wake_all(atomic<std::uint32_t>& word, here loc = here::current());
  static void crash_point(CrashPoint where, here loc = here::current());

  class shared_mutex {
   public:
    shared_mutex(here loc = here::current()) {  // NOLINT: default constructor
      m_.init(/*is_rw=*/true, /*is_exclusive_recursive=*/false, /*is_shared_recursive=*/false,
              /*failing_try_lock=*/false, adapter::info(loc));
    }
    ~shared_mutex() { m_.deinit(adapter::info(here::current())); }
    shared_mutex(const shared_mutex&) = delete;
    shared_mutex& operator=(const shared_mutex&) = delete;

    void lock(here loc = here::current()) { m_.lock_exclusive(adapter::info(loc)); }
    bool try_lock(here loc = here::current()) { return m_.try_lock_exclusive(adapter::info(loc)); }
    void unlock(here loc = here::current()) { m_.unlock_exclusive(adapter::info(loc)); }
    void lock_shared(here loc = here::current()) { m_.lock_shared(adapter::info(loc)); }
    bool try_lock_shared(here loc = here::current()) {
      return m_.try_lock_shared(adapter::info(loc));
    }
    void unlock_shared(here loc = here::current()) { m_.unlock_shared(adapter::info(loc)); }

   private:
    struct tag;
    rl::generic_mutex<tag> m_;
  };

  class mutex {
   public:
    mutex() = default;
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;

    void lock(here loc = here::current()) { m_.lock(adapter::info(loc)); }
    bool try_lock(here loc = here::current()) { return m_.try_lock(adapter::info(loc)); }
    void unlock(here loc = here::current()) { m_.unlock(adapter::info(loc)); }
    rl::mutex& native() { return m_; }

   private:
    rl::mutex m_;
  };

  // Relacy has no time. now() advances by one tick per call, and a timed wait
  // may time out at any point the scheduler picks (then the clock jumps to its
  // deadline). Reset it at the start of every iteration (models::Scenario does),
  // or a replayed counterexample diverges from the run that found it.
  struct clock {
    using rep = std::int64_t;
    using period = std::micro;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<clock>;
    static constexpr bool is_steady = true;
    static constexpr duration kTick{1};
    // Timeouts this long (from any reachable now()) never expire in a model:
    // waits with such a deadline are untimed (see condition_variable).
    static constexpr duration kForever{std::int64_t{1} << 50};

    static time_point now() { return time_point(ticks() += kTick); }
    static void reset() { ticks() = duration::zero(); }
    static void advance_to(time_point t) {
      if (t.time_since_epoch() > ticks()) ticks() = t.time_since_epoch();
    }

   private:
    static duration& ticks() {
      static duration t{0};
      return t;
    }
  };

  class condition_variable {
   public:
    condition_variable(here loc = here::current()) {  // NOLINT: default constructor
      cv_.init(/*allow_spurious_wakeups=*/true, adapter::info(loc));
    }
    ~condition_variable() { cv_.deinit(adapter::info(here::current())); }
    condition_variable(const condition_variable&) = delete;
    condition_variable& operator=(const condition_variable&) = delete;

    void notify_one(here loc = here::current()) { cv_.notify_one(adapter::info(loc)); }
    void notify_all(here loc = here::current()) { cv_.notify_all(adapter::info(loc)); }

    void wait(std::unique_lock<mutex>& lock, here loc = here::current()) {
      cv_.wait(lock.mutex()->native(), /*is_timed=*/false, adapter::info(loc));
    }
    template <class Duration>
    std::cv_status wait_until(std::unique_lock<mutex>& lock,
                              const std::chrono::time_point<clock, Duration>& deadline,
                              here loc = here::current()) {
      // A deadline at or past clock::kForever is "never": an untimed wait, so
      // that a lost wake-up shows as a deadlock instead of a timeout.
      const bool timed = deadline.time_since_epoch() < clock::kForever;
      const rl::sema_wakeup_reason r =
          cv_.wait(lock.mutex()->native(), /*is_timed=*/timed, adapter::info(loc));
      if (r != rl::sema_wakeup_reason_timeout) return std::cv_status::no_timeout;
      clock::advance_to(std::chrono::time_point_cast<clock::duration>(deadline));
      return std::cv_status::timeout;
    }
    template <class Duration, class Predicate>
    bool wait_until(std::unique_lock<mutex>& lock,
                    const std::chrono::time_point<clock, Duration>& deadline, Predicate ready,
                    here loc = here::current()) {
      while (!ready()) {
        if (wait_until(lock, deadline, loc) == std::cv_status::timeout) return ready();
      }
      return true;
    }

   private:
    struct tag;
    rl::condvar<tag> cv_;
  };
};

// The processes of a crash scenario (a member of the scenario, so one per
// iteration). Its crash plan says at which CrashPoint a thread's process dies;
// the plan is set in the scenario's constructor, and while the threads run
// each thread only counts down its own entry (plain memory: no other thread
// reads it). Dying is a ProcessDied exception from RelacySync::crash_point,
// thrown through the storage code and caught by run() in the same fiber: the
// thread stores nothing more, as a process killed there would not.
//
// [DeadWritesVisible] is modelled by each thread's dead flag: the dying thread
// stores it (release) after its last store, and process_gone() loads it
// (acquire), so whoever sees a process gone sees all it wrote. A thread whose
// body returns normally stays alive (a process that lives on).
class Processes {
 public:
  static constexpr unsigned kMaxThreads = 8;

  Processes() { current() = this; }
  ~Processes() {
    if (current() == this) current() = nullptr;
  }
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  // Thread `thread`'s process dies at `where`, once it has passed it alive
  // `survive` times (0: the first time it gets there).
  void crash_at(unsigned thread, CrashPoint where, unsigned survive = 0) {
    RL_ASSERT(thread < kMaxThreads);
    plan_[thread] = Plan{true, where, survive};
  }

  // Thread `thread`'s process stops at `where` (as by SIGSTOP: alive, its
  // stores so far made, nothing more) until another thread calls resume().
  void stop_at(unsigned thread, CrashPoint where) {
    RL_ASSERT(thread < kMaxThreads);
    plan_[thread] = Plan{true, where, 0, true};
  }
  void resume(unsigned thread, RelacySync::here loc = RelacySync::here::current()) {
    RL_ASSERT(thread < kMaxThreads);
    resumed_[thread].store(true, std::memory_order_release, loc);
  }
  // Called where a stop plan says: yields until resumed.
  void wait_until_resumed(unsigned thread, RelacySync::here loc) const {
    while (!resumed_[thread].load(std::memory_order_acquire, loc)) RelacySync::yield(loc);
  }
  bool stops_at(unsigned thread, CrashPoint where) const {
    return thread < kMaxThreads && plan_[thread].set && plan_[thread].stop &&
           plan_[thread].where == where;
  }

  // Runs `body` as the life of this thread's process; false when it died at
  // its planned crash point. The dead flag is stored after the handler, not in
  // it: the C++ runtime keeps one stack of caught exceptions per OS thread, and
  // a Relacy operation inside a handler could switch to a fiber that throws
  // and catches too, interleaving the two fibers' entries on that stack.
  template <class Body>
  bool run(unsigned thread, Body&& body) {
    bool died = false;
    try {
      body();
    } catch (const ProcessDied&) {
      died = true;
    }
    if (died) die(thread);
    return !died;
  }

  // The process of `thread` ends here (a reader killed from outside: no crash
  // point needed). Nothing after this call may touch shared state.
  void die(unsigned thread, RelacySync::here loc = RelacySync::here::current()) {
    RL_ASSERT(thread < kMaxThreads);
    dead_[thread].store(true, std::memory_order_release, loc);  // [DeadWritesVisible]
  }

  bool gone(std::uint64_t pid, RelacySync::here loc) const {
    // A word that is no model thread's id names no process: gone, as
    // StdSync::process_gone says of a word that is no pid.
    if (pid == 0 || pid > kMaxThreads) return true;
    return dead_[pid - 1].load(std::memory_order_acquire, loc);  // [DeadWritesVisible]
  }

  // Called at each crash point the thread reaches: whether it dies there.
  bool dies_at(unsigned thread, CrashPoint where) {
    if (thread >= kMaxThreads || !plan_[thread].set || plan_[thread].stop ||
        plan_[thread].where != where) {
      return false;
    }
    if (plan_[thread].survive == 0) return true;
    --plan_[thread].survive;
    return false;
  }

  // The running scenario's processes, or nullptr. Models::Scenario clears it
  // when an iteration's test object is built: a failed iteration never
  // destroys its test object, so a stale pointer could outlive it.
  static Processes*& current() {
    static Processes* p = nullptr;
    return p;
  }

 private:
  struct Plan {
    bool set = false;
    CrashPoint where = CrashPoint::kAfterClaim;
    unsigned survive = 0;
    bool stop = false;  // stops there (stop_at) instead of dying
  };
  std::array<Plan, kMaxThreads> plan_{};
  std::array<RelacySync::atomic<bool>, kMaxThreads> dead_;
  std::array<RelacySync::atomic<bool>, kMaxThreads> resumed_;
};

// The model's futex: a futex_wait compares its word and joins the queue under
// the kernel's lock, and a wake takes the same lock, as the kernel's hash
// bucket lock orders them. One queue for every word (a wake may wake sleepers
// of another word: futex_wait callers must allow early returns). Built by each
// iteration's test object (models::Scenario).
class Futexes {
 public:
  Futexes() { current() = this; }
  ~Futexes() { current() = nullptr; }
  Futexes(const Futexes&) = delete;
  Futexes& operator=(const Futexes&) = delete;

  static Futexes*& current() {
    static Futexes* f = nullptr;
    return f;
  }
  RelacySync::mutex lock;
  RelacySync::condition_variable queue;
};

template <class TimePoint>
bool RelacySync::futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected,
                            TimePoint deadline, here loc) {
  Futexes* f = Futexes::current();
  RL_ASSERT(f != nullptr);
  std::unique_lock<mutex> held(f->lock);
  // Relaxed: the kernel's lock orders this read against a waker's change.
  if (word.load(std::memory_order_relaxed, loc) != expected) return true;
  return f->queue.wait_until(held, deadline, loc) == std::cv_status::no_timeout;
}

inline void RelacySync::futex_wake_all(atomic<std::uint32_t>&, here loc) {
  Futexes* f = Futexes::current();
  RL_ASSERT(f != nullptr);
  std::lock_guard<mutex> held(f->lock);
  f->queue.notify_all(loc);
}

inline bool RelacySync::process_gone(std::uint64_t pid, here loc) {
  const Processes* p = Processes::current();
  return p != nullptr && p->gone(pid, loc);
}

inline void RelacySync::crash_point(CrashPoint where, here loc) {
  Processes* p = Processes::current();
  if (p == nullptr) return;
  rl::context& c = rl::ctx();
  const auto thread = static_cast<unsigned>(c.current_thread());
  if (p->stops_at(thread, where)) {
    if (c.collecting_history()) c.exec_log_msg(adapter::info(loc), "crash point: the process stops");
    p->wait_until_resumed(thread, loc);
    return;
  }
  if (!p->dies_at(thread, where)) return;
  if (c.collecting_history()) c.exec_log_msg(adapter::info(loc), "crash point: the process dies");
  throw ProcessDied{};
}

// The storages place 8-byte words in a byte region.
static_assert(sizeof(RelacySync::atomic<std::uint64_t>) == sizeof(std::uint64_t));
static_assert(alignof(RelacySync::atomic<std::uint64_t>) <= alignof(std::uint64_t));

}  // namespace ringlab::models
