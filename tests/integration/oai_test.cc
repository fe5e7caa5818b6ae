// A real minga-node serving /oai, harvested by an OAI-PMH client written
// apart from Minga (Debian's libhttp-oai-perl, driven by oai_harvest.pl),
// fully and then incrementally, and its responses checked with xmllint
// against the OAI-PMH and Dublin Core schemas (tests/data/oai) and the
// node's own schema for the minga format.
#include <httplib.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/node_harness.h"
#include "tests/util/paths.h"
#include "tests/util/process.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `n` public materials as JSON Lines.
std::string Materials(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, "{\"id\":\"recurso-", i, "\",\"title\":\"Recurso ", i,
                    "\",\"title_language\":\"es\",\"kind\":\"toolkit\",\"sectors\":[\"justice\"],"
                    "\"countries\":[\"PE\"]}\n");
  }
  return out;
}

struct Harvested {
  int exit_code = -1;
  std::vector<std::vector<std::string>> lines;  // tab-separated fields
  std::string err;
};

Harvested Harvest(const std::string& base, std::vector<std::string> args) {
  std::vector<std::string> argv = {
      "perl", std::string(MINGA_SOURCE_DIR) + "/tests/integration/oai_harvest.pl", base};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = Run(argv, "", absl::Seconds(300));
  Harvested h;
  h.exit_code = r.exit_code;
  h.err = r.err + r.out.substr(0, 2000);
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    h.lines.push_back(absl::StrSplit(line, '\t'));
  }
  return h;
}

class OaiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    node_.WriteConfig(
        absl::StrCat("allow_plaintext_loopback: true\nhttp {\n  listen: \"127.0.0.1:", port_,
                     "\"\n  oai { admin_email: \"it@casa-ana.org\" "
                     "repository_name: \"Casa Ana\" }\n}\n"));
    ASSERT_TRUE(node_.Start()) << node_.log();
    base_ = absl::StrCat("http://127.0.0.1:", port_, "/oai");
  }

  TempDir tmp_;
  NodeHarness node_{tmp_.path(), "casa-ana"};
  int port_ = 0;
  std::string base_;
};

