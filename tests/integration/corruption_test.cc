// A damaged store: a flipped byte in one of a node's store files is found by
// the checksum pass that runs after each start, shown by `minga status` and
// the log, and the node rebuilds what it held from its partner by the
// procedure docs/reliability.md gives ("A damaged store").
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"
#include "tests/util/file_helpers.h"
#include "tests/util/paths.h"

namespace minga::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Flips bytes of the largest regular file under `dir` whose name ends with
// `suffix`: one in the middle, or with `every` > 0 one in each `every`
// bytes of its middle half.
bool DamageLargestFile(const std::string& dir, const std::string& suffix, uintmax_t every = 0) {
  fs::path largest;
  uintmax_t size = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && absl::EndsWith(e.path().string(), suffix) && e.file_size() > size) {
      largest = e.path();
      size = e.file_size();
    }
  }
  if (size < 2) return false;
  std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
  const uintmax_t first = every == 0 ? size / 2 : size / 4;
  const uintmax_t last = every == 0 ? size / 2 : size * 3 / 4;
  for (uintmax_t at = first; at <= last; at += std::max<uintmax_t>(every, 1)) {
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    f.seekp(at);
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  return f.good();
}

TEST(CorruptionTest, ADamagedStoreIsReportedAndRebuiltFromAPartner) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"ana", "bea"});
  fed.LinkBoth(0, 1);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  RunResult imported = fed.node(0).Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(120), 60));
  const std::string digest = JsonField(fed.StatusJson(1), "digest");

  // A byte flipped on disk while the node is stopped (a clean stop writes
  // everything into table files).
  ASSERT_EQ(fed.node(0).Stop(), 0);
  const std::string store = fed.node(0).data_dir() + "/store";
  ASSERT_TRUE(DamageLargestFile(store, ".sst", 512));
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();

  // Found by the pass after the start: status and log say so.
  std::string status;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  do {
    status = fed.StatusJson(0);
    if (!JsonField(status, "store_error").empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_THAT(JsonField(status, "store_error"), HasSubstr("Corruption")) << status;
  EXPECT_THAT(fed.node(0).log(), HasSubstr("the store is damaged"));
  RunResult shown = fed.node(0).Client({"status"});
  EXPECT_THAT(shown.out, HasSubstr("DAMAGED"));

  // The procedure: stop, set the store and the index aside (the signing key
  // stays), start; the node pulls everything back from its partner, its own
  // materials included.
  ASSERT_EQ(fed.node(0).Stop(), 0);
  fs::rename(store, store + ".damaged");
  fs::remove_all(fed.node(0).data_dir() + "/search");
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(120), 60)) << fed.StatusJson(0);
  status = fed.StatusJson(0);
  EXPECT_EQ(JsonField(status, "digest"), digest);
  EXPECT_EQ(JsonField(status, "store_error"), "");
  EXPECT_THAT(status, HasSubstr("{\"origin\":\"ana\",\"materials\":\"60\"}"));

  // Its own changes go on above every version it had: the partner takes
  // the edit rather than ignoring it as older.
  const std::string id = "ana/esp-paquete-servicios-esenciales-2015";
  RunResult edited = fed.node(0).Client({"edit", id, "--title", "Paquete, tras la reparación"});
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  const absl::Time edit_deadline = absl::Now() + absl::Seconds(60);
  std::string at_bea;
  do {
    at_bea = fed.node(1).Client({"get", id}).out;
    if (at_bea.find("tras la reparación") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < edit_deadline);
  EXPECT_THAT(at_bea, HasSubstr("tras la reparación"));
}

