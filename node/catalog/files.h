// CatalogFiles: the chunks of held materials' files (see chunk_refs.h for
// how they are recorded): storing and reading chunks, what is wanted, who
// may read what, and garbage collection. Bytes live in the ChunkStore; the
// records of them change in the catalog's transactions, so a retraction or
// a narrowed audience forgets the chunks no held material lists in the same
// write that stores it.
//
// Errors: INVALID_ARGUMENT or DATA_LOSS for a chunk that does not match its
// hash, NOT_FOUND or PERMISSION_DENIED from the access check, otherwise the
// store's.
//
// Thread safety: all methods may be called concurrently.
#ifndef MINGA_NODE_CATALOG_FILES_H_
#define MINGA_NODE_CATALOG_FILES_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "minga/v1/material.pb.h"
#include "node/catalog/interlock.h"
#include "node/catalog/writer.h"

namespace minga {

// What one file of a held material has here.
struct FileProgress {
  v1::FileInfo file;
  uint32_t chunks_present = 0;
  uint64_t bytes_present = 0;
  bool complete = false;  // every chunk is here
};

// What CatalogFiles::Gc did.
struct GcStats {
  uint64_t chunks_freed = 0;
  uint64_t bytes_freed = 0;
  uint64_t chunks_kept = 0;  // still listed by held materials
  uint64_t store_bytes_before = 0;
  uint64_t store_bytes_after = 0;  // after compaction
};

class CatalogFiles {
 public:
  // writer, interlock: borrowed, must outlive this.
  CatalogFiles(CatalogWriter* writer, Interlock* interlock)
      : w_(*writer), interlock_(*interlock), kv_(writer->kv()), chunks_(writer->options().chunks) {}
  CatalogFiles(const CatalogFiles&) = delete;
  CatalogFiles& operator=(const CatalogFiles&) = delete;

  // Stores a chunk after checking its hash. With `only_if_wanted` the chunk
  // is dropped unless a held material lists it (it arrived after a
  // retraction). Already stored: nothing to do. Returns once the chunk is
  // recorded; chunks stored by several threads at once share one commit.
  absl::Status StoreChunk(absl::string_view sha, absl::string_view data, bool only_if_wanted);
  // StoreChunk for an upload: the chunk is also marked as an upload's until
  // DropUnlisted, so one a crash cuts short leaves nothing at the next open.
  // `sha` must be the hash of `data` as the caller computed it (the
  // upload's chunker): it is not computed again.
  absl::Status StoreUploadedChunk(absl::string_view sha, absl::string_view data);
  // The chunk's bytes, checked against its hash: damaged bytes, and bytes
  // recorded but not on disk, are forgotten (wanted again by the materials
  // that list them) and answered as absent.
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
  // NOT_FOUND when `id` is not held.
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
  void PinChunk(const std::string& sha) { w_.Pin(sha); }
  void UnpinChunk(const std::string& sha) { w_.Unpin(sha); }
  // Chunks whose bytes are stored and whose records wait for a commit.
  size_t ChunksWaiting() ABSL_LOCKS_EXCLUDED(queue_mu_) {
    absl::MutexLock lock(&queue_mu_);
    return queue_.size();
  }
  // Deletes those of `shas` that no material lists and nobody pins, and
  // their upload marks (an upload ending, attached or not, calls it).
  absl::Status DropUnlisted(const std::vector<std::string>& shas);

 private:
  // A chunk whose bytes are stored, waiting for its record.
  struct Mark {
    absl::string_view sha;
    uint64_t size;
    bool only_if_wanted;
    bool upload;
    absl::Status status = absl::OkStatus();
    bool done = false;
  };

  absl::Status StoreChunkImpl(absl::string_view sha, absl::string_view data, bool only_if_wanted,
                              bool upload);
  // Records `marks` in one transaction, under the write lock.
  absl::Status RecordChunks(const std::vector<Mark*>& marks);
  absl::Status ForgetDamagedChunk(absl::string_view sha);

  CatalogWriter& w_;
  Interlock& interlock_;
  KvStore* const kv_;
  ChunkStore* const chunks_;

  // Group commit, as LevelDB's writer queue: the mark at the front records
  // itself and every mark queued behind it, then wakes them. The write
  // lock is taken once per group instead of once per chunk, so fetching
  // threads queue on it less. Never held while taking `w_.mu`.
  absl::Mutex queue_mu_;
  absl::CondVar queue_cv_;
  std::deque<Mark*> queue_ ABSL_GUARDED_BY(queue_mu_);
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_FILES_H_
