// Rings keyed by their kind byte. The first creator of a kind fixes its spec
// and storage options; asking for the same kind with others is an error.
// (RingOptions::first_counter only matters to the creator.)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ringlab/frame.hpp"
#include "ringlab/ring.hpp"

namespace ringlab {

template <class RingT>
class RingRegistry {
 public:
  absl::StatusOr<std::shared_ptr<RingT>> get_or_create(
      std::uint8_t kind, const RingSpec& spec, const RingOptions& options = {},
      const typename RingT::StorageOptions& storage_options = {}) {
    // A std::mutex, not absl::Mutex: Debian's Abseil is not built for TSan.
    std::lock_guard lock(mutex_);
    std::shared_ptr<RingT>& slot = rings_[kind];
    if (slot) {
      if (slot->spec() != spec) {
        return absl::AlreadyExistsError(absl::StrCat("ring of kind ", kind, " exists with spec ",
                                                     to_string(slot->spec()),
                                                     "; asked for ", to_string(spec)));
      }
      if (!(slot->storage_options() == storage_options)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "ring of kind ", kind, " exists with other storage options (such as gated or "
            "overwrite mode) than asked for"));
      }
      return slot;
    }
    auto ring = RingT::create(kind, spec, options, storage_options);
    if (!ring.ok()) return ring.status();
    slot = std::move(*ring);
    return slot;
  }

  // nullptr when no ring of this kind was created.
  std::shared_ptr<RingT> lookup(std::uint8_t kind) const {
    std::lock_guard lock(mutex_);
    return rings_[kind];
  }

 private:
  mutable std::mutex mutex_;
  std::array<std::shared_ptr<RingT>, 256> rings_;
};

}  // namespace ringlab
