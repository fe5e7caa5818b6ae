// Puller: keeps this node in sync with one peer.
//
// A thread opens a following Pull from the stored checkpoint and reads its
// batches; a second verifies them while a third applies the verified ones,
// each group of batches with its checkpoint in one write. On failure it
// backs off exponentially with jitter before retrying. While caught up, the peer
// sends only heartbeats, so a quiet peer costs a few bytes every
// `heartbeat` seconds.
//
// Thread safety: all public methods may be called from any thread.
#ifndef MINGA_NODE_SYNC_PULLER_H_
#define MINGA_NODE_SYNC_PULLER_H_

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "minga/v1/admin.pb.h"
#include "minga/v1/config.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/defaults.h"
#include "node/core/limits.h"
#include "node/sync/peer_link.h"

namespace minga {

struct PullerOptions {
  std::string peer;     // the peer's org id
  std::string address;  // shown in status
  v1::Subscription subscription;
  // Changes when the subscription or the federation's membership changes;
  // a change restarts the checkpoint so the difference is back-filled.
  // Made by PullFingerprint.
  std::string fingerprint;
  uint32_t batch_max_revisions = kDefaultBatchRevisions;
  uint32_t batch_max_bytes = kDefaultBatchBytes;
  absl::Duration backoff_initial = defaults::kBackoffInitial;
  absl::Duration backoff_max = defaults::kBackoffMax;
  // The peer's heartbeat interval; silence for 3 of them drops the stream.
  absl::Duration heartbeat = defaults::kHeartbeat;
  // Deadline of one Pull call; a healthy follow is re-opened when it ends.
  absl::Duration pull_deadline = defaults::kPullDeadline;
  // PullRequest.compression: "zstd", "gzip" or "" (none).
  std::string compression = std::string(defaults::kCompression);
};

// A puller's fingerprint: the subscription's, then "/" and the
// membership's (Keyring::Fingerprint).
std::string PullFingerprint(const v1::Subscription& subscription, absl::string_view membership);
// Whether `stored`, a fingerprint a peer's state recorded (empty: none),
// was made with another subscription than `subscription`.
bool SubscriptionChanged(absl::string_view stored, const v1::Subscription& subscription);

class Puller {
 public:
  // Owns threads or locks: neither copied nor moved.
  Puller(const Puller&) = delete;
  Puller& operator=(const Puller&) = delete;

  // catalog and clock: borrowed, must outlive the puller. seed: jitter.
  Puller(Catalog* catalog, std::shared_ptr<PeerLink> link, PullerOptions options, Clock* clock,
         uint64_t seed);
  ~Puller();  // Stops.

  void Start();
  // Ends the stream and joins the thread. Idempotent.
  void Stop();
  // Pull now: a stream opened before this call is replaced by a fresh one,
  // and any back-off is skipped.
  void Kick();
  v1::PeerStatus Status() const;
  // Blocks until a batch received after `since_micros` (clock time) left the
  // checkpoint at the peer's head, or `timeout` passes. True if caught up.
  bool WaitCaughtUp(int64_t since_micros, absl::Duration timeout);
  // Drops the stream when no batch came for 3 heartbeats (watchdog call).
  void CheckSilence();

  const std::string& peer() const { return options_.peer; }
  const v1::Subscription& subscription() const { return options_.subscription; }

 private:
  // The pipeline of PullOnce: batches read ahead of the verifier, verified
  // ahead of the applier, and the most batches one commit takes.
  static constexpr size_t kReceivedBatches = 4;
  static constexpr size_t kVerifiedBatches = 4;
  static constexpr size_t kMaxBatchesPerCommit = 16;

  struct FeedPosition {
    std::string feed_id;
    uint64_t head = 0;
  };

  void Run();
  absl::Status PullOnce();
  absl::StatusOr<v1::PullRequest> Handshake() ABSL_LOCKS_EXCLUDED(mu_);
  void RecordApplied(const std::vector<FeedPosition>& positions,
                     const std::vector<ApplyStats>& applied) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Outcome(const absl::Status& refused, const absl::Status& finished, int batches)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(v1::PeerStatus::State state) ABSL_LOCKS_EXCLUDED(mu_);

  Catalog* const catalog_;
  const std::shared_ptr<PeerLink> link_;
  const PullerOptions options_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  int64_t kick_micros_ ABSL_GUARDED_BY(mu_) = 0;
  PullStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t stream_start_micros_ ABSL_GUARDED_BY(mu_) = 0;
  bool silenced_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_batch_micros_ ABSL_GUARDED_BY(mu_) = 0;    // or stream start: for silence
  int64_t last_applied_micros_ ABSL_GUARDED_BY(mu_) = 0;  // a batch was applied
  v1::PeerStatus status_ ABSL_GUARDED_BY(mu_);
  int64_t caught_up_micros_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_PULLER_H_
