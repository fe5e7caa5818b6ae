// Real minga-node processes over mutual TLS on loopback: relay along a line,
// a star and a ring; a members audience reaching exactly its members; a
// retraction reaching everyone; a node killed in the middle of a large pull
// resuming without loss or duplication; and impostors refused.
// One suite over one fixture: its length is its cases.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"
#include "tests/util/file_helpers.h"
#include "tests/util/paths.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kConverge = absl::Seconds(60);

std::string Get(NodeHarness& n, const std::string& id) { return n.Client({"get", id}).out; }

// Polls `id` at `n` until its output contains `want`.
bool WaitFor(NodeHarness& n, const std::string& id, const std::string& want,
             absl::Duration timeout = kConverge) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (Get(n, id).find(want) != std::string::npos) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST(FederationTest, LineRelaysBetweenEndsWithNoLink) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"ana", "bea", "cruz", "dora"});
  for (int i = 0; i + 1 < 4; ++i) fed.LinkBoth(i, i + 1);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(0).log();
  ASSERT_EQ(fed.node(0).Client({"import", SampleMaterialsPath()}).exit_code, 0);
  ASSERT_TRUE(fed.WaitConverged(kConverge, 60)) << fed.node(3).log();
  const std::string at_end = Get(fed.node(3), "ana/esp-paquete-servicios-esenciales-2015");
  EXPECT_THAT(at_end, HasSubstr("Essential Services Package"));
  EXPECT_THAT(at_end, HasSubstr("pulled from cruz"));
  // Search at the far end finds the origin's materials, until retracted.
  RunResult found = fed.node(3).Client({"search", "feminicídios", "--origin", "ana"});
  EXPECT_THAT(found.out, HasSubstr("ana/br-diretrizes-feminicidios-2016")) << found.err;
  ASSERT_EQ(fed.node(0).Client({"rm", "ana/br-diretrizes-feminicidios-2016"}).exit_code, 0);
  ASSERT_TRUE(WaitFor(fed.node(3), "ana/br-diretrizes-feminicidios-2016", "retracted"));
  EXPECT_THAT(fed.node(3).Client({"search", "feminicídios"}).out,
              Not(HasSubstr("br-diretrizes-feminicidios-2016")));
  // A change made at one end crosses three hops while following.
  ASSERT_EQ(fed.node(3)
                .Client({"put", "--id", "nueva", "--title", "Desde el otro extremo", "--kind",
                         "report", "--sector", "coordination"})
                .exit_code,
            0);
  EXPECT_TRUE(WaitFor(fed.node(0), "dora/nueva", "Desde el otro extremo", absl::Seconds(5)));
  // Peers report no lag once caught up.
  RunResult peers = fed.node(1).Client({"--json", "sync", "--wait"});
  EXPECT_EQ(peers.exit_code, 0) << peers.out << peers.err;
  EXPECT_THAT(peers.out, HasSubstr("\"caught_up\":true"));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(fed.node(i).Stop(), 0) << fed.node(i).log();
}

