// A queue of at most `capacity` items between one producing and one
// consuming thread: Push waits while it is full, Pop while it is empty, and
// Pop returns nullopt once the queue is closed and drained.
#ifndef ORGPULSE_CLI_APP_BOUNDED_QUEUE_H_
#define ORGPULSE_CLI_APP_BOUNDED_QUEUE_H_

#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace orgpulse::cli {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // False (and `item` dropped) if the queue was closed.
  bool Push(T item) {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return closed_ || items_.size() < capacity_;
    };
    mu_.Await(absl::Condition(&room));
    if (closed_) return false;
    items_.push_back(std::move(item));
    return true;
  }

  std::optional<T> Pop() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return closed_ || !items_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // No more items will be pushed; Push returns false from now on.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_APP_BOUNDED_QUEUE_H_
