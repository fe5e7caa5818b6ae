// A node whose disk fills up: its node directory is a small tmpfs the test
// mounts (root only; skipped otherwise). Writes are refused with a clear
// error, reads go on, nothing acknowledged is lost, and once space returns
// the node takes writes again by itself, without a restart.
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/node_harness.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A tmpfs of `mib` MiB at `dir`, unmounted when destroyed.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, int mib) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ =
        ::mount("tmpfs", dir.c_str(), "tmpfs", 0, absl::StrCat("size=", mib, "m").c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool Resize(int mib) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT,
                   absl::StrCat("size=", mib, "m").c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// `n` materials from `first` on as JSON Lines, each near the largest summary
// of text that does not compress away. The words are long (the index cuts
// them), so the store fills fast while the index has few terms to keep.
std::string Materials(int first, int n) {
  std::string out;
  uint64_t x = 88172645463325252ull + static_cast<uint64_t>(first);
  for (int i = first; i < first + n; ++i) {
    absl::StrAppend(&out, "{\"id\":\"m", i, "\",\"title\":\"Material ", i,
                    "\",\"kind\":\"guide\",\"sectors\":[\"health\"],\"summary\":\"");
    for (int w = 0; w < 38; ++w) {
      for (int c = 0; c < 200; ++c) {
        x ^= x << 13;  // xorshift64: cheap bytes no compressor can shrink much
        x ^= x >> 7;
        x ^= x << 17;
        out.push_back("abcdefghijklmnopqrstuvwxyz0123456789"[x % 36]);
      }
      out.push_back(' ');
    }
    absl::StrAppend(&out, "\"}\n");
  }
  return out;
}

// The node keeps a reserve of free space (store.disk_reserve_mb) and refuses
// writes itself below it, so RocksDB never meets a full disk: Debian's
// RocksDB 7.8 can abort when its write-ahead log meets ENOSPC (an assertion
// in WritableFileWriter::AssertFalseAndGetStatusForPrevError; upstream
// rocksdb#12448). The log must show no write that met the disk.
TEST(DiskTest, AFullDiskRefusesWritesKeepsReadsLosesNothingAndRecoversAlone) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  TempDir tmp;
  constexpr int kDiskMiB = 192;
  constexpr int kReserveMiB = 48;
  SmallDisk disk(tmp.path() + "/casa-ana", kDiskMiB);
  if (!disk.mounted()) GTEST_SKIP() << "this machine does not allow mounting a tmpfs";
  NodeHarness node(tmp.path(), "casa-ana");
  node.WriteConfig(absl::StrCat("listen: \"127.0.0.1:", FreePort(),
                                "\"\nallow_plaintext_loopback: true\n",
                                "store { disk_reserve_mb: ", kReserveMiB, " }\n"));
  ASSERT_TRUE(node.Start()) << node.log();

  const absl::Time t0 = absl::Now();
  // Import until the disk refuses, in ever smaller steps: a write is refused
  // only when it would cut into the reserve, so after a large import is
  // refused a smaller write may still fit. The last step is the size of the
  // puts checked below. The import files live off the small disk.
  std::set<std::string> acknowledged;
  int next = 0;
  auto import_until_refused = [&](int per_file) {
    for (int tries = 0; tries < 2 * kDiskMiB * 128 / per_file; ++tries) {
      const std::string file = absl::StrCat(tmp.path(), "/import-", next, ".jsonl");
      WriteFile(file, Materials(next, per_file));
      RunResult imported = node.Client({"import", file});
      if (imported.exit_code != 0) return imported;
      for (int i = next; i < next + per_file; ++i)
        acknowledged.insert(absl::StrCat("casa-ana/m", i));
      next += per_file;
    }
    RunResult never;  // reads as "never refused" in the checks below
    never.exit_code = 0;
    return never;
  };
  auto put_small = [&](const std::string& id) {
    RunResult put = node.Client({"put", "--id", id, "--title", "While the disk is full", "--kind",
                                 "guide", "--sector", "health"});
    if (put.exit_code == 0) acknowledged.insert("casa-ana/" + id);
    return put;
  };
  int next_small = 0;
  auto fill = [&]() {
    RunResult refused = import_until_refused(500);  // about 4 MB a file
    if (refused.exit_code == 0) return refused;
    for (int per_file : {25, 1}) {
      if (RunResult again = import_until_refused(per_file); again.exit_code == 0) return again;
    }
    for (int tries = 0; tries < 1000; ++tries) {
      if (put_small(absl::StrCat("filler-", next_small++)).exit_code != 0) break;
    }
    return refused;
  };
  RunResult refused = fill();
  ASSERT_NE(refused.exit_code, 0) << "the disk never filled";
  ASSERT_GT(acknowledged.size(), 0u);
  EXPECT_THAT(refused.err + refused.out, HasSubstr("disk of the data directory is full"))
      << refused.out << refused.err;
  EXPECT_THAT(refused.err + refused.out, HasSubstr("MiB the node keeps free"))
      << "refused by the disk, not by the reserve: " << refused.err;
  ASSERT_TRUE(node.running()) << node.log();
  // Any write is refused the same way while it is full. Flushes and
  // compactions may free some room after a refusal (on a busy machine, for
  // a while); then the put is taken (and must be kept), and the disk is
  // filled again. The deadline is for a hang, not for speed.
  RunResult put;
  const absl::Time refill_deadline = absl::Now() + absl::Seconds(300);
  for (int round = 0; absl::Now() < refill_deadline; ++round) {
    put = put_small(absl::StrCat("during-", round));
    if (put.exit_code != 0) break;
    ASSERT_NE(fill().exit_code, 0) << "the disk never filled again";
  }
  EXPECT_EQ(put.exit_code, 1);  // "the node failed" (README's exit codes)
  EXPECT_THAT(put.err, HasSubstr("disk of the data directory is full")) << put.err;

  // Reads go on while it is full.
  RunResult got = node.Client({"get", *acknowledged.begin()});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  RunResult status = node.Client({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  RunResult listed = node.Client({"--json", "ls", "--all", "--page-size", "1000"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;

  const absl::Time t_full = absl::Now();
  // Space returns: writes are taken again, without a restart.
  ASSERT_TRUE(disk.Resize(512));
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  do {
    put = node.Client({"put", "--id", "after", "--title", "After the disk was freed", "--kind",
                       "guide", "--sector", "health"});
    if (put.exit_code == 0) break;
    absl::SleepFor(absl::Milliseconds(250));
  } while (absl::Now() < deadline);
  ASSERT_EQ(put.exit_code, 0) << put.err << node.log();
  acknowledged.insert("casa-ana/after");
  const absl::Time t_writes = absl::Now();
  // The search index, which the full disk stopped too, catches up.
  const absl::Time indexed = absl::Now() + absl::Seconds(300);
  std::string status_json;
  do {
    status_json = node.Client({"--json", "status"}).out;
    if (status_json.find("\"index_lag\"") == std::string::npos &&
        status_json.find("\"index_error\"") == std::string::npos) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(250));
  } while (absl::Now() < indexed);
  EXPECT_EQ(status_json.find("\"index_lag\""), std::string::npos) << status_json;
  printf(
      "full after %.1f s (%zu materials); writes back %.1f s after space "
      "returned; "
      "index caught up %.1f s later\n",
      absl::ToDoubleSeconds(t_full - t0), acknowledged.size(),
      absl::ToDoubleSeconds(t_writes - t_full), absl::ToDoubleSeconds(absl::Now() - t_writes));
  RunResult found = node.Client({"search", "After", "freed"});
  EXPECT_THAT(found.out, HasSubstr("casa-ana/after")) << found.err;

  // Nothing acknowledged was lost, before or after a restart.
  for (int round = 0; round < 2; ++round) {
    RunResult exported = node.Client({"export", "--format", "jsonl"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    std::set<std::string> held;
    for (absl::string_view line : absl::StrSplit(exported.out, '\n', absl::SkipEmpty())) {
      const size_t at = line.find("\"id\":\"");
      if (at == absl::string_view::npos) continue;
      const size_t from = at + 6;
      std::string id(line.substr(from, line.find('"', from) - from));
      if (id.find('/') == std::string::npos) id = "casa-ana/" + id;
      held.insert(id);
    }
    for (const std::string& id : acknowledged) {
      ASSERT_TRUE(held.count(id)) << "round " << round << ": " << id << " lost";
    }
    if (round == 0) {
      EXPECT_EQ(node.Stop(), 0) << node.log();
      ASSERT_TRUE(node.Start()) << node.log();
    }
  }
  EXPECT_EQ(node.Stop(), 0) << node.log();
  // No write of the store or the index met the full disk itself.
  EXPECT_THAT(node.log(), Not(HasSubstr("No space left"))) << node.log();
  EXPECT_THAT(node.log(), Not(HasSubstr("IO error: No space"))) << node.log();
}

}  // namespace
}  // namespace minga::testing
