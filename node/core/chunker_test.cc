#include "node/core/chunker.h"

#include <random>
#include <set>

#include "gtest/gtest.h"
#include "node/core/limits.h"
#include "node/core/validate.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

std::string Random(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Splits `data` fed in pieces of `piece` bytes; returns the FileInfo and
// the chunks as emitted.
v1::FileInfo Split(const std::string& data, size_t piece, std::vector<std::string>* chunks) {
  Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
    EXPECT_EQ(d, Sha256(c));
    chunks->emplace_back(c);
    return absl::OkStatus();
  });
  for (size_t pos = 0; pos < data.size(); pos += piece) {
    EXPECT_OK(chunker.Add(absl::string_view(data).substr(pos, piece)));
  }
  absl::StatusOr<v1::FileInfo> info = chunker.Finish();
  EXPECT_OK(info.status());
  return *info;
}

TEST(ChunkerTest, SplitsIntoContentDefinedChunksWithTheirHashesAndSizes) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{kCdcMinChunk}, size_t{kChunkSize},
                      size_t{kChunkSize + 1}, size_t{20 * kChunkSize + 12345}}) {
    const std::string data = Random(size, 7);
    std::vector<std::string> chunks;
    const v1::FileInfo info = Split(data, 70001, &chunks);
    EXPECT_EQ(info.size(), size);
    EXPECT_EQ(info.sha256(), DigestToBytes(Sha256(data)));
    ASSERT_EQ(static_cast<size_t>(info.chunk_sha256_size()), chunks.size());
    ASSERT_EQ(info.chunk_size_size(), info.chunk_sha256_size());
    std::string joined;
    const std::vector<ChunkSpan> spans = ChunkSpans(info);
    ASSERT_EQ(spans.size(), chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_EQ(info.chunk_sha256(static_cast<int>(i)), DigestToBytes(Sha256(chunks[i])));
      EXPECT_EQ(info.chunk_size(static_cast<int>(i)), chunks[i].size());
      EXPECT_LE(chunks[i].size(), kChunkSize);
      if (i + 1 < chunks.size()) EXPECT_GE(chunks[i].size(), kCdcMinChunk);
      EXPECT_EQ(spans[i].offset, joined.size());
      EXPECT_EQ(spans[i].length, chunks[i].size());
      joined += chunks[i];
    }
    EXPECT_EQ(joined, data);
    EXPECT_EQ(chunks.empty(), size == 0);
    // However the bytes arrive, the split is the same.
    std::vector<std::string> again;
    EXPECT_EQ(Split(data, 1 << 20, &again).SerializeAsString(), info.SerializeAsString());
    EXPECT_EQ(ChunkBytes(data).SerializeAsString(), info.SerializeAsString());
    v1::FileInfo named = info;
    named.set_name("v.mp4");
    EXPECT_OK(ValidateFileInfo(named, "file"));
  }
}

TEST(ChunkerTest, ChunksAverageTheMinimumPlusTheExpectedGap) {
  std::vector<std::string> chunks;
  const v1::FileInfo info = Split(Random(64 * kChunkSize, 3), 1 << 20, &chunks);
  const double mean = 64.0 * kChunkSize / chunks.size();
  const double expected = kCdcMinChunk + (1 << kCdcCutBits);
  EXPECT_GT(mean, 0.85 * expected);
  EXPECT_LT(mean, 1.15 * expected);
  size_t at_max = 0;
  for (const std::string& c : chunks) at_max += c.size() == kChunkSize ? 1 : 0;
  // Cut by content, not by length: few reach the bound.
  EXPECT_LT(at_max, chunks.size() / 10);
}

// What content-defined chunking is for: bytes inserted near the start of a
// large file, or a region overwritten inside it, change only the chunks
// around the edit; every other chunk is the same and need not travel.
TEST(ChunkerTest, AnEditChangesOnlyTheChunksAroundIt) {
  const std::string original = Random(30 * kChunkSize, 11);
  std::vector<std::string> before_chunks;
  const v1::FileInfo before = Split(original, 1 << 20, &before_chunks);
  const std::set<std::string> held(before.chunk_sha256().begin(), before.chunk_sha256().end());
  auto new_bytes = [&](const std::string& edited) {
    uint64_t bytes = 0;
    const v1::FileInfo after = ChunkBytes(edited);
    const std::vector<ChunkSpan> spans = ChunkSpans(after);
    for (size_t i = 0; i < spans.size(); ++i) {
      if (!held.count(after.chunk_sha256(static_cast<int>(i)))) bytes += spans[i].length;
    }
    return bytes;
  };
  std::string inserted = original;
  inserted.insert(1000, Random(4321, 12));
  EXPECT_LE(new_bytes(inserted), 2 * kChunkSize);
  std::string overwritten = original;
  overwritten.replace(17 * kChunkSize + 12345, kChunkSize, Random(kChunkSize, 13));
  EXPECT_LE(new_bytes(overwritten), 2 * kChunkSize);
}

