// The registry of ring variants: every suite, the stress harness, the
// benchmarks and the ctest stress list take their variants from `Variants`
// below, so a variant is added by one line there (after its storage header).
//
// A line names the variant (its one spelling everywhere: ctest, JSON, reports),
// its in-process ring type, the traits that no type can tell (how many may
// write at once, whether writers wait for readers instead of overwriting, and
// whether it is a variant under study or a reference), its ring type in shared
// memory (with the Sync policy it needs there) or NotShareable, and its
// storage options. Whether it can wait for a counter, and how, comes from the
// ring type itself.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "ringlab/ringlab.hpp"
#include "ringlab/shm/shared_ring.hpp"

namespace ringlab::harness {

enum class Writers : unsigned char { kSingle, kMulti };
enum class Role : unsigned char { kTargeted, kBaseline };

constexpr std::string_view to_string(Writers w) {
  return w == Writers::kSingle ? "single" : "multi";
}
constexpr std::string_view to_string(Role r) {
  return r == Role::kBaseline ? "baseline" : "targeted";
}

// What the ring type does not say itself (whether it waits, how, and how many
// may write it come from the type).
struct Traits {
  bool lossless = false;  // writers wait for registered readers (gated)
  Role role = Role::kTargeted;
};

// A string literal as a template argument.
template <std::size_t N>
struct Name {
  char text[N] = {};
  consteval Name(const char (&s)[N]) { std::copy_n(s, N, text); }  // NOLINT: implicit by design
  constexpr std::string_view view() const { return {text, N - 1}; }
};

// The shared ring of a variant that cannot live in shared memory.
struct NotShareable {};

template <class Storage>
constexpr std::string_view wait_strategy_of() {
  if constexpr (requires { Storage::Strategy::kName; }) {
    return Storage::Strategy::kName;
  } else {
    return "none";
  }
}

// True for NotShareable; otherwise whether the shared ring can live in a
// segment (a storage that cannot is refused there at compile time) and takes
// the same options (the same type, or both empty: a storage's Options is its
// own nested type for each Sync policy).
template <class SharedRingT, class Options>
constexpr bool fits_shared_memory() {
  if constexpr (std::is_same_v<SharedRingT, NotShareable>) {
    return true;
  } else {
    using SharedOptions = typename SharedRingT::StorageOptions;
    return shm::Shareable<typename SharedRingT::storage_type> &&
           (std::is_same_v<SharedOptions, Options> ||
            (std::is_empty_v<SharedOptions> && std::is_empty_v<Options>));
  }
}

template <Name kName, class RingT, Traits kTraits, class SharedRingT = NotShareable,
          auto kOptions = typename RingT::StorageOptions{}>
struct Variant {
  using ring = RingT;
  using shared_ring = SharedRingT;
  using options_type = typename RingT::StorageOptions;

  static constexpr std::string_view name = kName.view();
  static constexpr bool single_writer = RingT::kSingleWriter;
  static constexpr Writers writers = single_writer ? Writers::kSingle : Writers::kMulti;
  static constexpr bool lossless = kTraits.lossless;
  static constexpr Role role = kTraits.role;
  static constexpr bool waits = WaitingRing<RingT>;
  // Lends slots for zero-copy writes (Ring::loan).
  static constexpr bool lends = LoaningRing<RingT>;
  static constexpr bool shareable = !std::is_same_v<SharedRingT, NotShareable>;
  static constexpr std::string_view wait_strategy =
      wait_strategy_of<typename RingT::storage_type>();
  // The storage's own name (ring.hpp's kName): which model checks it.
  static constexpr std::string_view storage = RingT::storage_type::kName;

  static options_type options() { return kOptions; }
  // The options for another ring of this storage (its shared ring, or one over
  // another Sync policy): the same, or the defaults where each Sync policy has
  // its own empty Options type.
  template <class OtherRing>
  static typename OtherRing::StorageOptions options_for() {
    using OtherOptions = typename OtherRing::StorageOptions;
    if constexpr (std::is_same_v<OtherOptions, options_type>) {
      return kOptions;
    } else {
      static_assert(std::is_empty_v<OtherOptions> && std::is_empty_v<options_type>,
                    "another ring of the storage takes the same options, or none");
      return OtherOptions{};
    }
  }
  static auto shared_options()
    requires shareable
  {
    return options_for<SharedRingT>();
  }

