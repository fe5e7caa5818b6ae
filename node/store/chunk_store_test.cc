// The chunk store on disk: chunks packed into files, what a reopen finds,
// written bytes leaving the page cache, deletion that removes the bytes
// themselves, a crash's torn record, the checksum of each record, and the
// older layout of a file per chunk moved in.
#include "node/store/chunk_store.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/process.h"

namespace minga {
namespace {

namespace fs = std::filesystem;
using ::testing::UnorderedElementsAre;

// A hash-like key and recognisable bytes for chunk `n`.
std::string Sha(int n) { return std::string(31, 'k') + static_cast<char>(n); }
std::string Bytes(int n, size_t size) {
  std::string out;
  out.reserve(size);
  for (size_t i = 0; out.size() < size; ++i) out += absl::StrCat("chunk-", n, "-", i, ";");
  out.resize(size);
  return out;
}

// Every byte of every file under `dir`, concatenated.
std::string AllBytesUnder(const fs::path& dir) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) all += testing::ReadFileOrEmpty(e.path().string());
  }
  return all;
}
std::vector<fs::path> Packs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir / "packs")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}
std::set<std::string> Listed(ChunkStore& store) {
  std::set<std::string> out;
  EXPECT_TRUE(store.ForEach([&](const std::string& sha) { out.insert(sha); }).ok());
  return out;
}

class ChunkStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChunkStore> Open(uint64_t pack_bytes = kPackBytes) {
    absl::StatusOr<std::unique_ptr<ChunkStore>> store =
        OpenFileChunkStore(dir_.string(), nullptr, pack_bytes);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::optional<std::string> Get(ChunkStore& store, int n) {
    absl::StatusOr<std::optional<std::string>> got = store.Get(Sha(n));
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::nullopt;
  }

  testing::TempDir tmp_;
  fs::path dir_ = fs::path(tmp_.path()) / "chunks";
};

TEST_F(ChunkStoreTest, ChunksComeBackAfterAReopenFromFewFiles) {
  {
    auto store = Open();
    for (int n = 0; n < 50; ++n) ASSERT_TRUE(store->Put(Sha(n), Bytes(n, 20000 + n)).ok());
    ASSERT_TRUE(store->Sync().ok());
    EXPECT_EQ(Get(*store, 7), Bytes(7, 20007));
  }
  auto store = Open();
  for (int n = 0; n < 50; ++n) EXPECT_EQ(Get(*store, n), Bytes(n, 20000 + n)) << n;
  EXPECT_EQ(Get(*store, 99), std::nullopt);
  EXPECT_EQ(Listed(*store).size(), 50u);
  // Fifty chunks, one file: no inode per chunk.
  EXPECT_EQ(Packs(dir_).size(), 1u);
}