TEST(FederationTest, StarAndMembersAudience) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"hub", "leaf-a", "leaf-b", "leaf-c"});
  for (int i = 1; i < 4; ++i) fed.LinkBoth(0, i);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  // Shared with hub and leaf-b only: leaf-c gets the signed header, never
  // the body, not even through the hub.
  ASSERT_EQ(fed.node(1)
                .Client({"put", "--id", "confidencial", "--title", "Protocolo interno", "--kind",
                         "protocol", "--sector", "justice", "--audience", "members:hub,leaf-b"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(1)
                .Client({"put", "--id", "publico", "--title", "Guía pública", "--kind", "guide",
                         "--sector", "health"})
                .exit_code,
            0);
  ASSERT_TRUE(fed.WaitConverged(kConverge, 2));
  EXPECT_THAT(Get(fed.node(0), "leaf-a/confidencial"), HasSubstr("Protocolo interno"));
  EXPECT_THAT(Get(fed.node(2), "leaf-a/confidencial"), HasSubstr("Protocolo interno"));
  const std::string at_c = Get(fed.node(3), "leaf-a/confidencial");
  EXPECT_THAT(at_c, HasSubstr("header only"));
  EXPECT_THAT(at_c, Not(HasSubstr("Protocolo interno")));
  EXPECT_THAT(Get(fed.node(3), "leaf-a/publico"), HasSubstr("Guía pública"));

  // Narrowing the audience purges the body where it no longer belongs.
  ASSERT_EQ(fed.node(1).Client({"edit", "leaf-a/publico", "--audience", "members:hub"}).exit_code,
            0);
  EXPECT_TRUE(WaitFor(fed.node(3), "leaf-a/publico", "header only"));
  EXPECT_TRUE(WaitFor(fed.node(2), "leaf-a/publico", "header only"));
  EXPECT_THAT(Get(fed.node(0), "leaf-a/publico"), HasSubstr("Guía pública"));
}

// Narrowing a peer's subscription drops what it no longer selects, files
// included; widening it again brings them back.
TEST(FederationTest, ANarrowedSubscriptionDropsBodiesAndFilesAndAWiderOneBringsThemBack) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"casa-ana", "red-mujeres"});
  fed.Link(1, 0);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "salud", "--title", "Guía de salud", "--kind", "guide",
                         "--sector", "health"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "justicia", "--title", "Protocolo judicial", "--kind",
                         "protocol", "--sector", "justice"})
                .exit_code,
            0);
  const std::string file = tmp.path() + "/protocolo.pdf";
  WriteRandomFile(file, 2 * kMiB, 3);
  ASSERT_EQ(fed.node(0).Client({"attach", "casa-ana/justicia", file}).exit_code, 0);
  NodeHarness& node = fed.node(1);
  ASSERT_TRUE(WaitComplete(node, "casa-ana/justicia", kConverge)) << node.log();
  const uint64_t chunks = ChunksStored(fed.node(0));
  EXPECT_GT(chunks, 0u);
  EXPECT_EQ(ChunksStored(node), chunks);

  ASSERT_EQ(node.Stop(), 0);
  fed.Unlink(1, 0);
  fed.Link(1, 0, "sectors: \"health\"");
  fed.RewriteConfig(1);
  ASSERT_TRUE(node.Start()) << node.log();
  const std::string narrowed = Get(node, "casa-ana/justicia");
  EXPECT_THAT(narrowed, HasSubstr("header only"));
  EXPECT_THAT(narrowed, Not(HasSubstr("Protocolo judicial")));
  EXPECT_THAT(Get(node, "casa-ana/salud"), HasSubstr("Guía de salud"));
  EXPECT_EQ(ChunksStored(node), 0u);
  EXPECT_THAT(node.Client({"search", "judicial"}).out, Not(HasSubstr("casa-ana/justicia")));
  EXPECT_THAT(node.log(), HasSubstr("subscription changed: 1 materials"));

  ASSERT_EQ(node.Stop(), 0);
  fed.Unlink(1, 0);
  fed.Link(1, 0);
  fed.RewriteConfig(1);
  ASSERT_TRUE(node.Start()) << node.log();
  EXPECT_TRUE(WaitFor(node, "casa-ana/justicia", "Protocolo judicial"));
  EXPECT_TRUE(WaitComplete(node, "casa-ana/justicia", kConverge));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(fed.node(i).Stop(), 0) << fed.node(i).log();
}

TEST(FederationTest, RingConvergesAndRetractionReachesEveryone) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"n0", "n1", "n2", "n3"});
  for (int i = 0; i < 4; ++i) fed.Link(i, (i + 1) % 4);  // one-way ring
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(fed.node(i)
                  .Client({"put", "--id", "m", "--title", absl::StrCat("De n", i), "--kind",
                           "guide", "--sector", "police"})
                  .exit_code,
              0);
  }
  ASSERT_TRUE(fed.WaitConverged(kConverge, 4));
  ASSERT_EQ(fed.node(2).Client({"rm", "n2/m"}).exit_code, 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(WaitFor(fed.node(i), "n2/m", "retracted")) << "node " << i;
    EXPECT_THAT(Get(fed.node(i), "n2/m"), Not(HasSubstr("De n2")));
  }
  ASSERT_TRUE(fed.WaitConverged(kConverge));
}

