// Batched and zero-copy claims, handed out by Ring (ring.hpp):
//
//  - WriteBatch (Ring::claim_batch): n consecutive counters claimed at once,
//    as the LMAX Disruptor's MultiProducerSequencer.next(n) does: one RMW on
//    the head for many writers, one plain add for the single writer.
//  - SlotLoan (Ring::loan): one counter's slot taken for the caller to fill in
//    place, then published, like Agrona's tryClaim or an iceoryx loan. Only
//    storages with the versioned-slot protocol (seqlock, disruptor) lend
//    slots: their payload is atomic words the caller stores through
//    PayloadWords (detail/versioned_slot.hpp).
//
// Both give up, on destruction, whatever they did not publish: such counters
// read Unavailable (abandoned), never Pending for ever. Neither allocates
// except on an error path.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ringlab/frame.hpp"
#include "ringlab/net_id.hpp"

namespace ringlab {

// A storage that lends slots: begin_loan takes a counter's slot and returns
// its payload words (nullopt: a lapping writer holds it), end_loan writes the
// header and commits, or commits it abandoned.
template <class S>
concept LoaningStorage = requires(S& s, std::uint64_t c, std::size_t n, const FrameHeader& h) {
  typename S::PayloadWords;
  { s.begin_loan(c, n) } -> std::same_as<std::optional<typename S::PayloadWords>>;
  s.end_loan(c, h, n, true);
};

// A storage whose readers can look at a frame in place (Ring::visit).
template <class S>
concept VisitingStorage =
    requires(const S& s, std::uint64_t c, void (*visitor)(const typename S::FrameView&)) {
      { s.visit_counter(c, visitor) } -> std::same_as<SlotRead>;
    };

// The ring side, for generic callers.
template <class R>
concept LoaningRing = requires(R& r, NodeId node, std::size_t n) { r.loan(node, n); };

// The view a ring's Ring::visit hands its visitor.
template <class RingT>
using FrameViewOf = typename RingT::storage_type::FrameView;

// Counters [counter(0), counter(size())) claimed by one Ring::claim_batch.
// Publish them in increasing index order; an index skipped over is abandoned
// then, and the destructor abandons every index not yet published. Move-only.
template <class RingT>
class WriteBatch {
 public:
  WriteBatch(WriteBatch&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)),
        node_(other.node_),
        first_(other.first_),
        size_(std::exchange(other.size_, 0)),
        next_(std::exchange(other.next_, 0)) {}
  WriteBatch& operator=(WriteBatch&& other) noexcept {
    if (this != &other) {
      abandon_rest();
      ring_ = std::exchange(other.ring_, nullptr);
      node_ = other.node_;
      first_ = other.first_;
      size_ = std::exchange(other.size_, 0);
      next_ = std::exchange(other.next_, 0);
    }
    return *this;
  }
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;
  ~WriteBatch() { abandon_rest(); }

  std::size_t size() const { return size_; }
  std::uint64_t counter(std::size_t i) const { return first_ + i; }
  NetId64 id(std::size_t i) const { return NetId64::make(ring_->kind(), node_, first_ + i); }
  // The lowest index publish() still takes.
  std::size_t next_index() const { return next_; }

  // Publishes index i. InvalidArgument, and nothing written, when i is out of
  // range or not above the last index published (out of order, or twice).
  // InvalidArgument when the payload exceeds the ring's payload capacity:
  // then counter(i) is abandoned.
  absl::Status publish(std::size_t i, std::uint8_t frame_kind, std::uint64_t ver,
                       std::span<const std::byte> payload) {
    if (i >= size_ || i < next_) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch index ", i, " of ", size_, ": indices are published once each, in "
                       "increasing order, and the next one allowed is ", next_));
    }
    abandon_until(i);
    next_ = i + 1;
    const std::uint64_t c = counter(i);
    if (payload.size() > ring_->payload_capacity()) {
      ring_->storage().abandon(c);
      return absl::InvalidArgumentError(
          absl::StrCat("batch index ", i, " (counter ", c, "): payload of ", payload.size(),
                       " bytes exceeds the ring's payload capacity ", ring_->payload_capacity(),
                       "; the counter is abandoned"));
    }
    ring_->storage().publish(c, FrameHeader{id(i), frame_kind, ver}, payload);
    return absl::OkStatus();
  }

  // Gives up every index not yet published now rather than at destruction.
  void abandon_rest() { abandon_until(size_); }

 private:
  friend RingT;
  WriteBatch(RingT& ring, NodeId node, std::uint64_t first, std::size_t size)
      : ring_(&ring), node_(node), first_(first), size_(size) {}

  void abandon_until(std::size_t end) {
    for (; next_ < end; ++next_) ring_->storage().abandon(counter(next_));
  }

  RingT* ring_;
  NodeId node_;
  std::uint64_t first_ = 0;
  std::size_t size_ = 0;
  std::size_t next_ = 0;  // every index below it is published or abandoned
};

