// Compressed pull batches: what goes in comes out, one stream per call, and
// hostile bytes are refused without unbounded memory.
#include "node/sync/batch_codec.h"

#include <zstd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minga {
namespace {

v1::PullBatch Batch(int first, int n) {
  v1::PullBatch b;
  b.set_feed_id("feed");
  for (int i = first; i < first + n; ++i) {
    v1::Revision* r = b.add_revisions();
    r->mutable_signed_()->set_header(absl::StrCat("cabecera ", i, " de la guía de atención"));
    r->set_body(absl::StrCat("Protocolo de atención a mujeres que viven violencia, número ", i,
                             ", para los servicios de salud, justicia y policía."));
  }
  b.set_revision_count(n);
  return b;
}

TEST(BatchCodecTest, BatchesOfOneStreamRoundTripAndLaterOnesCompressAgainstEarlierOnes) {
  auto encoder = BatchEncoder::Create(6);
  auto decoder = BatchDecoder::Create(1 << 20);
  ASSERT_TRUE(encoder.ok() && decoder.ok());
  size_t first_size = 0;
  for (int k = 0; k < 5; ++k) {
    const v1::PullBatch original = Batch(k * 50, 50);
    v1::PullBatch wire = original;
    ASSERT_TRUE((*encoder)->Encode(&wire).ok());
    EXPECT_EQ(wire.revisions_size(), 0);
    EXPECT_EQ(wire.revision_count(), 50u);
    ASSERT_FALSE(wire.zstd_revisions().empty());
    if (k == 0) first_size = wire.zstd_revisions().size();
    if (k > 0) {
      EXPECT_LT(wire.zstd_revisions().size(), first_size);
    }
    // Through the wire, as the transport sends it.
    v1::PullBatch received;
    ASSERT_TRUE(received.ParseFromString(wire.SerializeAsString()));
    ASSERT_TRUE((*decoder)->Decode(&received).ok());
    EXPECT_EQ(received.SerializeAsString(), original.SerializeAsString());
  }
}

TEST(BatchCodecTest, HeartbeatsAndPlainBatchesPassUntouched) {
  auto encoder = BatchEncoder::Create(3);
  auto decoder = BatchDecoder::Create(1 << 20);
  v1::PullBatch heartbeat;
  heartbeat.set_feed_id("feed");
  heartbeat.set_revision_count(0);
  v1::PullBatch sent = heartbeat;
  ASSERT_TRUE((*encoder)->Encode(&sent).ok());
  EXPECT_EQ(sent.SerializeAsString(), heartbeat.SerializeAsString());
  v1::PullBatch plain = Batch(0, 3);
  v1::PullBatch got = plain;
  ASSERT_TRUE((*decoder)->Decode(&got).ok());
  EXPECT_EQ(got.SerializeAsString(), plain.SerializeAsString());
}

TEST(BatchCodecTest, DamagedBytesAreRefusedAndTheStreamStaysBroken) {
  auto encoder = BatchEncoder::Create(3);
  auto decoder = BatchDecoder::Create(1 << 20);
  v1::PullBatch wire = Batch(0, 20);
  ASSERT_TRUE((*encoder)->Encode(&wire).ok());
  std::string damaged = wire.zstd_revisions();
  for (size_t i = 4; i < damaged.size(); i += 7) damaged[i] ^= 0x5a;
  wire.set_zstd_revisions(damaged);
  const absl::Status s = (*decoder)->Decode(&wire);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("zstd_revisions"));
  v1::PullBatch next = Batch(20, 1);
  ASSERT_TRUE((*encoder)->Encode(&next).ok());
  EXPECT_EQ((*decoder)->Decode(&next).code(), absl::StatusCode::kDataLoss);
}

TEST(BatchCodecTest, ABombIsRefusedAtTheLimit) {
  // 64 MiB of one byte compress to a few kilobytes.
  const std::string zeros(64 << 20, 'a');
  std::string packed(ZSTD_compressBound(zeros.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), zeros.data(), zeros.size(), 3));
  ASSERT_LT(packed.size(), 64u << 10);
  auto decoder = BatchDecoder::Create(4 << 20);
  v1::PullBatch wire;
  wire.set_zstd_revisions(packed);
  EXPECT_EQ((*decoder)->Decode(&wire).code(), absl::StatusCode::kResourceExhausted);
}

TEST(BatchCodecTest, RevisionsInBothFormsAreRefused) {
  auto encoder = BatchEncoder::Create(3);
  auto decoder = BatchDecoder::Create(1 << 20);
  v1::PullBatch wire = Batch(0, 2);
  ASSERT_TRUE((*encoder)->Encode(&wire).ok());
  *wire.add_revisions() = Batch(5, 1).revisions(0);
  EXPECT_EQ((*decoder)->Decode(&wire).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace minga
