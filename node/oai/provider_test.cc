#include "node/oai/provider.h"

#include <regex>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga::oai {
namespace {

using ::minga::testing::MakeMaterial;
using ::minga::testing::TestFederation;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBase[] = "http://127.0.0.1:8080/oai";

class OaiProviderTest : public ::testing::Test {
 protected:
  OaiProviderTest()
      : provider_(&fed_.catalog(0), {"Casa Ana", "it@casa-ana.org", "alpha.minga", 2},
                  &fed_.clock()) {}

  std::string Get(const OaiArgs& args) {
    absl::StatusOr<std::string> doc = provider_.Handle(args, kBase);
    EXPECT_TRUE(doc.ok()) << doc.status();
    return doc.ok() ? *doc : "";
  }

  std::string Put(const std::string& title, const std::string& id,
                  v1::Audience::Scope scope = v1::Audience::PUBLIC, int catalog = 0) {
    PutItem item;
    item.material = MakeMaterial(title, id);
    item.mutable_audience()->set_scope(scope);
    if (scope == v1::Audience::MEMBERS) item.mutable_audience()->add_members("beta");
    absl::StatusOr<v1::MaterialView> view = fed_.catalog(catalog).local().Put(item, "admin");
    EXPECT_TRUE(view.ok()) << view.status();
    fed_.clock().Advance(1'000'000);
    return view.ok() ? view->id() : "";
  }

  // Every identifier of a complete list, following resumption tokens, and
  // how many responses it took.
  std::vector<std::string> Harvest(OaiArgs args, int* responses = nullptr) {
    std::vector<std::string> ids;
    const std::regex id_re("<identifier>([^<]*)</identifier>");
    const std::regex token_re("<resumptionToken>([^<]+)</resumptionToken>");
    for (int n = 1; n < 100; ++n) {
      const std::string doc = Get(args);
      for (std::sregex_iterator it(doc.begin(), doc.end(), id_re), end; it != end; ++it) {
        ids.push_back((*it)[1]);
      }
      std::smatch token;
      if (!std::regex_search(doc, token, token_re)) {
        if (responses != nullptr) *responses = n;
        if (n > 1) EXPECT_THAT(doc, HasSubstr("<resumptionToken/>")) << "a list ends empty";
        break;
      }
      args = {{"verb", args[0].second}, {"resumptionToken", token[1]}};
    }
    return ids;
  }

  TestFederation fed_{std::vector<std::string>{"alpha", "beta"}};
  OaiProvider provider_;
};

TEST_F(OaiProviderTest, IdentifySaysWhoAndHow) {
  Put("Guía", "guia");
  const std::string doc = Get({{"verb", "Identify"}});
  EXPECT_THAT(doc, HasSubstr("<repositoryName>Casa Ana</repositoryName>"));
  EXPECT_THAT(doc, HasSubstr("<baseURL>http://127.0.0.1:8080/oai</baseURL>"));
  EXPECT_THAT(doc, HasSubstr("<protocolVersion>2.0</protocolVersion>"));
  EXPECT_THAT(doc, HasSubstr("<adminEmail>it@casa-ana.org</adminEmail>"));
  EXPECT_THAT(doc, HasSubstr("<earliestDatestamp>2023-11-14T22:13:20Z</earliestDatestamp>"));
  EXPECT_THAT(doc, HasSubstr("<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"));
  EXPECT_THAT(doc, HasSubstr("<request verb=\"Identify\">"));
}

TEST_F(OaiProviderTest, BadRequestsGetTheProtocolsErrorCodes) {
  auto error_of = [&](const OaiArgs& args) {
    const std::string doc = Get(args);
    std::smatch m;
    const std::regex code_re("<error code=\"([a-zA-Z]+)\">");
    EXPECT_THAT(doc, Not(HasSubstr("<request verb"))) << "no arguments echoed after bad ones";
    return std::regex_search(doc, m, code_re) ? std::string(m[1]) : std::string("none");
  };
  EXPECT_EQ(error_of({}), "badVerb");
  EXPECT_EQ(error_of({{"verb", "Dance"}}), "badVerb");
  EXPECT_EQ(error_of({{"verb", "Identify"}, {"verb", "Identify"}}), "badVerb");
  EXPECT_EQ(error_of({{"verb", "Identify"}, {"set", "x"}}), "badArgument");
  EXPECT_EQ(error_of({{"verb", "GetRecord"}, {"identifier", "x"}}), "badArgument");
  EXPECT_EQ(error_of({{"verb", "ListRecords"}}), "badArgument");
  EXPECT_EQ(
      error_of(
          {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"metadataPrefix", "minga"}}),
      "badArgument");
  EXPECT_EQ(error_of({{"verb", "ListRecords"}, {"resumptionToken", "x"}, {"set", "a"}}),
            "badArgument");

