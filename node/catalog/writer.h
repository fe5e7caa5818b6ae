// CatalogWriter: the one writer every part of the catalog shares. It owns
// the write lock and turns a change into one transaction (one WriteBatch)
// holding the entry, its feed position, chunk references, audit record,
// the tally and, for a pull batch, the peer's checkpoint: a failed write
// leaves the store as it was. After a commit it publishes the new head,
// wakes the head's waiters and tells the change listeners (the search view
// follows the feed through them).
//
// The parts (local_writes.h, feed_reader.h, apply.h, files.h) each borrow
// the writer and hold `mu` for the whole of a change: Begin, then
// StoreEntry / Purge / SetWanted, then Commit.
//
// Thread safety: methods marked as needing `mu` are called with it held;
// the others may be called from any thread. Reads of the store need no lock.
#ifndef MINGA_NODE_CATALOG_WRITER_H_
#define MINGA_NODE_CATALOG_WRITER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/catalog/txn.h"
#include "node/core/clock.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/core/parallel.h"
#include "node/core/revision.h"
#include "node/store/chunk_store.h"
#include "node/store/kv.h"

namespace minga {

// Audit records older than this many local sequence numbers are pruned.
inline constexpr uint64_t kAuditWindow = 1'000'000;

// The mass-delete interlock's thresholds (interlock.h).
struct InterlockOptions {
  bool enabled = true;
  // Trips past this share of an origin's bodies held here...
  uint32_t share_percent = 20;
  // ...when at least this many were lost within the window.
  uint64_t min_materials = 100;
  absl::Duration window = absl::Hours(1);
  // A hold ends by itself this long after it tripped.
  absl::Duration grace = absl::Hours(24 * 7);
};

struct CatalogOptions {
  // This node's org id. Required.
  std::string org_id;
  // Signs this node's revisions. Borrowed; must outlive the catalog.
  const SigningKey* signing_key = nullptr;
  // Members and keys. Borrowed; must outlive the catalog. Must hold org_id
  // with signing_key's public key.
  const Keyring* keyring = nullptr;
  // Wall clock for versions and provenance. Borrowed. Default: system.
  Clock* clock = SystemClock();
  // Runs signature checks of a pull batch and signing of a local batch.
  // Borrowed. Null: inline.
  Executor* executor = nullptr;
  // Where chunk bytes live. Borrowed; must outlive the catalog. Required.
  ChunkStore* chunks = nullptr;
  InterlockOptions interlock;
};

// What a commit changed of one entry, for derived views.
struct CatalogChange {
  uint64_t lseq = 0;  // the entry's new feed position
  std::string id;
  bool has_body = false;   // it holds a body now
  bool lost_body = false;  // it held one before this change, and not now
};

// A change in progress: its transaction and the local sequence it has
// reached. Made by CatalogWriter::Begin; used under the writer's lock.
struct Pending {
  Pending(KvStore* kv, uint64_t lseq, v1::storage::Tally t)
      : txn(kv), last_lseq(lseq), tally(std::move(t)) {}
  Txn txn;
  uint64_t last_lseq;
  // The tally as this transaction leaves it; the catalog's once committed.
  v1::storage::Tally tally;
  // For the change listeners, once committed.
  std::vector<CatalogChange> changes;
  // Chunks forgotten in this transaction: their bytes go after commit.
  std::vector<std::string> dropped_chunks;
};

class CatalogWriter {
 public:
  // kv, and what options point to: borrowed, must outlive the writer.
  CatalogWriter(KvStore* kv, CatalogOptions options);
  CatalogWriter(const CatalogWriter&) = delete;
  CatalogWriter& operator=(const CatalogWriter&) = delete;

  // The write lock: held for the whole of a change, from Begin to Commit.
  absl::Mutex mu;

  // Sets the feed id, feed position and tally read from the store at open,
  // before the catalog is shared.
  void Restore(std::string feed_id, uint64_t last_lseq, v1::storage::Tally tally)
      ABSL_LOCKS_EXCLUDED(mu);

  // A new change starting at the current feed position and tally.
  Pending Begin() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The feed position of the last commit.
  uint64_t last_lseq() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return last_lseq_; }

