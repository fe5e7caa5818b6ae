// Catalog: a node's materials over a KvStore, with the merge rule, the feed
// and the peers' checkpoints. It is the one place that changes the store,
// and it knows nothing of gRPC or RocksDB.
//
// Every change is one transaction (one WriteBatch) holding the entry, its
// feed position, chunk references, audit record and, for a pull batch, the
// peer's checkpoint: a failed write leaves the store as it was. The search
// index is not in it: it is a view that follows the feed (node/search).
//
// Thread safety: all methods may be called concurrently. Writers are
// serialised by an internal lock; signature verification for a pull batch
// runs before taking it, on the options' executor. Readers do not lock.
#ifndef MINGA_NODE_CATALOG_CATALOG_H_
#define MINGA_NODE_CATALOG_CATALOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "minga/v1/admin.pb.h"
#include "minga/v1/catalog.pb.h"
#include "minga/v1/federation.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/catalog/tally.h"
#include "node/catalog/txn.h"
#include "node/core/clock.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/core/limits.h"
#include "node/core/parallel.h"
#include "node/core/revision.h"
#include "node/store/chunk_store.h"
#include "node/store/kv.h"

namespace minga {

// Audit records older than this many local sequence numbers are pruned.
inline constexpr uint64_t kAuditWindow = 1'000'000;

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
  // Runs signature checks of a pull batch. Borrowed. Null: inline.
  Executor* executor = nullptr;
  // Where chunk bytes live. Borrowed; must outlive the catalog. Required.
  ChunkStore* chunks = nullptr;
};

// What a puller asks of this node's feed.
struct PullQuery {
  // The puller's org id, as authenticated by the transport.
  std::string requester;
  v1::Subscription subscription;
  // The feed the checkpoint belongs to; empty on a first pull.
  std::string feed_id;
  uint64_t after_lseq = 0;
  uint32_t max_revisions = kDefaultBatchRevisions;
  uint32_t max_bytes = kDefaultBatchBytes;
};

// What one file of a held material has here.
struct FileProgress {
  v1::FileInfo file;
  uint32_t chunks_present = 0;
  uint64_t bytes_present = 0;
  bool complete = false;  // every chunk is here
};

// What Catalog::Gc did.
struct GcStats {
  uint64_t chunks_freed = 0;
  uint64_t bytes_freed = 0;
  uint64_t chunks_kept = 0;  // still listed by held materials
  uint64_t store_bytes_before = 0;
  uint64_t store_bytes_after = 0;  // after compaction
};

// How far ahead of this node's clock a version (microseconds) may be.
inline constexpr uint64_t kMaxVersionAhead = uint64_t{366} * 24 * 3600 * 1000000;

struct ApplyStats {
  size_t received = 0;
  size_t replaced = 0;                // newer revisions stored
  size_t bodies_added = 0;            // bodies added to a held header
  size_t ignored = 0;                 // nothing new
  size_t verified = 0;                // signatures checked
  size_t too_far_ahead = 0;           // versions beyond kMaxVersionAhead, passed over
  bool feed_reset = false;            // the peer's feed id changed
  uint64_t checkpoint = 0;            // stored checkpoint after the batch
  int64_t caught_up_unix_micros = 0;  // when last caught up with the peer
};

class Catalog {
 public:
  // Owns threads or locks: neither copied nor moved.
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Opens the catalog on `kv` (borrowed; must outlive the catalog), creating
  // the schema and a random feed id on a new store. FAILED_PRECONDITION when
  // the store belongs to another org id or a newer schema.
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(KvStore* kv, CatalogOptions options);

  // Gives the store a new random feed id (the node must not be running).
  // After a data directory is restored from a backup, partners whose
  // checkpoints are ahead of it then pull its feed afresh instead of
  // skipping the changes made since the backup under reused sequences.
  static absl::Status NewFeedId(KvStore* kv);

  // ---- This node's own materials. Durable (synced) before returning. ----

  // Creates or replaces a material (see PutRequest). `actor` is recorded in
  // provenance and audit. INVALID_ARGUMENT names the field; PERMISSION_DENIED
  // for another origin's id; FAILED_PRECONDITION when if_version does not
  // match; ALREADY_EXISTS for create_only on a held id.
  absl::StatusOr<v1::MaterialView> Put(v1::PutRequest request, absl::string_view actor);
  // Validates each item alone and stores the valid ones in one write.
  // Fails as a whole only when the store cannot be written.
  absl::StatusOr<std::vector<v1::PutResult>> PutMany(std::vector<v1::PutRequest> requests,
                                                     absl::string_view actor);
  // Retracts: stores a signed tombstone and purges the body.
  absl::StatusOr<v1::MaterialView> Delete(absl::string_view id, uint64_t if_version,
                                          absl::string_view actor);

  // ---- Reads ----

