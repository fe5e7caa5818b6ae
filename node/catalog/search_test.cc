// Search over the real sample materials, in process.
#include "node/catalog/search.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "client/formats/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/catalog/catalog.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

std::vector<v1::Material> Samples() {
  std::ifstream in(testing::SampleMaterialsPath());
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<v1::Material> out;
  for (const ParsedRecord& r : ParseImportFile(ss.str(), FileFormat::kJson).records) {
    out.push_back(r.record->material);
  }
  return out;
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    samples_ = Samples();
    ASSERT_EQ(samples_.size(), 60u);
    std::vector<v1::PutRequest> puts;
    for (const v1::Material& m : samples_) {
      v1::PutRequest r;
      *r.mutable_material() = m;
      puts.push_back(r);
    }
    ASSERT_OK_AND_ASSIGN(auto results, cat().PutMany(puts, "test"));
    for (const auto& r : results) ASSERT_EQ(r.code(), 0) << r.error();
  }

  Catalog& cat() { return fed_.catalog(0); }

  std::vector<std::string> Ids(v1::SearchRequest r) {
    r.set_page_size(100);
    auto res = cat().Search(r);
    EXPECT_TRUE(res.ok()) << res.status();
    std::vector<std::string> ids;
    for (const auto& h : res->hits()) ids.push_back(h.material().id());
    return ids;
  }
  std::vector<std::string> Ids(const std::string& query) {
    v1::SearchRequest r;
    r.set_query(query);
    return Ids(r);
  }

  TestFederation fed_{std::vector<std::string>{"red", "otra"}};
  std::vector<v1::Material> samples_;
};

TEST_F(SearchTest, CaseAccentsAndPluralsFindTheSameMaterials) {
  const auto base = Ids("practica");
  EXPECT_THAT(base, Contains("red/spotlight-chirapaq-practicas-interculturales-2021"));
  EXPECT_EQ(Ids("PRÁCTICA"), base);
  EXPECT_EQ(Ids("prácticas"), base);
  EXPECT_EQ(Ids("Violencia Sexual"), Ids("violencia sexual"));
  EXPECT_EQ(Ids("protocolos"), Ids("protocolo"));
  EXPECT_FALSE(Ids("protocolo").empty());
}

TEST_F(SearchTest, PortugueseText) {
  EXPECT_THAT(Ids("violência sexual"), Contains("red/br-norma-tecnica-violencia-sexual"));
  EXPECT_THAT(Ids("feminicídios"), Contains("red/br-diretrizes-feminicidios-2016"));
  EXPECT_THAT(Ids("\"casa da mulher brasileira\""), Contains("red/br-casa-mulher-brasileira-2015"));
}

TEST_F(SearchTest, TitleRanksAboveSummary) {
  const auto ids = Ids("femicidio");
  ASSERT_FALSE(ids.empty());
  // The first hits carry the word in their title.
  ASSERT_OK_AND_ASSIGN(auto top, cat().Get(ids[0]));
  EXPECT_THAT(absl::AsciiStrToLower(top.material().title()), HasSubstr("femicidio"));
}

TEST_F(SearchTest, PhrasesAndAllWords) {
  const auto all_words = Ids("violencia genero");
  const auto phrase = Ids("\"violencia de genero\"");
  EXPECT_FALSE(phrase.empty());
  EXPECT_LE(phrase.size(), all_words.size());
  for (const auto& id : phrase) EXPECT_THAT(all_words, Contains(id));
  EXPECT_THAT(Ids("violencia zzzznotaword"), IsEmpty());
}

