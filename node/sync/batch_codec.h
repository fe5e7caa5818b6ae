// Compressed pull batches: the revisions of each batch of one Pull call go
// through one zstd stream, flushed at every batch. Later batches refer back
// to earlier ones (the window is 2 MiB at the default level), which is what
// makes small batches small: the field names, vocabulary and publishers of
// a catalog repeat from material to material, and a following pull's
// one-revision batches compress against everything sent before it.
//
// A batch so encoded carries its revisions as `zstd_revisions`: the zstd
// output for a PullBatch holding only its `revisions`. Decoding parses
// them back into `revisions`, so everything after the transport sees an
// ordinary batch.
//
// Thread safety: one encoder or decoder per stream, used by one thread at
// a time.
#ifndef MINGA_NODE_SYNC_BATCH_CODEC_H_
#define MINGA_NODE_SYNC_BATCH_CODEC_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/federation.pb.h"

namespace minga {

// The value of PullRequest.compression that asks for this encoding.
inline constexpr absl::string_view kCompressionZstd = "zstd";

class BatchEncoder {
 public:
  // level: zstd's, 1 (fastest) to 19.
  static absl::StatusOr<std::unique_ptr<BatchEncoder>> Create(int level);
  ~BatchEncoder();
  // Moves the batch's revisions into zstd_revisions. A batch without
  // revisions (a heartbeat) is left as it is.
  absl::Status Encode(v1::PullBatch* batch);

 private:
  BatchEncoder() = default;
  struct State;
  std::unique_ptr<State> state_;
};

class BatchDecoder {
 public:
  // `max_bytes`: the most a batch's revisions may take once decompressed;
  // a batch that would take more is refused (a peer cannot make this node
  // allocate without bound).
  static absl::StatusOr<std::unique_ptr<BatchDecoder>> Create(size_t max_bytes);
  ~BatchDecoder();
  // Restores the revisions of a batch that has zstd_revisions. DATA_LOSS
  // when they do not decompress or parse; RESOURCE_EXHAUSTED beyond
  // max_bytes. After an error the stream cannot continue.
  absl::Status Decode(v1::PullBatch* batch);

 private:
  BatchDecoder() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_BATCH_CODEC_H_
