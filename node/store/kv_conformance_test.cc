// One suite for every KvStore: the in-memory store the tests use, RocksDB on
// disk and on RocksDB's in-memory file system, and the fault-injecting
// wrapper; so what the catalog's tests prove over MemKv holds over the real
// store. Each store is made fresh for each test.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/store/fault_kv.h"
#include "node/store/kv.h"
#include "node/store/mem_kv.h"
#include "node/store/rocks_kv.h"
#include "tests/util/process.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::Pair;

// A store under test, and what it needs kept alive beside it.
struct Made {
  std::unique_ptr<KvStore> base;   // the store itself, or what FaultKv wraps
  std::unique_ptr<FaultKv> fault;  // set for the fault-injecting kind
  KvStore* store() { return fault != nullptr ? fault.get() : base.get(); }
};

struct Kind {
  std::string name;
  // Opens the store kept in `dir` (created if empty). Reopening the same
  // `dir` must find what was written (for the kinds that keep anything).
  std::function<absl::StatusOr<Made>(const std::string& dir)> open;
  bool durable;  // survives being closed and opened again
};

absl::StatusOr<Made> OpenRocks(const std::string& dir, bool in_memory) {
  RocksKvOptions options;
  options.path = dir + "/store";
  options.in_memory = in_memory;
  absl::StatusOr<std::unique_ptr<KvStore>> kv = OpenRocksKv(options);
  if (!kv.ok()) return kv.status();
  return Made{std::move(*kv), nullptr};
}

// gtest and ctest name each case by the store.
void PrintTo(const Kind& kind, std::ostream* os) { *os << kind.name; }

std::vector<Kind> Kinds() {
  return {
      {"MemKv",
       [](const std::string&) -> absl::StatusOr<Made> {
         return Made{std::make_unique<MemKv>(), nullptr};
       },
       false},
      {"RocksKvOnDisk", [](const std::string& dir) { return OpenRocks(dir, false); }, true},
      {"RocksKvInMemory", [](const std::string& dir) { return OpenRocks(dir, true); }, false},
      {"FaultKvOverMemKv",
       [](const std::string&) -> absl::StatusOr<Made> {
         Made made{std::make_unique<MemKv>(), nullptr};
         made.fault = std::make_unique<FaultKv>(made.base.get());
         return made;
       },
       false},
  };
}

class KvConformanceTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { made_ = Made{}; }
  void Open() {
    made_ = Made{};
    absl::StatusOr<Made> made = GetParam().open(dir_);
    ASSERT_OK(made.status());
    made_ = std::move(*made);
  }
  KvStore& kv() { return *made_.store(); }

  std::vector<std::pair<std::string, std::string>> All(Cf cf, const std::string& from = "") {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = kv().NewIterator(cf);
    for (it->Seek(from); it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
    EXPECT_OK(it->status());
    return out;
  }
  std::optional<std::string> Get(Cf cf, const std::string& key) {
    absl::StatusOr<std::optional<std::string>> got = kv().Get(cf, key);
    EXPECT_OK(got.status());
    return got.ok() ? *got : std::nullopt;
  }

  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  Made made_;
};

TEST_P(KvConformanceTest, KeysAreBinaryAndOrderedBytewise) {
  WriteBatch batch;
  const std::string zero("\0", 1), a_zero("a\0", 2);
  for (const std::string& k : {std::string("\xff\xff"), std::string("a\xff"), a_zero,
                               std::string("a"), zero, std::string("b")}) {
    batch.Put(Cf::kMeta, k, "v:" + k);
  }
  ASSERT_OK(kv().Write(batch, WriteOptions{}));
  std::vector<std::string> keys;
  for (const auto& [k, v] : All(Cf::kMeta)) keys.push_back(k);
  EXPECT_THAT(keys, ElementsAre(zero, "a", a_zero, "a\xff", "b", "\xff\xff"));
  EXPECT_EQ(Get(Cf::kMeta, a_zero), "v:" + a_zero);
  EXPECT_EQ(Get(Cf::kMeta, "a\xff\xff"), std::nullopt);
}

TEST_P(KvConformanceTest, SeekFindsTheFirstKeyAtOrAfter) {
  WriteBatch batch;
  for (const char* k : {"feed/1", "feed/3", "feed/5", "meta"}) batch.Put(Cf::kMeta, k, k);
  ASSERT_OK(kv().Write(batch, WriteOptions{}));
  EXPECT_THAT(
      All(Cf::kMeta, "feed/2"),
      ElementsAre(Pair("feed/3", "feed/3"), Pair("feed/5", "feed/5"), Pair("meta", "meta")));
  EXPECT_TRUE(All(Cf::kMeta, "z").empty());
}