// Filters combine exactly as a plain scan of the samples says.
TEST_F(SearchTest, CombinedFiltersMatchAScanAndFacetsAddUp) {
  v1::SearchRequest r;
  r.add_sectors("health");
  r.add_populations("indigenous");
  r.add_languages("es");
  std::vector<std::string> expected;
  for (v1::Material m : samples_) {
    auto has = [](const auto& list, const std::string& v) {
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    // Languages default to the title language and other titles' languages.
    bool es = m.title_language() == "es" || m.other_language_titles().count("es");
    if (has(m.sectors(), "health") && has(m.populations(), "indigenous") && es) {
      expected.push_back("red/" + m.id());
    }
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_THAT(Ids(r), UnorderedElementsAreArray(expected));

  v1::SearchRequest health;
  health.add_sectors("health");
  health.set_page_size(5);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse res, cat().Search(health));
  EXPECT_EQ(res.hits_size(), 5);
  for (const v1::Facet& f : res.facets()) {
    uint64_t sum = 0;
    for (const auto& c : f.counts()) sum += c.count();
    if (f.name() == "kind" || f.name() == "origin") {
      EXPECT_EQ(sum, res.total()) << f.name();
    }
    if (f.name() == "sector") {
      EXPECT_EQ(f.counts(0).value(), "health");
      EXPECT_EQ(f.counts(0).count(), res.total());
    }
  }
}

TEST_F(SearchTest, PagesNeitherRepeatNorSkipWhileMaterialsAreAdded) {
  v1::SearchRequest r;
  r.set_query("violencia");
  r.set_page_size(4);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse first, cat().Search(r));
  const uint64_t total_before = first.total();
  ASSERT_GT(total_before, 8u);
  std::vector<std::string> seen;
  for (const auto& h : first.hits()) seen.push_back(h.material().id());
  std::string cursor = first.next_cursor();
  int added = 0;
  while (!cursor.empty()) {
    // New, highly relevant materials arrive between pages.
    v1::PutRequest put;
    *put.mutable_material() = testing::MakeMaterial(
        absl::StrCat("Violencia violencia violencia ", added), absl::StrCat("nueva-", added));
    ASSERT_OK(cat().Put(put, "test").status());
    ++added;
    r.set_cursor(cursor);
    ASSERT_OK_AND_ASSIGN(v1::SearchResponse page, cat().Search(r));
    for (const auto& h : page.hits()) seen.push_back(h.material().id());
    cursor = page.next_cursor();
  }
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a material was repeated";
  // Every material that matched at the start was on some page.
  v1::SearchRequest all;
  all.set_query("violencia");
  all.set_page_size(100);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse now, cat().Search(all));
  int old = 0;
  for (const auto& h : now.hits()) {
    if (absl::StartsWith(h.material().id(), "red/nueva-")) continue;
    ++old;
    EXPECT_TRUE(unique.count(h.material().id())) << h.material().id() << " was skipped";
  }
  EXPECT_EQ(old, static_cast<int>(total_before));
}

TEST_F(SearchTest, BadInputIsRefusedBeforeAnyScan) {
  v1::SearchRequest r;
  r.add_sectors("helth");
  EXPECT_THAT(cat().Search(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("sectors[0]: unknown value 'helth'")));
  v1::SearchRequest cursor;
  cursor.set_cursor("not a cursor!");
  EXPECT_THAT(cat().Search(cursor),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor: malformed")));
  v1::SearchRequest huge;
  huge.set_query(std::string(10000, 'a'));
  EXPECT_THAT(cat().Search(huge),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query: 10000 characters")));
  v1::SearchRequest stop;
  stop.set_query("de la y the of");
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse empty, cat().Search(stop));
  EXPECT_EQ(empty.total(), 0u);
  EXPECT_THAT(empty.note(), HasSubstr("common words"));
  // A cursor of one query is refused for another.
  v1::SearchRequest a;
  a.set_query("violencia");
  a.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse page, cat().Search(a));
  v1::SearchRequest b;
  b.set_query("salud");
  b.set_cursor(page.next_cursor());
  EXPECT_THAT(cat().Search(b), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("another query")));
  v1::SearchRequest years;
  years.set_year_min(2020);
  years.set_year_max(2010);
  EXPECT_THAT(cat().Search(years), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SearchTest, RetractedMaterialsLeaveTheIndexAndReindexKeepsResults) {
  const auto before = Ids("feminicidio");
  ASSERT_THAT(before, Contains("red/br-diretrizes-feminicidios-2016"));
  ASSERT_OK(cat().Delete("red/br-diretrizes-feminicidios-2016", 0, "test").status());
  EXPECT_THAT(Ids("feminicidio"), Not(Contains("red/br-diretrizes-feminicidios-2016")));
  const auto after_delete = Ids("violencia");
  uint64_t last_total = 0;
  ASSERT_OK(cat().Reindex([&](uint64_t done, uint64_t total) { last_total = total; }));
  EXPECT_EQ(last_total, 59u);
  EXPECT_EQ(Ids("violencia"), after_delete);
}

TEST_F(SearchTest, PartnersMaterialsAreFoundAfterSyncAndGoneAfterRetraction) {
  ASSERT_OK(fed_.PullAll(1, 0));
  v1::SearchRequest r;
  r.set_query("feminicidio");
  r.add_origins("red");
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse at_partner, fed_.catalog(1).Search(r));
  EXPECT_GT(at_partner.total(), 0u);
  ASSERT_OK(cat().Delete("red/br-diretrizes-feminicidios-2016", 0, "test").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse after, fed_.catalog(1).Search(r));
  for (const auto& h : after.hits()) {
    EXPECT_NE(h.material().id(), "red/br-diretrizes-feminicidios-2016");
  }
  EXPECT_EQ(after.total(), at_partner.total() - 1);
}

}  // namespace
}  // namespace minga
