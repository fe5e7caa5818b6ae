// Running independent tasks on several cores: signature verification of a
// pull batch is the costly step of a sync, and verifications are
// independent.
#ifndef MINGA_NODE_CORE_PARALLEL_H_
#define MINGA_NODE_CORE_PARALLEL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minga {

// Runs fn(0) .. fn(n-1), possibly in parallel, and returns when all are
// done. Implementations are thread-safe: several callers may run at once.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void ParallelFor(size_t n, const std::function<void(size_t)>& fn) = 0;
};

// Runs everything on the calling thread.
class InlineExecutor : public Executor {
 public:
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override {
    for (size_t i = 0; i < n; ++i) fn(i);
  }
};

// fn(0) .. fn(n-1) on `executor`, or on the calling thread when it is null.
inline void ParallelForOrInline(Executor* executor, size_t n,
                                const std::function<void(size_t)>& fn) {
  if (executor == nullptr) {
    for (size_t i = 0; i < n; ++i) fn(i);
  } else {
    executor->ParallelFor(n, fn);
  }
}

// A fixed pool of worker threads; the calling thread works too. The
// destructor joins the workers. REQUIRES: no ParallelFor in progress when
// destroyed.
class ThreadPoolExecutor : public Executor {
 public:
  // threads: worker threads besides the caller; 0 runs inline.
  explicit ThreadPoolExecutor(int threads);
  ~ThreadPoolExecutor() override;

  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override;

 private:
  struct Job;
  void WorkerLoop();
  static void Drain(Job* job);

  absl::Mutex mu_;
  std::deque<std::shared_ptr<Job>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_PARALLEL_H_