TEST(FederationTest, KilledInTheMiddleOfALargePullResumes) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"big", "new"});
  fed.Link(1, 0);
  // Small batches, one verifier: the pull takes long enough to be cut.
  fed.AddSyncConfig(1, "batch_max_revisions: 25 verify_threads: 1");
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.node(0).Start());
  constexpr int kMaterials = 20000;
  std::string jsonl;
  for (int i = 0; i < kMaterials; ++i) {
    absl::StrAppend(
        &jsonl, "{\"id\":\"m", i, "\",\"title\":\"Material ", i,
        "\",\"kind\":\"report\",\"sectors\":[\"coordination\"],\"countries\":[\"PE\"]}\n");
  }
  WriteFile(tmp.path() + "/big.jsonl", jsonl);
  RunResult imported =
      fed.node(0).Client({"import", tmp.path() + "/big.jsonl"}, "", absl::Seconds(300));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  ASSERT_TRUE(fed.node(1).Start());
  uint64_t checkpoint = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    checkpoint = JsonNumber(fed.node(1).Client({"--json", "peers"}).out, "checkpoint");
    if (checkpoint > 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  fed.node(1).Kill9();
  ASSERT_GT(checkpoint, 0u);

  // Restarted with its partner down, the node shows the checkpoint that
  // survived the kill: at least what it showed before, short of the end.
  ASSERT_EQ(fed.node(0).Stop(), 0);
  ASSERT_TRUE(fed.node(1).Start());
  const uint64_t persisted = JsonNumber(fed.node(1).Client({"--json", "peers"}).out, "checkpoint");
  EXPECT_GE(persisted, checkpoint);
  ASSERT_LT(persisted, static_cast<uint64_t>(kMaterials)) << "the pull ended before the kill";

  ASSERT_TRUE(fed.node(0).Start());
  ASSERT_TRUE(fed.WaitConverged(absl::Seconds(120)));
  const std::string status = fed.StatusJson(1);
  // Every material once: one local sequence number per stored revision.
  EXPECT_EQ(JsonField(status, "head_lseq"), absl::StrCat(kMaterials)) << status;
  EXPECT_THAT(status, HasSubstr(absl::StrCat("\"materials\":\"", kMaterials, "\"")));
  // It resumed: only what lay past the checkpoint crossed the link again.
  const std::string peers = fed.node(1).Client({"--json", "peers"}).out;
  const uint64_t received = JsonNumber(peers, "revisions_received");
  EXPECT_GT(received, 0u) << peers;
  EXPECT_LE(received, kMaterials - persisted) << peers;
}

TEST(FederationTest, ImpostorsAreRefused) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"alba", "bruno", "celia"});
  fed.LinkBoth(0, 1);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "x", "--title", "Solo miembros", "--kind", "guide",
                         "--sector", "health"})
                .exit_code,
            0);
  ASSERT_TRUE(WaitFor(fed.node(1), "alba/x", "Solo miembros"));
  ASSERT_EQ(fed.node(1).Stop(), 0);

  // 1. A certificate from another CA, with the right name.
  ASSERT_EQ(testing::Run({"/bin/bash", std::string(MINGA_SOURCE_DIR) + "/scripts/make-certs.sh",
                          tmp.path() + "/rogue", "bruno"})
                .exit_code,
            0);
  std::string config = ReadFileOrEmpty(fed.node(1).config_path());
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  WriteFile(fed.node(1).config_path(),
            replace(replace(config, "../certs/bruno.pem", "../rogue/bruno.pem"),
                    "../certs/bruno.key", "../rogue/bruno.key"));
  std::filesystem::remove_all(fed.node(1).data_dir() + "/store");
  ASSERT_TRUE(fed.node(1).Start());
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(fed.node(1).Client({"get", "alba/x"}).exit_code, 3);
  EXPECT_NE(JsonField(fed.node(1).Client({"--json", "peers"}).out, "last_error"), "");
  ASSERT_EQ(fed.node(1).Stop(), 0);

  // 2. A member's genuine certificate (celia's) on a node claiming to be bruno.
  WriteFile(fed.node(1).config_path(),
            replace(replace(config, "../certs/bruno.pem", "../certs/celia.pem"),
                    "../certs/bruno.key", "../certs/celia.key"));
  ASSERT_TRUE(fed.node(1).Start());
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(fed.node(1).Client({"get", "alba/x"}).exit_code, 3);
  RunResult peers = fed.node(1).Client({"--json", "peers"});
  EXPECT_THAT(JsonField(peers.out, "last_error"), HasSubstr("claims to be 'bruno'")) << peers.out;
  EXPECT_EQ(fed.node(1).Stop(), 0);
  EXPECT_EQ(fed.node(0).Stop(), 0);
}

