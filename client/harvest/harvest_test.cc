#include "client/harvest/mapping.h"
#include "client/harvest/oai_page.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"

namespace minga::harvest {
namespace {

using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-12-03T10:00:00Z</responseDate>
  <request verb="ListRecords">http://r.example.org/oai</request>
  <ListRecords>
    <record>
      <header><identifier>oai:r.example.org:1</identifier><datestamp>2026-01-02</datestamp>
        <setSpec>com_1</setSpec></header>
      <metadata>
        <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                   xmlns:dc="http://purl.org/dc/elements/1.1/">
          <dc:title xml:lang="es">  Guía de salud  </dc:title>
          <dc:subject>Salud</dc:subject>
          <dc:type>Guía</dc:type>
          <dc:other xmlns:dc="urn:not-dublin-core">ignored</dc:other>
        </oai_dc:dc>
      </metadata>
    </record>
    <record><header status="deleted"><identifier>oai:r.example.org:2</identifier>
      <datestamp>2026-01-03</datestamp></header></record>
    <resumptionToken cursor="0">tok&amp;1</resumptionToken>
  </ListRecords>
</OAI-PMH>)";

TEST(OaiPageTest, ReadsRecordsDeletionsAndTheToken) {
  ASSERT_OK_AND_ASSIGN(OaiPage page, ParseOaiPage(kPage));
  EXPECT_EQ(page.response_date, "2026-12-03T10:00:00Z");
  EXPECT_EQ(page.resumption_token, "tok&1");
  ASSERT_EQ(page.records.size(), 2u);
  const OaiRecord& r = page.records[0];
  EXPECT_EQ(r.identifier, "oai:r.example.org:1");
  EXPECT_FALSE(r.deleted);
  EXPECT_THAT(r.sets, ::testing::ElementsAre("com_1"));
  ASSERT_EQ(r.All("title").size(), 1u);
  EXPECT_EQ(r.All("title")[0]->value, "Guía de salud");
  EXPECT_EQ(r.All("title")[0]->lang, "es");
  EXPECT_TRUE(r.All("other").empty()) << "elements of other namespaces are not Dublin Core";
  EXPECT_TRUE(page.records[1].deleted);
  EXPECT_TRUE(page.records[1].dc.empty());
}

TEST(OaiPageTest, ErrorsAndBadDocumentsAreNamed) {
  ASSERT_OK_AND_ASSIGN(
      OaiPage err,
      ParseOaiPage(
          R"(<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>x</responseDate>
        <error code="badResumptionToken">expired</error></OAI-PMH>)"));
  EXPECT_EQ(err.error_code, "badResumptionToken");
  EXPECT_EQ(err.error_message, "expired");
  EXPECT_THAT(ParseOaiPage("<html><body>Not found</body></html>"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an OAI-PMH document")));
  EXPECT_THAT(ParseOaiPage("<OAI-PMH"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not XML")));
  EXPECT_THAT(
      ParseOaiPage(R"(<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>
        <header><datestamp>2026-01-01</datestamp></header></record></ListRecords></OAI-PMH>)"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without an identifier")));
}

// A response cannot make the harvester read a local file (XXE).
TEST(OaiPageTest, EntitiesAreNotExpanded) {
  absl::StatusOr<OaiPage> page = ParseOaiPage(R"(<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>
<identifier>oai:x:1</identifier></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&secret;</dc:title></oai_dc:dc>
</metadata></record></ListRecords></OAI-PMH>)");
  if (page.ok()) {
    for (const OaiRecord& r : page->records) {
      for (const DcValue& v : r.dc) EXPECT_THAT(v.value, ::testing::Not(HasSubstr("root:")));
    }
  }
}

OaiRecord Record(std::vector<DcValue> dc) {
  OaiRecord r;
  r.identifier = "oai:repositorio.example.org:123456789/10";
  r.dc = std::move(dc);
  return r;
}

TEST(MappingTest, DublinCoreBecomesAMaterial) {
  const OaiRecord r = Record({{"title", "es_ES", "Ruta de atención"},
                              {"title", "pt_BR", "Rota de atendimento"},
                              {"subject", "", "Salud"},
                              {"subject", "", "Feminicidio"},
                              {"subject", "", "Mujeres indígenas"},
                              {"subject", "", "unmapped words"},
                              {"type", "", "info:eu-repo/semantics/report"},
                              {"language", "", "spa"},
                              {"coverage", "", "Perú"},
                              {"coverage", "", "gt"},
                              {"date", "", "2019-05-02T00:00:00Z"},
                              {"identifier", "", "urn:isbn:123"},
                              {"identifier", "", "https://repositorio.example.org/handle/10"},
                              {"publisher", "", "MIMP"}});
  ASSERT_OK_AND_ASSIGN(v1::Material m, MapRecord(r, DefaultMapping(), "from a test"));
  EXPECT_EQ(m.id(), "repositorio.example.org-123456789-10");
  EXPECT_EQ(m.title(), "Ruta de atención");
  EXPECT_EQ(m.title_language(), "es-ES");
  EXPECT_EQ(m.other_language_titles().at("pt-BR"), "Rota de atendimento");
  EXPECT_EQ(m.kind(), "report");
  EXPECT_THAT(m.sectors(), ::testing::ElementsAre("health"));
  EXPECT_THAT(m.populations(), ::testing::ElementsAre("indigenous"));
  EXPECT_THAT(m.topics(), ::testing::ElementsAre("femicide"));
  EXPECT_THAT(m.countries(), ::testing::ElementsAre("PE", "GT"));
  EXPECT_EQ(m.year(), 2019u);
  EXPECT_EQ(m.url(), "https://repositorio.example.org/handle/10");
  EXPECT_EQ(m.source(), "from a test");
}

TEST(MappingTest, ARecordThatDoesNotMapSaysWhy) {
  EXPECT_THAT(MapRecord(Record({{"subject", "", "Salud"}}), DefaultMapping(), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dc:title: none")));
  EXPECT_THAT(
      MapRecord(Record({{"title", "", "Foto"}, {"type", "", "Image"}, {"subject", "", "Salud"}}),
                DefaultMapping(), ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("dc:type: 'Image' maps to no kind (add it to the mapping's \"kind\"")));
  EXPECT_THAT(
      MapRecord(Record({{"title", "", "Informe"}, {"type", "", "Text"}, {"subject", "", "Física"}}),
                DefaultMapping(), ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("dc:subject: 'Física' maps to no sector")));
  // What the node would refuse is refused here, naming the field.
  EXPECT_THAT(MapRecord(Record({{"title", "", std::string(600, 'x')},
                                {"type", "", "guide"},
                                {"subject", "", "health"}}),
                        DefaultMapping(), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
}

TEST(MappingTest, AMappingFileAddsToTheDefaultAndIsChecked) {
  ASSERT_OK_AND_ASSIGN(Mapping m, ParseMapping(R"({"kind": {"Image": "video"},
      "sector": {"Física": "coordination"}, "default_kind": "report"})",
                                               DefaultMapping()));
  EXPECT_EQ(m.kind.at("image"), "video");
  EXPECT_EQ(m.sector.at("salud"), "health") << "the default's entries stay";
  EXPECT_EQ(m.default_kind, "report");
  ASSERT_OK_AND_ASSIGN(
      v1::Material mat,
      MapRecord(Record({{"title", "", "Foto"}, {"type", "", "Image"}, {"subject", "", "Física"}}),
                m, ""));
  EXPECT_EQ(mat.kind(), "video");
  EXPECT_THAT(mat.sectors(), ::testing::ElementsAre("coordination"));

  EXPECT_THAT(ParseMapping("[1]", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
  EXPECT_THAT(ParseMapping(R"({"kinds": {}})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mapping.kinds: unknown")));
  EXPECT_THAT(ParseMapping(R"({"sector": {"x": "salud"}})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapping.sector[\"x\"]: 'salud' is not a sector")));
  EXPECT_THAT(ParseMapping(R"({"country": {"x": "Peru"}})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mapping.country[\"x\"]")));
  EXPECT_THAT(ParseMapping(R"({"topic": {"x": 3}})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a string")));
}

TEST(MappingTest, LocalIdsAreValidStableAndShort) {
  EXPECT_EQ(LocalIdFor("oai:repositorio.unal.edu.co:unal/12345"),
            "repositorio.unal.edu.co-unal-12345");
  const std::string long_id = "oai:r.example.org:" + std::string(200, 'a');
  const std::string a = LocalIdFor(long_id);
  EXPECT_LE(a.size(), 96u);
  EXPECT_EQ(a, LocalIdFor(long_id));
  EXPECT_NE(a, LocalIdFor(long_id + "b")) << "a hash of the whole keeps long ids apart";
  EXPECT_FALSE(LocalIdFor("oai:::").empty());
}

}  // namespace
}  // namespace minga::harvest
