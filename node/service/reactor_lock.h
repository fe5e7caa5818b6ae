// ReactorLock: how the service reactors hold their own mutex. gRPC may run
// a reactor's OnDone (which deletes it) inline from Finish, so Finish must
// never be called with the reactor's mutex held: under the lock a reactor
// only records that it is done (finish_now_), and the lock calls Finish as
// it is released. After that the reactor may be gone.
//
// A reactor using it has `absl::Mutex mu_`, `std::optional<grpc::Status>
// finish_now_` guarded by it, and is a gRPC reactor (has Finish).
#ifndef MINGA_NODE_SERVICE_REACTOR_LOCK_H_
#define MINGA_NODE_SERVICE_REACTOR_LOCK_H_

#include <grpcpp/support/status.h>

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minga {

template <typename Reactor>
class ABSL_SCOPED_LOCKABLE ReactorLock {
 public:
  explicit ReactorLock(Reactor* r) ABSL_EXCLUSIVE_LOCK_FUNCTION(r->mu_) : r_(r) { r_->mu_.Lock(); }
  ~ReactorLock() ABSL_UNLOCK_FUNCTION() {
    std::optional<grpc::Status> now = std::move(r_->finish_now_);
    r_->finish_now_.reset();
    r_->mu_.Unlock();
    if (now.has_value()) r_->Finish(*now);  // the reactor may be deleted here
  }
  ReactorLock(const ReactorLock&) = delete;
  ReactorLock& operator=(const ReactorLock&) = delete;

 private:
  Reactor* const r_;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_REACTOR_LOCK_H_