  // Stores `entry` for `id` in place of `old`: lseq, feed, chunk references,
  // tally and, when `action` is not empty (a local change), an audit record.
  absl::Status StoreEntry(Pending* pending, const std::string& id, const std::optional<Entry>& old,
                          Entry* entry, absl::string_view actor, absl::string_view action)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Removes `old` (held for `id`) entirely: its id moves to the feed's end
  // without an entry, its chunk references go.
  absl::Status Purge(Pending* pending, const std::string& id, const Entry& old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Marks chunk `sha` wanted (or no longer wanted) by each of `ids` that
  // holds a body, keeping their files' counts in the tally.
  absl::Status SetWanted(Pending* pending, const std::vector<std::string>& ids,
                         absl::string_view sha, bool wanted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Writes the transaction (synced if `sync`), then drops forgotten chunk
  // files, tells the listeners and publishes the new head. On error nothing
  // is stored and nothing published.
  absl::Status Commit(Pending* pending, bool sync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // A change written but not yet synced (CommitUnsynced): the head to
  // publish once it is on disk.
  struct Unsynced {
    bool written = false;    // false: the transaction was empty, or is done
    uint64_t last_lseq = 0;  // the head to publish; 0 when the feed did not move
  };
  // Commit in two steps, so a large change's sync does not hold `mu` and
  // the next change is planned and signed meanwhile. This step writes the
  // transaction without waiting for the disk and tells the listeners (in
  // feed order, as Commit does); what it wrote is seen by this node's own
  // reads and the next change, but not by feed readers (they stop at the
  // published head) until Publish. A change that forgets chunks is synced
  // and finished here instead, under `mu` as Commit does: their files must
  // go before another writer may store the same bytes again. On error
  // nothing is stored.
  absl::StatusOr<Unsynced> CommitUnsynced(Pending* pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The second step, called without `mu`: syncs the store's log (covering
  // every write before it), then publishes the head. On error the change
  // is not published by this call and must not be acknowledged; it may
  // still reach the disk with a later sync, as an unacknowledged write may.
  absl::Status Publish(Unsynced unsynced) ABSL_LOCKS_EXCLUDED(mu);

  // Uploads pin the chunks they stored until their file is attached, so a
  // concurrent retraction or gc does not delete them.
  void Pin(const std::string& sha) ABSL_LOCKS_EXCLUDED(mu);
  void Unpin(const std::string& sha) ABSL_LOCKS_EXCLUDED(mu);
  bool Pinned(const std::string& sha) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // The tally as of the last commit, without waiting behind a writer.
  v1::storage::Tally PublishedTally() const ABSL_LOCKS_EXCLUDED(tally_mu_);

  // Called after each commit, under the write lock (so in feed order), with
  // every entry it stored. Must be quick and must not call back into the
  // catalog. Listeners are added before the catalog is shared; RemoveListener
  // before a listener goes.
  using ChangeListener = std::function<void(const CatalogChange&)>;
  int AddListener(ChangeListener listener);
  void RemoveListener(int token);

  // The published head: every change up to it is on disk. Feed readers
  // stop there.
  uint64_t head_lseq() const { return head_lseq_.load(); }
  int64_t head_time_micros() const { return head_time_.load(); }
  // Blocks until head_lseq() > after_lseq or `timeout` passes; returns
  // whether the head moved past after_lseq.
  bool WaitForHead(uint64_t after_lseq, absl::Duration timeout);
  // Raises the head to `lseq` (never lowers it: a change published after
  // its own sync may follow a later one that a synced commit published).
  void PublishHead(uint64_t lseq);

  // Deletes chunk files, logging failures (the sweep at open retries).
  void DropChunkFiles(const std::vector<std::string>& shas);

  KvStore* kv() const { return kv_; }
  const std::string& feed_id() const { return feed_id_; }
  const CatalogOptions& options() const { return options_; }
  // Versions of this node's revisions: above every one it has seen.
  VersionClock& versions() { return versions_; }

 private:
  KvStore* const kv_;
  const CatalogOptions options_;
  VersionClock versions_;
  std::string feed_id_;  // set once, by Restore

  uint64_t last_lseq_ ABSL_GUARDED_BY(mu) = 0;
  v1::storage::Tally tally_ ABSL_GUARDED_BY(mu);
  std::map<std::string, int> pinned_ ABSL_GUARDED_BY(mu);
  // The last entries SetWanted decoded, each with the stored bytes it came
  // from. A transfer stores chunk after chunk of the same few materials,
  // and decoding a material with thousands of chunk hashes for each one
  // was a tenth of a pulling node's time. An entry is reused only while
  // its stored bytes are the same, so no write path has to invalidate it.
  struct DecodedEntry {
    std::string id;
    std::string raw;
    std::shared_ptr<const Entry> entry;
  };
  std::deque<DecodedEntry> decoded_ ABSL_GUARDED_BY(mu);
  absl::StatusOr<std::shared_ptr<const Entry>> LoadDecoded(Txn* txn, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Commit's and CommitUnsynced's write: the transaction, the tally, the
  // listeners and the writer's own feed position.
  absl::StatusOr<Unsynced> WriteLocked(Pending* pending, bool sync)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // A copy of tally_ for status, so it never waits behind a large commit.
  mutable absl::Mutex tally_mu_;
  v1::storage::Tally published_tally_ ABSL_GUARDED_BY(tally_mu_);

  absl::Mutex listener_mu_;
  std::map<int, ChangeListener> listeners_ ABSL_GUARDED_BY(listener_mu_);
  int next_listener_ ABSL_GUARDED_BY(listener_mu_) = 0;

  std::atomic<uint64_t> head_lseq_{0};
  std::atomic<int64_t> head_time_{0};
  absl::Mutex head_mu_;
  uint64_t head_for_waiters_ ABSL_GUARDED_BY(head_mu_) = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_WRITER_H_
