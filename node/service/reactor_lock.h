// ReactorLock: how the service reactors hold their own mutex. gRPC may run
// a reactor's OnDone (which deletes it) inline from Finish, so Finish must
// never be called with the reactor's mutex held: under the lock a reactor
// only records that it is done (finish_now_), and the lock calls Finish as
// it is released. After that the reactor may be gone.
//
// A reactor using it has `absl::Mutex mu_`, a `ReactorFinish finish_`
// guarded by it, and is a gRPC reactor (has Finish).
//
// What a reactor holds for its caller (a slot counted against a limit) is
// given back just before Finish, not in OnDone: gRPC may deliver the status
// before OnDone runs, and a caller that sees its call end must be able to
// open the next one at once.
#ifndef MINGA_NODE_SERVICE_REACTOR_LOCK_H_
#define MINGA_NODE_SERVICE_REACTOR_LOCK_H_

#include <grpcpp/support/status.h>

#include <functional>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minga {

// How a writing reactor ends: the first status asked for wins, and it is
// finished once nothing is in flight. Guarded by the reactor's mutex.
class ReactorFinish {
 public:
  // Asks to finish with `status` (kept only if none was asked for before);
  // finishes as the lock is released unless `busy`, in which case the
  // reactor asks again when its work in flight lands.
  void Ask(const grpc::Status& status, bool busy) {
    if (finished_) return;
    if (!asked_.has_value()) asked_ = status;
    if (busy) return;
    finished_ = true;
    now_ = *asked_;
  }
  // The status asked for, if any: the reactor stops starting new work.
  const std::optional<grpc::Status>& asked() const { return asked_; }
  // Runs once, outside the reactor's lock, just before Finish.
  void BeforeFinish(std::function<void()> f) { before_ = std::move(f); }

 private:
  template <typename Reactor>
  friend class ReactorLock;
  bool finished_ = false;
  std::optional<grpc::Status> asked_;
  std::optional<grpc::Status> now_;  // taken by ReactorLock as it unlocks
  std::function<void()> before_;     // taken with now_
};

template <typename Reactor>
class ABSL_SCOPED_LOCKABLE ReactorLock {
 public:
  explicit ReactorLock(Reactor* r) ABSL_EXCLUSIVE_LOCK_FUNCTION(r->mu_) : r_(r) { r_->mu_.Lock(); }
  ~ReactorLock() ABSL_UNLOCK_FUNCTION() {
    std::optional<grpc::Status> now = std::move(r_->finish_.now_);
    r_->finish_.now_.reset();
    std::function<void()> before;
    if (now.has_value()) before = std::move(r_->finish_.before_);
    r_->mu_.Unlock();
    if (!now.has_value()) return;
    if (before) before();
    r_->Finish(*now);  // the reactor may be deleted here
  }
  ReactorLock(const ReactorLock&) = delete;
  ReactorLock& operator=(const ReactorLock&) = delete;

 private:
  Reactor* const r_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_REACTOR_LOCK_H_
