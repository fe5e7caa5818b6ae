// Splitting a file into content-addressed chunks while it streams in,
// hashing each chunk and the whole file, and finding where each chunk of a
// signed file lies. Memory: two chunks (the pending bytes and room behind
// them).
//
// Chunk boundaries are content-defined (FastCDC: a gear hash over the
// bytes, cut where its top bits are zero, at least kCdcMinChunk and at most
// kChunkSize apart), so an edit moves only the boundaries next to it:
// inserting bytes near the start of a large file leaves every later chunk
// as it was, and a peer fetches only the chunks around the edit. The chunk
// sizes are listed in the file's signed FileInfo (chunk_size). A file that
// lists none is split into fixed 1 MiB chunks: files of materials made
// before content-defined chunking, which stay readable as such, and files
// too large for their material to list as content-defined chunks
// (FixedChunksNeeded).
//
// Thread safety: a Chunker is used by one thread at a time; the functions
// are pure.
#ifndef MINGA_NODE_CORE_CHUNKER_H_
#define MINGA_NODE_CORE_CHUNKER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "node/core/crypto.h"

namespace minga {

// Content-defined chunks are at least this long (but the last one), cut
// where the top kCdcCutBits bits of the hash are zero (about kCdcMinChunk
// plus 256 KiB on average), and at most kChunkSize (limits.h). These and
// the gear table (chunker.cc) are fixed: nodes that split the same bytes
// the same way share their chunks.
inline constexpr uint64_t kCdcMinChunk = 128 << 10;
inline constexpr int kCdcCutBits = 18;

// Whether a file of `size` bytes goes in fixed 1 MiB chunks because its
// material, which lists `other_chunks` chunks of other files, could not
// hold it as content-defined chunks (kMaxChunksPerMaterial, at most one
// per kCdcMinChunk bytes).
bool FixedChunksNeeded(uint64_t size, uint64_t other_chunks);

class Chunker {
 public:
  // Receives each complete chunk with its SHA-256; an error stops the file.
  using Emit = std::function<absl::Status(const Sha256Digest&, absl::string_view)>;
  enum class Layout { kContentDefined, kFixed };

  explicit Chunker(Emit emit, Layout layout = Layout::kContentDefined)
      : emit_(std::move(emit)), layout_(layout) {}

  // Adds bytes. INVALID_ARGUMENT once the file passes kMaxFileSize; any
  // error of `emit` is returned.
  absl::Status Add(absl::string_view data);
  // Emits the last chunk and returns size, file hash, chunk hashes and
  // chunk sizes (name and media type left for the caller).
  absl::StatusOr<v1::FileInfo> Finish();

  uint64_t size() const { return size_; }

 private:
  // Where the pending chunk ends (a length), or 0 when its end has not
  // arrived yet.
  size_t FindCut();
  absl::Status EmitChunk(size_t length);

  absl::string_view pending() const { return absl::string_view(buffer_).substr(begin_); }

  Emit emit_;
  const Layout layout_;
  // The bytes not yet emitted are buffer_[begin_, end): an emitted chunk
  // only moves begin_, and what follows it moves to the front only when
  // the next bytes would not fit (once per MiB or so, not once a chunk).
  std::string buffer_;
  size_t begin_ = 0;
  size_t scanned_ = 0;  // of the pending bytes, looked at for a cut
  uint64_t gear_ = 0;   // the rolling hash at pending()[scanned_ - 1]
  uint64_t size_ = 0;
  Sha256Hasher file_hash_;
  v1::FileInfo info_;
};

// The chunk hashes and file hash of bytes held in memory (tests, tools).
v1::FileInfo ChunkBytes(absl::string_view data);

// Where a chunk lies in its file.
struct ChunkSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// The span of every chunk of `file`, in order: from its chunk_size list,
// or the fixed 1 MiB layout when it lists none. `file` must be valid
// (ValidateFileInfo); a shorter list than its hashes yields fewer spans.
std::vector<ChunkSpan> ChunkSpans(const v1::FileInfo& file);

}  // namespace minga

#endif  // MINGA_NODE_CORE_CHUNKER_H_