TEST(FederationTest, RemoteAdminNeedsTlsAndAToken) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"sede"});
  const int port = FreePort();
  RunResult made = testing::Run({MINGA_NODE_BIN, "--new-admin-token"});
  const std::string token = made.out.substr(made.out.find("\n  ") + 3,
                                            made.out.find("\nconfig") - made.out.find("\n  ") - 3);
  const size_t at = made.out.find("admin_token_sha256");
  fed.AddConfig(0, absl::StrCat("admin_listen: \"127.0.0.1:", port, "\"\n",
                                made.out.substr(at, made.out.find('\n', at) - at), "\n"));
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(0).log();
  WriteFile(tmp.path() + "/token", token + "\n");
  WriteFile(tmp.path() + "/wrong", "not-the-token\n");
  const std::string addr = absl::StrCat("127.0.0.1:", port);
  auto remote = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {MINGA_CLIENT_BIN, "--node", addr};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::Run(argv);
  };
  const std::string ca = fed.certs() + "/ca.pem";
  RunResult ok =
      remote({"--ca", ca, "--tls-name", "sede", "--token-file", tmp.path() + "/token", "put",
              "--id", "r", "--title", "Desde lejos", "--kind", "guide", "--sector", "health"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(fed.node(0).Client({"get", "sede/r"}).out, HasSubstr("admin@remote"));
  RunResult wrong =
      remote({"--ca", ca, "--tls-name", "sede", "--token-file", tmp.path() + "/wrong", "status"});
  EXPECT_EQ(wrong.exit_code, 7) << wrong.err;
  RunResult none = remote({"--ca", ca, "--tls-name", "sede", "status"});
  EXPECT_EQ(none.exit_code, 7) << none.err;
  // Nor can a wrong token write, or retract what the right one wrote.
  RunResult wrong_put =
      remote({"--ca", ca, "--tls-name", "sede", "--token-file", tmp.path() + "/wrong", "put",
              "--id", "w", "--title", "Intrusa", "--kind", "guide", "--sector", "health"});
  EXPECT_EQ(wrong_put.exit_code, 7) << wrong_put.err;
  RunResult wrong_rm = remote(
      {"--ca", ca, "--tls-name", "sede", "--token-file", tmp.path() + "/wrong", "rm", "sede/r"});
  EXPECT_EQ(wrong_rm.exit_code, 7) << wrong_rm.err;
  EXPECT_EQ(fed.node(0).Client({"get", "sede/w"}).exit_code, 3);
  EXPECT_THAT(fed.node(0).Client({"get", "sede/r"}).out, HasSubstr("Desde lejos"));
  // The node keeps the token's hash only.
  for (const auto& e : std::filesystem::recursive_directory_iterator(fed.node(0).dir())) {
    if (e.is_regular_file() && e.file_size() < (1u << 20)) {
      EXPECT_EQ(ReadFileOrEmpty(e.path().string()).find(token), std::string::npos)
          << "the token is in " << e.path();
    }
  }
  // The certificate names the org, not the address dialled: without the
  // expected name the client does not trust the endpoint with its token.
  RunResult unnamed = remote({"--ca", ca, "--token-file", tmp.path() + "/token", "status"});
  EXPECT_EQ(unnamed.exit_code, 5) << unnamed.err;
  RunResult other =
      remote({"--ca", ca, "--tls-name", "otra", "--token-file", tmp.path() + "/token", "status"});
  EXPECT_EQ(other.exit_code, 5) << other.err;
  RunResult clear = remote({"--token-file", tmp.path() + "/token", "status"});
  EXPECT_EQ(clear.exit_code, 2);
  EXPECT_THAT(clear.err, HasSubstr("only over TLS"));
}

// A line of /proc/<pid>/status ("Threads", "VmRSS"), as a number.
// Security review #2: a member opening 4,000 following pulls and reading
// none cannot exhaust a node: the node refuses the pulls past its per-member
// bound, its threads and memory stay bounded, its administrator is served
// at once, and its other members keep syncing.
TEST(FederationTest, AMemberFloodingPullsCannotExhaustANode) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"sede", "socia", "otra"});
  fed.Link(2, 0);  // otra pulls from sede
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(0).log();
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "antes", "--title", "Antes", "--kind", "guide", "--sector",
                         "health"})
                .exit_code,
            0);
  ASSERT_TRUE(WaitFor(fed.node(2), "sede/antes", "Antes"));
  const pid_t pid = fed.node(0).pid();
  const long threads_before = ProcStatus(pid, "Threads");
  const long rss_before_kib = ProcStatus(pid, "VmRSS");
  ASSERT_GT(threads_before, 0);

  Process flood;
  const std::string log = tmp.path() + "/flood.log";
  ASSERT_TRUE(
      flood.Start({FLOOD_PROBE_BIN, fed.address(0), "sede", fed.certs() + "/ca.pem",
                   fed.certs() + "/socia.pem", fed.certs() + "/socia.key", "4000", "40", "8"},
                  log));
  // Wait until every stream was started (the probe says so).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (ReadFileOrEmpty(log).find("holding") == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_NE(ReadFileOrEmpty(log).find("holding"), std::string::npos) << ReadFileOrEmpty(log);
  absl::SleepFor(absl::Seconds(2));  // let the node take the streams in

  // The administrator is served at once.
  const absl::Time put_start = absl::Now();
  RunResult put = fed.node(0).Client({"put", "--id", "durante", "--title", "Durante la inundación",
                                      "--kind", "guide", "--sector", "health"});
  const absl::Duration put_took = absl::Now() - put_start;
  EXPECT_EQ(put.exit_code, 0) << put.err;
  // Not starved: a starved call waits for the flood (a minute). The bound
  // leaves room for a busy machine.
  EXPECT_LT(put_took, absl::Seconds(3));
  // Threads and memory stay bounded.
  const long threads_during = ProcStatus(pid, "Threads");
  const long rss_during_kib = ProcStatus(pid, "VmRSS");
  EXPECT_LE(threads_during, threads_before + 8)
      << "threads " << threads_before << " -> " << threads_during;
