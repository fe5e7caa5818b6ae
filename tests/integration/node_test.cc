// A real minga-node process on a fresh data directory, driven with the real
// `minga` client: import the samples, read, list, retract, then kill -9 and
// restart: every acknowledged write must still be there.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/federation_harness.h"
#include "tests/util/node_harness.h"
#include "tests/util/paths.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int CountLines(const std::string& s) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(s, '\n', absl::SkipEmpty())) {
    (void)line;
    ++n;
  }
  return n;
}

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.WriteConfig(
        absl::StrCat("listen: \"127.0.0.1:", FreePort(), "\"\nallow_plaintext_loopback: true\n"));
    ASSERT_TRUE(node_.Start()) << node_.log();
  }
  void TearDown() override {
    if (node_.running()) {
      EXPECT_EQ(node_.Stop(), 0) << node_.log();
    }
  }

  TempDir tmp_;
  NodeHarness node_{tmp_.path(), "casa-ana"};
};

TEST_F(NodeTest, ImportGetListDeleteAndSurviveKill9) {
  RunResult imported = node_.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("imported 60 of 60"));

  RunResult got = node_.Client({"get", "casa-ana/esp-paquete-servicios-esenciales-2015"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("Essential Services Package for Women and Girls"));
  EXPECT_THAT(got.out, HasSubstr("signer"));

  RunResult listed = node_.Client({"--json", "ls", "--origin", "casa-ana"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(CountLines(listed.out), 60);
  RunResult other = node_.Client({"--json", "ls", "--origin", "nobody"});
  EXPECT_EQ(CountLines(other.out), 0);
  // A script pages through --json output by the token on its last line.
  std::set<std::string> paged;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    std::vector<std::string> args = {"--json", "ls", "--page-size", "25"};
    if (!token.empty()) args.insert(args.end(), {"--page-token", token});
    RunResult one = node_.Client(args);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    token.clear();
    for (absl::string_view line : absl::StrSplit(one.out, '\n', absl::SkipEmpty())) {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.contains("next_page_token")) {
        token = j["next_page_token"];
      } else {
        paged.insert(j["id"].get<std::string>());
      }
    }
    if (token.empty()) break;
  }
  EXPECT_EQ(paged.size(), 60u) << "every material once, over three pages";

  RunResult removed = node_.Client({"rm", "casa-ana/esp-modulo-1-descripcion-general"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  RunResult added = node_.Client({"put", "--title", "Escrito justo antes del corte", "--kind",
                                  "guide", "--sector", "justice", "--id", "ultimo"});
  ASSERT_EQ(added.exit_code, 0) << added.err;

  node_.Kill9();
  ASSERT_TRUE(node_.Start()) << node_.log();

  RunResult after = node_.Client({"--json", "ls"});
  EXPECT_EQ(CountLines(after.out), 60);  // 60 imported - 1 retracted + 1 added
  RunResult last = node_.Client({"get", "casa-ana/ultimo"});
  EXPECT_EQ(last.exit_code, 0) << last.err;
  EXPECT_THAT(last.out, HasSubstr("Escrito justo antes del corte"));
  RunResult gone = node_.Client({"get", "casa-ana/esp-modulo-1-descripcion-general"});
  EXPECT_THAT(gone.out, HasSubstr("retracted"));
  RunResult missing = node_.Client({"get", "casa-ana/never-was"});
  EXPECT_EQ(missing.exit_code, 3);
}

TEST_F(NodeTest, BadInputIsRefusedWithFieldAndLineAndChangesNothing) {
  RunResult bad_kind =
      node_.Client({"put", "--title", "x", "--kind", "guidebook", "--sector", "health"});
  EXPECT_EQ(bad_kind.exit_code, 4);
  EXPECT_THAT(bad_kind.err, HasSubstr("kind: unknown value 'guidebook'"));

  RunResult not_utf8 = node_.Client({"put", "--title",
                                     "Gu\xED"
                                     "a",
                                     "--kind", "guide", "--sector", "health"});
  EXPECT_EQ(not_utf8.exit_code, 4);
  EXPECT_THAT(not_utf8.err, HasSubstr("--title: not valid UTF-8"));

  RunResult other_origin = node_.Client(
      {"put", "--id", "someone/x", "--title", "x", "--kind", "guide", "--sector", "health"});
  EXPECT_EQ(other_origin.exit_code, 7);

  // A CSV with one bad row among good ones, and a truncated JSON file.
  const std::string csv_path = node_.dir() + "/rows.csv";
  WriteFile(csv_path,
            "id,title,kind,sectors,countries,year\n"
            "uno,Primera guía,guide,health|justice,GT,2020\n"
            "dos,Segunda,guidebook,health,GT,2021\n"
            "tres,\"Tercera, con coma\",protocol,police,MX,\n");
  RunResult csv = node_.Client({"import", csv_path});
  EXPECT_EQ(csv.exit_code, 4);
  EXPECT_THAT(csv.err, HasSubstr("line 3: kind: unknown value 'guidebook'"));
  EXPECT_THAT(csv.out, HasSubstr("imported 2 of 3"));
  EXPECT_EQ(node_.Client({"get", "casa-ana/tres"}).exit_code, 0);
  EXPECT_EQ(node_.Client({"get", "casa-ana/dos"}).exit_code, 3);

  const std::string sample = ReadFileOrEmpty(SampleMaterialsPath());
  const std::string cut_path = node_.dir() + "/cut.json";
  WriteFile(cut_path, sample.substr(0, sample.size() / 2));
  RunResult cut = node_.Client({"import", cut_path});
  EXPECT_EQ(cut.exit_code, 4);
  EXPECT_THAT(cut.err, HasSubstr("truncated"));
  EXPECT_THAT(cut.out, Not(HasSubstr("imported 0 of")));

  const std::string latin1_path = node_.dir() + "/latin1.csv";
  WriteFile(latin1_path,
            "title,kind,sectors\nGu\xED"
            "a,guide,health\n");
  RunResult latin1 = node_.Client({"import", latin1_path});
  EXPECT_EQ(latin1.exit_code, 4);
  EXPECT_THAT(latin1.err, HasSubstr("line 2: title: not valid UTF-8"));
  EXPECT_THAT(latin1.err, HasSubstr("iconv -f latin1 -t utf-8"));  // the README's hint
}

// README: "importing the same file again changes nothing".
TEST_F(NodeTest, ImportingTheSameFileAgainChangesNothing) {
  RunResult first = node_.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string head = JsonField(node_.Client({"--json", "status"}).out, "head_lseq");
  ASSERT_FALSE(head.empty());
  RunResult again = node_.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonField(node_.Client({"--json", "status"}).out, "head_lseq"), head);
}

// README: the admin endpoint is a unix socket of mode 0600 in a 0700 data
// directory.
TEST_F(NodeTest, OnlyTheNodesOwnerCanReachItsAdminSocket) {
  struct stat socket_stat, dir_stat;
  ASSERT_EQ(::stat(node_.socket().c_str(), &socket_stat), 0);
  ASSERT_EQ(::stat(node_.data_dir().c_str(), &dir_stat), 0);
  EXPECT_EQ(socket_stat.st_mode & 0777, 0600u);
  EXPECT_EQ(dir_stat.st_mode & 0777, 0700u);
}

// README, "Backups": `minga-node --new-feed-id` on a stopped node gives the
// store a new feed and keeps every material; it refuses a running node's
// store and a data directory without one.
TEST_F(NodeTest, NewFeedIdGivesTheStoreANewFeedAndKeepsItsMaterials) {
  ASSERT_EQ(node_.Client({"import", SampleMaterialsPath()}).exit_code, 0);
  const std::string before = node_.Client({"--json", "status"}).out;
  RunResult running =
      testing::Run({MINGA_NODE_BIN, "--config", node_.config_path(), "--new-feed-id"});
  EXPECT_EQ(running.exit_code, 1);
  EXPECT_THAT(running.err, HasSubstr("another minga-node"));
  ASSERT_EQ(node_.Stop(), 0);
  RunResult renewed =
      testing::Run({MINGA_NODE_BIN, "--config", node_.config_path(), "--new-feed-id"});
  ASSERT_EQ(renewed.exit_code, 0) << renewed.err;
  ASSERT_TRUE(node_.Start()) << node_.log();
  const std::string after = node_.Client({"--json", "status"}).out;
  EXPECT_NE(JsonField(after, "feed_id"), JsonField(before, "feed_id"));
  EXPECT_FALSE(JsonField(after, "feed_id").empty());
  EXPECT_EQ(JsonField(after, "digest"), JsonField(before, "digest"));

  NodeHarness fresh(tmp_.path(), "sin-datos");
  fresh.WriteConfig("");
  RunResult no_store =
      testing::Run({MINGA_NODE_BIN, "--config", fresh.config_path(), "--new-feed-id"});
  EXPECT_EQ(no_store.exit_code, 1);
  EXPECT_THAT(no_store.err, HasSubstr("data_dir: no store"));
}

// The exit codes the README documents, one case each (1, a failing node, is
// in DiskTest: a full disk).
TEST_F(NodeTest, ExitCodesSayWhatWentWrong) {
  EXPECT_EQ(node_.Client({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(node_.Client({"get"}).exit_code, 2);
  EXPECT_EQ(node_.Client({"get", "casa-ana/nada"}).exit_code, 3);
  RunResult unreachable =
      testing::Run({MINGA_CLIENT_BIN, "--node", "unix:" + tmp_.path() + "/no-such.sock", "status"});
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.err;
  EXPECT_THAT(unreachable.err, HasSubstr("is the node running?"));
  ASSERT_EQ(
      node_.Client({"put", "--id", "x", "--title", "Guía", "--kind", "guide", "--sector", "health"})
          .exit_code,
      0);
  RunResult stale = node_.Client({"rm", "casa-ana/x", "--if-version", "1"});
  EXPECT_EQ(stale.exit_code, 6) << stale.err;
  EXPECT_EQ(node_.Client({"get", "casa-ana/x"}).exit_code, 0) << "a refused rm removed it";
}

TEST_F(NodeTest, StopsCleanlyOnSigterm) {
  EXPECT_EQ(node_.Stop(), 0) << node_.log();
  EXPECT_THAT(node_.log(), HasSubstr("stopped"));
  EXPECT_FALSE(std::filesystem::exists(node_.socket()));
}

// Whether any file under `dir` holds `needle`.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (ReadFileOrEmpty(e.path().string()).find(needle) != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

// Security review #10: a retraction removes the content from the node's
// files, not only from its keys: after `minga gc` (otherwise within
// minutes) neither the body nor the file bytes are anywhere in the data
// directory (store, write-ahead log, chunk files, search index).
TEST_F(NodeTest, RetractedContentLeavesTheDataDirectory) {
  const std::string body_marker = "qzjvxkwmplbrtsfgnhdcyaeiou";
  const std::string file_marker = "MARCADOR-DE-ARCHIVO-7f3a9c1e5b2d";
  RunResult put = node_.Client({"put", "--id", "secreto", "--title", "Protocolo interno",
                                "--summary", "Contiene " + body_marker + " y nada más.", "--kind",
                                "protocol", "--sector", "justice", "--audience", "private"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::string data;
  for (int i = 0; data.size() < 300000; ++i) absl::StrAppend(&data, file_marker, i, "|");
  WriteFile(tmp_.path() + "/secreto.txt", data);
  ASSERT_EQ(node_.Client({"attach", "casa-ana/secreto", tmp_.path() + "/secreto.txt"}).exit_code,
            0);
  // Searchable, so the index holds it too.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (node_.Client({"search", body_marker}).out.find("casa-ana/secreto") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  // Before: the content is on disk (the test would prove nothing else).
  EXPECT_FALSE(FilesHolding(node_.data_dir(), body_marker).empty());
  EXPECT_FALSE(FilesHolding(node_.data_dir(), file_marker).empty());

  ASSERT_EQ(node_.Client({"rm", "casa-ana/secreto"}).exit_code, 0);
  RunResult gc = node_.Client({"gc"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_THAT(FilesHolding(node_.data_dir(), body_marker), ::testing::IsEmpty());
  EXPECT_THAT(FilesHolding(node_.data_dir(), file_marker), ::testing::IsEmpty());
  // The signed tombstone stays, so the retraction keeps travelling.
  EXPECT_THAT(node_.Client({"get", "casa-ana/secreto"}).out, HasSubstr("retracted"));
}

// The search index is a view that commits the feed position with its
// documents: killed while it is still indexing a large import, the node
// resumes from its last commit and ends with every material indexed once,
// none twice and none half-applied.
TEST_F(NodeTest, SearchIndexKilledMidwayResumesAndIndexesEveryMaterialOnce) {
  constexpr int kMaterials = 6000;
  std::string lines;
  for (int i = 0; i < kMaterials; ++i) {
    // A word shared by all, and one of twenty groups, so counts check both.
    absl::StrAppend(&lines, "{\"id\":\"m", i, "\",\"title\":\"Guía ", i,
                    " de atención\",\"title_language\":\"es\",\"summary\":\"Texto "
                    "comprobante del grupo grupo",
                    std::string(1, static_cast<char>('a' + i % 20)),
                    "\",\"kind\":\"guide\",\"sectors\":[\"health\"]}\n");
  }
  const std::string file = tmp_.path() + "/many.jsonl";
  WriteFile(file, lines);
  RunResult imported = node_.Client({"import", file});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  // Killed as soon as the import is acknowledged: the index usually still
  // lags then (the log says whether it did; the checks hold either way).
  const std::string before = node_.Client({"--json", "status"}).out;
  node_.Kill9();
  std::printf("index lag when killed: %s\n", JsonField(before, "index_lag").empty()
                                                 ? "0"
                                                 : JsonField(before, "index_lag").c_str());

  ASSERT_TRUE(node_.Start()) << node_.log();
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  std::string status;
  while (absl::Now() < deadline) {
    status = node_.Client({"--json", "status"}).out;
    // JSON leaves out zeros: no index_lag means none.
    if (!JsonField(status, "head_lseq").empty() && JsonField(status, "index_lag").empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(JsonField(status, "index_lag"), "") << status;
  EXPECT_EQ(JsonField(status, "index_documents"), absl::StrCat(kMaterials)) << status;
  EXPECT_THAT(node_.Client({"search", "comprobante"}).out,
              HasSubstr(absl::StrCat(kMaterials, " matching materials")));
  EXPECT_THAT(node_.Client({"search", "grupoc"}).out,
              HasSubstr(absl::StrCat(kMaterials / 20, " matching materials")));
}

// --check-config says what is wrong, naming the file and field, without
// starting a node or writing anything.
TEST(CheckConfigTest, ChecksConfigAndFederationWithoutStartingOrWriting) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"casa-ana", "red-sur"});
  fed.Link(0, 1);
  fed.AddConfig(0, "http { listen: \"127.0.0.1:9464\" }\n");
  ASSERT_TRUE(fed.Setup());
  const std::string config = fed.node(0).config_path();

  RunResult good = testing::Run({MINGA_NODE_BIN, "--check-config", config});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr(": valid"));
  EXPECT_THAT(good.out, HasSubstr("federation: 2 member(s)"));
  EXPECT_THAT(good.out, HasSubstr("peers: red-sur ("));
  EXPECT_THAT(good.out, Not(HasSubstr("not checked yet")));
  EXPECT_FALSE(std::filesystem::exists(fed.node(0).socket())) << "it must not start the node";

  // The federation file lists another key for this node (Init prints the
  // key a data directory already has).
  const std::string ana_key = fed.node(0).Init();
  fed.SetKey(0, fed.node(1).Init());
  fed.WriteFederation(fed.Federation());
  RunResult wrong_key = testing::Run({MINGA_NODE_BIN, "--check-config", config});
  EXPECT_EQ(wrong_key.exit_code, 2);
  EXPECT_THAT(wrong_key.err, HasSubstr("is not this node's signing key"));

  // A peer that is not a member.
  fed.SetKey(0, ana_key);
  fed.WriteFederation(fed.Federation({}, {"red-sur"}));
  RunResult stranger = testing::Run({MINGA_NODE_BIN, "--check-config", config});
  EXPECT_EQ(stranger.exit_code, 2);
  EXPECT_THAT(stranger.err, HasSubstr("peers[0].org_id: 'red-sur' is not a member"));

  // Before --init: checked as far as it can be, and nothing is created.
  NodeHarness fresh(tmp.path(), "nueva");
  WriteFile(tmp.path() + "/alone.textproto",
            "name: \"t\"\nmembers { org_id: \"nueva\" signing_public_key: \""
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" }\n");
  fresh.WriteConfig("allow_plaintext_loopback: true\nfederation_file: \"../alone.textproto\"\n");
  RunResult before_init = testing::Run({MINGA_NODE_BIN, "--check-config", fresh.config_path()});
  EXPECT_EQ(before_init.exit_code, 0) << before_init.err;
  EXPECT_THAT(before_init.out, HasSubstr("not checked yet"));
  EXPECT_FALSE(std::filesystem::exists(fresh.data_dir()));

  fresh.WriteConfig(
      "allow_plaintext_loopback: true\nfederation_file: \"../alone.textproto\"\n"
      "http { listen: \"10.1.2.3:9464\" }\n");
  RunResult bad_http = testing::Run({MINGA_NODE_BIN, "--check-config", fresh.config_path()});
  EXPECT_EQ(bad_http.exit_code, 2);
  EXPECT_THAT(bad_http.err, HasSubstr("http.listen: '10.1.2.3:9464' is not loopback"));
}

// With --log-format json every line the node writes is one JSON object
// with time, level, component and message, as log collectors read them.
TEST(LogFormatTest, JsonLogsAreOneObjectPerLine) {
  TempDir tmp;
  NodeHarness node(tmp.path(), "casa-ana");
  node.WriteConfig("allow_plaintext_loopback: true\n");
  node.SetNodeFlags({"--log-format", "json"});
  ASSERT_TRUE(node.Start()) << node.log();
  EXPECT_EQ(node.Stop(), 0) << node.log();
  int lines = 0;
  bool started = false;
  for (absl::string_view line : absl::StrSplit(node.log(), '\n', absl::SkipEmpty())) {
    ++lines;
    const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(event.is_object()) << "not a JSON object: " << line;
    EXPECT_TRUE(event.contains("time") && event.contains("level") && event.contains("msg"));
    EXPECT_NE(event.value("component", ""), "") << line;
    started = started || event.value("msg", "").find("started") != std::string::npos;
  }
  EXPECT_GE(lines, 2);  // started, stopping, stopped
  EXPECT_TRUE(started);

  node.SetNodeFlags({"--log-format", "xml"});
  EXPECT_FALSE(node.Start());
  EXPECT_THAT(node.log(), HasSubstr("--log-format: 'xml' is not text or json"));
}

}  // namespace
}  // namespace minga::testing