  // NOT_FOUND when nothing is held for `id`.
  absl::StatusOr<v1::MaterialView> Get(absl::string_view id);
  absl::StatusOr<std::optional<Entry>> GetEntry(absl::string_view id);
  absl::StatusOr<v1::ListResponse> List(const v1::ListRequest& request);
  // Counts per origin, files and chunks, feed position, digest: from the
  // tally, without a scan.
  absl::StatusOr<v1::StatusResponse> Status();
  // The digest of the held entries (see tally.h), from a scan: what
  // Status reports, recomputed.
  absl::StatusOr<std::string> Digest();
  // Calls `fn` for every held entry, in id order, until it returns an
  // error (returned). A consistent snapshot of the store on RocksDB.
  absl::Status ScanEntries(
      const std::function<absl::Status(absl::string_view id, const Entry& entry)>& fn);

  // ---- Federation ----

  // This node's feed after `after_lseq`: up to `max` changes in order, each
  // a material's latest position (what derived views such as the search
  // index follow).
  struct FeedChange {
    uint64_t lseq = 0;
    std::string id;
    // Whether the entry holds its body (it may have none, or be gone);
    // unknown for feed records older than schema 4.
    std::optional<bool> has_body;
  };
  absl::StatusOr<std::vector<FeedChange>> ReadFeed(uint64_t after_lseq, size_t max);

  // What a commit changed of one entry, for derived views.
  struct Change {
    uint64_t lseq = 0;  // the entry's new feed position
    std::string id;
    bool has_body = false;   // it holds a body now
    bool lost_body = false;  // it held one before this change, and not now
  };
  // Called after each commit, under the write lock (so in feed order), with
  // every entry it stored. Must be quick and must not call back into the
  // catalog. Listeners are added before the catalog is shared; RemoveListener
  // before a listener goes.
  using ChangeListener = std::function<void(const Change&)>;
  int AddListener(ChangeListener listener);
  void RemoveListener(int token);

  // The next batch of this node's feed for a puller: headers always, bodies
  // only where the requester is in the audience and the subscription
  // matches. Memory is bounded by the query's limits.
  absl::StatusOr<v1::PullBatch> ReadBatch(const PullQuery& query);

  // Verifies and applies a batch pulled from `peer`, and stores the new
  // checkpoint in the same write. The whole batch is refused, and nothing
  // stored, if any revision is malformed, unsigned by its origin's key, has
  // a body that does not match its header, or carries a body this node is
  // not in the audience of: INVALID_ARGUMENT, UNAUTHENTICATED, DATA_LOSS or
  // PERMISSION_DENIED, naming the revision. VerifyBatch then ApplyVerified.
  absl::StatusOr<ApplyStats> ApplyBatch(absl::string_view peer, const v1::PullBatch& batch);

  // One revision of a batch on its way in (see VerifyBatch).
  struct VerifiedRevision {
    v1::RevisionHeader header;
    MergeState state;
    bool skip = false;  // unknown origin, nothing new, or too far ahead
    bool check_signature = false;
    // Authentic (once verified) but too far ahead of this node's clock.
    bool far_ahead = false;
    absl::Status status;  // of verification
    std::string signer;   // fingerprint of the key it verified with
    std::optional<v1::Material> material;
  };
  // A pull batch that passed VerifyBatch, with what it found.
  struct VerifiedBatch {
    v1::PullBatch batch;
    std::vector<VerifiedRevision> revisions;
    ApplyStats stats;
  };
  // The first half of ApplyBatch, without the write lock, so a puller
  // verifies the next batch while the previous one is written: checks the
  // batch's shape, decodes every revision, skips what is held already, and
  // verifies signatures and bodies on the executor. Errors as ApplyBatch.
  absl::StatusOr<VerifiedBatch> VerifyBatch(v1::PullBatch batch);
  // The second half: applies verified batches of `peer`, in the order
  // given, in one transaction with one sync, the checkpoint moving batch by
  // batch. Returns each batch's stats. On error nothing is stored.
  absl::StatusOr<std::vector<ApplyStats>> ApplyVerified(absl::string_view peer,
                                                        std::vector<VerifiedBatch> batches);

  // After the federation file changed (members or keys): purges the
  // entries it no longer vouches for, those of an origin that is no longer
  // a member and those whose header does not verify with a key the origin
  // may use at its version (a retired key's, at or above the version it
  // was retired from). A purged entry is gone: not served, not searchable,
  // its body and chunks deleted; its id moves to the feed's end without an
  // entry, so the search view drops it. Records the keyring's fingerprint:
  // a later call with the same keyring does nothing. Returns how many
  // entries it purged.
  absl::StatusOr<size_t> ReconcileMembership();

  // The highest version of this origin's own materials held (0 if none).
  static absl::StatusOr<uint64_t> HighestOwnVersion(KvStore* kv, absl::string_view org_id);