  static_assert(std::is_same_v<std::remove_const_t<decltype(kOptions)>, options_type>,
                "the options must be the ring's StorageOptions");
  static_assert(!lossless || GatingRing<RingT>, "a lossless variant needs reader gates");
  static_assert(fits_shared_memory<SharedRingT, options_type>(),
                "a shared ring must be a shm::Shareable storage's, with the same options");
  static_assert(name.find_first_of(" =\"\\") == std::string_view::npos,
                "a variant name is one word: it is a ctest name part and a JSON string");
};

// The canonical name as a GoogleTest name part: '-' does not survive
// --gtest_filter's negative patterns, so it becomes '_'. Tools read the
// canonical name from the test's "variant" property instead.
inline std::string gtest_name(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

template <class... Vs>
struct VariantList {
  static constexpr std::size_t size = sizeof...(Vs);

  // f.template operator()<V>() for each variant, in registry order.
  template <class F>
  static void for_each(F&& f) {
    (f.template operator()<Vs>(), ...);
  }

  template <class V>
  using prepend = VariantList<V, Vs...>;
};

// The variants of a list for which Keep<V>::value holds.
template <template <class> class Keep, class List>
struct Filter;
template <template <class> class Keep>
struct Filter<Keep, VariantList<>> {
  using type = VariantList<>;
};
template <template <class> class Keep, class V, class... Vs>
struct Filter<Keep, VariantList<V, Vs...>> {
  using rest = typename Filter<Keep, VariantList<Vs...>>::type;
  using type = std::conditional_t<Keep<V>::value, typename rest::template prepend<V>, rest>;
};
template <template <class> class Keep, class List>
using filter_t = typename Filter<Keep, List>::type;

// Whether no variant before V in the list has V's storage.
template <class V, class... Vs>
constexpr bool first_of_its_storage(VariantList<Vs...>) {
  bool reached = false, earlier = false;
  ((reached = reached || std::is_same_v<V, Vs>,
    earlier = earlier || (!reached && Vs::storage == V::storage)),
   ...);
  return !earlier;
}

// One variant per storage: the first of the list that has it.
template <class List>
struct FirstOfItsStorageIn {
  template <class V>
  using keep = std::bool_constant<first_of_its_storage<V>(List{})>;
};
template <class List>
using one_per_storage_t = filter_t<FirstOfItsStorageIn<List>::template keep, List>;

template <class V>
struct IsWaiting : std::bool_constant<V::waits> {};
template <class V>
struct IsShareable : std::bool_constant<V::shareable> {};
// Gated: its writers wait for registered readers (its ring's gated()).
template <class V>
struct IsLossless : std::bool_constant<V::lossless> {};
template <class V>
struct IsLending : std::bool_constant<V::lends> {};
template <class V>
struct IsSingleWriter : std::bool_constant<V::single_writer> {};
template <class V>
struct IsMultiWriter : std::bool_constant<!V::single_writer> {};

// A ring of V's storage (orders, wait strategy, writer mode) over another Sync
// policy: a test's instrumented one.
template <class Storage, class Sync>
struct WithSync;
template <class Old, class Orders, class Sync>
struct WithSync<RwlockStorage<Old, Orders>, Sync> {
  using type = RwlockStorage<Sync, Orders>;
};
template <class Old, class Orders, WriterMode kWriters, class Sync>
struct WithSync<SeqlockStorage<Old, Orders, kWriters>, Sync> {
  using type = SeqlockStorage<Sync, Orders, kWriters>;
};
template <class Old, template <class...> class Wait, class Orders, WriterMode kWriters, class Sync>
struct WithSync<DisruptorStorage<Old, Wait, Orders, kWriters>, Sync> {
  using type = DisruptorStorage<Sync, Wait, Orders, kWriters>;
};
template <class V, class Sync>
using ring_with_sync_t = Ring<typename WithSync<typename V::ring::storage_type, Sync>::type>;

// ---- The registry -----------------------------------------------------------

using Variants = VariantList<
    Variant<"rwlock", RwlockRing, Traits{.role = Role::kBaseline}, shm::SharedRwlockRing>,
    Variant<"seqlock", SeqlockRing, Traits{}, shm::SharedSeqlockRing>,
    Variant<"disruptor-spin", DisruptorRing<BusySpinWait>, Traits{},
            shm::SharedDisruptorRing<BusySpinWait>>,
    Variant<"disruptor-yield", DisruptorRing<YieldingWait>, Traits{},
            shm::SharedDisruptorRing<YieldingWait>>,
    Variant<"disruptor-blocking", DisruptorRing<BlockingWait>, Traits{},
            shm::SharedDisruptorRing<BlockingWait>>,
    // Yielding, so that it can live in shared memory as it is, and a gated
    // writer waiting for a reader leaves it a core on a small machine.
    Variant<"disruptor-gated", DisruptorRing<YieldingWait>, Traits{.lossless = true},
            shm::SharedDisruptorRing<YieldingWait>, DisruptorOptions{OverflowMode::kGated}>,
    // One writer: no locked instruction on the write path (WriterMode::kSingle).
    // In shared memory one process at a time writes, the one holding the
    // ring's writer lease (shm::RingRole::kWriter).
    Variant<"seqlock-single", SeqlockSingleRing, Traits{}, shm::SharedSeqlockSingleRing>,
    Variant<"disruptor-single", DisruptorSingleRing<BusySpinWait>, Traits{},
            shm::SharedDisruptorSingleRing<BusySpinWait>>,
    // Yielding, as disruptor-gated is: with a spinning reader the gated writer
    // waits for a time slice (1.6 ms a frame at capacity 1 on 2 cores).
    Variant<"disruptor-gated-single", DisruptorSingleRing<YieldingWait>, Traits{.lossless = true},
            shm::SharedDisruptorSingleRing<YieldingWait>, DisruptorOptions{OverflowMode::kGated}>>;

using WaitingVariants = filter_t<IsWaiting, Variants>;
using ShareableVariants = filter_t<IsShareable, Variants>;
using LosslessVariants = filter_t<IsLossless, Variants>;
using LendingVariants = filter_t<IsLending, Variants>;
using SingleWriterVariants = filter_t<IsSingleWriter, Variants>;

// ---- Descriptions -------------------------------------------------------------

// "name writers=multi lossless=0 waits=1 shareable=1 role=targeted wait=yielding
// storage=disruptor": one line of --list-variants.
template <class V>
std::string describe() {
  std::string out(V::name);
  const auto field = [&](std::string_view key, std::string_view value) {
    out.append(" ").append(key).append("=").append(value);
  };
  field("writers", to_string(V::writers));
  field("lossless", V::lossless ? "1" : "0");
  field("waits", V::waits ? "1" : "0");
  field("shareable", V::shareable ? "1" : "0");
  field("lends", V::lends ? "1" : "0");
  field("role", to_string(V::role));
  field("wait", V::wait_strategy);
  field("storage", V::storage);
  return out;
}

// The same as a JSON object.
template <class V>
std::string describe_json() {
  const auto text = [](std::string_view key, std::string_view value) {
    return std::string("\"").append(key).append("\": \"").append(value).append("\"");
  };
  const auto flag = [](std::string_view key, bool value) {
    return std::string("\"").append(key).append("\": ").append(value ? "true" : "false");
  };
  return "{" + text("name", V::name) + ", " + text("writers", to_string(V::writers)) + ", " +
         flag("lossless", V::lossless) + ", " + flag("waits", V::waits) + ", " +
         flag("lends", V::lends) + ", " +
         flag("shareable", V::shareable) + ", " + text("role", to_string(V::role)) + ", " +
         text("wait", V::wait_strategy) + ", " + text("storage", V::storage) + "}";
}

}  // namespace ringlab::harness
