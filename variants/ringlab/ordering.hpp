// Named memory orders. Every atomic operation in a variant takes its order from
// that variant's site table (an `Orders` type with a constexpr array `kSites`,
// looked up by tag with order_of), so that the model harness can instantiate
// the same header with any one site weakened (WeakenedOrders) and the ordering
// audit can list every site.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ringlab {

// The kind of operation at a site decides which orders are legal there.
enum class AtomicOp : unsigned char {
  kLoad,
  kStore,
  kRmw,         // fetch_add, exchange, and the success order of a CAS
  kCasFailure,  // the failure order of a CAS: a load
  kFence,
};

struct OrderSite {
  std::string_view name;
  AtomicOp op;
  std::memory_order order;
  // What this site synchronises with, by site number; the same text as the
  // numbered comment at the site. Empty for sites that order nothing.
  std::string_view pairs_with;
};

// One step weaker, or nullopt at relaxed. seq_cst -> acq_rel -> {release,
// acquire} -> relaxed, restricted to the orders legal for the operation.
// Both one-step weakenings of acq_rel are returned by weaker_orders().
constexpr std::array<std::optional<std::memory_order>, 2> weaker_orders(AtomicOp op,
                                                                        std::memory_order mo) {
  using enum std::memory_order;
  switch (op) {
    case AtomicOp::kLoad:
    case AtomicOp::kCasFailure:
      if (mo == seq_cst) return {acquire, std::nullopt};
      if (mo == acquire || mo == consume) return {relaxed, std::nullopt};
      return {std::nullopt, std::nullopt};
    case AtomicOp::kStore:
      if (mo == seq_cst) return {release, std::nullopt};
      if (mo == release) return {relaxed, std::nullopt};
      return {std::nullopt, std::nullopt};
    case AtomicOp::kRmw:
    case AtomicOp::kFence:
      if (mo == seq_cst) return {acq_rel, std::nullopt};
      if (mo == acq_rel) return {release, acquire};
      if (mo == release || mo == acquire || mo == consume) return {relaxed, std::nullopt};
      return {std::nullopt, std::nullopt};
  }
  return {std::nullopt, std::nullopt};
}

// `Base` with site `I` set to `order`: a mutant for the model checker, built from
// the table rather than from copied code.
template <class Base, std::size_t I, std::memory_order kOrder>
struct WeakenedOrders : Base {
  static constexpr auto kSites = [] {
    auto sites = Base::kSites;
    sites[I].order = kOrder;
    return sites;
  }();
};

// A CAS failure order may not be stronger than what the standard allows for a
// load; clamp it so a weakened success order never yields an invalid pair.
constexpr std::memory_order cas_failure_order(std::memory_order failure) {
  if (failure == std::memory_order_release) return std::memory_order_relaxed;
  if (failure == std::memory_order_acq_rel) return std::memory_order_acquire;
  return failure;
}

// The tag of a site: the text in the last parentheses of its name, e.g. "P6"
// for "slot.commit (P6)". Code and comments cite sites by their tags.
constexpr std::string_view site_tag(std::string_view name) {
  const std::size_t open = name.rfind('(');
  const std::size_t close = name.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  return name.substr(open + 1, close - open - 1);
}

// The order of the site tagged `tag` in Orders' table, at compile time: every
// atomic operation of a variant writes `order_of<Orders>("P6")`. A tag the
// table lacks is a compile error (the throw is not a constant expression).
template <class Orders>
consteval std::memory_order order_of(std::string_view tag) {
  for (const OrderSite& site : Orders::kSites) {
    if (site_tag(site.name) == tag) return site.order;
  }
  throw "order_of: no site with this tag in the table";
}

// The row of the site tagged `tag`: for tables derived from another by
// changing a row (mutants, the known-bad designs).
template <std::size_t N>
constexpr std::size_t site_index(const std::array<OrderSite, N>& sites, std::string_view tag) {
  for (std::size_t i = 0; i < N; ++i) {
    if (site_tag(sites[i].name) == tag) return i;
  }
  throw "site_index: no site with this tag in the table";
}

// Every site has a tag, and no two share one: checked by each table.
template <std::size_t N>
constexpr bool tags_unique(const std::array<OrderSite, N>& sites) {
  for (std::size_t i = 0; i < N; ++i) {
    if (site_tag(sites[i].name).empty()) return false;
    for (std::size_t j = i + 1; j < N; ++j) {
      if (site_tag(sites[i].name) == site_tag(sites[j].name)) return false;
    }
  }
  return true;
}

template <std::size_t A, std::size_t B>
constexpr std::array<OrderSite, A + B> concat_sites(const std::array<OrderSite, A>& a,
                                                    const std::array<OrderSite, B>& b) {
  std::array<OrderSite, A + B> out{};
  for (std::size_t i = 0; i < A; ++i) out[i] = a[i];
  for (std::size_t i = 0; i < B; ++i) out[A + i] = b[i];
  return out;
}

}  // namespace ringlab