// How many of the pages of `path` in [offset, offset + length) are in the
// page cache.
size_t CachedPages(const fs::path& path, size_t offset, size_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  void* map = ::mmap(nullptr, offset + length, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((offset + length + page - 1) / page);
  size_t cached = 0;
  if (::mincore(map, offset + length, in.data()) == 0) {
    for (size_t i = offset / page; i < in.size(); ++i) cached += in[i] & 1;
  }
  ::munmap(map, offset + length);
  return cached;
}

TEST_F(ChunkStoreTest, WrittenBytesLeaveThePageCacheOnceOnDisk) {
  struct statfs fs_info;
  ASSERT_EQ(::statfs(tmp_.path().c_str(), &fs_info), 0);
  if (fs_info.f_type == TMPFS_MAGIC) GTEST_SKIP() << "tmpfs has no disk to drop pages for";
  auto store = Open();
  constexpr int kChunks = 24;  // of 1 MiB: three times what stays cached
  for (int n = 0; n < kChunks; ++n) ASSERT_TRUE(store->Put(Sha(n), Bytes(n, 1 << 20)).ok());
  const std::vector<fs::path> packs = Packs(dir_);
  ASSERT_EQ(packs.size(), 1u);
  // The first 8 MiB were written back and dropped; the last chunk was not.
  EXPECT_EQ(CachedPages(packs[0], 0, 8 << 20), 0u);
  EXPECT_GT(CachedPages(packs[0], (kChunks - 1) << 20, 1 << 20), 0u);
  // Dropped pages are read back from the disk.
  for (int n = 0; n < kChunks; ++n) EXPECT_EQ(Get(*store, n), Bytes(n, 1 << 20)) << n;
}

TEST_F(ChunkStoreTest, ADeletedChunksBytesLeaveTheFilesAtOnce) {
  auto store = Open();
  const std::string secret = Bytes(1, 64 << 10);
  ASSERT_TRUE(store->Put(Sha(1), secret).ok());
  ASSERT_TRUE(store->Put(Sha(2), Bytes(2, 64 << 10)).ok());
  ASSERT_TRUE(store->Sync().ok());
  ASSERT_NE(AllBytesUnder(dir_).find(secret), std::string::npos);

  ASSERT_TRUE(store->Delete(Sha(1)).ok());
  EXPECT_EQ(Get(*store, 1), std::nullopt);
  EXPECT_EQ(AllBytesUnder(dir_).find(secret.substr(0, 4096)), std::string::npos)
      << "a deleted chunk's bytes are still in the chunk files";
  EXPECT_EQ(Get(*store, 2), Bytes(2, 64 << 10));
  store.reset();
  store = Open();
  EXPECT_EQ(Get(*store, 1), std::nullopt) << "a deleted chunk came back after a reopen";
  EXPECT_THAT(Listed(*store), UnorderedElementsAre(Sha(2)));
  EXPECT_TRUE(store->Delete(Sha(1)).ok()) << "deleting what is absent is OK";
}

TEST_F(ChunkStoreTest, APackWithNothingLeftIsRemoved) {
  auto store = Open(/*pack_bytes=*/100 << 10);
  // Two chunks a pack: packs 1, 2 and 3 (being written).
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(store->Put(Sha(n), Bytes(n, 60 << 10)).ok());
  ASSERT_EQ(Packs(dir_).size(), 3u);
  ASSERT_TRUE(store->Delete(Sha(0)).ok());
  ASSERT_TRUE(store->Delete(Sha(1)).ok());
  EXPECT_EQ(Packs(dir_).size(), 2u) << "the emptied first pack stayed";
  ASSERT_TRUE(store->Delete(Sha(4)).ok());
  EXPECT_EQ(Packs(dir_).size(), 2u) << "the pack being written was removed";
  store.reset();
  store = Open(100 << 10);
  EXPECT_THAT(Listed(*store), UnorderedElementsAre(Sha(2), Sha(3)));
  EXPECT_EQ(Packs(dir_).size(), 1u) << "an empty pack outlived a reopen";
  EXPECT_EQ(Get(*store, 3), Bytes(3, 60 << 10));
}

TEST_F(ChunkStoreTest, AChunkPutAgainIsKeptOnce) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Put(Sha(1), "first").ok());
    ASSERT_TRUE(store->Put(Sha(1), "second").ok());
    EXPECT_EQ(Get(*store, 1), "second");
  }
  auto store = Open();
  EXPECT_EQ(Get(*store, 1), "second");
  EXPECT_EQ(Listed(*store).size(), 1u);
  ASSERT_TRUE(store->Delete(Sha(1)).ok());
  store.reset();
  store = Open();
  EXPECT_EQ(Get(*store, 1), std::nullopt) << "the older copy came back";
}

TEST_F(ChunkStoreTest, ARecordTornByACrashEndsItsPackAndTheRestStays) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Put(Sha(1), Bytes(1, 5000)).ok());
    ASSERT_TRUE(store->Put(Sha(2), Bytes(2, 5000)).ok());
    ASSERT_TRUE(store->Sync().ok());
  }
  // The last record loses its tail, as if the crash came mid-write.
  const fs::path pack = Packs(dir_).front();
  fs::resize_file(pack, fs::file_size(pack) - 100);
  {
    auto store = Open();
    EXPECT_EQ(Get(*store, 1), Bytes(1, 5000));
    EXPECT_EQ(Get(*store, 2), std::nullopt);
    EXPECT_THAT(Listed(*store), UnorderedElementsAre(Sha(1)));
    ASSERT_TRUE(store->Put(Sha(3), Bytes(3, 5000)).ok());
  }
  auto store = Open();
  EXPECT_THAT(Listed(*store), UnorderedElementsAre(Sha(1), Sha(3)));
  EXPECT_EQ(Get(*store, 3), Bytes(3, 5000));
}

