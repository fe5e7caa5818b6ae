// The mass-delete interlock between real minga-node processes over mutual
// TLS, with its default thresholds: a partner that retracts 30% of its 500
// materials while this node is away. On its return the retractions apply
// (nothing retracted is served or searchable) but the bodies and the file
// stay, shown in status, peers, the log and /metrics, until `minga release`.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"
#include "tests/util/file_helpers.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kMaterials = 500;
constexpr int kRetracted = 150;

TEST(InterlockTest, AMassRetractionIsHeldUntilReleased) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"casa-ana", "red-mujeres"});
  fed.Link(1, 0);
  const int http_port = FreePort();
  fed.AddConfig(1, absl::StrCat("http { listen: \"127.0.0.1:", http_port, "\" }\n"));
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  std::string jsonl;
  for (int i = 0; i < kMaterials; ++i) {
    absl::StrAppend(&jsonl, "{\"id\":\"m", i, "\",\"title\":\"Protocolo palabra", i,
                    "\",\"kind\":\"protocol\",\"sectors\":[\"justice\"],\"countries\":[\"BO\"]}\n");
  }
  WriteFile(tmp.path() + "/materials.jsonl", jsonl);
  RunResult imported = fed.node(0).Client({"import", tmp.path() + "/materials.jsonl"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string file = tmp.path() + "/protocolo.pdf";
  WriteRandomFile(file, 3 * kMiB, 5);
  ASSERT_EQ(fed.node(0).Client({"attach", "casa-ana/m0", file}).exit_code, 0);
  ASSERT_TRUE(WaitComplete(fed.node(1), "casa-ana/m0", absl::Seconds(120))) << fed.node(1).log();
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(120)));
  const uint64_t chunks = ChunksStored(fed.node(1));
  ASSERT_GT(chunks, 0u);
  ASSERT_EQ(chunks, ChunksStored(fed.node(0)));

  // red-mujeres is away while casa-ana retracts 150 of its 500 materials.
  ASSERT_EQ(fed.node(1).Stop(), 0);
  std::vector<std::string> rm = {"rm"};
  for (int i = 0; i < kRetracted; ++i) rm.push_back(absl::StrCat("casa-ana/m", i));
  RunResult removed = fed.node(0).Client(rm);
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  ASSERT_TRUE(fed.node(1).Start());
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(120))) << fed.node(1).log();

  // Confinement wins: retracted, not searchable, not fetchable.
  NodeHarness& node = fed.node(1);
  EXPECT_THAT(node.Client({"get", "casa-ana/m0"}).out, HasSubstr("retracted"));
  EXPECT_THAT(node.Client({"search", "palabra0"}).out, Not(HasSubstr("casa-ana/m0")));
  EXPECT_THAT(node.Client({"search", "palabra400"}).out, HasSubstr("casa-ana/m400"));
  EXPECT_NE(node.Client({"fetch", "casa-ana/m0", "protocolo.pdf", "-o", tmp.path() + "/out.pdf",
                         "--local"})
                .exit_code,
            0);
  // But the bodies and the file are held, and say so everywhere.
  const std::string status = fed.StatusJson(1);
  EXPECT_EQ(JsonNumber(status, "held"), static_cast<uint64_t>(kRetracted)) << status;
  EXPECT_EQ(JsonNumber(status, "tripped_losses"), static_cast<uint64_t>(kRetracted));
  EXPECT_EQ(JsonNumber(status, "tripped_of"), static_cast<uint64_t>(kMaterials));
  EXPECT_EQ(ChunksStored(node), chunks);
  EXPECT_THAT(node.Client({"status"}).out, HasSubstr("minga release casa-ana"));
  EXPECT_EQ(JsonNumber(node.Client({"--json", "peers"}).out, "interlock_held"),
            static_cast<uint64_t>(kRetracted));
  EXPECT_THAT(node.log(), HasSubstr("interlock: origin casa-ana retracted or narrowed 150 of the "
                                    "500 materials held here"));
  httplib::Client http("127.0.0.1", http_port);
  httplib::Result page = http.Get("/metrics");
  ASSERT_TRUE(page) << "no answer from /metrics";
  EXPECT_THAT(page->body, HasSubstr("minga_interlock_held{origin=\"casa-ana\"} 150\n"));
  // gc does not take what the interlock holds.
  ASSERT_EQ(node.Client({"gc"}).exit_code, 0);
  EXPECT_EQ(ChunksStored(node), chunks);

  RunResult released = node.Client({"release", "casa-ana"});
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_THAT(released.out, HasSubstr("released casa-ana: 150 held bodies purged"));
  EXPECT_EQ(ChunksStored(node), 0u);
  EXPECT_THAT(fed.StatusJson(1), Not(HasSubstr("interlock")));
  RunResult again = node.Client({"release", "casa-ana"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("holds nothing of 'casa-ana'"));
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(60)));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(fed.node(i).Stop(), 0) << fed.node(i).log();
}

}  // namespace
}  // namespace minga::testing
