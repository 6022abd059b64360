// The benchmark's threads: the harness's crew and CPU helpers (common/crew.hpp)
// under the names the benchmark's parts use.
#pragma once

#include "common/crew.hpp"

namespace ringlab::bench {

using harness::allowed_cpus;
using harness::cpu_of_role;
using harness::Crew;
using harness::pin_current_thread;
using harness::pin_current_thread_to;
using harness::unpin_current_thread;

}  // namespace ringlab::bench
