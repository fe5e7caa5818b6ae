// Injected time, so version stamps, back-off and lag are testable.
#ifndef MINGA_NODE_CORE_CLOCK_H_
#define MINGA_NODE_CORE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace minga {

// Wall-clock time in microseconds since the Unix epoch. Implementations are
// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() = 0;
};

// The system clock. Never destroyed; thread-safe.
Clock* SystemClock();

// A clock tests move by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'700'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() override { return now_.load(); }
  void Set(int64_t micros) { now_.store(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

// Versions for an origin's revisions: a hybrid logical clock in microseconds.
// Next() returns max(wall clock, last + 1), so versions strictly increase even
// if the wall clock steps back, and stay close to real time. Observe() moves
// the clock past versions found on disk or restored from partners, so a node
// that lost its disk continues above them. Thread-safe.
class VersionClock {
 public:
  explicit VersionClock(Clock* clock) : clock_(clock) {}  // clock: borrowed

  // FAILED_PRECONDITION once a version of UINT64_MAX was seen: there is no
  // higher one to sign, and wrapping would sign a version every other node
  // ignores.
  absl::StatusOr<uint64_t> Next() ABSL_LOCKS_EXCLUDED(mu_);
  void Observe(uint64_t version) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t last() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Clock* const clock_;
  mutable absl::Mutex mu_;
  uint64_t last_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_CLOCK_H_