// Bytes changed on disk come back unvouched for, so the reader hashes them
// and finds the damage; untouched ones are vouched for by the checksum,
// and a record written before checksums (flags zero) by nothing.
TEST_F(ChunkStoreTest, TheChecksumVouchesOnlyForBytesTheDiskKept) {
  {
    auto store = Open();
    for (int n = 1; n <= 3; ++n) ASSERT_TRUE(store->Put(Sha(n), Bytes(n, 5000)).ok());
    ASSERT_TRUE(store->Sync().ok());
  }
  const std::string pack = Packs(dir_).front().string();
  std::string bytes = testing::ReadFileOrEmpty(pack);
  const size_t record = 48 + 5000;
  bytes[record + 48 + 1234] ^= 0x20;                      // one bit of chunk 2
  for (int i = 4; i < 8; ++i) bytes[2 * record + i] = 0;  // chunk 3: flags of an older record
  testing::WriteFile(pack, bytes);
  auto store = Open();
  for (int n = 1; n <= 3; ++n) {
    absl::StatusOr<ChunkStore::Read> read = store->GetChecked(Sha(n));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_TRUE(read->data.has_value()) << n;
    EXPECT_EQ(read->intact, n == 1) << n;
    EXPECT_EQ(*read->data == Bytes(n, 5000), n != 2) << n;
  }
  absl::StatusOr<ChunkStore::Read> absent = store->GetChecked(Sha(9));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->data.has_value());
  EXPECT_FALSE(absent->intact);
}

// Several transfers at once, across many packs started and emptied.
TEST_F(ChunkStoreTest, ConcurrentPutsAndDeletesKeepEveryLiveChunk) {
  {
    auto store = Open(/*pack_bytes=*/64 << 10);
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < 40; ++i) {
          const int n = t * 40 + i;
          EXPECT_TRUE(store->Put(Sha(n), Bytes(n, 10000 + n)).ok());
          if (i % 2 == 1) EXPECT_TRUE(store->Delete(Sha(n - 1)).ok());
          EXPECT_EQ(Get(*store, n), Bytes(n, 10000 + n));
        }
      });
    }
    for (std::thread& w : writers) w.join();
    ASSERT_TRUE(store->Sync().ok());
  }
  auto store = Open(64 << 10);
  EXPECT_EQ(Listed(*store).size(), 80u);
  for (int n = 0; n < 160; ++n) {
    EXPECT_EQ(Get(*store, n), n % 2 == 1 ? std::optional(Bytes(n, 10000 + n)) : std::nullopt) << n;
  }
}

// Two fetchers may store the same chunk at once: the second copy's Put
// forgets the first (its bytes punched out) while a reader may hold the
// first's place. Every read must still find the chunk whole, however many
// times it moves during one read (reads are slow under sanitizers).
TEST_F(ChunkStoreTest, AChunkPutAgainWhileReadIsReadWhole) {
  auto store = Open(/*pack_bytes=*/4 << 20);
  const std::string data = Bytes(7, 512 << 10);
  ASSERT_TRUE(store->Put(Sha(7), data).ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) EXPECT_TRUE(store->Put(Sha(7), data).ok());
    done = true;
  });
  int reads = 0, bad = 0;
  while (!done) {
    absl::StatusOr<ChunkStore::Read> read = store->GetChecked(Sha(7));
    EXPECT_TRUE(read.ok()) << read.status();
    if (!read.ok()) break;
    ++reads;
    if (!read->data.has_value() || !read->intact || *read->data != data) ++bad;
  }
  writer.join();
  EXPECT_GT(reads, 10);  // it read while the chunk moved
  EXPECT_EQ(bad, 0) << "of " << reads << " reads";
}

TEST_F(ChunkStoreTest, ChunksOfTheOlderLayoutAreMovedIntoPacks) {
  const std::string hex = absl::BytesToHexString(Sha(5));
  fs::create_directories(dir_ / hex.substr(0, 2));
  fs::create_directories(dir_ / "tmp");
  testing::WriteFile((dir_ / hex.substr(0, 2) / hex).string(), Bytes(5, 3000));
  testing::WriteFile((dir_ / "tmp" / "cut-short.1").string(), "half");
  auto store = Open();
  EXPECT_EQ(Get(*store, 5), Bytes(5, 3000));
  EXPECT_FALSE(fs::exists(dir_ / hex.substr(0, 2))) << "the older file stayed";
  EXPECT_FALSE(fs::exists(dir_ / "tmp"));
  store.reset();
  store = Open();
  EXPECT_THAT(Listed(*store), UnorderedElementsAre(Sha(5)));
}

}  // namespace
}  // namespace minga
