#include "node/core/chunker.h"

#include "gtest/gtest.h"
#include "node/core/limits.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xFF);
  return s;
}

TEST(ChunkerTest, SplitsIntoMebibyteChunksWithTheirHashes) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{kChunkSize - 1}, size_t{kChunkSize},
                      size_t{kChunkSize + 1}, size_t{3 * kChunkSize + 12345}}) {
    const std::string data = Bytes(size);
    std::vector<std::string> chunks;
    Chunker chunker([&](const Sha256Digest& d, absl::string_view c) {
      EXPECT_EQ(d, Sha256(c));
      chunks.emplace_back(c);
      return absl::OkStatus();
    });
    // Fed in uneven pieces: the split does not depend on how bytes arrive.
    for (size_t pos = 0; pos < data.size(); pos += 70001) {
      ASSERT_OK(chunker.Add(absl::string_view(data).substr(pos, 70001)));
    }
    ASSERT_OK_AND_ASSIGN(v1::FileInfo info, chunker.Finish());
    EXPECT_EQ(info.size(), size);
    EXPECT_EQ(info.sha256(), DigestToBytes(Sha256(data)));
    ASSERT_EQ(static_cast<size_t>(info.chunk_sha256_size()), (size + kChunkSize - 1) / kChunkSize);
    std::string joined;
    for (int i = 0; i < info.chunk_sha256_size(); ++i) {
      EXPECT_EQ(info.chunk_sha256(i), DigestToBytes(Sha256(chunks[i])));
      EXPECT_LE(chunks[i].size(), kChunkSize);
      joined += chunks[i];
    }
    EXPECT_EQ(joined, data);
    EXPECT_EQ(ChunkBytes(data).SerializeAsString(), info.SerializeAsString());
  }
}

TEST(ChunkerTest, EmitErrorsStopTheFile) {
  Chunker chunker(
      [](const Sha256Digest&, absl::string_view) { return absl::UnavailableError("disk full"); });
  EXPECT_THAT(chunker.Add(Bytes(kChunkSize)), testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace minga
