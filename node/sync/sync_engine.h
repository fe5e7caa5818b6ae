// SyncEngine: one Puller per configured peer, a watchdog that drops streams
// whose peer went silent, and the FileFetcher that brings file chunks.
//
// Thread safety: AddPeer before Start; everything else from any thread.
#ifndef MINGA_NODE_SYNC_SYNC_ENGINE_H_
#define MINGA_NODE_SYNC_SYNC_ENGINE_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "minga/v1/admin.pb.h"
#include "node/sync/file_fetcher.h"
#include "node/sync/puller.h"

namespace minga {

class SyncEngine {
 public:
  // Owns threads or locks: neither copied nor moved.
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  // catalog, clock: borrowed; must outlive the engine.
  SyncEngine(Catalog* catalog, Clock* clock) : catalog_(catalog), clock_(clock) {}
  ~SyncEngine();  // Stops.

  // `max_file_bytes_per_second`: the limit on chunks fetched from it (0:
  // none; FetchPeer).
  void AddPeer(std::shared_ptr<PeerLink> link, PullerOptions options,
               uint64_t max_file_bytes_per_second = 0);
  // Starts the pullers and the file fetcher. First, when a peer's
  // subscription changed since the last start, the bodies and files no
  // peer's subscription selects any longer are dropped (widening needs
  // nothing: the puller back-fills).
  void Start();
  void Stop();

  std::vector<v1::PeerStatus> Peers() const;

  static constexpr absl::Duration kDefaultSyncTimeout = absl::Seconds(30);
  static constexpr absl::Duration kMaxSyncTimeout = absl::Hours(1);
  // What an administrator asked: pull now from `peer` (empty: every peer)
  // and, with `wait`, wait until caught up, at most `timeout`.
  struct SyncOrder {
    std::string peer;
    bool wait = false;
    absl::Duration timeout = kDefaultSyncTimeout;
  };
  struct SyncOutcome {
    bool caught_up = false;  // waited, and every selected peer caught up in time
    std::vector<v1::PeerStatus> peers;
  };
  // Kicks the selected pullers and, if asked, waits until they caught up,
  // the timeout passes, `cancelled()` turns true or the engine stops.
  // NOT_FOUND names an unknown peer; INVALID_ARGUMENT a timeout beyond
  // kMaxSyncTimeout.
  absl::StatusOr<SyncOutcome> Sync(const SyncOrder& order, const std::function<bool()>& cancelled);
  // The file fetcher; null before Start.
  FileFetcher* files() const { return files_.get(); }

 private:
  void DropNarrowedBodies();

  Catalog* const catalog_;
  Clock* const clock_;
  std::vector<std::unique_ptr<Puller>> pullers_;
  std::vector<FetchPeer> fetch_peers_;
  std::unique_ptr<FileFetcher> files_;
  absl::Notification stop_;
  std::thread watchdog_;
  bool started_ = false;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_SYNC_ENGINE_H_