// A file its material could not list as content-defined chunks goes in
// fixed 1 MiB chunks, as files did before.
TEST(ChunkerTest, FilesTooLargeForTheirMaterialGoInFixedChunks) {
  EXPECT_FALSE(FixedChunksNeeded(uint64_t{1} << 30, 0));
  EXPECT_TRUE(FixedChunksNeeded(uint64_t{3} << 30, 0));
  EXPECT_TRUE(FixedChunksNeeded(uint64_t{1} << 30, kMaxChunksPerMaterial - 100));
  const std::string data = Random(3 * kChunkSize + 5, 4);
  std::vector<std::string> chunks;
  Chunker chunker(
      [&](const Sha256Digest&, absl::string_view c) {
        chunks.emplace_back(c);
        return absl::OkStatus();
      },
      Chunker::Layout::kFixed);
  ASSERT_OK(chunker.Add(data));
  ASSERT_OK_AND_ASSIGN(v1::FileInfo info, chunker.Finish());
  EXPECT_EQ(info.chunk_size_size(), 0);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0], data.substr(0, kChunkSize));
  EXPECT_EQ(chunks[3], data.substr(3 * kChunkSize));
  info.set_name("v.mp4");
  EXPECT_OK(ValidateFileInfo(info, "file"));
}

// Files of materials made before content-defined chunking list no sizes:
// their chunks are 1 MiB, the last one shorter.
TEST(ChunkerTest, FilesWithoutSizesHaveFixedMebibyteChunks) {
  v1::FileInfo old;
  old.set_name("guia.pdf");
  old.set_size(2 * kChunkSize + 10);
  old.set_sha256(std::string(32, 'f'));
  for (int i = 0; i < 3; ++i) old.add_chunk_sha256(std::string(32, static_cast<char>('a' + i)));
  EXPECT_OK(ValidateFileInfo(old, "file"));
  const std::vector<ChunkSpan> spans = ChunkSpans(old);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].offset, kChunkSize);
  EXPECT_EQ(spans[1].length, kChunkSize);
  EXPECT_EQ(spans[2].offset, 2 * kChunkSize);
  EXPECT_EQ(spans[2].length, 10u);
  old.add_chunk_sha256(std::string(32, 'd'));
  EXPECT_THAT(ValidateFileInfo(old, "file"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("file.chunk_sha256")));
}

TEST(ChunkerTest, ChunkSizesMustDescribeTheFile) {
  const v1::FileInfo good = [] {
    v1::FileInfo f = ChunkBytes(Random(3 * kChunkSize, 5));
    f.set_name("v.mp4");
    return f;
  }();
  ASSERT_OK(ValidateFileInfo(good, "file"));
  v1::FileInfo fewer = good;
  fewer.mutable_chunk_size()->RemoveLast();
  EXPECT_THAT(ValidateFileInfo(fewer, "file"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("file.chunk_size: has")));
  v1::FileInfo too_long = good;
  too_long.set_chunk_size(0, kChunkSize + 1);
  EXPECT_THAT(ValidateFileInfo(too_long, "file"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("file.chunk_size[0]")));
  v1::FileInfo wrong_sum = good;
  wrong_sum.set_chunk_size(0, good.chunk_size(0) - 1);
  EXPECT_THAT(
      ValidateFileInfo(wrong_sum, "file"),
      testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("adds up to")));
}

TEST(ChunkerTest, EmitErrorsStopTheFile) {
  Chunker chunker(
      [](const Sha256Digest&, absl::string_view) { return absl::UnavailableError("disk full"); });
  EXPECT_THAT(chunker.Add(Random(kChunkSize, 1)),
              testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace minga