  // The stored state of a peer (default-constructed if never pulled).
  absl::StatusOr<v1::storage::PeerState> GetPeerState(absl::string_view peer);
  // Restarts a peer's checkpoint at 0 when the subscription fingerprint
  // differs from the stored one, so the new subscription back-fills.
  absl::Status PrepareSubscription(absl::string_view peer, absl::string_view fingerprint);
  // Records a failed pull.
  absl::Status RecordPeerError(absl::string_view peer, absl::string_view error);

  // ---- Files (see chunk_refs.h) ----

  // Stores a chunk after checking its hash. With `only_if_wanted` the chunk
  // is dropped unless a held material lists it (it arrived after a
  // retraction). Already stored: nothing to do.
  absl::Status StoreChunk(absl::string_view sha, absl::string_view data, bool only_if_wanted);
  // StoreChunk for an upload: the chunk is also marked as an upload's until
  // DropUnlisted, so one a crash cuts short leaves nothing at the next open.
  absl::Status StoreUploadedChunk(absl::string_view sha, absl::string_view data);
  // The chunk's bytes, checked against its hash: damaged bytes are
  // forgotten (wanted again by the materials that list them) and answered
  // as absent.
  absl::StatusOr<std::optional<std::string>> ReadChunk(absl::string_view sha);
  absl::StatusOr<bool> HasChunk(absl::string_view sha);
  // Those of `shas` not stored here, in order.
  absl::StatusOr<std::vector<std::string>> MissingChunks(const std::vector<std::string>& shas);
  // Chunks listed by held materials but not stored: material id -> chunk
  // hashes, at most `max` hashes in all, from material `from_id` on. Sets
  // *next_from to where a later call continues ("" after the last).
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> WantedChunks(
      size_t max, const std::string& from_id, std::string* next_from);
  absl::StatusOr<std::vector<std::string>> WantedChunksOf(absl::string_view id);
  // Lists `file` in this node's material `id` (held, not retracted) with a
  // new signed revision, replacing a file of the same name.
  // FAILED_PRECONDITION if a chunk of it is not stored.
  absl::StatusOr<v1::MaterialView> AttachFile(absl::string_view id, v1::FileInfo file,
                                              absl::string_view actor);
  absl::StatusOr<std::vector<FileProgress>> ListFiles(absl::string_view id);
  // Whether `requester` may read each of `shas` through material `id`,
  // decoding the material once for the whole call. PERMISSION_DENIED (or
  // NOT_FOUND) for the whole call unless `id` is held with its body, lists
  // every one of the chunks, and has `requester` in its audience. Even then
  // an entry is false (withhold, as if the chunk were not here) when a held
  // material of another origin lists the same chunk and excludes
  // `requester`: anyone can list any hash in a material of their own, and
  // that must not open a restricted material's content.
  absl::StatusOr<std::vector<bool>> CheckChunkAccess(absl::string_view requester,
                                                     absl::string_view id,
                                                     const std::vector<std::string>& shas);
  // Deletes chunks no held material lists (and no upload pins), then
  // compacts the store.
  absl::StatusOr<GcStats> Gc();
  // Uploads pin the chunks they stored until their file is attached, so a
  // concurrent retraction or Gc does not delete them.
  void PinChunk(const std::string& sha);
  void UnpinChunk(const std::string& sha);
  // Deletes those of `shas` that no material lists and nobody pins, and
  // their upload marks (an upload ending, attached or not, calls it).
  absl::Status DropUnlisted(const std::vector<std::string>& shas);

  // ---- Notifications ----

  uint64_t head_lseq() const { return head_lseq_.load(); }
  int64_t head_time_micros() const { return head_time_.load(); }
  // Blocks until head_lseq() > after_lseq or `timeout` passes; returns
  // whether the head moved past after_lseq.
  bool WaitForHead(uint64_t after_lseq, absl::Duration timeout);

  const std::string& org_id() const { return options_.org_id; }
  const std::string& feed_id() const { return feed_id_; }
  const Keyring& keyring() const { return *options_.keyring; }
  KvStore* kv() const { return kv_; }

 private:
  Catalog(KvStore* kv, CatalogOptions options);
  absl::Status Init();
  // Schema 1 kept search postings in the store; they are the search
  // index's now.
  absl::Status MigrateFromSchema1();
  // Schemas 1 and 2 kept chunk bytes in the store; they are files now.
  absl::Status MoveChunksOutOfTheStore();
  // Removes chunk files nothing records (a crash between a transaction and
  // its files).
  absl::Status SweepOrphanChunks();
  // Drops the chunks of uploads a crash cut short (their "u" marks).
  absl::Status SweepCutUploads();
  absl::Status StoreChunkImpl(absl::string_view sha, absl::string_view data, bool only_if_wanted,
                              bool upload);
  void DropChunkFiles(const std::vector<std::string>& shas);
  absl::Status ForgetDamagedChunk(absl::string_view sha);

