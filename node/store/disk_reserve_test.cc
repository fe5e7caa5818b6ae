// The free-space reserve, through the three writers it guards: the RocksDB
// store, the chunk store and (in tests/integration/disk_test.cc) the search
// index. A reserve larger than any disk stands for a full one.
#include "node/store/disk_reserve.h"

#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/store/chunk_store.h"
#include "node/store/rocks_kv.h"
#include "tests/util/process.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kMoreThanAnyDisk = std::numeric_limits<uint64_t>::max() / 4;

class DiskReserveTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(DiskReserveTest, RefusesOnlyBelowTheReserveAndSaysWhy) {
  ASSERT_TRUE(DiskReserve(dir_, 1).FreeBytes().has_value());
  EXPECT_THAT(DiskReserve(dir_, 0).Check(kMoreThanAnyDisk),
              IsOk());  // no reserve
  EXPECT_THAT(DiskReserve(dir_, 1).Check(0), IsOk());
  EXPECT_THAT(DiskReserve(dir_, kMoreThanAnyDisk).Check(0),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("the disk of the data directory is full")));
  // What is about to be written counts.
  EXPECT_THAT(DiskReserve(dir_, 1).Check(kMoreThanAnyDisk),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("store.disk_reserve_mb")));
  // A free space that cannot be read does not stop writes.
  EXPECT_THAT(DiskReserve(dir_ + "/absent", kMoreThanAnyDisk).Check(0), IsOk());
}

TEST_F(DiskReserveTest, KeepsFreeWhatTheStoreOwesToo) {
  DiskReserve reserve(dir_, 1);
  ASSERT_THAT(reserve.Check(0), IsOk());
  reserve.SetStoreOwes(kMoreThanAnyDisk);
  EXPECT_THAT(reserve.Check(0, "chunks: "),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("MiB its store's flushes and compactions will write")));
  reserve.SetStoreOwes(0);
  EXPECT_THAT(reserve.Check(0), IsOk());
}

// A write leaves its bytes in a memtable that a flush writes out again; the
// store tells the reserve, and the flush pays it off.
TEST_F(DiskReserveTest, TheStoreCountsWhatItsFlushesWillWrite) {
  DiskReserve reserve(dir_, 1);
  RocksKvOptions options;
  options.path = dir_ + "/store";
  options.reserve = &reserve;
  absl::StatusOr<std::unique_ptr<KvStore>> kv = OpenRocksKv(options);
  ASSERT_OK(kv.status());
  constexpr uint64_t kWritten = 4 << 20;
  const std::string value(64 << 10, 'v');
  for (uint64_t i = 0; i * value.size() < kWritten; ++i) {
    WriteBatch batch;
    batch.Put(Cf::kMaterials, absl::StrCat("m", i), value);
    ASSERT_OK((*kv)->Write(batch, WriteOptions{}));
  }
  // The check before the last write saw all but that one in the memtable.
  EXPECT_GE(reserve.store_owes(), kWritten - 2 * value.size());
  ASSERT_OK((*kv)->Flush());
  // The count falls when the flush's event arrives, just after Flush returns.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (reserve.store_owes() >= kWritten / 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_LT(reserve.store_owes(), kWritten / 2);
  kv->reset();
  EXPECT_EQ(reserve.store_owes(), 0u);  // a closed store owes nothing
}

TEST_F(DiskReserveTest, TheStoreRefusesWritesButKeepsReading) {
  DiskReserve roomy(dir_, 1);
  DiskReserve full(dir_, kMoreThanAnyDisk);
  RocksKvOptions options;
  options.path = dir_ + "/store";
  options.reserve = &roomy;
  {
    absl::StatusOr<std::unique_ptr<KvStore>> kv = OpenRocksKv(options);
    ASSERT_OK(kv.status());
    WriteBatch batch;
    batch.Put(Cf::kMeta, "k", "before");
    ASSERT_OK((*kv)->Write(batch, WriteOptions{.sync = true}));
  }
  options.reserve = &full;
  absl::StatusOr<std::unique_ptr<KvStore>> kv = OpenRocksKv(options);
  ASSERT_OK(kv.status());
  WriteBatch batch;
  batch.Put(Cf::kMeta, "k", "after");
  EXPECT_THAT((*kv)->Write(batch, WriteOptions{.sync = true}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("store: the disk of the data directory is full")));
  absl::StatusOr<std::optional<std::string>> got = (*kv)->Get(Cf::kMeta, "k");
  ASSERT_OK(got.status());
  EXPECT_EQ(got->value_or(""), "before");
  // Deleting is how a full node frees space: it passes.
  WriteBatch deletion;
  deletion.Delete(Cf::kMeta, "k");
  EXPECT_THAT((*kv)->Write(deletion, WriteOptions{.sync = true}), IsOk());
  got = (*kv)->Get(Cf::kMeta, "k");
  ASSERT_OK(got.status());
  EXPECT_FALSE(got->has_value());
}

TEST_F(DiskReserveTest, TheChunkStoreRefusesPutsButKeepsReadingAndDeleting) {
  DiskReserve full(dir_, kMoreThanAnyDisk);
  const std::string sha(32, 'a');
  {
    absl::StatusOr<std::unique_ptr<ChunkStore>> chunks = OpenFileChunkStore(dir_ + "/chunks");
    ASSERT_OK(chunks.status());
    ASSERT_OK((*chunks)->Put(sha, "bytes"));
  }
  absl::StatusOr<std::unique_ptr<ChunkStore>> chunks = OpenFileChunkStore(dir_ + "/chunks", &full);
  ASSERT_OK(chunks.status());
  EXPECT_THAT((*chunks)->Put(std::string(32, 'b'), "more"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("chunks: the disk of the data directory is full")));
  absl::StatusOr<std::optional<std::string>> got = (*chunks)->Get(sha);
  ASSERT_OK(got.status());
  EXPECT_EQ(got->value_or(""), "bytes");
  EXPECT_THAT((*chunks)->Delete(sha),
              IsOk());  // freeing space is always allowed
}

}  // namespace
}  // namespace minga
