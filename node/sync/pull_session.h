// PullSession: the serving side of one Pull, without gRPC. It reads the
// batches of this node's feed a puller asked for and decides what to send
// and when the stream ends: every batch while there is a backlog; then,
// when following, a batch as soon as new changes commit and an empty one
// (a heartbeat) after `heartbeat` without news; and the end after
// `max_age`, when the puller re-opens the pull from its checkpoint (so one
// stream never holds a slot for ever).
//
// The transport (the gRPC reactor in node/service, a fake in tests) reads
// query() from the catalog on a thread that may block, sends what
// ShouldSend approves, and asks After or OnWake what to do next.
//
// Thread safety: not thread-safe; the transport serialises its calls.
#ifndef MINGA_NODE_SYNC_PULL_SESSION_H_
#define MINGA_NODE_SYNC_PULL_SESSION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "minga/v1/federation.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/clock.h"
#include "node/core/defaults.h"

namespace minga {

struct PullSessionOptions {
  bool follow = false;
  // An empty batch goes out after this long without news.
  absl::Duration heartbeat = defaults::kHeartbeat;
  // A pull ends (OK) this long after it began.
  absl::Duration max_age = defaults::kMaxPullAge;
};

class PullSession {
 public:
  // clock: borrowed, must outlive the session.
  PullSession(PullQuery query, PullSessionOptions options, Clock* clock);

  // Where the next batch starts: from where the last one sent ended. The
  // transport reads it (FeedReader::ReadBatch), off its own callback threads.
  const PullQuery& query() const { return query_; }
  // Whether `batch` (just read) goes out: the first one, one that moves the
  // checkpoint or carries revisions, or a heartbeat that is due.
  bool ShouldSend(const v1::PullBatch& batch) const;
  // `batch` was handed to the transport: later reads continue after it.
  void Sent(const v1::PullBatch& batch);
  // `batch` was read and not sent: later reads continue after it too.
  void Skipped(const v1::PullBatch& batch);

  enum class Next {
    kRead,  // read (and send) the next batch now
    kWait,  // caught up and following: wait for a commit or NextWake()
    kEnd,   // finish the stream, OK
  };
  // After a batch was sent or skipped, given the catalog's head now.
  Next After(uint64_t head) const;
  // While waiting: the head moved, a heartbeat is due, or the age is up.
  Next OnWake(uint64_t head) const;
  // When a waiting session must wake at the latest (heartbeat or end).
  int64_t NextWakeMicros() const;

  uint64_t after_lseq() const { return query_.after_lseq; }
  const std::string& requester() const { return query_.requester; }

 private:
  bool Expired() const;

  PullQuery query_;
  const PullSessionOptions options_;
  Clock* const clock_;
  const int64_t started_micros_;
  int64_t last_sent_micros_;
  bool sent_any_ = false;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_PULL_SESSION_H_
