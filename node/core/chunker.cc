#include "node/core/chunker.h"

#include "absl/strings/str_cat.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"

namespace minga {

absl::Status Chunker::EmitChunk() {
  const Sha256Digest digest = Sha256(chunk_);
  info_.add_chunk_sha256(DigestToBytes(digest));
  RETURN_IF_ERROR(emit_(digest, chunk_));
  chunk_.clear();
  return absl::OkStatus();
}

absl::Status Chunker::Add(absl::string_view data) {
  if (size_ + data.size() > kMaxFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("file: larger than the ", kMaxFileSize >> 30, " GiB a file may have"));
  }
  size_ += data.size();
  file_hash_.Update(data);
  while (!data.empty()) {
    const size_t take = std::min<size_t>(data.size(), kChunkSize - chunk_.size());
    chunk_.append(data.data(), take);
    data.remove_prefix(take);
    if (chunk_.size() == kChunkSize) RETURN_IF_ERROR(EmitChunk());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::FileInfo> Chunker::Finish() {
  if (!chunk_.empty()) RETURN_IF_ERROR(EmitChunk());
  info_.set_size(size_);
  info_.set_sha256(DigestToBytes(file_hash_.Finish()));
  return info_;
}

v1::FileInfo ChunkBytes(absl::string_view data) {
  Chunker chunker([](const Sha256Digest&, absl::string_view) { return absl::OkStatus(); });
  chunker.Add(data).IgnoreError();  // in-memory data: only the size can fail
  return *chunker.Finish();
}

}  // namespace minga