// A node whose chunk bytes `damage` spoils (while it is stopped, and with
// the only other copy away) finds it when the chunk is read, logs
// `logged`, forgets the chunk and fetches it again from a partner; the
// file comes out byte for byte.
void ExpectAChunkFetchedAgainAfter(const std::function<bool(const std::string&)>& damage,
                                   const std::string& logged) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"ana", "bea"});
  fed.Link(1, 0);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  const std::string file = tmp.path() + "/video.mp4";
  WriteRandomFile(file, 3 * kMiB, 7);
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "v", "--title", "Video", "--kind", "training", "--sector",
                         "health"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(0).Client({"attach", "ana/v", file}, "", absl::Seconds(120)).exit_code, 0);
  ASSERT_TRUE(WaitComplete(fed.node(1), "ana/v", absl::Seconds(120))) << fed.node(1).log();

  ASSERT_EQ(fed.node(1).Stop(), 0);
  ASSERT_EQ(fed.node(0).Stop(), 0);
  ASSERT_TRUE(damage(fed.node(1).data_dir() + "/chunks"));
  ASSERT_TRUE(fed.node(1).Start()) << fed.node(1).log();
  const std::string copy = tmp.path() + "/copy.mp4";
  RunResult damaged = fed.node(1).Client({"fetch", "ana/v", "video.mp4", "-o", copy, "--local"});
  EXPECT_NE(damaged.exit_code, 0) << "a damaged chunk was served";
  EXPECT_THAT(fed.node(1).log(), HasSubstr(logged));
  EXPECT_THAT(fed.node(1).Client({"--json", "files", "ana/v"}).out,
              Not(HasSubstr("\"complete\":true")));

  // The partner is back: the chunk is fetched again and the file is whole.
  ASSERT_TRUE(fed.node(0).Start());
  ASSERT_TRUE(WaitComplete(fed.node(1), "ana/v", absl::Seconds(120))) << fed.node(1).log();
  RunResult fetched = fed.node(1).Client({"fetch", "ana/v", "video.mp4", "-o", copy, "--local"}, "",
                                         absl::Seconds(60));
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_TRUE(SameFile(file, copy));
}

TEST(CorruptionTest, ADamagedChunkFileIsFoundAndFetchedAgain) {
  ExpectAChunkFetchedAgainAfter(
      [](const std::string& chunks) { return DamageLargestFile(chunks, ""); },
      "is damaged on disk; it will be fetched again");
}

// The bytes of a pulled chunk are not synced before they are recorded, so
// a power cut can tear the end of a pack: the node cuts the pack there when
// it opens, and a chunk recorded but gone is fetched again.
TEST(CorruptionTest, AChunkLostFromATornPackIsFetchedAgain) {
  ExpectAChunkFetchedAgainAfter(
      [](const std::string& chunks) {
        for (const fs::directory_entry& e : fs::directory_iterator(fs::path(chunks) / "packs")) {
          if (fs::file_size(e.path()) > 1000) {
            fs::resize_file(e.path(), fs::file_size(e.path()) - 1000);
            return true;
          }
        }
        return false;
      },
      "is missing on disk; it will be fetched again");
}

// A damaged search index never keeps the node from starting: it is found
// when opened and rebuilt from the store; `minga reindex`, the procedure for
// damage found later, rebuilds it too.
TEST(CorruptionTest, ADamagedSearchIndexIsRebuiltByReindex) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"ana"});
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  ASSERT_EQ(fed.node(0).Client({"import", SampleMaterialsPath()}).exit_code, 0);
  auto total = [&] {
    RunResult found = fed.node(0).Client({"--json", "search", "violencia"});
    return found.exit_code == 0 ? JsonNumber(found.out, "total") : 0;
  };
  uint64_t before = 0;
  const absl::Time indexed = absl::Now() + absl::Seconds(60);
  while (absl::Now() < indexed && (before = total()) < 10) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_GE(before, 10u);
  ASSERT_EQ(fed.node(0).Stop(), 0);
  ASSERT_TRUE(DamageLargestFile(fed.node(0).data_dir() + "/search", "", 64));

  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();
  // Found when the node opens the index, which it then rebuilds by itself.
  EXPECT_THAT(fed.node(0).log(), HasSubstr("rebuilding it"));
  uint64_t rebuilt = 0;
  const absl::Time again = absl::Now() + absl::Seconds(60);
  while (absl::Now() < again && (rebuilt = total()) < before)
    absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(rebuilt, before);
  // Damage found later (a query meeting it) is cured by the procedure.
  RunResult reindex = fed.node(0).Client({"reindex"}, "", absl::Seconds(120));
  ASSERT_EQ(reindex.exit_code, 0) << reindex.err << fed.node(0).log();
  EXPECT_EQ(total(), before);
}

}  // namespace
}  // namespace minga::testing
