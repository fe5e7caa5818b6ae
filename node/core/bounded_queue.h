// BoundedQueue: a closable FIFO of at most `capacity` items between the
// stages of a pipeline, so a fast stage waits for a slow one instead of
// piling up memory.
//
// Thread-safe: any number of producers and consumers. Close() wakes every
// waiter; after it, Push refuses and Pop drains what is left, then ends.
#ifndef MINGA_NODE_CORE_BOUNDED_QUEUE_H_
#define MINGA_NODE_CORE_BOUNDED_QUEUE_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minga {

template <typename T>
class BoundedQueue {
 public:
  // REQUIRES: capacity > 0.
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while full. False (and `item` dropped) once closed.
  bool Push(T item) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || items_.size() < capacity_;
    };
    mu_.Await(absl::Condition(&room));
    if (closed_) return false;
    items_.push_back(std::move(item));
    return true;
  }

  // Blocks until an item is there; nullopt once closed and drained.
  std::optional<T> Pop() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<T> one = PopUpTo(1);
    if (one.empty()) return std::nullopt;
    return std::move(one.front());
  }

  // Blocks until an item is there, then takes every item present, at most
  // `max` (REQUIRES: max > 0). Empty once closed and drained. A consumer
  // slower than its producer so takes larger groups: the grouping adapts
  // to the throughput of both.
  std::vector<T> PopUpTo(size_t max) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !items_.empty(); };
    mu_.Await(absl::Condition(&ready));
    std::vector<T> out;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return out;
  }

  // Refuses further pushes; what is queued can still be popped.
  void Close() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // Closes and drops what is queued: the consumer is gone.
  void Abandon() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    items_.clear();
  }

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_BOUNDED_QUEUE_H_
