// A damaged store: a flipped byte in one of a node's store files is found by
// the checksum pass that runs after each start, shown by `minga status` and
// the log, and the node rebuilds what it held from its partner by the
// procedure docs/reliability.md gives ("A damaged store").
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"
#include "tests/util/paths.h"

namespace minga::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Flips bytes in the middle of the largest table file of `store`.
bool DamageLargestTable(const std::string& store) {
  fs::path largest;
  uintmax_t size = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(store)) {
    if (e.path().extension() == ".sst" && e.file_size() > size) {
      largest = e.path();
      size = e.file_size();
    }
  }
  if (size < 4096) return false;
  std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
  for (uintmax_t at = size / 4; at < size / 2; at += 512) {
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
  ASSERT_TRUE(DamageLargestTable(store));
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();

  // Found by the pass after the start: status and log say so.
  std::string status;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  do {
    status = fed.StatusJson(0);
    if (!JsonField(status, "store_error").empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_THAT(JsonField(status, "store_error"), HasSubstr("Corruption"))
      << status;
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
  RunResult edited = fed.node(0).Client(
      {"edit", id, "--title", "Paquete, tras la reparación"});
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

}  // namespace
}  // namespace minga::testing
