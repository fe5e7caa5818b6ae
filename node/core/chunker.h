// Splitting a file into 1 MiB content-addressed chunks while it streams in,
// hashing each chunk and the whole file. Memory: one chunk.
//
// Thread safety: one thread at a time.
#ifndef MINGA_NODE_CORE_CHUNKER_H_
#define MINGA_NODE_CORE_CHUNKER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "node/core/crypto.h"

namespace minga {

class Chunker {
 public:
  // Receives each complete chunk with its SHA-256; an error stops the file.
  using Emit = std::function<absl::Status(const Sha256Digest&, absl::string_view)>;

  explicit Chunker(Emit emit) : emit_(std::move(emit)) {}

  // Adds bytes. INVALID_ARGUMENT once the file passes kMaxFileSize; any
  // error of `emit` is returned.
  absl::Status Add(absl::string_view data);
  // Emits the last, shorter chunk and returns size, file hash and chunk
  // hashes (name and media type left for the caller).
  absl::StatusOr<v1::FileInfo> Finish();

  uint64_t size() const { return size_; }

 private:
  absl::Status EmitChunk();

  Emit emit_;
  std::string chunk_;
  uint64_t size_ = 0;
  Sha256Hasher file_hash_;
  v1::FileInfo info_;
};

// The chunk hashes and file hash of bytes held in memory (tests, tools).
v1::FileInfo ChunkBytes(absl::string_view data);

}  // namespace minga

#endif  // MINGA_NODE_CORE_CHUNKER_H_