TEST_F(OaiTest, AnIndependentHarvesterTakesThePublicMaterialsFullyThenIncrementally) {
  RunResult imported = node_.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string more = tmp_.path() + "/more.jsonl";
  WriteFile(more, Materials(150));
  imported = node_.Client({"import", more});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  RunResult put =
      node_.Client({"put", "--id", "caso-confidencial", "--title", "Caso confidencial", "--kind",
                    "guide", "--sector", "justice", "--audience", "members:casa-ana"});
  ASSERT_EQ(put.exit_code, 0) << put.err;

  Harvested id = Harvest(base_, {"Identify"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  EXPECT_THAT(id.lines, ::testing::Contains(std::vector<std::string>{"name", "Casa Ana"}));
  EXPECT_THAT(id.lines, ::testing::Contains(std::vector<std::string>{"email", "it@casa-ana.org"}));
  EXPECT_THAT(id.lines, ::testing::Contains(std::vector<std::string>{"deleted", "transient"}));

  // Full: 210 records over three responses (100 a page), none confined.
  Harvested full = Harvest(base_, {"ListRecords", "oai_dc"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  std::set<std::string> ids;
  std::string last_stamp;
  for (const auto& f : full.lines) {
    ASSERT_EQ(f.size(), 3u);
    EXPECT_TRUE(absl::StartsWith(f[0], "oai:casa-ana.minga:casa-ana/")) << f[0];
    EXPECT_NE(f[2], "deleted");
    ids.insert(f[0]);
    last_stamp = std::max(last_stamp, f[1]);
  }
  EXPECT_EQ(ids.size(), 210u);
  EXPECT_EQ(full.lines.size(), 210u) << "a record twice";
  EXPECT_EQ(ids.count("oai:casa-ana.minga:casa-ana/caso-confidencial"), 0u);
  EXPECT_EQ(ids.count("oai:casa-ana.minga:casa-ana/recurso-149"), 1u);

  // The next harvest asks from the second after the last one it saw. Wait
  // for the clock to pass it, so the changes below are dated after it.
  absl::Time last;
  std::string err;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", last_stamp, &last, &err)) << last_stamp;
  const absl::Time next = last + absl::Seconds(1);
  while (absl::Now() < next) absl::SleepFor(absl::Milliseconds(20));
  put = node_.Client({"put", "--id", "nuevo", "--title", "Protocolo nuevo", "--kind", "protocol",
                      "--sector", "police"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  RunResult retracted = node_.Client({"rm", "casa-ana/recurso-7"});
  ASSERT_EQ(retracted.exit_code, 0) << retracted.err;

  const std::string from = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", next, absl::UTCTimeZone());
  Harvested since = Harvest(base_, {"ListRecords", "oai_dc", from});
  ASSERT_EQ(since.exit_code, 0) << since.err;
  std::vector<std::pair<std::string, std::string>> changes;
  for (const auto& f : since.lines) changes.emplace_back(f[0], f[2]);
  EXPECT_THAT(changes, ::testing::UnorderedElementsAre(
                           std::pair<std::string, std::string>{"oai:casa-ana.minga:casa-ana/nuevo",
                                                               "Protocolo nuevo"},
                           std::pair<std::string, std::string>{
                               "oai:casa-ana.minga:casa-ana/recurso-7", "deleted"}));

  // A set: the one police material.
  Harvested police = Harvest(base_, {"ListRecords", "oai_dc", "", "sector:police"});
  ASSERT_EQ(police.exit_code, 0) << police.err;
  std::vector<std::string> police_ids;
  for (const auto& f : police.lines) police_ids.push_back(f[0]);
  EXPECT_THAT(police_ids, ::testing::Contains("oai:casa-ana.minga:casa-ana/nuevo"));
  EXPECT_THAT(police_ids, Not(::testing::Contains("oai:casa-ana.minga:casa-ana/recurso-1")));

  Harvested none = Harvest(base_, {"ListRecords", "oai_dc", "2100-01-01"});
  EXPECT_EQ(none.exit_code, 2);
  ASSERT_FALSE(none.lines.empty());
  EXPECT_EQ(none.lines[0][1], "noRecordsMatch");
}

TEST_F(OaiTest, EveryResponseIsValidAgainstTheSchemas) {
  RunResult imported = node_.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string more = tmp_.path() + "/more.jsonl";
  WriteFile(more, Materials(120));
  imported = node_.Client({"import", more});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_EQ(node_.Client({"rm", "casa-ana/recurso-3"}).exit_code, 0);

  httplib::Client http("127.0.0.1", port_);
  httplib::Result schema = http.Get("/oai/minga-material.xsd");
  ASSERT_TRUE(schema);
  ASSERT_EQ(schema->status, 200);
  WriteFile(tmp_.path() + "/minga-material.xsd", schema->body);
  // One schema that knows every namespace a response holds.
  const std::string data = std::string(MINGA_SOURCE_DIR) + "/tests/data/oai/";
  WriteFile(tmp_.path() + "/all.xsd",
            absl::StrCat(
                "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
                "<xs:import namespace=\"http://www.openarchives.org/OAI/2.0/\" schemaLocation=\"",
                data,
                "OAI-PMH.xsd\"/>\n"
                "<xs:import namespace=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" "
                "schemaLocation=\"",
                data,
                "oai_dc.xsd\"/>\n"
                "<xs:import namespace=\"urn:minga:material:1\" schemaLocation=\"",
                tmp_.path(), "/minga-material.xsd\"/>\n</xs:schema>\n"));

  const std::string id = "oai:casa-ana.minga:casa-ana/recurso-9";
  const std::vector<std::string> queries = {
      "verb=Identify",
      "verb=ListMetadataFormats",
      "verb=ListMetadataFormats&identifier=" + id,
      "verb=ListSets",
      "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + id,
      "verb=GetRecord&metadataPrefix=minga&identifier=" + id,
      "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:casa-ana.minga:casa-ana/recurso-3",
      "verb=ListRecords&metadataPrefix=oai_dc",
      "verb=ListRecords&metadataPrefix=minga&set=origin:casa-ana",
      "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2000-01-01",
      "verb=ListRecords&metadataPrefix=minga&until=2000-01-01",
      "verb=GetRecord&metadataPrefix=marc21&identifier=" + id,
      "verb=Dance",
      "verb=Identify&verb=Identify",
  };
  std::string token;
  for (size_t i = 0; i <= queries.size(); ++i) {
    // Last: the page a resumption token leads to.
    const std::string query =
        i < queries.size() ? queries[i] : "verb=ListRecords&resumptionToken=" + token;
    httplib::Result r = http.Get("/oai?" + query);
    ASSERT_TRUE(r) << query;
    ASSERT_EQ(r->status, 200) << query;
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/xml"));
    const std::string file = absl::StrCat(tmp_.path(), "/response-", i, ".xml");
    WriteFile(file, r->body);
    RunResult lint =
        testing::Run({"xmllint", "--noout", "--nonet", "--schema", tmp_.path() + "/all.xsd", file});
    EXPECT_EQ(lint.exit_code, 0) << query << "\n" << lint.err << r->body.substr(0, 3000);
    const size_t at = r->body.find("<resumptionToken>");
    if (token.empty() && at != std::string::npos) {
      const size_t start = at + std::string("<resumptionToken>").size();
      token = r->body.substr(start, r->body.find('<', start) - start);
    }
  }
  ASSERT_FALSE(token.empty()) << "no list was split";

  // The protocol allows POST with the arguments as a form.
  httplib::Result posted = http.Post("/oai", "verb=Identify", "application/x-www-form-urlencoded");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_THAT(posted->body, HasSubstr("<repositoryName>Casa Ana</repositoryName>"));
}

// minga harvest, round trip: a second node harvests this one's provider in
// full, then, with --state, only what changed, retractions included.
TEST_F(OaiTest, AnotherNodeHarvestsItFullyThenIncrementally) {
  const std::string more = tmp_.path() + "/more.jsonl";
  WriteFile(more, Materials(150));
  ASSERT_EQ(node_.Client({"import", more}).exit_code, 0);
  NodeHarness harvester(tmp_.path(), "recolector");
  harvester.WriteConfig("allow_plaintext_loopback: true\n");
  ASSERT_TRUE(harvester.Start()) << harvester.log();
  const std::string state = tmp_.path() + "/harvest-state.json";
  // The next harvest asks from the second the first one began (inclusive):
  // let the imported materials' second pass, so only later changes are new.
  const int64_t imported = absl::ToUnixSeconds(absl::Now());
  while (absl::ToUnixSeconds(absl::Now()) == imported) absl::SleepFor(absl::Milliseconds(20));

  RunResult full = harvester.Client({"harvest", base_, "--state", state});
  ASSERT_EQ(full.exit_code, 0) << full.err << full.out;
  EXPECT_THAT(full.out, HasSubstr("150 stored, 0 retracted, 0 skipped"));
  EXPECT_THAT(full.out, HasSubstr("in 2 responses"));
  const std::string id = "recolector/casa-ana.minga-casa-ana-recurso-42";
  RunResult got = harvester.Client({"get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("Recurso 42"));
  EXPECT_THAT(got.out, HasSubstr("justice"));
  EXPECT_THAT(got.out, HasSubstr("oai:casa-ana.minga:casa-ana/recurso-42 from " + base_));

  ASSERT_EQ(node_.Client({"rm", "casa-ana/recurso-42"}).exit_code, 0);
  ASSERT_EQ(node_
                .Client({"put", "--id", "nuevo", "--title", "Protocolo nuevo", "--kind", "protocol",
                         "--sector", "police"})
                .exit_code,
            0);
  RunResult since = harvester.Client({"harvest", base_, "--state", state});
  ASSERT_EQ(since.exit_code, 0) << since.err << since.out;
  EXPECT_THAT(since.out, HasSubstr("1 stored, 1 retracted, 0 skipped"));
  EXPECT_THAT(harvester.Client({"get", id}).out, HasSubstr("retracted"));
  EXPECT_EQ(harvester.Client({"get", "recolector/casa-ana.minga-casa-ana-nuevo"}).exit_code, 0);

  // A state file belongs to one harvest.
  RunResult other =
      harvester.Client({"harvest", base_, "--set", "sector:police", "--state", state});
  EXPECT_EQ(other.exit_code, 4);
  EXPECT_THAT(other.err, HasSubstr("--state: '" + state + "' is for " + base_));
}

// minga harvest against an OAI-PMH provider Minga did not write: HTTP::OAI
// serving a static repository of DSpace-shaped records.
TEST_F(OaiTest, ItHarvestsARepositoryServedByAnotherImplementation) {
  const int port = FreePort();
  Process provider;
  ASSERT_TRUE(provider.Start(
      {"perl", std::string(MINGA_SOURCE_DIR) + "/tests/integration/oai_static_provider.pl",
       std::string(MINGA_SOURCE_DIR) + "/tests/data/oai/dspace-repository.xml", absl::StrCat(port)},
      tmp_.path() + "/provider.log"));
  httplib::Client http("127.0.0.1", port);
  // Waits for the provider to listen; the deadline is for a hang.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!http.Get("/oai?verb=Identify") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/oai");

  RunResult harvested = node_.Client({"harvest", url});
  EXPECT_EQ(harvested.exit_code, 4) << "one record does not map" << harvested.err;
  EXPECT_THAT(harvested.out, HasSubstr("3 stored, 0 retracted, 1 skipped"));
  EXPECT_THAT(harvested.err, HasSubstr("skipped oai:repositorio.example.org:123456789/13: dc:type: "
                                       "'Image' maps to no kind"));
  RunResult health = node_.Client({"get", "casa-ana/repositorio.example.org-123456789-10"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  for (const char* want : {"title_language  es-ES", "title.pt-BR", "kind            report",
                           "sectors         health", "populations     rural", "countries       PE",
                           "topics          gender-based-violence", "year            2019",
                           "url             http://repositorio.example.org/handle/123456789/10"}) {
    EXPECT_THAT(health.out, HasSubstr(want));
  }
  RunResult police = node_.Client({"get", "casa-ana/repositorio.example.org-123456789-11"});
  EXPECT_THAT(police.out, HasSubstr("sectors         police"));
  EXPECT_THAT(police.out, HasSubstr("kind            guide"));
  EXPECT_THAT(police.out, HasSubstr("countries       BO"));

  // A mapping file adds what the default lacks.
  const std::string mapping = tmp_.path() + "/mapping.json";
  WriteFile(mapping, "{\"kind\": {\"Image\": \"report\"}, \"default_sector\": \"coordination\"}");
  RunResult mapped = node_.Client({"harvest", url, "--mapping", mapping});
  EXPECT_EQ(mapped.exit_code, 0) << mapped.err;
  EXPECT_THAT(mapped.out, HasSubstr("4 stored"));
  WriteFile(mapping, "{\"kind\": {\"book\": \"libro\"}}");
  RunResult bad = node_.Client({"harvest", url, "--mapping", mapping});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_THAT(bad.err, HasSubstr("mapping.kind[\"book\"]: 'libro' is not a kind"));
}

// A repository that answers with an endless response: the harvest stops
// at 64 MiB with a clear error instead of holding it all.
TEST_F(OaiTest, AnEndlessResponseIsRefusedAtItsBound) {
  httplib::Server endless;
  endless.Get("/oai", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/xml", [](size_t, httplib::DataSink& sink) {
      static const std::string block(1 << 20, ' ');
      return sink.write(block.data(), block.size());
    });
  });
  const int port = endless.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { endless.listen_after_bind(); });
  RunResult harvested = node_.Client({"harvest", absl::StrCat("http://127.0.0.1:", port, "/oai")},
                                     "", absl::Seconds(120));
  endless.stop();
  serving.join();
  EXPECT_NE(harvested.exit_code, 0);
  EXPECT_THAT(harvested.err, HasSubstr("/oai: a response over 64 MiB")) << harvested.err;
}

}  // namespace
}  // namespace minga::testing
