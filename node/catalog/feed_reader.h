// FeedReader: reads this node's feed, for pullers (ReadBatch: the next
// batch a partner may receive) and for derived views such as the search
// index (ReadFeed: positions and ids). It only reads: no lock, no write.
//
// Errors: DATA_LOSS for a damaged store record, otherwise the store's.
//
// Thread safety: all methods may be called concurrently.
#ifndef MINGA_NODE_CATALOG_FEED_READER_H_
#define MINGA_NODE_CATALOG_FEED_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "minga/v1/config.pb.h"
#include "minga/v1/federation.pb.h"
#include "node/catalog/writer.h"
#include "node/core/limits.h"

namespace minga {

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

// One position of the feed: a material's latest change.
struct FeedChange {
  uint64_t lseq = 0;
  std::string id;
  // Whether the entry holds its body (it may have none, or be gone);
  // unknown for feed records older than schema 4.
  std::optional<bool> has_body;
};

class FeedReader {
 public:
  // writer: borrowed, must outlive this.
  explicit FeedReader(CatalogWriter* writer) : w_(*writer), kv_(writer->kv()) {}
  FeedReader(const FeedReader&) = delete;
  FeedReader& operator=(const FeedReader&) = delete;

  // Up to `max` changes after `after_lseq`, in feed order, none past the
  // published head.
  absl::StatusOr<std::vector<FeedChange>> ReadFeed(uint64_t after_lseq, size_t max);

  // The next batch of this node's feed for a puller: headers always, bodies
  // only where the requester is in the audience and the subscription
  // matches, none past the published head. A checkpoint of another feed,
  // or beyond the head, starts from the beginning. Memory is bounded by the
  // query's limits.
  absl::StatusOr<v1::PullBatch> ReadBatch(const PullQuery& query);

 private:
  CatalogWriter& w_;
  KvStore* const kv_;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_FEED_READER_H_
