#include "node/core/parallel.h"

#include <atomic>

#include "node/core/threads.h"

namespace minga {

struct ThreadPoolExecutor::Job {
  const std::function<void(size_t)>* fn;
  size_t n;
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  size_t done ABSL_GUARDED_BY(mu) = 0;
};

ThreadPoolExecutor::ThreadPoolExecutor(int threads) {
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] {
      NameThisThread("minga-verify");
      WorkerLoop();
    });
  }
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void ThreadPoolExecutor::Drain(Job* job) {
  size_t finished = 0;
  for (size_t i; (i = job->next.fetch_add(1)) < job->n;) {
    (*job->fn)(i);
    ++finished;
  }
  if (finished > 0) {
    absl::MutexLock lock(&job->mu);
    job->done += finished;
  }
}

void ThreadPoolExecutor::WorkerLoop() {
  while (true) {
    std::shared_ptr<Job> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ThreadPoolExecutor* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stop_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Drain(job.get());
  }
}

void ThreadPoolExecutor::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  {
    absl::MutexLock lock(&mu_);
    const size_t helpers = std::min(workers_.size(), n - 1);
    for (size_t i = 0; i < helpers; ++i) queue_.push_back(job);
  }
  Drain(job.get());
  absl::MutexLock lock(&job->mu);
  job->mu.Await(absl::Condition(
      +[](Job* j) ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) { return j->done == j->n; }, job.get()));
}

}  // namespace minga