// One counter's slot, lent by Ring::loan for the caller to fill in place:
// store the payload through payload() (whole 64-bit words, see PayloadWords),
// then publish(). The slot is taken (marked in flight) from the loan on, so:
//  - readers see the counter Pending until publish(), and the writer that
//    reaches the slot a lap later waits for it: keep a loan briefly, and never
//    write a lap ahead (capacity counters on) from the thread holding one (on
//    a many-writer ring that write would wait for ever; the single writer
//    would put the loan's older frame over it);
//  - bytes of the payload the caller does not store hold whatever the slot
//    held before;
//  - superseded(): on a ring of many writers, a lapping writer may already
//    hold the slot when the loan is taken (its claim was overtaken a lap
//    later). The loan's frame is then dropped, exactly as a superseded write()
//    drops its own: payload() is empty, publish() does nothing, and the
//    counter reads Unavailable (overwritten).
// Destroyed unpublished, the loan is abandoned (its counter reads
// Unavailable). Move-only.
template <class RingT>
class SlotLoan {
  using Storage = typename RingT::storage_type;

 public:
  using PayloadWords = typename Storage::PayloadWords;

  SlotLoan(SlotLoan&& other) noexcept
      : storage_(std::exchange(other.storage_, nullptr)),
        id_(other.id_),
        counter_(other.counter_),
        size_(other.size_),
        superseded_(other.superseded_),
        words_(std::move(other.words_)) {}
  SlotLoan& operator=(SlotLoan&& other) noexcept {
    if (this != &other) {
      abandon();
      storage_ = std::exchange(other.storage_, nullptr);
      id_ = other.id_;
      counter_ = other.counter_;
      size_ = other.size_;
      superseded_ = other.superseded_;
      words_ = std::move(other.words_);
    }
    return *this;
  }
  SlotLoan(const SlotLoan&) = delete;
  SlotLoan& operator=(const SlotLoan&) = delete;
  ~SlotLoan() { abandon(); }

  NetId64 id() const { return id_; }
  std::uint64_t counter() const { return counter_; }
  // The payload length the loan was taken for (publish() records it).
  std::size_t size() const { return size_; }
  bool superseded() const { return superseded_; }
  // The slot's payload words; empty once published or abandoned, and when
  // superseded.
  const PayloadWords& payload() const { return words_; }

  // Writes the header and commits the frame (P5), (P6). FailedPrecondition
  // when the loan was already published or abandoned (or moved from).
  absl::Status publish(std::uint8_t frame_kind, std::uint64_t ver) {
    if (storage_ == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "loan of counter ", counter_, " was already published, abandoned or moved from"));
    }
    finish(FrameHeader{id_, frame_kind, ver}, /*abandoned=*/false);
    return absl::OkStatus();
  }

  // Gives the loan up now: readers see the counter Unavailable.
  void abandon() {
    if (storage_ != nullptr) finish({}, /*abandoned=*/true);
  }

 private:
  friend RingT;
  SlotLoan(Storage& storage, NetId64 id, std::uint64_t counter, std::size_t size,
           std::optional<PayloadWords> words)
      : storage_(&storage),
        id_(id),
        counter_(counter),
        size_(size),
        superseded_(!words.has_value()),
        words_(words ? std::move(*words) : PayloadWords()) {}

  void finish(const FrameHeader& header, bool abandoned) {
    // No store through payload() may land after the commit.
    words_ = PayloadWords();
    if (!superseded_) storage_->end_loan(counter_, header, size_, abandoned);
    storage_ = nullptr;
  }

  Storage* storage_;  // null once published, abandoned or moved from
  NetId64 id_;
  std::uint64_t counter_ = 0;
  std::size_t size_ = 0;
  bool superseded_ = false;
  PayloadWords words_;
};

}  // namespace ringlab
