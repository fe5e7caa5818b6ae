#include "node/core/chunker.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"

namespace minga {
namespace {

// FastCDC's gear table: 256 pseudo-random words, here the first outputs of
// SplitMix64 seeded with "minga-cdc". Fixed for good (see chunker.h).
constexpr std::array<uint64_t, 256> MakeGear() {
  std::array<uint64_t, 256> gear{};
  uint64_t state = 0x6d696e67612d6364;  // "minga-cd"
  for (uint64_t& g : gear) {
    state += 0x9e3779b97f4a7c15;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    g = z ^ (z >> 31);
  }
  return gear;
}
constexpr std::array<uint64_t, 256> kGear = MakeGear();

// The top bits of the hash depend on the last 64 bytes. One mask from the
// minimum on (no normalized chunking): a cut depends only on the bytes
// before it, not on how far the last cut is, so after an edit the cuts
// fall back into step at the first old one past the minimum.
constexpr uint64_t kCutMask = ~uint64_t{0} << (64 - kCdcCutBits);

static_assert(kCdcMinChunk < kChunkSize);

}  // namespace

bool FixedChunksNeeded(uint64_t size, uint64_t other_chunks) {
  return other_chunks + size / kCdcMinChunk + 1 > kMaxChunksPerMaterial;
}

absl::Status Chunker::EmitChunk(size_t length) {
  const absl::string_view chunk = pending().substr(0, length);
  const Sha256Digest digest = Sha256(chunk);
  info_.add_chunk_sha256(DigestToBytes(digest));
  if (layout_ == Layout::kContentDefined) info_.add_chunk_size(static_cast<uint32_t>(length));
  RETURN_IF_ERROR(emit_(digest, chunk));
  begin_ += length;
  if (begin_ == buffer_.size()) {
    buffer_.clear();
    begin_ = 0;
  }
  scanned_ = 0;
  gear_ = 0;
  return absl::OkStatus();
}

size_t Chunker::FindCut() {
  // The bytes before the minimum are never looked at (FastCDC's cut-point
  // skipping); the scan goes on where the last one stopped.
  const absl::string_view chunk = pending();
  const size_t end = chunk.size();
  if (layout_ == Layout::kFixed) return end == kChunkSize ? end : 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(chunk.data());
  size_t i = std::max<size_t>(scanned_, kCdcMinChunk);
  uint64_t gear = gear_;
  for (; i < end; ++i) {
    gear = (gear << 1) + kGear[bytes[i]];
    if ((gear & kCutMask) == 0) return i + 1;
  }
  scanned_ = std::max(scanned_, end);
  gear_ = gear;
  return end == kChunkSize ? end : 0;
}

absl::Status Chunker::Add(absl::string_view data) {
  if (size_ + data.size() > kMaxFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("file: larger than the ", kMaxFileSize >> 30, " GiB a file may have"));
  }
  size_ += data.size();
  file_hash_.Update(data);
  // Room for a whole chunk behind the pending bytes.
  if (buffer_.capacity() < 2 * kChunkSize) buffer_.reserve(2 * kChunkSize);
  while (true) {
    const size_t take = std::min<size_t>(data.size(), kChunkSize - pending().size());
    if (buffer_.size() + take > buffer_.capacity()) {
      buffer_.erase(0, begin_);
      begin_ = 0;
    }
    buffer_.append(data.data(), take);
    data.remove_prefix(take);
    // What follows a cut starts the next chunk, and may hold its cut too.
    const size_t cut = FindCut();
    if (cut != 0) {
      RETURN_IF_ERROR(EmitChunk(cut));
    } else if (data.empty()) {
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<v1::FileInfo> Chunker::Finish() {
  if (!pending().empty()) RETURN_IF_ERROR(EmitChunk(pending().size()));
  info_.set_size(size_);
  info_.set_sha256(DigestToBytes(file_hash_.Finish()));
  return info_;
}

v1::FileInfo ChunkBytes(absl::string_view data) {
  Chunker chunker([](const Sha256Digest&, absl::string_view) { return absl::OkStatus(); });
  chunker.Add(data).IgnoreError();  // in-memory data: only the size can fail
  return *chunker.Finish();
}

std::vector<ChunkSpan> ChunkSpans(const v1::FileInfo& file) {
  std::vector<ChunkSpan> spans;
  spans.reserve(file.chunk_sha256_size());
  uint64_t offset = 0;
  for (int i = 0; i < file.chunk_sha256_size(); ++i) {
    uint64_t length;
    if (file.chunk_size_size() > 0) {
      if (i >= file.chunk_size_size()) break;
      length = file.chunk_size(i);
    } else {
      length = std::min<uint64_t>(kChunkSize, file.size() > offset ? file.size() - offset : 0);
    }
    spans.push_back({offset, length});
    offset += length;
  }
  return spans;
}

}  // namespace minga