  const std::string doc = Get({{"verb", "ListRecords"}, {"metadataPrefix", "marc"}});
  EXPECT_THAT(doc, HasSubstr("code=\"cannotDisseminateFormat\""));
  EXPECT_THAT(Get({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}}),
              HasSubstr("code=\"noRecordsMatch\""));
  EXPECT_THAT(Get({{"verb", "ListIdentifiers"}, {"resumptionToken", "bm90IG91cnM"}}),
              HasSubstr("code=\"badResumptionToken\""));
  EXPECT_THAT(Get({{"verb", "ListSets"}, {"resumptionToken", "x"}}),
              HasSubstr("code=\"badResumptionToken\""));
  EXPECT_THAT(Get({{"verb", "ListRecords"},
                   {"metadataPrefix", "oai_dc"},
                   {"from", "2024-01-01"},
                   {"until", "2024-01-02T00:00:00Z"}}),
              HasSubstr("different granularities"));
  EXPECT_THAT(Get({{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}, {"from", "yesterday"}}),
              HasSubstr("from: 'yesterday' is neither"));
  EXPECT_THAT(Get({{"verb", "GetRecord"},
                   {"identifier", "oai:other.org:alpha/x"},
                   {"metadataPrefix", "oai_dc"}}),
              HasSubstr("code=\"idDoesNotExist\""));
}

// Public materials, own and pulled, are records; a retracted public one is
// a deleted record; one shared with a few members is not there at all.
TEST_F(OaiProviderTest, AFullHarvestHasEveryPublicMaterialAndNothingConfined) {
  const std::string a = Put("Protocolo", "protocolo");
  const std::string b = Put("Ruta crítica", "ruta");
  const std::string gone = Put("Borrador", "borrador");
  const std::string confined = Put("Casos en curso", "casos", v1::Audience::MEMBERS);
  const std::string theirs = Put("Guía de beta", "guia", v1::Audience::PUBLIC, 1);
  ASSERT_TRUE(fed_.catalog(0).local().Delete(gone, 0, "admin").ok());
  ASSERT_TRUE(fed_.PullAll(0, 1).ok());

  int responses = 0;
  std::vector<std::string> ids =
      Harvest({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}}, &responses);
  EXPECT_THAT(
      ids, ::testing::UnorderedElementsAre("oai:alpha.minga:" + a, "oai:alpha.minga:" + b,
                                           "oai:alpha.minga:" + gone, "oai:alpha.minga:" + theirs));
  EXPECT_EQ(responses, 2) << "two records a page";
  EXPECT_EQ(Harvest({{"verb", "ListRecords"}, {"metadataPrefix", "minga"}}), ids);

  const std::string deleted = Get({{"verb", "GetRecord"},
                                   {"identifier", "oai:alpha.minga:" + gone},
                                   {"metadataPrefix", "oai_dc"}});
  EXPECT_THAT(deleted, HasSubstr("<header status=\"deleted\">"));
  EXPECT_THAT(deleted, Not(HasSubstr("<metadata>")));
  for (const std::string& verb : {"GetRecord", "ListMetadataFormats"}) {
    OaiArgs args = {{"verb", verb}, {"identifier", "oai:alpha.minga:" + confined}};
    if (std::string(verb) == "GetRecord") args.emplace_back("metadataPrefix", "oai_dc");
    const std::string doc = Get(args);
    EXPECT_THAT(doc, HasSubstr("code=\"idDoesNotExist\"")) << verb;
  }
  EXPECT_THAT(Get({{"verb", "ListSets"}}), Not(HasSubstr("Casos")));
}