TEST_P(KvConformanceTest, ABatchAppliesInOrderAndTheLastChangeOfAKeyWins) {
  WriteBatch first;
  first.Put(Cf::kMeta, "gone", "x");
  first.Put(Cf::kMeta, "kept", "old");
  ASSERT_OK(kv().Write(first, WriteOptions{.sync = true}));
  WriteBatch second;
  second.Delete(Cf::kMeta, "gone");
  second.Put(Cf::kMeta, "kept", "new");
  second.Put(Cf::kMeta, "again", "1");
  second.Delete(Cf::kMeta, "again");
  second.Put(Cf::kMeta, "again", "2");
  second.Delete(Cf::kMeta, "never-there");  // deleting what is absent is fine
  ASSERT_OK(kv().Write(second, WriteOptions{}));
  EXPECT_THAT(All(Cf::kMeta), ElementsAre(Pair("again", "2"), Pair("kept", "new")));
}

TEST_P(KvConformanceTest, FamiliesAreSeparate) {
  WriteBatch batch;
  for (int c = 0; c < kNumCfs; ++c)
    batch.Put(static_cast<Cf>(c), "same", std::string(CfName(static_cast<Cf>(c))));
  ASSERT_OK(kv().Write(batch, WriteOptions{}));
  for (int c = 0; c < kNumCfs; ++c) {
    const Cf cf = static_cast<Cf>(c);
    EXPECT_THAT(All(cf), ElementsAre(Pair("same", std::string(CfName(cf))))) << CfName(cf);
  }
}

TEST_P(KvConformanceTest, LargeValuesComeBackWhole) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 24);
  WriteBatch batch;
  batch.Put(Cf::kLegacyChunks, "chunk",
            big);  // the blob-file family of RocksKv
  batch.Put(Cf::kMaterials, "material", big.substr(0, 64 << 10));
  ASSERT_OK(kv().Write(batch, WriteOptions{.sync = true}));
  ASSERT_OK(kv().Flush());
  EXPECT_EQ(Get(Cf::kLegacyChunks, "chunk"), big);
  EXPECT_EQ(Get(Cf::kMaterials, "material"), big.substr(0, 64 << 10));
}

TEST_P(KvConformanceTest, CompactionKeepsWhatLivesAndDropsWhatWasDeleted) {
  WriteBatch batch;
  for (int i = 0; i < 1000; ++i)
    batch.Put(Cf::kFeed, absl::StrCat("k", 1000 + i), std::string(100, 'v'));
  ASSERT_OK(kv().Write(batch, WriteOptions{}));
  WriteBatch deletions;
  for (int i = 0; i < 1000; i += 2) deletions.Delete(Cf::kFeed, absl::StrCat("k", 1000 + i));
  ASSERT_OK(kv().Write(deletions, WriteOptions{}));
  ASSERT_OK(kv().Flush());
  ASSERT_OK(kv().CompactAll());
  ASSERT_OK(kv().CompactRange(Cf::kFeed, "k1000", "k1500"));
  EXPECT_EQ(All(Cf::kFeed).size(), 500u);
  EXPECT_EQ(Get(Cf::kFeed, "k1001"), std::string(100, 'v'));
  EXPECT_EQ(Get(Cf::kFeed, "k1000"), std::nullopt);
  EXPECT_THAT(kv().VerifyChecksums(), IsOk());
  EXPECT_EQ(kv().damage(), "");
}

TEST_P(KvConformanceTest, WhatWasWrittenIsThereAfterReopening) {
  if (!GetParam().durable) GTEST_SKIP() << GetParam().name << " keeps nothing once closed";
  WriteBatch batch;
  batch.Put(Cf::kPeers, "alpha", "checkpoint 7");
  batch.Put(Cf::kMaterials, "alpha/m", "entry");
  ASSERT_OK(kv().Write(batch, WriteOptions{.sync = true}));
  WriteBatch unflushed;  // in the log only when the store closes
  unflushed.Put(Cf::kAudit, "a", "b");
  ASSERT_OK(kv().Write(unflushed, WriteOptions{.sync = true}));
  Open();
  EXPECT_EQ(Get(Cf::kPeers, "alpha"), "checkpoint 7");
  EXPECT_EQ(Get(Cf::kMaterials, "alpha/m"), "entry");
  EXPECT_EQ(Get(Cf::kAudit, "a"), "b");
}

TEST_P(KvConformanceTest, AFailedWriteChangesNothing) {
  if (made_.fault == nullptr) GTEST_SKIP() << "only the fault-injecting store fails on purpose";
  WriteBatch before;
  before.Put(Cf::kMeta, "a", "1");
  ASSERT_OK(kv().Write(before, WriteOptions{}));
  made_.fault->FailWriteAfter(1);
  WriteBatch failing;
  failing.Put(Cf::kMeta, "a", "2");
  failing.Put(Cf::kMeta, "b", "2");
  EXPECT_FALSE(kv().Write(failing, WriteOptions{}).ok());
  EXPECT_THAT(All(Cf::kMeta), ElementsAre(Pair("a", "1")));
  ASSERT_OK(kv().Write(failing, WriteOptions{}));  // only the one write failed
  EXPECT_THAT(All(Cf::kMeta), ElementsAre(Pair("a", "2"), Pair("b", "2")));
}

INSTANTIATE_TEST_SUITE_P(EveryStore, KvConformanceTest, ::testing::ValuesIn(Kinds()),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace minga