#ifndef MINGA_SANITIZED
  EXPECT_LE(rss_during_kib, rss_before_kib + 128 * 1024)
      << "RSS " << rss_before_kib << " KiB -> " << rss_during_kib << " KiB";
#endif
  // Another member keeps syncing.
  EXPECT_TRUE(WaitFor(fed.node(2), "sede/durante", "Durante la inundación", absl::Seconds(30)));
  EXPECT_EQ(flood.Wait(absl::Seconds(60)), 0);
  const std::string report = ReadFileOrEmpty(log);
  EXPECT_THAT(report, HasSubstr("refused=3998")) << report;
  std::printf("threads %ld -> %ld, RSS %ld -> %ld KiB, put %.0f ms; %s", threads_before,
              threads_during, rss_before_kib, rss_during_kib, absl::ToDoubleMilliseconds(put_took),
              report.c_str());
}

// Security review #12, with real processes: once a member is removed from
// the federation file (and the nodes restarted), the others hold nothing of
// it: its materials are not served, not found and their files are gone.
TEST(FederationTest, ARemovedMembersMaterialsAreGoneEverywhere) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"uno", "dos", "tres"});
  fed.LinkBoth(0, 1);
  fed.LinkBoth(1, 2);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(2).log();
  ASSERT_EQ(fed.node(2)
                .Client({"put", "--id", "x", "--title", "Material de tres que se va", "--kind",
                         "guide", "--sector", "health"})
                .exit_code,
            0);
  WriteFile(tmp.path() + "/f.bin", std::string(300000, 'z'));
  RunResult attached = fed.node(2).Client({"attach", "tres/x", tmp.path() + "/f.bin"});
  ASSERT_EQ(attached.exit_code, 0) << attached.err;
  ASSERT_TRUE(fed.WaitConverged(kConverge));
  ASSERT_TRUE(WaitFor(fed.node(0), "tres/x", "Material de tres"));
  const absl::Time deadline = absl::Now() + kConverge;
  while (JsonField(fed.StatusJson(0), "chunks_stored") != "1" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(JsonField(fed.StatusJson(0), "chunks_stored"), "1");

  // tres leaves the federation: uno and dos get the new file and restart.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(fed.node(i).Stop(), 0);
  fed.Unlink(1, 2);
  fed.RewriteConfig(1);
  fed.WriteFederation(fed.Federation({}, {"tres"}));
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();
  ASSERT_TRUE(fed.node(1).Start()) << fed.node(1).log();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fed.node(i).Client({"get", "tres/x"}).exit_code, 3);
    RunResult found = fed.node(i).Client({"search", "tres", "se", "va"});
    ASSERT_EQ(found.exit_code, 0) << found.err;
    EXPECT_THAT(found.out, Not(HasSubstr("tres/x")));
    EXPECT_THAT(found.out, HasSubstr("0 matching materials"));
    const std::string status = fed.StatusJson(i);
    EXPECT_THAT(status, Not(HasSubstr("\"origin\":\"tres\"")));
    EXPECT_EQ(JsonField(status, "chunks_stored"), "") << status;  // none
  }
  EXPECT_THAT(fed.node(1).log(), HasSubstr("purged"));
}