  // A transaction in progress and the local sequence it has reached.
  struct Pending {
    Pending(KvStore* kv, uint64_t lseq, v1::storage::Tally t)
        : txn(kv), last_lseq(lseq), tally(std::move(t)) {}
    Txn txn;
    uint64_t last_lseq;
    // The tally as this transaction leaves it; the catalog's once committed.
    v1::storage::Tally tally;
    // For the change listeners, once committed.
    std::vector<Change> changes;
    // Chunks forgotten in this transaction: their bytes go after commit.
    std::vector<std::string> dropped_chunks;
  };
  // A validated put, ready to be applied under the write lock.
  struct PreparedPut {
    v1::Material material;  // normalised; id empty when to be assigned
    v1::Audience audience;  // canonical
    // False when the request left the audience unset: a held material then
    // keeps its own (an unset audience never widens one), a new one is
    // PUBLIC.
    bool audience_given = false;
    uint64_t if_version = 0;
    bool create_only = false;
    // The node itself set `material.files` (attaching a file): take them as
    // they are instead of requiring a subset of the held ones.
    bool files_from_node = false;
  };
  absl::StatusOr<PreparedPut> PreparePut(v1::PutRequest request) const;
  // A put in three steps, so a batch signs on every core: planned under
  // the lock (id, what is held, version), signed (no lock needed, no
  // catalog state), then stored under the lock.
  struct PlannedPut {
    std::string id;
    std::optional<Entry> held;
    // The same material and audience are held: nothing to store.
    bool unchanged = false;
    v1::Material material;
    std::string body;
    RevisionSpec spec;
    v1::Revision revision;        // once signed
    std::optional<Entry> stored;  // once stored
  };
  // `reserved`: ids planned earlier in the same transaction, not yet
  // stored, which an assigned id must not take.
  absl::StatusOr<PlannedPut> PlanPutLocked(Pending* pending, PreparedPut put,
                                           const std::set<std::string>& reserved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void SignPlanned(PlannedPut* plan) const;
  absl::Status FinishPutLocked(Pending* pending, PlannedPut* plan, absl::string_view actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The three steps for one put.
  absl::StatusOr<v1::MaterialView> PutLocked(Pending* pending, PreparedPut put,
                                             absl::string_view actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<std::string> AssignId(Pending* pending, const v1::Material& m,
                                       const v1::Audience& audience,
                                       const std::set<std::string>& reserved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Stores `entry` for `id` in place of `old`: lseq, feed, index, chunk
  // references and, when `action` is not empty (a local change), an audit
  // record.
  absl::Status StoreEntry(Pending* pending, const std::string& id, const std::optional<Entry>& old,
                          Entry* entry, absl::string_view actor, absl::string_view action)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Marks chunk `sha` wanted (or no longer wanted) by each of `ids` that
  // holds a body, keeping their files' counts in the tally.
  absl::Status SetWanted(Pending* pending, const std::vector<std::string>& ids,
                         absl::string_view sha, bool wanted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Applies one verified batch within ApplyVerified's transaction; true
  // when the peer's state moved (checkpoint, feed, head).
  absl::StatusOr<bool> ApplyOneLocked(Pending* pending, absl::string_view peer,
                                      const std::string& actor, int64_t now,
                                      VerifiedBatch* verified)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Removes `old` (held for `id`) entirely, as ReconcileMembership does.
  absl::Status PurgeLocked(Pending* pending, const std::string& id, const Entry& old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes the transaction and publishes the new head.
  absl::Status CommitLocked(Pending* pending, bool sync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void PublishHead(uint64_t lseq);

  KvStore* const kv_;
  const CatalogOptions options_;
  VersionClock versions_;
  std::string feed_id_;

  absl::Mutex write_mu_;
  uint64_t last_lseq_ ABSL_GUARDED_BY(write_mu_) = 0;
  v1::storage::Tally tally_ ABSL_GUARDED_BY(write_mu_);
  // A copy of tally_ for Status, so it never waits behind a large commit.
  mutable absl::Mutex tally_mu_;
  v1::storage::Tally published_tally_ ABSL_GUARDED_BY(tally_mu_);
  std::map<std::string, int> pinned_ ABSL_GUARDED_BY(write_mu_);

  absl::Mutex listener_mu_;
  std::map<int, ChangeListener> listeners_ ABSL_GUARDED_BY(listener_mu_);
  int next_listener_ ABSL_GUARDED_BY(listener_mu_) = 0;

  std::atomic<uint64_t> head_lseq_{0};
  std::atomic<int64_t> head_time_{0};
  absl::Mutex head_mu_;
  uint64_t head_for_waiters_ ABSL_GUARDED_BY(head_mu_) = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_CATALOG_H_
