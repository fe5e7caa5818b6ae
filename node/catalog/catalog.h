// Catalog: a node's materials over a KvStore, with the merge rule, the feed
// and the peers' checkpoints. It is the one place that changes the store,
// and it knows nothing of gRPC or RocksDB.
//
// It is made of parts, one per concern, each with its own header and
// contract, sharing one writer (writer.h: one write lock, one transaction
// per change):
//   local()  LocalWrites   this node's own materials (local_writes.h)
//   feed()   FeedReader    serving the feed to pullers and views (feed_reader.h)
//   pulls()  PullApplier   verifying and applying pulled batches (apply.h)
//   interlock() Interlock  holding the purge of a mass retraction (interlock.h)
//   files()  CatalogFiles  file chunks (files.h)
// The catalog itself opens the store (schema, migrations, sweeps), answers
// reads and counts, and reconciles membership. The search index is not in
// any transaction: it is a view that follows the feed (node/search).
//
// Thread safety: all methods, and the parts', may be called concurrently.
// Writers are serialised by the writer's lock; readers do not lock.
#ifndef MINGA_NODE_CATALOG_CATALOG_H_
#define MINGA_NODE_CATALOG_CATALOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "minga/v1/catalog.pb.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/apply.h"
#include "node/catalog/entry.h"
#include "node/catalog/feed_reader.h"
#include "node/catalog/files.h"
#include "node/catalog/interlock.h"
#include "node/catalog/local_writes.h"
#include "node/catalog/writer.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/store/kv.h"

namespace minga {

// What a listing asks for (see List).
struct ListQuery {
  // By material id, or by local sequence (the order of this node's feed).
  bool by_sequence = false;
  // Only materials of this origin. Empty: all origins.
  std::string origin;
  // Include entries held as header only (retractions, materials outside
  // this node's audience or subscription).
  bool include_headers_only = false;
  // 1 to kMaxPageSize; 0 means kDefaultPageSize.
  int page_size = 0;
  // From a previous page; empty for the first.
  std::string page_token;
  // Keep each file's chunk hashes in the views.
  bool include_chunk_hashes = false;
};

struct ListPage {
  std::vector<v1::MaterialView> materials;
  std::string next_page_token;  // empty after the last page
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

  // The parts (see the top of this file).
  LocalWrites& local() { return local_; }
  FeedReader& feed() { return feed_; }
  PullApplier& pulls() { return pulls_; }
  Interlock& interlock() { return interlock_; }
  CatalogFiles& files() { return files_; }

  // ---- Reads ----

  // NOT_FOUND when nothing is held for `id`.
  absl::StatusOr<v1::MaterialView> Get(absl::string_view id);
  absl::StatusOr<std::optional<Entry>> GetEntry(absl::string_view id);
  // A page of held materials. INVALID_ARGUMENT names page_size, page_token
  // or origin.
  absl::StatusOr<ListPage> List(const ListQuery& query);
  // Counts per origin, files and chunks, and the digest, as of the last
  // commit: kept by every commit, without a scan.
  v1::storage::Tally Counts() const { return writer_.PublishedTally(); }
  // The digest of the held entries (see tally.h), hex, from a scan: what
  // Counts reports, recomputed.
  absl::StatusOr<std::string> Digest();
  // Calls `fn` for every held entry, in id order, until it returns an
  // error (returned). A consistent snapshot of the store on RocksDB.
  absl::Status ScanEntries(
      const std::function<absl::Status(absl::string_view id, const Entry& entry)>& fn);
  // The highest version of this origin's own materials held (0 if none).
  static absl::StatusOr<uint64_t> HighestOwnVersion(KvStore* kv, absl::string_view org_id);

  // ---- Membership ----

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

  // ---- Changes and the head ----

  // See CatalogWriter::AddListener.
  int AddListener(CatalogWriter::ChangeListener listener) {
    return writer_.AddListener(std::move(listener));
  }
  void RemoveListener(int token) { writer_.RemoveListener(token); }
  uint64_t head_lseq() const { return writer_.head_lseq(); }
  int64_t head_time_micros() const { return writer_.head_time_micros(); }
  // Blocks until head_lseq() > after_lseq or `timeout` passes; returns
  // whether the head moved past after_lseq.
  bool WaitForHead(uint64_t after_lseq, absl::Duration timeout) {
    return writer_.WaitForHead(after_lseq, timeout);
  }

  const std::string& org_id() const { return options_.org_id; }
  const std::string& feed_id() const { return writer_.feed_id(); }
  const Keyring& keyring() const { return *options_.keyring; }
  const PublicKey& public_key() const { return options_.signing_key->public_key(); }
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

  KvStore* const kv_;
  CatalogWriter writer_;
  const CatalogOptions& options_;  // the writer's
  LocalWrites local_;
  FeedReader feed_;
  Interlock interlock_;
  PullApplier pulls_;
  CatalogFiles files_;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_CATALOG_H_