// Security review #12, with real processes: dos's key is stolen and
// replaced. Its new revisions verify with the new key; the thief, running
// a node with the old key and a copy of the data, cannot get a newer
// revision accepted.
TEST(FederationTest, ARotatedKeyRefusesTheOldOneAndVerifiesTheNew) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"uno", "dos"});
  fed.LinkBoth(0, 1);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  ASSERT_EQ(fed.node(1)
                .Client({"put", "--id", "m", "--title", "Original", "--kind", "guide", "--sector",
                         "justice"})
                .exit_code,
            0);
  ASSERT_TRUE(WaitFor(fed.node(0), "dos/m", "Original"));
  const std::string old_federation = fed.Federation();

  // The thief's copy: dos's data directory, old key included.
  EXPECT_EQ(fed.node(1).Stop(), 0);
  const std::string thief_root = tmp.path() + "/ladron";
  std::filesystem::create_directories(thief_root + "/dos");
  std::filesystem::copy(fed.node(1).data_dir(), thief_root + "/dos/data",
                        std::filesystem::copy_options::recursive);
  std::filesystem::remove(thief_root + "/dos/data/admin.sock");

  // dos rotates its key; every member gets the new federation file.
  RunResult rotated =
      testing::Run({MINGA_NODE_BIN, "--config", fed.node(1).config_path(), "--rotate-key"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  std::smatch key, retired;
  ASSERT_TRUE(std::regex_search(rotated.out, key, std::regex("signing_public_key: \"([^\"]+)\"")))
      << rotated.out;
  ASSERT_TRUE(std::regex_search(rotated.out, retired, std::regex("(retired_keys \\{[^}]*\\})")))
      << rotated.out;
  fed.SetKey(1, key[1]);
  fed.WriteFederation(fed.Federation({{"dos", retired[1]}}));
  EXPECT_EQ(fed.node(0).Stop(), 0);
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();
  ASSERT_TRUE(fed.node(1).Start()) << fed.node(1).log();
  ASSERT_EQ(fed.node(1).Client({"edit", "dos/m", "--title", "Con la clave nueva"}).exit_code, 0);
  ASSERT_TRUE(WaitFor(fed.node(0), "dos/m", "Con la clave nueva"));
  EXPECT_EQ(fed.node(1).Stop(), 0);

  // The thief runs dos's old identity (its own copy of the old file) and
  // signs a newer version; uno is pointed at it.
  NodeHarness thief(thief_root, "dos");
  const int thief_port = FreePort();
  WriteFile(thief_root + "/federation.textproto", old_federation);
  thief.WriteConfig(absl::StrCat(
      "listen: \"127.0.0.1:", thief_port, "\"\n", "federation_file: \"../federation.textproto\"\n",
      "tls { ca_file: \"", fed.certs(), "/ca.pem\" cert_file: \"", fed.certs(),
      "/dos.pem\" key_file: \"", fed.certs(), "/dos.key\" }\n"));
  ASSERT_TRUE(thief.Start()) << thief.log();
  // (Its copy of the feed shares dos's id: edits past uno's checkpoint.)
  for (const char* title : {"Del ladrón", "Del ladrón otra vez", "Del ladrón, tercera"}) {
    ASSERT_EQ(thief.Client({"edit", "dos/m", "--title", title}).exit_code, 0);
  }
  EXPECT_EQ(fed.node(0).Stop(), 0);
  // The same config, but dos's address is the thief's.
  std::string config = ReadFileOrEmpty(fed.node(0).config_path());
  const std::string from = absl::StrCat("peers { org_id: \"dos\" }");
  const std::string to =
      absl::StrCat("peers { org_id: \"dos\" address: \"127.0.0.1:", thief_port, "\" }");
  ASSERT_NE(config.find(from), std::string::npos) << config;
  config.replace(config.find(from), from.size(), to);
  WriteFile(fed.node(0).config_path(), config);
  ASSERT_TRUE(fed.node(0).Start()) << fed.node(0).log();
  // uno refuses the thief's batch, says why, and keeps the valid version.
  const absl::Time deadline = absl::Now() + kConverge;
  std::string peers;
  while (absl::Now() < deadline) {
    peers = fed.node(0).Client({"--json", "peers"}).out;
    if (peers.find("retired from version") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(peers, HasSubstr("retired from version"));
  EXPECT_THAT(Get(fed.node(0), "dos/m"), HasSubstr("Con la clave nueva"));
  EXPECT_EQ(thief.Stop(), 0);
}

}  // namespace
}  // namespace minga::testing
