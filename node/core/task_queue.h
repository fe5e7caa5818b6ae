// TaskQueue: a few worker threads the node owns, running posted tasks in
// order of arrival. gRPC's callback handlers must not block, so they post
// the store reads a call needs here and carry on when a task is done.
//
// Thread safety: Post from any thread. The destructor runs what is queued,
// then joins the workers.
#ifndef MINGA_NODE_CORE_TASK_QUEUE_H_
#define MINGA_NODE_CORE_TASK_QUEUE_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minga {

class TaskQueue {
 public:
  explicit TaskQueue(int threads);
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void Post(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_TASK_QUEUE_H_
