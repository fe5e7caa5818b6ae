// What search_view.cc (following the feed, searching) and
// search_view_generations.cc (index directories, reindex, compact) share:
// the metadata kept in each index, its directory layout, and the step that
// indexes one change. Not for use outside SearchView.
//
// Thread safety: plain functions; the Xapian database passed in is the
// caller's, used under the caller's lock.
#ifndef MINGA_NODE_SEARCH_SEARCH_VIEW_INTERNAL_H_
#define MINGA_NODE_SEARCH_SEARCH_VIEW_INTERNAL_H_

#include <xapian.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "node/catalog/catalog.h"
#include "node/search/common_words.h"
#include "node/search/doc_stats.h"
#include "node/search/document.h"
#include "node/search/search_view.h"

namespace minga::search {

// Metadata committed with the documents.
inline constexpr char kMetaPosition[] = "minga.position";
inline constexpr char kMetaFeed[] = "minga.feed_id";
inline constexpr char kMetaFormat[] = "minga.format";
// Changes when what a document holds changes (analysis, terms, values): an
// index of another format is rebuilt.
inline constexpr char kFormat[] = "3";
// The file naming the index directory in use, and those directories' prefix.
inline constexpr char kCurrentFile[] = "CURRENT";
inline constexpr char kGenerationPrefix[] = "index-";

// The name of the generation after `name` ("index-N"; the first when there
// is none or it is not one of ours).
std::string NextGeneration(const std::string& name);

// A Xapian error as a Status: DATA_LOSS for a corrupt index, otherwise
// UNAVAILABLE, naming `what` was being done.
absl::Status FromXapian(const Xapian::Error& e, absl::string_view what);

// fsync of a file or directory; Xapian does its own except with
// DB_NO_SYNC, which builds aside use and then sync here.
absl::Status SyncPath(const std::filesystem::path& path);
// SyncPath of every file in `dir`, then of `dir`.
absl::Status SyncTree(const std::filesystem::path& dir);

// A position kept in metadata (0 if absent or malformed).
uint64_t ParsePosition(const std::string& s);

// Sum of the sizes of the files in `dir` (0 when it cannot be read).
uint64_t TreeBytes(const std::filesystem::path& dir);

// What ApplyChange did to one document.
struct AppliedChange {
  Xapian::docid did = 0;
  bool removed = false;
  // Terms added or removed (the old document's and the new one's): each
  // may rewrite a block of a table at the next commit.
  size_t terms_touched = 0;
};

// A feed change read from the store, its document built: the half of
// indexing that needs no Xapian writer, so it may run ahead on another
// thread (BuildAhead).
struct PreparedChange {
  std::string id;
  uint64_t lseq = 0;
  // The material moved on (its newer position comes later): nothing to do.
  bool stale = false;
  // The document to index; absent when the material has no body or is
  // gone, so a document held for it is dropped.
  std::optional<IndexedDocument> built;
};

// Reads material `change.id` and builds its document with the pair terms
// of `common` (telling it of the stems and pairs seen).
absl::StatusOr<PreparedChange> PrepareChange(Catalog* catalog, const FeedChange& change,
                                             Stemmers* stemmers, CommonWords* common);

// Indexes (or drops) a prepared change in `db`, its spelling words in
// `spelling` (flushed to `db` before its commit). Returns what it did, or
// nothing when the change was stale or there was nothing to drop.
// `old_facets` receives the facet terms the old document held. Throws
// Xapian::Error from the database.
std::optional<AppliedChange> ApplyPrepared(Xapian::WritableDatabase* db, SpellingBatch* spelling,
                                           const PreparedChange& change,
                                           std::vector<std::string>* old_facets);

// Both steps for one change, on the caller's thread.
absl::StatusOr<std::optional<AppliedChange>> ApplyChange(Catalog* catalog,
                                                         Xapian::WritableDatabase* db,
                                                         SpellingBatch* spelling,
                                                         const FeedChange& change,
                                                         Stemmers* stemmers, CommonWords* common);

// One index directory and what searches need of it.
struct SearchView::Generation {
  std::string name;
  std::filesystem::path path;
  DocStats stats;
  absl::Mutex pool_mu;
  std::vector<std::unique_ptr<Xapian::Database>> pool ABSL_GUARDED_BY(pool_mu);
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_SEARCH_VIEW_INTERNAL_H_