TEST_F(OaiProviderTest, RecordsCarryTheMaterialInBothFormats) {
  PutItem item;
  item.material = MakeMaterial("Salud <y> \"justicia\" & más", "salud");
  (*item.material.mutable_other_language_titles())["pt-BR"] = "Saúde e justiça";
  ASSERT_TRUE(fed_.catalog(0).local().Put(item, "admin").ok());
  const OaiArgs dc = {{"verb", "GetRecord"},
                      {"identifier", "oai:alpha.minga:alpha/salud"},
                      {"metadataPrefix", "oai_dc"}};
  const std::string doc = Get(dc);
  EXPECT_THAT(doc, HasSubstr("<dc:title xml:lang=\"es\">Salud &lt;y&gt; &quot;justicia&quot; "
                             "&amp; más</dc:title>"));
  EXPECT_THAT(doc, HasSubstr("<dc:title xml:lang=\"pt-BR\">Saúde e justiça</dc:title>"));
  EXPECT_THAT(doc, HasSubstr("<dc:type>guide</dc:type>"));
  EXPECT_THAT(doc, HasSubstr("<dc:subject>health</dc:subject>"));
  EXPECT_THAT(doc, HasSubstr("<dc:coverage>GT</dc:coverage>"));
  EXPECT_THAT(doc, HasSubstr("<dc:date>2020</dc:date>"));
  EXPECT_THAT(doc, HasSubstr("<dc:identifier>https://example.org/guia.pdf</dc:identifier>"));
  EXPECT_THAT(doc, HasSubstr("<setSpec>sector:health</setSpec>"));
  EXPECT_THAT(doc, HasSubstr("<setSpec>origin:alpha</setSpec>"));

  OaiArgs minga = dc;
  minga[2].second = "minga";
  const std::string full = Get(minga);
  EXPECT_THAT(full, HasSubstr("<material xmlns=\"urn:minga:material:1\""));
  EXPECT_THAT(full, HasSubstr(std::string(kBase) + "/minga-material.xsd"));
  EXPECT_THAT(full, HasSubstr("<id>alpha/salud</id>"));
  EXPECT_THAT(full, HasSubstr("<otherTitle lang=\"pt-BR\">Saúde e justiça</otherTitle>"));
  EXPECT_THAT(full, HasSubstr("<population>general</population>"));
  EXPECT_THAT(full, HasSubstr("<topic>first-line-support</topic>"));
  EXPECT_THAT(full, HasSubstr("<publisher>OPS</publisher>"));
}

TEST_F(OaiProviderTest, SelectiveHarvestsBySetAndDate) {
  const std::string first = Put("Primero", "primero");
  fed_.clock().Advance(3600'000'000);
  const int64_t later = fed_.clock().NowMicros() / 1'000'000;
  PutItem police;
  police.material = MakeMaterial("Policía", "policia");
  police.material.clear_sectors();
  police.material.add_sectors("police");
  ASSERT_TRUE(fed_.catalog(0).local().Put(police, "admin").ok());
  const std::string theirs = Put("De beta", "de-beta", v1::Audience::PUBLIC, 1);
  ASSERT_TRUE(fed_.PullAll(0, 1).ok());

  auto format = [](int64_t s) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone());
  };
  const std::string since = format(later);
  const std::string before = format(later - 1);  // until is inclusive
  EXPECT_THAT(Harvest({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"from", since}}),
              ::testing::UnorderedElementsAre("oai:alpha.minga:alpha/policia",
                                              "oai:alpha.minga:" + theirs));
  EXPECT_THAT(
      Harvest({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"until", before}}),
      ::testing::ElementsAre("oai:alpha.minga:" + first));
  EXPECT_THAT(
      Harvest(
          {{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", "sector:police"}}),
      ::testing::ElementsAre("oai:alpha.minga:alpha/policia"));
  EXPECT_THAT(
      Harvest({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", "origin:beta"}}),
      ::testing::ElementsAre("oai:alpha.minga:" + theirs));
  EXPECT_THAT(
      Harvest({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", "sector"}}),
      ::testing::SizeIs(3));
  EXPECT_THAT(
      Get({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}, {"set", "origin:BAD!"}}),
      HasSubstr("noRecordsMatch"));

  const std::string sets = Get({{"verb", "ListSets"}});
  for (const char* spec : {"origin", "origin:alpha", "origin:beta", "sector", "sector:health",
                           "sector:police", "country", "country:GT"}) {
    EXPECT_THAT(sets, HasSubstr(absl::StrCat("<setSpec>", spec, "</setSpec>")));
  }
}

// A material changed while a harvest is under way moves to the feed's end,
// so the harvest still sees it (in its new version) and misses nothing.
TEST_F(OaiProviderTest, AListStaysCompleteWhileMaterialsChange) {
  std::set<std::string> expected;
  for (int i = 0; i < 6; ++i) {
    expected.insert("oai:alpha.minga:" + Put(absl::StrCat("Material ", i), absl::StrCat("m", i)));
  }
  std::string doc = Get({{"verb", "ListIdentifiers"}, {"metadataPrefix", "oai_dc"}});
  std::set<std::string> seen;
  const std::regex id_re("<identifier>([^<]*)</identifier>");
  const std::regex token_re("<resumptionToken>([^<]+)</resumptionToken>");
  bool changed = false;
  while (true) {
    for (std::sregex_iterator it(doc.begin(), doc.end(), id_re), end; it != end; ++it) {
      seen.insert((*it)[1]);
    }
    if (!changed) {
      // m0 was already listed; change it and one not yet listed.
      Put("Material 0, revisado", "m0");
      Put("Material 5, revisado", "m5");
      changed = true;
    }
    std::smatch token;
    if (!std::regex_search(doc, token, token_re)) break;
    doc = Get({{"verb", "ListIdentifiers"}, {"resumptionToken", token[1]}});
  }
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace minga::oai
